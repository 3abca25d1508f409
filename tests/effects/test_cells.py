"""The fast path of the effects step (fits on the distinct rows of the model matrix) against the old
path (statsmodels' GLM on every row, per-row scores, the per-row wild bootstrap), on small data.

The two agree to rounding, not bit for bit: sums over cells add in another order. The bound
asserted is 1e-12 relative on every coefficient, standard error and bootstrap statistic, and
exact equality of the bootstrap p-values (same draws, same seed). Covariance entries and bootstrap
t-statistics are compared on their own scale (correlation scale; the largest |t*|): an entry near
zero is a difference of large terms, rounded differently by the two paths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest

from survey.effects.cells import distinct_rows, fit_on_cells
from survey.effects.design_variance import design_covariance, design_units
from survey.effects.did import did
from survey.effects.glm import fit_weighted_glm, fitting_rows, score_parts, svyglm
from survey.effects.model_frame import categorical_shortcut, check_full_rank, plain_columns
from survey.effects.simulation import simulate_did
from survey.effects.wild_bootstrap import WildClusterBootstrap, bootstrap_weights
from survey.errors import ConfigError
from survey.estimation import Design

RTOL = 1e-12
FORMULA = "{y} ~ treated + C(district) + C(wave) + C(sex) + C(age)"


def close(a, b, rtol=RTOL):
    """Elementwise |a - b| <= rtol * max(|a|, |b|), with entries at rounding level of the largest counted as 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = max(np.abs(a).max(), np.abs(b).max())
    return bool(np.all(np.abs(a - b) <= rtol * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-3 * scale)))


def close_cov(a, b, rtol=RTOL):
    """Covariance matrices equal to ``rtol`` on the correlation scale: |a_ij - b_ij| <= rtol sqrt(b_ii b_jj)."""
    scale = np.sqrt(np.outer(np.diag(b), np.diag(b)))
    return bool(np.all(np.abs(a - b) <= rtol * scale))


@pytest.fixture(scope="module")
def data():
    frame = simulate_did(seed=11, effect=0.3)
    rng = np.random.default_rng(4)
    frame["sex"] = rng.integers(1, 3, len(frame))
    frame["age"] = rng.choice(["18-34", "35-59", "60+"], len(frame))
    frame["y01"] = (frame["y"] > frame["y"].median()).astype(float)
    frame["count"] = rng.poisson(np.exp(0.2 + 0.3 * frame["treated"]))
    frame.loc[frame.index[::37], "y01"] = np.nan  # an outcome with missing values drops rows
    return frame


@pytest.fixture(scope="module")
def design(data):
    return Design(data, weight="weight", strata="stratum", psu="psu", nest=True)


def _old_svyglm(design, formula, family):
    """The pre-cells svyglm: statsmodels IRLS on every row, per-row scores (the reference)."""
    frame, w = fitting_rows(design, formula, family, None)
    fit = fit_weighted_glm(frame, w, family)
    params = np.asarray(fit.params)
    scores, information = score_parts(frame, params, w, family)
    row_influence = scores @ np.linalg.inv(information)
    influence = np.zeros((len(design.data), len(params)))
    influence[frame.rows] = row_influence
    model_weights = np.zeros(len(design.data))
    model_weights[frame.rows] = design.weights()[frame.rows]
    units = design_units(design.with_weights(model_weights, name="_model_weight"))
    return params, design_covariance(units, influence), row_influence, frame


@pytest.mark.parametrize(("outcome", "family"), [("y", "gaussian"), ("y01", "gaussian"), ("y01", "binomial"),
                                                 ("count", "poisson")])
def test_svyglm_on_cells_equals_statsmodels_on_rows(design, outcome, family):
    params, cov, influence, frame = _old_svyglm(design, FORMULA.format(y=outcome), family)
    fit = svyglm(design, FORMULA.format(y=outcome), family=family)
    assert fit.extra["cells"].n_cells < frame.n / 2  # the cells path was taken, with far fewer cells than rows
    assert list(fit.params.index) == frame.names
    assert close(fit.params.to_numpy(), params)
    assert close_cov(fit.cov.to_numpy(), cov)
    assert close(np.sqrt(np.diag(fit.cov.to_numpy())), np.sqrt(np.diag(cov)))  # the standard errors
    scale = np.abs(influence).max(axis=0)
    assert np.all(np.abs(fit.extra["influence"] - influence) <= RTOL * scale)


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_wild_bootstrap_on_cells_equals_rows(design, kind):
    fit = svyglm(design, FORMULA.format(y="y01"))
    frame, w, cells = fit.extra["frame"], fit.extra["weights"], fit.extra["cells"]
    clusters = design.data["district"].to_numpy()[frame.rows]
    j = frame.column("treated")
    rows = WildClusterBootstrap(frame.X, frame.y, clusters, j, weights=w)
    fast = WildClusterBootstrap(frame.X, frame.y, clusters, j, weights=w, cells=cells)
    assert close(fast.beta_hat, rows.beta_hat) and close(fast.se, rows.se)
    v, _ = bootstrap_weights(rows.G, kind, 999, seed=7)
    t_rows, t_fast = rows.bootstrap_t(v), fast.bootstrap_t(v)
    # t* near 0 is a difference of O(1) terms: compared on the scale of the largest |t*|, which is
    # what the p-value's comparisons |t*| > |t| see
    assert np.all(np.abs(t_fast - t_rows) <= RTOL * np.abs(t_rows).max())
    a = rows.test(weights_type=kind, B=999, seed=20230901)
    b = fast.test(weights_type=kind, B=999, seed=20230901)
    assert b.p_value == a.p_value and b.draws == a.draws
    assert close([b.ci_low, b.ci_high], [a.ci_low, a.ci_high], rtol=1e-11)  # bisection stops at 1e-12 of the scale


def test_did_table_unchanged_in_its_exact_columns(design):
    table = did(design, "y01", treated="treated", unit="district", time="wave", covariates=["C(sex)", "C(age)"],
                B=499).table
    assert table["method"].tolist() == ["design", "cr1", "wcr_rademacher", "wcr_webb"]
    params, cov, _, frame = _old_svyglm(design, FORMULA.format(y="y01"), "gaussian")
    j = frame.column("treated")
    assert close(table["estimate"].iloc[0], params[j]) and close(table["se"].iloc[0], np.sqrt(cov[j, j]))


def test_distinct_rows_are_exact():
    rng = np.random.default_rng(2)
    X = np.column_stack([np.ones(500), rng.integers(0, 2, (500, 4))]).astype(float)
    cells = distinct_rows(X)
    assert np.array_equal(cells.X[cells.of_row], X)
    assert cells.n_cells == len(np.unique(X, axis=0))
    assert list(cells.of_row[:1]) == [0]  # numbered in order of first appearance
    continuous = rng.normal(size=(50, 3))
    assert distinct_rows(continuous).n_cells == 50


def test_a_collinear_design_names_the_same_columns_on_cells(design):
    data = design.data.assign(twin=design.data["treated"])
    d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    messages = []
    for use_cells in (False, True):
        with pytest.raises(ConfigError, match="aliased columns") as error:
            fitting_rows(d, "y ~ treated + twin + C(district)", "gaussian", None, cells=use_cells)
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "twin" in messages[0]


def test_rank_check_on_cells_passes_a_full_rank_design(design):
    frame, w, cells = fitting_rows(design, FORMULA.format(y="y"), "gaussian", None, cells=True)
    check_full_rank(frame, w)          # rows
    check_full_rank(frame, w, cells)   # cells: no error either


def test_fit_on_cells_reports_non_convergence():
    X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1]]).astype(float)
    y = np.array([0, 0, 0, 1, 1, 1.0])  # perfect separation
    fit = fit_on_cells(distinct_rows(X), y, np.ones(6), "binomial")
    assert not fit.converged


@pytest.mark.parametrize("rhs", ["treated + C(district) + C(sex) + C(age)", "treated * C(sex) + C(district):C(age)",
                                 "C(sex) + C(sex, Treatment(reference=2))", "0 + C(age) + sex"])
def test_categorical_shortcut_gives_patsys_matrix_and_names(data, rhs):
    used = [c for c in data.columns if c in rhs]
    plain = plain_columns(data[used], categorical=[c for c in ("district", "sex", "age") if c in used])
    expected = patsy.dmatrix(rhs, plain, return_type="dataframe")
    short, rename = categorical_shortcut(rhs, plain)
    got = patsy.dmatrix(short, plain, return_type="dataframe")
    assert [rename(c) for c in got.columns] == list(expected.columns)
    pd.testing.assert_frame_equal(got.set_axis(expected.columns, axis=1), expected)
