"""The study pipeline: every step the workspace has, run in order on one study.

Each step is a module here with ``run(study, echo)``; ``make demo`` runs them all on the demo
study. Steps read what the previous step wrote under ``data/<study>/processed/`` and
``reports/<study>/``, so any one can be rerun on its own from the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from survey.pipeline.intake import TRUTH_KEYS, planted_vs_found

__all__ = ["TRUTH_KEYS", "planted_vs_found", "run_demo"]


def run_demo(study_file: Path, echo: Callable[[str], None] = print) -> None:
    """Run intake and every later step on the study, printing where each output is."""
    from survey.pipeline import effects, estimation, intake, reports, scoring

    study = intake.run(study_file, echo=echo)
    scoring.run(study, echo=echo)
    estimation.run(study, echo=echo)
    effects.run(study, echo=echo)
    reports.run(study, echo=echo, jobs=2, lang="en")
    reports.run(study, echo=echo, jobs=2, lang="zh")
