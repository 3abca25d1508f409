"""Intake of an export whose missing values are written as R (NA) and SAS/Stata (.) write them.

A study declares such markers per input under ``missing_values`` (``survey estimate`` takes
the same as ``--na``); undeclared, they stop intake with the one-line error that names the
setting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from mini_study import PHQ


def _set_markers(markers):
    def change(config):
        config["inputs"][0]["missing_values"] = markers
    return change


def _r_export(mini) -> pd.DataFrame:
    """The mini export with missing item answers written NA (write.csv) and . (na = ".")."""
    frame = mini.frame()
    frame.loc[[0, 3], "Q2"] = "NA"
    frame.loc[4, "Q5"] = "."
    mini.write_frame(frame, encoding="utf-8")
    return frame


def test_declared_na_and_dot_are_read_as_missing_answers(mini):
    _r_export(mini)
    mini.edit(_set_markers(["NA", "."]))
    run = mini.ingest()
    assert run.status == 0, run.err
    data = pd.read_parquet(mini.processed / "responses.parquet")
    assert np.isnan(data[PHQ[1]].astype(float).iloc[[0, 3]]).all()
    assert np.isnan(float(data[PHQ[4]].astype(float).iloc[4]))
    report = pd.read_csv(mini.processed / "validation_report.csv")
    marked = report[report["issue"] == "missing_value_marker"]
    assert sorted(marked["row"]) == [2, 5, 6]
    assert set(marked["action"]) == {"set_missing"}


def test_undeclared_na_stops_intake_naming_the_setting(mini):
    _r_export(mini)
    run = mini.ingest()
    assert run.status == 2
    assert len(run.error_lines) == 1 and "'Q2'" in run.err and "missing_values" in run.err
    assert "NA" in run.err and "Traceback" not in run.err
