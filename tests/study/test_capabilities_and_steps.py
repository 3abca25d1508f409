"""A study without a pilot, margins or a second wave goes through every step it can have, and says why it
skips the others; the registry runs what is stale and reads back what is fresh; outputs follow one rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey.errors import ConfigError
from survey.pipeline import steps
from survey.results import Skipped
from survey.study import load_study
from survey.study.paths import StudyPaths, slug_of


def test_capabilities_follow_what_the_study_declares(small_study):
    study = load_study(small_study)
    caps = study.capabilities()
    assert {name for name, c in caps.items() if c} == {"subgroups"}
    assert caps["change"].reason == "one wave (2025): no change between rounds"
    assert caps["effects"].reason == "no pilot programme declared (`pilot:`)"
    assert "margins" in caps["raking"].reason
    assert study.comparison_rate == "crude"
    demo = load_study(Path(__file__).resolve().parents[2] / "data" / "demo" / "study.yaml")
    assert all(demo.capabilities().values())


def test_a_one_wave_study_without_pilot_or_margins_goes_through_its_steps(small_study, cli):
    study = load_study(small_study)
    assert steps.stale(study) == ["intake", "scoring", "estimate"]  # effects: not a step this study has
    for command in ("validate", "ingest", "score", "prevalence"):
        run = cli(command, small_study)
        assert run.returncode == 0, (command, run.stderr)
    run = cli("effects", small_study)
    assert run.returncode == 0 and run.stdout.strip() == "[effects] effects skipped: no pilot programme declared " \
        "(`pilot:`)", run.stdout
    assert steps.stale(study) == []
    tables = steps.result(study, "estimate")
    assert tables.methods == ["crude"] and set(tables.prevalence["indicator"]) == {"depression", "anxiety"}
    assert tables.change.empty
    assert any("no raked rates" in note for note in tables.notes)
    assert isinstance(tables.city_change(), Skipped) and isinstance(steps.result(study, "effects", skip=True), Skipped)
    with pytest.raises(ConfigError, match="no raked estimates: no population margins declared"):
        tables.city_table("raked")
    with pytest.raises(ConfigError, match="effects skipped: no pilot programme declared"):
        steps.result(study, "effects")


def test_the_registry_reads_back_fresh_results_and_reruns_stale_ones(small_study):
    study = load_study(small_study)
    ran = steps.run(study, echo=lambda line: None, names=["intake", "scoring", "estimate"])
    fresh = steps.result(study, "estimate")
    assert fresh is not ran["estimate"]  # read back from the files, not recomputed
    pd.testing.assert_frame_equal(fresh.prevalence, ran["estimate"].prevalence, check_dtype=False, rtol=1e-9)
    intake = steps.result(study, "intake")
    assert intake.counts().equals(ran["intake"].counts())
    scored = study.paths.scored
    newer = study.paths.prevalence.stat().st_mtime + 10
    import os

    os.utime(scored, (newer, newer))  # scoring output newer than the estimation's: estimation is stale
    assert steps.stale(study) == ["estimate"]
    lines = []
    assert steps.ensure(study, echo=lines.append) == ["estimate"]
    assert lines == ["[estimate] running (scored.parquet is newer than prevalence.csv)",
                     "[effects] effects skipped: no pilot programme declared (`pilot:`)"]


def test_output_locations_follow_one_rule(tmp_path):
    inside = StudyPaths.of(tmp_path / "ws" / "data" / "nanhu", "nanhu")
    assert inside.reports == tmp_path / "ws" / "reports" / "nanhu"
    assert inside.processed == tmp_path / "ws" / "data" / "nanhu" / "processed"
    elsewhere = StudyPaths.of(tmp_path / "projects" / "mine", "nanhu")
    assert elsewhere.reports == tmp_path / "projects" / "mine" / "reports"
    assert inside.report_html("d1", "en") == inside.reports / "en" / "d1" / "report.html"
    assert inside.district_dir("d1", "zh") == inside.reports / "d1"
    assert slug_of("en") == "district-en" and slug_of("x" * 300).startswith("district-")
    assert len(slug_of("x" * 300)) < 30 and slug_of("东城区") != slug_of("西城区")


def test_no_output_file_name_is_written_outside_the_paths_object():
    """`processed/...` and `reports/<study>/...` file names live in survey.study.paths only."""
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "survey"
    names = re.compile(r"[\"'](responses\.parquet|scored\.parquet|validation_report\.csv|validation_summary\.md|"
                       r"scoring_summary\.csv|reliability(_items)?\.csv|prevalence(_subgroups|_change)?\.csv|"
                       r"pilot_effects\.csv|report\.(html|pdf|ipynb)|index\.html)[\"']")
    found = [f"{p.relative_to(src)}: {m.group(0)}" for p in src.rglob("*.py")
             if p.relative_to(src).as_posix() != "study/paths.py" for m in names.finditer(p.read_text("utf-8"))]
    assert found == []


def test_the_reports_step_checks_the_index_of_the_language_it_built(small_study, monkeypatch):
    import dataclasses
    import sys
    import types

    study = load_study(small_study)
    reports = steps.step("reports")
    assert reports.outputs(study, lang="en") == [study.paths.index("en")] != reports.outputs(study)

    def build(study, lang="zh", **options):  # writes only the index of its language, as an English-only run does
        study.paths.index(lang).parent.mkdir(parents=True, exist_ok=True)
        study.paths.index(lang).write_text("<!DOCTYPE html>", encoding="utf-8")

    monkeypatch.setitem(sys.modules, "_only_the_index", types.SimpleNamespace(build=build))
    writes_index = dataclasses.replace(reports, run_function="_only_the_index:build")
    study.paths.index("zh").unlink(missing_ok=True)
    writes_index.run(study, lang="en")  # no zh index, and none expected
    with pytest.raises(Exception, match="index.html after it ran"):
        dataclasses.replace(reports, run_function="_only_the_index:build", output_options=()).run(study, lang="en")
