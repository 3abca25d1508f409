"""Every instrument against worked examples checked by hand (tests/scoring/worked_examples.yaml).

Each case is scored by the vectorised engine and by the row-at-a-time reference
(survey.scoring.rowwise), and both must give the hand-computed values.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from survey.instruments import available_instruments, load_instrument
from survey.scoring import score
from survey.scoring.rowwise import score_rowwise

EXAMPLES = yaml.safe_load((Path(__file__).parent / "worked_examples.yaml").read_text(encoding="utf-8"))
CASES = [(instrument, case) for instrument, cases in EXAMPLES.items()
         if instrument in available_instruments() for case in cases]


def _flatten(answers):
    if answers and isinstance(answers[0], list):
        return [code for group in answers for code in group]
    return answers


def _frame(instrument_id: str, case: dict) -> pd.DataFrame:
    items = load_instrument(instrument_id).item_ids
    answers = _flatten(case["answers"])
    assert len(answers) == len(items), f"{case['case']}: {len(answers)} answers for {len(items)} items"
    row = {item: (np.nan if code is None else float(code)) for item, code in zip(items, answers, strict=True)}
    row.update({k: (np.nan if v is None else v) for k, v in case.get("row", {}).items()})
    return pd.DataFrame([row])


def _same(found, expected) -> bool:
    if expected is None:
        return found is None or found is pd.NA or (isinstance(found, float) and math.isnan(found))
    if isinstance(expected, str):
        return found == expected
    return found is not pd.NA and found is not None and math.isclose(float(found), float(expected), abs_tol=1e-12)


def test_every_instrument_has_worked_examples():
    assert set(available_instruments()) <= set(EXAMPLES)


@pytest.mark.parametrize("instrument_id, case", CASES, ids=[f"{i}: {c['case']}" for i, c in CASES])
def test_worked_example(instrument_id, case):
    df = _frame(instrument_id, case)
    overrides = {instrument_id: case["overrides"]} if "overrides" in case else None
    language = case.get("language", "en")
    engine = score(df, [instrument_id], overrides=overrides, language=language)
    reference = score_rowwise(df, [instrument_id], overrides=overrides, language=language)
    assert case["expect"], "a worked example must expect something"
    for column, expected in case["expect"].items():
        found = engine[column].iloc[0]
        assert _same(found, expected), f"engine {column}: expected {expected!r}, found {found!r} ({case['working']})"
        found = reference[column].iloc[0]
        assert _same(found, expected), f"row-wise {column}: expected {expected!r}, found {found!r}"
