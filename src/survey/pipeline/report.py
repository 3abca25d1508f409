"""``survey.report``: build a study's district reports and index page from Python.

The same as ``survey report STUDY`` on the command line: the shared steps that are stale run
first (:mod:`survey.pipeline.steps`), then one report per district
(:func:`survey.reports.runner.build_reports`, which has every option).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from survey.study import Study


def report(study: Study | str | Path, districts: str | Sequence[str] | None = "all", *, lang: str = "zh",
           jobs: int = 1, **options):
    """Build the district reports of a study (``lang`` "zh" or "en") and its index page.

    ``districts`` is ``"all"`` or district codes or names; further options (``wave``,
    ``force``, ``progress``, ``timeout``, ...) are those of
    :func:`survey.reports.runner.build_reports`. Returns its
    :class:`~survey.reports.runner.ReportRun` (``summary()``, ``to_frame()``: one row per
    district, ``ok``). R has no counterpart (reports there are R Markdown rendered per district).

    Example
    -------
    >>> run = report("data/demo/study.yaml", lang="en", jobs=2)     # doctest: +SKIP
    >>> run.ok, run.to_frame()[["district", "status"]].head(2)     # doctest: +SKIP
    """
    from survey.reports.runner import build_reports

    return build_reports(study, districts, lang=lang, jobs=jobs, **options)
