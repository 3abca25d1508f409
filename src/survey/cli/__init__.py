"""The `survey` command: a thin face over the package's functions.

One module per step of the data flow registers its commands on the shared ``app``. Every
command calls one public function and prints its result. Problems with the user's input
(SurveyError) print one line and exit with status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from survey.cli import effects, estimation, init, intake, reports, scoring  # noqa: F401  (register their commands)
from survey.cli.app import app
from survey.errors import SurveyError

__all__ = ["app", "main"]


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
