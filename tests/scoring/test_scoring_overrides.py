"""The study's choices: answer keys, cut-offs, norms, rounding, missing-data rule,
eligibility and its columns; the output's shape, dtypes and record of settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import NMHL_OVERRIDES, OVERRIDES, random_answers

from survey.errors import ColumnError, ConfigError
from survey.instruments import load_instrument
from survey.scoring import STATUSES, score, score_summary


def answers(instrument_id: str, rows: list[list], **extra) -> pd.DataFrame:
    items = load_instrument(instrument_id).item_ids
    df = pd.DataFrame([[np.nan if v is None else v for v in row] for row in rows], columns=items, dtype=float)
    for column, values in extra.items():
        df[column] = values
    return df


# --- nmhl keys -------------------------------------------------------------------------

def test_nmhl_refuses_to_score_without_the_judgement_key():
    df = random_answers(["nmhl"], 3, seed=1)
    with pytest.raises(
        ConfigError, match=r"overrides\.nmhl\.key: .*nmhl_j1, nmhl_j2.*nmhl_j13; .*instruments\.nmhl\.key"
    ):
        score(df, ["nmhl"], overrides={"nmhl": {"vignette_keys": NMHL_OVERRIDES["vignette_keys"]}})


def test_nmhl_names_the_judgement_items_still_without_a_key():
    key = dict(NMHL_OVERRIDES["key"])
    del key["nmhl_j7"]
    with pytest.raises(ConfigError, match=r"found none for nmhl_j7;"):
        score(random_answers(["nmhl"], 3, seed=1), ["nmhl"], overrides={"nmhl": {**NMHL_OVERRIDES, "key": key}})


def test_nmhl_refuses_without_vignette_directions():
    vignettes = dict(NMHL_OVERRIDES["vignette_keys"])
    del vignettes["nmhl_vb3"]
    with pytest.raises(ConfigError, match=r"vignette_keys: .*nmhl_vb3"):
        score(
            random_answers(["nmhl"], 3, seed=1),
            ["nmhl"],
            overrides={"nmhl": {**NMHL_OVERRIDES, "vignette_keys": vignettes}},
        )


@pytest.mark.parametrize("bad, message", [
    ({"key": {"nmhl_j1": "maybe"}}, r"key\.nmhl_j1: expected one of \['false', 'true'\]"),
    ({"key": {"nmhl_j1": 7}}, r"key\.nmhl_j1: .*found 7"),
    ({"key": {"nmhl_j14": "true"}}, r"key\.nmhl_j14: expected the published key 'false'"),
    ({"key": {"nmhl_x": "true"}}, r"found unknown \['nmhl_x'\]"),
    ({"key": ["true"]}, r"expected a mapping"),
    ({"vignette_keys": {"nmhl_va1": "yes"}}, r"vignette_keys\.nmhl_va1: expected one of \['agree', 'disagree'\]"),
])
def test_bad_nmhl_keys_are_named(bad, message):
    overrides = {**NMHL_OVERRIDES}
    for name, value in bad.items():
        overrides[name] = {**overrides[name], **value} if isinstance(value, dict) else value
    with pytest.raises(ConfigError, match=message):
        score(random_answers(["nmhl"], 3, seed=1), ["nmhl"], overrides={"nmhl": overrides})


def test_nmhl_key_may_be_given_as_booleans_codes_or_words():
    df = random_answers(["nmhl"], 40, seed=2)
    words = score(df, ["nmhl"], overrides=OVERRIDES)
    booleans = {k: v == "true" for k, v in NMHL_OVERRIDES["key"].items()}   # YAML's unquoted true/false
    codes = {k: 1 if v == "true" else 2 for k, v in NMHL_OVERRIDES["key"].items()}
    for key in (booleans, codes):
        other = score(df, ["nmhl"], overrides={"nmhl": {**NMHL_OVERRIDES, "key": key}})
        pd.testing.assert_frame_equal(words, other, check_like=False)


def test_nmhl_matching_published_keys_may_be_repeated():
    key = {**NMHL_OVERRIDES["key"], "nmhl_j14": "false", "nmhl_j15": True}
    score(random_answers(["nmhl"], 3, seed=1), ["nmhl"], overrides={"nmhl": {**NMHL_OVERRIDES, "key": key}})


# --- cut-offs, norms, rounding, missing rule ----------------------------------------------

def test_epds_cutoff_is_a_study_setting():
    df = answers("epds", [[3, 3, 2, 3, 3, 3, 3, 3, 3, 3], [3, 3, 0, 3, 3, 3, 3, 3, 3, 3]], perinatal=[1, 1])
    assert score(df, ["epds"])["epds_positive"].tolist() == [0, 0]
    assert score(df, ["epds"], overrides={"epds": {"cutoff": 10}})["epds_positive"].tolist() == [1, 1]
    assert score(df, ["epds"], overrides={"epds": {"cutoffs": {"positive": 12}}})["epds_positive"].tolist() == [0, 1]


def test_subscale_cutoffs_can_be_moved_by_name():
    df = answers("phq9", [[2, 1, 0, 0, 0, 0, 0, 0, 0]])
    assert score(df, ["phq9"])["phq9_phq2_positive"].tolist() == [1]
    assert score(df, ["phq9"], overrides={"phq9": {"cutoffs": {"phq2.positive": 4}}})[
        "phq9_phq2_positive"
    ].tolist() == [0]


def test_who5_at_most_cutoffs_keep_their_direction_when_moved():
    df = answers("who5", [[3, 3, 3, 2, 2]])                    # 52
    out = score(df, ["who5"], overrides={"who5": {"cutoffs": {"poor_wellbeing": 52}}})
    assert out["who5_poor_wellbeing"].tolist() == [1]


@pytest.mark.parametrize(
    "instrument_id, bad, message",
    [
        ("epds", {"cutoff": "ten"}, r"overrides\.epds\.cutoff: expected a number"),
        (
            "epds",
            {"cutoffs": {"probable": 13}},
            r"overrides\.epds\.cutoffs\.probable: expected one of \['positive', 'possible'\]",
        ),
        (
            "who5",
            {"cutoff": 40},
            r"overrides\.who5\.cutoff: expected an instrument whose total has a 'positive' cut-off",
        ),
        (
            "zung_sds",
            {"norm": "us_norm"},
            r"overrides\.zung_sds\.norm: expected one of \['chinese_norm', 'zung_original'\]",
        ),
        ("phq9", {"norm": "x"}, r"overrides\.phq9\.norm"),
        (
            "zung_sds",
            {"rounding": "round"},
            r"overrides\.zung_sds\.rounding: expected one of \['none', 'truncate', 'round_half_up'\]",
        ),
        (
            "gad7",
            {"missing": {"rule": "prorate"}},
            r"overrides\.gad7\.missing\.max_missing: expected a whole number from 1 to 6",
        ),
        ("gad7", {"missing": {"rule": "prorate", "max_missing": 7}}, r"found 7"),
        ("gad7", {"missing": "prorate"}, r"overrides\.gad7\.missing: expected"),
        ("gad7", {"cutof": 10}, r"overrides\.gad7\.cutof: expected one of \[.*\], found unknown key 'cutof'"),
        ("ad8", {"eligibility": {"column": "age"}}, r"overrides\.ad8\.eligibility: expected a list"),
        ("ad8", {"eligibility": [{"column": "age"}]}, r"overrides\.ad8\.eligibility\[0\]"),
    ],
)
def test_bad_overrides_are_named(instrument_id, bad, message):
    df = random_answers([instrument_id], 3, seed=1)
    with pytest.raises(ConfigError, match=message):
        score(df, [instrument_id], overrides={instrument_id: bad})


def test_gad7_can_be_prorated_when_the_study_says_so():
    df = answers("gad7", [[2, 2, 2, 2, 2, 2, None], [2, 2, 2, 2, 2, None, None], [2, 2, 2, 2, None, None, None]])
    assert score(df, ["gad7"])["gad7_status"].tolist() == ["not_scorable"] * 3
    out = score(df, ["gad7"], overrides={"gad7": {"missing": {"rule": "prorate", "max_missing": 2}}})
    assert out["gad7_status"].tolist() == ["prorated", "prorated", "not_scorable"]
    assert out["gad7_total"].tolist()[:2] == [14.0, 14.0]
    assert out.attrs["scoring"]["gad7"]["missing"] == {"rule": "prorate", "max_missing": 2}


def test_phq9_prorating_can_be_switched_off_and_rounded():
    df = answers("phq9", [[3, 3, 3, 0, 0, 0, 0, None, None]])
    assert score(df, ["phq9"], overrides={"phq9": {"missing": {"rule": "complete_case"}}})["phq9_status"].tolist() == [
        "not_scorable"
    ]
    rounded = score(df, ["phq9"], overrides={"phq9": {"rounding": "round_half_up"}})
    assert rounded["phq9_total"].tolist() == [12.0]                # 81/7 = 11.57 -> 12


# --- eligibility and its columns -----------------------------------------------------------

def test_eligibility_columns_come_from_the_caller():
    df = answers("ad8", [[1] * 8, [1] * 8]).assign(age_years=[59, 60])
    with pytest.raises(ColumnError, match=r"ad8: eligibility needs the 'age' column, found no column 'age'"):
        score(df, ["ad8"])
    out = score(df, ["ad8"], columns={"age": "age_years"})
    assert out["ad8_status"].tolist() == ["not_eligible", "complete"]


def test_eligibility_rules_can_be_replaced_or_dropped():
    df = answers("ad8", [[1] * 8, [1] * 8], age=[59, 66])
    assert score(df, ["ad8"], overrides={"ad8": {"eligibility": []}})["ad8_status"].tolist() == ["complete"] * 2
    out = score(df, ["ad8"], overrides={"ad8": {"eligibility": [{"column": "age", "min": 65}]}})
    assert out["ad8_status"].tolist() == ["not_eligible", "complete"]


def test_eligibility_accepts_boolean_and_nullable_columns():
    df = answers("epds", [[0] * 10] * 3)
    df["perinatal"] = pd.array([True, False, None], dtype="boolean")
    assert score(df, ["epds"])["epds_status"].tolist() == ["complete", "not_eligible", "not_eligible"]


def test_eligibility_column_must_be_numeric():
    df = answers("epds", [[0] * 10]).assign(perinatal=["yes"])
    with pytest.raises(ColumnError, match=r"epds: eligibility column 'perinatal': expected numbers"):
        score(df, ["epds"])


# --- the output ------------------------------------------------------------------------------

def test_index_is_kept_and_no_row_is_dropped():
    df = random_answers(["phq9", "ad8"], 30, seed=4, blank=0.2, invalid=0.05)
    df.index = [f"R{i:03d}" for i in range(30)][::-1]
    out = score(df, ["phq9", "ad8"])
    assert out.index.equals(df.index)
    assert out["phq9_status"].notna().all() and out["ad8_status"].notna().all()


def test_dtypes_of_the_output():
    out = score(random_answers(["phq9"], 10, seed=5), ["phq9"])
    assert list(out["phq9_status"].cat.categories) == list(STATUSES)
    assert out["phq9_band"].cat.ordered
    assert list(out["phq9_band"].cat.categories) == ["minimal", "mild", "moderate", "moderately severe", "severe"]
    assert out["phq9_total"].dtype == np.float64
    assert str(out["phq9_positive"].dtype) == "Int8" and str(out["phq9_flag_selfharm"].dtype) == "Int8"


def test_chinese_band_labels():
    out = score(random_answers(["isi"], 10, seed=5), ["isi"], language="zh-CN")
    assert list(out["isi_band"].cat.categories) == [
        "无临床意义的失眠",
        "亚临床失眠",
        "临床失眠（中度）",
        "临床失眠（重度）",
    ]
    with pytest.raises(ConfigError, match=r"language: expected one of \['en', 'zh-CN'\], found 'zh'"):
        score(random_answers(["isi"], 1, seed=5), ["isi"], language="zh")


def test_settings_are_recorded():
    out = score(
        random_answers(["epds", "zung_sds", "nmhl"], 5, seed=6),
        ["epds", "zung_sds", "nmhl"],
        overrides={
            "epds": {"cutoff": 10},
            "zung_sds": {"norm": "zung_original", "rounding": "round_half_up"},
            **OVERRIDES,
        },
    )
    record = out.attrs["scoring"]
    assert record["epds"]["cutoffs"]["positive"] == {"at_least": 10.0}
    assert record["epds"]["eligibility"] == [{"role": "perinatal", "equals": 1}]
    assert record["zung_sds"]["norm"] == "zung_original" and record["zung_sds"]["rounding"] == "round_half_up"
    assert record["zung_sds"]["cutoffs"]["positive"] == {"at_least": 50}
    assert record["nmhl"]["key"]["nmhl_j14"] == 2 and record["nmhl"]["vignette_keys"]["nmhl_vb3"] == "disagree"


def test_several_instruments_at_once_equal_one_at_a_time():
    ids = ["phq9", "gad7", "isi", "ad8", "epds", "nmhl"]
    df = random_answers(ids, 60, seed=7, blank=0.05, invalid=0.01)
    together = score(df, ids, overrides=OVERRIDES)
    apart = pd.concat([score(df, [i], overrides=OVERRIDES) for i in ids], axis=1)
    pd.testing.assert_frame_equal(together, apart)


def test_instrument_objects_and_ids_are_interchangeable():
    df = random_answers(["gad7"], 20, seed=8)
    pd.testing.assert_frame_equal(score(df, ["gad7"]), score(df, [load_instrument("gad7")]))
    pd.testing.assert_frame_equal(score(df, ["gad7"]), score(df, "gad7"))


def test_overrides_for_unknown_instruments_fail_but_unscored_library_ones_are_ignored():
    df = random_answers(["gad7"], 3, seed=8)
    score(df, ["gad7"], overrides={"epds": {"cutoff": 10}})
    with pytest.raises(ConfigError, match=r"overrides: expected instrument ids, found unknown \['gad8'\]"):
        score(df, ["gad7"], overrides={"gad8": {}})
    with pytest.raises(ConfigError, match=r"instruments: expected each instrument once"):
        score(df, ["gad7", "gad7"])


# --- score_summary -----------------------------------------------------------------------------

def test_score_summary_counts_every_status():
    df = answers("phq9", [[1] * 9, [1] * 8 + [None], [1] * 6 + [None] * 3, [5] + [1] * 8, [1] * 9])
    table = score_summary(score(df, ["phq9"]), "phq9")
    assert table["status"].tolist() == [*STATUSES, "total"]
    assert table["n"].tolist() == [2, 1, 1, 0, 1, 5]
    assert table["percent"].tolist() == [40.0, 20.0, 20.0, 0.0, 20.0, 100.0]
    assert score_summary(score(df, ["phq9"]), load_instrument("phq9"))["n"].tolist() == table["n"].tolist()
    with pytest.raises(ColumnError, match=r"expected a column 'gad7_status'.*found status columns \['phq9_status'\]"):
        score_summary(score(df, ["phq9"]), "gad7")
