"""Interval formulas that R 4.1's survey package cannot check (Wilson, NCHS Korn-Graubard).

R's svyciprop(method="wilson") arrived in survey 4.5; Debian ships 4.1.1 here, so the Wilson
interval is checked against statsmodels (df = inf) and against its defining property.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from survey.estimation import intervals

P = np.array([0.02, 0.15, 0.5, 0.83, 0.97])
N = np.array([40, 120, 300, 80, 1000])
DEFF = np.array([1.0, 1.7, 2.5, 0.8, 3.1])
SE = np.sqrt(P * (1 - P) / N * DEFF)


def test_wilson_equals_statsmodels_with_effective_n_and_normal_quantile():
    low, high = intervals.wilson(P, SE, N, np.inf, 0.95)
    n_eff = P * (1 - P) / SE**2
    ref_low, ref_high = proportion_confint(P * n_eff, n_eff, alpha=0.05, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12)


def test_wilson_ends_solve_the_score_equation_with_t():
    """Both ends satisfy |p - pi| = t_df sqrt(pi (1 - pi) / n_eff)."""
    df = np.array([5, 12, 30, 60, 200])
    low, high = intervals.wilson(P, SE, N, df, 0.9)
    n_eff = P * (1 - P) / SE**2
    t = stats.t.ppf(0.95, df)
    for end in (low, high):
        np.testing.assert_allclose(np.abs(P - end), t * np.sqrt(end * (1 - end) / n_eff), rtol=1e-10)


def test_korn_graubard_nchs_caps_effective_n():
    low_r, high_r, n_r = intervals.korn_graubard(P, SE, N, 30, 0.95, nchs=False)
    low_n, high_n, n_n = intervals.korn_graubard(P, SE, N, 30, 0.95, nchs=True)
    capped = n_r > N  # deff < 1
    assert capped.tolist() == [False, False, False, True, False]
    np.testing.assert_allclose(n_n, np.minimum(n_r, N))
    np.testing.assert_allclose(low_n[~capped], low_r[~capped], rtol=1e-14)
    assert high_n[capped] - low_n[capped] > high_r[capped] - low_r[capped]


def test_korn_graubard_nchs_at_zero_and_one():
    """At p = 0: [0, 1 - (alpha/2)^(1/n_df)], the Clopper-Pearson bound for x = 0."""
    n, df = np.array([50.0, 50.0]), np.array([20.0, 20.0])
    low, high, n_eff = intervals.korn_graubard(np.array([0.0, 1.0]), np.zeros(2), n, df, 0.95, nchs=True)
    n_df = n * (stats.t.ppf(0.975, n - 1) / stats.t.ppf(0.975, df)) ** 2
    assert n_eff.tolist() == [50.0, 50.0]
    np.testing.assert_allclose([low[0], high[1]], [0.0, 1.0])
    np.testing.assert_allclose(high[0], 1 - 0.025 ** (1 / n_df[0]), rtol=1e-12)
    np.testing.assert_allclose(low[1], 0.025 ** (1 / n_df[1]), rtol=1e-12)
    r_low, r_high, _ = intervals.korn_graubard(np.array([0.0]), np.zeros(1), n[:1], df[:1], 0.95)
    assert np.isnan(r_low[0]) and np.isnan(r_high[0])  # R gives no interval there


def test_logit_interval_undefined_at_the_edges():
    low, high = intervals.logit(np.array([0.0, 1.0, 0.4]), np.array([0.0, 0.0, 0.05]), 10, 0.95)
    assert np.isnan(low[:2]).all() and np.isnan(high[:2]).all() and 0 < low[2] < 0.4 < high[2] < 1


@pytest.mark.parametrize("df", [0, -1])
def test_no_t_quantile_without_degrees_of_freedom(df):
    assert np.isnan(intervals.critical_value(0.95, df))


def test_normal_and_t_wald():
    low, high = intervals.wald(1.0, 0.5, np.inf, 0.95)
    assert high - 1.0 == pytest.approx(0.5 * stats.norm.ppf(0.975), rel=1e-14)
    low, high = intervals.wald(1.0, 0.5, 7, 0.9)
    assert 1.0 - low == pytest.approx(0.5 * stats.t.ppf(0.95, 7), rel=1e-14)


def test_quantiles_without_scipy_stats_are_scipy_stats_own():
    """critical_value and beta_quantile (scipy.special) give scipy.stats' t.ppf and beta.ppf bit for bit."""
    rng = np.random.default_rng(14)
    df = np.concatenate([np.exp(rng.uniform(-3, 14, 5000)), [1.0, 2.0, 30.0, np.inf, 0.0, -1.0, np.nan]])
    for level in (0.9, 0.95, 0.99):
        expected = np.where(df > 0, stats.t.ppf(1 - (1 - level) / 2, np.where(df > 0, df, 1.0)), np.nan)
        np.testing.assert_array_equal(intervals.critical_value(level, df), expected)
    a = np.concatenate([np.exp(rng.uniform(-5, 12, 5000)), [0.0, -1.0, np.nan, 3.0]])
    b = np.concatenate([np.exp(rng.uniform(-5, 12, 5000)), [2.0, 2.0, 2.0, 0.0]])
    for q in (0.005, 0.025, 0.975):
        np.testing.assert_array_equal(intervals.beta_quantile(q, a, b), stats.beta.ppf(q, a, b))
