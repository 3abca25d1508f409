"""Values that would give wrong numbers: shifted codes, rows all rejected, answers lost, broken weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mini_study import GAD, PHQ, accounted, assert_one_line_error

ITEMS = [f"Q{i}" for i in range(1, len(PHQ) + len(GAD) + 1)]


def _cells(columns, rows, value):
    def change(study):
        frame = study.frame()
        frame.loc[rows, columns] = value
        study.write_frame(frame)
    return change


def _shift(columns):
    def change(study):
        frame = study.frame()
        for column in columns:
            frame[column] = (frame[column].astype(int) + 1).astype(str)
        study.write_frame(frame)
    return change


FAILING = {
    "every item shifted by one": (_shift(ITEMS), ["export.csv", "phq9 answers look shifted", "code_base: 1",
                                                  "code_maps", "'export'"]),
    "one instrument shifted": (_shift(ITEMS[len(PHQ):]), ["export.csv", "gad7 answers look shifted", "code_base: 1"]),
    "many answers out of range": (_cells(["Q1", "Q2"], list(range(0, 240, 2)), "7"),
                                  ["export.csv", "phq9 cells", "set missing", "intake.max_set_missing_share = 0.05"]),
    "every row rejected (age)": (_cells(["年龄"], slice(None), "abc"),
                                 ["export.csv", "every row (240) was rejected", "age_out_of_range", "'年龄'"]),
    "every row rejected (weight)": (_cells(["权重"], slice(None), ""),
                                    ["export.csv", "every row (240) was rejected", "weight_missing"]),
    "overflowing weight": (_cells(["权重"], [5], "1e300"),
                           ["export.csv", "column '权重' (weight)", "1e+300", "row 7", "below 1e+10"]),
    "a phone number as weight": (_cells(["权重"], [5], "13512345000"), []),  # set missing: no weight, rejected
}


@pytest.mark.parametrize("case", FAILING)
def test_values_that_would_be_silently_wrong_stop_intake(mini, case):
    change, names = FAILING[case]
    change(mini)
    if case == "a phone number as weight":
        assert mini.ingest().status == 0
        report = pd.read_csv(mini.processed / "validation_report.csv", dtype=str)
        line = report[report["row"] == "7"].iloc[0]
        assert (line["issue"], line["action"]) == ("weight_missing", "rejected")
        assert "13512345000" not in (mini.processed / "validation_report.csv").read_text(encoding="utf-8")
        accounted(mini)
        return
    line = assert_one_line_error(mini.ingest(), *names)
    assert not (mini.processed / "responses.parquet").exists(), line


def test_validate_prints_the_findings_before_stopping(mini):
    _cells(["Q1", "Q2"], list(range(0, 240, 2)), "7")(mini)
    run = mini.run("validate", str(mini.yaml))
    assert_one_line_error(run, "max_set_missing_share")
    assert "code_out_of_range" in run.out and "set_missing" in run.out and "240 rows in" in run.out


def test_a_stated_share_lets_the_study_accept_more_missing_answers(mini):
    _cells(["Q1", "Q2"], list(range(0, 240, 2)), "7")(mini)
    mini.edit(lambda c: c.update(intake={"max_set_missing_share": 0.2}))
    run = mini.ingest()
    assert run.status == 0, run.err
    assert "code_out_of_range" in run.out and "240" in run.out
    accounted(mini)


def test_explicit_code_base_0_says_the_codes_are_the_instruments_own(mini):
    """A scale nobody answered at its lowest code, with a few typing errors above: the study says so."""
    frame = mini.frame()
    frame[ITEMS[:len(PHQ)]] = frame[ITEMS[:len(PHQ)]].replace("0", "1")
    frame.loc[3, "Q1"] = "4"
    mini.write_frame(frame)
    assert_one_line_error(mini.ingest(), "phq9 answers look shifted")
    mini.edit(lambda c: c["inputs"][0].update(code_base=0))
    assert mini.ingest().status == 0
    accounted(mini)


def test_thousands_separators_are_read_when_the_column_is_a_number(mini):
    frame = mini.frame()
    frame.loc[0, "权重"] = "1,759.679"
    frame.loc[1, "权重"] = "12,345"
    mini.write_frame(frame)
    assert mini.ingest().status == 0
    data = pd.read_parquet(mini.processed / "responses.parquet")
    assert data.loc[0, "weight"] == pytest.approx(1759.679) and data.loc[1, "weight"] == 12345
    report = pd.read_csv(mini.processed / "validation_report.csv")
    fixed = report[report["issue"] == "thousands_separator"]
    assert fixed["row"].tolist() == [2, 3] and set(fixed["action"]) == {"fixed"}
    accounted(mini)


def test_extreme_and_non_finite_weights(mini):
    frame = mini.frame()
    frame.loc[0, "权重"] = "900000"      # kept, flagged: 9000 times the median
    frame.loc[1, "权重"] = "inf"         # not a weight: the row is rejected
    frame.loc[2, "权重"] = "nan"
    mini.write_frame(frame)
    run = mini.ingest()
    assert run.status == 0 and "weight_extreme" in run.out
    report = pd.read_csv(mini.processed / "validation_report.csv", dtype=str)
    by_row = report.set_index("row")
    assert by_row.loc["2", "issue"] == "weight_extreme" and by_row.loc["2", "value"] == "900000"
    assert by_row.loc["3", "issue"] == by_row.loc["4", "issue"] == "weight_out_of_range"
    accounted(mini)


def test_rows_in_equal_kept_plus_rejected_with_many_problems_at_once(mini):
    rng = np.random.default_rng(11)
    frame = mini.frame()
    rows = rng.choice(len(frame), 60, replace=False)
    frame.loc[rows[:10], "年龄"] = "150"
    frame.loc[rows[10:20], "权重"] = ""
    frame.loc[rows[20:30], "Q3"] = ""
    frame.loc[rows[30:35], "Q4"] = "9"
    frame.loc[rows[35:45], "身份证号"] = frame.loc[rows[45:55], "身份证号"].to_numpy()  # duplicates
    frame.loc[rows[55:], "性别"] = " 1 "
    mini.write_frame(frame)
    assert mini.ingest().status == 0
    accounted(mini)
