"""Publication rules: every row gets a flag and a reason, checks applied in NCHS order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimation_samples import synthetic_sample

import survey.estimation as est
from survey.errors import ColumnError, ConfigError
from survey.estimation import intervals
from survey.estimation.publication import apply_rules


def nchs(rows: list[tuple[float, float, int, float]], **settings) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["estimate", "se", "n", "df"])
    return apply_rules(table, "nchs2017", **settings)


def se_for(p: float, n_eff: float) -> float:
    return float(np.sqrt(p * (1 - p) / n_eff))


def test_nchs_order_of_checks():
    table = nchs(
        [
            (0.30, se_for(0.30, 20), 400, 30),  # effective n 20 < 30
            (0.50, se_for(0.50, 3000), 5000, 60),  # narrow interval
            (0.50, se_for(0.50, 35), 400, 60),  # width >= 0.30
            (0.05, se_for(0.05, 60), 400, 60),  # relative width > 130%
            (0.95, se_for(0.95, 60), 400, 60),  # complement relative width > 130%
            (0.40, se_for(0.40, 300), 400, 60),  # passes
            (0.40, se_for(0.40, 300), 400, 5),  # df < 8
        ]
    )
    assert table["flag"].tolist() == ["suppress", "present", "suppress", "suppress", "footnote", "present", "review"]
    reasons = table["flag_reason"].tolist()
    assert reasons[0] == "effective n 20.0 < 30"
    assert reasons[1].startswith("CI width 0.0") and reasons[1].endswith("<= 0.05")
    assert reasons[2].startswith("CI width 0.3") and ">= 0.3" in reasons[2]
    assert reasons[3].startswith("relative CI width")
    assert reasons[4].startswith("complement relative CI width")
    assert reasons[6] == "meets every criterion; df 5 < 8: statistical review"


def test_effective_n_is_capped_at_n():
    table = nchs([(0.30, se_for(0.30, 500), 25, 30)])  # deff < 1: n_eff 500 capped at 25
    assert table.loc[0, "n_effective"] == 25
    assert table.loc[0, "flag"] == "suppress" and table.loc[0, "flag_reason"] == "effective n 25.0 < 30"


def test_zero_proportion_is_reviewed_not_suppressed():
    table = nchs([(0.0, 0.0, 400, 30)])
    assert table.loc[0, "flag"] == "review"
    assert table.loc[0, "kg_low"] == 0 and 0 < table.loc[0, "kg_high"] < 0.05
    assert table.loc[0, "flag_reason"].endswith("p = 0: statistical review")


def test_kg_interval_is_the_nchs_variant():
    table = nchs([(0.2, 0.02, 800, 40)])
    low, high, _ = intervals.korn_graubard(0.2, 0.02, 800, 40, 0.95, nchs=True)
    assert table.loc[0, "kg_low"] == pytest.approx(float(low)) and table.loc[0, "kg_high"] == pytest.approx(float(high))


def test_minimum_cell_size_comes_first():
    table = nchs([(0.5, se_for(0.5, 3000), 40, 60)], min_n=50)
    assert table.loc[0, "flag"] == "suppress" and table.loc[0, "flag_reason"] == "n 40 < minimum 50"


def test_thresholds_are_settings():
    row = [(0.30, se_for(0.30, 40), 400, 30)]
    assert "effective" not in nchs(row).loc[0, "flag_reason"]
    assert nchs(row, min_effective_n=50).loc[0, "flag_reason"] == "effective n 40.0 < 50"


def test_other_rule_sets():
    table = pd.DataFrame(
        {"estimate": [100.0, 100.0, 100.0], "ci_low": [60.0, 10.0, 90.0], "ci_high": [140.0, 300.0, 110.0],
         "n": [8, 200, 40], "cv": [0.1, 0.25, 0.4]}
    )
    assert apply_rules(table, "nchs_counts")["flag"].tolist() == ["suppress", "suppress", "present"]
    assert apply_rules(table, "nchs_legacy")["flag"].tolist() == ["suppress", "present", "suppress"]
    assert apply_rules(table, "dhs")["flag"].tolist() == ["suppress", "present", "footnote"]
    assert apply_rules(table, "statcan")["flag"].tolist() == ["present", "footnote", "suppress"]


def test_rules_on_an_estimate_result():
    data = synthetic_sample()
    design = est.Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    result = est.proportion(design, "y", by=["district", "sex"])
    flagged = apply_rules(result, min_n=30)
    assert set(flagged["flag"]) <= {"present", "footnote", "review", "suppress"}
    assert (flagged["flag_reason"] != "").all()
    assert len(flagged) == len(result.table)


def test_unknown_rules_and_settings():
    table = pd.DataFrame({"estimate": [0.5], "se": [0.1], "n": [100], "df": [20.0]})
    with pytest.raises(ConfigError, match="expected one of nchs2017"):
        apply_rules(table, "cdc")
    with pytest.raises(ConfigError, match="unknown setting\\(s\\) min_cases"):
        apply_rules(table, min_cases=3)
    with pytest.raises(ColumnError, match="expected columns cv"):
        apply_rules(table, "statcan")
