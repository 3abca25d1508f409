"""Planted mobile and ID numbers never reach processed files, tables, logs or messages (property test)."""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mini_study import MiniStudy, accounted, run_cli

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: Where a respondent (or a careless export) puts an identifier: free text, the identifier
#: columns themselves, and fields meant for something else.
PII_HEADERS = ("姓名", "手机号码", "身份证号")
TARGETS = ["其他意见", "姓名", "手机号码", "身份证号", "年龄", "街道编号", "权重", "性别", "所在区县", "Q1", "Q9",
           "提交答卷时间", "序号"]


def _check_digit(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
id_numbers = st.builds(lambda area, date, seq: f"{area}{date}{seq}", st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
                       st.dates().map(lambda d: f"{max(d.year, 1900):04d}{d.month:02d}{d.day:02d}"),
                       st.from_regex(r"[0-9]{3}", fullmatch=True)).map(lambda b: b + _check_digit(b))
#: How the number is typed: plain, with spaces or hyphens, +86, full-width digits, inside a sentence.
styles = st.sampled_from(["{}", "{} ", "电话：{}", "我的电话是{}，请联系", "身份证{}号", "+86 {}", "full-width",
                          "spaced"])


def _typed(number: str, style: str) -> str:
    if style == "full-width":
        return number.translate(FULL_WIDTH)
    if style == "spaced":
        return f"{number[:3]} {number[3:7]} {number[7:]}" if len(number) == 11 else number
    return style.format(number)


plants = st.lists(st.tuples(st.one_of(phones, id_numbers), styles, st.sampled_from(TARGETS),
                            st.integers(0, 239)), min_size=1, max_size=6)


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", unicodedata.normalize("NFKC", text))


def _texts(root: Path) -> list[tuple[str, str]]:
    """Every cell and line of every file the pipeline wrote, as text (Parquet read back through pandas)."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "raw" not in p.relative_to(root).parts):
        if path.name in ("study.yaml", "districts.csv"):
            continue
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            for column in frame.columns:
                found += [(f"{path.name}:{column}", str(v)) for v in pd.unique(frame[column].astype(str))]
        elif path.suffix in (".csv", ".md", ".json", ".log", ".html", ".txt"):
            found += [(path.name, line) for line in path.read_text(encoding="utf-8").splitlines()]
    return found


def _assert_absent(numbers: list[str], texts: list[tuple[str, str]]) -> None:
    for number in numbers:
        for where, text in texts:
            assert number not in _digits(text), (number, where, text)


def _plant(study: MiniStudy, planted) -> list[str]:
    frame = study.frame()
    for number, style, column, row in planted:
        frame.loc[row, column] = _typed(number, style)
    study.write_frame(frame)
    return [number for number, *_ in planted]


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(planted=plants)
def test_planted_identifiers_reach_no_output(mini_template, tmp_path_factory, planted):
    study = MiniStudy(tmp_path_factory.mktemp("plant") / "mini")
    shutil.copytree(mini_template, study.root)
    numbers = _plant(study, planted)
    runs = [study.ingest()]  # scoring copies the responses: the deterministic test below runs it
    assert runs[0].status == 0, runs[0].err
    accounted(study)
    logs = Path(os.environ["SURVEY_LOG_DIR"])
    texts = _texts(study.root) + (_texts(logs) if logs.is_dir() else []) + [("stdout", r.out) for r in runs] + [
        ("stderr", r.err) for r in runs]
    _assert_absent(numbers, texts)
    # every planted cell outside the identifier columns is reported, or its row rejected
    report = pd.read_csv(study.processed / "validation_report.csv")
    found = report[report["issue"].isin(["identifier_in_text", "identifier_in_field"])]
    reported = set(zip(found["row"], found["column"], strict=True))
    rejected = set(report.loc[report["action"] == "rejected", "row"])
    for _, _, column, row in planted:
        if column not in PII_HEADERS:
            assert (row + 2, column) in reported or row + 2 in rejected, (row, column)


def test_identifiers_reach_no_table_and_no_message_when_intake_stops(mini, tmp_path):
    rng = np.random.default_rng(5)
    frame = mini.frame()
    numbers = [f"1{rng.integers(3, 10)}{rng.integers(10**8, 10**9)}" for _ in range(len(frame))]
    frame["年龄"] = numbers          # every age is a phone number: every row is rejected
    mini.write_frame(frame)
    run = mini.ingest()
    assert run.status == 2 and "every row (240) was rejected" in run.err
    _assert_absent(numbers[:40], [("stdout", run.out), ("stderr", run.err)])

    frame["年龄"] = "40"
    frame.loc[:30, "其他意见"] = [f"我的手机{n}" for n in numbers[:31]]
    mini.write_frame(frame)
    runs = [mini.ingest(), run_cli("score", str(mini.yaml)), run_cli("prevalence", str(mini.yaml))]
    assert [r.status for r in runs] == [0, 0, 0], [r.err for r in runs]
    texts = _texts(mini.root) + [("out", r.out + r.err) for r in runs]
    assert any(name.startswith("prevalence") for name, _ in texts)
    _assert_absent(numbers[:31], texts)
    data = pd.read_parquet(mini.processed / "responses.parquet")
    assert data.loc[0, "comments"] == f"我的手机{numbers[0][:3]}****{numbers[0][-4:]}"


def test_free_text_can_be_dropped_instead(mini):
    frame = mini.frame()
    frame.loc[0, "其他意见"] = "电话13512345000"
    mini.write_frame(frame)
    mini.edit(lambda c: c["pii"].update(free_text="drop"))
    assert mini.ingest().status == 0
    data = pd.read_parquet(mini.processed / "responses.parquet")
    assert "comments" not in data.columns and "respondent_id" in data.columns
    report = pd.read_csv(mini.processed / "validation_report.csv")
    line = report[report["issue"] == "identifier_in_text"].iloc[0]
    assert (line["action"], line["value"]) == ("dropped", "电话135****5000")


def test_summary_says_removed_only_after_checking_the_written_files(mini):
    assert "to be removed" in run_cli("validate", str(mini.yaml)).out
    assert mini.ingest().status == 0
    summary = (mini.processed / "validation_summary.md").read_text(encoding="utf-8")
    assert "removed; the written files were read back" in summary


def test_a_leak_found_in_the_written_files_stops_intake_and_keeps_nothing(mini, monkeypatch):
    """If conversion ever let an identifier through, the read-back check would catch it: simulate that."""
    import survey.intake.convert as convert

    monkeypatch.setattr(convert, "identifier_in_field", lambda values: np.zeros(len(values), bool))
    frame = mini.frame()
    frame.loc[3, "街道编号"] = "13512345000"          # a PSU code that is a phone number
    mini.write_frame(frame)
    run = mini.ingest()
    assert run.status == 2 and "responses.parquet: column 'psu' still holds a personal identifier" in run.err
    assert "135****5000" in run.err and "13512345000" not in run.err
    assert not (mini.processed / "responses.parquet").exists()
    assert not any(".tmp" in p.name for p in mini.processed.iterdir())


@pytest.mark.slow
def test_planted_identifiers_reach_no_district_report(writable_demo_report):
    """The expensive variant: one district report (notebook and page) of the demo with planted identifiers."""
    writable_demo_report()


def test_error_messages_show_identifiers_masked():
    from survey.errors import ColumnError
    from survey.intake.mapping import map_codes, map_labels

    cells = pd.Series(["男", "我的电话135 1234 5000", "110105199003071234号"], dtype=object)
    rows = pd.Series([2, 3, 4])
    with pytest.raises(ColumnError) as labels:
        map_labels(cells, {"男": 1}, where="x.csv: column '性别' (sex)", rows=rows)
    with pytest.raises(ColumnError) as codes:
        map_codes(cells.iloc[1:], {0, 1}, where="x.csv: column 'Q1' (phq9_1)", rows=rows.iloc[1:])
    for error in (labels.value, codes.value):
        message = str(error)
        assert "135****5000" in message and "110105********1234" in message
        assert "1234 5000" not in message and "199003071234" not in message
