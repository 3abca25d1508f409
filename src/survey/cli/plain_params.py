"""Command-line values of plain types converted without pydantic (``survey estimate`` starts faster).

typer 0.29 converts every parameter through a pydantic ``TypeAdapter``, built on first use:
importing pydantic and building a couple of dozen adapters is a noticeable part of a
short command's start-up. :class:`PlainCommand` gives its parameters a converter that handles
the plain cases itself, with typer's own results:

* ``str`` and ``list[str]`` values as given (click has decoded them already);
* ``bool`` flags, which click gives as booleans;
* ``float`` written as an ordinary decimal number (``1``, ``-0.5``, ``2.5e-3``);
* ``pathlib.Path``: through typer's own path check (exists, file or folder, readable).

Anything else (another type, a parser, a range, a value such as ``1_000`` or ``inf``, or a
value that fails) goes to typer's usual pydantic conversion, so results and error messages
are typer's.

Examples
--------
``@app.command(cls=PlainCommand)`` on a command function; ``typer.Typer(cls=PlainGroup)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperCommand, TyperGroup, _TyperParameter

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_UNHANDLED = object()


def _plain(value: Any, annotation: Any, info, param, ctx) -> Any:
    if annotation is str and isinstance(value, str):
        return value
    if annotation is bool and isinstance(value, bool):
        return value
    if annotation is float and isinstance(value, str) and _DECIMAL.fullmatch(value) and info.min is None \
            and info.max is None:
        return float(value)
    if annotation == list[str] and isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    if annotation is Path and info.path_type is None and isinstance(value, str) and value:
        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    return _UNHANDLED


@dataclass(frozen=True)
class PlainRuntimeParam(RuntimeParam):
    """typer's conversion, done here for plain types (see the module docstring)."""

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx) -> Any:
        if self.parameter_info.parser is None:
            converted = _plain(value, self.annotation, self.parameter_info, param, ctx)
            if converted is not _UNHANDLED:
                return converted
        return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)


def _convert_plainly(param) -> None:
    if isinstance(param, _TyperParameter) and param.type_descriptor.file_annotation is None:
        descriptor = param.type_descriptor
        param._runtime_param = PlainRuntimeParam(parameter_info=descriptor.parameter_info,
                                                 annotation=descriptor.annotation)


class _PlainParams:
    """Gives a command's parameters, and the ``--help`` option typer adds on first use, the plain converter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _convert_plainly(param)

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and option._runtime_param is None:
            _convert_plainly(option)
        return option


class PlainCommand(_PlainParams, TyperCommand):
    """A typer command whose parameters convert plain values without pydantic."""


class PlainGroup(_PlainParams, TyperGroup):
    """The typer group of the ``survey`` command, its ``--help`` converted without pydantic."""
