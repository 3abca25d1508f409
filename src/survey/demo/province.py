"""A fictional province of N counties: the demo generator's parameters for a provincial CDC's survey.

``survey generate-demo OUT --districts N`` builds the same kind of study as the demo (two
waves, the same three exports and planted problems, a pilot, truth), for N generated counties
instead of the demo city's eight districts. What changes is only the parameters handed to the
demo's generator: county names (fictional, generated from syllables; three-syllable stems so
that they are not real places), sizes, latent offsets, sample sizes and which counties are in
the pilot or sent an SPSS file. Every county-level choice is drawn from the seed; the
parameters in ``province.yaml`` say how.

County samples vary from about 150 to about 3,000 respondents per wave (so that some counties
fail the publication rule), by the number of streets/towns drawn and the households drawn per
community. County latent offsets (depression, literacy) are linear in three county covariates
plus noise, and the covariates are written to ``county_covariates.csv`` for the small-area
model (issue 13): ``urban_share``, ``share_aged_60plus`` (realised in the synthetic
population) and ``counsellors_per_10k``.

Example
-------
>>> from survey.demo.generate import generate          # doctest: +SKIP
>>> truth = generate("/tmp/province", districts=100)    # doctest: +SKIP
>>> len(truth["county_covariates"])                     # doctest: +SKIP
100
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

PROVINCE_FILE = Path(__file__).with_name("province.yaml")
STUDY_TEMPLATE = Path(__file__).with_name("province_study.yaml")
COVARIATES_FILE = "county_covariates.csv"


def load_province() -> dict:
    with PROVINCE_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def county_names(n: int, rng: np.random.Generator, syllables: dict) -> list[tuple[str, str]]:
    """``n`` unique (Chinese stem, pinyin stem) pairs of three syllables, unique in both scripts."""
    pools = [syllables["first"], syllables["second"], syllables["third"]]
    capacity = int(np.prod([len(p) for p in pools]))
    if n > capacity // 4:
        raise ValueError(f"--districts: expected at most {capacity // 4} counties, found {n}")
    names: list[tuple[str, str]] = []
    seen_zh, seen_en = set(), set()
    while len(names) < n:
        picks = [pool[int(rng.integers(0, len(pool)))] for pool in pools]
        zh = "".join(p.split()[0] for p in picks)
        en = "".join(p.split()[1] for p in picks)
        if zh in seen_zh or en in seen_en:
            continue
        seen_zh.add(zh)
        seen_en.add(en)
        names.append((zh, en))
    return names


def province_params(params: dict, n: int, seed: int) -> dict:
    """The demo generator's parameters (``city.yaml``'s shape) for a province of ``n`` counties."""
    if n < 2:
        raise ValueError(f"--districts: expected at least 2 counties, found {n}")
    spec = load_province()
    rng = np.random.default_rng([seed, 60])
    out = copy.deepcopy(params)
    out["city"] = spec["province"]
    out["design"].update(spec["design"])
    names = county_names(n, rng, spec["syllables"])
    kinds = np.where(rng.random(n) < spec["share_urban_districts"], "district", "county")
    urban = np.where(kinds == "district", rng.uniform(*spec["urban_share"]["district"], n),
                     rng.uniform(*spec["urban_share"]["county"], n)).round(2)
    counsellors = np.exp(rng.normal(np.log(spec["counsellors_per_10k"]["median"]),
                                    spec["counsellors_per_10k"]["log_sd"], n)).round(2)
    # sample sizes: log-uniform between the bounds, the two extremes always present
    lo, hi = spec["sample_per_wave"]
    target = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    target[rng.permutation(n)[:2]] = [lo, hi]
    psus = np.clip(np.round(target / spec["respondents_per_psu"]), 4, spec["max_psus_sampled"]).astype(int)
    households = np.clip(np.round(target / (psus * out["design"]["communities_per_psu_sampled"]
                                            * spec["expected_response"])), 8, None).astype(int)
    minor = np.maximum(2, np.round(psus * np.minimum(urban, 1 - urban)).astype(int))
    major = psus - minor
    psu_mean = float(np.mean(spec["design"]["adults_per_psu"]))
    need = np.maximum(minor / np.minimum(urban, 1 - urban), major / np.maximum(urban, 1 - urban)) * psu_mean * 1.3
    adults = np.maximum(need, np.exp(rng.normal(np.log(spec["adults"]["median"]), spec["adults"]["log_sd"], n)))
    adults = (np.round(adults, -3)).astype(int)
    coef = spec["latent_from_covariates"]
    log_c = np.log(counsellors / spec["counsellors_per_10k"]["median"])
    county = (kinds == "county").astype(float)
    dep = (coef["depression"]["rural_share"] * (1 - urban) + coef["depression"]["log_counsellors"] * log_c
           + coef["depression"]["county"] * county + coef["depression"]["intercept"]
           + rng.normal(0, coef["depression"]["noise_sd"], n)).round(3)
    lit = (coef["literacy"]["rural_share"] * (1 - urban) + coef["literacy"]["log_counsellors"] * log_c
           + coef["literacy"]["intercept"] + rng.normal(0, coef["literacy"]["noise_sd"], n)).round(3)
    pilot = np.zeros(n, dtype=bool)
    pilot[rng.permutation(n)[:max(1, round(n * spec["share_pilot"]))]] = True
    districts = []
    for k in range(n):
        zh, en = names[k]
        suffix = ("区", "District") if kinds[k] == "district" else ("县", "County")
        districts.append({
            "code": en, "number": k + 1, "zh-CN": zh + suffix[0], "en": f"{en.capitalize()} {suffix[1]}",
            "kind": str(kinds[k]), "adults": int(adults[k]), "urban_share": float(urban[k]),
            "region": f"99{1000 + k:04d}", "dep": float(dep[k]), "lit": float(lit[k]), "pilot": bool(pilot[k]),
            "psus_sampled": {"major": int(major[k]), "minor": int(minor[k])},
            "households_per_community": int(households[k]), "counsellors_per_10k": float(counsellors[k]),
        })
    out["districts"] = districts
    sav = rng.permutation(n)[:max(1, round(n * spec["share_spss_2024"]))]
    out["export"] = {"sav_districts_2024": [districts[k]["code"] for k in sorted(sav)]}
    scale = n / len(params["districts"])
    out["planted"] = {export: {kind: int(round(count * scale)) for kind, count in plan.items()}
                      for export, plan in params["planted"].items()}
    return out


def county_covariates(frame: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The county covariate table: code, urban share, share aged 60+ (2023 population), counsellors per 10,000."""
    older = (frame["age"] >= 60).groupby(frame["district"]).mean()
    table = pd.DataFrame([{"code": d["code"], "urban_share": d["urban_share"],
                           "counsellors_per_10k": d["counsellors_per_10k"]} for d in params["districts"]])
    table["share_aged_60plus"] = table["code"].map(older).round(4)
    return table[["code", "urban_share", "share_aged_60plus", "counsellors_per_10k"]]


def write_study(out_dir: Path, params: dict, *, small_area: bool) -> Path:
    """Write the province's study.yaml from the template (the demo's configuration with the province's names)."""
    from string import Template

    pilot = [d["code"] for d in params["districts"] if d["pilot"]]
    text = Template(STUDY_TEMPLATE.read_text(encoding="utf-8")).substitute(
        n=len(params["districts"]), city_en=params["city"]["en"], city_zh=params["city"]["zh-CN"],
        pilot="[" + ", ".join(pilot) + "]", n_pilot=len(pilot),
    )
    if small_area:
        text += SMALL_AREA_BLOCK
    path = out_dir / "study.yaml"
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


#: The study's small-area block (issue 13): written when the study model knows ``analysis.small_area``.
SMALL_AREA_BLOCK = """  small_area:                 # county estimates where direct samples are small (Fay-Herriot)
    covariates: county_covariates.csv
    variables: [urban_share, share_aged_60plus, counsellors_per_10k]
    indicators: [depression, anxiety, literacy]
"""
