"""Validation of YAML configuration against a JSON Schema, with one-line errors."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from survey.errors import ConfigError


@lru_cache(maxsize=None)
def _validator(schema_file: Path):
    import jsonschema  # imported here: it is slow to import and the CLI start-up does not need it

    with Path(schema_file).open(encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    return jsonschema.Draft202012Validator(schema)


def _found(instance: Any) -> str:
    text = repr(instance)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_against_schema(document: Any, schema_file: Path, where: str) -> None:
    """Raise ConfigError naming the key, what was expected and what was found.

    Only the first error (in document order) is reported, as one line.
    """
    validator = _validator(Path(schema_file))
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        raise ConfigError(f"{where}: {key}: expected a key {missing!r}, found none")
    if error.validator == "additionalProperties":
        raise ConfigError(f"{where}: {key}: unexpected key(s): {error.message.split('(')[-1].rstrip(')')}")
    expected = {
        "type": f"a value of type {error.validator_value}",
        "enum": f"one of {error.validator_value}",
        "pattern": f"text matching {error.validator_value}",
        "minItems": f"at least {error.validator_value} entries",
        "minimum": f"a number >= {error.validator_value}",
        "maximum": f"a number <= {error.validator_value}",
    }.get(error.validator, error.message)
    raise ConfigError(f"{where}: {key}: expected {expected}, found {_found(error.instance)}")
