"""Row-at-a-time scoring in plain Python: the readable reference for the vectorised engine.

This module reads the instrument files' rules directly (not the engine's compiled tables)
and scores one respondent at a time with ``DataFrame.apply(axis=1)``. It is far too slow
for survey data (see docs/benchmarks.md) and exists so that tests can compare the engine
with an independent, obviously-correct implementation, and the benchmark has a baseline.
It accepts the same arguments as ``survey.scoring.score`` and returns the same columns
(plain object/float columns rather than categoricals and nullable integers).

Example
-------
>>> import pandas as pd
>>> from survey.scoring.rowwise import score_rowwise
>>> answers = pd.DataFrame({f"phq9_{i}": [2] for i in range(1, 10)})
>>> score_rowwise(answers, ["phq9"])[["phq9_total", "phq9_band"]].to_dict("records")
[{'phq9_total': 18.0, 'phq9_band': 'moderately severe'}]
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from survey.instruments import Instrument, load_instrument
from survey.instruments.consistency import score_definitions

NA = None


def _key_code(instrument: Instrument, value: Any) -> int:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return instrument.spec["key_codes"][value] if isinstance(value, str) else int(value)


def _points_tables(instrument: Instrument, overrides: dict) -> dict[str, dict[int, float]]:
    """Item -> {code: points}, written out from the file's rules without shared helpers."""
    scoring = instrument.spec["scoring"]
    rules = scoring.get("item_rules", {})
    reverse = set(rules.get("reverse", {}).get("items", []))
    direction = rules.get("direction_from_study")
    if direction:
        for item, value in overrides[direction["override"]].items():
            if value in direction["reverse"]:
                reverse.add(item)
    correct = rules.get("correct_answer")
    tables = {}
    for item in instrument.item_ids:
        options = instrument.spec["response_sets"][instrument.item(item).responses]
        table = {}
        if correct and item in correct["items"]:
            published = instrument.item(item).key
            key = instrument.spec["key_codes"][published] if published else _key_code(
                instrument, overrides[correct["override"]][item])
            for option in options:
                table[option["code"]] = correct["points"] if option["code"] == key else 0
        else:
            plain = [o["code"] for o in options if "score" not in o]
            for option in options:
                if "score" in option:
                    table[option["code"]] = option["score"]
                elif item in reverse:
                    table[option["code"]] = min(plain) + max(plain) - option["code"]
                else:
                    table[option["code"]] = option["code"]
        tables[item] = table
    return tables


def _is_blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _instrument_scorer(instrument: Instrument, overrides: dict, columns: dict, language: str):
    scoring = instrument.spec["scoring"]
    prefix = instrument.id
    tables = _points_tables(instrument, overrides)
    if "coding" in overrides:   # the data hold exported codes: look each up through the file's map
        exported = instrument.spec["codings"][overrides["coding"]]["map"]
        tables = {item: {int(e): table[int(c)] for e, c in exported.items() if int(c) in table}
                  for item, table in tables.items()}
    definitions = {name: dict(d) for name, d in score_definitions(scoring).items()}
    if "total" in definitions:
        total = definitions["total"]
        norm = overrides.get("norm")
        if norm and norm != total.get("norm"):
            alternative = total["alternative_norms"][norm]
            total["bands"] = alternative.get("bands", total.get("bands"))
            total["cutoffs"] = {
                c: {**s, **alternative.get("cutoffs", {}).get(c, {})} for c, s in total.get("cutoffs", {}).items()
            }
        for setting in ("rounding", "missing"):
            if setting in overrides:
                total[setting] = overrides[setting]
        new = dict(overrides.get("cutoffs") or {})
        if "cutoff" in overrides:
            new["positive"] = overrides["cutoff"]
        for name, value in new.items():
            score_name, _, cutoff = name.rpartition(".")
            definition = definitions[score_name or "total"]
            old = definition["cutoffs"][cutoff]
            direction = "at_least" if "at_least" in old else "at_most"
            definition["cutoffs"] = {**definition["cutoffs"], cutoff: {**old, direction: value}}
    eligibility = (
        overrides["eligibility"] if "eligibility" in overrides else (instrument.eligibility or {}).get("rules", [])
    )
    headline = ["total"] if "total" in definitions else list(scoring.get("parts", {}))

    def score_row(row: pd.Series) -> dict[str, Any]:
        out: dict[str, Any] = {}
        eligible = True
        for rule in eligibility:
            value = row[columns.get(rule["column"], rule["column"])]
            if _is_blank(value):
                eligible = False
                continue
            value = float(value)
            if ("min" in rule and value < rule["min"]) or ("max" in rule and value > rule["max"]) \
                    or ("equals" in rule and value != rule["equals"]):
                eligible = False
        codes = {item: row[item] for item in instrument.item_ids}
        for skip in scoring.get("skip_rules", []):
            if _is_blank(codes[skip["then_item"]]) and not _is_blank(codes[skip["if_item"]]) \
                    and codes[skip["if_item"]] == skip["equals"]:
                codes[skip["then_item"]] = skip["fill"]
        points: dict[str, float | None] = {}
        invalid = False
        for item, code in codes.items():
            if _is_blank(code):
                points[item] = None
            elif float(code).is_integer() and int(code) in tables[item]:
                points[item] = tables[item][int(code)]
            else:
                points[item] = None
                invalid = True
        values: dict[str, float] = {}
        status = "complete"
        for name, definition in definitions.items():
            items = definition.get("items", instrument.item_ids)
            answered = [points[i] for i in items if points[i] is not None]
            blanks = sum(1 for i in items if _is_blank(codes[i]))
            missing = definition["missing"]
            allowed = missing.get("max_missing", 0) if missing["rule"] == "prorate" else 0
            value = math.nan
            if eligible and not invalid and blanks <= allowed:
                value = sum(answered) * len(items) / len(answered)      # prorated sum (= sum when complete)
                if definition["rule"] == "mean":
                    value = sum(answered) / len(answered)
                value = value * definition.get("multiply", 1) + definition.get("add", 0)
                rounding = definition.get("rounding", "none")
                if rounding == "truncate":
                    value = float(math.trunc(value))
                elif rounding == "round_half_up":
                    value = float(math.floor(value + 0.5))
            if name in headline and blanks:
                status = "not_scorable" if blanks > allowed or status == "not_scorable" else "prorated"
            values[name] = value
            column = f"{prefix}_{name}"
            out[column] = value
            if "bands" in definition:
                label = NA
                if not math.isnan(value):
                    for level in definition["bands"]["levels"]:
                        if value >= level["min"]:
                            label = level[language]
                out[f"{prefix}_band" if name == "total" else f"{column}_band"] = label
            for cutoff, rule in definition.get("cutoffs", {}).items():
                hit = (
                    NA
                    if math.isnan(value)
                    else int(value >= rule["at_least"] if "at_least" in rule else value <= rule["at_most"])
                )
                out[f"{prefix}_{cutoff}" if name == "total" else f"{column}_{cutoff}"] = hit
        for name, flag in scoring.get("flags", {}).items():
            p = points[flag["item"]]
            out[f"{prefix}_flag_{name}"] = NA if (p is None or not eligible) else int(p >= flag["score_at_least"])
        for name, criterion in scoring.get("criteria", {}).items():
            parts = [(values[c["score"]], c) for c in criterion["all_of"]]
            if any(math.isnan(v) for v, _ in parts):
                out[f"{prefix}_{name}"] = NA
            else:
                out[f"{prefix}_{name}"] = int(
                    all(v >= c["at_least"] if "at_least" in c else v <= c["at_most"] for v, c in parts)
                )
        if invalid:
            status = "invalid"
        if not eligible:
            status = "not_eligible"
        return {f"{prefix}_status": status, **out}

    return score_row


def score_rowwise(df: pd.DataFrame, instruments, *, overrides=None, columns=None, language: str = "en") -> pd.DataFrame:
    """Score like ``survey.scoring.score``, one respondent at a time (slow; for tests and benchmarks).

    Unlike the engine it does not check its input: pass data that ``score`` accepts.
    """
    overrides, columns = overrides or {}, columns or {}
    loaded = [load_instrument(i) if isinstance(i, str) else i for i in instruments]
    scorers = [_instrument_scorer(i, dict(overrides.get(i.id) or {}), columns, language) for i in loaded]

    def score_row(row: pd.Series) -> pd.Series:
        out: dict[str, Any] = {}
        for scorer in scorers:
            out.update(scorer(row))
        return pd.Series(out)

    return df.apply(score_row, axis=1)
