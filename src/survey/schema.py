"""Validation of YAML configuration against a JSON Schema (draft-07), with one-line errors.

The schemas are compiled once per process with ``fastjsonschema`` (it turns a schema into
Python code: importing it costs milliseconds, where ``jsonschema`` costs one to three seconds
because of the format grammars it builds at import, in every CLI call and report kernel).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from survey.errors import ConfigError

#: libyaml's parser where PyYAML was built with it (its wheels are), else the pure-Python one: same result, faster.
FastSafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _validator(schema_file: Path):
    import fastjsonschema

    with Path(schema_file).open(encoding="utf-8") as handle:
        schema = yaml.load(handle, Loader=FastSafeLoader)  # noqa: S506 (a safe loader)
    return fastjsonschema.compile(schema)


def _found(instance: Any) -> str:
    text = repr(instance)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(path: list) -> str:
    return ".".join(str(p) for p in path[1:]) or "(top level)"  # path[0] is fastjsonschema's "data"


def validate_against_schema(document: Any, schema_file: Path, where: str) -> None:
    """Raise ConfigError naming the key, what was expected and what was found (the first error, one line)."""
    from fastjsonschema import JsonSchemaValueException

    try:
        _validator(Path(schema_file))(document)
    except JsonSchemaValueException as error:
        raise ConfigError(f"{where}: {_describe(error)}") from None


def _describe(error) -> str:
    key, rule, expected_value, found = _key(error.path), error.rule, error.rule_definition, error.value
    if rule == "required":
        present = set(found) if isinstance(found, dict) else set()
        missing = [name for name in expected_value if name not in present]
        return f"{key}: expected a key {missing[0] if missing else expected_value!r}, found none"
    if rule == "additionalProperties":
        definition = error.definition or {}
        allowed = set(definition.get("properties", {}))
        extra = sorted(k for k in (found or {}) if k not in allowed)
        return f"{key}: unexpected key(s): {', '.join(repr(k) for k in extra) or _found(found)}"
    expected = {
        "type": f"a value of type {expected_value}",
        "enum": f"one of {expected_value}",
        "const": f"{expected_value!r}",
        "pattern": f"text matching {expected_value}",
        "minItems": f"at least {expected_value} entries",
        "maxItems": f"at most {expected_value} entries",
        "minProperties": f"at least {expected_value} keys",
        "minLength": f"text of at least {expected_value} characters",
        "minimum": f"a number >= {expected_value}",
        "maximum": f"a number <= {expected_value}",
        "uniqueItems": "entries without repeats",
    }.get(rule)
    if rule == "not" and isinstance(expected_value, dict) and expected_value.get("required"):
        return f"{key}: expected no key {', '.join(map(repr, expected_value['required']))} here, found one"
    if expected is None:  # oneOf, anyOf, dependencies: fastjsonschema's own sentence
        return f"{key}: {error.message.removeprefix(error.name).strip()} ({_found(found)})"
    return f"{key}: expected {expected}, found {_found(found)}"
