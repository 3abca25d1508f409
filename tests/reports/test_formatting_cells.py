"""The report's number formatting, cell by cell, against the pandas string-method version it replaced."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from survey.reports.formatting import MISSING, _number, number


def _reference_number(values: pd.Series, digits: int, signed: bool = False) -> pd.Series:
    values = pd.to_numeric(values, errors="coerce").astype(float)
    scale = 10.0**digits
    rounded = np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale
    text = rounded.map(lambda v: f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}", na_action="ignore")
    text = text.astype("string").str.replace("-", "−", regex=False).str.replace(r"^[+−](0\.0+)$", r"\1", regex=True)
    return text.where(values.notna(), MISSING).astype(object)


def _reference_plain(values: pd.Series, digits: int) -> pd.Series:
    values = pd.to_numeric(values, errors="coerce").astype(float)
    scale = 10.0**digits
    values = np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale
    text = values.map(lambda v: f"{v:,.{digits}f}", na_action="ignore").astype("string")
    return text.where(values.notna(), MISSING).astype(object)


EDGES = [0.0, -0.0, 0.05, -0.05, 0.25, 23.45, -23.45, 0.0004, -0.0004, 1e6 + 0.5, np.nan, np.inf, -np.inf, None]
values = st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.sampled_from(EDGES)),
                  max_size=12)


@settings(max_examples=300, deadline=None)
@given(values, st.integers(0, 3), st.booleans())
def test_numbers_are_written_as_before_cell_by_cell(cells, digits, signed):
    series = pd.Series(cells, dtype=object, index=pd.RangeIndex(len(cells)) * 3)
    assert _number(series, digits, signed).tolist() == _reference_number(series, digits, signed).tolist()
    assert _number(series, digits, signed).index.equals(series.index)
    assert number(series, digits).tolist() == _reference_plain(series, digits).tolist()


def test_text_that_is_not_a_number_is_a_dash():
    series = pd.Series(["12.5", "n/a", None, 3])
    assert _number(series, 1).tolist() == ["12.5", MISSING, MISSING, "3.0"]
    assert _number(pd.Series([-0.04, 0.04, -2.0]), 1, signed=True).tolist() == ["0.0", "0.0", "−2.0"]
