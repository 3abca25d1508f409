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
    mixed: bool = typer.Option(
        None, "--mixed/--no-mixed",
        help="Also fit the mixed model (the slowest part). Default: the study's analysis.effects.mixed.",
    ),
    fpc: bool = typer.Option(
        False, "--fpc/--no-fpc", help="Design-based SEs with the study's FPC (default: with-replacement)."
    ),
) -> None:
    """Estimate the pilot programme's effect (difference-in-differences) on the outcomes the study names.

    The outcomes, covariates and primary interval are the study's analysis choices
    (``analysis.effects`` in study.yaml). A study without a pilot, or with one wave, has no effects
    to estimate: the command says so in one line.
    """
    from survey.pipeline import steps

    options = {"output": output, "B": draws, "mixed": mixed, "finite_population_correction": fpc}
    results = steps.run(study, ["effects"], echo=typer.echo, options={"effects": options})
    if "effects" in results:
        typer.echo(f"wrote {results['effects'].extra['path']}")
