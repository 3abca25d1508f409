"""map_codes hands back the numbers it parsed, so the shifted-codes check does not parse the column again."""

from __future__ import annotations

import pandas as pd

from survey.intake import mapping


def test_map_codes_returns_its_parsed_numbers_without_a_recode():
    text = pd.Series([" 1", "2 ", None, "7", "0"], dtype=object)
    rows = pd.Series(range(2, 7))
    converted = mapping.map_codes(text, {0, 1, 2, 3}, where="f.csv: column 'q1'", rows=rows)
    expected = pd.to_numeric(text.str.strip(), errors="coerce")
    pd.testing.assert_series_equal(converted.numbers, expected)
    assert converted.values.isna().tolist() == [False, False, True, True, False]


def test_with_a_recode_there_are_no_export_numbers_to_hand_back():
    text = pd.Series(["1", "2"], dtype=object)
    converted = mapping.map_codes(text, {0, 1}, where="f.csv: column 'q1'", rows=pd.Series([2, 3]),
                                  recode={1: 0, 2: 1})
    assert converted.numbers is None
    assert converted.values.tolist() == [0.0, 1.0]
