"""Pipeline step 2, scoring: every instrument of the study, with reliability by district."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from survey.study import Study


def run(study: Study | str | Path, echo: Callable[[str], None] = print) -> Study:
    """Score the study, print respondents by status with alpha and omega, and the outputs."""
    from survey.scoring.study import OUTPUTS, score_study

    result = score_study(study)
    echo(
        f"[score]  {result.study.id}: {len(result.scored)} respondents, "
        f"{len(result.study.spec['instruments'])} instruments"
    )
    for line in result.summary().splitlines():
        echo(f"         {line}")
    for name in OUTPUTS:
        echo(f"  {result.study.processed_dir / name}")
    return result.study
