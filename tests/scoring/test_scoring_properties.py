"""Properties of the scoring engine, checked with hypothesis and with random data against
the row-at-a-time reference (survey.scoring.rowwise)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scoring_helpers import OVERRIDES, assert_same_scores, random_answers

from survey.instruments import available_instruments, load_instrument
from survey.scoring import score
from survey.scoring.rowwise import score_rowwise
from survey.scoring.rules import compile_plan

ALL = available_instruments()
BAD_CODES = [-1, 99, 1.5, 121, 126]


@st.composite
def answer_frames(draw, instrument_id: str, invalid: bool = True, max_rows: int = 25):
    """A frame of one instrument's answers: mostly valid codes, some blanks, a few invalid cells."""
    instrument = load_instrument(instrument_id)
    n = draw(st.integers(0, max_rows))
    columns = {}
    for item in instrument.item_ids:
        cells = st.one_of(st.sampled_from(instrument.codes(item)), st.none()) if not invalid else \
            st.sampled_from([*instrument.codes(item)] * 4 + [None] + [draw(st.sampled_from(BAD_CODES))])
        columns[item] = [np.nan if v is None else float(v) for v in draw(st.lists(cells, min_size=n, max_size=n))]
    columns["age"] = draw(st.lists(st.sampled_from([40.0, 59.0, 60.0, 80.0, np.nan]), min_size=n, max_size=n))
    columns["perinatal"] = draw(st.lists(st.sampled_from([0.0, 1.0, np.nan]), min_size=n, max_size=n))
    return pd.DataFrame(columns, index=pd.RangeIndex(n))


common = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
per_instrument = settings(common, max_examples=12)   # these run once per instrument


@pytest.mark.parametrize("instrument_id", ALL)
@per_instrument
@given(data=st.data())
def test_scores_stay_in_range_and_nan_only_with_a_reason(instrument_id, data):
    df = data.draw(answer_frames(instrument_id))
    out = score(df, [instrument_id], overrides=OVERRIDES)
    plan = compile_plan(load_instrument(instrument_id), OVERRIDES.get(instrument_id))
    status = out[f"{instrument_id}_status"]
    for rule in plan.scores:
        values = out[rule.column]
        present = values.dropna()
        assert ((present >= rule.low - 1e-9) & (present <= rule.high + 1e-9)).all(), rule.column
        if rule.name == "total":      # a total is given exactly when the status says it can be
            assert values.notna().eq(status.isin(["complete", "prorated"])).all()
        assert values[status == "complete"].notna().all(), f"{rule.column}: NaN on a complete row"
        assert values[status.isin(["invalid", "not_eligible"])].isna().all()
    assert status.notna().all()


@pytest.mark.parametrize("instrument_id", ALL)
@per_instrument
@given(data=st.data())
def test_engine_equals_the_row_wise_reference(instrument_id, data):
    df = data.draw(answer_frames(instrument_id, max_rows=12))
    if len(df) == 0:
        return
    engine = score(df, [instrument_id], overrides=OVERRIDES)
    reference = score_rowwise(df, [instrument_id], overrides=OVERRIDES)
    assert_same_scores(engine, reference)


@common
@given(data=st.data(), instrument_id=st.sampled_from(ALL))
def test_column_order_does_not_matter(data, instrument_id):
    df = data.draw(answer_frames(instrument_id))
    order = data.draw(st.permutations(list(df.columns)))
    pd.testing.assert_frame_equal(score(df, [instrument_id], overrides=OVERRIDES),
                                  score(df[list(order)], [instrument_id], overrides=OVERRIDES))


@common
@given(data=st.data(), instrument_id=st.sampled_from(ALL))
def test_scoring_a_concatenation_equals_concatenating_the_scorings(data, instrument_id):
    first = data.draw(answer_frames(instrument_id))
    second = data.draw(answer_frames(instrument_id))
    both = pd.concat([first, second], ignore_index=True)
    together = score(both, [instrument_id], overrides=OVERRIDES)
    apart = pd.concat([score(first, [instrument_id], overrides=OVERRIDES),
                       score(second, [instrument_id], overrides=OVERRIDES)], ignore_index=True)
    for column in together.columns:     # concat of categoricals with equal categories stays categorical
        pd.testing.assert_series_equal(together[column], apart[column].astype(together[column].dtype), check_names=True)


@common
@given(data=st.data(), instrument_id=st.sampled_from(ALL))
def test_row_order_does_not_matter(data, instrument_id):
    df = data.draw(answer_frames(instrument_id))
    shuffled = df.sample(frac=1.0, random_state=data.draw(st.integers(0, 2**16)))
    pd.testing.assert_frame_equal(score(shuffled, [instrument_id], overrides=OVERRIDES),
                                  score(df, [instrument_id], overrides=OVERRIDES).loc[shuffled.index])


def test_engine_equals_the_row_wise_reference_on_a_larger_random_sample():
    """Every instrument together, 400 respondents with 5% blanks and 1% invalid codes."""
    df = random_answers(ALL, 400, seed=20240501, blank=0.05, invalid=0.01)
    engine = score(df, ALL, overrides=OVERRIDES)
    reference = score_rowwise(df, ALL, overrides=OVERRIDES)
    assert_same_scores(engine, reference)
    statuses = pd.concat([engine[f"{i}_status"].astype(str) for i in ALL])
    assert set(statuses) == {"complete", "prorated", "not_scorable", "not_eligible", "invalid"}


def test_prorated_phq9_equals_mean_substitution():
    """NHS rule, written out: each blank item replaced by the mean of the answered items."""
    df = random_answers(["phq9"], 500, seed=9, blank=0.12)
    out = score(df, ["phq9"])
    items = df[load_instrument("phq9").item_ids]
    blanks = items.isna().sum(axis=1)
    filled = items.apply(lambda col: col.fillna(items.mean(axis=1)))
    expected = filled.sum(axis=1).where(blanks <= 2)
    np.testing.assert_allclose(out["phq9_total"], expected, rtol=0, atol=1e-12)
    assert (out["phq9_status"] == "prorated").sum() == ((blanks > 0) & (blanks <= 2)).sum() > 0
