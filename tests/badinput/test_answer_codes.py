"""code_base, code_maps and missing_values: the study says what its export's codes mean."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mini_study import GAD, PHQ

from survey.instruments import load_instrument
from survey.study.answer_codes import export_codes

ITEM_COLUMNS = [f"Q{i}" for i in range(1, len(PHQ) + len(GAD) + 1)]
PHQ_COLUMNS = ITEM_COLUMNS[:len(PHQ)]


def _answers(study) -> pd.DataFrame:
    return pd.read_parquet(study.processed / "responses.parquet")[PHQ + GAD].astype(float)


def _shift(study, columns, by=1):
    frame = study.frame()
    for column in columns:
        frame[column] = (frame[column].astype(int) + by).astype(str)
    study.write_frame(frame)


@pytest.fixture
def own_codes(mini):
    """The answers as intake reads them from the instrument's own codes."""
    assert mini.ingest().status == 0
    answers = _answers(mini)
    import shutil

    shutil.rmtree(mini.processed)
    return answers


def _set_input(key, value):
    def change(config):
        config["inputs"][0][key] = value
    return change


def test_code_base_1_reads_a_numbered_export_as_the_instrument_codes(mini, own_codes):
    _shift(mini, ITEM_COLUMNS)
    mini.edit(_set_input("code_base", 1))
    run = mini.ingest()
    assert run.status == 0, run.err
    pd.testing.assert_frame_equal(_answers(mini), own_codes)


def test_code_maps_per_response_set_override_code_base(mini, own_codes):
    _shift(mini, ITEM_COLUMNS)
    mini.edit(_set_input("code_maps", {"frequency_2w": {1: 0, 2: 1, 3: 2, 4: 3}}))
    assert mini.ingest().status == 0
    pd.testing.assert_frame_equal(_answers(mini), own_codes)


def test_code_maps_for_one_instrument_only(mini, own_codes):
    _shift(mini, PHQ_COLUMNS)
    mini.edit(_set_input("code_maps", {"phq9.frequency_2w": {"1": 0, "2": 1, "3": 2, "4": 3}}))
    assert mini.ingest().status == 0
    pd.testing.assert_frame_equal(_answers(mini), own_codes)


def test_export_codes_follow_the_order_of_the_response_set():
    who5, phq9 = load_instrument("who5"), load_instrument("phq9")
    assert export_codes(1, {}, who5, "who5_1") == {1: 5, 2: 4, 3: 3, 4: 2, 5: 1, 6: 0}
    assert export_codes(1, {}, phq9, "phq9_1") == {1: 0, 2: 1, 3: 2, 4: 3}
    assert export_codes(0, {}, phq9, "phq9_1") is None
    assert export_codes(None, {"frequency_2w": {7: 3}}, phq9, "phq9_1") == {7: 3}


def test_export_codes_outside_the_map_are_set_missing_and_reported(mini):
    frame = mini.frame()
    frame[ITEM_COLUMNS] = frame[ITEM_COLUMNS].astype(int).add(1).astype(str)
    frame.loc[[3, 8], "Q1"] = "5"
    mini.write_frame(frame)
    mini.edit(_set_input("code_base", 1))
    assert mini.ingest().status == 0
    report = pd.read_csv(mini.processed / "validation_report.csv")
    out = report[report["issue"] == "code_out_of_range"]
    assert out[["column", "row", "value"]].values.tolist() == [["Q1", 5, 5], ["Q1", 10, 5]]


def test_missing_values_are_blank_and_counted(mini):
    frame = mini.frame()
    frame.loc[[0, 1], "Q2"] = "(跳过)"
    frame.loc[2, "Q3"] = "（跳过）"        # full-width brackets, as an input method types them
    frame.loc[3, "Q4"] = "-3"
    frame.loc[4, "Q4"] = "-3.0"
    frame.loc[5, "性别"] = "(空)"
    mini.write_frame(frame)
    mini.edit(_set_input("missing_values", ["(跳过)", "(空)", -3]))
    run = mini.ingest()
    assert run.status == 0, run.err
    data = pd.read_parquet(mini.processed / "responses.parquet")
    assert data.loc[[0, 1], "phq9_2"].isna().all() and pd.isna(data.loc[2, "phq9_3"])
    assert data.loc[[3, 4], "phq9_4"].isna().all() and pd.isna(data.loc[5, "sex"])
    report = pd.read_csv(mini.processed / "validation_report.csv")
    marked = report[report["issue"] == "missing_value_marker"]
    assert len(marked) == 6 and set(marked["action"]) == {"set_missing"}
    assert sorted(marked["row"]) == [2, 3, 4, 5, 6, 7]
    # a declared no-answer is counted once, not also as a missing item
    assert not report[(report["issue"] == "missing_item") & report["row"].isin([2, 3, 4, 5, 6])].size


def test_a_no_answer_text_without_missing_values_names_the_setting(mini):
    frame = mini.frame()
    frame.loc[0, "Q2"] = "(跳过)"
    mini.write_frame(frame)
    run = mini.ingest()
    assert run.status == 2
    assert len(run.error_lines) == 1 and "'Q2'" in run.err and "missing_values" in run.err
    assert "row 2" in run.err


@pytest.mark.parametrize("key, value, expected", [
    ("code_maps", {"no_such_set": {1: 0}}, "code_maps.no_such_set"),
    ("code_maps", {"frequency_2w": {1: 7}}, "code_maps.frequency_2w"),
    ("code_maps", {"frequency_2w": {"a": 0}}, "code_maps.frequency_2w"),
    ("code_base", 2, "code_base"),
])
def test_bad_code_settings_name_the_key(mini, key, value, expected):
    mini.edit(_set_input(key, value))
    run = mini.ingest()
    assert run.status == 2 and len(run.error_lines) == 1
    assert expected in run.err and "study.yaml" in run.err and "Traceback" not in run.err


def test_code_base_on_a_labels_input_is_an_error(mini):
    mini.edit(lambda c: c["inputs"][0].update(answers="labels", code_base=1))
    run = mini.ingest()
    assert run.status == 2 and "code_base" in run.err and "answers: codes" in run.err


def test_missing_values_markers_compare_as_numbers_and_folded_text():
    from survey.intake.mapping import missing_markers

    cells = pd.Series(["-3", "-3.0", "（空）", "(空) ", "3", None, "x"], dtype=object)
    assert missing_markers(cells, ("-3", "(空)")).tolist() == [True, True, True, True, False, False, False]
    assert not missing_markers(cells, ()).any()
    assert np.asarray(missing_markers(cells.iloc[:0], ("-3",))).size == 0
