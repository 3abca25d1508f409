"""Agreement with R's survey package (fixtures from tests/reference/survey_estimates.R).

Every fixture row carries the R call that produced it (column ``r_call``); the Python side
of each case is listed in CASES. Estimates, SEs, CIs and deffs must agree to a relative 1e-8.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"
RTOL = 1e-8


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"data_{name}.csv")


def nhanes_design(name: str = "nhanes", **options) -> est.Design:
    return est.Design(data(name), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True, **options)


DESIGNS = {
    "strat": lambda: est.Design(data("apistrat"), weight="pw", strata="stype", fpc="fpc"),
    "strat0": lambda: est.Design(data("apistrat"), weight="pw", strata="stype"),
    "clus1": lambda: est.Design(data("apiclus1"), weight="pw", psu="dnum", fpc="fpc"),
    "clus1_0": lambda: est.Design(data("apiclus1"), weight="pw", psu="dnum"),
    "clus2": lambda: est.Design(data("apiclus2"), weight="pw", psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
    "clus2_0": lambda: est.Design(data("apiclus2"), weight="pw", psu=["dnum", "snum"]),
    "clus2_1": lambda: est.Design(data("apiclus2"), weight="pw", psu="dnum", fpc="fpc1"),
    "nh": nhanes_design,
}
for _policy in ("remove", "certainty", "adjust", "average"):
    DESIGNS[f"lonely_{_policy}_nh"] = lambda p=_policy: nhanes_design("nhanes_lonely", lonely_psu=p)
    DESIGNS[f"lonely_{_policy}_strat"] = lambda p=_policy: est.Design(
        data("apistrat_lonely"), weight="pw", strata="stype", lonely_psu=p
    )
    DESIGNS[f"domainlonely_{_policy}_nh"] = lambda p=_policy: nhanes_design(
        "nhanes_lonely", lonely_psu=p, adjust_domain_lonely=True
    )

# case -> (design, stat, outcome, by, extra arguments)
CASES = {
    "strat_mean_api00": ("strat", "mean", "api00", None, {}),
    "strat0_mean_api00": ("strat0", "mean", "api00", None, {}),
    "strat_total_enroll": ("strat", "total", "enroll", None, {}),
    "strat0_total_enroll": ("strat0", "total", "enroll", None, {}),
    "strat_mean_api00_by_awards": ("strat", "mean", "api00", ["awards"], {}),
    "strat_total_enroll_by_stype_awards": ("strat", "total", "enroll", ["stype", "awards"], {}),
    "strat_mean_both_yes_by_stype": ("strat", "mean", "both_yes", ["stype"], {}),
    "strat_ratio_stu_enroll": ("strat", "ratio", "api.stu", None, {"denominator": "enroll"}),
    "strat_ratio_stu_enroll_by_awards": ("strat", "ratio", "api.stu", ["awards"], {"denominator": "enroll"}),
    "strat_prop_both_logit": ("strat", "proportion", "both_yes", None, {"ci": "logit"}),
    "strat_prop_both_beta": ("strat", "proportion", "both_yes", None, {"ci": "beta"}),
    "strat_prop_both_logit_by_stype": ("strat", "proportion", "both_yes", ["stype"], {"ci": "logit"}),
    "strat0_prop_both_beta_by_stype": ("strat0", "proportion", "both_yes", ["stype"], {"ci": "beta"}),
    "clus1_mean_api00": ("clus1", "mean", "api00", None, {}),
    "clus1_0_mean_api00": ("clus1_0", "mean", "api00", None, {}),
    "clus1_total_enroll": ("clus1", "total", "enroll", None, {}),
    "clus1_mean_api00_by_stype": ("clus1", "mean", "api00", ["stype"], {}),
    "clus1_0_mean_api00_by_stype": ("clus1_0", "mean", "api00", ["stype"], {}),
    "clus1_ratio_stu_enroll_by_stype": ("clus1", "ratio", "api.stu", ["stype"], {"denominator": "enroll"}),
    "clus1_prop_sw_logit": ("clus1", "proportion", "sch_wide_yes", None, {"ci": "logit"}),
    "clus1_prop_sw_beta": ("clus1", "proportion", "sch_wide_yes", None, {"ci": "beta"}),
    "clus1_prop_sw_logit_by_stype": ("clus1", "proportion", "sch_wide_yes", ["stype"], {"ci": "logit"}),
    "clus1_prop_sw_beta_by_stype": ("clus1", "proportion", "sch_wide_yes", ["stype"], {"ci": "beta"}),
    "clus2_mean_api00": ("clus2", "mean", "api00", None, {}),
    "clus2_mean_enroll": ("clus2", "mean", "enroll", None, {}),
    "clus2_total_enroll": ("clus2", "total", "enroll", None, {}),
    "clus2_mean_api00_by_stype": ("clus2", "mean", "api00", ["stype"], {}),
    "clus2_mean_enroll_by_stype": ("clus2", "mean", "enroll", ["stype"], {}),
    "clus2_prop_sw_logit_by_stype": ("clus2", "proportion", "sch_wide_yes", ["stype"], {"ci": "logit"}),
    "clus2_ratio_stu_enroll": ("clus2", "ratio", "api.stu", None, {"denominator": "enroll"}),
    "clus2_0_mean_api00": ("clus2_0", "mean", "api00", None, {}),
    "clus2_0_mean_api00_by_stype": ("clus2_0", "mean", "api00", ["stype"], {}),
    "clus2_1_mean_api00": ("clus2_1", "mean", "api00", None, {}),
    "nh_mean_chol": ("nh", "mean", "HI_CHOL", None, {}),
    "nh_total_chol": ("nh", "total", "HI_CHOL", None, {}),
    "nh_mean_chol_by_race": ("nh", "mean", "HI_CHOL", ["race"], {}),
    "nh_mean_chol_by_race_agecat": ("nh", "mean", "HI_CHOL", ["race", "agecat"], {}),
    "nh_prop_chol_logit": ("nh", "proportion", "HI_CHOL", None, {"ci": "logit"}),
    "nh_prop_chol_logit_by_race": ("nh", "proportion", "HI_CHOL", ["race"], {"ci": "logit"}),
    "nh_prop_chol_beta_by_race_agecat": ("nh", "proportion", "HI_CHOL", ["race", "agecat"], {"ci": "beta"}),
}
for _policy in ("remove", "certainty", "adjust", "average"):
    CASES[f"lonely_{_policy}_nh_mean"] = (f"lonely_{_policy}_nh", "mean", "HI_CHOL", None, {})
    CASES[f"lonely_{_policy}_nh_total"] = (f"lonely_{_policy}_nh", "total", "HI_CHOL", None, {})
    CASES[f"lonely_{_policy}_nh_by_race"] = (f"lonely_{_policy}_nh", "mean", "HI_CHOL", ["race"], {})
    CASES[f"lonely_{_policy}_strat_mean"] = (f"lonely_{_policy}_strat", "mean", "api00", None, {})
    CASES[f"lonely_{_policy}_strat_by_awards"] = (f"lonely_{_policy}_strat", "mean", "api00", ["awards"], {})
for _policy in ("adjust", "average", "remove"):
    CASES[f"domainlonely_{_policy}_nh_by_race_agecat"] = (
        f"domainlonely_{_policy}_nh", "mean", "HI_CHOL", ["race", "agecat"], {}
    )


def labels(table: pd.DataFrame, by: list[str] | None) -> list[str]:
    if not by:
        return ["(all)"] * len(table)
    return [", ".join(f"{c}={row[c]}" for c in by) for _, row in table.iterrows()]


def run_case(case: str) -> pd.DataFrame:
    design_key, stat, outcome, by, extra = CASES[case]
    extra = dict(extra)
    ci = extra.pop("ci", "mean")
    design = DESIGNS[design_key]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.LonelyPSUWarning)
        if stat == "ratio":
            result = est.ratio(design, outcome, extra.pop("denominator"), by=by, ci=ci)
        else:
            result = getattr(est, stat)(design, outcome, by=by, ci=ci)
    table = result.to_frame()
    table.index = labels(table, by)
    return table


def reference() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "estimates.csv", keep_default_na=False, na_values=[""])


def test_every_fixture_case_has_a_python_case():
    assert set(reference()["case"]) == set(CASES)


def test_fixtures_record_versions():
    versions = pd.read_csv(FIXTURES / "versions.csv").set_index("item")["version"]
    assert versions["R"].startswith("R version 4")
    assert versions["survey"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_r(case):
    expected = reference().query("case == @case").set_index("domain")
    got = run_case(case)
    assert sorted(got.index) == sorted(expected.index), expected["r_call"].iloc[0]
    got = got.loc[expected.index]
    call = expected["r_call"].iloc[0]
    for column in ("estimate", "se", "ci_low", "ci_high", "deff"):
        want = expected[column].to_numpy(dtype=float)
        present = ~np.isnan(want)
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float)[present], want[present], rtol=RTOL, atol=0,
            err_msg=f"{column} differs from R: {call}",
        )
    np.testing.assert_array_equal(got["df"].to_numpy(), expected["df"].to_numpy(dtype=float), err_msg=call)


CHISQ = {
    "clus1_schwide_stype": ("clus1", "sch.wide", "stype"),
    "strat_awards_stype": ("strat", "awards", "stype"),
    "nh_chol_race": ("nh", "HI_CHOL", "race"),
    "nh_race_agecat": ("nh", "race", "agecat"),
}


@pytest.mark.parametrize("case", sorted(CHISQ))
def test_rao_scott_matches_svychisq(case):
    expected = pd.read_csv(FIXTURES / "chisq.csv").query("case == @case").set_index("statistic_type")
    design_key, row, column = CHISQ[case]
    got = est.rao_scott(DESIGNS[design_key](), row, column).to_frame().set_index("test")
    f, chisq = got.loc["second-order F"], got.loc["first-order chi-square"]
    ref_f, ref_c = expected.loc["F"], expected.loc["Chisq"]
    np.testing.assert_allclose(
        [f.statistic, f.ndf, f.ddf, f.p_value], [ref_f.statistic, ref_f.ndf, ref_f.ddf, ref_f.p_value], rtol=RTOL
    )
    # statistic="Chisq": R reports the unadjusted Pearson X^2 (table scaled to all rows of the
    # design, missing values included) and the p-value of X^2 / mean(eigenvalues of Delta)
    np.testing.assert_allclose([chisq.ndf, chisq.p_value], [ref_c.ndf, ref_c.p_value], rtol=RTOL)
    all_rows = len(DESIGNS[design_key]().data)
    np.testing.assert_allclose(chisq.pearson * all_rows / chisq.n, ref_c.statistic, rtol=RTOL)


CONTRASTS = {
    "clus1_api00_E_H": ("clus1", "api00", "stype", "E", "H"),
    "clus1_sw_E_M": ("clus1", "sch_wide_yes", "stype", "E", "M"),
    "nh_chol_sex": ("nh", "HI_CHOL", "RIAGENDR", 1, 2),
    "nh_chol_race_1_3": ("nh", "HI_CHOL", "race", 1, 3),
    "clus2_api00_E_M": ("clus2", "api00", "stype", "E", "M"),
}


@pytest.mark.parametrize("case", sorted(CONTRASTS))
def test_domain_difference_matches_svycontrast(case):
    expected = pd.read_csv(FIXTURES / "contrasts.csv").query("case == @case").iloc[0]
    design_key, outcome, by, first, second = CONTRASTS[case]
    got = est.domain_difference(DESIGNS[design_key](), outcome, by, first, second, stat="mean").to_frame().iloc[0]
    assert (got["first"], got["second"]) == (expected["first"], expected["second"])
    np.testing.assert_allclose(
        got[["estimate", "se", "ci_low", "ci_high", "covariance"]].to_numpy(dtype=float),
        expected[["estimate", "se", "ci_low", "ci_high", "covariance"]].to_numpy(dtype=float),
        rtol=RTOL,
        err_msg=expected["r_call"],
    )
