"""A configuration that does not fit the model, said in one line: the key, what was expected, what was found."""

from __future__ import annotations

from typing import Any

#: Parts pydantic adds to an error's location for union members and validators (not keys of the file).
_MEMBER_NAMES = frozenset({"int", "str", "float", "bool", "date", "dict", "list", "tuple", "none"})
_MEMBER_PREFIXES = ("function-", "constrained-", "literal[", "nullable[", "union[", "json-or-python[",
                    "lax-or-strict[", "definition-ref", "tuple[", "dict[", "list[")


def _is_member_tag(part) -> bool:
    return isinstance(part, str) and (part in _MEMBER_NAMES or part.startswith(_MEMBER_PREFIXES))

_EXPECTED = {
    "string_type": "a value of type string",
    "int_type": "a value of type integer",
    "float_type": "a value of type number",
    "bool_type": "a value of type boolean",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "tuple_type": "a list",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
}


def _key(location: tuple) -> str:
    parts = [str(p) for p in location if not _is_member_tag(p)]
    return ".".join(parts) or "(top level)"


def _found(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(error: dict) -> str:
    """One pydantic error (an entry of ``ValidationError.errors()``) as ``key: expected …, found …``."""
    kind, location, value, context = error["type"], error["loc"], error.get("input"), error.get("ctx") or {}
    if kind == "missing":
        *parent, name = location
        return f"{_key(tuple(parent))}: expected a key {str(name)!r}, found none"
    if kind == "extra_forbidden":
        *parent, name = location
        return f"{_key(tuple(parent))}: unexpected key(s): {str(name)!r}"
    key = _key(location)
    if kind == "literal_error":
        return f"{key}: expected one of {context.get('expected')}, found {_found(value)}"
    if kind == "string_pattern_mismatch":
        return f"{key}: expected text matching {context.get('pattern')}, found {_found(value)}"
    if kind in ("too_short", "too_long"):
        bound = context.get("min_length") if kind == "too_short" else context.get("max_length")
        least = "at least" if kind == "too_short" else "at most"
        return f"{key}: expected {least} {bound} entries, found {_found(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(context.values()), "")
        return f"{key}: expected a number {sign} {bound}, found {_found(value)}"
    if kind in _EXPECTED:
        return f"{key}: expected {_EXPECTED[kind]}, found {_found(value)}"
    message = str(error.get("msg", kind)).removeprefix("Value error, ")
    return f"{key}: {message}"


def first_error(errors: list[dict]) -> dict:
    """The error to report: for a value that fits no member of a union, the most telling member's error."""
    first = errors[0]
    same = [e for e in errors if _key(e["loc"]) == _key(first["loc"])]
    preferred = [e for e in same if e["type"] not in _EXPECTED] or same
    return preferred[0]
