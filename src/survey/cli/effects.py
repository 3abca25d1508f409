"""Commands of the effects step: the pilot programme's effect on the key indicators."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def effects(
    study: Path = typer.Argument(..., help=STUDY_HELP),
    output: Path = typer.Option(
        None, "-o", "--output", help="CSV file to write (default: reports/<study>/tables/pilot_effects.csv)."
    ),
    draws: int = typer.Option(
        9999, "--draws", help="Wild-bootstrap draws (Rademacher draws are enumerated when fewer)."
    ),
    mixed: bool = typer.Option(True, "--mixed/--no-mixed", help="Also fit the mixed model (the slowest part)."),
    fpc: bool = typer.Option(
        False, "--fpc/--no-fpc", help="Design-based SEs with the study's FPC (default: with-replacement)."
    ),
) -> None:
    """Estimate the pilot's effect (difference-in-differences) on literacy, depression and the PHQ-9 mean."""
    from survey.pipeline import effects as step

    step.run(study, echo=typer.echo, output=output, B=draws, mixed=mixed, finite_population_correction=fpc)
