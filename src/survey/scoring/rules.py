"""Turn an instrument file and a study's overrides into a scoring plan of plain arrays.

The plan is what the engine needs and nothing more: for every item a 256-entry table of
points and of invalid codes (indexed by the response code, see ``survey.scoring.codes``),
the scores with their items, missing-data rule, transform, bands and cut-offs, the flags,
the criteria and the eligibility rules. All checks of the overrides happen here, before any
data is touched, and fail with one-line ``ConfigError`` messages.

Overrides (one mapping per instrument, usually from the study configuration)
----------------------------------------------------------------------------
key           right/wrong items' answer key, ``{item: "true" | "false" | code}`` (the name is the
              file's ``correct_answer.override``; for nmhl ``key``)
vignette_keys keyed direction of each ``direction_from_study`` item, ``{item: "agree" | "disagree"}``
              (the name is the file's ``direction_from_study.override``)
cutoff        new value of the total's ``positive`` cut-off (e.g. EPDS ``cutoff: 10``)
cutoffs       new values by name: ``{positive: 10, "phq2.positive": 4}``
norm          one of the total's ``alternative_norms`` (e.g. Zung ``zung_original``)
rounding      rounding of the total: ``none``, ``truncate`` or ``round_half_up``
missing       missing-data rule of the total: ``{rule: prorate, max_missing: 2}``
eligibility   replacement eligibility rules (a list like the file's; empty list = everyone)
coding        one of the file's ``codings``: the data hold the exported codes (K6 ``kessler_1_5``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from survey.errors import ConfigError
from survey.instruments import Instrument, load_instrument
from survey.instruments.consistency import score_definitions, score_range
from survey.instruments.points import correct_answer_points, option_points
from survey.scoring.codes import KEY_SPACE, MISSING_KEY

OVERRIDE_KEYS = ("cutoff", "cutoffs", "norm", "rounding", "missing", "eligibility", "coding")
ROUNDING = ("none", "truncate", "round_half_up")


@dataclass(frozen=True)
class Band:
    mins: np.ndarray                     # lower bounds, ascending
    labels: dict[str, tuple[str, ...]]   # language -> labels in order


@dataclass(frozen=True)
class Cutoff:
    column: str
    at_least: float | None
    at_most: float | None


@dataclass(frozen=True)
class ScoreRule:
    name: str
    column: str
    items: tuple[int, ...]               # positions in ScoringPlan.item_ids
    rule: str                            # sum | mean
    multiply: float
    add: float
    rounding: str
    max_missing: int                     # 0 = complete case
    low: float
    high: float
    band_column: str | None = None
    band: Band | None = None
    cutoffs: tuple[Cutoff, ...] = ()


@dataclass(frozen=True)
class Flag:
    column: str
    item: int
    at_least: float


@dataclass(frozen=True)
class Criterion:
    column: str
    conditions: tuple[tuple[int, str, float], ...]   # (score position, "at_least" | "at_most", value)


@dataclass(frozen=True)
class EligibilityRule:
    role: str
    min: float | None = None
    max: float | None = None
    equals: float | None = None


@dataclass(frozen=True)
class ScoringPlan:
    """Everything needed to score one instrument, as arrays."""

    instrument_id: str
    item_ids: tuple[str, ...]
    points: np.ndarray            # (items, 256) int16 or float64
    invalid: np.ndarray           # (items, 256) bool
    valid_codes: tuple[tuple[int, ...], ...]
    skip_rules: tuple[tuple[int, int, int, int], ...]   # (if item, equals, then item, fill)
    scores: tuple[ScoreRule, ...]
    headline: tuple[int, ...]     # scores that decide the status: the total, else the parts
    flags: tuple[Flag, ...]
    criteria: tuple[Criterion, ...]
    eligibility: tuple[EligibilityRule, ...]
    settings: dict[str, Any] = field(default_factory=dict)


def _fail(instrument_id: str, key: str, message: str) -> None:
    raise ConfigError(f"overrides.{instrument_id}.{key}: {message}")


def _key_code(instrument: Instrument, item: str, value: Any, override: str) -> int:
    key_codes = instrument.spec.get("key_codes", {})
    if isinstance(value, bool):               # YAML reads an unquoted true/false as a boolean
        value = "true" if value else "false"
    if isinstance(value, str):
        if value not in key_codes:
            _fail(
                instrument.id, f"{override}.{item}", f"expected one of {sorted(key_codes)} or a code, found {value!r}"
            )
        return key_codes[value]
    if isinstance(value, (int, np.integer)) and int(value) in instrument.codes(item):
        return int(value)
    _fail(
        instrument.id,
        f"{override}.{item}",
        f"expected one of {sorted(key_codes)} or a code in {instrument.codes(item)}, found {value!r}",
    )


def _item_tables(instrument: Instrument, overrides: dict[str, Any]) -> tuple[list[dict[int, float]], dict]:
    """Code -> points for every item after the item rules and the caller's keys."""
    rules = instrument.scoring.get("item_rules", {})
    tables = {item: option_points(instrument, item) for item in instrument.item_ids}
    settings: dict[str, Any] = {}

    reverse = rules.get("reverse")
    for item in (reverse or {}).get("items", ()):
        tables[item] = option_points(instrument, item, reverse=True)

    correct = rules.get("correct_answer")
    if correct:
        name = correct["override"]
        given = overrides.get(name) or {}
        if not isinstance(given, dict):
            _fail(instrument.id, name, f"expected a mapping item -> answer key, found {given!r}")
        stray = sorted(set(given) - set(correct["items"]))
        if stray:
            _fail(
                instrument.id,
                name,
                f"expected keys for the right/wrong items {correct['items'][0]}..{correct['items'][-1]}, "
                f"found unknown {stray}",
            )
        missing, keys = [], {}
        key_codes = instrument.spec["key_codes"]
        for item in correct["items"]:
            published = instrument.item(item).key
            code = _key_code(instrument, item, given[item], name) if item in given else None
            if published is not None:
                if code is not None and code != key_codes[published]:
                    _fail(
                        instrument.id,
                        f"{name}.{item}",
                        f"expected the published key {published!r} (to change it, ship the study's own "
                        f"instrument file), found {given[item]!r}",
                    )
                code = key_codes[published]
            if code is None:
                missing.append(item)
            keys[item] = code
        if missing:
            _fail(
                instrument.id,
                name,
                f"expected an answer key for every right/wrong item (the file has none for {len(missing)}), "
                f"found none for {', '.join(missing)}; give them in the study configuration "
                f"(instruments.{instrument.id}.{name})",
            )
        for item, code in keys.items():
            tables[item] = correct_answer_points(instrument, item, code, correct["points"])
        settings[name] = keys

    direction = rules.get("direction_from_study")
    if direction:
        name = direction["override"]
        given = overrides.get(name) or {}
        if not isinstance(given, dict):
            _fail(instrument.id, name, f"expected a mapping item -> direction, found {given!r}")
        stray = sorted(set(given) - set(direction["items"]))
        if stray:
            _fail(instrument.id, name, f"expected directions for {direction['items']}, found unknown {stray}")
        missing = [item for item in direction["items"] if item not in given]
        if missing:
            _fail(
                instrument.id,
                name,
                f"expected a keyed direction ({' / '.join(direction['forward'] + direction['reverse'])}) for "
                "every item, "
                f"found none for {', '.join(missing)}; give them in the study configuration "
                f"(instruments.{instrument.id}.{name})",
            )
        for item in direction["items"]:
            value = given[item]
            if value in direction["forward"]:
                tables[item] = option_points(instrument, item)
            elif value in direction["reverse"]:
                tables[item] = option_points(instrument, item, reverse=True)
            else:
                _fail(
                    instrument.id,
                    f"{name}.{item}",
                    f"expected one of {direction['forward'] + direction['reverse']}, found {value!r}",
                )
        settings[name] = dict(given)
    return [tables[item] for item in instrument.item_ids], settings


def _band(bands: dict[str, Any]) -> Band:
    levels = bands["levels"]
    return Band(mins=np.array([level["min"] for level in levels], dtype=float),
                labels={language: tuple(level[language] for level in levels) for language in ("en", "zh-CN")})


def _cutoff_values(
    instrument: Instrument, overrides: dict[str, Any], scores: dict[str, dict]
) -> dict[tuple[str, str], float]:
    """(score name, cut-off name) -> new value, from the ``cutoff`` and ``cutoffs`` overrides."""
    new: dict[tuple[str, str], float] = {}
    if "cutoff" in overrides:
        if "total" not in scores or "positive" not in scores["total"].get("cutoffs", {}):
            _fail(instrument.id, "cutoff", "expected an instrument whose total has a 'positive' cut-off, found none")
        new[("total", "positive")] = overrides["cutoff"]
    for name, value in (overrides.get("cutoffs") or {}).items():
        score, _, cutoff = name.rpartition(".")
        score = score or "total"
        if score not in scores or cutoff not in scores[score].get("cutoffs", {}):
            known = [f"{s}.{c}" if s != "total" else c for s, d in scores.items() for c in d.get("cutoffs", {})]
            _fail(instrument.id, f"cutoffs.{name}", f"expected one of {known}, found {name!r}")
        new[(score, cutoff)] = value
    for (score, cutoff), value in new.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            _fail(instrument.id, "cutoffs" if (score, cutoff) != ("total", "positive") else "cutoff",
                  f"expected a number for {cutoff}, found {value!r}")
    return new


def _eligibility(instrument: Instrument, overrides: dict[str, Any]) -> tuple[EligibilityRule, ...]:
    if "eligibility" in overrides:
        rules = overrides["eligibility"] or []
        if not isinstance(rules, list):
            _fail(
                instrument.id, "eligibility", f"expected a list of rules like {{column: age, min: 60}}, found {rules!r}"
            )
    else:
        rules = (instrument.eligibility or {}).get("rules", [])
    out = []
    for n, rule in enumerate(rules):
        if (
            not isinstance(rule, dict)
            or "column" not in rule
            or not set(rule) - {"column"}
            or set(rule) - {"column", "min", "max", "equals"}
        ):
            _fail(
                instrument.id,
                f"eligibility[{n}]",
                f"expected {{column: <role>, min|max|equals: <number>}}, found {rule!r}",
            )
        out.append(
            EligibilityRule(role=rule["column"], min=rule.get("min"), max=rule.get("max"), equals=rule.get("equals"))
        )
    return tuple(out)


def compile_plan(instrument: Instrument | str, overrides: dict[str, Any] | None = None) -> ScoringPlan:
    """Build the scoring plan of one instrument with a study's overrides (see the module notes)."""
    if isinstance(instrument, str):
        instrument = load_instrument(instrument)
    overrides = dict(overrides or {})
    scoring = instrument.scoring
    if scoring is None:
        raise ConfigError(f"{instrument.path or instrument.id}: scoring: expected a scoring block, found none")
    rules = scoring.get("item_rules", {})
    allowed = set(OVERRIDE_KEYS) | {rule["override"] for rule in rules.values() if "override" in rule}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        _fail(instrument.id, unknown[0], f"expected one of {sorted(allowed)}, found unknown key {unknown[0]!r}")

    tables, settings = _item_tables(instrument, overrides)
    ids = instrument.item_ids
    valid_codes = tuple(tuple(instrument.codes(item)) for item in ids)
    if "coding" in overrides:
        code_of = _coding(instrument, overrides["coding"])
        tables = [{export: table[code] for export, code in code_of.items() if code in table} for table in tables]
        valid_codes = tuple(tuple(table) for table in tables)
        settings["coding"] = overrides["coding"]
    position = {item: j for j, item in enumerate(ids)}
    integral = all(float(p).is_integer() for table in tables for p in table.values())
    points = np.zeros((len(ids), KEY_SPACE), dtype=np.int16 if integral else np.float64)
    invalid = np.ones((len(ids), KEY_SPACE), dtype=bool)
    invalid[:, MISSING_KEY] = False
    for j, table in enumerate(tables):
        for code, value in table.items():
            points[j, code] = value
            invalid[j, code] = False

    definitions = score_definitions(scoring)
    new_cutoffs = _cutoff_values(instrument, overrides, definitions)
    norm = overrides.get("norm")
    if norm is not None:
        norms = definitions.get("total", {}).get("alternative_norms", {})
        default = definitions.get("total", {}).get("norm")
        if norm != default and norm not in norms:
            _fail(instrument.id, "norm", f"expected one of {[default, *norms] if default else []}, found {norm!r}")
        settings["norm"] = norm
    elif definitions.get("total", {}).get("norm"):
        settings["norm"] = definitions["total"]["norm"]

    scores = []
    for name, definition in definitions.items():
        definition = dict(definition)
        if name == "total":
            if "rounding" in overrides:
                if overrides["rounding"] not in ROUNDING:
                    _fail(
                        instrument.id, "rounding", f"expected one of {list(ROUNDING)}, found {overrides['rounding']!r}"
                    )
                definition["rounding"] = overrides["rounding"]
            if "missing" in overrides:
                definition["missing"] = _missing_override(instrument, overrides["missing"])
            if norm is not None and norm != definition.get("norm"):
                alternative = definition["alternative_norms"][norm]
                definition["bands"] = alternative.get("bands", definition.get("bands"))
                definition["cutoffs"] = {c: {**spec, **alternative.get("cutoffs", {}).get(c, {})}
                                         for c, spec in definition.get("cutoffs", {}).items()}
        column = f"{instrument.id}_{name}"
        cutoffs = []
        for cutoff, spec in definition.get("cutoffs", {}).items():
            at_least, at_most = spec.get("at_least"), spec.get("at_most")
            if (name, cutoff) in new_cutoffs:
                value = float(new_cutoffs[(name, cutoff)])
                at_least, at_most = (value, None) if at_least is not None else (None, value)
            cutoffs.append(Cutoff(column=f"{instrument.id}_{cutoff}" if name == "total" else f"{column}_{cutoff}",
                                  at_least=at_least, at_most=at_most))
            settings.setdefault("cutoffs", {})[cutoff if name == "total" else f"{name}.{cutoff}"] = (
                {"at_least": at_least} if at_least is not None else {"at_most": at_most})
        missing = definition["missing"]
        low, high = score_range(instrument, definition)
        scores.append(
            ScoreRule(
                name=name,
                column=column,
                items=tuple(position[item] for item in definition.get("items", ids)),
                rule=definition["rule"],
                multiply=float(definition.get("multiply", 1.0)),
                add=float(definition.get("add", 0.0)),
                rounding=definition.get("rounding", "none"),
                max_missing=missing.get("max_missing", 0) if missing["rule"] == "prorate" else 0,
                low=low,
                high=high,
                band_column=(f"{instrument.id}_band" if name == "total" else f"{column}_band")
                if "bands" in definition
                else None,
                band=_band(definition["bands"]) if "bands" in definition else None,
                cutoffs=tuple(cutoffs),
            )
        )
        if name == "total":
            settings["rounding"] = definition.get("rounding", "none")
            settings["missing"] = {k: v for k, v in missing.items() if k != "source"}

    names = [s.name for s in scores]
    headline = (names.index("total"),) if "total" in names else tuple(names.index(p) for p in scoring.get("parts", {}))
    flags = tuple(
        Flag(column=f"{instrument.id}_flag_{name}", item=position[flag["item"]], at_least=float(flag["score_at_least"]))
        for name, flag in scoring.get("flags", {}).items()
    )
    criteria = tuple(
        Criterion(column=f"{instrument.id}_{name}",
                  conditions=tuple((names.index(c["score"]), "at_least" if "at_least" in c else "at_most",
                                    float(c.get("at_least", c.get("at_most")))) for c in criterion["all_of"]))
        for name, criterion in scoring.get("criteria", {}).items())
    skips = tuple(
        (position[s["if_item"]], s["equals"], position[s["then_item"]], s["fill"])
        for s in scoring.get("skip_rules", [])
    )
    eligibility = _eligibility(instrument, overrides)
    if eligibility:
        settings["eligibility"] = [{k: v for k, v in vars(rule).items() if v is not None} for rule in eligibility]
    return ScoringPlan(
        instrument_id=instrument.id, item_ids=tuple(ids), points=points, invalid=invalid,
        valid_codes=valid_codes,
        skip_rules=skips, scores=tuple(scores), headline=headline, flags=flags, criteria=criteria,
        eligibility=eligibility, settings=settings)


def _coding(instrument: Instrument, name: Any) -> dict[int, int]:
    """Exported code -> instrument code for one of the file's ``codings``."""
    codings = instrument.spec.get("codings", {})
    if name not in codings:
        _fail(instrument.id, "coding", f"expected one of {sorted(codings)} (the file's codings), found {name!r}")
    return {int(export): int(code) for export, code in codings[name]["map"].items()}


def _missing_override(instrument: Instrument, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("rule") not in ("complete_case", "prorate"):
        _fail(
            instrument.id,
            "missing",
            f"expected {{rule: complete_case}} or {{rule: prorate, max_missing: <n>}}, found {value!r}",
        )
    if value["rule"] == "prorate":
        k = value.get("max_missing")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k >= len(instrument.item_ids):
            _fail(instrument.id, "missing.max_missing",
                  f"expected a whole number from 1 to {len(instrument.item_ids) - 1}, found {k!r}")
    elif set(value) - {"rule", "source"}:
        _fail(instrument.id, "missing", f"expected only 'rule' with complete_case, found {sorted(value)}")
    return {**value, "source": "study override"}
