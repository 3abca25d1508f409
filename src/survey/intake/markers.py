"""Missing-value markers in a data file read as it is (``survey estimate``): R's ``NA``, SAS's ``.``.

Readers return every cell as text and empty cells as missing. Other software writes a missing
number as a word or a sign: R's ``write.csv`` writes ``NA``, SAS and Stata exports ``.``. Such a
marker means "missing" only when the user says so (``survey estimate --na NA``), as R's
``read.csv(na.strings = ...)`` does; undeclared text in a column that must hold numbers stops
with a one-line error naming the file, the column and the file's row numbers.

A study declares the same per input in ``study.yaml`` (``missing_values: ["NA", "."]``), which
intake records cell by cell in its validation report.

Example
-------
>>> import pandas as pd
>>> data = pd.DataFrame({"chol": ["1", "NA", " . ", None]})
>>> blank_markers(data, ["NA", "."])["chol"].tolist()
['1', None, None, None]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from survey.errors import InputFileError, example_rows

#: Formats whose first data row is the file's row 2 (row 1 holds the headers).
_HEADER_ROW_FORMATS = (".csv", ".txt", ".xlsx", ".xlsm")


def _is_text(series: pd.Series) -> bool:
    """Text cells: object columns and pandas' string columns (what typed CSV readers give text in)."""
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def blank_markers(data: pd.DataFrame, markers: Sequence[str]) -> pd.DataFrame:
    """``data`` with every text cell equal to one of ``markers`` (white space ignored) set missing.

    The comparison is exact otherwise (``NA`` is not ``na``), as R's ``na.strings``. An empty
    marker is allowed and changes nothing: readers already read empty cells as missing.
    R: ``read.csv(file, na.strings = c("NA", "."))``.
    """
    wanted = {str(m).strip() for m in markers} - {""}
    if not wanted:
        return data
    out = data.copy()
    for column in out.columns:
        series = out[column]
        if not _is_text(series):
            continue
        hit = series.str.strip().isin(wanted)
        out[column] = series.where(~hit, None)
    return out


def file_rows(path: Path, index: pd.Index) -> list[int]:
    """Row numbers as the user sees them in the file (spreadsheets and CSV: the header is row 1)."""
    offset = 2 if Path(path).suffix.lower() in _HEADER_ROW_FORMATS else 1
    return [int(i) + offset for i in index]


def check_numbers(data: pd.DataFrame, columns: Sequence[str], *, path: Path, markers: Sequence[str] = (),
                  option: str = "--na") -> None:
    """Stop when a column that must hold numbers holds other text (after ``markers`` are blanked).

    The error is one line: the file, the column, the first such text, the file rows, and how to
    declare the text as missing when that is what it means.
    """
    for column in dict.fromkeys(c for c in columns if c in data.columns):
        series = data[column]
        if not _is_text(series):
            continue
        stripped = series.str.strip().fillna(series)  # cells that are numbers already stay as they are
        numbers = pd.to_numeric(stripped, errors="coerce")
        bad = numbers.isna() & series.notna()
        if not bad.any():
            continue
        value = str(stripped[bad].iloc[0])
        same = bad & (stripped.astype(str) == value)
        others = int((bad & ~same).sum())
        other = f" (other text in {others} more row{'s' if others > 1 else ''})" if others else ""
        declared = f"; declared markers: {', '.join(repr(m) for m in markers)}" if markers else ""
        raise InputFileError(
            f"{path}: column {column!r}: expected numbers, found {value!r} in file "
            f"{example_rows(file_rows(path, series.index[same]))}{other}{declared}; if {value!r} means "
            f"missing, pass {option} {value}"
        )
