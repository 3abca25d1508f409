"""survey.scoring.reliability: behaviour, errors, simulation and properties.

Agreement with R's psych is in test_reliability_psych.py; this file checks what the
reference data cannot: the theoretical alpha of a parallel-items model, invariances, the
missing-data policies, the named edge-case policies and the one-line errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from survey.errors import ColumnError, SurveyError
from survey.scoring import reliability as rel
from survey.scoring.reliability import (
    cronbach_alpha,
    floor_ceiling,
    item_statistics,
    omega_total,
    reliability,
)


def _parallel_items(n: int, k: int, true_var: float, error_var: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    true_score = rng.normal(0.0, np.sqrt(true_var), size=(n, 1))
    errors = rng.normal(0.0, np.sqrt(error_var), size=(n, k))
    return pd.DataFrame(true_score + errors, columns=[f"x{i + 1}" for i in range(k)])


def _likert(n: int = 200, k: int = 4, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    raw = latent + rng.normal(scale=0.9, size=(n, k))
    return pd.DataFrame(np.clip(np.round(raw + 2), 0, 4), columns=[f"q{i + 1}" for i in range(k)])


# ---- simulation: known reliability -----------------------------------------------------


def test_alpha_of_parallel_items_is_close_to_theory():
    # k parallel items, true-score variance 1, error variance 1.5 per item:
    # item reliability rho = 1 / 2.5 = 0.4, alpha = k rho / (1 + (k - 1) rho) = 0.8 for k = 6
    k, true_var, error_var = 6, 1.0, 1.5
    rho = true_var / (true_var + error_var)
    theory = k * rho / (1 + (k - 1) * rho)
    res = cronbach_alpha(_parallel_items(20_000, k, true_var, error_var, seed=20240601))
    assert theory == pytest.approx(0.8)
    assert abs(res.raw_alpha - theory) < 4 * res.ase
    assert abs(res.raw_alpha - theory) < 0.01
    low, high = res.conf_int("feldt")
    assert low < theory < high
    # parallel items are tau-equivalent: omega total equals alpha in the population
    assert omega_total(_parallel_items(20_000, k, true_var, error_var, seed=20240601)).omega_total == pytest.approx(
        theory, abs=0.01
    )


def test_omega_of_congeneric_items_is_close_to_theory_and_above_alpha():
    rng = np.random.default_rng(7)
    loadings = np.array([0.9, 0.8, 0.6, 0.5, 0.3])
    n = 20_000
    factor = rng.normal(size=(n, 1))
    x = factor * loadings + rng.normal(size=(n, 5)) * np.sqrt(1 - loadings**2)
    items = pd.DataFrame(x, columns=list("abcde"))
    theory = loadings.sum() ** 2 / (loadings.sum() ** 2 + (1 - loadings**2).sum())
    res = omega_total(items)
    assert res.omega_total == pytest.approx(theory, abs=0.01)
    np.testing.assert_allclose(res.loadings["loading"], loadings, atol=0.03)
    assert cronbach_alpha(items).std_alpha < res.omega_total


# ---- properties ------------------------------------------------------------------------

_item_frames = arrays(
    np.float64,
    st.tuples(st.integers(8, 40), st.integers(2, 6)),
    elements=st.one_of(st.integers(0, 4).map(float), st.just(np.nan)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_item_frames)
def test_pairwise_cov_and_cor_match_pandas(x):
    frame = pd.DataFrame(x)
    pandas_cov = frame.cov(min_periods=2).to_numpy()
    pandas_cor = frame.corr(min_periods=2).to_numpy()
    names = [str(c) for c in frame.columns]
    if np.isnan(pandas_cov).any() or np.isnan(pandas_cor).any():
        with pytest.raises(ColumnError):
            rel._pairwise_cor(x, names, "test")
        return
    np.testing.assert_allclose(rel._pairwise_cov(x, names, "test"), pandas_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rel._pairwise_cor(x, names, "test"), pandas_cor, rtol=1e-10, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 10_000),
    st.lists(st.floats(-50, 50, allow_nan=False), min_size=4, max_size=4),
    st.lists(st.floats(0.1, 20, allow_nan=False), min_size=4, max_size=4),
    st.permutations(range(4)),
)
def test_alpha_invariances(seed, shifts, scales, order):
    items = _likert(n=120, k=4, seed=seed)
    items.iloc[::7, 1] = np.nan
    base = cronbach_alpha(items)
    shifted = cronbach_alpha(items + np.array(shifts))
    assert shifted.raw_alpha == pytest.approx(base.raw_alpha, abs=1e-9)
    rescaled = cronbach_alpha(items * np.array(scales))
    assert rescaled.std_alpha == pytest.approx(base.std_alpha, abs=1e-9)
    assert rescaled.g6_smc == pytest.approx(base.g6_smc, abs=1e-9)
    permuted = cronbach_alpha(items.iloc[:, list(order)])
    assert permuted.raw_alpha == pytest.approx(base.raw_alpha, abs=1e-12)
    assert omega_total(items.iloc[:, list(order)]).omega_total == pytest.approx(
        omega_total(items).omega_total, abs=1e-9
    )


def test_equal_variances_make_raw_and_standardised_alpha_agree():
    items = _parallel_items(500, 4, 1.0, 1.0, seed=3)
    items = (items - items.mean()) / items.std()
    res = cronbach_alpha(items)
    assert res.raw_alpha == pytest.approx(res.std_alpha, abs=1e-12)
    # Spearman-Brown: std alpha = k r / (1 + (k - 1) r) with the average correlation
    r = res.average_r
    assert res.std_alpha == pytest.approx(4 * r / (1 + 3 * r), abs=1e-12)


# ---- missing data ------------------------------------------------------------------------


def test_rows_without_any_answer_are_dropped():
    items = _likert()
    items.iloc[::5, 0] = np.nan
    padded = pd.concat([items, pd.DataFrame(np.nan, index=range(1000, 1010), columns=items.columns)])
    a = cronbach_alpha(items)
    with pytest.warns(rel.ReliabilityWarning, match="10 respondent"):
        b = cronbach_alpha(padded)
    assert b.n == a.n == len(items) and b.n_empty == 10
    assert (b.raw_alpha, b.ase, b.ci_low) == (a.raw_alpha, a.ase, a.ci_low)


def test_listwise_equals_pairwise_on_complete_cases():
    items = _likert()
    items.iloc[::4, 2] = np.nan
    listwise = cronbach_alpha(items, missing="listwise")
    complete = cronbach_alpha(items.dropna())
    assert listwise.n == len(items.dropna())
    assert listwise.raw_alpha == pytest.approx(complete.raw_alpha, abs=1e-14)
    assert cronbach_alpha(items).raw_alpha != pytest.approx(listwise.raw_alpha, abs=1e-6)


def test_nullable_integer_items_are_accepted():
    items = _likert().astype("Int64")
    items.iloc[3, 1] = pd.NA
    float_items = items.astype("float64")
    assert cronbach_alpha(items).raw_alpha == cronbach_alpha(float_items).raw_alpha


# ---- intervals -------------------------------------------------------------------------


def test_intervals_both_methods_and_levels():
    res = cronbach_alpha(_likert(), level=0.9, ci_method="duhachek")
    assert res.ci_method == "duhachek" and res.ci_level == 0.9
    table = res.intervals()
    assert table["method"].tolist() == ["feldt", "duhachek"]
    assert (table["low"] < table["alpha"]).all() and (table["alpha"] < table["high"]).all()
    low90, high90 = res.conf_int("feldt", 0.9)
    low99, high99 = res.conf_int("feldt", 0.99)
    assert low99 < low90 and high90 < high99
    low, high = res.conf_int()
    assert (res.raw_alpha - low) == pytest.approx(high - res.raw_alpha)  # Duhachek is symmetric
    assert res.to_frame().loc[0, "ci_method"] == "duhachek"


@pytest.mark.parametrize(
    ("kwargs", "fragment"), [({"level": 1.5}, "between 0 and 1"), ({"ci_method": "boot"}, "ci_method")]
)
def test_bad_interval_arguments(kwargs, fragment):
    with pytest.raises(ColumnError, match=fragment):
        cronbach_alpha(_likert(), **kwargs)


# ---- omega specifics -----------------------------------------------------------------------


def test_omega_flips_negative_loadings_like_psych_and_says_so():
    items = _likert(n=300, k=4, seed=11)
    unkeyed = items.assign(q2=4 - items["q2"])
    keyed_res, flipped_res = omega_total(items), omega_total(unkeyed)
    assert flipped_res.flipped_items == ("q2",)
    assert flipped_res.omega_total == pytest.approx(keyed_res.omega_total, abs=1e-10)
    assert any("q2" in note for note in flipped_res.notes)
    no_flip = omega_total(unkeyed, flip=False)
    assert no_flip.flipped_items == () and no_flip.omega_total < keyed_res.omega_total


def test_omega_reports_heywood_case():
    # r12 r13 / r23 = 1.28 > 1: the one-factor loading of x1 would exceed 1
    corr = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    rng = np.random.default_rng(5)
    x = rng.multivariate_normal(np.zeros(3), corr, size=5000)
    res = omega_total(pd.DataFrame(x, columns=["x1", "x2", "x3"]))
    assert res.heywood == ("x1",)
    # as psych's u2 = 1 - h2: with the fitted uniqueness on its 0.005 bound the loading
    # exceeds 1 and the reported uniqueness is negative (psych: "ultra-Heywood case")
    assert res.loadings.loc[0, "loading"] > 1
    np.testing.assert_allclose(res.loadings["uniqueness"], 1 - res.loadings["loading"] ** 2)
    assert "Heywood" in res.to_frame().loc[0, "notes"]
    # psych 2.2.9 on the same data: omega.tot 0.8785319 (its optimiser stops between the
    # bounded ULS and the bounded off-diagonal minimum); this fit: the bounded ULS minimum
    assert res.omega_total == pytest.approx(0.8785319, abs=5e-4)


def test_omega_needs_three_items():
    with pytest.raises(ColumnError, match="at least 3 item columns"):
        omega_total(_likert(k=2))


# ---- floor and ceiling -----------------------------------------------------------------


def test_floor_ceiling_by_hand():
    items = pd.DataFrame({"a": [0, 3, 1, 0, 3, np.nan], "b": [0, 3, 2, 0, 3, 3]})
    res = floor_ceiling(items, (0, 6))
    assert (res.floor_share, res.ceiling_share, res.n_scored) == (0.4, 0.4, 5)


@pytest.mark.parametrize("bad_range", [(6, 0), (1,), "06"])
def test_floor_ceiling_rejects_bad_range(bad_range):
    with pytest.raises(ColumnError, match="score_range"):
        floor_ceiling(pd.DataFrame({"a": [0, 1], "b": [1, 1]}), bad_range)


def test_floor_ceiling_rejects_totals_outside_range():
    with pytest.raises(ColumnError, match=r"outside score_range 0-4 \(found 5-6\) at rows 2, 3"):
        floor_ceiling(pd.DataFrame({"a": [0, 1, 3, 3], "b": [1, 1, 2, 3]}), (0, 4))


# ---- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "fragment"),
    [
        (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "at least 2 item columns; found 1 (a)"),
        (
            pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 2, 2], "c": [1, 1, 1, 1]}),
            "without variance (constant or fewer than 2 answers): b, c",
        ),
        (
            pd.DataFrame({"a": [1, 2, 3, 4], "b": ["1", "x", "3", None]}),
            "non-numeric columns b; e.g. column b at row 1",
        ),
        (pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, np.inf, 2, 3]}), "infinite values: b at row 1"),
        (
            pd.DataFrame({"a": [1, 2, np.nan, np.nan], "b": [np.nan, np.nan, 1, 2]}),
            "items a and b are answered together by 0",
        ),
        (pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, np.nan]}), "at least 2 respondents"),
    ],
)
def test_errors_are_one_line_and_name_columns(frame, fragment):
    with pytest.raises(ColumnError) as info:
        cronbach_alpha(frame)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert isinstance(info.value, SurveyError)


def test_reliability_errors_name_missing_columns_and_groups():
    df = _likert().assign(district=["n"] * 100 + [None] * 100)
    with pytest.raises(ColumnError, match="columns not in the data: q9"):
        reliability(df, ["q1", "q9"])
    with pytest.raises(ColumnError, match="grouping column district is missing at rows 100, 101"):
        reliability(df, ["q1", "q2"], by="district")
    with pytest.raises(ColumnError, match="missing must be one of"):
        reliability(df, ["q1", "q2"], missing="available")


# ---- reliability() entry point -------------------------------------------------------------


def _district_data() -> pd.DataFrame:
    parts = []
    for i, district in enumerate(["east", "north", "west"]):
        parts.append(_likert(n=150, k=4, seed=100 + i).assign(district=district))
    return pd.concat(parts, ignore_index=True)


def test_reliability_overall_and_by_group_agree_with_single_calls():
    df = _district_data()
    items = ["q1", "q2", "q3", "q4"]
    res = reliability(df, items, by="district", score_range=(0, 16))
    table = res.to_frame()
    assert table.columns.tolist() == ["district", *rel._FRAME_COLUMNS]
    assert table["scope"].tolist() == ["overall", "group", "group", "group"]
    assert table["district"].iloc[1:].tolist() == ["east", "north", "west"]
    for _, row in table.iterrows():
        sub = df if row["scope"] == "overall" else df[df["district"] == row["district"]]
        single = cronbach_alpha(sub[items])
        assert row["alpha"] == single.raw_alpha
        assert (row["ci_low"], row["ci_high"]) == (single.ci_low, single.ci_high)
        assert row["omega_total"] == omega_total(sub[items]).omega_total
        assert row["n"] == len(sub) and row["n_items"] == 4
        fc = floor_ceiling(sub[items], (0, 16))
        assert (row["floor_share"], row["ceiling_share"]) == (fc.floor_share, fc.ceiling_share)
    assert len(res.item_stats) == 4 * 4
    east = res.item_stats[res.item_stats["district"] == "east"].drop(columns=["district", "scope"])
    pd.testing.assert_frame_equal(east.reset_index(drop=True), item_statistics(df[df["district"] == "east"][items]))
    text = res.summary()
    assert "95% Feldt" in text and "east" in text and "(all)" in text


def test_reliability_without_groups_and_without_overall():
    df = _district_data()
    single = reliability(df, ["q1", "q2", "q3"]).to_frame()
    assert single["scope"].tolist() == ["overall"]
    assert single["floor_share"].isna().all() and single["n_scored"].isna().all()
    only_groups = reliability(df, ["q1", "q2", "q3"], by=["district"], overall=False).to_frame()
    assert only_groups["scope"].tolist() == ["group"] * 3


def test_reliability_two_items_omits_omega_with_a_note():
    row = reliability(_likert(k=2), ["q1", "q2"]).to_frame().iloc[0]
    assert np.isnan(row["omega_total"])
    assert "at least 3 items" in row["notes"]


def test_reliability_group_errors_policy():
    df = _district_data()
    df.loc[df["district"] == "west", "q2"] = 2  # constant within one district
    with pytest.raises(ColumnError, match=r"without variance.*q2.*\[group: district=west\]"):
        reliability(df, ["q1", "q2", "q3"], by="district")
    res = reliability(df, ["q1", "q2", "q3"], by="district", group_errors="record")
    table = res.to_frame().set_index("district", drop=False)
    assert np.isnan(table.loc["west", "alpha"]) and "q2" in table.loc["west", "notes"]
    assert table.loc["east", "alpha"] > 0
    assert "west" not in set(res.item_stats["district"].dropna())
    assert "note (district=west)" in res.summary()


def test_reliability_notes_unreversed_item():
    df = _likert(n=300, k=4, seed=2)
    df["q3"] = 4 - df["q3"]
    row = reliability(df, ["q1", "q2", "q3", "q4"]).to_frame().iloc[0]
    assert "negative item-rest correlation for q3" in row["notes"]
    assert "negative loadings for q3" in row["notes"]


def test_integer_group_column_keeps_integer_labels():
    df = _district_data().assign(wave=lambda d: np.where(d.index % 2 == 0, 1, 2))
    table = reliability(df, ["q1", "q2", "q3"], by="wave").to_frame()
    assert str(table["wave"].dtype) == "Int64"
    assert table["wave"].iloc[1:].tolist() == [1, 2]


def test_alpha_result_summary_and_frame():
    res = cronbach_alpha(_likert())
    frame = res.to_frame()
    assert frame.shape[0] == 1 and {"raw_alpha", "ci_low", "ci_high", "ci_method"} <= set(frame.columns)
    text = res.summary()
    assert "Cronbach's alpha" in text and "duhachek" in text and "q4" in text
    assert set(rel.PSYCH_NAMES) >= set(res.item_stats.columns) - {"item"}
