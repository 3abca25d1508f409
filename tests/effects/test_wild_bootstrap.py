"""The vectorised restricted wild cluster bootstrap against wildboottest 0.3.2 and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from survey.effects.simulation import simulate_did
from survey.effects.wild_bootstrap import WildClusterBootstrap, bootstrap_weights, wild_cluster_bootstrap
from survey.errors import ColumnError, ConfigError


def _problem(seed=3, n=600, G=8, weighted=False):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, G, n)
    x = (g < G // 2).astype(float)
    z = rng.normal(size=n)
    y = 0.3 * x + 0.5 * z + rng.normal(size=G)[g] + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x, z])
    w = rng.lognormal(0, 0.5, n) if weighted else None
    return X, y, g, w


def _wildboottest(X, y, g, v, column):
    from wildboottest.wildboottest import WildboottestCL

    R = np.zeros(X.shape[1])
    R[column] = 1
    wb = WildboottestCL(X=X, Y=y, cluster=g, R=R, B=v.shape[1], seed=1, parallel=False)
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.v, wb.B = v, v.shape[1]
    wb.get_numer()
    wb.get_denom()
    wb.get_tboot()
    wb.get_vcov()
    wb.get_tstat()
    wb.get_pvalue()
    return wb


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
@pytest.mark.parametrize("weighted", [False, True])
def test_bootstrap_t_matches_wildboottest_draw_for_draw(kind, weighted):
    X, y, g, w = _problem(weighted=weighted)
    v, _ = bootstrap_weights(8, kind, 999, seed=5)
    ours = WildClusterBootstrap(X, y, g, 1, weights=w)
    # wildboottest has no weights: pass the sqrt(w)-scaled rows (WLS as OLS)
    root = np.ones(len(y)) if w is None else np.sqrt(w)
    theirs = _wildboottest(X * root[:, None], y * root, g, v, 1)
    np.testing.assert_allclose(ours.bootstrap_t(v), theirs.t_boot, rtol=1e-10, atol=1e-12)
    assert ours.t_stat() == pytest.approx(float(np.ravel(theirs.t_stat)[0]), rel=1e-12)
    result = ours.test(v=v)
    # wildboottest counts |t*| > |t| with no tolerance; the draws v = +-1 reproduce |t| itself
    # (up to rounding), which we never count: the p-values differ by at most those ties
    t = abs(ours.t_stat())
    ties = np.isclose(np.abs(theirs.t_boot), t, rtol=1e-9, atol=0)
    assert result.p_value == pytest.approx(np.mean((np.abs(theirs.t_boot) > t) & ~ties), abs=1e-12)
    assert abs(theirs.pvalue - result.p_value) <= ties.mean() + 1e-12


def test_rademacher_enumerates_all_sign_vectors_for_eight_clusters():
    v, enumerated = bootstrap_weights(8, "rademacher", 9999)
    assert enumerated and v.shape == (8, 256)
    assert len({tuple(col) for col in v.T}) == 256
    v, enumerated = bootstrap_weights(8, "rademacher", 100, seed=1)
    assert not enumerated and v.shape == (8, 100)
    webb, _ = bootstrap_weights(8, "webb", 50_000, seed=1)
    assert set(np.round(np.unique(webb) ** 2, 12)) == {0.5, 1.0, 1.5}
    assert webb.mean() == pytest.approx(0, abs=0.01) and (webb**2).mean() == pytest.approx(1, abs=0.01)


def test_cr1_se_equals_statsmodels_cluster_wls():
    X, y, g, w = _problem(weighted=True)
    ours = WildClusterBootstrap(X, y, g, 1, weights=w)
    fit = sm.WLS(y, X, weights=w).fit(cov_type="cluster", cov_kwds={"groups": g})
    assert ours.estimate == pytest.approx(fit.params[1], rel=1e-12)
    assert ours.se == pytest.approx(fit.bse[1], rel=1e-10)


def test_interval_is_the_set_of_nulls_not_rejected():
    X, y, g, w = _problem(seed=11, weighted=True)
    boot = WildClusterBootstrap(X, y, g, 1, weights=w)
    result = boot.test("webb", B=1999, seed=2)
    assert result.ci_low < result.estimate < result.ci_high
    eps = 1e-6 * result.se
    for end, outward in ((result.ci_low, -1), (result.ci_high, 1)):
        inside = boot.test(v=bootstrap_weights(8, "webb", 1999, seed=2)[0], null=end - outward * eps)
        outside = boot.test(v=bootstrap_weights(8, "webb", 1999, seed=2)[0], null=end + outward * eps)
        assert inside.p_value > 0.05 >= outside.p_value
    # at the estimate t = 0, and every draw with |t*| > 0 counts
    assert boot.test("rademacher", null=result.estimate).p_value > 0.99


def test_p_value_is_uniform_under_the_null_on_average():
    """A quick sanity check (the full coverage study is in test_effects_simulation.py)."""
    rejections = []
    for seed in range(60):
        data = simulate_did(seed=seed, effect=0.0)
        X = np.column_stack([np.ones(len(data)), data["treated"],
                             pd.get_dummies(data["district"], drop_first=True, dtype=float),
                             pd.get_dummies(data["wave"], drop_first=True, dtype=float)])
        r = wild_cluster_bootstrap(X, data["y"].to_numpy(), data["district"], 1, weights=data["weight"].to_numpy())
        rejections.append(r.p_value < 0.05)
    assert np.mean(rejections) < 0.15


def test_errors_are_one_line():
    X, y, g, _ = _problem()
    with pytest.raises(ConfigError, match="at least 2 clusters"):
        WildClusterBootstrap(X, y, np.zeros(len(y)), 1)
    with pytest.raises(ConfigError, match="weights_type"):
        wild_cluster_bootstrap(X, y, g, 1, weights_type="mammen")
    with pytest.raises(ConfigError, match="column"):
        WildClusterBootstrap(X, y, g, 5)
    with pytest.raises(ColumnError, match="missing"):
        WildClusterBootstrap(X, y, np.where(g == 0, None, g), 1)
    with pytest.raises(ConfigError, match="B"):
        bootstrap_weights(8, "webb", 0)
