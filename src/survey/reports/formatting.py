"""Numbers as a report shows them: percentages with their 95% CI, changes in points, marks.

Publication flags (from :mod:`survey.estimation.publication`) become the marks of
:mod:`survey.reports.marks`: a suppressed estimate is replaced by ``‡``, a cell that does not
apply (n = 0) by ``—``; a published one keeps its value followed by the mark of the rule that
fired (``†`` footnote, ``§`` df < 8, ``¶`` p = 0 or 1, ...). :func:`survey.reports.marks.legend`
explains the marks a table holds.

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"estimate": [0.2345, 0.05], "ci_low": [0.21, 0.01], "ci_high": [0.26, 0.2],
...                   "flag": ["present", "suppress"]})
>>> percent_with_ci(t).tolist()
['23.5 (21.0–26.0)', '‡']
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from survey.reports.marks import NOT_APPLICABLE, SUPPRESSED, with_marks

CAUTION = "†"
MISSING = "–"
CAUTION_FLAGS = ("footnote", "review")
__all__ = ["CAUTION", "MISSING", "NOT_APPLICABLE", "SUPPRESSED", "ci_side", "number", "percent", "percent_with_ci",
           "points_with_ci", "with_n"]


def _half_up(values, digits: int) -> np.ndarray:
    """Round halves away from zero, as readers expect (23.45 -> 23.5), despite binary floats."""
    scale = 10.0**digits
    with np.errstate(over="ignore", invalid="ignore"):  # as pandas: a huge value becomes inf, not a warning
        return np.sign(values) * np.floor(np.abs(values) * scale + 0.5 + 1e-9) / scale


_SIGNED_ZERO = re.compile(r"^[+−](0\.0+)$")


def _floats(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    return pd.to_numeric(values, errors="coerce").astype(float).to_numpy(), values.index


def _number(values: pd.Series, digits: int, signed: bool = False) -> pd.Series:
    """Numbers as text, half up, with a minus sign (not a hyphen) and no ``-0.0``; missing values as a dash.

    The cells of a report's table are few: formatting them one by one is faster than pandas' string methods.
    """
    floats, index = _floats(values)
    spec = f"{'+' if signed else ''}.{digits}f"
    cells = [MISSING if np.isnan(v) else _SIGNED_ZERO.sub(r"\1", format(r, spec).replace("-", "−"))
             for v, r in zip(floats, _half_up(floats, digits).tolist(), strict=True)]
    return pd.Series(cells, index=index, dtype=object)


def number_text(value, digits: int = 1, signed: bool = False, scale: float = 1.0) -> str:
    """One number as :func:`_number` writes it (half up, minus sign, no ``-0.0``), without a Series.

    >>> number_text(0.2345, 1, scale=100), number_text(-0.0004, 1, signed=True, scale=100)
    ('23.5', '0.0')
    """
    try:
        value = float(value) * scale
    except (TypeError, ValueError):
        return MISSING
    if not np.isfinite(value):
        return MISSING
    factor = 10.0**digits
    rounded = float(np.sign(value) * np.floor(abs(value) * factor + 0.5 + 1e-9) / factor)
    text = f"{rounded:+.{digits}f}" if signed else f"{rounded:.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":
        text = text.lstrip("+-")
    return text.replace("-", "−")


def percent(values: pd.Series, digits: int = 1) -> pd.Series:
    """Proportions as percentages (``0.2345`` -> ``'23.5'``); missing values as a dash."""
    return _number(pd.to_numeric(values, errors="coerce") * 100, digits)


def percent_with_ci(table: pd.DataFrame, digits: int = 1, flag: str | None = "flag") -> pd.Series:
    """``estimate (ci_low–ci_high)`` in percent, with the publication marks of ``flag`` (and ``flag_reason``).

    With ``n`` in the table, a cell with n = 0 shows ``—`` (not applicable).
    """
    est = percent(table["estimate"], digits)
    low, high = percent(table["ci_low"], digits), percent(table["ci_high"], digits)
    has_ci = table["ci_low"].notna() & table["ci_high"].notna()
    text = est.where(~has_ci, est + " (" + low + "–" + high + ")")
    text = text.where(table["estimate"].notna(), MISSING)
    if flag and flag in table.columns:
        shown = table.rename(columns={flag: "flag"}) if flag != "flag" else table
        text = with_marks(text, shown)
    return text.astype(object)


def with_n(cells: pd.Series, n: pd.Series) -> pd.Series:
    """A cell followed by its sample size (``23.5 (21.0–26.0); n=612``); ``—`` and ``‡`` stay alone."""
    alone = cells.isin([NOT_APPLICABLE, SUPPRESSED, MISSING])
    counts = number(n)
    return cells.where(alone, cells.astype(str) + "; n=" + counts.astype(str)).astype(object)


def points_with_ci(table: pd.DataFrame, digits: int = 1, scale: float = 100) -> pd.Series:
    """A difference with its CI, signed (``+3.2 (−0.5, 6.9)``); ``scale=100`` gives percentage points."""
    est = _number(table["estimate"] * scale, digits, signed=True)
    low = _number(table["ci_low"] * scale, digits)
    high = _number(table["ci_high"] * scale, digits)
    has_ci = table["ci_low"].notna() & table["ci_high"].notna()
    text = est.where(~has_ci, est + " (" + low + ", " + high + ")")
    return text.where(table["estimate"].notna(), MISSING).astype(object)


def number(values: pd.Series, digits: int = 0) -> pd.Series:
    """Plain numbers with thousands separators (``12,345``); missing values as a dash."""
    floats, index = _floats(values)
    spec = f",.{digits}f"
    cells = [MISSING if np.isnan(v) else format(r, spec) for v, r in zip(floats, _half_up(floats, digits).tolist(),
                                                                          strict=True)]
    return pd.Series(cells, index=index, dtype=object)


def ci_side(table: pd.DataFrame, reference: pd.Series | float) -> pd.Series:
    """``above``/``below`` where the CI lies wholly above/below ``reference``, else ``overlaps``."""
    low, high = table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float)
    ref = np.asarray(reference, dtype=float)
    side = np.where(low > ref, "above", np.where(high < ref, "below", "overlaps"))
    side = np.where(np.isnan(low) | np.isnan(high) | np.isnan(ref), "unknown", side)
    return pd.Series(side, index=table.index)
