"""``make demo``: every step of the registry on a study, then the demo's truth checks when it has a truth file.

Example
-------
>>> from survey.demo.run import run_demo
>>> run_demo("data/demo/study.yaml")        # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from survey.demo import checks
from survey.errors import SurveyError
from survey.pipeline import steps
from survey.reports.runner import ReportBuildError
from survey.study import Study, load_study

#: The report languages the demo builds, Chinese first.
LANGUAGES = ("zh", "en")


def run_demo(study: Study | str | Path, echo: Callable[[str], None] = print, *, jobs: int = 2,
             languages: Sequence[str] = LANGUAGES) -> Study:
    """Run intake, scoring, estimation, effects (when the study can have them) and the reports in ``languages``.

    Ends with one line of wall times by step (``[time] intake 1.2 s, ...``), which
    ``benchmarks/bench_province.py`` reads.
    """
    study = study if isinstance(study, Study) else load_study(study)
    shared = [name for name in steps.NAMES if name != "reports"]
    timings: dict[str, float] = {}
    results = steps.run(study, shared, echo=echo, timings=timings)
    truth = checks.read_truth(study)
    problems = _print_checks(results, truth, echo) if truth is not None else []
    for lang in languages:
        started = time.perf_counter()
        run = steps.step("reports").run(study, jobs=jobs, lang=lang, echo=echo)
        timings[f"reports_{lang}"] = time.perf_counter() - started
        for line in run.summary().splitlines():
            echo(f"[reports] {line}")
        if not run.ok:
            raise ReportBuildError("; ".join(run.failure_lines()))
    echo("[time] " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
         + f", total {sum(timings.values()):.1f} s")
    if problems:
        raise SurveyError(f"demo checks: validation did not find what the generator planted: {', '.join(problems)}")
    return study


def _print_checks(results: dict, truth: dict, echo: Callable[[str], None]) -> list[str]:
    """Print the checks; return the planted problems whose count validation did not reproduce."""
    problems = []
    if "intake" in results:
        for name, planted, found in checks.planted_vs_found(results["intake"], truth):
            verdict = "ok" if planted == found else "MISMATCH"
            if planted != found:
                problems.append(f"{name} (planted {planted}, found {found})")
            echo(f"[check]  {name:<20} planted {planted:>4}  found {found:>4}  {verdict}")
    if "estimate" in results:
        table = results["estimate"].prevalence
        echo("[check]  " + checks.coverage_summary(checks.prevalence_coverage(table[table["method"] != "standardised"],
                                                                             truth)))
    if "effects" in results:
        table = checks.effects_with_truth(results["effects"].table, truth)
        for row in table[table["model"].isin(["did_lpm", "did_linear"]) & table["truth"].notna()].itertuples():
            echo(f"[check]  effect {row.indicator:<11} {row.method:<15} {row.estimate:+.4f} "
                 f"[{row.ci_low:+.4f}, {row.ci_high:+.4f}] truth {row.truth:+.4f} "
                 f"{'inside' if row.covers else 'OUTSIDE'}")
    return problems
