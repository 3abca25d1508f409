"""Shared helpers of the scoring tests: random answer frames and frame comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.instruments import load_instrument

# The demo study's fictional key for nmhl judgement items 1-13 and its vignette directions.
NMHL_OVERRIDES = {
    "key": {"nmhl_j1": "true", "nmhl_j2": "true", "nmhl_j3": "true", "nmhl_j4": "true", "nmhl_j5": "true",
            "nmhl_j6": "false", "nmhl_j7": "false", "nmhl_j8": "true", "nmhl_j9": "false", "nmhl_j10": "true",
            "nmhl_j11": "false", "nmhl_j12": "true", "nmhl_j13": "true"},
    "vignette_keys": {"nmhl_va1": "agree", "nmhl_va2": "agree", "nmhl_va3": "agree", "nmhl_va4": "agree",
                      "nmhl_vb1": "agree", "nmhl_vb2": "agree", "nmhl_vb3": "disagree", "nmhl_vb4": "agree"},
}
OVERRIDES = {"nmhl": NMHL_OVERRIDES}


def random_answers(instrument_ids, n: int, seed: int, blank: float = 0.03, invalid: float = 0.0) -> pd.DataFrame:
    """Valid codes drawn uniformly, with a share of blanks and of invalid codes; plus age and perinatal."""
    rng = np.random.default_rng(seed)
    columns = {}
    for instrument_id in instrument_ids:
        instrument = load_instrument(instrument_id)
        for item in instrument.item_ids:
            codes = np.array(instrument.codes(item), dtype=float)
            values = codes[rng.integers(0, len(codes), n)]
            values[rng.random(n) < blank] = np.nan
            bad = rng.random(n) < invalid
            values[bad] = rng.choice([-1.0, 99.0, 1.5, max(codes) + 1], bad.sum())
            columns[item] = values
    columns["age"] = rng.integers(18, 95, n).astype(float)
    columns["age"][rng.random(n) < 0.02] = np.nan
    columns["perinatal"] = (rng.random(n) < 0.3).astype(float)
    return pd.DataFrame(columns)


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine and row-wise outputs in one comparable form: objects with None for missing."""
    out = frame.astype(object)
    return out.where(out.notna(), None)


def assert_same_scores(engine: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(engine.columns) == list(reference.columns)
    left, right = normalised(engine), normalised(reference)
    for column in engine.columns:
        for i, (a, b) in enumerate(zip(left[column], right[column], strict=True)):
            if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
                assert a == b, f"{column} row {i}: engine {a!r}, row-wise {b!r}"
            else:
                assert abs(float(a) - float(b)) < 1e-9, f"{column} row {i}: engine {a!r}, row-wise {b!r}"
