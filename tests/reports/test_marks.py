"""Marks name the rule that fired, read from the publication rules' own reasons: suppressed (‡, with why),
not applicable (— for n = 0, not counted as suppressed), statistical review for df < 8 (§), p = 0 or 1 (¶)
and SE 0 (‖), and footnotes (†) for the complement rule and the other rule sets' cautions; each table's note
explains exactly the marks it holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.estimation.prevalence import with_flags
from survey.estimation.publication import apply_rules
from survey.reports import marks
from survey.reports.formatting import percent_with_ci


def _flagged(rules: str = "nchs2017", **settings) -> pd.DataFrame:
    """Estimates built so that each rule of the set fires once (the rules' reasons are the real ones)."""
    table = pd.DataFrame({
        "case": ["fine", "low effective n", "wide", "relative", "complement", "low df", "zero", "not applicable"],
        "estimate": [0.20, 0.10, 0.50, 0.04, 0.98, 0.20, 0.0, np.nan],
        "se": [0.005, 0.06, 0.09, 0.02, 0.02, 0.005, 0.0, np.nan],
        "n": [2000, 40, 300, 1500, 90, 2000, 400, 0],
        "df": [60.0, 60, 60, 60, 60, 5, 60, np.nan],
        "cv": [0.025, 0.5, 0.18, 0.4, 0.02, 0.025, np.nan, np.nan],
    })
    table["ci_low"], table["ci_high"] = table["estimate"] - 2 * table["se"], table["estimate"] + 2 * table["se"]
    return apply_rules(table, rules, **settings)


def test_each_nchs_rule_gets_its_own_mark():
    table = _flagged().set_index("case", drop=False)
    got = marks.cell_marks(table)
    assert got["fine"] == "" and got["low effective n"] == "‡" and got["wide"] == "‡" and got["relative"] == "‡"
    assert got["complement"] == "†" and got["low df"] == "§" and got["zero"] == "¶"
    assert got["not applicable"] == "—"
    counted = marks.counts(table)
    assert counted["not_applicable"] == 1 and counted["suppressed"] == 3 and counted["cells"] == 7


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_note_explains_exactly_the_marks_in_the_table_with_their_thresholds(lang):
    table = _flagged()
    notes = " ".join(marks.legend(table, lang))
    for mark in ("—", "‡", "†", "§", "¶"):
        assert f"{mark}：" in notes or f"{mark}:" in notes, mark
    assert "‖" not in notes and "◊" not in notes
    assert "30" in notes and "130%" in notes and "0.3" in notes and "8" in notes
    only_review = table[table["case"] == "low df"]
    assert marks.legend(only_review, lang) == [marks.legend(table, lang)[3]]  # § alone, no ‡ or † text


def test_se_zero_review_and_an_unknown_review_reason_are_marked_apart():
    table = pd.DataFrame({"estimate": [0.2, 0.3], "se": [0.0, 0.01], "n": [100, 100], "df": [20.0, 20.0]})
    flagged = with_flags(table)
    assert flagged["flag"].iloc[0] == "review"
    flagged.loc[1, ["flag", "flag_reason"]] = ["review", "reviewed by hand"]
    assert marks.cell_marks(flagged).tolist() == ["‖", "◊"]
    notes = " ".join(marks.legend(flagged, "en"))
    assert "standard error 0" in notes and "flag_reason" in notes


@pytest.mark.parametrize("rules, case, mark, words", [
    ("dhs", "low effective n", "†", "unweighted sample size 25-49"),
    ("dhs", "complement", "", None),
    ("statcan", "wide", "†", "coefficient of variation above 16.6%"),
    ("statcan", "low effective n", "‡", "coefficient of variation above 33.3%"),
    ("nchs_legacy", "relative", "‡", "relative standard error at least 30%"),
])
def test_other_rule_sets_marks_and_notes(rules, case, mark, words):
    table = _flagged(rules).set_index("case", drop=False)
    assert marks.cell_marks(table)[case] == mark
    if words:
        assert words in " ".join(marks.legend(table.loc[[case]], "en"))


def test_a_minimum_n_suppresses_and_says_so():
    table = _flagged("nchs2017", min_n=100).set_index("case", drop=False)
    assert marks.cell_marks(table)["complement"] == "‡"
    assert "sample size below 100" in " ".join(marks.legend(table.loc[["complement"]], "en"))


def test_formatted_cells_carry_the_marks_and_a_table_without_reasons_keeps_the_old_marks():
    table = _flagged()
    cells = percent_with_ci(table).tolist()
    assert cells[0] == "20.0 (19.0–21.0)" and cells[5] == "20.0 (19.0–21.0)§" and cells[7] == "—"
    old = percent_with_ci(table.drop(columns=["flag_reason", "n"])).tolist()
    assert old[5] == "20.0 (19.0–21.0)†" and old[4].endswith("†") and old[1] == "‡"
