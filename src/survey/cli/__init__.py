"""The `survey` command: a thin face over the package's functions.

One module per step of the data flow registers its commands on the shared ``app``. Every
command calls one public function and prints its result. Whatever goes wrong, the terminal
gets one line, never a traceback: problems with the user's input (SurveyError) and usage
errors say what to do and exit with status 2; anything unexpected says so, exits with status
1 and leaves the traceback in a log file outside the repository (:mod:`survey.cli.crash_log`).
Mobile and resident ID numbers are masked in every line and in the log.
"""

from __future__ import annotations

import atexit
import os
import sys

import typer

from survey.cli import demo, effects, estimation, init, intake, reports, scoring  # noqa: F401  (register their commands)
from survey.cli.app import app
from survey.errors import SurveyError

__all__ = ["app", "main", "run"]


def one_line(text: object) -> str:
    """``text`` on one line, identifiers masked."""
    from survey.masking import mask_text  # pandas: only when there is something to say

    return " ".join(str(mask_text(str(text))).split())


def _usage_error(error: BaseException) -> bool:
    """A click usage error, or one of the copy of click that typer 0.29 ships: it knows its message and exit code."""
    import click

    if isinstance(error, click.exceptions.ClickException):
        return True
    return hasattr(error, "format_message") and hasattr(error, "exit_code") and hasattr(error, "ctx")


def main() -> None:
    try:
        app(standalone_mode=False)
    except SurveyError as error:
        typer.echo(f"error: {one_line(error)}", err=True)
        sys.exit(2)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except typer.Exit as stop:
        sys.exit(stop.exit_code)
    except SystemExit:
        raise
    except Exception as error:
        if _usage_error(error):
            if type(error).__name__ == "NoArgsIsHelpError" and getattr(error, "ctx", None) is not None:
                typer.echo(error.ctx.get_help())
                sys.exit(0)
            command = getattr(getattr(error, "ctx", None), "command_path", None) or "survey"
            typer.echo(f"error: {one_line(error.format_message())} (see `{command} --help`)", err=True)
            sys.exit(error.exit_code)
        # a bug, or something no check foresaw: one line here, the traceback in the log
        from survey.cli.crash_log import write_crash_log

        log = write_crash_log(error)
        where = f"the traceback is in {log}" if log else "the traceback could not be written to a log file"
        message = one_line(error)[:200]
        typer.echo(f"error: unexpected {type(error).__name__}: {message}; {where}; please report it", err=True)
        sys.exit(1)


def run() -> None:
    """The ``survey`` program: :func:`main`, then the process ends without tearing the interpreter down.

    Once a command has returned, its outputs are written and closed (atomically), so what is left
    is Python's finalisation: freeing every array and module object one by one, which the
    operating system does at once when the process ends (a few tenths of a second after a large
    ``survey estimate``). The exit handlers still run (logging, temporary folders, thread pools);
    only the finalisation is skipped. Tests and notebooks call :func:`main`, which returns or
    raises ``SystemExit`` as usual.
    """
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`survey ... | head`): nothing more to say
            pass
    os._exit(code or 0)
