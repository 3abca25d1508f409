"""Sample profile and item missingness: counts add up, weights are used, blanks classified."""

from __future__ import annotations

import pandas as pd
import pytest

from survey.errors import ColumnError
from survey.intake.profile import item_missingness, sample_profile


def test_sample_profile_counts_add_up_within_each_wave_and_missing_is_a_level():
    df = pd.DataFrame({"wave": [1, 1, 1, 2, 2], "sex": ["f", "m", None, "f", "f"], "w": [1.0, 3.0, 4.0, 2.0, 2.0]})
    table = sample_profile(df, "sex", weight="w", within="wave")
    assert table["n"].sum() == len(df)
    assert table.groupby("wave")["percent"].sum().tolist() == pytest.approx([100.0, 100.0], abs=0.2)
    wave1 = table[table["wave"] == 1]
    assert wave1.loc[wave1["sex"] == "m", "weighted_percent"].item() == 37.5
    assert wave1["sex"].isna().sum() == 1


def test_sample_profile_names_absent_columns():
    with pytest.raises(ColumnError, match="sample_profile: columns not in the data: age_band"):
        sample_profile(pd.DataFrame({"sex": [1]}), "age_band")


def test_item_missingness_classifies_respondents():
    items = {f"gad7_{i}": [1, None, None] for i in range(1, 8)}
    items["gad7_1"] = [1, 2, None]
    table = item_missingness(pd.DataFrame(items), ["gad7"]).iloc[0]
    assert (table["none blank"], table["some blank"], table["all blank"]) == (1, 1, 1)


def test_study_labels_codes_in_both_languages(demo_ingested):
    study = demo_ingested.study
    frame = pd.DataFrame({"district": ["yunxi"], "sex": [2.0], "education": [None]})
    assert study.labelled(frame).iloc[0].tolist()[:2] == ["Yunxi County", "female"]
    assert study.labelled(frame, lang="zh").iloc[0].tolist()[:2] == ["云溪县", "女"]
    assert pd.isna(study.labelled(frame).iloc[0]["education"])
