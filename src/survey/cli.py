"""The `survey` command: a thin face over the package's functions.

Every command calls one public function and prints its result. Problems with the user's
input (SurveyError) print one line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from survey.errors import SurveyError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Mental-health survey workspace: intake, scoring, estimation and reports.")

STUDY_HELP = "Path to a study.yaml (or its folder)."


@app.command()
def validate(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Check a study's exports and print what would be kept, rejected and fixed (writes nothing)."""
    from survey.intake import validate as run

    result = run(study)
    typer.echo(result.summary())


@app.command()
def ingest(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Validate, de-identify and write the study's processed Parquet and validation report."""
    from survey.intake import ingest as run

    result = run(study)
    out = result.study.processed_dir
    counts = result.counts().loc["total"]
    typer.echo(f"{counts.rows_in} rows in, {counts.rows_kept} kept, {counts.rows_rejected} rejected")
    typer.echo(f"wrote {out / 'responses.parquet'}")
    typer.echo(f"wrote {out / 'validation_report.csv'} and {out / 'validation_summary.md'}")


@app.command()
def demo(study: Path = typer.Argument(Path("data/demo/study.yaml"), help=STUDY_HELP)) -> None:
    """Run the demo study end to end and print where its outputs are."""
    from survey.pipeline import run_demo

    run_demo(study, echo=typer.echo)


@app.command("generate-demo")
def generate_demo(out_dir: Path = typer.Argument(Path("data/demo"), help="Folder of the demo study.")) -> None:
    """Regenerate the demo study's synthetic exports and truth file (same seed, same files)."""
    from survey.demo.generate import generate

    truth = generate(out_dir)
    typer.echo(f"wrote {out_dir / 'raw'} and {out_dir / 'truth.json'}: planted {truth['planted']['total']}")


def main() -> None:
    try:
        app(standalone_mode=False)
    except SurveyError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as error:  # click's usage errors
        import click

        if isinstance(error, click.exceptions.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise


if __name__ == "__main__":
    main()
