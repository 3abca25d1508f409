"""EPDS answer labels in the original wording, GDS-15 eligibility, K6 in the 1-5 coding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.errors import ConfigError
from survey.instruments import load_instrument
from survey.intake.mapping import map_labels
from survey.intake.readers import read_table
from survey.scoring import score, score_summary

EPDS = load_instrument("epds")

# Cox et al. 1987's options of items 5 and 6 (first to last option), and the Chinese version's.
ITEM5_EN = ["Yes, quite a lot", "Yes, sometimes", "No, not much", "No, not at all"]
ITEM6_EN = ["Yes, most of the time I haven't been able to cope at all",
            "Yes, sometimes I haven't been coping as well as usual",
            "No, most of the time I have coped quite well", "No, I have been coping as well as ever"]
ITEM6_ZH = ["大多数时候我都不能应付", "有时候我不能像平时那样应付得好", "大部分时候我都能像平时那样应付得好",
            "我一直像平时那样应付得好"]


def _text_export(tmp_path, language: str, codes: list[list[int]]) -> pd.DataFrame:
    """A platform's text export: one column per item, each answer the option's original wording."""
    rows = []
    for answer_codes in codes:
        row = {}
        for item, code in zip(EPDS.item_ids, answer_codes, strict=True):
            option = next(o for o in EPDS.options(item) if o.code == code)
            row[item] = option.original_en if language == "en" else option.original_zh
        rows.append(row)
    path = tmp_path / f"epds_{language}.csv"
    pd.DataFrame(rows).to_csv(path, index=False, encoding="utf-8")
    return read_table(path).data


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_epds_text_export_in_the_original_wording_is_read_and_scored(tmp_path, language):
    codes = [[0, 0, 3, 0, 3, 3, 3, 3, 3, 3], [3, 3, 0, 3, 0, 0, 0, 0, 0, 0], [1, 2, 1, 2, 1, 2, 1, 2, 1, 1]]
    text = _text_export(tmp_path, language, codes)
    rows = pd.Series(np.arange(len(text)) + 2)
    mapped = pd.DataFrame({item: map_labels(text[item], EPDS.label_map(item), where=item, rows=rows).values
                           for item in EPDS.item_ids})
    assert mapped.astype(int).to_numpy().tolist() == codes
    mapped["perinatal"] = 1
    scored = score(mapped, ["epds"])
    # items 1, 2, 4 score their code; items 3 and 5-10 score 3 - code
    assert scored["epds_total"].tolist() == [0, 30, 1 + 2 + 2 + 2 + 2 + 1 + 2 + 1 + 2 + 2]


def test_epds_items_5_and_6_accept_the_original_options_and_todays_variants():
    for item, originals in (("epds_5", ITEM5_EN), ("epds_6", ITEM6_EN), ("epds_6", ITEM6_ZH)):
        lookup = EPDS.label_map(item)
        assert [lookup[_fold(label)] for label in originals] == [0, 1, 2, 3]
    lookup = EPDS.label_map("epds_5")
    todays = ["Yes, most of the time", "有时这样", "Not very often", "No, never"]
    assert [lookup[_fold(v)] for v in todays] == [0, 1, 2, 3]
    # typographic apostrophe, as word processors type it
    assert EPDS.label_map("epds_6")[_fold("Yes, sometimes I haven’t been coping as well as usual")] == 1


def test_every_epds_item_has_its_own_original_options():
    for item in EPDS.item_ids:
        options = EPDS.options(item)
        assert [o.code for o in options] == [0, 1, 2, 3]
        assert all(o.original_en and o.original_zh for o in options), item


def test_a_label_standing_for_two_codes_is_refused(tmp_path):
    import yaml

    from survey.instruments import read_instrument_file
    from survey.paths import INSTRUMENTS_DIR

    spec = yaml.safe_load((INSTRUMENTS_DIR / "k6.yaml").read_text(encoding="utf-8"))
    spec["response_sets"]["frequency_30d_0_4"][1]["zh-CN"].append("没有")
    path = tmp_path / "k6.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="expected each label to mean one code, found '没有' for codes 0 and 1"):
        read_instrument_file(path)


def _fold(label: str) -> str:
    from survey.instruments import normalise_label

    return normalise_label(label)


# --- GDS-15: older adults -------------------------------------------------------------------

def _gds(ages, **overrides):
    items = load_instrument("gds15").item_ids
    answers = [0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1]  # 15 points
    df = pd.DataFrame([answers] * len(ages), columns=items, dtype=float)
    df["age"] = ages
    return score(df, ["gds15"], overrides={"gds15": overrides} if overrides else None)


def test_gds15_does_not_score_a_30_year_old_and_says_why():
    scored = _gds([30.0, 72.0])
    assert scored["gds15_status"].tolist() == ["not_eligible", "complete"]
    assert np.isnan(scored["gds15_total"].iloc[0]) and scored["gds15_total"].iloc[1] == 15
    assert scored.attrs["scoring"]["gds15"]["eligibility"] == [{"role": "age", "min": 60}]
    summary = score_summary(scored, "gds15").set_index("status")
    assert summary.loc["not_eligible", "n"] == 1


def test_gds15_age_rule_is_the_study_setting():
    assert _gds([30.0], eligibility=[{"column": "age", "min": 18}])["gds15_status"].tolist() == ["complete"]
    assert _gds([62.0], eligibility=[{"column": "age", "min": 65}])["gds15_status"].tolist() == ["not_eligible"]
    assert _gds([30.0], eligibility=[])["gds15_total"].tolist() == [15]


# --- K6: the 1-5 coding -----------------------------------------------------------------------

def test_k6_one_to_five_export_scores_as_the_0_to_4_convention():
    items = load_instrument("k6").item_ids
    one_to_five = pd.DataFrame(np.random.default_rng(5).integers(1, 6, size=(200, 6)), columns=items)
    as_exported = score(one_to_five, ["k6"], overrides={"k6": {"coding": "kessler_1_5"}})
    recoded = score(one_to_five - 1, ["k6"])
    pd.testing.assert_series_equal(as_exported["k6_total"], recoded["k6_total"])
    assert (as_exported["k6_total"] == one_to_five.sum(axis=1) - 6).all()
    assert as_exported.attrs["scoring"]["k6"]["coding"] == "kessler_1_5"


def test_k6_coding_is_declared_in_the_file_and_checked():
    assert load_instrument("k6").spec["codings"]["kessler_1_5"]["map"] == {1: 0, 2: 1, 3: 2, 4: 3, 5: 4}
    items = load_instrument("k6").item_ids
    df = pd.DataFrame([[1] * 6], columns=items)
    with pytest.raises(ConfigError, match=r"coding.*expected one of \['kessler_1_5'\].*found '1-5'"):
        score(df, ["k6"], overrides={"k6": {"coding": "1-5"}})
    with pytest.raises(ConfigError, match="coding.*expected one of \\[\\]"):
        score(pd.DataFrame([[0] * 9], columns=load_instrument("phq9").item_ids), ["phq9"],
              overrides={"phq9": {"coding": "kessler_1_5"}})
