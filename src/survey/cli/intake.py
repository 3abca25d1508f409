"""Commands of the intake step: validate and ingest."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


@app.command()
def validate(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Check a study's exports and print what would be kept, rejected and fixed (writes nothing)."""
    from survey.intake import validate as run

    result = run(study)
    typer.echo(result.summary())


@app.command()
def ingest(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Validate, de-identify and write the study's processed Parquet and validation report."""
    from survey.pipeline import steps

    results = steps.run(study, ["intake"], echo=lambda line: None)
    result = results["intake"]
    counts = result.counts().loc["total"]
    typer.echo(f"{counts.rows_in} rows in, {counts.rows_kept} kept, {counts.rows_rejected} rejected")
    for path in steps.step("intake").outputs(result.study):
        typer.echo(f"wrote {path}")
