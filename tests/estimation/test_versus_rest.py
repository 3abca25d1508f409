"""Each domain against the rest of its group (versus_rest) equals domain_difference with a column marking
the domain — the contrast checked against R's svycontrast in test_estimation_reference — for every domain,
on the R fixtures' designs: one- and two-stage clusters, strata, raking, post-stratification, standardisation."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est
from survey.errors import ConfigError
from survey.estimation.contrasts import versus_rest

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"
POP_STYPE = pd.DataFrame({"stype": ["E", "H", "M"], "population": [4421, 755, 1018]})
POP_SW = pd.DataFrame({"sch.wide": ["No", "Yes"], "population": [1072, 5122]})


@cache
def _data(name: str) -> pd.DataFrame:
    table = pd.read_csv(FIXTURES / f"data_{name}.csv")
    if "sch.wide" in table:
        table["sch_wide_yes"] = (table["sch.wide"] == "Yes").astype(float)
    return table


def _nhanes() -> est.Design:
    return est.Design(_data("nhanes"), weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True)


CASES = {
    "clus1 api00 by stype": (lambda: est.Design(_data("apiclus1"), weight="pw", psu="dnum", fpc="fpc"),
                             "api00", "stype", ()),
    "clus2 sch.wide by stype": (lambda: est.Design(_data("apiclus2"), weight="pw", psu=["dnum", "snum"],
                                                   fpc=["fpc1", "fpc2"]), "sch_wide_yes", "stype", ()),
    "strat api00 by awards within stype": (lambda: est.Design(_data("apistrat"), weight="pw", strata="stype",
                                                              fpc="fpc"), "api00", "awards", ("stype",)),
    "raked clus1 api00 by stype": (lambda: est.rake(est.Design(_data("apiclus1"), weight="pw", psu="dnum", fpc="fpc"),
                                                    [("stype", POP_STYPE), ("sch.wide", POP_SW)]),
                                   "api00", "stype", ()),
    "post-stratified strat api00 by awards": (lambda: est.poststratify(
        est.Design(_data("apistrat"), weight="pw", strata="stype", fpc="fpc"), "stype", POP_STYPE),
        "api00", "awards", ()),
    "nhanes cholesterol by race within sex": (_nhanes, "HI_CHOL", "race", ("RIAGENDR",)),
    "standardised nhanes cholesterol by race": (lambda: est.standardize(
        _nhanes(), "agecat", pd.read_csv(FIXTURES / "standard_nhanes_age.csv"), over="race",
        excluding_missing="HI_CHOL"), "HI_CHOL", "race", ()),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("ci", ["normal", "mean"])
def test_versus_rest_is_domain_difference_with_a_marker_column(case, ci):
    make, outcome, domain, within = CASES[case]
    design = make()
    got = versus_rest(design, outcome, domain, within=within, ci_method=ci).to_frame()
    assert len(got) >= 2
    for row in got.itertuples(index=False):
        marked = design.data.assign(in_domain=(design.data[domain] == getattr(row, domain)).astype(int))
        for column in within:  # rows outside the group belong to neither side
            marked.loc[marked[column] != getattr(row, column), "in_domain"] = -1
        ref_design = est.Design(marked, weight=design.weight, strata=design.strata, psu=design.psu or None,
                                fpc=design.fpc or None, nest=design.nest, calibration=design.calibration)
        ref = est.domain_difference(ref_design, outcome, by="in_domain", first=1, second=0,
                                    ci_method=ci).to_frame().iloc[0]
        np.testing.assert_allclose([row.estimate_domain, row.estimate_rest, row.estimate, row.se, row.ci_low,
                                    row.ci_high, row.p_value],
                                   ref[["estimate_first", "estimate_second", "estimate", "se", "ci_low", "ci_high",
                                        "p_value"]].to_numpy(dtype=float), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{case}: {row}")


def test_the_domain_estimates_are_the_estimators_own():
    make, outcome, domain, within = CASES["raked clus1 api00 by stype"]
    design = make()
    got = versus_rest(design, outcome, domain).to_frame().set_index(domain)
    own = est.mean(design, outcome, by=domain).to_frame().set_index(domain)
    np.testing.assert_allclose(got["estimate_domain"], own.loc[got.index, "estimate"], rtol=1e-12)


def test_a_group_with_one_domain_has_no_rest_and_bad_arguments_fail_in_one_line():
    df = pd.DataFrame({"w": [1.0, 2, 1, 2, 1, 1], "p": [1, 2, 3, 4, 5, 6], "g": ["a", "a", "a", "a", "b", "b"],
                       "d": ["x", "y", "x", "y", "x", "x"], "y": [1.0, 0, 1, 1, 0, 1]})
    table = versus_rest(est.Design(df, weight="w", psu="p"), "y", "d", within="g").to_frame()
    alone = table[table["g"] == "b"].iloc[0]
    assert np.isnan(alone["estimate_rest"]) and np.isnan(alone["se"]) and np.isnan(alone["p_value"])
    with pytest.raises(ConfigError, match="expected 'normal' or 'mean'"):
        versus_rest(est.Design(df, weight="w", psu="p"), "y", "d", ci_method="t")
    with pytest.raises(ConfigError, match="expected stat 'mean' or 'proportion'"):
        versus_rest(est.Design(df, weight="w", psu="p"), "y", "d", stat="total")
