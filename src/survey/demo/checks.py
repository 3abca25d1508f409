"""The demo's own checks: what the pipeline found and estimated, against the generator's truth file.

A synthetic study knows its truth (``truth.json`` beside its ``study.yaml``, written by its
generator): the planted data problems, the true prevalences, the true pilot effect. Only the
demo's checks read it — never the pipeline's steps, which work the same on a real study.

Example
-------
>>> from survey.demo.checks import read_truth, planted_vs_found
>>> truth = read_truth(study)                          # doctest: +SKIP
>>> planted_vs_found(result, truth)                    # doctest: +SKIP
[('duplicates', 30, 30), ...]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

TRUTH_FILE = "truth.json"
#: Planted problem(s) in a truth file -> the validation finding that reports them. The demo plants
#: the first five; the nanhu example names its problems after what it plants (blank items, skipped
#: and -3 answers, numbers typed into the comments).
PLANTED_ISSUES = {"duplicates": "duplicate_submission", "impossible_ages": "age_out_of_range",
                  "missing_items": "missing_item", "whitespace_labels": "whitespace_trimmed",
                  "out_of_range_codes": "code_out_of_range"}
PLANTED_SUMS = {("blank_items",): "missing_item", ("skipped_items", "minus3_items"): "missing_value_marker",
                ("phone_in_comments", "id_in_comments"): "identifier_in_text"}
#: Indicator id -> key of the true prevalence in truth.json (the demo's indicators).
PREVALENCE_KEYS = {
    "literacy": "literacy_adequate",
    "depression": "depression_phq9_ge10",
    "anxiety": "anxiety_gad7_ge10",
    "insomnia": "insomnia_isi_ge15",
    "dementia_screen": "dementia_ad8_ge2_age60plus",
    "perinatal_depression": "perinatal_epds_ge13",
}
#: Effect table indicator -> key of the true effect (ATT) in truth.json's ``pilot_effect``.
EFFECT_KEYS = {"literacy": "literacy_adequate", "depression": "depression_phq9_ge10", "phq9_mean": "phq9_mean"}


def truth_file(study) -> Path:
    return Path(study.root) / TRUTH_FILE


def read_truth(study) -> dict | None:
    """The study's truth file, or None for a study without one (a real study)."""
    path = truth_file(study)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def planted_vs_found(result, truth: dict) -> list[tuple[str, int, int]]:
    """(problem, planted per the truth file, found by validation) for each planted problem."""
    planted = truth["planted"].get("total", truth["planted"])
    found = result.issue_counts()
    rows = [(name, int(planted[name]), int(found.get(issue, 0))) for name, issue in PLANTED_ISSUES.items()
            if name in planted and not (name == "missing_items" and "blank_items" in planted)]
    rows += [(" + ".join(keys), sum(int(planted[k]) for k in keys), int(found.get(issue, 0)))
             for keys, issue in PLANTED_SUMS.items() if all(k in planted for k in keys)]
    return rows


def prevalence_coverage(table: pd.DataFrame, truth: dict, keys: dict[str, str] = PREVALENCE_KEYS) -> pd.DataFrame:
    """The rows of a prevalence table that have a true value, with ``truth`` and ``covered``.

    ``covered``: True or False as the CI contains the true value; missing (``pd.NA``) for a row
    whose interval is missing (the estimator gave none, e.g. a small-county cell without a case), which
    is neither a hit nor a miss.
    """
    values = truth.get("prevalence", {})
    true = []
    for row in table[["wave", "district", "indicator"]].itertuples(index=False):
        key = keys.get(row.indicator, row.indicator)
        value = values.get(str(row.wave), {}).get(row.district, {}).get(key) if key else None
        true.append(np.nan if value is None else float(value))
    out = table.assign(truth=true)
    out = out[out["truth"].notna()].copy()
    inside = (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"])
    out["covered"] = inside.astype("boolean").where(out["ci_low"].notna() & out["ci_high"].notna())
    return out


def coverage_summary(coverage: pd.DataFrame) -> str:
    """How many CIs contain the true prevalence, by method (rows without an interval counted apart)."""
    parts = []
    for method, group in coverage.groupby("method", sort=False):
        with_interval = group["covered"].dropna()
        without = len(group) - len(with_interval)
        parts.append(f"{method} {int(with_interval.sum())}/{len(with_interval)}"
                     + (f" ({without} without an interval)" if without else ""))
    return "95% CIs containing the true prevalence (truth.json): " + ", ".join(parts)


def effects_with_truth(table: pd.DataFrame, truth: dict, keys: dict[str, str] = EFFECT_KEYS) -> pd.DataFrame:
    """The effects table with the true effect (``truth``) and whether each CI contains it (``covers``).

    Odds ratios have no truth on their scale.
    """
    effects = truth.get("pilot_effect", {})
    true = {name: effects[key]["att"] for name, key in keys.items() if key in effects}
    out = table.copy()
    out["truth"] = out["indicator"].map(true).where(out["model"] != "did_logit_or")
    out["covers"] = np.where(out["truth"].notna(), (out["ci_low"] <= out["truth"]) & (out["truth"] <= out["ci_high"]),
                             None)
    return out


def _skipped(study):
    from survey.results import Skipped

    return Skipped(f"no {TRUTH_FILE} beside {Path(study.config_file).name}: a real study's truth is not known; "
                   "this check is for synthetic studies")


def planted_table(study, result):
    """Planted vs found problems as a table (or Skipped for a study without a truth file)."""
    truth = read_truth(study)
    if truth is None:
        return _skipped(study)
    return pd.DataFrame(planted_vs_found(result, truth), columns=["planted problem", "planted", "found"])


def prevalence_truth_summary(study, tables):
    """How many CIs contain the true prevalence (or Skipped for a study without a truth file)."""
    truth = read_truth(study)
    if truth is None:
        return _skipped(study)
    table = tables.prevalence
    return coverage_summary(prevalence_coverage(table[table["method"] != "standardised"], truth))


def effects_table(study, effects):
    """The main columns of the effects table, with the true effect beside them for a synthetic study."""
    if not effects:  # Skipped: the study has no programme to evaluate
        return effects
    columns = ["indicator", "model", "method", "estimate", "ci_low", "ci_high", "p_value"]
    table = effects.to_frame()
    truth = read_truth(study)
    if truth is not None:
        table, columns = effects_with_truth(table, truth), [*columns, "truth"]
    return table[columns].round(4)
