"""Reliability of a multi-item scale, computed the way R's psych package computes it.

* :func:`cronbach_alpha` — raw and standardised alpha, Guttman's lambda 6, average and
  median inter-item correlation, signal/noise, the asymptotic standard error (``ase``), the
  Feldt and Duhachek confidence intervals, and the item statistics of ``psych::alpha()``
  (``item.stats`` and ``alpha.drop``).
* :func:`item_statistics` — only the item table.
* :func:`omega_total` — McDonald's omega total from a one-factor minres solution, as
  ``psych::omega(x, nfactors = 1)`` computes ``omega.tot``.
* :func:`floor_ceiling` — share of respondents at the lowest / highest possible sum score.
* :func:`reliability` — all of the above for a scale, overall and by group (for example by
  district), as a :class:`ReliabilityResult` with ``summary()``, ``to_frame()`` and
  ``item_stats``.

Items must already be keyed: reverse-keyed items are reversed by the caller (the scoring
step does it from the instrument file) before they reach this module. That is the
equivalent of ``psych::alpha(x, keys = ...)``.

Missing data
------------
``missing="pairwise"`` (the default, as in psych) computes every covariance from the
respondents who answered both items (``cov(x, use = "pairwise")``); ``missing="listwise"``
first keeps only respondents who answered every item (``psych::alpha(na.omit(x))``).
Respondents who answered none of the items are dropped in both modes; psych counts them in
``n`` (used by ``ase`` and the Feldt interval), this module does not, because they carry no
information about the scale. Everything else agrees with psych 2.2.9 to 1e-6 or better; see
``tests/reference/psych_reliability.R`` and ``tests/scoring/test_reliability_psych.py``.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and precise
    confidence interval estimate. Journal of Applied Psychology, 89, 792-808.
Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. Applied Psychological Measurement, 11, 93-103.
McDonald, R. P. (1999). Test theory: a unified treatment. Erlbaum.
Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research. R package version 2.2.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from survey.errors import ColumnError, example_rows
from survey.results import Result

__all__ = [
    "AlphaResult",
    "FloorCeiling",
    "OmegaResult",
    "ReliabilityResult",
    "PSYCH_NAMES",
    "cronbach_alpha",
    "floor_ceiling",
    "item_statistics",
    "omega_total",
    "reliability",
]

MissingPolicy = Literal["pairwise", "listwise"]
CIMethod = Literal["feldt", "duhachek"]
MISSING_POLICIES = ("pairwise", "listwise")
CI_METHODS = ("feldt", "duhachek")

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
_UNIQUENESS_LOWER = 0.005
_POLISH_ITERATIONS = 500


# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------


def _item_matrix(
    items: pd.DataFrame, *, missing: str, min_items: int, caller: str
) -> tuple[np.ndarray, list[str]]:
    """Check the items and return them as a float array (rows: respondents kept)."""
    if not isinstance(items, pd.DataFrame):
        raise ColumnError(f"{caller}: expected a DataFrame of item columns, found {type(items).__name__}")
    if missing not in MISSING_POLICIES:
        raise ColumnError(
            f"{caller}: missing must be one of {', '.join(MISSING_POLICIES)}; found {missing!r}"
        )
    names = [str(c) for c in items.columns]
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise ColumnError(f"{caller}: item columns must be unique; found duplicates {', '.join(duplicated)}")
    if len(names) < min_items:
        raise ColumnError(
            f"{caller}: needs at least {min_items} item columns; found {len(names)}"
            f" ({', '.join(names) or 'none'})"
        )
    bad_type = [
        str(c) for c in items.columns
        if not (pd.api.types.is_numeric_dtype(items[c]) and not pd.api.types.is_complex_dtype(items[c]))
    ]
    if bad_type:
        first = items[bad_type[0]]
        converted = pd.to_numeric(first, errors="coerce")
        bad_rows = first.index[converted.isna() & first.notna()]
        detail = (
            f"; e.g. column {bad_type[0]} at {example_rows(bad_rows)}" if len(bad_rows)
            else f" (column {bad_type[0]} holds numbers stored as {first.dtype}; convert with pd.to_numeric)"
        )
        raise ColumnError(
            f"{caller}: item columns must be numeric; non-numeric columns "
            f"{', '.join(bad_type)}{detail}"
        )
    x = items.to_numpy(dtype=float, na_value=np.nan)
    infinite = ~np.isfinite(x) & ~np.isnan(x)
    if infinite.any():
        cols = [names[j] for j in np.flatnonzero(infinite.any(axis=0))]
        raise ColumnError(
            f"{caller}: item columns hold infinite values: {', '.join(cols)} at "
            f"{example_rows(items.index[infinite.any(axis=1)])}"
        )
    answered = ~np.isnan(x)
    keep = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    x = x[keep]
    if x.shape[0] < 2:
        rule = "with every item answered" if missing == "listwise" else "with at least one item answered"
        raise ColumnError(
            f"{caller}: needs at least 2 respondents {rule} in {', '.join(names)}; found {x.shape[0]}"
        )
    observed = ~np.isnan(x)
    spread = np.nanmax(x, axis=0) - np.nanmin(x, axis=0)
    constant = [names[j] for j in range(len(names)) if observed[:, j].sum() < 2 or spread[j] == 0]
    if constant:
        raise ColumnError(
            f"{caller}: items without variance (constant or fewer than 2 answers): "
            f"{', '.join(constant)}; drop them or check the data"
        )
    return x, names


# ---------------------------------------------------------------------------------------
# correlation building blocks (vectorised over respondents)
# ---------------------------------------------------------------------------------------


def _pair_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over the respondents who answered both items of every pair.

    Returns (count, sum_i, sum_sq_i, cross, column_means); ``sum_i[i, j]`` sums item i over
    the respondents who answered i and j. Items are centred on their own means first, which
    leaves covariances unchanged and avoids cancellation.
    """
    observed = ~np.isnan(x)
    mask = observed.astype(float)
    centre = np.nanmean(x, axis=0)
    xc = np.where(observed, x - centre, 0.0)
    count = mask.T @ mask
    sum_i = xc.T @ mask
    sum_sq_i = (xc * xc).T @ mask
    cross = xc.T @ xc
    return count, sum_i, sum_sq_i, cross, centre


def _check_pair_counts(count: np.ndarray, names: Sequence[str], caller: str) -> None:
    few = np.argwhere(np.triu(count < 2, k=1))
    if len(few):
        i, j = few[0]
        raise ColumnError(
            f"{caller}: items {names[i]} and {names[j]} are answered together by "
            f"{int(count[i, j])} respondent(s); pairwise covariances need at least 2"
            + (f" (+{len(few) - 1} more pairs)" if len(few) > 1 else "")
        )


def _pairwise_cov(x: np.ndarray, names: Sequence[str], caller: str) -> np.ndarray:
    """``cov(x, use = "pairwise")``: each covariance from the respondents answering both."""
    count, sum_i, _, cross, _ = _pair_sums(x)
    _check_pair_counts(count, names, caller)
    return (cross - sum_i * sum_i.T / count) / (count - 1.0)


def _pairwise_cor(x: np.ndarray, names: Sequence[str], caller: str) -> np.ndarray:
    """``cor(x, use = "pairwise")``: means and sds also from each pair's respondents."""
    count, sum_i, sum_sq_i, cross, _ = _pair_sums(x)
    _check_pair_counts(count, names, caller)
    cov = (cross - sum_i * sum_i.T / count) / (count - 1.0)
    spread = sum_sq_i - sum_i**2 / count
    # a constant item leaves rounding residue of order eps * sum of squares, not exact zero
    constant = spread <= 64 * np.finfo(float).eps * sum_sq_i
    var_in_pair = spread / (count - 1.0)
    denom = var_in_pair * var_in_pair.T
    flat = np.argwhere(np.triu(constant | constant.T, k=1))
    if len(flat):
        i, j = flat[0]
        raise ColumnError(
            f"{caller}: items {names[i]} and {names[j]} have no variance among the respondents "
            "who answered both; their correlation is undefined"
        )
    r = cov / np.sqrt(denom)
    np.fill_diagonal(r, 1.0)
    return r


def _cov_to_cor(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    return c / np.outer(sd, sd)


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations as ``psych::smc``: 1 - 1/diag(pseudo-inverse), in [0, 1]."""
    inverse = np.linalg.pinv(r, rtol=np.sqrt(np.finfo(float).eps))
    return np.clip(1.0 - 1.0 / np.diag(inverse), 0.0, 1.0)


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
    ``ci_level``; :meth:`conf_int` gives either interval at any level.
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

    def conf_int(self, method: CIMethod | None = None, level: float | None = None) -> tuple[float, float]:
        """(low, high) for ``method`` ("feldt" or "duhachek") at ``level`` (defaults: as fitted)."""
        method = self.ci_method if method is None else method
        level = self.ci_level if level is None else level
        _check_ci(level, method)
        if method == "feldt":
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
        ]
        return pd.DataFrame([{name: getattr(self, name) for name in names}])

    def title(self) -> str:
        return f"Cronbach's alpha ({self.n_items} items, n = {self.n}, missing = {self.missing})"

    def summary(self) -> str:
        """A readable report: scale statistics, both intervals and the item table."""
        head = self.to_frame().drop(columns=["ci_level", "ci_method", "ci_low", "ci_high"])
        return "\n\n".join([
            self.title(),
            head.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"{self.ci_level:.0%} confidence intervals",
            self.intervals().to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "Items",
            self.item_stats.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ])


def _alpha_from_matrix(
    x: np.ndarray, names: list[str], *, missing: str, level: float, ci_method: str, caller: str
) -> AlphaResult:
    n, k = x.shape
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
    )


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    level: float = 0.95,
    ci_method: CIMethod = "feldt",
    missing: MissingPolicy = "pairwise",
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
    (listwise). psych counts every row, including rows with no answer at all.

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
    x, names = _item_matrix(items, missing=missing, min_items=2, caller="cronbach_alpha")
    return _alpha_from_matrix(x, names, missing=missing, level=level, ci_method=ci_method, caller="cronbach_alpha")


def item_statistics(items: pd.DataFrame, *, missing: MissingPolicy = "pairwise") -> pd.DataFrame:
    """Item table of ``psych::alpha()``: ``item.stats`` and ``alpha.drop`` side by side.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns, one row per respondent (at least 2 items).
    missing : {"pairwise", "listwise"}, default "pairwise"

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
    return cronbach_alpha(items, missing=missing).item_stats


# ---------------------------------------------------------------------------------------
# omega
# ---------------------------------------------------------------------------------------


def _minres_one_factor(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor minimum-residual (unweighted least squares) solution of a correlation matrix.

    Minimises ``F(psi) = 1/2 * sum_{k >= 2} e_k(R - diag psi)^2``, the residual sum of
    squares left by the best one-factor fit, with gradient ``-diag(R - diag psi - l l')``;
    at the minimum the off-diagonal residuals are those of minres (Harman & Jones 1966).
    Start and bounds follow psych (``psych:::fac``): start ``psi = 1 - smc``, bounds
    ``[0.005, max(smc, 1)]``. psych stops L-BFGS-B at R's default tolerance; this fit runs
    to ``ftol = 1e-15`` and then polishes with the fixed-point (iterated principal axis)
    step, so it lands on the exact minimiser.

    Returns (loadings, uniquenesses used in the fit, converged).
    """
    k = r.shape[0]
    smc = _smc(r)

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        s = r - np.diag(psi)
        values, vectors = np.linalg.eigh(s)
        top = max(values[-1], 0.0)
        loading = vectors[:, -1] * np.sqrt(top)
        resid = s - np.outer(loading, loading)
        return 0.5 * float(np.sum(resid**2)), -np.diag(resid).copy()

    upper = max(float(smc.max()), 1.0)
    fit = optimize.minimize(
        objective,
        x0=np.clip(1.0 - smc, _UNIQUENESS_LOWER, upper),
        jac=True,
        method="L-BFGS-B",
        bounds=[(_UNIQUENESS_LOWER, upper)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000, "maxcor": 20},
    )
    # Polish: L-BFGS-B's ftol test is absolute once F < 1, which leaves psi ~1e-8 from the
    # minimum. Iterate the fixed point psi = 1 - diag(l l') (clamped to the bounds), whose
    # limit is the same minimiser, until it stops moving.
    psi = fit.x
    for _ in range(_POLISH_ITERATIONS):
        values, vectors = np.linalg.eigh(r - np.diag(psi))
        loading = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        new_psi = np.clip(1.0 - loading**2, _UNIQUENESS_LOWER, upper)
        step = np.max(np.abs(new_psi - psi))
        psi = new_psi
        if step < 1e-15:
            break
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    loading = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    if loading.sum() < 0:
        loading = -loading
    return loading, psi, bool(fit.success)


@dataclass(frozen=True)
class OmegaResult(Result):
    """McDonald's omega total from a one-factor minres model; see :func:`omega_total`.

    ``omega_total`` = psych's ``omega.tot``; ``omega_h`` = psych's ``omega_h`` for one
    factor, ``(sum |loading|)^2 / sum R``; ``loadings`` has ``item``, ``loading`` and
    ``uniqueness`` (1 - loading^2); ``flipped_items`` are items whose loading was negative
    and whose correlations were sign-reversed as psych's ``flip = TRUE`` does; ``heywood``
    lists items whose uniqueness sits on the 0.005 lower bound.
    """

    omega_total: float
    omega_h: float
    n: int
    n_items: int
    missing: str
    loadings: pd.DataFrame = field(repr=False)
    flipped_items: tuple[str, ...] = ()
    heywood: tuple[str, ...] = ()
    converged: bool = True

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.flipped_items:
            notes.append(
                "omega: negative loadings for " + ", ".join(self.flipped_items)
                + " (reversed as psych's flip = TRUE; is an item not reverse-keyed?)"
            )
        if self.heywood:
            notes.append("omega: uniqueness at the 0.005 bound (Heywood case) for " + ", ".join(self.heywood))
        if not self.converged:
            notes.append("omega: minres fit did not report convergence")
        return notes

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "omega_total": self.omega_total, "omega_h": self.omega_h, "n": self.n,
            "n_items": self.n_items, "missing": self.missing, "notes": "; ".join(self.notes),
        }])

    def title(self) -> str:
        return (f"McDonald's omega total, one-factor minres ({self.n_items} items, n = {self.n},"
                f" missing = {self.missing}): {self.omega_total:.3f}")

    def summary(self) -> str:
        return "\n\n".join([
            self.title(),
            self.loadings.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            *self.notes,
        ])


def _omega_from_matrix(
    x: np.ndarray, names: list[str], *, missing: str, flip: bool, caller: str
) -> OmegaResult:
    r = _pairwise_cor(x, names, caller)
    loading, psi, converged = _minres_one_factor(r)
    sign = np.where(loading < 0, -1.0, 1.0) if flip else np.ones_like(loading)
    r_keyed = r * np.outer(sign, sign)
    loading_keyed = loading * sign
    total_r = r_keyed.sum()
    uniqueness = 1.0 - loading**2
    return OmegaResult(
        omega_total=float((total_r - uniqueness.sum()) / total_r),
        omega_h=float(loading_keyed.sum() ** 2 / total_r),
        n=int(x.shape[0]),
        n_items=len(names),
        missing=missing,
        loadings=pd.DataFrame({"item": names, "loading": loading_keyed, "uniqueness": uniqueness}),
        flipped_items=tuple(n for n, s in zip(names, sign, strict=True) if s < 0),
        heywood=tuple(n for n, p in zip(names, psi, strict=True) if p <= _UNIQUENESS_LOWER + 1e-9),
        converged=converged,
    )


def omega_total(
    items: pd.DataFrame, *, missing: MissingPolicy = "pairwise", flip: bool = True
) -> OmegaResult:
    """McDonald's omega total from a one-factor minres model, as ``psych::omega(nfactors = 1)``.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns, one row per respondent; at least 3 items (a one-factor
        model of two items is not identified).
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``psych::omega`` on raw data uses ``cor(x, use = "pairwise")``: means and standard
        deviations are also taken pair by pair, unlike alpha's ``cov2cor(cov(pairwise))``.
    flip : bool, default True
        As psych: items with a negative loading have their correlations sign-reversed
        before the sums; they are listed in ``flipped_items`` and in ``notes``.

    Returns
    -------
    OmegaResult

    Notes
    -----
    What psych does for ``nfactors = 1`` (psych 2.2.9, ``omega`` -> ``omegah`` ->
    ``schmid``): the correlation matrix is factored with ``fa(r, 1, fm = "minres",
    rotate = "varimax")`` (no rotation with one factor); ``schmid`` messages "Omega_h for 1
    factor is not meaningful, just omega_t" and warns that omega_h and omega_asymptotic are
    not meaningful, then sets the general-factor loadings to the single factor's loadings,
    ``h2 = l^2`` and ``u2 = 1 - h2``. ``omegah`` reports
    ``omega.tot = (sum R - sum u2) / sum R`` and ``omega_h = (sum l)^2 / sum R``, where
    ``sum R`` is the sum of the *observed* correlation matrix. ``(sum l)^2 / sum R`` is
    therefore psych's omega_h, not its omega.tot; the two differ by the misfit of the
    one-factor model. psych's L-BFGS-B stops at R's default tolerance, so its loadings
    differ from the exact minres solution by up to ~1e-5 while ``omega.tot`` agrees to
    ~1e-6 (it is flat at the minimum).

    Heywood cases (a uniqueness on psych's lower bound 0.005; listed in ``heywood`` and in
    ``notes``): once a bound is active, the unweighted-least-squares fit used here and
    psych's off-diagonal criterion are no longer the same problem, and psych's optimiser
    (whose gradient is that of the ULS criterion) stops somewhere between the two minima;
    expect differences from psych of order 1e-4 there. As in psych, ``uniqueness`` is
    ``1 - loading^2`` and can be negative ("ultra-Heywood").

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2, 3], "q2": [2, 2, 3, 5, 4, 1, 3],
    ...                       "q3": [1, 3, 3, 4, 5, 2, 2], "q4": [2, 1, 4, 4, 5, 2, 3]})
    >>> round(omega_total(items).omega_total, 3)
    0.943

    R: ``psych::omega(items, nfactors = 1)$omega.tot``.

    References
    ----------
    McDonald (1999), ch. 6; Revelle & Zinbarg (2009), Psychometrika 74, 145-154;
    Harman & Jones (1966), Psychometrika 31, 351-368.
    """
    x, names = _item_matrix(items, missing=missing, min_items=3, caller="omega_total")
    return _omega_from_matrix(x, names, missing=missing, flip=flip, caller="omega_total")


# ---------------------------------------------------------------------------------------
# floor and ceiling
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorCeiling(Result):
    """Shares of complete respondents at the lowest and highest possible sum score."""

    floor_share: float
    ceiling_share: float
    n_scored: int
    score_range: tuple[float, float]

    def to_frame(self) -> pd.DataFrame:
        """One row: floor_share, ceiling_share, n_scored, score_low, score_high."""
        return pd.DataFrame([{"floor_share": self.floor_share, "ceiling_share": self.ceiling_share,
                              "n_scored": self.n_scored, "score_low": self.score_range[0],
                              "score_high": self.score_range[1]}])

    def title(self) -> str:
        return f"Floor and ceiling shares of {self.n_scored} complete sum scores in {list(self.score_range)}"


def _check_score_range(score_range: object) -> tuple[float, float]:
    try:
        if isinstance(score_range, (str, bytes)):
            raise TypeError
        low, high = (float(v) for v in score_range)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ColumnError(
            f"score_range must be two numbers (lowest, highest possible total); found {score_range!r}"
        ) from None
    if not low < high:
        raise ColumnError(f"score_range must have lowest < highest; found {score_range!r}")
    return low, high


def floor_ceiling(items: pd.DataFrame, score_range: tuple[float, float]) -> FloorCeiling:
    """Share of respondents whose sum score is the lowest / highest possible.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns. Only respondents who answered every item are scored.
    score_range : (low, high)
        The possible range of the sum of the items (e.g. ``(0, 27)`` for the PHQ-9).

    Returns
    -------
    FloorCeiling
        ``floor_share``, ``ceiling_share`` (fractions of ``n_scored``), ``n_scored``.

    Raises
    ------
    ColumnError
        If a sum score falls outside ``score_range`` (wrong range, or unreversed items).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [0, 3, 1, 0], "q2": [0, 3, 2, None]})
    >>> fc = floor_ceiling(items, (0, 6))
    >>> fc.floor_share, fc.ceiling_share, fc.n_scored
    (0.3333333333333333, 0.3333333333333333, 3)

    R: ``tot <- rowSums(items); tot <- tot[!is.na(tot)]; mean(tot == 0); mean(tot == 6)``.
    """
    low, high = _check_score_range(score_range)
    x, names = _floor_ceiling_items(items)
    complete = ~np.isnan(x).any(axis=1)
    totals = x[complete].sum(axis=1)
    index = items.index[complete]
    outside = (totals < low) | (totals > high)
    if outside.any():
        raise ColumnError(
            f"floor_ceiling: sum of {', '.join(names)} falls outside score_range "
            f"{low:g}-{high:g} (found {totals[outside].min():g}-{totals[outside].max():g}) at "
            f"{example_rows(index[outside])}; check the range and the reverse-keyed items"
        )
    if not len(totals):
        raise ColumnError(f"floor_ceiling: no respondent answered every item of {', '.join(names)}")
    return FloorCeiling(
        floor_share=float(np.mean(totals == low)),
        ceiling_share=float(np.mean(totals == high)),
        n_scored=int(len(totals)),
        score_range=(low, high),
    )


def _floor_ceiling_items(items: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Type checks only (constant items are fine for a floor/ceiling count)."""
    if not isinstance(items, pd.DataFrame) or items.shape[1] == 0:
        raise ColumnError("floor_ceiling: expected a DataFrame with at least one item column")
    bad = [str(c) for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
    if bad:
        raise ColumnError(
            f"floor_ceiling: item columns must be numeric; non-numeric columns {', '.join(bad)}"
        )
    return items.to_numpy(dtype=float, na_value=np.nan), [str(c) for c in items.columns]


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
    x_all: pd.DataFrame, *, missing: str, level: float, ci_method: str, score_range: tuple[float, float] | None
) -> tuple[dict, pd.DataFrame]:
    x, names = _item_matrix(x_all, missing=missing, min_items=2, caller="reliability")
    alpha = _alpha_from_matrix(x, names, missing=missing, level=level, ci_method=ci_method, caller="reliability")
    notes = []
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
                sub, missing=missing, level=level, ci_method=ci_method, score_range=score_range
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
