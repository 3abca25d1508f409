"""Effect sizes with confidence intervals for paired (pre/post) data.

* Cohen's ``d_z`` = mean difference / SD of the differences, with the exact interval from the
  noncentral t distribution: ``t = d_z sqrt(n)`` follows ``t'(n - 1, delta sqrt(n))``; the
  interval inverts its CDF in the noncentrality (Cumming & Finch 2001).
* Hedges' ``g_z`` = ``J(n - 1) d_z`` with ``J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``,
  the small-sample bias correction (Hedges 1981); the interval is ``J`` times ``d_z``'s.
* For paired 0/1 outcomes with discordant counts ``b`` (1 before, 0 after) and ``c`` (0 before,
  1 after) among ``n`` pairs: risk difference ``(c - b) / n`` with the Wald interval
  ``var = ((b + c) - (c - b)^2 / n) / n^2`` (Agresti 2013, 10.1), and the conditional (McNemar)
  odds ratio ``c / b`` with a Wald interval on the log scale, ``se = sqrt(1/b + 1/c)``.

References
----------
Cumming, G., & Finch, S. (2001). A primer on the understanding, use, and calculation of
confidence intervals based on central and noncentral distributions. *Educational and
Psychological Measurement*, 61, 532-574.
Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size and related
estimators. *Journal of Educational Statistics*, 6, 107-128.
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science.
*Frontiers in Psychology*, 4, 863.
Agresti, A. (2013). *Categorical Data Analysis* (3rd ed.). Wiley.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special, stats


def hedges_j(df: float) -> float:
    """Hedges' small-sample correction ``J(df)`` (exact gamma form).

    Examples
    --------
    >>> round(hedges_j(9), 4)
    0.9139
    """
    return float(np.exp(special.gammaln(df / 2) - np.log(np.sqrt(df / 2)) - special.gammaln((df - 1) / 2)))


def _nct_limit(t: float, df: float, probability: float) -> float:
    """Noncentrality ``nc`` with ``P(T' <= t | nc) = probability``."""
    def f(nc):
        value = stats.nct.cdf(t, df, nc)
        if not np.isfinite(value):  # scipy returns NaN far in the tails, where the CDF is 0 or 1
            value = 0.0 if nc > t else 1.0
        return value - probability

    # the limits lie within a few standard errors of t: sd(T') ~ sqrt(1 + t^2 / (2 df))
    width = 8 * np.sqrt(1 + t * t / (2 * df))
    return float(optimize.brentq(f, t - width, t + width, xtol=1e-13))


def cohens_dz(differences: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Cohen's ``d_z`` of paired differences and its noncentral-t interval.

    Examples
    --------
    >>> d, low, high = cohens_dz(np.array([1., 2, 0, 3, 1, 2, 1, 0, 2, 1]))
    >>> round(d, 4), round(low, 3), round(high, 3)
    (1.3703, 0.473, 2.231)

    R: ``MBESS::ci.sm(sm = mean(d)/sd(d), N = length(d))``.
    """
    x = np.asarray(differences, dtype=float)
    n = x.size
    d = float(x.mean() / x.std(ddof=1))
    t = d * np.sqrt(n)
    alpha = 1 - level
    low = _nct_limit(t, n - 1, 1 - alpha / 2) / np.sqrt(n)
    high = _nct_limit(t, n - 1, alpha / 2) / np.sqrt(n)
    return d, float(low), float(high)


def paired_risk_difference(b: int, c: int, n: int, level: float = 0.95) -> tuple[float, float, float, float]:
    """Risk difference ``(c - b)/n`` of paired 0/1 data: (estimate, se, low, high)."""
    rd = (c - b) / n
    se = float(np.sqrt(max((b + c) - (c - b) ** 2 / n, 0.0)) / n)
    z = stats.norm.ppf(0.5 + level / 2)
    return rd, se, rd - z * se, rd + z * se


def paired_odds_ratio(b: int, c: int, level: float = 0.95) -> tuple[float, float, float, float]:
    """Conditional (McNemar) odds ratio ``c/b``: (estimate, se of log OR, low, high); NaN if b or c is 0."""
    if b == 0 or c == 0:
        return (np.inf if b == 0 and c > 0 else (0.0 if c == 0 and b > 0 else np.nan)), np.nan, np.nan, np.nan
    log_or = np.log(c / b)
    se = float(np.sqrt(1 / b + 1 / c))
    z = stats.norm.ppf(0.5 + level / 2)
    return float(np.exp(log_or)), se, float(np.exp(log_or - z * se)), float(np.exp(log_or + z * se))
