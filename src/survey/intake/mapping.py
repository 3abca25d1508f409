"""Mapping of export cells to the workspace's codes: categories, numbers, dates and item answers.

Each function takes one source column (text cells, ``None`` where empty) and returns the
converted values plus the cells it had to change or could not interpret, so the caller can
record every change in the validation report. Text that matches no known label is an error
(a mapping the study must declare), never a silent missing value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ColumnError, example_rows
from survey.instruments import normalise_label
from survey.masking import shown

_SPACE = re.compile(r"[\s\u3000\u00a0]")


@dataclass
class Converted:
    """Converted values and the masks of cells the conversion touched."""

    values: pd.Series
    blank: np.ndarray                  # empty in the source
    invalid: np.ndarray                # present but not acceptable (out of range, not a number)
    trimmed: np.ndarray                # accepted after removing stray white space
    separators: np.ndarray | None = None  # numbers read after removing thousands separators ("1,759.679")
    numbers: pd.Series | None = None   # map_codes without a recode: every cell's number, before the range check


def has_stray_space(text: pd.Series) -> np.ndarray:
    """Cells with white space before, after or inside the text (including U+3000 and NBSP)."""
    index, distinct = pd.factorize(text)
    stray = np.array([bool(_SPACE.search(str(value))) for value in distinct] + [False])
    return stray[index]


def level_lookup(levels: list[dict]) -> dict[str, object]:
    """Normalised code, alias and label (en, zh-CN) to the level's code."""
    lookup: dict[str, object] = {}
    for level in levels:
        for value in (level["code"], *level.get("aliases", []), *level.get("en", []), *level.get("zh-CN", [])):
            lookup[normalise_label(value)] = level["code"]
    return lookup


def map_labels(text: pd.Series, lookup: dict[str, object], *, where: str, rows: pd.Series) -> Converted:
    """Map text to codes through ``lookup``; unknown text raises a ColumnError naming examples."""
    # a column holds few distinct labels: normalise and look up each once
    index, distinct = pd.factorize(text)
    blank = index < 0
    mapped = [lookup.get(normalise_label(value)) for value in distinct]
    numeric = all(isinstance(m, (int, float, np.integer)) for m in mapped if m is not None)
    table = np.array([np.nan if m is None else m for m in mapped] + [np.nan], dtype=float if numeric else object)
    codes = pd.Series(table[index], index=text.index)
    unknown = ~blank & codes.isna().to_numpy()
    if unknown.any():
        found = shown(text[unknown])
        raise ColumnError(f"{where}: expected one of the declared labels, found {found} in "
                          f"{example_rows(rows[unknown])}; add the label to the instrument or to "
                          "`label_variants` / the variable's levels in study.yaml")
    trimmed = has_stray_space(text) & ~blank
    return Converted(values=codes, blank=blank, invalid=np.zeros(len(text), bool), trimmed=trimmed)


def map_codes(text: pd.Series, valid: set, *, where: str, rows: pd.Series,
              recode: dict[int, int] | None = None) -> Converted:
    """Numeric codes: non-numbers raise; numbers outside ``valid`` are returned as invalid (missing).

    With ``recode`` (export code -> instrument code, from the input's ``code_base``/``code_maps``)
    the export's codes are translated first; export codes it does not list are invalid.
    """
    blank = text.isna().to_numpy()
    numbers = pd.to_numeric(text.str.strip(), errors="coerce")
    not_number = ~blank & numbers.isna().to_numpy()
    if not_number.any():
        found = shown(text[not_number])
        raise ColumnError(f"{where}: expected numeric codes, found {found} in {example_rows(rows[not_number])}; "
                          "if this export holds text answers set `answers: labels` for the input, or list "
                          "no-answer texts under its `missing_values`")
    if recode is not None:
        numbers = numbers.map({float(k): float(v) for k, v in recode.items()}).astype(float)
        invalid = ~blank & numbers.isna().to_numpy()
    else:
        invalid = ~blank & ~numbers.isin(list(valid)).to_numpy()
    values = numbers.where(~invalid)
    return Converted(values=values, blank=blank, invalid=invalid, trimmed=np.zeros(len(text), bool),
                     numbers=numbers if recode is None else None)


def missing_markers(text: pd.Series, markers: tuple[str, ...]) -> np.ndarray:
    """Cells whose text is one of ``markers`` (compared as answer labels are: NFKC, no white space, casefold)."""
    if not markers:
        return np.zeros(len(text), bool)
    folded = {normalise_label(m) for m in markers}
    numbers = {n for n in map(_as_number, folded) if n is not None}
    index, distinct = pd.factorize(text)
    hit = np.array([normalise_label(value) in folded or (bool(numbers) and _as_number(normalise_label(value))
                                                          in numbers) for value in distinct] + [False])
    return hit[index]


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def map_value_labels(text: pd.Series, value_labels: dict[str, str], lookup: dict[str, object], *,
                     where: str, rows: pd.Series) -> Converted:
    """SPSS-style codes: translate each code through the file's value labels, then map the label."""
    blank = text.isna().to_numpy()
    labels = text.str.strip().map(value_labels)
    invalid = ~blank & labels.isna().to_numpy()
    mapped = map_labels(labels.where(~invalid), lookup, where=f"{where} (value labels)", rows=rows)
    return Converted(values=mapped.values, blank=blank, invalid=invalid, trimmed=np.zeros(len(text), bool))


_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(?:[,，][0-9]{3})+(?:\.[0-9]+)?$")


def to_number(text: pd.Series, *, integer: bool, minimum=None, maximum=None) -> Converted:
    """Numbers; non-numbers, infinities and values outside [minimum, maximum] are invalid (missing).

    Thousands separators are read (``1,759.679`` is 1759.679) and reported as fixed.
    """
    blank = text.isna().to_numpy()
    stripped = text.str.strip()
    separators = stripped.str.match(_THOUSANDS).eq(True).to_numpy()
    if separators.any():
        stripped = stripped.where(~separators, stripped.str.replace(r"[,，]", "", regex=True))
    numbers = pd.to_numeric(stripped, errors="coerce")
    numbers = numbers.where(np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan)))
    bad = ~blank & numbers.isna().to_numpy()
    if integer:
        bad |= ~blank & ~bad & (numbers % 1 != 0).to_numpy()
    if minimum is not None:
        bad |= (numbers < minimum).to_numpy()
    if maximum is not None:
        bad |= (numbers > maximum).to_numpy()
    values = numbers.where(~bad)
    values = values.astype("Int64") if integer else values.astype("Float64")
    return Converted(values=values, blank=blank, invalid=bad, trimmed=np.zeros(len(text), bool),
                     separators=separators & ~bad)


def to_datetime(text: pd.Series) -> Converted:
    blank = text.isna().to_numpy()
    values = pd.to_datetime(text.str.strip(), errors="coerce", format="mixed")
    invalid = ~blank & values.isna().to_numpy()
    return Converted(values=values, blank=blank, invalid=invalid, trimmed=np.zeros(len(text), bool))
