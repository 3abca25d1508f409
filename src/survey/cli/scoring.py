"""Commands of the scoring step."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def score(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Score every instrument of the study and measure reliability overall and by district."""
    from survey.pipeline import steps

    steps.run(study, ["scoring"], echo=typer.echo)
