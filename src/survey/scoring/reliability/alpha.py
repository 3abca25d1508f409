"""Cronbach's alpha with psych's companion statistics, intervals and item table (``psych::alpha``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from survey.errors import ColumnError
from survey.results import Result
from survey.scoring.reliability.matrices import (
    CI_METHODS,
    CIMethod,
    MissingPolicy,
    _cov_to_cor,
    _item_matrix,
    _pairwise_cor,
    _pairwise_cov,
    _smc,
)

#: Column names of this module -> the names psych prints (``alpha()$total``,
#: ``alpha()$item.stats``, ``alpha()$alpha.drop``; ``*_if_dropped`` are ``alpha.drop``).
PSYCH_NAMES = {
    "raw_alpha": "raw_alpha",
    "std_alpha": "std.alpha",
    "g6_smc": "G6(smc)",
    "average_r": "average_r",
    "signal_noise": "S/N",
    "ase": "ase",
    "mean": "mean",
    "sd": "sd",
    "median_r": "median_r",
    "n": "n",
    "raw_r": "raw.r",
    "std_r": "std.r",
    "r_cor": "r.cor",
    "r_drop": "r.drop",
    "raw_alpha_if_dropped": "raw_alpha",
    "std_alpha_if_dropped": "std.alpha",
    "g6_smc_if_dropped": "G6(smc)",
    "average_r_if_dropped": "average_r",
    "signal_noise_if_dropped": "S/N",
    "ase_if_dropped": "alpha se",
    "var_r_if_dropped": "var.r",
    "median_r_if_dropped": "med.r",
}

# psych's minres fit bounds each uniqueness to [0.005, max(smc, 1)] (psych:::fac, optim).

def _alpha_core(c: np.ndarray, r: np.ndarray) -> dict[str, float]:
    """The scale statistics of psych's internal ``alpha.1(C, R)`` for one item set."""
    k = c.shape[0]
    sum_c, tr_c = c.sum(), np.trace(c)
    sum_r = r.sum()
    lower = r[np.tril_indices(k, -1)]
    average_r = (sum_r - k) / (k * (k - 1))
    cc = c @ c
    q = (2 * k**2 / ((k - 1) ** 2 * sum_c**3)) * (
        sum_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum()
    )
    return {
        "raw_alpha": (1 - tr_c / sum_c) * k / (k - 1),
        "std_alpha": (1 - k / sum_r) * k / (k - 1),
        "g6_smc": 1 - (k - _smc(r).sum()) / sum_r,
        "average_r": average_r,
        "signal_noise": k * average_r / (1 - average_r),
        "q": q,
        "var_r": float(np.var(lower, ddof=1)) if lower.size > 1 else np.nan,
        "median_r": float(np.median(lower)),
    }


# ---------------------------------------------------------------------------------------
# alpha
# ---------------------------------------------------------------------------------------


def _feldt_interval(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    """Feldt et al. (1987) F-based interval, as ``psych::alpha.ci``."""
    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * stats.f.ppf(1 - p / 2, df1, df2)
    high = 1 - (1 - alpha) * stats.f.ppf(p / 2, df1, df2)
    return float(low), float(high)


def _duhachek_interval(alpha: float, ase: float, level: float) -> tuple[float, float]:
    """Normal interval from the asymptotic standard error (Duhachek & Iacobucci 2004)."""
    z = stats.norm.ppf(1 - (1 - level) / 2)
    return alpha - z * ase, alpha + z * ase


def _check_ci(level: float, method: str) -> None:
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ColumnError(f"confidence level must be a number between 0 and 1; found {level!r}")
    if method not in CI_METHODS:
        raise ColumnError(f"ci_method must be one of {', '.join(CI_METHODS)}; found {method!r}")


@dataclass(frozen=True)
class AlphaResult(Result):
    """Cronbach's alpha and friends for one item set; see :func:`cronbach_alpha`.

    Attributes mirror ``psych::alpha()$total`` (``raw_alpha``, ``std_alpha`` = std.alpha,
    ``g6_smc`` = G6(smc), ``average_r``, ``signal_noise`` = S/N, ``ase``, ``mean``, ``sd``,
    ``median_r``); ``mean`` and ``sd`` describe each respondent's mean item score, as psych
    reports them. ``ci_low``/``ci_high`` is the interval named by ``ci_method`` at
    ``ci_level``; :meth:`conf_int` gives either interval at any level. ``n_empty`` is the
    number of respondents who answered no item; ``empty_rows`` says whether ``n`` counts them
    (``"count"``, as psych) or not (``"drop"``).
    """

    raw_alpha: float
    std_alpha: float
    g6_smc: float
    average_r: float
    signal_noise: float
    ase: float
    mean: float
    sd: float
    median_r: float
    n: int
    n_items: int
    missing: str
    ci_level: float
    ci_method: str
    ci_low: float
    ci_high: float
    item_stats: pd.DataFrame = field(repr=False)
    n_empty: int = 0
    empty_rows: str = "drop"

    @property
    def notes(self) -> list[str]:
        if self.n_empty and self.empty_rows == "drop":
            return [f"alpha: {self.n_empty} respondent(s) with no item answered left out of n; psych counts "
                    "them (n, ase and the Feldt interval differ; empty_rows='count' reproduces psych)"]
        return []

    def conf_int(self, method: CIMethod | None = None, level: float | None = None) -> tuple[float, float]:
        """(low, high) for ``method`` ("feldt" or "duhachek") at ``level`` (defaults: as fitted)."""
        chosen: str = self.ci_method if method is None else method
        level = self.ci_level if level is None else level
        _check_ci(level, chosen)
        if chosen == "feldt":
            return _feldt_interval(self.raw_alpha, self.n, self.n_items, level)
        return _duhachek_interval(self.raw_alpha, self.ase, level)

    def intervals(self, level: float | None = None) -> pd.DataFrame:
        """Both intervals, one row each, like the confidence table ``print(psych::alpha())`` shows."""
        level = self.ci_level if level is None else level
        rows = []
        for method in CI_METHODS:
            low, high = self.conf_int(method, level)
            rows.append({"method": method, "level": level, "low": low, "alpha": self.raw_alpha, "high": high})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """One row: every scale statistic and the chosen interval."""
        names = [
            "raw_alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase", "mean", "sd",
            "median_r", "n", "n_items", "missing", "ci_level", "ci_method", "ci_low", "ci_high",
            "n_empty", "empty_rows",
        ]
        return pd.DataFrame([{name: getattr(self, name) for name in names}])

    def title(self) -> str:
        return f"Cronbach's alpha ({self.n_items} items, n = {self.n}, missing = {self.missing})"

    def summary(self) -> str:
        """A readable report: scale statistics, both intervals and the item table."""
        head = self.to_frame().drop(columns=["ci_level", "ci_method", "ci_low", "ci_high", "empty_rows"])
        return "\n\n".join([
            self.title(),
            head.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"{self.ci_level:.0%} confidence intervals",
            self.intervals().to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "Items",
            self.item_stats.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            *self.notes,
        ])


def _alpha_from_matrix(
    x: np.ndarray, names: list[str], *, missing: str, level: float, ci_method: str, caller: str,
    n_empty: int = 0, empty_rows: str = "drop",
) -> AlphaResult:
    k = x.shape[1]
    # psych's nsub is every row given; rows without answers add nothing else to any statistic
    n = x.shape[0] + (n_empty if empty_rows == "count" else 0)
    c = _pairwise_cov(x, names, caller)
    r = _cov_to_cor(c)
    total = _alpha_core(c, r)
    ase = float(np.sqrt(total["q"] / n))

    # respondent scores: mean of the answered items (psych's default, cumulative = FALSE)
    person_mean = np.nanmean(x, axis=1)
    raw_r = _pairwise_cor(np.column_stack([person_mean, x]), ["total", *names], caller)[0, 1:]
    std_r = r.sum(axis=0) / np.sqrt(r.sum())
    r_smc = r.copy()
    np.fill_diagonal(r_smc, _smc(r))
    r_cor = r_smc.sum(axis=0) / np.sqrt(r_smc.sum())
    col_c = c.sum(axis=0)
    var_c = np.diag(c)
    r_drop = (col_c - var_c) / np.sqrt(var_c * (c.sum() - 2 * col_c + var_c))

    drop_cols = ["raw_alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase", "var_r", "median_r"]
    dropped = {f"{name}_if_dropped": np.full(k, np.nan) for name in drop_cols}
    if k > 2:  # with two items, dropping one leaves a single item: alpha is undefined
        for i in range(k):
            keep = np.arange(k) != i
            sub = _alpha_core(c[np.ix_(keep, keep)], r[np.ix_(keep, keep)])
            sub["ase"] = np.sqrt(sub["q"] / n) if n > k else np.nan
            for name in drop_cols:
                dropped[f"{name}_if_dropped"][i] = sub[name]

    item_stats = pd.DataFrame({
        "item": names,
        "n": (~np.isnan(x)).sum(axis=0),
        "mean": np.nanmean(x, axis=0),
        "sd": np.nanstd(x, axis=0, ddof=1),
        "raw_r": raw_r,
        "std_r": std_r,
        "r_cor": r_cor,
        "r_drop": r_drop,
        **dropped,
    })
    _check_ci(level, ci_method)
    interval = (
        _feldt_interval(total["raw_alpha"], n, k, level)
        if ci_method == "feldt"
        else _duhachek_interval(total["raw_alpha"], ase, level)
    )
    return AlphaResult(
        raw_alpha=float(total["raw_alpha"]),
        std_alpha=float(total["std_alpha"]),
        g6_smc=float(total["g6_smc"]),
        average_r=float(total["average_r"]),
        signal_noise=float(total["signal_noise"]),
        ase=ase,
        mean=float(np.mean(person_mean)),
        sd=float(np.std(person_mean, ddof=1)),
        median_r=float(total["median_r"]),
        n=int(n),
        n_items=int(k),
        missing=missing,
        ci_level=float(level),
        ci_method=ci_method,
        ci_low=float(interval[0]),
        ci_high=float(interval[1]),
        item_stats=item_stats,
        n_empty=int(n_empty),
        empty_rows=empty_rows,
    )


EmptyRows = Literal["drop", "count"]
EMPTY_ROWS = ("drop", "count")


class ReliabilityWarning(UserWarning):
    """A reliability statistic differs from what psych would report for the same call."""


def _count_empty(items: pd.DataFrame, missing: str, empty_rows: str, caller: str) -> int:
    """Rows with no item answered (pairwise only: listwise drops them in psych too)."""
    if empty_rows not in EMPTY_ROWS:
        raise ColumnError(f"{caller}: empty_rows must be one of {', '.join(EMPTY_ROWS)}; found {empty_rows!r}")
    if missing != "pairwise" or not isinstance(items, pd.DataFrame):
        return 0
    return int(items.isna().all(axis=1).sum())


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    level: float = 0.95,
    ci_method: CIMethod = "feldt",
    missing: MissingPolicy = "pairwise",
    empty_rows: EmptyRows = "drop",
) -> AlphaResult:
    """Cronbach's alpha with psych's companion statistics and a confidence interval.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, already keyed (reverse-keyed items reversed), one row
        per respondent. At least 2 items; no constant items.
    level : float, default 0.95
        Confidence level of ``ci_low``/``ci_high``.
    ci_method : {"feldt", "duhachek"}, default "feldt"
        ``"feldt"``: the F-distribution interval of Feldt, Woodruff & Salih (1987), as
        ``psych::alpha.ci`` and ``alpha()$feldt``. ``"duhachek"``: ``raw_alpha -/+ z * ase``
        with ``z`` the normal quantile (psych prints this row with ``z = 1.96``; at 95 % the
        two differ by ``3.6e-5 * ase``). :meth:`AlphaResult.intervals` returns both.
    missing : {"pairwise", "listwise"}, default "pairwise"
        Pairwise covariances (psych's default, ``use = "pairwise"``) or complete cases only.
    empty_rows : {"drop", "count"}, default "drop"
        Respondents who answered none of the items (pairwise only). ``"drop"`` leaves them out
        of ``n``, so ``ase`` and the Feldt interval use the respondents who carry information,
        and issues a :class:`ReliabilityWarning` because psych counts them; ``"count"`` counts
        them in ``n`` exactly as ``psych::alpha`` does (``nsub = nrow(x)``). No other
        statistic depends on them.

    Returns
    -------
    AlphaResult
        Scale statistics (``raw_alpha``, ``std_alpha``, ``g6_smc``, ``average_r``,
        ``signal_noise``, ``ase``, ``mean``, ``sd``, ``median_r``, ``n``, ``n_items``), the
        interval, and ``item_stats`` (see :func:`item_statistics`).

    Notes
    -----
    With item covariance matrix ``C`` (k items) and its correlation matrix ``R``:
    ``raw_alpha = k/(k-1) * (1 - tr C / sum C)``, ``std_alpha = k/(k-1) * (1 - k / sum R)``,
    ``G6 = 1 - (k - sum smc(R)) / sum R``, ``average_r = (sum R - k) / (k (k-1))``,
    ``S/N = k r / (1 - r)``. ``ase = sqrt(Q / n)`` with Duhachek & Iacobucci's
    ``Q = 2k^2/((k-1)^2 (1'C1)^3) * [1'C1 (tr C^2 + (tr C)^2) - 2 tr C (1'C^2 1)]``.
    Feldt: ``1 - (1 - alpha) * F_{1-p/2 | p/2}(n - 1, (n - 1)(k - 1))``.
    ``n`` counts respondents with at least one item answered (pairwise) or all answered
    (listwise); with ``empty_rows="count"`` it counts every row, as psych does.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2], "q2": [2, 2, 3, 5, 4, 1],
    ...                       "q3": [1, 3, 3, 4, 5, 2]})
    >>> res = cronbach_alpha(items)
    >>> round(res.raw_alpha, 4), res.ci_method
    (0.9434, 'feldt')

    The same in R: ``psych::alpha(items)$total$raw_alpha`` and ``alpha(items)$feldt``.

    References
    ----------
    Cronbach (1951); Feldt, Woodruff & Salih (1987); Duhachek & Iacobucci (2004);
    Revelle, psych::alpha.
    """
    n_empty = _count_empty(items, missing, empty_rows, "cronbach_alpha")
    x, names = _item_matrix(items, missing=missing, min_items=2, caller="cronbach_alpha")
    result = _alpha_from_matrix(x, names, missing=missing, level=level, ci_method=ci_method,
                                caller="cronbach_alpha", n_empty=n_empty, empty_rows=empty_rows)
    for note in result.notes:
        warnings.warn(note, ReliabilityWarning, stacklevel=2)
    return result


def item_statistics(
    items: pd.DataFrame, *, missing: MissingPolicy = "pairwise", empty_rows: EmptyRows = "drop"
) -> pd.DataFrame:
    """Item table of ``psych::alpha()``: ``item.stats`` and ``alpha.drop`` side by side.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns, one row per respondent (at least 2 items).
    missing : {"pairwise", "listwise"}, default "pairwise"
    empty_rows : {"drop", "count"}, default "drop"
        As :func:`cronbach_alpha` (only ``ase_if_dropped`` depends on it).

    Returns
    -------
    DataFrame
        One row per item: ``item``, ``n`` (answers), ``mean``, ``sd``, ``raw_r`` (item with
        the respondent's mean score), ``std_r`` (same from the correlation matrix),
        ``r_cor`` (corrected for overlap, smc on the diagonal), ``r_drop`` (item with the
        sum of the other items), then the scale statistics with the item left out:
        ``raw_alpha_if_dropped``, ``std_alpha_if_dropped``, ``g6_smc_if_dropped``,
        ``average_r_if_dropped``, ``signal_noise_if_dropped``, ``ase_if_dropped``,
        ``var_r_if_dropped``, ``median_r_if_dropped``. :data:`PSYCH_NAMES` maps the columns
        to psych's names. With exactly 2 items the ``*_if_dropped`` columns are NaN: one
        item has no alpha (psych fills them with other quantities there). ``ase_if_dropped``
        is NaN when there are no more respondents than items, where psych omits it.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2], "q2": [2, 2, 3, 5, 4, 1],
    ...                       "q3": [1, 3, 3, 4, 5, 2]})
    >>> item_statistics(items)[["item", "r_drop"]].round(3)
      item  r_drop
    0   q1   0.943
    1   q2   0.800
    2   q3   0.908

    R: ``a <- psych::alpha(items); a$item.stats; a$alpha.drop``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ReliabilityWarning)
        result = cronbach_alpha(items, missing=missing, empty_rows=empty_rows)
    for note in result.notes:
        warnings.warn(note, ReliabilityWarning, stacklevel=2)
    return result.item_stats

