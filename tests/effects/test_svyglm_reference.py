"""survey.effects.svyglm against R's survey::svyglm (fixtures from tests/reference/svyglm_estimates.R).

Every case of ``tests/reference/fixtures/effects/svyglm.csv`` is refitted here on the same CSV
data; coefficients, design-based SEs, t statistics, df, p-values and Wald CIs must agree to a
relative 1e-6 (in practice ~1e-10).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.effects import svyglm
from survey.estimation import Design

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures"
REFERENCE = pd.read_csv(FIXTURES / "effects" / "svyglm.csv")
RTOL = 1e-6

DESIGNS = {
    "strat": ("data_apistrat.csv", dict(weight="pw", strata="stype", fpc="fpc")),
    "strat0": ("data_apistrat.csv", dict(weight="pw", strata="stype")),
    "clus1": ("data_apiclus1.csv", dict(weight="pw", psu="dnum", fpc="fpc")),
    "clus2": ("data_apiclus2.csv", dict(weight="pw", psu=["dnum", "snum"], fpc=["fpc1", "fpc2"])),
    "clus2_0": ("data_apiclus2.csv", dict(weight="pw", psu=["dnum", "snum"])),
    "nh": ("data_nhanes.csv", dict(weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU", nest=True)),
    "nh_lonely_adjust": ("data_nhanes_lonely.csv", dict(weight="WTMEC2YR", strata="SDMVSTRA", psu="SDMVPSU",
                                                        nest=True, lonely_psu="adjust")),
    "demo": ("data_demo_did.csv.gz", dict(weight="weight", strata="stratum", psu="psu", fpc="stratum_psus",
                                          nest=True)),
    "demo0": ("data_demo_did.csv.gz", dict(weight="weight", strata="stratum", psu="psu", nest=True)),
}
FAMILIES = {"gaussian()": "gaussian", "quasibinomial()": "binomial", "quasipoisson()": "poisson"}


def _design_key(case: str) -> str:
    for key in sorted(DESIGNS, key=len, reverse=True):
        if case.startswith(key + "_"):
            return key
    raise KeyError(case)


@functools.lru_cache(maxsize=None)
def _read(file: str) -> pd.DataFrame:
    folder = "effects" if file.startswith("data_demo") else "survey"
    data = pd.read_csv(FIXTURES / folder / file)
    return data.rename(columns=lambda c: c.replace(".", "_"))


def _data(file: str) -> pd.DataFrame:
    return _read(file).copy()


def _python_formula(r_formula: str) -> str:
    formula = r_formula.replace("api.stu", "api_stu")
    return re.sub(r"factor\(", "C(", formula)


def _r_name(python_name: str, r_terms: set[str]) -> str:
    """The R coefficient name of a patsy column name: C(x)[T.v] -> factor(x)v or xv."""
    if python_name == "Intercept":
        return "(Intercept)"
    match = re.fullmatch(r"(?:C\((\w+)\)|(\w+))\[T\.(.+)\]", python_name)
    if not match:
        return python_name.replace("api_stu", "api.stu")
    variable, level = match.group(1) or match.group(2), match.group(3)
    levels = [level, level[:-2] if level.endswith(".0") else level]
    for candidate in [f"factor({variable}){v}" for v in levels] + [f"{variable}{v}" for v in levels]:
        if candidate in r_terms:
            return candidate
    raise KeyError(f"{python_name} has no R counterpart among {sorted(r_terms)[:8]}")


CASES = sorted(REFERENCE["case"].unique())


@pytest.mark.parametrize("case", CASES)
def test_svyglm_matches_r(case):
    expected = REFERENCE[REFERENCE["case"] == case].sort_values("position")
    file, settings = DESIGNS[_design_key(case)]
    data = _data(file)
    subset = None
    if case.endswith("_subset_E"):
        subset = (data["stype"] == "E").to_numpy()
    design = Design(data, **settings)
    fit = svyglm(design, _python_formula(expected["formula"].iloc[0]), family=FAMILIES[expected["family"].iloc[0]],
                 subset=subset)
    table = fit.to_frame()
    assert len(table) == len(expected), list(table["term"])
    r_terms = set(expected["term"])
    table.index = [_r_name(t, r_terms) for t in table["term"]]
    table = table.loc[expected["term"].to_list()]  # R's column order (patsy puts factors first)
    for column in ("estimate", "se", "statistic", "df", "p_value", "ci_low", "ci_high"):
        np.testing.assert_allclose(table[column].to_numpy(), expected[column].to_numpy(dtype=float),
                                   rtol=RTOL, atol=1e-12, err_msg=f"{case}: {column}")


def test_reference_covers_every_family_and_design():
    assert set(REFERENCE["family"]) == set(FAMILIES)
    assert {_design_key(c) for c in CASES} == set(DESIGNS)
