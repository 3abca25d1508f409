"""Reliability of a scale overall and by group: the table the scoring step writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from survey.errors import ColumnError, example_rows
from survey.results import Result
from survey.scoring.reliability.alpha import EmptyRows, _alpha_from_matrix, _check_ci, _count_empty
from survey.scoring.reliability.floor_ceiling import _check_score_range, floor_ceiling
from survey.scoring.reliability.matrices import CIMethod, MissingPolicy, _item_matrix
from survey.scoring.reliability.omega_one import _omega_from_matrix

# ---------------------------------------------------------------------------------------
# entry point: overall and by group
# ---------------------------------------------------------------------------------------

_FRAME_COLUMNS = [
    "scope", "alpha", "std_alpha", "ase", "ci_low", "ci_high", "ci_method", "ci_level",
    "omega_total", "average_r", "n", "n_items", "n_scored", "floor_share", "ceiling_share", "notes",
]


@dataclass(frozen=True)
class ReliabilityResult(Result):
    """Reliability of one scale, overall and by group; see :func:`reliability`."""

    table: pd.DataFrame = field(repr=False)
    item_stats: pd.DataFrame = field(repr=False)
    items: tuple[str, ...]
    by: tuple[str, ...]
    missing: str
    ci_level: float
    ci_method: str

    def to_frame(self) -> pd.DataFrame:
        """One row per group (the overall row first): see :func:`reliability` for the columns."""
        return self.table.copy()

    def title(self) -> str:
        method = {"feldt": "Feldt", "duhachek": "Duhachek (ase)"}[self.ci_method]
        return (f"Reliability of {len(self.items)} items ({', '.join(self.items)}); missing = "
                f"{self.missing}; alpha CI: {self.ci_level:.0%} {method}; omega total: one-factor minres")

    def summary(self) -> str:
        """A readable table: alpha with its interval, omega, n and floor/ceiling per group."""
        t = self.table
        shown = pd.DataFrame({col: t[col] for col in self.by})
        if self.by:
            for col in self.by:
                shown[col] = shown[col].astype(object).where(t["scope"] != "overall", "(all)")
        shown["n"] = t["n"]
        shown["alpha"] = t["alpha"].map(lambda v: f"{v:.3f}")
        shown["ci"] = [f"[{lo:.3f}, {hi:.3f}]" for lo, hi in zip(t["ci_low"], t["ci_high"], strict=True)]
        shown["omega_total"] = t["omega_total"].map(lambda v: "-" if pd.isna(v) else f"{v:.3f}")
        if t["floor_share"].notna().any():
            shown["floor"] = t["floor_share"].map(lambda v: "-" if pd.isna(v) else f"{v:.1%}")
            shown["ceiling"] = t["ceiling_share"].map(lambda v: "-" if pd.isna(v) else f"{v:.1%}")
        lines = [self.title(), shown.to_string(index=False)]
        notes = [(i, n) for i, n in enumerate(t["notes"]) if n]
        for i, note in notes:
            label = (
                "overall" if t["scope"].iat[i] == "overall"
                else ", ".join(f"{c}={t[c].iat[i]}" for c in self.by)
            )
            lines.append(f"note ({label}): {note}")
        return "\n".join(lines)


def _one_group(
    x_all: pd.DataFrame, *, missing: str, level: float, ci_method: str, score_range: tuple[float, float] | None,
    empty_rows: str,
) -> tuple[dict, pd.DataFrame]:
    n_empty = _count_empty(x_all, missing, empty_rows, "reliability")
    x, names = _item_matrix(x_all, missing=missing, min_items=2, caller="reliability")
    alpha = _alpha_from_matrix(x, names, missing=missing, level=level, ci_method=ci_method, caller="reliability",
                               n_empty=n_empty, empty_rows=empty_rows)
    notes = list(alpha.notes)
    negative = alpha.item_stats.loc[alpha.item_stats["r_drop"] < 0, "item"].tolist()
    if negative:
        notes.append(
            "alpha: negative item-rest correlation for " + ", ".join(negative)
            + " (reverse-keyed item not reversed?)"
        )
    if len(names) >= 3:
        omega = _omega_from_matrix(x, names, missing=missing, flip=True, caller="reliability")
        omega_value = omega.omega_total
        notes.extend(omega.notes)
    else:
        omega_value = np.nan
        notes.append("omega: not computed, a one-factor model needs at least 3 items")
    fc = floor_ceiling(x_all, score_range) if score_range is not None else None
    row = {
        "alpha": alpha.raw_alpha, "std_alpha": alpha.std_alpha, "ase": alpha.ase,
        "ci_low": alpha.ci_low, "ci_high": alpha.ci_high, "ci_method": ci_method, "ci_level": level,
        "omega_total": omega_value, "average_r": alpha.average_r, "n": alpha.n,
        "n_items": alpha.n_items,
        "n_scored": fc.n_scored if fc else pd.NA,
        "floor_share": fc.floor_share if fc else np.nan,
        "ceiling_share": fc.ceiling_share if fc else np.nan,
        "notes": "; ".join(notes),
    }
    return row, alpha.item_stats


def reliability(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    score_range: tuple[float, float] | None = None,
    level: float = 0.95,
    ci_method: CIMethod = "feldt",
    missing: MissingPolicy = "pairwise",
    empty_rows: EmptyRows = "drop",
    overall: bool = True,
    group_errors: Literal["raise", "record"] = "raise",
) -> ReliabilityResult:
    """Alpha (with CI), omega total and floor/ceiling shares of a scale, overall and by group.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    items : list of str
        The scale's item columns, already keyed (reverse-keyed items reversed).
    by : str or list of str, optional
        Grouping columns (e.g. ``"district"``); every group gets its own row. Rows with a
        missing group value are an error.
    score_range : (low, high), optional
        Possible range of the sum score; gives ``floor_share``/``ceiling_share`` (NaN and
        ``n_scored`` missing when not given).
    level, ci_method, missing
        As :func:`cronbach_alpha`: confidence level and interval (``"feldt"`` or ``"duhachek"``)
        of alpha, and the missing-data policy.
    empty_rows : {"drop", "count"}, default "drop"
        As :func:`cronbach_alpha`; when respondents with no answer are dropped (where psych
        would count them) the row's ``notes`` say so instead of a warning.
    overall : bool, default True
        Add a row for all respondents together (``scope == "overall"``).
    group_errors : {"raise", "record"}, default "raise"
        What to do when a group cannot be analysed (e.g. an item is constant within a small
        district): raise, or record the error in that row's ``notes`` with NaN statistics.

    Returns
    -------
    ReliabilityResult
        ``to_frame()``: the ``by`` columns, ``scope`` ("overall"/"group"), ``alpha`` (raw),
        ``std_alpha``, ``ase``, ``ci_low``, ``ci_high``, ``ci_method``, ``ci_level``,
        ``omega_total`` (NaN with a note for 2 items), ``average_r``, ``n``, ``n_items``,
        ``n_scored``, ``floor_share``, ``ceiling_share``, ``notes``.
        ``item_stats``: the ``by`` columns, ``scope`` and the :func:`item_statistics`
        columns, one row per group x item. ``summary()``: a readable table.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"district": ["a"] * 4 + ["b"] * 4,
    ...                    "q1": [0, 1, 2, 3, 0, 1, 3, 3], "q2": [0, 2, 2, 3, 1, 1, 2, 3],
    ...                    "q3": [1, 1, 3, 3, 0, 2, 2, 3]})
    >>> res = reliability(df, ["q1", "q2", "q3"], by="district", score_range=(0, 9))
    >>> res.to_frame()[["district", "scope", "alpha", "n", "ceiling_share"]].round(3)
      district    scope  alpha  n  ceiling_share
    0      NaN  overall  0.923  8           0.25
    1        a    group  0.939  4           0.25
    2        b    group  0.918  4           0.25

    R: ``psych::alpha(df[, items])``; by group ``by(df[, items], df$district, psych::alpha)``.
    """
    if not isinstance(data, pd.DataFrame):
        raise ColumnError(f"reliability: expected a DataFrame, found {type(data).__name__}")
    items = [items] if isinstance(items, str) else list(items)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    absent = [c for c in [*items, *by_cols] if c not in data.columns]
    if absent:
        raise ColumnError(f"reliability: columns not in the data: {', '.join(map(str, absent))}")
    if group_errors not in ("raise", "record"):
        raise ColumnError(f"reliability: group_errors must be 'raise' or 'record'; found {group_errors!r}")
    _check_ci(level, ci_method)
    _count_empty(data.iloc[:0], missing, empty_rows, "reliability")
    if score_range is not None:
        score_range = _check_score_range(score_range)
    for col in by_cols:
        blank = data.index[data[col].isna()]
        if len(blank):
            raise ColumnError(
                f"reliability: grouping column {col} is missing at {example_rows(blank)}; "
                "fill or drop those rows first"
            )

    parts: list[tuple[dict, pd.DataFrame | None]] = []
    groups: list[tuple[dict, pd.DataFrame]] = []
    if overall or not by_cols:
        groups.append(({"scope": "overall", **{c: pd.NA for c in by_cols}}, data[items]))
    if by_cols:
        for key, sub in data.groupby(by_cols, sort=True, observed=True):
            key = key if isinstance(key, tuple) else (key,)
            groups.append(({"scope": "group", **dict(zip(by_cols, key, strict=True))}, sub[items]))
    for label, sub in groups:
        try:
            row, item_table = _one_group(
                sub, missing=missing, level=level, ci_method=ci_method, score_range=score_range,
                empty_rows=empty_rows,
            )
        except ColumnError as err:
            if group_errors == "raise":
                where = (
                    "overall" if label["scope"] == "overall"
                    else ", ".join(f"{c}={label[c]}" for c in by_cols)
                )
                raise ColumnError(f"{err} [group: {where}]") from None
            row = {col: np.nan for col in _FRAME_COLUMNS if col != "scope"}
            row.update(
                ci_method=ci_method, ci_level=level, n=len(sub), n_items=len(items),
                n_scored=pd.NA, notes=str(err),
            )
            item_table = None
        parts.append(({**label, **row}, item_table))

    table = pd.DataFrame([p[0] for p in parts], columns=[*by_cols, *_FRAME_COLUMNS])
    for col in by_cols:
        if pd.api.types.is_integer_dtype(data[col]) or pd.api.types.is_bool_dtype(data[col]):
            table[col] = table[col].astype("Int64" if pd.api.types.is_integer_dtype(data[col]) else "boolean")
    table["n_scored"] = table["n_scored"].astype("Int64")
    table["n"] = table["n"].astype("Int64")
    item_frames = [
        item_table.assign(**{c: row[c] for c in [*by_cols, "scope"]})[
            [*by_cols, "scope", *item_table.columns]
        ]
        for row, item_table in parts if item_table is not None
    ]
    item_stats = pd.concat(item_frames, ignore_index=True) if item_frames else pd.DataFrame()
    for col in by_cols:
        if col in item_stats and col in table and str(table[col].dtype) in ("Int64", "boolean"):
            item_stats[col] = item_stats[col].astype(table[col].dtype)
    return ReliabilityResult(
        table=table, item_stats=item_stats, items=tuple(items), by=tuple(by_cols),
        missing=missing, ci_level=float(level), ci_method=ci_method,
    )
