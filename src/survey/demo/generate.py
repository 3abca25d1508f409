"""Generate the demo study: a fictional city's two survey waves, exported as real exports look.

The generator is a tool beside the pipeline: it writes ``data/demo/raw/`` (the exports),
the reference tables next to ``study.yaml`` (districts, population margins), and
``data/demo/truth.json`` with every true parameter and every planted data problem. The
files are committed; the demo and the tests read them. Same seed, same bytes.

Example
-------
>>> from survey.demo.generate import generate          # doctest: +SKIP
>>> truth = generate("data/demo")                       # doctest: +SKIP
>>> truth["planted"]["wave2023"]["duplicates"]          # doctest: +SKIP
15
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from survey.demo import exports
from survey.demo.population import AnswerModel, build_frame
from survey.demo.province import COVARIATES_FILE, county_covariates, province_params, write_study
from survey.demo.sampling import draw_sample
from survey.instruments import load_instrument

PARAMS_FILE = Path(__file__).with_name("city.yaml")
INSTRUMENTS = ("phq9", "gad7", "isi", "nmhl", "ad8", "epds")
AGE_GROUPS = [18, 30, 45, 60, 75]
AGE_GROUP_LABELS = ["18-29", "30-44", "45-59", "60-74", "75+"]


def load_params(scale: float = 1.0) -> dict:
    with PARAMS_FILE.open(encoding="utf-8") as handle:
        params = yaml.safe_load(handle)
    for d in params["districts"]:
        d["adults"] = int(d["adults"] * scale)
    return params


def age_group(age: pd.Series | np.ndarray) -> pd.Categorical:
    return pd.cut(np.asarray(age), bins=[*AGE_GROUPS, np.inf], right=False, labels=AGE_GROUP_LABELS)


def generate(out_dir: str | Path, seed: int | None = None, scale: float = 1.0, districts: int | None = None) -> dict:
    """Build the population, draw both waves, write the exports and return the truth.

    ``districts``: None (or the demo city's eight) builds the demo city; any other number a
    fictional province of that many counties (:mod:`survey.demo.province`), which also gets
    its ``study.yaml`` and ``county_covariates.csv``.
    """
    out_dir = Path(out_dir)
    params = load_params(scale)
    seed = params["seed"] if seed is None else seed
    province = districts is not None and districts != len(params["districts"])
    if province:
        params = province_params(params, districts, seed)
    instruments = {i: load_instrument(i) for i in INSTRUMENTS}
    params["_instrument_keys"] = {it.id: it.key for it in instruments["nmhl"].items if it.key}
    item_ids = {i: inst.item_ids for i, inst in instruments.items()}

    frame = build_frame(params, np.random.default_rng([seed, 1]))
    model = AnswerModel(params, frame, item_ids, seed)
    waves = params["waves"]
    answers = [model.answers(0, pilot_on=True), model.answers(1, pilot_on=True)]
    counterfactual = model.answers(1, pilot_on=False)

    truth = {
        "seed": seed,
        "scale": scale,
        "population_adults": int(len(frame)),
        "latent_parameters": params["latent"],
        "pilot_districts": [d["code"] for d in params["districts"] if d["pilot"]],
        "pilot_start": str(params["pilot_start"]),
        "prevalence": _prevalence_truth(frame, answers, waves),
        "pilot_effect": _pilot_truth(frame, answers, counterfactual, model.pilot),
    }

    raw = out_dir / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    planted = {}
    samples = []
    for w, wave in enumerate(waves):
        wave_frame = frame.assign(age=frame["age"] + w)
        sample = draw_sample(wave_frame, params, np.random.default_rng([seed, 10 + w]))
        sample["wave"] = wave["year"]
        for item, codes in answers[w].items.items():
            sample[item] = codes[sample["person"].to_numpy()]
        samples.append(sample)
    truth["sample"] = {str(s["wave"].iat[0]): {"respondents": int(len(s)),
                                              "by_district": s.groupby("district").size().astype(int).to_dict()}
                       for s in samples}
    planted.update(_write_wave2023(samples[0], params, instruments, raw, seed))
    planted.update(_write_wave2024(samples[1], params, instruments, raw, seed))
    truth["planted"] = {k: {kk: vv for kk, vv in v.__dict__.items() if kk != "cells"} for k, v in planted.items()}
    truth["planted"]["total"] = {
        k: sum(p[k] for p in truth["planted"].values())
        for k in ("duplicates", "impossible_ages", "missing_items", "whitespace_labels", "out_of_range_codes")
    }

    _write_reference_tables(frame, params, out_dir)
    truth["services"] = _write_services(params, out_dir / "raw", seed)
    if province:
        covariates = county_covariates(frame, params)
        covariates.to_csv(out_dir / COVARIATES_FILE, index=False, encoding="utf-8")
        truth["county_offsets"] = {d["code"]: {"depression": d["dep"], "literacy": d["lit"]}
                                   for d in params["districts"]}
        write_study(out_dir, params, small_area=_knows_small_area())
    with (out_dir / "truth.json").open("w", encoding="utf-8") as handle:
        json.dump(truth, handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.write("\n")
    return truth


def _outcomes(scores: pd.DataFrame) -> pd.DataFrame:
    """The indicators a district report shows, per adult; NaN where the adult is not eligible."""
    older = scores["age"] >= 60
    perinatal = scores["perinatal"] == 1
    return pd.DataFrame({
        "depression_phq9_ge10": (scores["phq9_total"] >= 10).astype(float),
        "phq9_mean": scores["phq9_total"].astype(float),
        "anxiety_gad7_ge10": (scores["gad7_total"] >= 10).astype(float),
        "insomnia_isi_ge15": (scores["isi_total"] >= 15).astype(float),
        "literacy_adequate": scores["nmhl_adequate"].astype(float),
        "dementia_ad8_ge2_age60plus": (scores["ad8_total"] >= 2).astype(float).where(older),
        "perinatal_epds_ge13": (scores["epds_total"] >= 13).astype(float).where(perinatal),
        "perinatal_epds_ge10": (scores["epds_total"] >= 10).astype(float).where(perinatal),
    })


def _prevalence_truth(frame: pd.DataFrame, answers, waves) -> dict:
    result = {}
    for w, wave in enumerate(waves):
        out = _outcomes(answers[w].scores)
        by = out.groupby(frame["district"]).mean()
        table = {k: {c: round(float(v), 8) for c, v in row.items()} for k, row in by.iterrows()}
        table["city"] = {c: round(float(v), 8) for c, v in out.mean().items()}
        result[str(wave["year"])] = table
    return result


def _pilot_truth(frame, answers, counterfactual, pilot) -> dict:
    """The pilot's effect on the treated population in 2024, and the population difference-in-differences."""
    y1 = _outcomes(answers[1].scores)
    y0 = _outcomes(counterfactual.scores)
    base = _outcomes(answers[0].scores)
    effect = {}
    for col in ("literacy_adequate", "depression_phq9_ge10", "phq9_mean"):
        att = float((y1[col][pilot] - y0[col][pilot]).mean())
        did = float(
            (y1[col][pilot].mean() - base[col][pilot].mean()) - (y1[col][~pilot].mean() - base[col][~pilot].mean())
        )
        effect[col] = {"att": round(att, 8), "population_did": round(did, 8),
                       "parallel_trend_gap": round(did - att, 8)}
    return effect


def _common_columns(sample: pd.DataFrame, params: dict, times: pd.Series, rng) -> pd.DataFrame:
    ids = exports.fake_identifiers(sample, params, times, rng)
    within = sample["psu_code"]
    comm = sample.groupby("psu")["community"].rank(method="dense").astype(int)
    return pd.DataFrame({
        "time": times.to_numpy(), **{c: ids[c].to_numpy() for c in ids},
        "district": sample["district"].to_numpy(), "urban": sample["urban"].to_numpy(),
        "psu": within.to_numpy(), "community": comm.to_numpy(), "stratum_psus": sample["N_psu"].to_numpy(),
        "weight": sample["weight"].round(4).to_numpy(), "female": sample["female"].to_numpy(),
        "age": sample["age"].to_numpy().astype(np.int64), "education": sample["education"].to_numpy(),
        "occupation": sample["occupation"].to_numpy(),
    })


def _write_wave2023(sample, params, instruments, raw: Path, seed: int) -> dict:
    rng = np.random.default_rng([seed, 21])
    sample = sample.sample(frac=1.0, random_state=np.random.RandomState(seed)).reset_index(drop=True)
    times = exports.field_times(len(sample), params["waves"][0], rng)
    base = _common_columns(sample, params, times, rng)
    names = {d["code"]: d["zh-CN"] for d in params["districts"]}
    table = pd.DataFrame({
        "序号": np.arange(1, len(sample) + 1),
        "提交答卷时间": base["time"],
        "姓名": base["name"], "手机号码": base["mobile"], "身份证号": base["id_number"],
        "所在区县": base["district"].map(names),
        "城乡": np.where(base["urban"] == 1, "城镇", "农村"),
        "街道乡镇编号": base["psu"], "社区村编号": base["community"], "本层街道乡镇总数": base["stratum_psus"],
        "设计权重": base["weight"],
        "性别": np.where(base["female"] == 1, "女", "男"),
        "年龄": base["age"],
        "文化程度": base["education"].map(exports.EDUCATION_ZH),
        "职业": base["occupation"].map(exports.OCCUPATION_ZH),
        "是否孕期或产后一年内": np.where(base["female"] == 1,
                                np.where(sample["epds_1"].to_numpy() >= 0, "是", "否"), ""),
    })
    item_cols = []
    for inst_id, inst in instruments.items():
        for item in inst.item_ids:
            header = header_2023(inst_id, item)
            codes = sample[item].to_numpy()
            labels = exports.item_label(inst, item, codes, rng)
            table[header] = np.where(codes >= 0, labels, "")
            if inst_id not in ("ad8", "epds"):
                item_cols.append(header)
    plan = params["planted"]["wave2023"]
    table, planted = exports.plant(
        table, plan, item_cols, "年龄", "提交答卷时间", "序号", lambda i: i + 1, rng,
        bad_code=lambda col: "9", whitespace=True, blank="")
    table = table.sort_values("提交答卷时间", kind="stable").reset_index(drop=True)
    table["提交答卷时间"] = table["提交答卷时间"].dt.strftime("%Y/%m/%d %H:%M:%S")
    path = raw / "wave2023_platform_export.xlsx"
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        writer.book.set_properties({"created": datetime(2024, 1, 1)})
        table.to_excel(writer, sheet_name="Sheet1", index=False)
    exports.normalise_xlsx(path)
    return {"wave2023": planted}


def header_2023(inst_id: str, item: str) -> str:
    number = item.rsplit("_", 1)[-1]
    if inst_id == "nmhl":
        part = item.split("_", 1)[1]
        kind, rest = part[0], part[1:]
        if kind == "j":
            return f"素养判断题{rest}"
        if kind == "s":
            return f"素养自评题{rest}"
        return f"案例{'一' if rest[0] == 'a' else '二'}第{rest[1:]}题"
    label = {"phq9": "PHQ-9", "gad7": "GAD-7", "isi": "ISI", "ad8": "AD8", "epds": "EPDS"}[inst_id]
    return f"{label}第{number}题"


def _write_wave2024(sample, params, instruments, raw: Path, seed: int) -> dict:
    rng = np.random.default_rng([seed, 22])
    sample = sample.sample(frac=1.0, random_state=np.random.RandomState(seed + 1)).reset_index(drop=True)
    times = exports.field_times(len(sample), params["waves"][1], rng)
    base = _common_columns(sample, params, times, rng)
    numbers = {d["code"]: d["number"] for d in params["districts"]}
    sav_districts = set(params["export"]["sav_districts_2024"])
    in_sav = base["district"].isin(sav_districts).to_numpy()
    result = {}

    # the platform CSV: Chinese headers, numeric codes, GB18030
    csv = pd.DataFrame({
        "答卷编号": [f"W24{i:06d}" for i in range(1, len(sample) + 1)],
        "提交时间": base["time"], "姓名": base["name"], "联系电话": base["mobile"], "身份证号码": base["id_number"],
        "区县代码": base["district"].map(numbers), "城乡类型": np.where(base["urban"] == 1, 1, 2),
        "街道乡镇编号": base["psu"], "社区村编号": base["community"], "层内街道乡镇数": base["stratum_psus"],
        "权重": base["weight"], "性别": np.where(base["female"] == 1, 2, 1), "年龄": base["age"],
        "文化程度": base["education"], "职业": base["occupation"],
        "孕产期": np.where(base["female"] == 1, (sample["epds_1"].to_numpy() >= 0).astype(int), -1),
    })
    item_cols = []
    for inst_id, inst in instruments.items():
        for item in inst.item_ids:
            csv[item.upper()] = sample[item].to_numpy()
            if inst_id not in ("ad8", "epds"):
                item_cols.append(item.upper())
    csv = csv.loc[~in_sav].reset_index(drop=True)
    # blanks are written as empty fields: use a nullable integer type throughout
    for col in [c for c in csv.columns if c == c.upper() and "_" in c] + ["孕产期"]:
        csv[col] = csv[col].astype("Int64").where(csv[col] >= 0)
    valid = {item.upper(): set(inst.codes(item)) for inst in instruments.values() for item in inst.item_ids}
    bad = lambda col: int(rng.choice([c for c in (4, 5, 7, 8) if c not in valid[col]]))  # noqa: E731
    csv, planted = exports.plant(csv, params["planted"]["wave2024"], item_cols, "年龄", "提交时间", "答卷编号",
                                 lambda i: f"W24{i + 1:06d}", rng, bad_code=bad, whitespace=False, blank=pd.NA)
    csv = csv.sort_values("提交时间", kind="stable").reset_index(drop=True)
    csv["提交时间"] = csv["提交时间"].dt.strftime("%Y-%m-%d %H:%M:%S")
    csv.to_csv(raw / "wave2024_platform_export.csv", index=False, encoding="gb18030", lineterminator="\r\n")
    result["wave2024"] = planted

    # the county CDCs' SPSS file: ASCII variable names, answers coded 1..k, value labels
    import pyreadstat

    sav_part = sample.loc[in_sav].reset_index(drop=True)
    sbase = base.loc[in_sav].reset_index(drop=True)
    sav = pd.DataFrame({
        "id": np.arange(1, len(sav_part) + 1, dtype=float), "time": sbase["time"],
        "xm": sbase["name"], "dh": sbase["mobile"], "sfz": sbase["id_number"],
        "qx": sbase["district"].map(numbers).astype(float), "cx": np.where(sbase["urban"] == 1, 1.0, 2.0),
        "jd": sbase["psu"].astype(float), "sq": sbase["community"].astype(float),
        "nh": sbase["stratum_psus"].astype(float), "qz": sbase["weight"],
        "xb": np.where(sbase["female"] == 1, 2.0, 1.0), "nl": sbase["age"].astype(float),
        "whcd": sbase["education"].astype(float), "zy": sbase["occupation"].astype(float),
        "ycq": np.where(sbase["female"] == 1, (sav_part["epds_1"].to_numpy() >= 0).astype(float), np.nan),
    })
    value_labels = {"qx": {float(d["number"]): d["zh-CN"] for d in params["districts"]},
                    "cx": {1.0: "城镇", 2.0: "农村"}, "xb": {1.0: "男", 2.0: "女"},
                    "whcd": {float(k): v for k, v in exports.EDUCATION_ZH.items()},
                    "zy": {float(k): v for k, v in exports.OCCUPATION_ZH.items()},
                    "ycq": {1.0: "是", 0.0: "否"}}
    item_cols = []
    for inst_id, inst in instruments.items():
        for item in inst.item_ids:
            var = sav_name(item)
            codes = sav_part[item].to_numpy().astype(float)
            # the county form numbers options from 1 where the instrument's codes start at 0
            shift = 1.0 if min(inst.codes(item)) == 0 and inst_id != "ad8" else 0.0
            sav[var] = np.where(codes >= 0, codes + shift, np.nan)
            value_labels[var] = {float(o.code + shift): o.labels_zh[0] for o in inst.options(item)}
            if inst_id not in ("ad8", "epds"):
                item_cols.append(var)
    sav, planted = exports.plant(sav, params["planted"]["wave2024_counties"], item_cols, "nl", "time", "id",
                                 lambda i: float(i + 1), rng, bad_code=lambda col: 6.0, whitespace=False, blank=np.nan)
    sav = sav.sort_values("time", kind="stable").reset_index(drop=True)
    labels = {"id": "问卷编号", "time": "录入时间", "xm": "姓名", "dh": "电话", "sfz": "身份证号", "qx": "区县",
              "cx": "城乡", "jd": "街道乡镇编号", "sq": "社区村编号", "nh": "层内街道乡镇数", "qz": "权重",
              "xb": "性别", "nl": "年龄", "whcd": "文化程度", "zy": "职业", "ycq": "是否孕产期"}
    for inst_id, inst in instruments.items():
        for item in inst.item_ids:
            labels[sav_name(item)] = header_2023(inst_id, item)
    pyreadstat.write_sav(sav, raw / "wave2024_county_cdc.sav", column_labels=labels,
                         variable_value_labels=value_labels)
    _fix_sav_timestamp(raw / "wave2024_county_cdc.sav")
    result["wave2024_counties"] = planted
    return result


def sav_name(item: str) -> str:
    return item.replace("_", "")


def _fix_sav_timestamp(path: Path) -> None:
    """Overwrite the creation date and time in the SPSS header (bytes 92-108) so output is reproducible."""
    data = bytearray(path.read_bytes())
    if data[:4] not in (b"$FL2", b"$FL3"):
        raise ValueError(f"{path}: not an SPSS system file")
    data[92:109] = b"01 Jan 2400:00:00"
    path.write_bytes(bytes(data))


def _write_reference_tables(frame: pd.DataFrame, params: dict, out_dir: Path) -> None:
    districts = pd.DataFrame([{"code": d["code"], "number": d["number"], "name_zh": d["zh-CN"], "name_en": d["en"],
                               "kind": d["kind"]} for d in params["districts"]])
    districts.to_csv(out_dir / "districts.csv", index=False, encoding="utf-8")
    rows = []
    for w, wave in enumerate(params["waves"]):
        groups = frame.assign(age_group=age_group(frame["age"] + w), sex=np.where(frame["female"] == 1, 2, 1))
        counts = (
            groups.groupby(["district", "sex", "age_group"], observed=False).size().rename("population").reset_index()
        )
        counts.insert(0, "wave", wave["year"])
        rows.append(counts)
    pd.concat(rows).to_csv(out_dir / "population_margins.csv", index=False, encoding="utf-8")


def _write_services(params: dict, raw: Path, seed: int) -> dict:
    """Yearly service indicators per district, and monthly hotline calls for time-series analyses."""
    rng = np.random.default_rng([seed, 40])
    s = params["services"]
    pilot_year = pd.Timestamp(params["pilot_start"]).year
    yearly, monthly = [], []
    its = s["monthly_its"]
    months = pd.period_range(f"{s['years'][0]}-01", f"{s['years'][-1]}-12", freq="M")
    start = pd.Period(pd.Timestamp(params["pilot_start"]), freq="M")
    t = np.arange(months.size)
    offset = (months.year - start.year) * 12 + (months.month - start.month)
    after = (offset >= 0).astype(float)
    since = np.maximum(offset, 0)
    for d in params["districts"]:
        population = int(round(d["adults"] / 0.81, -2))
        c0 = rng.uniform(*s["counsellors_per_100k"]) * population / 1e5
        if "counsellors_per_10k" in d:  # a province's county: its covariate (the draw above keeps the stream)
            c0 = d["counsellors_per_10k"] * population / 1e4
        r0 = rng.uniform(*s["rooms_per_100k"]) * population / 1e5
        h0 = rng.uniform(*s["hotline_calls_per_100k_month"]) * population / 1e5
        for k, year in enumerate(s["years"]):
            grow = (1 + s["pilot_counsellor_growth"]) ** max(0, year - pilot_year) if d["pilot"] else 1.03 ** k
            yearly.append({"district": d["code"], "year": year, "population": population,
                           "counsellors": int(round(c0 * grow)), "counselling_rooms": int(round(r0 * grow)),
                           "pilot_start_year": pilot_year if d["pilot"] else None})
        log_mu = np.log(h0) + its["trend_per_month"] * t + 0.08 * np.sin(2 * np.pi * t / 12)
        if d["pilot"]:
            log_mu = log_mu + its["level_change"] * after + its["slope_change_per_month"] * since
        calls = rng.poisson(np.exp(log_mu))
        monthly.append(pd.DataFrame({"district": d["code"], "month": months.astype(str), "hotline_calls": calls}))
    yearly = pd.DataFrame(yearly)
    monthly = pd.concat(monthly, ignore_index=True)
    yearly["hotline_calls"] = (monthly.assign(year=monthly["month"].str[:4].astype(int))
                               .groupby(["district", "year"])["hotline_calls"].sum()
                               .reindex(pd.MultiIndex.from_frame(yearly[["district", "year"]])).to_numpy())
    yearly["pilot_start_year"] = yearly["pilot_start_year"].astype("Int64")
    yearly.to_csv(raw / "service_indicators.csv", index=False, encoding="utf-8")
    monthly.to_csv(raw / "service_monthly.csv", index=False, encoding="utf-8")
    return {"pilot_start_month": str(start), "monthly_its_log_scale": its}


def _knows_small_area() -> bool:
    """Whether this version's study model has ``analysis.small_area`` (issue 13): only then is the block written."""
    from survey.study.model import Analysis

    return "small_area" in Analysis.model_fields


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin wrapper
    import argparse

    parser = argparse.ArgumentParser(description="Regenerate the demo study's data files")
    parser.add_argument("out_dir", nargs="?", default="data/demo")
    args = parser.parse_args(argv)
    truth = generate(args.out_dir)
    print(json.dumps(truth["planted"]["total"], ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
