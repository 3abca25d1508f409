"""Shared sample data for the estimation tests (imported by the test modules)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_sample(seed: int = 7, n: int = 3000) -> pd.DataFrame:
    """A stratified two-stage sample: 6 strata x 8 PSUs (codes repeat: nest=True) x 4 SSUs.

    Columns: stratum, psu, ssu, weight, n_psu (40 PSUs per stratum in the population),
    n_ssu (10 SSUs per PSU), district (2% missing), sex, y (0/1, 5% missing), score, size.
    """
    rng = np.random.default_rng(seed)
    stratum = rng.integers(1, 7, n)
    data = pd.DataFrame(
        {
            "stratum": stratum,
            "psu": rng.integers(1, 9, n),
            "ssu": rng.integers(1, 5, n),
            "weight": rng.uniform(20, 80, n),
            "n_psu": 40,
            "n_ssu": 10,
            "district": rng.choice(["north", "south", "east"], n),
            "sex": rng.choice(["f", "m"], n),
            "y": (rng.random(n) < 0.3).astype(float),
            "score": rng.normal(10, 3, n) + stratum,
            "size": rng.uniform(1, 3, n),
        }
    )
    data.loc[rng.random(n) < 0.05, "y"] = np.nan
    data.loc[rng.random(n) < 0.02, "district"] = None
    return data
