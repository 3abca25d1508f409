"""GREG calibration against R's calibrate() (fixtures from tests/reference/calibration_quantiles.R).

Weights, and estimates with SEs (means, totals, ratios, proportions, domains) on the calibrated
designs agree to 1e-8 relative for linear calibration and 1e-6 for the iterative calfuns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_cases import DESIGNS, calibrated, data, fixture, rtol

import survey.estimation as est
from survey.errors import ColumnError, ConfigError
from survey.estimation.greg import CalibrationWarning, calibrate, calibration_weights
from survey.estimation.model_matrix import model_matrix, parse_formula


def test_the_issue_case_linear_calibration_on_stype_and_sch_wide():
    # issue 13: R's linear calibration gives 640.9959 where rake() gives 641.2302
    r = est.mean(calibrated("lin_sw"), "api00").table
    assert r.loc[0, "estimate"] == pytest.approx(640.99587, abs=5e-5)


@pytest.mark.parametrize("case", sorted(set(fixture("calibration_weights")["case"])))
def test_weights_agree_with_r(case):
    expected = fixture("calibration_weights")
    expected = expected[expected["case"] == case]["weight"].to_numpy(dtype=float)
    np.testing.assert_allclose(calibrated(case).weights(), expected, rtol=rtol(case))


def _estimate(design: est.Design, stat: str, outcome: str, by: str | None) -> pd.DataFrame:
    if stat == "ratio":
        return est.ratio(design, "api00", "api99", by=by).table
    function = {"mean": est.mean, "total": est.total, "proportion": est.mean}[stat]
    return function(design, outcome, by=by).table


def _cases():
    table = fixture("calibration")
    by = table["domain"].str.split("=").str[0].where(table["domain"] != "(all)", "")
    return sorted(set(zip(table["case"], table["stat"], table["outcome"], by, strict=True)))


@pytest.mark.parametrize(("case", "stat", "outcome", "by"), _cases())
def test_estimates_and_se_agree_with_r(case, stat, outcome, by):
    table = fixture("calibration")
    expected = table[(table["case"] == case) & (table["stat"] == stat) & (table["outcome"] == outcome)]
    expected = expected[expected["domain"].str.startswith(f"{by}=")] if by else expected[expected["domain"] == "(all)"]
    got = _estimate(calibrated(case), stat, outcome, by or None)
    assert len(got) == len(expected)
    tol = rtol(case)
    np.testing.assert_allclose(got["estimate"], expected["estimate"].astype(float), rtol=tol)
    np.testing.assert_allclose(got["se"], expected["se"].astype(float), rtol=tol * 10, atol=1e-9)


def test_raking_calfun_and_rake_give_the_same_weights_but_different_ses():
    # R: rake() keeps its own (backfitting) variance, calibrate(calfun="raking") the GREG one
    raked, greg = calibrated("rake_sw"), calibrated("rak_sw")
    # rake() stops when no cell moves by epsilon=1 (R's default), so only to about 1e-4
    np.testing.assert_allclose(raked.weights(), greg.weights(), rtol=1e-4)
    se_rake = est.mean(raked, "api00").table.loc[0, "se"]
    se_greg = est.mean(greg, "api00").table.loc[0, "se"]
    expected = fixture("calibration")
    assert se_rake == pytest.approx(float(expected[expected["case"] == "rake_sw"]["se"].iloc[0]), rel=1e-8)
    assert se_rake != pytest.approx(se_greg, rel=1e-6)


def test_model_matrix_names_follow_r():
    df = pd.DataFrame({"a": ["x", "y", "z", "x"], "b": ["u", "v", "u", "v"], "n": [1.0, 2, 3, 4]})
    # colnames(model.matrix(..., d)) in R 4.2
    assert model_matrix(df, "~a+b-1")[1] == ["ax", "ay", "az", "bv"]
    assert model_matrix(df, "~a*b")[1] == ["(Intercept)", "ay", "az", "bv", "ay:bv", "az:bv"]
    assert model_matrix(df, "~a:b")[1] == ["(Intercept)", "ax:bu", "ay:bu", "az:bu", "ax:bv", "ay:bv", "az:bv"]
    assert model_matrix(df, "~a*n")[1] == ["(Intercept)", "ay", "az", "n", "ay:n", "az:n"]
    assert model_matrix(df, "~n+a:n")[1] == ["(Intercept)", "n", "n:ay", "n:az"]
    assert model_matrix(df, "~b + a:b")[1] == ["(Intercept)", "bv", "bu:ay", "bv:ay", "bu:az", "bv:az"]
    X, names = model_matrix(df, "~a*b")
    np.testing.assert_array_equal(X[:, names.index("ay:bv")], [0, 1, 0, 0])
    assert parse_formula(["a", "n"]) == (True, [("a",), ("n",)])


def test_calibration_weights_is_a_pure_map_for_replicates():
    X, _ = model_matrix(data("apiclus1"), "~stype + sch.wide")
    population = np.array([6194, 755, 1018, 5122.0])
    for seed in range(3):
        w = np.random.default_rng(seed).uniform(20, 50, len(X))
        for calfun in ("linear", "raking"):
            fit = calibration_weights(X, w, population, calfun=calfun)
            np.testing.assert_allclose(X.T @ fit.weights, population, rtol=1e-7)


def test_totals_must_name_every_model_matrix_column():
    with pytest.raises(ConfigError, match="missing sch.wideYes"):
        calibrate(DESIGNS["apiclus1"](), "~stype + sch.wide", {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018})
    with pytest.raises(ConfigError, match="unknown stypeX"):
        calibrate(DESIGNS["apiclus1"](), "~stype", {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018,
                                                     "stypeX": 1})


def test_unreachable_totals_within_bounds_fail_unless_forced():
    population = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
    with pytest.raises(ConfigError, match="not converged"):
        calibrate(DESIGNS["apiclus1"](), "~stype + api99", population, calfun="raking", bounds=(0.7, 1.5))
    with pytest.warns(CalibrationWarning, match="not converged"):
        calibrate(DESIGNS["apiclus1"](), "~stype + api99", population, calfun="raking", bounds=(0.7, 1.5),
                  force=True)
    with pytest.raises(ConfigError, match="finite bounds"):
        calibrate(DESIGNS["apiclus1"](), "~stype + api99", population, calfun="logit")


def test_bad_auxiliaries_are_refused_in_one_line():
    frame = data("apiclus1").copy()
    frame.loc[[3, 7], "api99"] = np.nan
    design = est.Design(frame, weight="pw", psu="dnum", fpc="fpc")
    with pytest.raises(ColumnError, match=r"api99.*missing values.*rows"):
        calibrate(design, "~api99", {"(Intercept)": 6194, "api99": 3914069})
    with pytest.raises(ColumnError, match="not found"):
        calibrate(design, "~nosuch", {"(Intercept)": 6194, "nosuchx": 1})
    zero = est.Design(data("apiclus1").assign(pw=lambda f: f["pw"].where(f.index != 0, 0.0)), weight="pw",
                      psu="dnum", fpc="fpc")
    with pytest.raises(ColumnError, match="weights, found 0"):
        calibrate(zero, "~stype", {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018})
