"""Identifiers out of the processed data by construction, and checked after writing.

Three rules, applied by intake to every input:

* a column declared under ``pii:`` is dropped or pseudonymised, never carried (the study
  loader refuses a column that is both a ``pii:`` column and a variable);
* free-text columns (``type: text``) are scanned for mainland mobile and resident ID numbers;
  matches are masked (``pii.free_text: mask``, the default) or the free-text columns are left
  out (``pii.free_text: drop``); every match is a line of the validation report;
* any other column holding such a number (an ID number typed into the age field) has that
  cell set missing, with a report line showing the masked value.

After intake writes its files, :func:`check_written` reads them back and looks for every raw
identifier value and for anything shaped like a mobile or ID number; only when none is found
does the summary say the identifiers were removed.

Example
-------
>>> masked, hits = mask_free_text(pd.Series(["电话13512345000", "无"]))
>>> masked.tolist(), hits.tolist()
(['电话135****5000', '无'], [True, False])
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import SurveyError
from survey.instruments import normalise_label
from survey.masking import identifier_cells, mask_series, mask_text

#: Columns intake writes that hold keyed hashes: hex digests, never checked for digit patterns.
PSEUDONYM_SUFFIX = "_key"
_DIGIT_RUNS = re.compile(r"[0-9０-９Xx*]{6,}")


class IdentifierLeakError(SurveyError):
    """A written output still holds a personal identifier: nothing was put in place."""


def mask_free_text(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Free text with mobile and ID numbers masked, and which cells had one."""
    return mask_series(values)


def identifier_in_field(values: pd.Series) -> np.ndarray:
    """Cells of a non-text column (numbers, categories, dates, answers) that hold a mobile or ID number."""
    return identifier_cells(values)


def _normalised(values: pd.Series) -> set[str]:
    present = values.dropna().to_numpy(dtype=object)
    if pd.api.types.infer_dtype(present, skipna=False) == "string":  # text already: its distinct values
        distinct = pd.unique(present)
    else:
        distinct = pd.unique(values.dropna().astype(object).astype(str))
    folded = {normalise_label(v).upper() for v in distinct}
    folded.discard("")
    return folded


def _meaningful(value: str) -> bool:
    """Values worth looking for: not a short number (a row number, a code), not a single character."""
    return len(value) >= 2 and not (value.isdigit() and len(value) < 7)


def raw_identifier_values(identifiers: list[pd.Series], others: list[pd.Series]) -> set[str]:
    """Distinct normalised values of the raw identifier columns that no other raw column also holds.

    A value like "无" typed into a name field is not an identifier of anyone when the comments
    column holds it too; phone and ID numbers are caught by their shape wherever they are.
    """
    values: set[str] = set()
    for series in identifiers:
        values.update(v for v in _normalised(series) if _meaningful(v))
    if not values:
        return values
    for series in others:
        values -= _normalised(series)
    return values


def _column_texts(series: pd.Series) -> pd.Series:
    """The column's distinct values as text (whole numbers also without '.0'), as Python objects."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    distinct = pd.Series(series.dropna().unique())
    if pd.api.types.is_bool_dtype(distinct) or pd.api.types.is_datetime64_any_dtype(distinct):
        return pd.Series([], dtype=object)
    if pd.api.types.is_integer_dtype(distinct):
        return pd.Series([str(v) for v in distinct], dtype=object)
    if pd.api.types.is_numeric_dtype(distinct):
        numbers = distinct.astype(float).to_numpy()
        whole = numbers[np.isfinite(numbers) & (numbers % 1 == 0) & (np.abs(numbers) < 1e18)]
        texts = [str(int(v)) for v in whole] + [str(v) for v in numbers]
        return pd.Series(texts, dtype=object)
    return pd.Series(distinct.astype(str).to_numpy(dtype=object), dtype=object)


def _leak_in(texts: pd.Series, raw: set[str]) -> str | None:
    """A masked example of an identifier in ``texts`` (exact raw value or identifier shape), or None."""
    if texts.empty:
        return None
    shaped = identifier_cells(texts)
    if shaped.any():
        return str(mask_text(texts[shaped].iloc[0]))
    if raw:
        exact = np.fromiter((normalise_label(t).upper() in raw for t in texts), bool, len(texts))
        if exact.any():
            value = str(texts[exact].iloc[0])
            return value[:1] + "*" * max(len(value) - 1, 1)
    return None


def check_frame(frame: pd.DataFrame, raw: set[str], where: str) -> None:
    """Raise IdentifierLeakError naming the file and column where an identifier is found."""
    for column in frame.columns:
        if str(column).endswith(PSEUDONYM_SUFFIX):
            continue
        example = _leak_in(_column_texts(frame[column]), raw)
        if example is not None:
            raise IdentifierLeakError(
                f"{where}: column {column!r} still holds a personal identifier (e.g. {example}) after "
                "de-identification; nothing was written. Declare the column under `pii:` or as free text "
                "(`type: text`), and report this as a bug if it is already")


def check_text(text: str, raw: set[str], where: str) -> None:
    """Raise IdentifierLeakError if a text output holds an identifier shape or a raw identifier of 6+ characters."""
    example = _leak_in(pd.Series([text]), set())
    if example is None and raw:
        tokens = pd.Series(_DIGIT_RUNS.findall(text), dtype=object)
        example = _leak_in(tokens, {r for r in raw if len(r) >= 6})
    if example is not None:
        raise IdentifierLeakError(f"{where}: still holds a personal identifier (e.g. {mask_text(example)}); "
                                  "nothing was written; report this as a bug")


def check_written(files: dict[str, Path], raw: set[str]) -> None:
    """Read back each written file (Parquet, CSV, Markdown/text) and check it holds no identifier.

    ``files`` maps the name the user will see to the (temporary) path holding the content.
    """
    for name, path in files.items():
        suffix = Path(name).suffix.lower()
        if suffix == ".parquet":
            check_frame(pd.read_parquet(path), raw, name)
        elif suffix == ".csv":
            check_frame(pd.read_csv(path, dtype=str, keep_default_na=False), raw, name)
        else:
            check_text(Path(path).read_text(encoding="utf-8"), raw, name)
