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

# ---- calibration: postStratify, rake, trimWeights, svystandardize (issue 4)
POP_STYPE = pd.DataFrame({"stype": ["E", "H", "M"], "population": [4421, 755, 1018]})
POP_SW = pd.DataFrame({"sch.wide": ["No", "Yes"], "population": [1072, 5122]})


def table(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv")


def _rake_clus1(**options) -> est.Design:
    return est.rake(DESIGNS["clus1"](), [("stype", POP_STYPE), ("sch.wide", POP_SW)], **options)


def _nhanes_standardised(by, standard, over) -> est.Design:
    return est.standardize(nhanes_design(), by, table(standard), over=over, excluding_missing="HI_CHOL")


DESIGNS.update({
    "ps_strat": lambda: est.poststratify(DESIGNS["strat"](), "stype", POP_STYPE),
    "ps_clus2": lambda: est.poststratify(DESIGNS["clus2"](), "stype", POP_STYPE),
    "ps_nh": lambda: est.poststratify(nhanes_design(), ["race", "RIAGENDR"],
                                      table("population_nhanes_race_sex"), count="Freq"),
    "rake_clus1": _rake_clus1,
    "rake_clus1_both": lambda: est.rake(
        est.Design(data("apiclus1").assign(both_yes=(data("apiclus1")["both"] == "Yes").astype(float)),
                   weight="pw", psu="dnum", fpc="fpc"),
        [("stype", POP_STYPE), ("sch.wide", POP_SW)]),
    "rake_clus1_tight": lambda: _rake_clus1(epsilon=1e-10, max_iterations=100),
    "rake_nh": lambda: est.rake(
        nhanes_design(),
        [("race", table("population_nhanes_race")), (["agecat", "RIAGENDR"], table("population_nhanes_age_sex"))],
        count="Freq", epsilon=1e-10, max_iterations=100),
    "trim_strat0": lambda: est.trim_weights(DESIGNS["strat0"](), lower=18, upper=40),
    "trim_rake_clus1": lambda: est.trim_weights(_rake_clus1(), upper=36, strict=True),
    "std_nh": lambda: _nhanes_standardised("agecat", "standard_nhanes_age", "race"),
    "std_nh_all": lambda: _nhanes_standardised("agecat", "standard_nhanes_age", None),
    "std_nh_sex": lambda: _nhanes_standardised(["agecat", "RIAGENDR"], "standard_nhanes_age_sex", "race"),
})

# ---- the demo study (data exported by `python -m survey.estimation.reference_export`)
# the design as data/demo/study.yaml declares it (two stages: streets/towns, then communities)
DEMO_DESIGN = {"strata": ["district", "urban_rural"], "psu": "psu", "ssu": "community", "weight": "weight",
               "fpc": "stratum_psus"}
DEMO_INDICATORS = {"literacy": "nmhl_adequate", "depression": "phq9_positive", "anxiety": "gad7_positive",
                   "insomnia": "isi_positive", "dementia_screen": "ad8_positive",
                   "perinatal_depression": "epds_positive"}
DEMO_LEVELS = {"city": ["wave"], "district": ["wave", "district"]}


@cache
def demo_design(method: str = "crude", indicator: str | None = None, level: str | None = None) -> est.Design:
    from survey.estimation import prevalence

    design = prevalence.survey_design(data("demo"), DEMO_DESIGN)
    if method == "raked":
        return prevalence.rake_design(design, table("margins_demo"), ["district", "sex", "age_group"])
    if method == "standardised":
        return est.standardize(design, "age_group", table("standard_demo"), over=DEMO_LEVELS[level],
                               excluding_missing=DEMO_INDICATORS[indicator])
    return design


DESIGNS["demo_crude"] = demo_design
DESIGNS["demo_raked"] = lambda: demo_design("raked")
for _id in DEMO_INDICATORS:
    for _level in DEMO_LEVELS:
        DESIGNS[f"demo_standardised_{_id}_{_level}"] = lambda i=_id, lv=_level: demo_design("standardised", i, lv)

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
CASES.update({
    "ps_strat_mean_api00": ("ps_strat", "mean", "api00", None, {}),
    "ps_strat_total_enroll": ("ps_strat", "total", "enroll", None, {}),
    "ps_strat_mean_api00_by_awards": ("ps_strat", "mean", "api00", ["awards"], {}),
    "ps_strat_prop_both_logit": ("ps_strat", "proportion", "both_yes", None, {"ci": "logit"}),
    "ps_strat_prop_both_logit_by_stype": ("ps_strat", "proportion", "both_yes", ["stype"], {"ci": "logit"}),
    "ps_strat_ratio_stu_enroll": ("ps_strat", "ratio", "api.stu", None, {"denominator": "enroll"}),
    "ps_clus2_mean_api00": ("ps_clus2", "mean", "api00", None, {}),
    "ps_clus2_mean_api00_by_awards": ("ps_clus2", "mean", "api00", ["awards"], {}),
    "ps_nh_mean_chol": ("ps_nh", "mean", "HI_CHOL", None, {}),
    "ps_nh_mean_chol_by_agecat": ("ps_nh", "mean", "HI_CHOL", ["agecat"], {}),
    "ps_nh_prop_chol_logit_by_race": ("ps_nh", "proportion", "HI_CHOL", ["race"], {"ci": "logit"}),
    "rake_clus1_mean_api00": ("rake_clus1", "mean", "api00", None, {}),
    "rake_clus1_total_enroll": ("rake_clus1", "total", "enroll", None, {}),
    "rake_clus1_mean_api00_by_stype": ("rake_clus1", "mean", "api00", ["stype"], {}),
    "rake_clus1_mean_api00_by_awards": ("rake_clus1", "mean", "api00", ["awards"], {}),
    "rake_clus1_prop_sw_logit_by_stype": ("rake_clus1", "proportion", "sch_wide_yes", ["stype"], {"ci": "logit"}),
    "rake_clus1_prop_both_beta_by_stype": ("rake_clus1_both", "proportion", "both_yes", ["stype"], {"ci": "beta"}),
    "rake_clus1_tight_mean_api00": ("rake_clus1_tight", "mean", "api00", None, {}),
    "rake_nh_mean_chol": ("rake_nh", "mean", "HI_CHOL", None, {}),
    "rake_nh_mean_chol_by_race_agecat": ("rake_nh", "mean", "HI_CHOL", ["race", "agecat"], {}),
    "trim_strat0_mean_api00": ("trim_strat0", "mean", "api00", None, {}),
    "trim_strat0_mean_api00_by_awards": ("trim_strat0", "mean", "api00", ["awards"], {}),
    "trim_rake_clus1_mean_api00": ("trim_rake_clus1", "mean", "api00", None, {}),
    "trim_rake_clus1_mean_api00_by_stype": ("trim_rake_clus1", "mean", "api00", ["stype"], {}),
    "std_nh_mean_chol_by_race": ("std_nh", "mean", "HI_CHOL", ["race"], {}),
    "std_nh_prop_chol_logit_by_race": ("std_nh", "proportion", "HI_CHOL", ["race"], {"ci": "logit"}),
    "std_nh_all_prop_chol_logit": ("std_nh_all", "proportion", "HI_CHOL", None, {"ci": "logit"}),
    "std_nh_sex_mean_chol_by_race": ("std_nh_sex", "mean", "HI_CHOL", ["race"], {}),
    "std_nh_sex_prop_chol_logit_by_race": ("std_nh_sex", "proportion", "HI_CHOL", ["race"], {"ci": "logit"}),
    "demo_crude_mean_depression_district": ("demo_crude", "mean", "phq9_positive", ["wave", "district"], {}),
    "demo_raked_mean_literacy_district": ("demo_raked", "mean", "nmhl_adequate", ["wave", "district"], {}),
})
for _id, _column in DEMO_INDICATORS.items():
    for _level, _by in DEMO_LEVELS.items():
        for _method in ("crude", "raked", "standardised"):
            _design = f"demo_{_method}" + (f"_{_id}_{_level}" if _method == "standardised" else "")
            CASES[f"demo_{_method}_{_id}_{_level}"] = (_design, "proportion", _column, _by, {"ci": "logit"})


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
            result = est.ratio(design, outcome, extra.pop("denominator"), by=by, ci_method=ci)
        else:
            result = getattr(est, stat)(design, outcome, by=by, ci_method=ci)
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


# Cases where R does something this package deliberately does not: column -> reason.
R_DIFFERENCES = {
    "rake_clus1_prop_both_beta_by_stype": {
        "columns": ("ci_low", "ci_high"),
        "reason": "svyciprop(method='beta') takes n = nrow(design) in (t_{n-1}/t_df)^2; subsets of a "
        "calibrated design keep every row, so R uses the whole sample's n, not the domain's "
        "(checked in test_beta_interval_on_calibrated_domain_uses_r_row_count)",
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_r(case):
    expected = reference().query("case == @case").set_index("domain")
    got = run_case(case)
    assert sorted(got.index) == sorted(expected.index), expected["r_call"].iloc[0]
    got = got.loc[expected.index]
    call = expected["r_call"].iloc[0]
    skipped = R_DIFFERENCES.get(case, {}).get("columns", ())
    for column in ("estimate", "se", "ci_low", "ci_high", "deff"):
        if column in skipped:
            continue
        want = expected[column].to_numpy(dtype=float)
        present = ~np.isnan(want)
        np.testing.assert_allclose(
            got[column].to_numpy(dtype=float)[present], want[present], rtol=RTOL, atol=0,
            err_msg=f"{column} differs from R: {call}",
        )
    np.testing.assert_array_equal(got["df"].to_numpy(), expected["df"].to_numpy(dtype=float), err_msg=call)


def test_beta_interval_on_calibrated_domain_uses_r_row_count():
    from survey.estimation import intervals

    case = "rake_clus1_prop_both_beta_by_stype"
    expected = reference().query("case == @case").set_index("domain")
    got = run_case(case).loc[expected.index]
    n_all = np.full(len(got), len(data("apiclus1")))
    low, high, _ = intervals.korn_graubard(got["estimate"], got["se"], n_all, got["df"], 0.95)
    np.testing.assert_allclose(low, expected["ci_low"], rtol=RTOL)
    np.testing.assert_allclose(high, expected["ci_high"], rtol=RTOL)


def max_relative_differences() -> pd.DataFrame:
    """Largest relative difference from R per data set and column (for reports)."""
    rows = []
    ref = reference()
    for case in sorted(CASES):
        expected = ref.query("case == @case").set_index("domain")
        got = run_case(case).loc[expected.index]
        for column in ("estimate", "se", "ci_low", "ci_high", "deff"):
            if column in R_DIFFERENCES.get(case, {}).get("columns", ()):
                continue
            want = expected[column].to_numpy(dtype=float)
            have = got[column].to_numpy(dtype=float)
            ok = ~np.isnan(want) & (want != 0)
            if ok.any():
                rows.append({"case": case, "column": column,
                             "rel": float(np.max(np.abs(have[ok] - want[ok]) / np.abs(want[ok])))})
    return pd.DataFrame(rows)


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
    "rake_clus1_api00_E_M": ("rake_clus1", "api00", "stype", "E", "M"),
    "ps_strat_api00_awards": ("ps_strat", "api00", "awards", "No", "Yes"),
    "std_nh_chol_race_1_2": ("std_nh", "HI_CHOL", "race", 1, 2),
}


@pytest.mark.parametrize("case", sorted(CONTRASTS))
def test_domain_difference_matches_svycontrast(case):
    expected = pd.read_csv(FIXTURES / "contrasts.csv").query("case == @case").iloc[0]
    design_key, outcome, by, first, second = CONTRASTS[case]
    got = est.domain_difference(DESIGNS[design_key](), outcome, by=by, first=first, second=second,
                                stat="mean").to_frame().iloc[0]
    assert (got["first"], got["second"]) == (expected["first"], expected["second"])
    np.testing.assert_allclose(
        got[["estimate", "se", "ci_low", "ci_high", "covariance"]].to_numpy(dtype=float),
        expected[["estimate", "se", "ci_low", "ci_high", "covariance"]].to_numpy(dtype=float),
        rtol=RTOL,
        err_msg=expected["r_call"],
    )


def test_demo_fixture_design_is_the_studys():
    from survey import load_study

    declared = load_study(Path(__file__).resolve().parents[2] / "data" / "demo" / "study.yaml").design
    assert {k: getattr(declared, k) for k in DEMO_DESIGN} == {k: tuple(v) if isinstance(v, list) else v
                                                              for k, v in DEMO_DESIGN.items()}
