"""The demo's truth checks count a cell without an interval apart, neither a hit nor a miss."""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.demo import checks


def test_a_cell_without_an_interval_is_neither_covered_nor_missed():
    table = pd.DataFrame({"wave": [2024] * 4, "district": ["a", "b", "c", "d"], "indicator": ["depression"] * 4,
                          "method": ["crude"] * 4, "ci_low": [0.05, 0.20, np.nan, 0.01],
                          "ci_high": [0.15, 0.30, np.nan, 0.03]})
    truth = {"prevalence": {"2024": {d: {"depression_phq9_ge10": 0.1} for d in "abcd"}}}
    coverage = checks.prevalence_coverage(table, truth)
    assert coverage["covered"].tolist() == [True, False, pd.NA, False]
    assert checks.coverage_summary(coverage) == ("95% CIs containing the true prevalence (truth.json): "
                                                 "crude 1/3 (1 without an interval)")
    assert checks.coverage_summary(coverage.iloc[[0, 1]]).endswith("crude 1/2")
