"""Intake: read exports, map columns and answers, remove identifiers, validate, write Parquet.

The names below load their module on first use, so that one reader (``survey estimate``'s typed
reading, :mod:`survey.intake.typed`) does not load the whole intake step.
"""

from __future__ import annotations

import sys
import types

from survey.lazy import lazy_names

_LAZY = {
    "IntakeStopped": "checks",
    "ValidationResult": "ingest",
    "ingest": "ingest",
    "validate": "ingest",
    "RawTable": "readers",
    "read_table": "readers",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)


class _Intake(types.ModuleType):
    """``survey.intake.ingest`` is the function even after its submodule ``survey.intake.ingest`` is imported
    (importing a submodule sets the package attribute of its name to the module)."""

    def __setattr__(self, name: str, value) -> None:
        if name == "ingest" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Intake
