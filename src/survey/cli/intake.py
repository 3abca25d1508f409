"""Commands of the intake step: validate and ingest."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app


def _print_findings(result) -> None:
    counts = result.counts()
    for name, row in counts.iterrows():
        typer.echo(f"{name}: {row.rows_in} rows in, {row.rows_kept} kept, {row.rows_rejected} rejected")
    typer.echo("findings (cells or rows, by input, issue and action):")
    for line in result.findings_text().splitlines():
        typer.echo(f"  {line}")


def _run(function, study: Path):
    """Run validate or ingest; when intake stops, print what it found before the one-line error."""
    from survey.intake import IntakeStopped

    try:
        return function(study)
    except IntakeStopped as stopped:
        if stopped.result is not None:
            _print_findings(stopped.result)
        raise


@app.command()
def validate(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Check a study's exports and print what would be kept, rejected, set missing and fixed (writes nothing).

    Exits with status 2 when an input's every row is rejected, or more than
    intake.max_set_missing_share of an instrument's answers are set missing.
    """
    from survey.intake import validate as run

    result = _run(run, study)
    _print_findings(result)
    typer.echo(result.identifier_line())


@app.command()
def ingest(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Validate, de-identify and write the study's processed Parquet and validation report.

    Prints rows in, kept and rejected per input and the findings table; exits with status 2
    (writing nothing) when validate would.
    """
    from survey.pipeline import steps
    from survey.study import load_study

    result = _run(lambda path: steps.step("intake").run(load_study(path)), study)
    _print_findings(result)
    typer.echo(result.identifier_line())
    if result.key_created:
        typer.echo("created a new pseudonymisation key outside the repository (see README: keys); back it up")
    for path in steps.step("intake").outputs(result.study):
        typer.echo(f"wrote {path}")
