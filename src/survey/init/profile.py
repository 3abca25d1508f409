"""What each column of an export holds, as far as drafting a configuration needs to know.

A profile never keeps cell values that could identify anyone: it records counts, whether the
values are numbers (and which small whole numbers occur), how many distinct values there are,
the no-answer marks found, and whether most values look like mobile or resident ID numbers.
The distinct *labels* of a column are kept only when they are few and none looks like an
identifier (they are matched to answer labels and category levels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.init.headers import Header, parse_header
from survey.instruments import normalise_label
from survey.intake.readers import RawTable

#: cell texts platforms write for "no answer", in the order a draft lists them
MISSING_MARKS = ("(跳过)", "(空)", "(未填)", "-3", "-2")
_NUMERIC_MARKS = {"-3", "-2"}
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")
MAX_LABELS = 15


@dataclass
class ColumnProfile:
    header: Header                            # parsed from the column's label (SPSS) or else its name
    position: int
    n: int                                    # non-blank cells, marks excluded
    marks: tuple[str, ...]                    # no-answer marks found in the column
    numeric: bool                             # every remaining cell is a number
    counts: dict[int, int] = field(default_factory=dict)  # whole number -> cells, when numeric and few
    minimum: float | None = None
    maximum: float | None = None
    distinct: int = 0
    labels: tuple[str, ...] = ()              # distinct texts of a text column with few values
    identifier: str | None = None             # 'phone' or 'id_number' when most cells look like one
    value_labels: dict[str, str] = field(default_factory=dict)
    column: str = ""                          # the column's name in the file

    @property
    def name(self) -> str:
        return self.column or self.header.text

    @property
    def codes(self) -> bool:
        """Whole numbers with few distinct values: answer codes, not measurements."""
        return self.numeric and bool(self.counts) and self.distinct <= 12


def _identifier(text: pd.Series) -> str | None:
    if text.empty:
        return None
    stripped = text.str.strip()
    for kind, pattern in (("id_number", ID_NUMBER), ("phone", PHONE)):
        if stripped.str.fullmatch(pattern.pattern).mean() >= 0.5:
            return kind
    return None


def profile_column(header: str, position: int, cells: pd.Series, value_labels: dict | None = None,
                   label: str | None = None) -> ColumnProfile:
    """Profile one column of text cells (None where empty), as the readers return them; ``label`` is an
    SPSS variable label, read in place of the header where the file has one."""
    present = cells.dropna().astype(str)
    stripped = present.str.strip()
    marked = stripped.isin(MISSING_MARKS)
    values = stripped[~marked & (stripped != "")]
    numbers = pd.to_numeric(values, errors="coerce")
    numeric = bool(len(values)) and numbers.notna().all()
    marks = tuple(m for m in MISSING_MARKS if (stripped == m).any())
    if not numeric:
        # "-3" in a text column is an answer, not a mark
        marks = tuple(m for m in marks if m not in _NUMERIC_MARKS)
        values = stripped[~stripped.isin(marks) & (stripped != "")]
    # distinct answers as intake reads them: white space and full-width forms do not make a new one
    distinct = values.nunique() if numeric else pd.Series(pd.unique(values)).map(normalise_label).nunique()
    out = ColumnProfile(header=parse_header(label or header), position=position, n=int(len(values)), marks=marks,
                        numeric=numeric, distinct=int(distinct), value_labels=dict(value_labels or {}),
                        column=header)
    out.identifier = _identifier(values)
    if numeric:
        out.minimum, out.maximum = float(numbers.min()), float(numbers.max())
        whole = np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0)
        if whole and out.distinct <= 50:
            out.counts = {int(k): int(v) for k, v in numbers.value_counts().sort_index().items()}
    elif out.distinct <= MAX_LABELS and out.identifier is None and not values.str.contains(PHONE.pattern).any() \
            and not values.str.contains(ID_NUMBER.pattern).any():
        out.labels = tuple(sorted(values.unique()))
    return out


def profile_table(table: RawTable) -> list[ColumnProfile]:
    """One profile per column, in the file's order."""
    return [profile_column(name, i, table.data[name], table.value_labels.get(name),
                           (table.variable_labels.get(name) or "").strip() or None)
            for i, name in enumerate(table.data.columns)]
