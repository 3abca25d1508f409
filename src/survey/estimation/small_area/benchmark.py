"""Benchmarking county estimates to the province's direct estimate.

With population shares ``w_i`` (summing to 1 over the areas benchmarked), the benchmarked
estimates ``b_i`` satisfy ``sum(w_i b_i) = P``, the province's direct estimate:

``ratio``
    ``b_i = theta_i P / sum(w_i theta_i)`` (R ``emdi::benchmark(type = "ratio")``).
``raking``
    The odds of every area multiplied by one factor, ``logit(b_i) = logit(theta_i) + c``: this is
    iterative proportional fitting of the area x (positive, negative) table to the area
    populations and to the province's number of positives, and keeps every estimate within (0, 1).
    (``emdi``'s ``raking`` is the additive shift ``theta_i + P - sum(w_i theta_i)`` instead.)

The benchmarked MSE is approximated by ``mse_i + (b_i - theta_i)^2`` (benchmarked MSEs are
approximate; Rao & Molina 2015, section 6.3.3).

Example
-------
>>> benchmark_estimates(np.array([0.1, 0.3]), np.array([0.5, 0.5]), 0.25, "ratio")
array([0.125, 0.375])
"""

from __future__ import annotations

import numpy as np

from survey.errors import ArgumentError

BENCHMARKS = ("ratio", "raking", "none")


def benchmark_estimates(theta, shares, province: float, how: str, apply_to=None):
    """Benchmarked ``theta`` (the areas with ``shares``) so that ``sum(shares * b) == province``.

    ``apply_to`` (default ``theta``): further estimates adjusted by the same factor or shift
    (areas outside the benchmark's population, e.g. without a population share).
    """
    theta, shares = np.asarray(theta, float), np.asarray(shares, float)
    if how not in BENCHMARKS:
        raise ArgumentError(f"benchmark: expected one of {BENCHMARKS}, found {how!r}")
    if not (np.isfinite(shares).all() and (shares >= 0).all() and shares.sum() > 0):
        raise ArgumentError("benchmark: expected non-negative population shares with a positive sum")
    if not 0 < province < 1:
        raise ArgumentError(f"benchmark: expected a province proportion strictly between 0 and 1, found {province}")
    shares = shares / shares.sum()
    others = theta if apply_to is None else np.asarray(apply_to, float)
    if how == "none":
        return others.copy()
    if how == "ratio":
        return others * province / float(shares @ theta)
    eps = 1e-12
    logit = np.log(np.clip(theta, eps, 1 - eps) / (1 - np.clip(theta, eps, 1 - eps)))
    from scipy.optimize import brentq

    def gap(c):  # increasing in c, from -P to 1-P
        return float(shares @ (1 / (1 + np.exp(-(logit + c))))) - province

    shift = brentq(gap, -60.0, 60.0, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    other_logit = np.log(np.clip(others, eps, 1 - eps) / (1 - np.clip(others, eps, 1 - eps)))
    return 1 / (1 + np.exp(-(other_logit + shift)))
