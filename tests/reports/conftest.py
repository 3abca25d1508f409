"""Report tests share one private copy of the scored demo study and one build of its reports."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def report_study(demo_scored, tmp_path_factory):
    """A copy of the scored demo study (processed/ kept, with its mtimes) and its estimation and effects tables.

    The tables are the real steps' outputs. The effects step runs in a cheap configuration
    (literacy only, no mixed model, 99 bootstrap draws: about 8 s instead of about a minute);
    the reports read whatever rows the step wrote.
    """
    from survey.effects.study import pilot_effects
    from survey.estimation.study import prevalence_tables
    from survey.reports.prerequisites import stale_steps
    from survey.study import load_study

    target = tmp_path_factory.mktemp("reports") / "demo"
    shutil.copytree(demo_scored.study.root, target, ignore=shutil.ignore_patterns("reports"))
    study = load_study(target / "study.yaml")
    # intake and scoring outputs came with the copy; another test may have re-ingested the shared
    # copy since it was scored, which makes scoring stale too
    assert stale_steps(study)[-2:] == ["estimation", "effects"]
    if "scoring" in stale_steps(study):
        from survey.scoring.study import score_study

        score_study(study)
    prevalence_tables(study)
    pilot_effects(study, indicators=("literacy",), scores={}, mixed=False, B=99)
    assert stale_steps(study) == []
    return study


@pytest.fixture(scope="session")
def report_data(report_study):
    from survey.reports.inputs import ReportData

    return ReportData.load(report_study)


@pytest.fixture(scope="session")
def built_reports(report_study):
    """All 8 district reports in Chinese, built with 2 worker processes."""
    from survey.reports.runner import build_reports

    return build_reports(report_study, "all", jobs=2, progress=False, echo=lambda line: None)
