"""Commands of the intake step: validate, ingest, and the demo study's generate and run."""

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


@app.command()
def ingest(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Validate, de-identify and write the study's processed Parquet and validation report.

    Prints rows in, kept and rejected per input and the findings table; exits with status 2
    (writing nothing) when validate would.
    """
    from survey.intake import ingest as run

    result = _run(run, study)
    out = result.study.processed_dir
    _print_findings(result)
    if result.key_created:
        typer.echo("created a new pseudonymisation key outside the repository (see README: keys); back it up")
    typer.echo(f"wrote {out / 'responses.parquet'}")
    typer.echo(f"wrote {out / 'validation_report.csv'} and {out / 'validation_summary.md'}")


@app.command()
def demo(study: Path = typer.Argument(Path("data/demo/study.yaml"), help=STUDY_HELP)) -> None:
    """Run the demo study end to end and print where its outputs are."""
    from survey.pipeline import run_demo

    run_demo(study, echo=typer.echo)


@app.command("generate-demo")
def generate_demo(
    out_dir: Path = typer.Argument(None, help="Folder of the study (default: data/<study>)."),
    study: str = typer.Option("demo", "--study", help="Which synthetic study: demo (清河市, two waves) or nanhu "
                              "(南湖市, one wave, one 问卷星-style export)."),
) -> None:
    """Regenerate a synthetic example study's exports and truth file (same seed, same files)."""
    if study not in ("demo", "nanhu"):
        raise typer.BadParameter(f"expected demo or nanhu, found {study!r}", param_hint="--study")
    out_dir = out_dir or Path("data") / study
    if study == "nanhu":
        from survey.demo.nanhu import generate as generate_nanhu

        truth = generate_nanhu(out_dir)
        typer.echo(f"wrote {out_dir / 'raw'}, {out_dir / 'districts.csv'} and {out_dir / 'truth.json'}: "
                   f"planted {truth['planted']}")
        return
    from survey.demo.generate import generate

    truth = generate(out_dir)
    typer.echo(f"wrote {out_dir / 'raw'} and {out_dir / 'truth.json'}: planted {truth['planted']['total']}")
