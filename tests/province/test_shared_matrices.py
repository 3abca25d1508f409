"""Speed changes of issue 14 that must leave every number unchanged."""

import numpy as np
import pandas as pd
import pytest

from survey.effects.model_frame import model_frame, shared_model_matrices
from survey.study.model import EffectsAnalysis


@pytest.fixture
def data():
    rng = np.random.default_rng(14)
    n = 400
    frame = pd.DataFrame({
        "y1": rng.normal(size=n), "y2": (rng.random(n) < 0.3).astype(float),
        "y3": pd.array(rng.integers(0, 20, n), dtype="Int64"),
        "g": rng.choice(["b", "a", "c"], n), "x": rng.normal(size=n), "k": rng.integers(1, 4, n),
    })
    frame.loc[rng.choice(n, 30, replace=False), "y1"] = np.nan
    frame.loc[rng.choice(n, 20, replace=False), "y3"] = pd.NA
    frame.loc[rng.choice(n, 15, replace=False), "x"] = np.nan
    frame.loc[frame["g"] == "c", "y2"] = np.nan  # a level present only where this outcome is missing
    return frame


@pytest.mark.parametrize("outcome", ["y1", "y2", "y3"])
def test_a_shared_right_hand_side_gives_the_same_model_frame(data, outcome):
    formula = f"{outcome} ~ x + C(g) + C(k)"
    alone = model_frame(formula, data)
    with shared_model_matrices():
        model_frame("y1 ~ x + C(g) + C(k)", data)  # fills the cache first
        shared = model_frame(formula, data)
    assert shared.names == alone.names
    np.testing.assert_array_equal(shared.rows, alone.rows)
    np.testing.assert_array_equal(shared.X, alone.X)
    np.testing.assert_array_equal(shared.y, alone.y)
    assert (shared.n_data, shared.outcome, shared.formula) == (alone.n_data, alone.outcome, alone.formula)


def test_outcomes_the_shared_path_does_not_take_fall_back(data):
    for formula in ('Q("y1") ~ x', "x ~ x + C(g)", "y1 ~ np.log(k) + C(g)"):
        expected = model_frame(formula, data)
        with shared_model_matrices():
            model_frame("y1 ~ x", data)
            got = model_frame(formula, data)
        np.testing.assert_array_equal(got.X, expected.X)
        np.testing.assert_array_equal(got.y, expected.y)


def test_the_mixed_model_is_a_study_switch():
    assert EffectsAnalysis().mixed is True
    assert EffectsAnalysis(mixed=False).mixed is False
