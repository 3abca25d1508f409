"""The command line never shows a traceback: bad options, unknown commands, and the unexpected."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from mini_study import assert_one_line_error, run_cli


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "survey.csv"
    pd.DataFrame({"y": [0, 1, 1, 0], "w": [1.0, 2.0, 1.5, 1.0], "h": [1, 1, 2, 2]}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("args, names", [
    (["report", "{study}", "-j", "0"], ["'--jobs'", "survey report --help"]),
    (["report", "{study}", "--jobs", "many"], ["'--jobs'"]),
    (["report", "{study}", "--lang", "fr"], ["lang", "fr"]),
    (["estimate", "{table}", "--outcome", "y", "--weight", "w", "--stat", "mode"], ["--stat", "mode"]),
    (["estimate", "{table}", "--outcome", "y", "--weight", "w", "--ci", "exact"], ["--ci", "exact"]),
    (["estimate", "{table}", "--outcome", "nope", "--weight", "w"], ["nope"]),
    (["estimate", "{table}", "--outcome", "y"], ["--weight"]),
    (["estimate", "{missing}", "--outcome", "y", "--weight", "w"], ["nope.csv", "not found"]),
    (["nope"], ["No such command 'nope'"]),
    (["ingest"], ["Missing argument", "survey ingest --help"]),
    (["ingest", "{study}", "--bogus"], ["--bogus"]),
    (["validate", "{missing_study}"], ["nope.yaml", "not found"]),
    (["score", "{study}"], ["export.csv", "empty"]),
])
def test_bad_command_lines_are_one_line(mini, table, args, names):
    mini.export.write_bytes(b"")  # so that a command that gets as far as reading says so
    values = {"study": str(mini.yaml), "table": str(table), "missing": str(table.parent / "nope.csv"),
              "missing_study": str(mini.root / "nope.yaml")}
    run = run_cli(*[a.format(**values) for a in args])
    assert_one_line_error(run, *names)


def test_no_arguments_shows_the_help():
    run = run_cli()
    assert run.status == 0 and "Usage" in run.out and "Traceback" not in run.out + run.err


def test_an_unexpected_error_is_one_line_with_a_masked_log(mini, monkeypatch, tmp_path):
    import survey.intake

    def broken(*args, **kwargs):
        raise ValueError("cannot handle 13512345000 in row 5, ID 110105199003071234")
    monkeypatch.setattr(survey.intake, "ingest", broken)
    monkeypatch.setenv("SURVEY_LOG_DIR", str(tmp_path / "logs"))
    line = assert_one_line_error(mini.ingest(), "unexpected ValueError", "135****5000", "110105********1234",
                                 str(tmp_path / "logs"), status=1)
    assert "13512345000" not in line and "110105199003071234" not in line
    [log] = os.listdir(tmp_path / "logs")
    text = (tmp_path / "logs" / log).read_text(encoding="utf-8")
    assert "Traceback" in text and "broken" in text and "135****5000" in text
    assert "13512345000" not in text and "110105199003071234" not in text
    assert str(tmp_path / "logs" / log) in line


def test_the_log_folder_is_outside_the_repository(monkeypatch, tmp_path):
    from survey.cli.crash_log import log_dir
    from survey.paths import project_root

    monkeypatch.delenv("SURVEY_LOG_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert log_dir() == tmp_path / "state" / "survey-workspace" / "logs"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert project_root() not in log_dir().parents
