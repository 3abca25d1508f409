"""The Fay–Herriot model's parts on small synthetic data: transforms, back-transformation, benchmarking,
synthetic areas and errors (the simulation with known truth is test_small_area_simulation.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.errors import ArgumentError, ColumnError
from survey.estimation.small_area import benchmark_estimates, direct_versus_model, fay_herriot
from survey.estimation.small_area import fitting as fh
from survey.estimation.small_area import transforms as tr


def counties(m=60, seed=1, n_range=(150, 3000), deff=(1.3, 2.5), sigma_u=0.2, sampled=None):
    """Counties with a known prevalence (logit-linear in one covariate) and direct estimates with design
    effects: the binomial share of n/deff effective respondents, with SE sqrt(p(1-p) deff / n)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=m)
    truth = 1 / (1 + np.exp(-(-1.4 + 0.45 * x + rng.normal(0, sigma_u, m))))
    n = rng.integers(*n_range, m)
    d = rng.uniform(*deff, m)
    n_eff = np.maximum(np.round(n / d), 2).astype(int)
    p = rng.binomial(n_eff, truth) / n_eff
    se = np.sqrt(p * (1 - p) * d / n)
    names = [f"c{i:03d}" for i in range(m)]
    direct = pd.DataFrame({"district": names, "estimate": p, "se": se, "n": n})
    if sampled is not None:
        direct = direct.iloc[:sampled]
    return direct, pd.DataFrame({"district": names, "x": x}), pd.Series(truth, index=names)


def test_arcsine_scale_uses_effective_sample_sizes():
    y, d, n_eff = tr.forward(np.array([0.2, 0.5]), np.array([0.0004, 0.001]), "arcsine")
    np.testing.assert_allclose(n_eff, [0.16 / 0.0004, 0.25 / 0.001])
    np.testing.assert_allclose(d, 1 / (4 * n_eff))
    np.testing.assert_allclose(np.sin(y) ** 2, [0.2, 0.5])
    _, d_logit, _ = tr.forward(np.array([0.2]), np.array([0.0004]), "logit")
    np.testing.assert_allclose(d_logit, 0.0004 / 0.16 ** 2)


@pytest.mark.parametrize("transform", ["arcsine", "logit"])
def test_bias_corrected_back_transformation_is_the_expectation(transform):
    mu, s2 = np.array([0.3, 0.9, -1.2]), np.array([0.01, 0.05, 0.2])
    if transform == "arcsine":
        mu = np.array([0.3, 0.9, 1.2])
    grid = np.linspace(-12, 12, 200_001)
    density = np.exp(-0.5 * grid ** 2)
    density /= density.sum()
    expected = [(tr.proportion_of(m + np.sqrt(v) * grid, transform) * density).sum()
                for m, v in zip(mu, s2, strict=True)]
    np.testing.assert_allclose(tr.back(mu, s2, transform), expected, rtol=1e-9)
    assert np.all(np.abs(tr.back(mu, np.zeros(3), transform) - tr.inverse(mu, transform)) < 1e-12)


def test_benchmarking_reproduces_the_province_estimate():
    theta, shares = np.array([0.1, 0.2, 0.4]), np.array([2.0, 1.0, 1.0])
    for how in ("ratio", "raking"):
        b = benchmark_estimates(theta, shares, 0.25, how)
        assert shares @ b / shares.sum() == pytest.approx(0.25, abs=1e-12)
        assert np.all(np.diff(b) > 0) and np.all((b > 0) & (b < 1))
    odds = lambda p: p / (1 - p)  # noqa: E731
    b = benchmark_estimates(theta, shares, 0.25, "raking")
    np.testing.assert_allclose(odds(b) / odds(theta), odds(b[0]) / odds(theta[0]))
    np.testing.assert_allclose(benchmark_estimates(theta, shares, 0.25, "ratio") / theta, 0.25 / 0.2)


@pytest.mark.parametrize("transform", ["none", "arcsine", "logit"])
def test_out_of_sample_counties_are_synthetic(transform):
    direct, cov, _ = counties(m=40, seed=3, sampled=32)
    fit = fay_herriot(direct, cov, variables=["x"], transform=transform, n_boot=50, seed=2)
    table = fit.to_frame()
    assert list(table.columns[:3]) == ["district", "direct", "direct_se"]
    assert table["synthetic"].sum() == 8 and table.loc[table["synthetic"], "direct"].isna().all()
    assert (table.loc[table["synthetic"], "gamma"] == 0).all()
    outside = ~table["model"].between(0, 1)
    assert transform == "none" or not outside.any()
    assert not outside.any() or any("outside [0, 1]" in n for n in fit.notes)
    assert (table["model_mse_root"] > 0).all()
    # a synthetic estimate is less precise than a model estimate that also has the county's own sample
    assert table.loc[table["synthetic"], "model_mse_root"].median() > table.loc[~table["synthetic"],
                                                                                "model_mse_root"].median()
    assert fit.diagnostics().loc[0, "areas_synthetic"] == 8
    assert "8 synthetic" in fit.summary()


def test_counties_with_no_usable_variance_are_synthetic_and_said_so():
    direct, cov, _ = counties(m=30, seed=4)
    direct.loc[0, ["estimate", "se"]] = [0.0, 0.0]
    fit = fay_herriot(direct, cov, variables=["x"], transform="arcsine", n_boot=30)
    assert fit.to_frame().loc[0, "synthetic"] and "no usable variance" in " ".join(fit.notes)


def test_bootstrap_is_seeded():
    direct, cov, _ = counties(m=30, seed=5)
    one = fay_herriot(direct, cov, variables=["x"], n_boot=40, seed=9).to_frame()
    two = fay_herriot(direct, cov, variables=["x"], n_boot=40, seed=9).to_frame()
    pd.testing.assert_frame_equal(one, two)


def test_shrinkage_follows_the_sampling_variance():
    direct, cov, _ = counties(m=50, seed=6)
    table = fay_herriot(direct, cov, variables=["x"], transform="none").to_frame()
    order = np.argsort(table["direct_se"].to_numpy())
    assert np.all(np.diff(table["gamma"].to_numpy()[order]) <= 1e-15)


def test_a_zero_area_variance_gives_the_regression_estimates():
    rng = np.random.default_rng(7)
    x = np.linspace(-1, 1, 30)
    p = 0.2 + 0.05 * x + rng.normal(0, 0.0005, 30)
    direct = pd.DataFrame({"district": range(30), "estimate": p, "se": 0.02})
    fit = fay_herriot(direct, direct.assign(x=x), variables=["x"], transform="none")
    assert fit.fit.sigma2 == 0 and (fit.to_frame()["gamma"] == 0).all()
    assert any("sigma2_u estimated as 0" in n for n in fit.notes)


def test_one_line_errors():
    direct, cov, _ = counties(m=20, seed=8)
    with pytest.raises(ColumnError, match=r"found none for \['c019'\]") as error:
        fay_herriot(direct, cov.iloc[:-1], variables=["x"])
    assert "\n" not in str(error.value)
    with pytest.raises(ColumnError, match="found no 'income'"):
        fay_herriot(direct, cov, variables=["income"])
    with pytest.raises(ArgumentError, match="transform"):
        fay_herriot(direct, cov, variables=["x"], transform="probit")
    with pytest.raises(ArgumentError, match="province= and shares="):
        fay_herriot(direct, cov, variables=["x"], benchmark="ratio")
    with pytest.raises(ArgumentError, match="more areas"):
        fh.fit_fay_herriot(np.ones(2), np.ones(2), np.ones((2, 2)))


def test_benchmarked_fit_adds_up():
    direct, cov, _ = counties(m=40, seed=10)
    shares = pd.Series(direct["n"].to_numpy(float), index=direct["district"])
    for how in ("ratio", "raking"):
        table = fay_herriot(direct, cov, variables=["x"], benchmark=how, province=0.21, shares=shares,
                            n_boot=30).to_frame()
        assert (table["model"] * shares.to_numpy()).sum() / shares.sum() == pytest.approx(0.21, abs=1e-10)
        assert (table["model_mse_root"] ** 2 >= 0).all()


def test_the_figure_draws_direct_against_model():
    direct, cov, _ = counties(m=30, seed=11, sampled=25)
    fit = fay_herriot(direct, cov, variables=["x"], transform="none")
    fig = fit.plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "direct estimate (%)" and len(ax.collections) == 2
    import matplotlib.pyplot as plt

    plt.close(fig)
    with pytest.raises(ColumnError):
        direct_versus_model(pd.DataFrame({"direct": [0.1]}))
