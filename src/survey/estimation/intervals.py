"""Confidence intervals for design-based estimates (vectorised over domains).

Methods (``ci_method=``):

``logit``  (default for proportions; R ``svyciprop(method="logit")``)
    ``expit(logit(p) +/- t_df se / (p (1 - p)))``: a Wald interval on the logit scale, with
    the variance of ``logit(p)`` from the delta method, exactly what R's intercept-only
    quasibinomial ``svyglm`` gives. Undefined at p = 0 or 1.
``beta``  (Korn-Graubard as R ``svyciprop(method="beta")``)
    Effective sample size ``n_eff = p (1 - p) / var(p)``, multiplied by
    ``(t_{n-1} / t_df)^2``, then the Clopper-Pearson interval with ``x = n_eff p`` via beta
    quantiles. Not capped at ``n``; undefined at p = 0 or 1 (R returns NaN).
``beta_nchs``  (Korn-Graubard, NCHS Data Presentation Standards for Proportions, 2017)
    As ``beta`` but ``n_eff`` is capped at the sample size ``n`` (and set to ``n`` when the
    variance is 0, so p = 0 and 1 get intervals ``[0, upper]`` and ``[lower, 1]``).
``wilson``
    Wilson score interval with the design-effect-adjusted sample size ``n_eff = p(1-p)/var(p)``
    (``n`` when the variance is 0) and critical value ``t_df``:
    ``(p + c^2/(2 n*) +/- c sqrt(p(1-p)/n* + c^2/(4 n*^2))) / (1 + c^2/n*)``.
    R's ``svyciprop(method="wilson")`` exists only in survey >= 4.5; this machine's Debian has
    survey 4.1, so this method is checked against its formula (and against statsmodels'
    Wilson interval for ``df = inf``), not against R.
``asin``  (R ``svyciprop(method="asin")``)
    A Wald interval for ``asin(sqrt(p))`` with the delta-method standard error
    ``se / (2 sqrt(p (1 - p)))`` and ``t_df``, mapped back with ``sin(.)^2``. Where the interval
    on the angle scale passes 0 or pi/2, R maps the excess back inside (0, 1), which folds the
    interval; here the angle is held at 0 or pi/2 instead (bounds 0 and 1).
``likelihood``  (R ``svyciprop(method="likelihood")``)
    Profile-likelihood interval of the intercept-only quasibinomial model, with the cut-off
    scaled by the ratio of the design variance of ``logit(p)`` to its model variance; computed
    as R does, on its grid of profile points with R's spline
    (:mod:`survey.estimation.profile_interval`).
``mean``  (R ``svyciprop(method="mean")`` / ``confint(..., df=degf(design))``)
    ``estimate +/- t_df se``.
``normal``  (R's ``confint()`` default on ``svymean``/``svyby``)
    ``estimate +/- z se``.

References
----------
Korn, E. L. and Graubard, B. I. (1998). Confidence intervals for proportions with small
expected number of positive counts estimated from survey data. *Survey Methodology* 24, 193-201.
Parker, J. D. et al. (2017). National Center for Health Statistics Data Presentation Standards
for Proportions. *Vital Health Stat* 2(175).
Dean, N. and Pagano, M. (2015). Evaluating confidence interval methods for binomial proportions
in clustered surveys. *J. Survey Statistics and Methodology* 3, 484-503.
"""

from __future__ import annotations

import numpy as np

from survey.estimation import special_functions as special

# Quantiles come from scipy.special's ufuncs, the functions scipy.stats' t.ppf and beta.ppf evaluate
# (stdtrit, and Boost's inverse incomplete beta): the same numbers without importing scipy.stats
# (about 1 s), or scipy.special's array-API start-up (see special_functions), which the command
# line's `survey estimate` would otherwise spend on start-up.

CI_METHODS = ("logit", "beta", "beta_nchs", "wilson", "likelihood", "asin", "mean", "normal")
PROPORTION_METHODS = ("logit", "beta", "beta_nchs", "wilson", "likelihood", "asin")


def critical_value(level: float, df) -> np.ndarray:
    """Two-sided critical value ``t_{df, 1-(1-level)/2}`` (normal for ``df = inf``; NaN for df <= 0)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(df > 0, special.stdtrit(np.where(df > 0, df, 1.0), 1 - (1 - level) / 2), np.nan)


def beta_quantile(q: float, a, b) -> np.ndarray:
    """Quantile ``q`` of Beta(a, b), NaN where a or b is not positive (as ``scipy.stats.beta.ppf``)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0)
    out[ok] = special.betaincinv(a[ok], b[ok], q)
    return out[()] if out.ndim == 0 else out


def wald(estimate, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """``estimate +/- t_df se`` (pass ``df=np.inf`` for the normal interval)."""
    q = critical_value(level, df)
    return estimate - q * se, estimate + q * se


def logit(p, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Logit-scale Wald interval, as R ``svyciprop(method="logit")``; NaN at p = 0 or 1."""
    p = np.asarray(p, dtype=float)
    q = critical_value(level, df)
    inside = (p > 0) & (p < 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = special.logit(np.where(inside, p, 0.5))
        half = q * se / (p * (1 - p))
        low = np.where(inside, special.expit(centre - half), np.nan)
        high = np.where(inside, special.expit(centre + half), np.nan)
    return low, high


def effective_n(p, se, n, cap: bool) -> np.ndarray:
    """Effective sample size ``p (1 - p) / var(p)``; with ``cap``, at most ``n`` (NCHS)."""
    p = np.asarray(p, dtype=float)
    var = np.asarray(se, dtype=float) ** 2
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = p * (1 - p) / var
    if not cap:
        return raw
    return np.where((var > 0) & (raw < n), raw, n)


def korn_graubard(p, se, n, df, level: float, nchs: bool = False):
    """Korn-Graubard interval and the effective sample size it used.

    Parameters
    ----------
    p, se, n, df : array-like
        Estimate, standard error, sample size (rows used) and degrees of freedom.
    level : float
    nchs : bool, default False
        False: R's ``svyciprop(method="beta")`` (no cap, NaN at p = 0 or 1).
        True: NCHS 2017 (effective n capped at n; defined at p = 0 and 1).

    Returns
    -------
    (low, high, n_eff) : tuple of numpy.ndarray
        ``n_eff`` is before the degrees-of-freedom adjustment.
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - level
    n_eff = effective_n(p, se, n, cap=nchs)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = critical_value(level, n - 1) / critical_value(level, df)
        n_df = n_eff * ratio**2
        x = n_df * p
        low = beta_quantile(alpha / 2, x, n_df - x + 1)
        high = beta_quantile(1 - alpha / 2, x + 1, n_df - x)
    if nchs:
        low = np.where(p == 0, 0.0, low)
        high = np.where(p == 1, 1.0, high)
    else:
        undefined = (p <= 0) | (p >= 1)
        low = np.where(undefined, np.nan, low)
        high = np.where(undefined, np.nan, high)
    return low, high, n_eff


def wilson(p, se, n, df, level: float):
    """Wilson score interval with design-effect-adjusted n and a ``t_df`` critical value."""
    p = np.asarray(p, dtype=float)
    n_star = effective_n(p, se, n, cap=False)
    var = np.asarray(se, dtype=float) ** 2
    n_star = np.where(var > 0, n_star, np.asarray(n, dtype=float))
    c = critical_value(level, df)
    with np.errstate(invalid="ignore", divide="ignore"):
        c2n = c**2 / n_star
        centre = (p + c2n / 2) / (1 + c2n)
        half = c * np.sqrt(p * (1 - p) / n_star + c**2 / (4 * n_star**2)) / (1 + c2n)
    return centre - half, centre + half


def asin(p, se, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Arcsine-square-root interval, as R ``svyciprop(method="asin")`` (module docstring)."""
    p = np.asarray(p, dtype=float)
    q = critical_value(level, df)
    with np.errstate(invalid="ignore", divide="ignore"):
        angle = np.arcsin(np.sqrt(p))
        half = q * np.asarray(se, dtype=float) / (2 * np.sqrt(p * (1 - p)))
        low = np.sin(np.clip(angle - half, 0, np.pi / 2)) ** 2
        high = np.sin(np.clip(angle + half, 0, np.pi / 2)) ** 2
    return low, high


def from_se(method: str, p, se, n, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The interval of ``method`` that needs only the estimate, its SE, n and df (not ``logit`` or
    ``likelihood``, which a design or replicate estimator makes from its own variance).

    ``beta``/``beta_nchs`` (Korn–Graubard), ``wilson``, ``asin``, ``mean`` (t with ``df``), else
    ``normal`` (z).
    """
    if method in ("beta", "beta_nchs"):
        low, high, _ = korn_graubard(p, se, n, df, level, nchs=method == "beta_nchs")
        return low, high
    if method == "wilson":
        return wilson(p, se, n, df, level)
    if method == "asin":
        return asin(p, se, df, level)
    return wald(p, se, df if method == "mean" else np.inf, level)
