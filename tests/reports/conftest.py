"""Report tests: one copy of the built demo pipeline, and one build of the reports of two districts.

The copy's tables are the pipeline's own outputs (the session fixture ``demo_pipeline``). The build
covers the districts the tests look at — one pilot district and one comparison district — and the
index; tests that change inputs or outputs copy the build first (``built_copy``).
"""

from __future__ import annotations

import pytest

#: The districts built for the report tests: a pilot district and a comparison district.
BUILT = ("linjiang", "liuhe")


@pytest.fixture(scope="session")
def report_study(demo_pipeline, copy_study, tmp_path_factory):
    """A copy of the built demo for the report tests (nothing stale: mtimes kept)."""
    from survey.pipeline import steps

    study = copy_study(demo_pipeline.root, tmp_path_factory.mktemp("reports") / "demo")
    assert steps.stale(study) == []
    return study


@pytest.fixture(scope="session")
def report_data(report_study):
    from survey.reports.inputs import ReportData

    return ReportData.load(report_study)


@pytest.fixture(scope="session")
def built_reports(report_study):
    """The Chinese reports of BUILT and the index, built with 2 worker processes."""
    from survey.reports.runner import build_reports

    return build_reports(report_study, list(BUILT), jobs=2, progress=False, echo=lambda line: None)


@pytest.fixture
def built_copy(built_reports, copy_study, tmp_path):
    """A private copy of the study with its built reports (for tests that change files)."""
    return copy_study(built_reports.study.root, tmp_path / "demo")
