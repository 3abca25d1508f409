"""Checks of an instrument's scoring block that a JSON Schema cannot express.

The schema checks shapes; this module checks that the pieces fit together: every item id
named in the scoring rules exists, item rules do not overlap, parts are disjoint, the stated
``range`` of every score is what its items can produce, bands are contiguous and cover that
range, criteria name existing scores, and the output column names do not collide. Each
problem is one ``ConfigError`` naming the file and the key.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

from survey.errors import ConfigError
from survey.instruments.points import option_points

if TYPE_CHECKING:
    from survey.instruments import Instrument

#: Output column suffixes the engine writes for every instrument (``<id>_<suffix>``).
RESERVED_SCORE_NAMES = ("total", "status", "band")


def score_definitions(scoring: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """All scores of a scoring block by name: ``total`` first, then parts, then subscales."""
    scores: dict[str, dict[str, Any]] = {}
    if "total" in scoring:
        scores["total"] = scoring["total"]
    for group in ("parts", "subscales"):
        scores.update(scoring.get(group, {}))
    return scores


def item_point_range(instrument: Instrument, item_id: str) -> tuple[float, float]:
    """Lowest and highest points an item can earn under the file's item rules."""
    rules = instrument.spec["scoring"].get("item_rules", {})
    correct = rules.get("correct_answer")
    if correct and item_id in correct["items"]:
        return 0.0, float(correct["points"])
    reverse = item_id in rules.get("reverse", {}).get("items", ())
    values = option_points(instrument, item_id, reverse=reverse).values()
    return min(values), max(values)


def score_range(instrument: Instrument, score: dict[str, Any]) -> tuple[float, float]:
    """The lowest and highest value a score can take, from its items, rule and transform."""
    items = score.get("items", instrument.item_ids)
    ranges = [item_point_range(instrument, item) for item in items]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if score["rule"] == "mean":
        low, high = low / len(items), high / len(items)
    multiply, add = score.get("multiply", 1.0), score.get("add", 0.0)
    low, high = sorted((low * multiply + add, high * multiply + add))
    rounding = score.get("rounding", "none")
    if rounding == "truncate":
        low, high = math.trunc(low), math.trunc(high)
    elif rounding == "round_half_up":
        low, high = math.floor(low + 0.5), math.floor(high + 0.5)
    return low, high


def _fail(where: str, key: str, message: str) -> None:
    raise ConfigError(f"{where}: {key}: {message}")


def _check_items(where: str, key: str, named, known: set[str]) -> None:
    unknown = [item for item in named if item not in known]
    if unknown:
        _fail(where, key, f"expected item ids of this instrument, found unknown {unknown}")


def _check_bands(where: str, key: str, bands: dict[str, Any], low: float, high: float) -> None:
    levels = bands["levels"]
    for level in levels:
        if level["max"] < level["min"]:
            _fail(where, key, f"expected min <= max in every band, found {level['min']}-{level['max']} ({level['en']})")
    for before, after in itertools.pairwise(levels):
        if after["min"] != before["max"] + 1:
            _fail(
                where, key, f"expected contiguous bands (next min = max + 1), found {before['max']} then {after['min']}"
            )
    if levels[0]["min"] > low or levels[-1]["max"] < high:
        _fail(where, key, f"expected bands covering the score range {low}-{high}, "
                          f"found {levels[0]['min']}-{levels[-1]['max']}")
    for language in ("en", "zh-CN"):
        labels = [level[language] for level in levels]
        if len(set(labels)) != len(labels):
            _fail(where, key, f"expected distinct {language} band labels, found {labels}")


def check_scoring(instrument: Instrument, where: str) -> None:
    """Raise ConfigError if the scoring block does not fit the instrument's items."""
    spec = instrument.spec
    scoring = spec["scoring"]
    known = set(instrument.item_ids)
    rules = scoring.get("item_rules", {})

    ruled: dict[str, str] = {}
    for name, rule in rules.items():
        _check_items(where, f"scoring.item_rules.{name}.items", rule["items"], known)
        for item in rule["items"]:
            if item in ruled:
                _fail(where, f"scoring.item_rules.{name}.items",
                      f"expected each item under one item rule, found {item} also under {ruled[item]}")
            ruled[item] = name

    correct = rules.get("correct_answer")
    if correct:
        key_codes = spec.get("key_codes")
        if not key_codes:
            _fail(
                where,
                "key_codes",
                "expected a mapping of answer keys to codes for scoring.item_rules.correct_answer, found none",
            )
        for item in correct["items"]:
            key = instrument.item(item).key
            codes = instrument.codes(item)
            if key is not None and key_codes.get(key) not in codes:
                _fail(where, f"items[{item}].key",
                      f"expected one of {sorted(key_codes)} naming a code of the item, found {key!r}")
    direction = rules.get("direction_from_study")
    if direction and set(direction["forward"]) & set(direction["reverse"]):
        _fail(
            where,
            "scoring.item_rules.direction_from_study",
            "expected distinct forward and reverse values, found "
            f"{sorted(set(direction['forward']) & set(direction['reverse']))} in both",
        )

    for n, skip in enumerate(scoring.get("skip_rules", [])):
        key = f"scoring.skip_rules[{n}]"
        _check_items(where, key, [skip["if_item"], skip["then_item"]], known)
        if skip["equals"] not in instrument.codes(skip["if_item"]):
            _fail(where, f"{key}.equals", f"expected a code of {skip['if_item']}, found {skip['equals']}")
        if skip["fill"] not in instrument.codes(skip["then_item"]):
            _fail(where, f"{key}.fill", f"expected a code of {skip['then_item']}, found {skip['fill']}")

    scores = score_definitions(scoring)
    names = [*scoring.get("parts", {}), *scoring.get("subscales", {})]
    clashes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(RESERVED_SCORE_NAMES)))
    if clashes:
        _fail(
            where, "scoring", f"expected distinct score names other than {list(RESERVED_SCORE_NAMES)}, found {clashes}"
        )

    seen_in_part: dict[str, str] = {}
    for part, score in scoring.get("parts", {}).items():
        for item in score.get("items", instrument.item_ids):
            if item in seen_in_part:
                _fail(where, f"scoring.parts.{part}.items",
                      f"expected disjoint parts, found {item} also in part {seen_in_part[item]}")
            seen_in_part[item] = part

    for name, score in scores.items():
        group = "total" if name == "total" else ("parts" if name in scoring.get("parts", {}) else "subscales")
        key = "scoring.total" if name == "total" else f"scoring.{group}.{name}"
        _check_items(where, f"{key}.items", score.get("items", []), known)
        n_items = len(score.get("items", instrument.item_ids))
        if score["missing"].get("max_missing", 0) >= n_items:
            _fail(where, f"{key}.missing.max_missing",
                  f"expected fewer than the score's {n_items} items, found {score['missing']['max_missing']}")
        low, high = score_range(instrument, score)
        if [low, high] != [float(v) for v in score["range"]]:
            _fail(
                where,
                f"{key}.range",
                f"expected [{low:g}, {high:g}] (what the items can produce), found {score['range']}",
            )
        if "bands" in score:
            _check_bands(where, f"{key}.bands", score["bands"], low, high)
        for norm, alternative in score.get("alternative_norms", {}).items():
            if "bands" in alternative:
                _check_bands(where, f"{key}.alternative_norms.{norm}.bands", alternative["bands"], low, high)
            if set(alternative.get("cutoffs", {})) - set(score.get("cutoffs", {})):
                _fail(where, f"{key}.alternative_norms.{norm}.cutoffs",
                      f"expected the cut-off names of the default norm {sorted(score.get('cutoffs', {}))}, "
                      f"found {sorted(alternative['cutoffs'])}")
            if ("bands" in alternative) != ("bands" in score):
                _fail(where, f"{key}.alternative_norms.{norm}",
                      "expected bands in both the default and the alternative norm, or in neither")

    for name, flag in scoring.get("flags", {}).items():
        _check_items(where, f"scoring.flags.{name}.item", [flag["item"]], known)

    for name, criterion in scoring.get("criteria", {}).items():
        unknown = [c["score"] for c in criterion["all_of"] if c["score"] not in scores]
        if unknown:
            _fail(where, f"scoring.criteria.{name}.all_of", f"expected score names {sorted(scores)}, found {unknown}")

    columns = output_columns(instrument)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        _fail(where, "scoring", f"expected distinct output columns, found {duplicated} more than once")


def output_columns(instrument: Instrument) -> list[str]:
    """The columns ``survey.scoring.score`` writes for this instrument, in order."""
    scoring = instrument.spec["scoring"]
    prefix = instrument.id
    columns = [f"{prefix}_status"]
    for name, score in score_definitions(scoring).items():
        column = f"{prefix}_{name}"
        columns.append(column)
        if "bands" in score:
            columns.append(f"{prefix}_band" if name == "total" else f"{column}_band")
        for cutoff in score.get("cutoffs", {}):
            columns.append(f"{prefix}_{cutoff}" if name == "total" else f"{column}_{cutoff}")
    columns += [f"{prefix}_flag_{name}" for name in scoring.get("flags", {})]
    columns += [f"{prefix}_{name}" for name in scoring.get("criteria", {})]
    return columns
