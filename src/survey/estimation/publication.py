"""Which estimates may be published: NCHS 2017 and other suppression rules.

Every rule set takes the domain table of :func:`~survey.estimation.estimate` (or an
:class:`~survey.estimation.EstimateResult`) and returns it with two more columns:

``flag``
    ``present``, ``footnote`` (present with a footnote or in parentheses), ``review``
    (present, but a statistician should look at it) or ``suppress``.
``flag_reason``
    Why, in words and numbers (``effective n 12.4 < 30``); several reasons are joined by ``; ``.

Rule sets (``rules=``), chosen per study:

``nchs2017`` (default; proportions)
    NCHS Data Presentation Standards for Proportions (Parker et al., 2017), in this order:
    effective sample size ``< 30`` -> suppress (Korn-Graubard effective n ``p(1-p)/var(p)``,
    capped at ``n``); Korn-Graubard CI width ``<= 0.05`` -> present; width ``>= 0.30`` ->
    suppress; relative width ``width / p > 130%`` -> suppress; complement relative width
    ``width / (1 - p) > 130%`` -> footnote; otherwise present. Estimates not suppressed with
    ``df < 8`` or ``p`` equal to 0 or 1 are flagged ``review``. The Korn-Graubard interval is
    the NCHS variant (see :mod:`survey.estimation.intervals`), computed here from ``estimate``,
    ``se``, ``n`` and ``df`` whatever interval the table shows; the relative-width check is
    skipped at ``p = 0`` where it is undefined. Adds ``n_effective``, ``kg_low``, ``kg_high``,
    ``kg_width``.
``nchs_counts`` (totals)
    Present only with ``n >= 10`` and a relative CI width (of the table's interval)
    ``<= 160%``; otherwise suppress.
``nchs_legacy``
    Older NCHS practice: suppress when ``n < 30`` or the relative standard error ``>= 30%``.
``dhs``
    DHS reports: suppress below 25 unweighted cases; 25-49 cases -> footnote (parentheses).
``statcan``
    Statistics Canada CV bands: CV ``<= 16.6%`` present; ``16.6%-33.3%`` footnote (use with
    caution); above ``33.3%`` suppress.

All rule sets accept ``min_n``: a minimum unweighted cell size applied first (suppress below).

Examples
--------
>>> table = pd.DataFrame({"estimate": [0.2, 0.02], "se": [0.01, 0.015], "n": [900, 60],
...                       "df": [30.0, 30.0]})
>>> apply_rules(table)[["flag", "flag_reason"]].values.tolist()
[['present', 'meets every criterion'], ['suppress', 'relative CI width 482% > 130%']]

References
----------
Parker, J. D., Talih, M., Malec, D. J., et al. (2017). National Center for Health Statistics
Data Presentation Standards for Proportions. *Vital Health Stat* 2(175).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError
from survey.estimation import intervals
from survey.estimation.result import EstimateResult

FLAGS = ("present", "footnote", "review", "suppress")


class _Decision:
    """Flags decided in order: the first rule that applies to a row sets its flag."""

    def __init__(self, n: int):
        self.flag = np.full(n, "", dtype=object)
        self.reason = np.full(n, "", dtype=object)

    @property
    def open(self) -> np.ndarray:
        return self.flag == ""

    def decide(self, mask, flag: str, reason) -> None:
        mask = np.asarray(mask, dtype=bool) & self.open
        self.flag[mask] = flag
        self.reason[mask] = np.broadcast_to(np.asarray(reason, dtype=object), mask.shape)[mask]

    def add_reason(self, mask, reason) -> None:
        mask = np.asarray(mask, dtype=bool)
        text = np.broadcast_to(np.asarray(reason, dtype=object), mask.shape)
        joined = np.where(self.reason == "", text, self.reason + "; " + text)
        self.reason = np.where(mask, joined, self.reason).astype(object)

    def finish(self, table: pd.DataFrame) -> pd.DataFrame:
        self.decide(np.ones(len(table), dtype=bool), "present", "meets every criterion")
        table["flag"] = self.flag
        table["flag_reason"] = self.reason
        return table


def _fmt(pattern: str, values) -> np.ndarray:
    return np.char.mod(pattern, np.asarray(values, dtype=float)).astype(object)


def _require(table: pd.DataFrame, columns: list[str], rules: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ColumnError(f"publication rules {rules!r}: expected columns {', '.join(missing)} in the estimate table")


def _min_n(table: pd.DataFrame, decision: _Decision, min_n: int | None) -> None:
    if min_n is None:
        return
    n = table["n"].to_numpy(dtype=float)
    decision.decide(n < min_n, "suppress", "n " + _fmt("%.0f", n) + f" < minimum {min_n}")


def nchs_proportions(
    table: pd.DataFrame,
    *,
    min_n: int | None = None,
    min_effective_n: float = 30,
    present_width: float = 0.05,
    suppress_width: float = 0.30,
    max_relative_width: float = 1.30,
    min_df: float = 8,
    level: float = 0.95,
) -> pd.DataFrame:
    """NCHS Data Presentation Standards for Proportions (2017); thresholds as keywords."""
    _require(table, ["estimate", "se", "n", "df"], "nchs2017")
    p = table["estimate"].to_numpy(dtype=float)
    se = table["se"].to_numpy(dtype=float)
    n = table["n"].to_numpy(dtype=float)
    df = table["df"].to_numpy(dtype=float)
    if ((p < 0) | (p > 1)).any():
        raise ColumnError("publication rules 'nchs2017': expected proportions between 0 and 1 in 'estimate'")
    low, high, n_eff = intervals.korn_graubard(p, se, n, df, level, nchs=True)
    width = high - low
    table["n_effective"] = n_eff
    table["kg_low"] = low
    table["kg_high"] = high
    table["kg_width"] = width

    decision = _Decision(len(table))
    _min_n(table, decision, min_n)
    decision.decide(np.isnan(p) | np.isnan(width), "suppress", "no estimate or Korn-Graubard interval")
    decision.decide(n_eff < min_effective_n, "suppress",
                    "effective n " + _fmt("%.1f", n_eff) + f" < {min_effective_n:g}")
    decision.decide(width <= present_width, "present", "CI width " + _fmt("%.3f", width) + f" <= {present_width:g}")
    decision.decide(width >= suppress_width, "suppress",
                    "CI width " + _fmt("%.3f", width) + f" >= {suppress_width:g}")
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = width / p
        complement = width / (1 - p)
    decision.decide((p > 0) & (relative > max_relative_width), "suppress",
                    "relative CI width " + _fmt("%.0f%%", 100 * relative) + f" > {100 * max_relative_width:.0f}%")
    decision.decide(complement > max_relative_width, "footnote",
                    "complement relative CI width " + _fmt("%.0f%%", 100 * complement)
                    + f" > {100 * max_relative_width:.0f}%")
    decision.decide(np.ones(len(table), dtype=bool), "present", "meets every criterion")
    shown = decision.flag != "suppress"
    low_df = shown & (df < min_df)
    edge = shown & ((p == 0) | (p == 1))
    decision.add_reason(low_df, "df " + _fmt("%.0f", df) + f" < {min_df:g}: statistical review")
    decision.add_reason(edge, "p = " + _fmt("%.0f", p) + ": statistical review")
    decision.flag = np.where(low_df | edge, "review", decision.flag).astype(object)
    return decision.finish(table)


def nchs_counts(table: pd.DataFrame, *, min_n: int | None = None, min_count_n: int = 10,
                max_relative_width: float = 1.60) -> pd.DataFrame:
    """NCHS rule for counts (totals): n >= 10 and relative CI width <= 160%."""
    _require(table, ["estimate", "ci_low", "ci_high", "n"], "nchs_counts")
    n = table["n"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = (table["ci_high"] - table["ci_low"]).to_numpy(dtype=float) / table["estimate"].to_numpy(float)
    decision = _Decision(len(table))
    _min_n(table, decision, min_n)
    decision.decide(n < min_count_n, "suppress", "n " + _fmt("%.0f", n) + f" < {min_count_n}")
    decision.decide(~(relative <= max_relative_width), "suppress",
                    "relative CI width " + _fmt("%.0f%%", 100 * relative) + f" > {100 * max_relative_width:.0f}%")
    return decision.finish(table)


def nchs_legacy(table: pd.DataFrame, *, min_n: int | None = None, min_cell_n: int = 30,
                max_rse: float = 0.30) -> pd.DataFrame:
    """Older NCHS practice: suppress when n < 30 or RSE >= 30%."""
    _require(table, ["n", "cv"], "nchs_legacy")
    n = table["n"].to_numpy(dtype=float)
    rse = np.abs(table["cv"].to_numpy(dtype=float))
    decision = _Decision(len(table))
    _min_n(table, decision, min_n)
    decision.decide(n < min_cell_n, "suppress", "n " + _fmt("%.0f", n) + f" < {min_cell_n}")
    decision.decide(~(rse < max_rse), "suppress", "RSE " + _fmt("%.0f%%", 100 * rse) + f" >= {100 * max_rse:.0f}%")
    return decision.finish(table)


def dhs(table: pd.DataFrame, *, min_n: int | None = None, suppress_below: int = 25,
        footnote_below: int = 50) -> pd.DataFrame:
    """DHS: suppress below 25 unweighted cases, parentheses (footnote) for 25-49."""
    _require(table, ["n"], "dhs")
    n = table["n"].to_numpy(dtype=float)
    decision = _Decision(len(table))
    _min_n(table, decision, min_n)
    decision.decide(n < suppress_below, "suppress", "n " + _fmt("%.0f", n) + f" < {suppress_below}")
    decision.decide(n < footnote_below, "footnote",
                    "n " + _fmt("%.0f", n) + f" in {suppress_below}-{footnote_below - 1}: in parentheses")
    return decision.finish(table)


def statcan(table: pd.DataFrame, *, min_n: int | None = None, caution_cv: float = 0.166,
            suppress_cv: float = 0.333) -> pd.DataFrame:
    """Statistics Canada CV bands: caution above 16.6%, suppress above 33.3%."""
    _require(table, ["cv"], "statcan")
    cv = np.abs(table["cv"].to_numpy(dtype=float))
    decision = _Decision(len(table))
    _min_n(table, decision, min_n)
    decision.decide(~(cv <= suppress_cv), "suppress", "CV " + _fmt("%.1f%%", 100 * cv) + f" > {100 * suppress_cv:.1f}%")
    decision.decide(cv > caution_cv, "footnote",
                    "CV " + _fmt("%.1f%%", 100 * cv) + f" > {100 * caution_cv:.1f}%: use with caution")
    return decision.finish(table)


RULES: dict[str, Callable[..., pd.DataFrame]] = {
    "nchs2017": nchs_proportions,
    "nchs_counts": nchs_counts,
    "nchs_legacy": nchs_legacy,
    "dhs": dhs,
    "statcan": statcan,
}


def apply_rules(table: pd.DataFrame | EstimateResult, rules: str = "nchs2017", **settings) -> pd.DataFrame:
    """Flag every row of an estimate table under a rule set.

    Parameters
    ----------
    table : DataFrame or EstimateResult
        The domain table (columns as :func:`~survey.estimation.estimate` returns).
    rules : str, default "nchs2017"
        One of ``nchs2017``, ``nchs_counts``, ``nchs_legacy``, ``dhs``, ``statcan``.
    **settings :
        ``min_n`` and the thresholds of the chosen rule set (see its function), e.g. from the
        study configuration.

    Returns
    -------
    DataFrame
        A copy of the table with ``flag`` and ``flag_reason`` (and, for ``nchs2017``,
        ``n_effective``, ``kg_low``, ``kg_high``, ``kg_width``).
    """
    if isinstance(table, EstimateResult):
        table = table.to_frame()
    if rules not in RULES:
        raise ConfigError(f"publication rules: expected one of {', '.join(RULES)}, found {rules!r}")
    function = RULES[rules]
    known = [name for name, p in inspect.signature(function).parameters.items() if p.kind == p.KEYWORD_ONLY]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ConfigError(
            f"publication rules {rules!r}: unknown setting(s) {', '.join(unknown)}; expected {', '.join(known)}"
        )
    return function(table.copy(), **settings)
