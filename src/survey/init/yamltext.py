"""YAML text for hand-editable files: flow style, keys and values quoted only where YAML needs it."""

from __future__ import annotations

import yaml


def flow(value) -> str:
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10**9)
    return text.strip().removesuffix("...").strip()


def entry(key: str, value) -> str:
    """``key: value`` with each side quoted only when YAML needs it."""
    return flow({key: value}).removeprefix("{").removesuffix("}")
