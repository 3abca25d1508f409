"""Simulated counties with a known prevalence (survey.estimation.small_area.simulation): the Fay–Herriot
estimates are closer to the truth than the direct ones and their 95% intervals cover about 95%.

The slow test is the arcsine row of docs/small-area.md (benchmarks/small_area_coverage.py); the fast one
a few seeded replications with loose bounds.
"""

from __future__ import annotations

import pytest

from survey.estimation.small_area.simulation import coverage, simulate_counties


def _rows(summary):
    return summary.set_index("estimator")


def test_the_simulated_counties_are_as_described():
    direct, covariates, truth = simulate_counties(100, seed=3, unsampled=10)
    assert len(direct) == 90 and len(covariates) == len(truth) == 100
    assert direct["n"].between(150, 3000).all() and direct["deff"].between(1.2, 2.5).all()
    assert truth.between(0.03, 0.6).all()


def test_a_few_replications_beat_the_direct_estimates():
    summary, per = coverage(3, m=60, unsampled=6, n_boot=60, seed=11)
    rows = _rows(summary)
    assert rows.loc["model", "mse_ratio"] < 0.85
    assert 0.88 <= rows.loc["model", "coverage"] <= 0.99
    assert per["synthetic"].sum() >= 18 and 0.75 <= rows.loc["model, synthetic", "coverage"] <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("transform", ["arcsine", "none"])
def test_100_counties_coverage_and_mse(transform):
    summary, _ = coverage(200, transform=transform, seed=2026)
    rows = _rows(summary)
    assert rows.loc["model", "mse_ratio"] < 0.8
    assert rows.loc["model, n < 500", "mse_ratio"] < rows.loc["model", "mse_ratio"]
    assert 0.935 <= rows.loc["model", "coverage"] <= 0.965
    assert 0.9 <= rows.loc["model, synthetic", "coverage"] <= 0.98
    assert 0.85 <= rows.loc["model", "mse_estimated_over_actual"] <= 1.15
