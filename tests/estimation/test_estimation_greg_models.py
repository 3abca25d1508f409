"""svyglm and rao_scott on calibrated designs (GREG, rake, post-stratify then GREG) against R.

Fixtures from tests/reference/calibration_quantiles.R: ``svyglm`` and ``svychisq`` on the same
calibrated designs; R takes the calibration residuals of the influence values through
``svyrecvar``. Tolerances: 1e-8 relative for linear calibration, 1e-6 for iterative calfuns.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from calibration_cases import calibrated, fixture, rtol

import survey.estimation as est
from survey.effects.glm import svyglm

FAMILIES = {"gaussian()": "gaussian", "quasibinomial()": "binomial"}


def _r_name(name: str) -> str:
    if name == "Intercept":
        return "(Intercept)"
    return re.sub(r"C\((\w+)\)\[T\.(.+)\]", r"\1\2", name)


def _glm_cases():
    table = fixture("calibration_glm")
    return sorted(set(zip(table["case"], table["formula"], strict=True)))


@pytest.mark.parametrize(("case", "formula"), _glm_cases())
def test_svyglm_on_calibrated_designs_matches_r(case, formula):
    table = fixture("calibration_glm")
    expected = table[(table["case"] == case) & (table["formula"] == formula)].set_index("term")
    python_formula = formula.replace("stype", "C(stype)")
    fit = svyglm(calibrated(case), python_formula, family=FAMILIES[expected["family"].iloc[0]])
    got = fit.to_frame()
    got.index = [_r_name(t) for t in got["term"]]
    got = got.loc[expected.index]
    tol = rtol(case)
    np.testing.assert_allclose(got["estimate"], expected["estimate"].astype(float), rtol=tol)
    np.testing.assert_allclose(got["se"], expected["se"].astype(float), rtol=tol * 10)
    assert (got["df"].to_numpy() == expected["df"].to_numpy(dtype=float)).all()


@pytest.mark.parametrize("case", sorted(set(fixture("calibration_chisq")["case"])))
def test_rao_scott_on_calibrated_designs_matches_svychisq(case):
    expected = fixture("calibration_chisq")
    expected = expected[expected["case"] == case].set_index("statistic_type")
    got = est.rao_scott(calibrated(case), "stype", "awards").to_frame().set_index("test")
    f, chisq = got.loc["second-order F"], got.loc["first-order chi-square"]
    ref_f, ref_c = expected.loc["F"], expected.loc["Chisq"]
    tol = rtol(case) * 10
    np.testing.assert_allclose([f.statistic, f.ndf, f.ddf, f.p_value],
                               [ref_f.statistic, ref_f.ndf, ref_f.ddf, ref_f.p_value], rtol=tol)
    np.testing.assert_allclose([chisq.ndf, chisq.p_value], [ref_c.ndf, ref_c.p_value], rtol=tol)
    np.testing.assert_allclose(chisq.pearson, ref_c.statistic, rtol=tol)  # no missing values here


def test_calibration_changes_the_glm_se():
    # the residuals matter: the same weights without the calibration record give other SEs
    design = calibrated("lin_sw")
    plain = est.Design(design.data, weight=design.weight, psu="dnum", fpc="fpc")
    se_cal = svyglm(design, "api00 ~ api99").to_frame()["se"].to_numpy()
    se_plain = svyglm(plain, "api00 ~ api99").to_frame()["se"].to_numpy()
    assert not np.allclose(se_cal, se_plain, rtol=1e-3)
    assert isinstance(design.summary(), str) and "calibrated (linear)" in design.summary()
    assert pd.notna(se_cal).all()
