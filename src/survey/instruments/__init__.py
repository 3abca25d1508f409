"""The instrument library: questionnaires described as data.

Each instrument is a YAML file in this folder (or next to a study's ``study.yaml``),
validated against ``schema.yaml``. The file gives the items (described in our own words),
the response codes with the accepted answer labels in English and simplified Chinese,
and the scoring rules with their sources.

Example
-------
>>> from survey.instruments import load_instrument
>>> phq9 = load_instrument("phq9")
>>> phq9.item_ids[:2]
['phq9_1', 'phq9_2']
>>> phq9.label_map("phq9_1")["好几天"]
1
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from survey.errors import ConfigError
from survey.paths import INSTRUMENTS_DIR
from survey.schema import FastSafeLoader, validate_against_schema

SCHEMA_FILE = INSTRUMENTS_DIR / "schema.yaml"


def normalise_label(text: object) -> str:
    """Fold an answer label for matching: Unicode NFKC, no surrounding or inner white space, casefold.

    NFKC maps full-width characters (as typed in Chinese input methods) to their ordinary
    forms; white space, including the ideographic space U+3000, is removed.
    """
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split()).casefold()


@dataclass(frozen=True)
class ResponseOption:
    code: int
    score: float
    labels_en: tuple[str, ...]
    labels_zh: tuple[str, ...]
    #: the option as worded in the instrument's original (``original`` in the file), when given
    original_en: str | None = None
    original_zh: str | None = None

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every label an export may use for this option: the variants and the original wording."""
        originals = tuple(o for o in (self.original_en, self.original_zh) if o)
        return (*self.labels_en, *self.labels_zh, *originals)


@dataclass(frozen=True)
class Item:
    id: str
    about: str
    responses: str
    part: str | None = None
    key: str | None = None
    about_zh: str | None = None


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: items, response sets and (for scoring) its rules."""

    id: str
    name: dict[str, str]
    source: dict[str, str]
    items: tuple[Item, ...]
    response_sets: dict[str, tuple[ResponseOption, ...]]
    spec: dict[str, Any] = field(repr=False, hash=False, compare=False)
    path: Path | None = None

    @property
    def item_ids(self) -> list[str]:
        return [item.id for item in self.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.id} has no item {item_id!r}")

    def options(self, item_id: str) -> tuple[ResponseOption, ...]:
        return self.response_sets[self.item(item_id).responses]

    def codes(self, item_id: str) -> list[int]:
        """The valid response codes of an item."""
        return [option.code for option in self.options(item_id)]

    def label_map(self, item_id: str) -> dict[str, int]:
        """Normalised answer label (every accepted English and Chinese variant) to response code."""
        mapping: dict[str, int] = {}
        for option in self.options(item_id):
            for label in option.accepted:
                mapping[normalise_label(label)] = option.code
        return mapping

    @property
    def scoring(self) -> dict[str, Any] | None:
        """The file's ``scoring`` block (read by ``survey.scoring``), or None."""
        return self.spec.get("scoring")

    @property
    def eligibility(self) -> dict[str, Any] | None:
        """The file's ``eligibility`` block, or None when everyone answers."""
        return self.spec.get("eligibility")

    def label(self, item_id: str, code: int, language: str = "zh-CN") -> str:
        """The standard (first) label of a response code."""
        for option in self.options(item_id):
            if option.code == code:
                return (option.labels_zh if language == "zh-CN" else option.labels_en)[0]
        raise KeyError(f"{item_id} has no response code {code}")


def _build(spec: dict[str, Any], path: Path | None) -> Instrument:
    sets = {
        name: tuple(
            ResponseOption(
                code=int(o["code"]),
                score=float(o.get("score", o["code"])),
                labels_en=tuple(o["en"]),
                labels_zh=tuple(o["zh-CN"]),
                original_en=o.get("original", {}).get("en"),
                original_zh=o.get("original", {}).get("zh-CN"),
            )
            for o in options
        )
        for name, options in spec["response_sets"].items()
    }
    default = spec["default_responses"]
    where = path or spec["id"]
    for name, options in sets.items():   # one label must not stand for two answers
        seen: dict[str, int] = {}
        for option in options:
            for label in set(map(normalise_label, option.accepted)):
                if seen.setdefault(label, option.code) != option.code:
                    raise ConfigError(f"{where}: response_sets.{name}: expected each label to mean one code, "
                                      f"found {label!r} for codes {seen[label]} and {option.code}")
    if default not in sets:
        raise ConfigError(f"{where}: default_responses: expected one of {sorted(sets)}, found {default!r}")
    items = []
    for entry in spec["items"]:
        responses = entry.get("responses", default)
        if responses not in sets:
            raise ConfigError(
                f"{where}: items[{entry['id']}].responses: expected one of {sorted(sets)}, found {responses!r}"
            )
        items.append(Item(id=entry["id"], about=entry["about"], responses=responses,
                          part=entry.get("part"), key=entry.get("key"), about_zh=entry.get("about_zh")))
    ids = [item.id for item in items]
    described = [item.id for item in items if item.about_zh]
    if described and len(described) < len(items):
        lacking = [item.id for item in items if not item.about_zh]
        raise ConfigError(f"{where}: items: expected `about_zh` on every item or none, "
                          f"found it missing on {lacking[:3]}")
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigError(f"{where}: items: expected unique ids, found {duplicated} more than once")
    instrument = Instrument(id=spec["id"], name=spec["name"], source=spec["source"], items=tuple(items),
                            response_sets=sets, spec=spec, path=path)
    if "scoring" in spec:
        from survey.instruments.consistency import check_scoring

        check_scoring(instrument, where=str(where))
    return instrument


def read_instrument_file(path: Path) -> Instrument:
    """Read and validate one instrument file.

    Files are parsed once per process and then served from a cache keyed by the file's path,
    size and modification time, so an edited file is read again. Treat the returned
    instrument (including ``spec``) as read-only.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: instrument file not found")
    stat = path.stat()
    return _read_cached(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read_cached(path: Path, mtime_ns: int, size: int) -> Instrument:
    with path.open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=FastSafeLoader)  # noqa: S506 (a safe loader)
    validate_against_schema(spec, SCHEMA_FILE, where=str(path))
    return _build(spec, path)


@lru_cache(maxsize=None)
def _library() -> dict[str, Path]:
    return {p.stem: p for p in sorted(INSTRUMENTS_DIR.glob("*.yaml")) if p.name != "schema.yaml"}


def available_instruments() -> list[str]:
    """Ids of the instruments shipped with the package."""
    return sorted(_library())


def load_instrument(instrument_id: str, search_dirs: tuple[Path, ...] = ()) -> Instrument:
    """Load an instrument by id: a study's own file (in ``search_dirs``) wins over the library's."""
    for folder in search_dirs:
        candidate = Path(folder) / f"{instrument_id}.yaml"
        if candidate.is_file():
            return read_instrument_file(candidate)
    library = _library()
    if instrument_id not in library:
        raise ConfigError(
            f"instrument {instrument_id!r}: expected one of {available_instruments()}"
            + (f" or a file {instrument_id}.yaml in {', '.join(map(str, search_dirs))}" if search_dirs else "")
        )
    return read_instrument_file(library[instrument_id])
