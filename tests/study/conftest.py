"""A small study shaped unlike the demo: one wave, three districts, PSU = community, no pilot, no margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

CONFIG = {
    "id": "small",
    "title": {"en": "A small one-wave survey", "zh-CN": "小型单轮调查"},
    "waves": [2025],
    "districts": "districts.csv",
    "inputs": [{"id": "wave2025", "file": "raw/export.csv", "wave": 2025, "answers": "codes",
                "columns": {"id": "respondent_id", "area": "district", "comm": "community", "w": "weight",
                            "sex": "sex", "age": "age",
                            **{f"phq{i}": f"phq9_{i}" for i in range(1, 10)},
                            **{f"gad{i}": f"gad7_{i}" for i in range(1, 8)}}}],
    "variables": {
        "respondent_id": {"type": "text", "required": True},
        "district": {"type": "category", "levels_from": "districts", "required": True},
        "community": {"type": "integer", "min": 1, "required": True},
        "weight": {"type": "number", "min": 0.0001, "invalid": "reject", "required": True},
        "sex": {"type": "category", "levels": [{"code": 1, "en": ["male"], "zh-CN": ["男"]},
                                               {"code": 2, "en": ["female"], "zh-CN": ["女"]}]},
        "age": {"type": "integer", "min": 18, "max": 100, "invalid": "reject"},
    },
    "instruments": {"phq9": None, "gad7": None},
    "design": {"strata": ["district"], "psu": "community", "weight": "weight",
               "psu_label": {"en": "communities", "zh-CN": "社区"}},
    "district_column": "district",
    "indicators": [
        {"id": "depression", "column": "phq9_positive",
         "label": {"en": "Depressive symptoms (PHQ-9 >= 10)", "zh-CN": "抑郁症状筛查阳性率"}},
        {"id": "anxiety", "column": "gad7_positive",
         "label": {"en": "Anxiety symptoms (GAD-7 >= 10)", "zh-CN": "焦虑症状筛查阳性率"}},
    ],
    "subgroups": ["sex"],
}


def write_small_study(folder, seed: int = 5, districts: int = 3, communities: int = 6, per_community: int = 20):
    """Write the small study (config, district table, one CSV export of codes) into ``folder``."""
    rng = np.random.default_rng(seed)
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    codes = [f"d{k + 1}" for k in range(districts)]
    pd.DataFrame({"code": codes, "number": range(1, districts + 1),
                  "name_zh": [f"第{k + 1}区" for k in range(districts)],
                  "name_en": [f"District {k + 1}" for k in range(districts)]}).to_csv(folder / "districts.csv",
                                                                                      index=False)
    n = districts * communities * per_community
    district = np.repeat(codes, communities * per_community)
    community = np.repeat(np.arange(1, districts * communities + 1), per_community)
    severity = rng.normal(0, 1, n) + rng.normal(0, 0.3, districts * communities).repeat(per_community)
    frame = pd.DataFrame({"id": [f"r{i:04d}" for i in range(n)], "area": district, "comm": community,
                          "w": np.round(rng.uniform(50, 150, districts * communities).repeat(per_community), 3),
                          "sex": rng.integers(1, 3, n), "age": rng.integers(18, 90, n)})
    for prefix, k in (("phq", 9), ("gad", 7)):
        for i in range(1, k + 1):
            frame[f"{prefix}{i}"] = np.clip(np.round(severity + rng.normal(0.6, 0.9, n)), 0, 3).astype(int)
    frame.to_csv(folder / "raw" / "export.csv", index=False)
    (folder / "study.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder / "study.yaml"


@pytest.fixture
def small_study(tmp_path):
    """The path of the small study's study.yaml in a fresh folder (outputs go to its reports/)."""
    return write_small_study(tmp_path / "small")
