"""Pipeline step 5, reports: every district's report (papermill) and the city's index page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from survey.study import Study


def run(study: Study | str | Path, echo: Callable[[str], None] = print, *, districts: str | Sequence[str] = "all",
        jobs: int = 1, lang: str = "zh", force: bool = False, progress: bool = True) -> Study:
    """Build the district reports and the index; print what was built and where the index is.

    Raises :class:`~survey.reports.runner.ReportBuildError` (one line naming every failed
    district) after the other districts were built, so ``make demo`` fails when a report does.
    """
    from survey.reports.runner import ReportBuildError, build_reports

    result = build_reports(study, districts, jobs=jobs, lang=lang, force=force, progress=progress, echo=echo)
    for line in result.summary().splitlines():
        echo(f"[report] {line}")
    if not result.ok:
        raise ReportBuildError("; ".join(result.failure_lines()))
    echo(f"  {result.index}")
    return result.study
