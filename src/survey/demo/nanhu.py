"""Generate the second example study, 南湖市 (Nanhu City): one wave, one 问卷星-style numeric export.

Shaped unlike the demo on purpose: five districts, one survey wave (2025), no pilot, no
population margins, a one-stage cluster design (strata = district, PSU = community; a quota
of adults drawn at random within each sampled community) with the design weight in a column
the researchers added to the export, and the instruments PHQ-9, GAD-7, ISI and WHO-5. The
export is laid out as 问卷星's "按序号下载" numeric download: the platform's own columns first,
question-text headers numbered consecutively (matrix sub-questions in brackets), options
numbered from 1 in the questionnaire's order, skipped questions as "(跳过)" or -3.

The generator writes ``raw/nanhu_2025_wjx_numeric.xlsx``, ``districts.csv`` and
``truth.json`` (the finite population's true prevalences by district and overall, and every
planted problem with its count). Same seed, same bytes. Parameters: ``nanhu.yaml``; the
questionnaire's layout and our own paraphrased question texts: ``nanhu_questionnaire.yaml``.

Example
-------
>>> from survey.demo.nanhu import generate                 # doctest: +SKIP
>>> truth = generate("data/nanhu")                          # doctest: +SKIP
>>> truth["planted"]["duplicates"]                          # doctest: +SKIP
9
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from survey.demo import exports
from survey.demo.generate import load_params as load_demo_params
from survey.demo.population import add_demographics, graded_response
from survey.instruments import Instrument, load_instrument

PARAMS_FILE = Path(__file__).with_name("nanhu.yaml")
QUESTIONNAIRE_FILE = Path(__file__).with_name("nanhu_questionnaire.yaml")
INSTRUMENTS = ("phq9", "gad7", "isi", "who5")
#: the indicators the truth file holds, named as survey.score names the 0/1 columns
INDICATORS = ("phq9_positive", "gad7_positive", "isi_positive", "who5_poor_wellbeing", "who5_likely_depression")


def load_params() -> dict:
    with PARAMS_FILE.open(encoding="utf-8") as handle:
        params = yaml.safe_load(handle)
    params["names"] = load_demo_params()["names"]  # the demo's pool of fictional names
    return params


def load_questionnaire() -> dict:
    with QUESTIONNAIRE_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def build_frame(params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """One row per adult: district, community (the PSU), urban flag and demographics."""
    lo, hi = params["design"]["adults_per_community"]
    parts, offset = [], 0
    for d in params["districts"]:
        k = d["communities"]
        sizes = rng.integers(lo, hi + 1, k)
        urban = (rng.random(k) < d["urban_share"]).astype(np.int8)
        community = np.repeat(np.arange(k), sizes)
        codes = np.array([f"{d['code'][:2].upper()}{c + 1:03d}" for c in range(k)])
        parts.append(pd.DataFrame({"district": d["code"], "community": (community + offset).astype(np.int32),
                                   "community_code": codes[community], "urban": urban[community]}))
        offset += k
    frame = pd.concat(parts, ignore_index=True)
    frame["person"] = np.arange(len(frame), dtype=np.int32)
    add_demographics(frame, params, rng)
    frame["marital"] = _marital(frame["age"].to_numpy(), params["marital"], rng)
    return frame


def _marital(age: np.ndarray, spec: dict, rng: np.random.Generator) -> np.ndarray:
    band = np.searchsorted(spec["bands"], age, side="right") - 1
    cumulative = np.cumsum(np.asarray(spec["probabilities"], dtype=float), axis=1)[band]
    return (1 + (rng.random(age.size)[:, None] > cumulative).sum(axis=1)).clip(1, 4).astype(np.int8)


def draw_answers(params: dict, frame: pd.DataFrame, instruments: dict[str, Instrument],
                 seed: int) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """Every adult's item codes (the instruments' own codes) and exact totals."""
    rng = np.random.default_rng([seed, 7])
    lat = params["latent"]
    n = len(frame)
    community_effect = rng.normal(0, lat["community_sd"], int(frame["community"].max()) + 1)[frame["community"]]
    district = {d["code"]: d for d in params["districts"]}
    age, female = frame["age"].to_numpy(), frame["female"].to_numpy()
    urban, edu = frame["urban"].to_numpy(), frame["education"].to_numpy()
    dl = lat["depression"]
    dep = (dl["mean"] + frame["district"].map({k: v["dep"] for k, v in district.items()}).to_numpy()
           + dl["female"] * female + dl["age_18_29"] * (age < 30) + dl["age_60_plus"] * (age >= 60)
           + dl["rural"] * (1 - urban) + dl["low_education"] * (edu <= 2) + community_effect
           + frame["persistent_noise_dep"].to_numpy() + rng.normal(0, np.sqrt(0.4), n))
    anx = lat["anxiety_corr"] * dep + np.sqrt(1 - lat["anxiety_corr"] ** 2) * rng.normal(0, 1, n) + 0.1
    ins = lat["insomnia_corr"] * dep + np.sqrt(1 - lat["insomnia_corr"] ** 2) * rng.normal(0, 1, n) + 0.05 * (age >= 60)
    wl = lat["wellbeing"]
    wellbeing = (wl["mean"] + frame["district"].map({k: v["wellbeing"] for k, v in district.items()}).to_numpy()
                 + wl["depression_loading"] * dep - 0.5 * community_effect + rng.normal(0, np.sqrt(0.5), n))
    thresholds = {
        "phq9": np.sort(rng.normal([0.9, 1.9, 2.6], 0.15, (9, 3)), axis=1) + rng.normal(0, 0.25, (9, 1)),
        "gad7": np.sort(rng.normal([1.0, 2.0, 2.7], 0.15, (7, 3)), axis=1) + rng.normal(0, 0.25, (7, 1)),
        "isi": np.sort(rng.normal([0.0, 1.0, 2.0, 2.8], 0.15, (7, 4)), axis=1) + rng.normal(0, 0.2, (7, 1)),
        "who5": np.sort(rng.normal([-2.3, -1.3, -0.4, 0.5, 1.6], 0.15, (5, 5)), axis=1),
    }
    items: dict[str, np.ndarray] = {}
    scores = pd.DataFrame(index=frame.index)
    for inst_id, theta, slope in (("phq9", dep, 1.7), ("gad7", anx, 1.7), ("isi", ins, 1.5), ("who5", wellbeing, 1.5)):
        ids = instruments[inst_id].item_ids
        for j, item in enumerate(ids):
            items[item] = graded_response(theta, thresholds[inst_id][j], slope, rng)  # code = points here
        scores[f"{inst_id}_total"] = np.sum([items[i] for i in ids], axis=0)
    scores["who5_total"] = scores["who5_total"] * 4  # the percentage score
    return items, scores


def _indicators(scores: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "phq9_positive": scores["phq9_total"] >= 10, "gad7_positive": scores["gad7_total"] >= 10,
        "isi_positive": scores["isi_total"] >= 15, "who5_poor_wellbeing": scores["who5_total"] <= 50,
        "who5_likely_depression": scores["who5_total"] <= 28,
    }).astype(float).assign(phq9_mean=scores["phq9_total"].astype(float),
                            who5_mean=scores["who5_total"].astype(float))


def prevalence_truth(frame: pd.DataFrame, scores: pd.DataFrame) -> dict:
    """Finite-population values by district and for the whole city."""
    out = _indicators(scores)
    table = {k: {c: round(float(v), 8) for c, v in row.items()} for k, row in out.groupby(frame["district"]).mean()
             .iterrows()}
    table["city"] = {c: round(float(v), 8) for c, v in out.mean().items()}
    return table


def draw_sample(frame: pd.DataFrame, params: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Communities by simple random sampling in each district, then a quota of adults at random in each.

    Weight = (communities in the district / sampled) x (adults in the community / sampled).
    """
    lo, hi = params["design"]["adults_sampled_per_community"]
    members = frame.groupby("community").indices
    picked = []
    for d in params["districts"]:
        communities = np.unique(frame.loc[frame["district"] == d["code"], "community"])
        chosen = np.sort(rng.choice(communities, d["sampled"], replace=False))
        for community in chosen:
            people = members[community]
            m = int(rng.integers(lo, hi + 1))
            take = np.sort(rng.choice(people, m, replace=False))
            picked.append(pd.DataFrame({"person": take, "weight": communities.size / chosen.size * people.size / m}))
    chosen = pd.concat(picked, ignore_index=True)
    return frame.iloc[chosen["person"].to_numpy()].reset_index(drop=True).assign(weight=chosen["weight"].to_numpy())


def _export_codes(instrument: Instrument, item: str, codes: np.ndarray) -> np.ndarray:
    """The option number 1..k of each code, in the order the instrument lists its options."""
    lookup = np.zeros(max(instrument.codes(item)) + 1, dtype=np.int64)
    for position, option in enumerate(instrument.options(item), start=1):
        lookup[option.code] = position
    return lookup[codes]


def _ip_addresses(n: int, rng: np.random.Generator) -> pd.Series:
    parts = [pd.Series(rng.integers(lo, hi, n)).astype(str) for lo, hi in ((36, 223), (0, 256), (0, 256), (1, 255))]
    return parts[0].str.cat(parts[1:], sep=".") + "(江南-南湖)"


def _unique_phones(ids: pd.DataFrame, rng: np.random.Generator) -> pd.Series:
    phones = ids["mobile"].copy()
    clash = phones.duplicated().to_numpy()
    while clash.any():  # two respondents never share a number: redraw the last digits of a repeat
        phones[clash] = phones[clash].str[:3] + pd.Series(rng.integers(0, 10**8, clash.sum())).astype(str).str.zfill(
            8).to_numpy()
        clash = phones.duplicated().to_numpy()
    return phones


def write_export(sample: pd.DataFrame, params: dict, questionnaire: dict, instruments: dict[str, Instrument],
                 path: Path, seed: int) -> dict:
    """Write the 问卷星-style workbook; return what was planted, with counts."""
    rng = np.random.default_rng([seed, 21])
    sample = sample.sample(frac=1.0, random_state=np.random.RandomState(seed)).reset_index(drop=True)
    n = len(sample)
    times = exports.field_times(n, params["wave"], rng) + pd.to_timedelta(rng.integers(0, 60, n), unit="s")
    ids = exports.fake_identifiers(sample, params, times, rng)
    phones = _unique_phones(ids, rng)
    number = {d["code"]: d["number"] for d in params["districts"]}
    source = rng.choice(["手机提交", "微信", "链接"], n, p=[0.55, 0.35, 0.10])
    columns = {
        "序号": np.arange(1, n + 1), "提交答卷时间": times,
        "所用时间": pd.Series(rng.integers(150, 1500, n)).astype(str) + "秒",
        "来源": source, "来源详情": np.where(source == "微信", "微信群", "直接访问"),
        "来自IP": _ip_addresses(n, rng), "自定义字段": sample["community_code"].to_numpy(),
    }
    answers = {
        "sex": sample["female"].to_numpy() + 1, "age": sample["age"].to_numpy().astype(np.int64),
        "district": sample["district"].map(number).to_numpy(), "urban": np.where(sample["urban"] == 1, 1, 2),
        "education": sample["education"].to_numpy(), "marital": sample["marital"].to_numpy(),
        "occupation": sample["occupation"].to_numpy(), "phone": phones.to_numpy(),
        "sought_help": np.where(rng.random(n) < 0.03 + 0.10 * (sample["phq9_total"].to_numpy() >= 10), 1, 2),
    }
    pool = np.array(questionnaire["comments"], dtype=object)
    typed = rng.random(n) < params["export"]["comment_share"]
    answers["comments"] = pd.Series(pool[rng.integers(0, pool.size, n)]).where(typed, None).to_numpy()
    item_cols, header_of = [], {}
    number_of_question = 0
    for question in questionnaire["questions"]:
        if question["kind"] != "items":
            number_of_question += 1
            header = f"{number_of_question}、{question['text']}"
            header_of[question["field"]] = header
            columns[header] = answers[question["field"]]
            continue
        inst = instruments[question["instrument"]]
        first = question.get("first", 1)
        for offset, sub in enumerate(question["subs"]):
            number_of_question += 1
            item = inst.item_ids[first - 1 + offset]
            header = f"{number_of_question}、{question['stem']}…({sub})" if question.get("stem") else \
                f"{number_of_question}、{sub}"
            columns[header] = _export_codes(inst, item, sample[item].to_numpy())
            item_cols.append(header)
    columns["权重"] = sample["weight"].round(2).to_numpy()
    table = pd.DataFrame(columns)
    table[item_cols] = table[item_cols].astype(object)

    plan = params["planted"]
    n_missing = plan["blank_items"] + plan["skipped_items"] + plan["minus3_items"]
    table, planted = exports.plant(
        table, {"duplicates": plan["duplicates"], "impossible_ages": plan["impossible_ages"],
                "missing_items": n_missing, "out_of_range_codes": 0, "whitespace_labels": 0},
        item_cols, header_of["age"], "提交答卷时间", "序号", lambda i: i + 1, rng,
        bad_code=lambda col: None, whitespace=False, blank=None)
    cells = [c for c in planted.cells if c["kind"] == "missing_items"]
    markers = ["(跳过)"] * plan["skipped_items"] + [-3] * plan["minus3_items"]  # the rest stay blank
    for marker, k in zip(markers, rng.permutation(len(cells)), strict=False):
        table.iat[cells[k]["row"], table.columns.get_loc(cells[k]["column"])] = marker

    # identifiers typed into the free text, on rows intake keeps (not a duplicate, a possible age)
    age = table[header_of["age"]]
    phone = table[header_of["phone"]]
    keep = (np.arange(len(table)) < n) & age.between(18, 110).to_numpy() & ~phone.duplicated(keep=False).to_numpy()
    k_phone, k_id = plan["phone_in_comments"], plan["id_in_comments"]
    rows = rng.choice(np.flatnonzero(keep), k_phone + k_id, replace=False)
    column = table.columns.get_loc(header_of["comments"])
    for j, row in enumerate(rows):
        text = (questionnaire["phone_comment"].format(phone=phone.iat[row]) if j < k_phone
                else questionnaire["id_comment"].format(id_number=ids["id_number"].iat[row]))
        table.iat[row, column] = text

    table = table.sort_values("提交答卷时间", kind="stable").reset_index(drop=True)
    table["序号"] = np.arange(1, len(table) + 1)
    table["提交答卷时间"] = table["提交答卷时间"].dt.strftime("%Y/%m/%d %H:%M:%S")
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        writer.book.set_properties({"created": datetime(2024, 1, 1)})
        table.to_excel(writer, sheet_name="Sheet1", index=False)
    exports.normalise_xlsx(path)
    return {
        "rows_in_export": int(len(table)),
        "duplicates": planted.duplicates, "impossible_ages": planted.impossible_ages,
        "blank_items": plan["blank_items"], "skipped_items": plan["skipped_items"],
        "minus3_items": plan["minus3_items"],
        "missing_items": n_missing, "phone_in_comments": k_phone, "id_in_comments": k_id,
    }


def generate(out_dir: str | Path, seed: int | None = None) -> dict:
    """Build the population, draw the sample, write the export, districts.csv and truth.json."""
    out_dir = Path(out_dir)
    params = load_params()
    seed = params["seed"] if seed is None else seed
    instruments = {i: load_instrument(i) for i in INSTRUMENTS}
    frame = build_frame(params, np.random.default_rng([seed, 1]))
    items, scores = draw_answers(params, frame, instruments, seed)
    for item, codes in items.items():
        frame[item] = codes
    frame["phq9_total"] = scores["phq9_total"].to_numpy()
    sample = draw_sample(frame, params, np.random.default_rng([seed, 10]))
    year = str(params["wave"]["year"])
    truth = {
        "seed": seed,
        "population_adults": int(len(frame)),
        "adults_by_district": frame.groupby("district").size().astype(int).to_dict(),
        "communities": {d["code"]: {"frame": d["communities"], "sampled": d["sampled"]} for d in params["districts"]},
        "latent_parameters": params["latent"],
        "prevalence": {year: prevalence_truth(frame, scores)},
        "sample": {year: {"respondents": int(len(sample)),
                          "by_district": sample.groupby("district").size().astype(int).to_dict(),
                          "weight_sum_by_district": sample.groupby("district")["weight"].sum().round(2).to_dict()}},
    }
    truth["planted"] = write_export(sample, params, load_questionnaire(), instruments,
                                    out_dir / params["export"]["file"], seed)
    districts = pd.DataFrame([{"code": d["code"], "number": d["number"], "name_zh": d["zh-CN"], "name_en": d["en"],
                               "kind": d["kind"]} for d in params["districts"]])
    districts.to_csv(out_dir / "districts.csv", index=False, encoding="utf-8")
    with (out_dir / "truth.json").open("w", encoding="utf-8") as handle:
        json.dump(truth, handle, ensure_ascii=False, indent=1, sort_keys=True)
        handle.write("\n")
    return truth


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - thin wrapper
    import argparse

    parser = argparse.ArgumentParser(description="Regenerate the 南湖市 example study's data files")
    parser.add_argument("out_dir", nargs="?", default="data/nanhu")
    args = parser.parse_args(argv)
    truth = generate(args.out_dir)
    print(json.dumps(truth["planted"], ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
