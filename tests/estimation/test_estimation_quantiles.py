"""svyquantile (Woodruff intervals, R 4.1 rules) and svyvar against R (tests/reference/calibration_quantiles.R).

Every quantile rule, four interval types, 95% and 90% levels, overall and by domain, on a
cluster sample, a stratified sample, a two-stage sample with missing values and a
GREG-calibrated design; to 1e-8 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_cases import DESIGNS, calibrated, fixture

from survey.errors import ConfigError
from survey.estimation.quantiles import QRULES, quantile, weighted_quantile
from survey.estimation.spread import variance

RTOL = 1e-8
QUANTILE_DESIGNS = {
    "clus1": (lambda: DESIGNS["apiclus1"](), "api00"),
    "strat": (lambda: DESIGNS["apistrat"](), "api00"),
    "clus2": (lambda: DESIGNS["apiclus2"](), "enroll"),
    "cal": (lambda: calibrated("lin_sw"), "api00"),
}


def _parse(case: str):
    key, rule, rest = case.split("_", 2)
    by = "stype" if rest.endswith("_bystype") else None
    method = rest.removesuffix("_bystype")
    level = 0.95
    if method == "mean90":
        method, level = "mean", 0.90
    return key, rule, method, by, level


CASES = sorted(c for c in set(fixture("quantiles")["case"]) if "_score" not in c)


@pytest.mark.parametrize("case", CASES)
def test_quantiles_match_svyquantile(case):
    key, rule, method, by, level = _parse(case)
    expected = fixture("quantiles").query("case == @case")
    design, outcome = QUANTILE_DESIGNS[key]
    probabilities = sorted(expected["p"].unique())
    got = quantile(design(), outcome, q=probabilities, by=by, qrule=rule, ci_method=method, level=level).to_frame()
    if by:
        got["domain"] = "stype=" + got["stype"].astype(str)
    else:
        got["domain"] = "(all)"
    merged = expected.merge(got, on=["domain"], how="left", suffixes=("_r", ""))
    merged = merged[np.isclose(merged["p"], merged["q"])]
    assert len(merged) == len(expected)
    for r_column, column in (("quantile", "estimate"), ("ci_low", "ci_low"), ("ci_high", "ci_high"),
                             ("se_r", "se")):
        np.testing.assert_allclose(merged[column].to_numpy(dtype=float), merged[r_column].to_numpy(dtype=float),
                                   rtol=RTOL, equal_nan=True, err_msg=f"{case}: {column}")


@pytest.mark.parametrize("case", sorted(set(fixture("svyvar")["case"])))
def test_variance_matches_svyvar(case):
    expected = fixture("svyvar").query("case == @case")
    design, outcome = QUANTILE_DESIGNS[case]
    overall = variance(design(), outcome).to_frame()
    by = variance(design(), outcome, by="stype").to_frame()
    got = np.concatenate([overall[["estimate", "se"]].to_numpy(), by[["estimate", "se"]].to_numpy()])
    np.testing.assert_allclose(got, expected[["estimate", "se"]].to_numpy(dtype=float), rtol=RTOL)


def test_rules_on_a_small_example():
    x, w = np.array([1.0, 2, 3, 4]), np.ones(4)
    assert weighted_quantile(x, w, 0.5, "math") == 2.0
    assert weighted_quantile(x, w, 0.5, "school") == 2.5
    assert weighted_quantile(x, w, 0.5, "hf7") == pytest.approx(np.quantile(x, 0.5))  # R type 7 = numpy linear
    assert weighted_quantile(x, np.array([1.0, 0, 1, 1]), 0.5, "math") == 3.0  # weight 0: left out
    assert set(QRULES) >= {"math", "school", "hf9"}


def test_quantile_refuses_bad_arguments_in_one_line():
    design = DESIGNS["apiclus1"]()
    with pytest.raises(ConfigError, match="qrule"):
        quantile(design, "api00", qrule="hf10")
    with pytest.raises(ConfigError, match="score"):
        quantile(design, "api00", ci_method="score")
    with pytest.raises(ConfigError, match="probabilities"):
        quantile(design, "api00", q=1.5)


def test_quantile_result_reads_like_the_other_results():
    result = quantile(DESIGNS["apiclus1"](), "api00", q=[0.25, 0.5], by="stype")
    frame = result.to_frame()
    assert list(frame.columns[:3]) == ["stype", "q", "estimate"]
    assert "Woodruff" in result.summary() and isinstance(result._repr_html_(), str)
    assert isinstance(frame, pd.DataFrame) and len(frame) == 6
