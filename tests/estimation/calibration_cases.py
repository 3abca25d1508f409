"""Calibrated designs of the R fixtures (tests/reference/calibration_quantiles.R), shared by the tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

import survey.estimation as est
from survey.estimation.greg import calibrate

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"

DESIGNS = {
    "apiclus1": lambda: est.Design(data("apiclus1"), weight="pw", psu="dnum", fpc="fpc"),
    "apistrat": lambda: est.Design(data("apistrat"), weight="pw", strata="stype", fpc="fpc"),
    # R: svydesign(id=~dnum+snum, fpc=~fpc1+fpc2): R's weights from the FPCs (pw to 2e-16; the last
    # bit decides exact ties in the quantile rules)
    "apiclus2": lambda: est.Design(data("apiclus2").assign(w_fpc=fixture("weights_apiclus2_fpc")["weight"]),
                                   weight="w_fpc", psu=["dnum", "snum"], fpc=["fpc1", "fpc2"]),
}
# R: calibrate(d, formula, pop, ...) arguments of each case
OPTIONS = {
    "lin_sw": {},
    "lin_api99": {},
    "lin_bounds": {"bounds": (0.6, 1.6)},
    "rak_api99": {"calfun": "raking"},
    "rak_sw": {"calfun": "raking"},
    "rak_bounds": {"calfun": "raking", "bounds": (0.5, 1.8)},
    "logit_api99": {"calfun": "logit", "bounds": (0.7, 1.7)},
    "lin_const": {"bounds": (25, 55), "bounds_const": True},
    "lin_inter": {},
    "lin_ratio": {"variance": "api99"},
    "strat_enroll": {},
    "strat_rak_enroll": {"calfun": "raking"},
    "clus2_stype": {},
}


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"data_{name}.csv")


@cache
def fixture(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv")


def rtol(case: str) -> float:
    options = OPTIONS.get(case, {})
    iterative = options.get("calfun", "linear") != "linear" or "bounds" in options
    return 1e-6 if iterative else 1e-8


@cache
def calibrated(case: str) -> est.Design:
    if case == "chain":
        d = est.poststratify(DESIGNS["apiclus1"](), "stype",
                             pd.DataFrame({"stype": ["E", "H", "M"], "population": [4421, 755, 1018]}))
        return calibrate(d, "~api99", {"(Intercept)": 6194, "api99": 3914069})
    if case == "rake_sw":
        return est.rake(DESIGNS["apiclus1"](), [
            ("stype", pd.DataFrame({"stype": ["E", "H", "M"], "population": [4421, 755, 1018]})),
            ("sch.wide", pd.DataFrame({"sch.wide": ["No", "Yes"], "population": [1072, 5122]})),
        ])
    totals = fixture("calibration_totals")
    rows = totals[totals["case"] == case]
    population = dict(zip(rows["name"], rows["total"].astype(float), strict=True))
    return calibrate(DESIGNS[rows["data"].iloc[0]](), rows["formula"].iloc[0], population, **OPTIONS[case])
