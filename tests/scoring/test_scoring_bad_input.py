"""Bad input: out-of-range codes become a row status (or a clear error on request), missing
and non-numeric columns are named; never a crash or a silent NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import OVERRIDES, random_answers

from survey.errors import ColumnError, ConfigError
from survey.instruments import load_instrument
from survey.scoring import score

PHQ9 = load_instrument("phq9").item_ids


def phq9_rows(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=PHQ9, dtype=float)


@pytest.mark.parametrize("bad", [4, -1, 1.5, 99, np.inf, -np.inf, 127, 128, 255, 1e12])
def test_out_of_range_codes_make_the_row_invalid(bad):
    df = phq9_rows([1] * 9, [bad] + [1] * 8, [1] * 9)
    out = score(df, ["phq9"])
    assert out["phq9_status"].tolist() == ["complete", "invalid", "complete"]
    assert out["phq9_total"].isna().tolist() == [False, True, False]
    assert out["phq9_phq2"].isna().tolist() == [False, True, False]
    assert out["phq9_flag_selfharm"].tolist() == [1, 1, 1]          # item 9 itself is valid
    assert out.attrs["scoring"]["phq9"]["invalid_cells"] == {"phq9_1": 1}


def test_an_invalid_flag_item_leaves_the_flag_unknown():
    out = score(phq9_rows([0] * 8 + [7]), ["phq9"])
    assert out["phq9_status"].tolist() == ["invalid"]
    assert out["phq9_flag_selfharm"].isna().all()


def test_errors_raise_names_column_codes_and_rows():
    df = phq9_rows([1] * 9, [1] * 9, [1] * 2 + [4] + [1] * 6, [1] * 2 + [9] + [1] * 6)
    df.index = [101, 102, 103, 104]
    with pytest.raises(
        ColumnError,
        match=r"^phq9: column phq9_3: expected response codes \[0, 1, 2, 3\], found \[4\.0, 9\.0\] in rows 103, 104$",
    ):
        score(df, ["phq9"], errors="raise")
    with pytest.raises(ConfigError, match=r"errors: expected 'status' or 'raise', found 'ignore'"):
        score(df, ["phq9"], errors="ignore")


def test_invalid_codes_of_ineligible_respondents_are_ignored():
    df = pd.DataFrame([[7] + [0] * 7] * 2, columns=load_instrument("ad8").item_ids, dtype=float).assign(age=[40, 70])
    assert score(df, ["ad8"])["ad8_status"].tolist() == ["not_eligible", "invalid"]
    with pytest.raises(ColumnError, match="rows? 1$"):
        score(df, ["ad8"], errors="raise")


def test_missing_item_columns_are_named():
    df = phq9_rows([1] * 9).drop(columns=["phq9_3", "phq9_7"])
    with pytest.raises(
        ColumnError,
        match=r"^phq9: expected the item columns phq9_1\.\.phq9_9 \(9 items\), found none named phq9_3, phq9_7$",
    ):
        score(df, ["phq9"])


@pytest.mark.parametrize(
    "values, found", [(["好几天"], "str"), ([True], "bool"), ([pd.Timestamp("2024-01-01")], "datetime")]
)
def test_non_numeric_item_columns_are_named(values, found):
    df = phq9_rows([1] * 9)
    df["phq9_4"] = pd.Series(values)
    with pytest.raises(
        ColumnError, match=rf"phq9: column phq9_4: expected numeric response codes, found dtype {found}"
    ):
        score(df, ["phq9"])


def test_duplicated_item_columns_are_named():
    df = pd.concat([phq9_rows([1] * 9), phq9_rows([2] * 9)[["phq9_2"]]], axis=1)
    with pytest.raises(ColumnError, match=r"expected one column per item, found \['phq9_2'\] more than once"):
        score(df, ["phq9"])


def test_not_a_data_frame():
    with pytest.raises(ColumnError, match="expected a pandas DataFrame"):
        score([[1] * 9], ["phq9"])


def test_empty_frame_gives_empty_output_with_all_columns():
    out = score(phq9_rows()[:0], ["phq9"])
    assert len(out) == 0 and "phq9_total" in out.columns


def test_an_all_blank_item_makes_every_row_not_scorable_for_complete_case():
    df = random_answers(["isi"], 20, seed=3, blank=0)
    df["isi_4"] = np.nan
    out = score(df, ["isi"])
    assert (out["isi_status"] == "not_scorable").all() and out["isi_total"].isna().all()


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "Int8", "Int16", "Int64", "Float64"])
def test_every_numeric_dtype_gives_the_same_scores(dtype):
    """The same codes held in any numeric dtype score the same as float64 with NaN blanks."""
    ids = ["phq9", "ad8", "nmhl", "k10"]
    integer = dtype[0] in "iuI"
    blanks = 0.0 if dtype in ("int64", "int8", "uint8") else 0.05        # plain integers cannot hold a blank
    df = random_answers(ids, 200, seed=11, blank=blanks, invalid=0.02)
    items = [i for inst in ids for i in load_instrument(inst).item_ids]
    if integer:
        df[items] = df[items].where(df[items] % 1 == 0, 99)                # 1.5 cannot be held: another invalid code
    if dtype == "uint8":
        df[items] = df[items].where(df[items] >= 0, 200)
    converted = df.astype({item: dtype for item in items})
    as_float = converted.astype({item: "float64" for item in items})
    assert (as_float[items].isna().to_numpy() == df[items].isna().to_numpy()).all()
    scored = score(converted, ids, overrides=OVERRIDES)
    pd.testing.assert_frame_equal(scored, score(as_float, ids, overrides=OVERRIDES))
    assert (scored[[f"{i}_status" for i in ids]] == "invalid").any().all()
