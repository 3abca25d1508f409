"""Score questionnaires for many respondents at once, from the rules in the instrument files.

The work is done per item column with NumPy: each column is read as one-byte keys
(``survey.scoring.codes``), a 256-entry table gives every cell's points and validity, and the
points are added into the scores the item belongs to. There is no loop over respondents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows
from survey.instruments import Instrument, available_instruments, load_instrument
from survey.scoring.codes import MISSING_KEY, response_keys
from survey.scoring.rules import ScoreRule, ScoringPlan, compile_plan

#: Values of the ``<id>_status`` columns, in this order of categories.
STATUSES = ("complete", "prorated", "not_scorable", "not_eligible", "invalid")
COMPLETE, PRORATED, NOT_SCORABLE, NOT_ELIGIBLE, INVALID = range(5)
LANGUAGES = ("en", "zh-CN")


def score(
    df: pd.DataFrame,
    instruments: Iterable[str | Instrument],
    *,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    columns: Mapping[str, str] | None = None,
    language: str = "en",
    errors: str = "status",
) -> pd.DataFrame:
    """Score one or more instruments for every respondent.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent; one column per item, named by item id (``phq9_1`` ...),
        holding numeric response codes (integers, nullable integers, or floats with NaN for
        a blank). Other columns are ignored, except the eligibility columns.
    instruments : list of str or Instrument
        Instrument ids from the library (``"phq9"``) or loaded instruments, e.g. a study's
        own file from ``load_instrument(id, search_dirs=(study_dir,))``.
    overrides : dict, optional
        Per instrument id, the study's choices: ``key`` and ``vignette_keys`` (nmhl),
        ``cutoff`` / ``cutoffs``, ``norm``, ``rounding``, ``missing``, ``eligibility``
        (see ``survey.scoring.rules``). Example: ``{"epds": {"cutoff": 10}}``.
    columns : dict, optional
        The data's column for each eligibility role, e.g. ``{"age": "age_years",
        "perinatal": "is_perinatal"}``; a role not given is looked up under its own name.
    language : {"en", "zh-CN"}
        Language of the band labels.
    errors : {"status", "raise"}
        What to do with a response code the item does not have: mark the respondent's
        instrument ``invalid`` (default), or raise ``ColumnError`` naming the column, the
        codes and example rows.

    Returns
    -------
    pandas.DataFrame
        Same index as ``df``, no row dropped. Per instrument, in this order:

        - ``<id>_status``: categorical, one of ``complete`` (every item answered),
          ``prorated`` (blanks within the instrument's allowance, the score extrapolated),
          ``not_scorable`` (too many blanks), ``not_eligible`` (the eligibility rules
          exclude the respondent, or an eligibility value is blank), ``invalid`` (a code the
          item does not have);
        - ``<id>_total`` (float) with ``<id>_band`` (ordered categorical) and a 0/1 column per
          cut-off (``<id>_positive`` ...), then the same for each part and subscale
          (``<id>_<name>``, ``<id>_<name>_band``, ``<id>_<name>_<cutoff>``);
        - ``<id>_flag_<name>``: 0/1 from a single item (e.g. self-harm), set whenever that
          item has a valid answer, even if the rest of the form is invalid or incomplete;
        - ``<id>_<criterion>``: 0/1 combining scores (nmhl ``adequate``).

        Scores are NaN, and 0/1 columns ``<NA>``, exactly when the status (or, for a part or
        subscale, its own missing-data rule) says the score cannot be given. ``attrs["scoring"]``
        records the settings used per instrument (keys, cut-offs, norm, rounding, missing
        rule, eligibility) and the number of invalid cells per column.

    Notes
    -----
    A score is ``rule(points) * multiply + add``, then rounded as the file or the study says.
    With the ``prorate`` rule and ``m`` of ``n`` items blank (``0 < m <= max_missing``) a sum
    becomes ``sum(answered) * n / (n - m)``: each blank counts as the mean of the answered
    items (NHS Data Dictionary rule for the PHQ-9). Bands are closed below and open above.

    There is no R function for these scores; psych::scoreItems computes sums and means of
    keyed items but has no missing-data allowances, bands or eligibility.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.scoring import score
    >>> answers = pd.DataFrame({f"phq9_{i}": [3, 1] for i in range(1, 10)})
    >>> out = score(answers, ["phq9"])
    >>> out[["phq9_total", "phq9_band", "phq9_positive"]].to_dict("list")
    {'phq9_total': [27.0, 9.0], 'phq9_band': ['severe', 'mild'], 'phq9_positive': [1, 0]}
    """
    if not isinstance(df, pd.DataFrame):
        raise ColumnError(f"score: expected a pandas DataFrame of item codes, found {type(df).__name__}")
    if language not in LANGUAGES:
        raise ConfigError(f"score: language: expected one of {list(LANGUAGES)}, found {language!r}")
    if errors not in ("status", "raise"):
        raise ConfigError(f"score: errors: expected 'status' or 'raise', found {errors!r}")
    if isinstance(instruments, (str, Instrument)):
        instruments = [instruments]
    loaded = [load_instrument(i) if isinstance(i, str) else i for i in instruments]
    ids = [i.id for i in loaded]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"score: instruments: expected each instrument once, found {ids}")
    overrides = dict(overrides or {})
    stray = sorted(set(overrides) - set(ids) - set(available_instruments()))
    if stray:
        raise ConfigError(f"score: overrides: expected instrument ids, found unknown {stray}")
    columns = dict(columns or {})

    plans = [compile_plan(instrument, overrides.get(instrument.id)) for instrument in loaded]
    if df.columns.has_duplicates:
        duplicated = sorted(set(df.columns[df.columns.duplicated()]) & {i for p in plans for i in p.item_ids})
        if duplicated:
            raise ColumnError(f"score: expected one column per item, found {duplicated} more than once")
    output: dict[str, Any] = {}
    record: dict[str, Any] = {}
    for plan in plans:
        scored, invalid_cells = _score_instrument(plan, df, columns, language, errors)
        output.update(scored)
        record[plan.instrument_id] = {**plan.settings, "invalid_cells": invalid_cells}
    result = pd.DataFrame(output, index=df.index)
    result.attrs["scoring"] = record
    return result


def _eligible(plan: ScoringPlan, df: pd.DataFrame, columns: Mapping[str, str]) -> np.ndarray | None:
    """True for respondents every eligibility rule admits; a blank value does not admit."""
    if not plan.eligibility:
        return None
    eligible = np.ones(len(df), dtype=bool)
    for rule in plan.eligibility:
        column = columns.get(rule.role, rule.role)
        if column not in df.columns:
            raise ColumnError(
                f"{plan.instrument_id}: eligibility needs the {rule.role!r} column, found no column {column!r}; "
                f"name the data's column with columns={{{rule.role!r}: ...}} or drop the rule with overrides")
        series = df[column]
        if not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
            raise ColumnError(
                f"{plan.instrument_id}: eligibility column {column!r}: expected numbers, found dtype {series.dtype}"
            )
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            if rule.min is not None:
                eligible &= values >= rule.min
            if rule.max is not None:
                eligible &= values <= rule.max
            if rule.equals is not None:
                eligible &= values == rule.equals
    return eligible


def _raise_invalid(plan: ScoringPlan, df: pd.DataFrame, item: int, bad: np.ndarray) -> None:
    column = plan.item_ids[item]
    found = pd.unique(df[column].to_numpy()[bad])[:5].tolist()
    raise ColumnError(f"{plan.instrument_id}: column {column}: expected response codes {list(plan.valid_codes[item])}, "
                      f"found {found} in {example_rows(df.index[bad])}")


def _score_value(rule: ScoreRule, total: np.ndarray, blanks: np.ndarray | None, usable: np.ndarray) -> np.ndarray:
    """Turn the summed points into the score: missing-data rule, mean, transform, rounding."""
    n_items = len(rule.items)
    value = total.astype(np.float64)
    if blanks is None:
        scorable = usable
        answered: np.ndarray | int = n_items
    else:
        scorable = usable & (blanks <= rule.max_missing)
        answered = n_items - blanks.astype(np.int16)
        if rule.max_missing and rule.rule == "sum":
            partial = scorable & (blanks > 0)
            value[partial] *= n_items / answered[partial]
    if rule.rule == "mean":
        np.divide(value, answered, out=value, where=scorable)
    if rule.multiply != 1.0:
        value *= rule.multiply
    if rule.add != 0.0:
        value += rule.add
    if rule.rounding == "truncate":
        np.trunc(value, out=value)
    elif rule.rounding == "round_half_up":
        np.floor(value + 0.5, out=value)
    value[~scorable] = np.nan
    return value


def _zero_one(values: np.ndarray, unknown: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values.astype(np.int8), unknown.copy())


def _band(rule: ScoreRule, value: np.ndarray, language: str) -> pd.Categorical:
    codes = np.searchsorted(rule.band.mins, value, side="right").astype(np.int8) - 1
    codes[np.isnan(value)] = -1
    return pd.Categorical.from_codes(codes, categories=list(rule.band.labels[language]), ordered=True)


def _score_instrument(plan: ScoringPlan, df: pd.DataFrame, columns: Mapping[str, str],
                      language: str, errors: str) -> tuple[dict[str, Any], dict[str, int]]:
    absent = [item for item in plan.item_ids if item not in df.columns]
    if absent:
        raise ColumnError(f"{plan.instrument_id}: expected the item columns {plan.item_ids[0]}..{plan.item_ids[-1]} "
                          f"({len(plan.item_ids)} items), found none named {', '.join(absent)}")
    n = len(df)
    eligible = _eligible(plan, df, columns)
    keys = [response_keys(df[item], f"{plan.instrument_id}: column {item}") for item in plan.item_ids]
    for if_item, equals, then_item, fill in plan.skip_rules:
        skipped = (keys[then_item] == MISSING_KEY) & (keys[if_item] == equals)
        keys[then_item] = np.where(skipped, np.uint8(fill), keys[then_item])

    members: list[list[int]] = [[] for _ in plan.item_ids]
    for s, rule in enumerate(plan.scores):
        for item in rule.items:
            members[item].append(s)
    sums = [np.zeros(n, dtype=plan.points.dtype) for _ in plan.scores]
    blanks: list[np.ndarray | None] = [None for _ in plan.scores]
    invalid = np.zeros(n, dtype=bool)
    invalid_cells: dict[str, int] = {}
    flag_items = {flag.item for flag in plan.flags}
    kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    for j, key in enumerate(keys):
        points = plan.points[j].take(key)
        bad = plan.invalid[j].take(key)
        if eligible is not None:
            bad &= eligible
        if bad.any():
            if errors == "raise":
                _raise_invalid(plan, df, j, bad)
            invalid |= bad
            invalid_cells[plan.item_ids[j]] = int(bad.sum())
        blank = key == MISSING_KEY
        any_blank = blank.any()
        for s in members[j]:
            sums[s] += points
            if any_blank:
                if blanks[s] is None:
                    blanks[s] = np.zeros(n, dtype=np.uint8)
                blanks[s] += blank
        if j in flag_items:
            kept[j] = (points, bad | blank)

    usable = ~invalid if eligible is None else (~invalid & eligible)
    status = np.zeros(n, dtype=np.int8)
    for h in plan.headline:       # prorated if any headline score is, not scorable if any is
        if blanks[h] is not None:
            status[(blanks[h] > 0) & (status == COMPLETE)] = PRORATED
            status[blanks[h] > plan.scores[h].max_missing] = NOT_SCORABLE
    status[invalid] = INVALID
    if eligible is not None:
        status[~eligible] = NOT_ELIGIBLE

    out: dict[str, Any] = {f"{plan.instrument_id}_status": pd.Categorical.from_codes(status, categories=list(STATUSES))}
    values = []
    for s, rule in enumerate(plan.scores):
        value = _score_value(rule, sums[s], blanks[s], usable)
        values.append(value)
        out[rule.column] = value
        unknown = np.isnan(value)
        if rule.band is not None:
            out[rule.band_column] = _band(rule, value, language)
        for cutoff in rule.cutoffs:
            hit = value >= cutoff.at_least if cutoff.at_least is not None else value <= cutoff.at_most
            out[cutoff.column] = _zero_one(hit, unknown)
    for flag in plan.flags:
        points, unknown = kept[flag.item]
        if eligible is not None:
            unknown = unknown | ~eligible
        out[flag.column] = _zero_one(points >= flag.at_least, unknown)
    for criterion in plan.criteria:
        hit = np.ones(n, dtype=bool)
        unknown = np.zeros(n, dtype=bool)
        for s, direction, threshold in criterion.conditions:
            hit &= values[s] >= threshold if direction == "at_least" else values[s] <= threshold
            unknown |= np.isnan(values[s])
        out[criterion.column] = _zero_one(hit, unknown)
    return out, invalid_cells
