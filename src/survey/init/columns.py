"""The columns that are not instrument items: platform columns, identifiers, demographics, the rest.

Headers are recognised from ``known_columns.yaml`` (data, not code). Identifiers are
recognised by their header and also by their content (most cells look like a mobile or
resident ID number), and always go to ``pii:``, never to ``variables:``. What cannot be decided
from a header is returned with a hint for a TODO line; hints hold counts and ranges, never a
cell value that could identify anyone.

Example
-------
>>> import pandas as pd
>>> from survey.init.profile import profile_column
>>> [recognise(profile_column(h, 0, pd.Series(["1", "2"]))).variable for h in ("3、您的性别：", "姓名")]
['sex', 'name']
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from survey.init.profile import ColumnProfile
from survey.instruments import normalise_label

KNOWN_FILE = Path(__file__).with_name("known_columns.yaml")


@dataclass
class Recognised:
    column: ColumnProfile
    kind: str                      # platform, skip, pii, variable, weight, free_text, unknown
    variable: str | None = None
    spec: dict | None = None       # the variable's declaration, when one is drafted
    action: str | None = None      # for pii: the suggested action
    decided: bool = True           # False: the draft asks the user (a TODO)
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def known() -> dict:
    with KNOWN_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace(" ", "")


def _matches(entry: dict, text: str) -> bool:
    folded = _fold(text)
    words = [_fold(w) for w in entry["headers"]]
    if entry.get("exact"):
        return folded in words
    if any(_fold(u) in folded for u in entry.get("unless", [])):
        return False
    return any(w in folded for w in words)


def recognise(column: ColumnProfile) -> Recognised:
    """What a non-item column is, from its header (then its content for identifiers)."""
    table = known()
    text = column.header.stem if column.header.number is not None else column.header.text
    for entry in table["platform"]:
        if _matches(entry, column.name) or _matches(entry, column.header.text):
            if "skip" in entry:
                return Recognised(column, "skip", notes=[entry["skip"]])
            return Recognised(column, "platform", entry["variable"], dict(entry["spec"]))
    for entry in table["pii"]:
        if _matches(entry, text):
            return Recognised(column, "pii", entry["variable"], action=entry["action"],
                              decided=bool(entry.get("decided")))
    if column.identifier:
        action = "pseudonymise" if column.identifier == "id_number" else "drop"
        return Recognised(column, "pii", column.identifier, action=action, decided=False,
                          notes=[f"most cells look like {column.identifier.replace('_', ' ')}s"])
    for entry in table["variables"]:
        if _matches(entry, text):
            if entry.get("todo") == "weight":
                return _weight(column, entry["variable"])
            spec = dict(entry["spec"]) if "spec" in entry else _unit_spec(column)
            return _check_levels(Recognised(column, "variable", entry["variable"], spec))
    if not column.numeric and column.distinct > 15 and any(w in text for w in table["free_text"]):
        return Recognised(column, "free_text", "comments", {"type": "text"},
                          notes=["free text: intake masks phone and ID numbers typed into it (pii.free_text)"])
    return Recognised(column, "unknown", decided=False)


def _unit_spec(column: ColumnProfile) -> dict:
    """A street, community or other unit code: whole numbers, or text."""
    if column.numeric and column.counts:
        return {"type": "integer", "min": 1}
    return {"type": "text"}


def _weight(column: ColumnProfile, variable: str) -> Recognised:
    if not column.numeric or column.minimum is None or column.minimum <= 0:
        return Recognised(column, "unknown", decided=False, notes=["named like a weight, but not positive numbers"])
    spec = {"type": "number", "min": 0.000001, "invalid": "reject", "required": True}
    return Recognised(column, "weight", variable, spec,
                      notes=[f"positive numbers {column.minimum:g}-{column.maximum:g}"])


def level_codes(spec: dict) -> dict:
    """Normalised code and label -> level code, as intake matches categories."""
    lookup = {}
    for level in spec.get("levels", []):
        for value in (level["code"], *level.get("en", []), *level.get("zh-CN", []), *level.get("aliases", [])):
            lookup[normalise_label(value)] = level["code"]
    return lookup


def _check_levels(found: Recognised) -> Recognised:
    """A category whose export values are not all among its usual levels is left for the user."""
    spec, column = found.spec or {}, found.column
    if spec.get("type") != "category" or "levels" not in spec:
        return found
    lookup = level_codes(spec)
    if column.numeric:
        values = [str(v) for v in column.counts] if column.counts else []
        if values:
            found.notes.append(f"codes {values[0]}-{values[-1]} read as the levels below, in this order: check "
                               "they number the options as the questionnaire does")
    else:
        values = list(column.labels)
    unknown = [v for v in values if normalise_label(v) not in lookup]
    if unknown or (not column.numeric and not column.labels and column.n):
        found.decided = False
        found.notes.append(f"{len(unknown) or column.distinct} value(s) not among the usual levels"
                           + (f": {', '.join(unknown[:6])}" if unknown and column.labels else ""))
    return found


def cluster_hint(column: ColumnProfile, rows: int) -> str | None:
    """A hint when a column could be a cluster (PSU) code: repeated values, neither few nor unique."""
    if column.n == 0 or column.distinct < 2:
        return None
    if 10 <= column.distinct <= max(10, rows // 8):
        each = column.n // column.distinct
        text = column.header.stem
        if column.numeric and any(word in text for word in ("数", "总数", "规模", "人口")):
            return (f"{column.distinct} distinct values, about {each} rows each, named like a count: a design "
                    "count such as the stratum's number of PSUs (an FPC)?")
        return f"{column.distinct} distinct values, about {each} rows each: a cluster (PSU) code?"
    return None
