"""Errors the workspace raises for bad input.

Every error is one line that names where the problem is (file, key or column), what was
expected, what was found and, where it helps, example rows. The command-line interface
prints ``str(error)`` and exits with status 2; it never shows a traceback for these.
"""

from __future__ import annotations

from collections.abc import Iterable


class SurveyError(Exception):
    """Base class: a problem with the user's input or configuration."""


class ConfigError(SurveyError):
    """A study or instrument configuration file does not match its schema."""


class InputFileError(SurveyError):
    """An input file is missing, unreadable or in an unexpected encoding or format."""


class ColumnError(SurveyError):
    """A column is missing, or holds values that cannot be interpreted."""


class KeyFileError(SurveyError):
    """The pseudonymisation key is missing or does not match earlier outputs."""


class ArgumentError(SurveyError, TypeError):
    """A function of the Python API was given the wrong kind of object (e.g. a file name for a design)."""


def example_rows(rows: Iterable, limit: int = 5) -> str:
    """Format a few row labels for an error message: ``rows 3, 17, 52 (+12 more)``."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" (+{len(rows) - limit} more)" if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}{more}"
