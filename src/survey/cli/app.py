"""The typer application that every command module registers on."""

from __future__ import annotations

import typer

from survey.cli.plain_params import PlainGroup

app = typer.Typer(cls=PlainGroup, add_completion=False, no_args_is_help=True,
                  help="Mental-health survey workspace: intake, scoring, estimation, effects and reports.")

STUDY_HELP = "Path to a study.yaml (or its folder)."
