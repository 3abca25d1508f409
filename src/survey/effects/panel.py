"""Pre/post comparisons for panels: the same people measured before and after.

The data are wide: one row per person, one column before and one after. Pairs with either
value missing are left out and counted in the description.

* :func:`prepost_continuous` — paired t-test (``scipy.stats.ttest_rel``), Wilcoxon signed-rank
  test (``scipy.stats.wilcoxon``), Cohen's ``d_z`` and Hedges' ``g_z`` with CIs.
* :func:`prepost_binary` — McNemar's test (``statsmodels``: exact binomial when fewer than 25
  discordant pairs, else chi-square with continuity correction), paired risk difference and
  conditional odds ratio with CIs.

Both are unweighted: for a complex sample, fit ``svyglm`` on the differences instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from survey.effects.effect_sizes import cohens_dz, hedges_j, paired_odds_ratio, paired_risk_difference
from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError, example_rows

PANEL_COLUMNS = ["measure", "estimate", "se", "ci_low", "ci_high", "statistic", "df", "p_value", "method", "n",
                 "note"]


def _pairs(data: pd.DataFrame, before: str, after: str) -> tuple[np.ndarray, np.ndarray, int]:
    for role, column in (("before", before), ("after", after)):
        if column not in data.columns:
            raise ColumnError(f"{role} column {column!r}: not found in the data")
    values = {}
    for column in (before, after):
        series = data[column]
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna() & series.notna()
        if bad.any():
            raise ColumnError(f"column {column!r}: expected numbers, found {series[bad].iloc[0]!r} in "
                              f"{example_rows(data.index[bad.to_numpy()])}")
        values[column] = numbers.to_numpy(dtype=float)
    complete = ~np.isnan(values[before]) & ~np.isnan(values[after])
    if complete.sum() < 3:
        raise ColumnError(
            f"columns {before!r}, {after!r}: expected at least 3 complete pairs, found {int(complete.sum())}"
        )
    return values[before][complete], values[after][complete], int((~complete).sum())


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")


def prepost_continuous(data: pd.DataFrame, before: str, after: str, *, level: float = 0.95) -> EffectResult:
    """Paired comparison of a score before and after (after minus before).

    Returns
    -------
    EffectResult
        Rows ``mean_difference`` (paired t), ``wilcoxon`` (estimate: median of the differences;
        statistic: the signed-rank statistic), ``cohens_dz``, ``hedges_gz``.

    Examples
    --------
    >>> df = pd.DataFrame({"pre": [10., 12, 9, 14, 11, 13, 8, 10], "post": [8., 11, 9, 11, 10, 10, 7, 9]})
    >>> t = prepost_continuous(df, "pre", "post").to_frame()
    >>> float(t.set_index("measure").loc["mean_difference", "estimate"])
    -1.5

    R: ``t.test(df$post, df$pre, paired=TRUE)``; ``wilcox.test(df$post, df$pre, paired=TRUE)``.
    """
    _check_level(level)
    x0, x1, dropped = _pairs(data, before, after)
    diff = x1 - x0
    n = diff.size
    if not np.std(diff) > 0:
        raise ColumnError(f"columns {before!r}, {after!r}: the differences do not vary; no test or effect size")
    t = stats.ttest_rel(x1, x0)
    ci = t.confidence_interval(confidence_level=level)
    se = float(diff.std(ddof=1) / np.sqrt(n))
    nonzero = int((diff != 0).sum())
    w = stats.wilcoxon(x1, x0, zero_method="wilcox", correction=False,
                       method="auto")
    d, d_low, d_high = cohens_dz(diff, level)
    j = hedges_j(n - 1)
    note = f"{dropped} incomplete pairs left out" if dropped else ""
    rows = [
        ["mean_difference", float(diff.mean()), se, float(ci.low), float(ci.high), float(t.statistic), n - 1,
         float(t.pvalue), "paired t-test", n, note],
        ["wilcoxon", float(np.median(diff)), np.nan, np.nan, np.nan, float(w.statistic), np.nan, float(w.pvalue),
         "Wilcoxon signed-rank", n, f"estimate: median difference; {n - nonzero} zero differences left out (Wilcoxon)"],
        ["cohens_dz", d, np.nan, d_low, d_high, np.nan, n - 1, np.nan, "mean/SD of differences, noncentral t CI",
         n, ""],
        ["hedges_gz", j * d, np.nan, j * d_low, j * d_high, np.nan, n - 1, np.nan,
         f"Cohen's d_z x J({n - 1}) = {j:.4f}", n, ""],
    ]
    table = pd.DataFrame(rows, columns=PANEL_COLUMNS)
    return EffectResult(table=table, description=f"Pre/post ({after} minus {before}): {n} pairs; "
                                                   f"{int(level * 100)}% CI")


def prepost_binary(data: pd.DataFrame, before: str, after: str, *, level: float = 0.95) -> EffectResult:
    """Paired comparison of a 0/1 indicator before and after.

    Returns
    -------
    EffectResult
        Rows ``mcnemar`` (statistic, p-value), ``risk_difference`` (share 1 after minus before),
        ``odds_ratio`` (conditional: pairs 0->1 over pairs 1->0). ``extra["table"]``: the 2x2
        table of pairs.

    Examples
    --------
    >>> df = pd.DataFrame({"pre": [1, 1, 0, 0, 1, 0, 1, 1, 0, 1], "post": [0, 1, 0, 0, 0, 0, 1, 0, 0, 1]})
    >>> prepost_binary(df, "pre", "post").to_frame()["measure"].tolist()
    ['mcnemar', 'risk_difference', 'odds_ratio']

    R: ``mcnemar.test(table(df$pre, df$post))`` (chi-square) or
    ``exact2x2::mcnemar.exact`` (exact).
    """
    from statsmodels.stats.contingency_tables import mcnemar

    _check_level(level)
    x0, x1, dropped = _pairs(data, before, after)
    bad = ~np.isin(x0, (0, 1)) | ~np.isin(x1, (0, 1))
    if bad.any():
        raise ColumnError(
            f"columns {before!r}, {after!r}: expected 0/1, found "
            f"{np.unique(np.r_[x0, x1][~np.isin(np.r_[x0, x1], (0, 1))])[:5]}"
        )
    table = pd.crosstab(pd.Categorical(x0, categories=[0, 1]), pd.Categorical(x1, categories=[0, 1]),
                        rownames=[before], colnames=[after], dropna=False)
    b, c = int(table.iloc[1, 0]), int(table.iloc[0, 1])  # 1 -> 0 and 0 -> 1
    n = int(table.to_numpy().sum())
    exact = b + c < 25
    test = mcnemar(table.to_numpy(), exact=exact, correction=True)
    rd, rd_se, rd_low, rd_high = paired_risk_difference(b, c, n, level)
    odds, log_se, or_low, or_high = paired_odds_ratio(b, c, level)
    note = f"{dropped} incomplete pairs left out" if dropped else ""
    rows = [
        ["mcnemar", np.nan, np.nan, np.nan, np.nan, float(test.statistic), np.nan if exact else 1, float(test.pvalue),
         "McNemar exact (binomial)" if exact else "McNemar chi-square, continuity-corrected", n,
         f"discordant pairs: {b} from 1 to 0, {c} from 0 to 1" + (f"; {note}" if note else "")],
        ["risk_difference", rd, rd_se, rd_low, rd_high, np.nan, np.nan, np.nan, "paired Wald", n, ""],
        ["odds_ratio", odds, np.nan, or_low, or_high, np.nan, np.nan, np.nan,
         "conditional (c/b), Wald CI on the log scale", n,
         "no CI: a discordant count is 0" if not (b and c) else f"se of log OR {log_se:.4g}"],
    ]
    return EffectResult(table=pd.DataFrame(rows, columns=PANEL_COLUMNS),
                        description=f"Pre/post of 0/1 {before} -> {after}: {n} pairs; {int(level * 100)}% CI",
                        extra={"table": table})
