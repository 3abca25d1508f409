"""survey.scoring.reliability against R's psych package.

Reference numbers come from ``tests/reference/psych_reliability.R`` (regenerate with
``Rscript tests/reference/psych_reliability.R``), which runs, for every case in
``fixtures/psych/cases.json``::

    a  <- psych::alpha(x, keys = keys)          # x: raw items; keys reverse A1, C4, C5, O2, O5
    om <- psych::omega(x_reversed, nfactors = 1, plot = FALSE)

on psych's ``bfi`` (with missing values; pairwise, listwise and by gender; and with every 40th
respondent's agreeableness answers removed, ``bfi_agreeableness_empty_rows``) and base R's
``attitude``. psych counts respondents with no item answered in ``n``: the alpha tests ask for
that with ``empty_rows="count"``. The tests reverse the reverse-keyed items themselves (7 - x, as the scoring
step would) and compare with psych's ``keys=`` results: absolute 1e-6 unless stated.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.scoring.reliability import (
    ReliabilityWarning,
    cronbach_alpha,
    floor_ceiling,
    item_statistics,
    omega_total,
    reliability,
)

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "psych"
TOL = 1e-6

CASES = json.loads((FIXTURES / "cases.json").read_text(encoding="utf-8"))
TOTAL = pd.read_csv(FIXTURES / "alpha_total.csv")
DROP = pd.read_csv(FIXTURES / "alpha_drop.csv")
ITEM_STATS = pd.read_csv(FIXTURES / "item_stats.csv")
OMEGA = pd.read_csv(FIXTURES / "omega.csv")
LOADINGS = pd.read_csv(FIXTURES / "omega_loadings.csv")
FLOOR_CEILING = pd.read_csv(FIXTURES / "floor_ceiling.csv")


def _keyed_items(case: dict) -> pd.DataFrame:
    data = pd.read_csv(FIXTURES / case["data"])
    for item in case["reverse"]:
        data[item] = case["reverse_sum"] - data[item]
    return data


def _units():
    """(case, group label, keyed item frame) for every case and group in the fixtures."""
    for case in CASES:
        data = _keyed_items(case)
        if case["by"] is None:
            yield case, None, data[case["items"]]
        else:
            for label, sub in data.groupby(case["by"]):
                yield case, label, sub[case["items"]]


UNITS = list(_units())
UNIT_IDS = [f"{c['case']}" + ("" if g is None else f"-{c['by']}={g}") for c, g, _ in UNITS]


def _rows(table: pd.DataFrame, case: dict, group) -> pd.DataFrame:
    rows = table[table["case"] == case["case"]]
    rows = rows[rows["group"].isna()] if group is None else rows[rows["group"] == group]
    assert len(rows), f"no reference rows for {case['case']} {group}"
    return rows.reset_index(drop=True)


def test_fixtures_record_versions():
    versions = json.loads((FIXTURES / "versions.json").read_text(encoding="utf-8"))
    assert versions["psych"] and versions["R"].startswith("R version")


@pytest.mark.parametrize(("case", "group", "items"), UNITS, ids=UNIT_IDS)
def test_alpha_total_matches_psych(case, group, items):
    res = cronbach_alpha(items, missing=case["missing"], empty_rows="count")
    ref = _rows(TOTAL, case, group).iloc[0]
    assert res.n == ref["n_obs"]
    assert res.n_items == ref["n_items"]
    for name in ["raw_alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase", "mean", "sd", "median_r"]:
        assert getattr(res, name) == pytest.approx(ref[name], abs=TOL), name


@pytest.mark.parametrize(("case", "group", "items"), UNITS, ids=UNIT_IDS)
def test_alpha_intervals_match_psych(case, group, items):
    res = cronbach_alpha(items, missing=case["missing"], empty_rows="count", ci_method="feldt")
    ref = _rows(TOTAL, case, group).iloc[0]
    # alpha()$feldt, i.e. psych::alpha.ci(alpha, n.obs, n.var)
    assert res.ci_method == "feldt"
    assert (res.ci_low, res.ci_high) == pytest.approx((ref["feldt_lower"], ref["feldt_upper"]), abs=TOL)
    # Duhachek: raw_alpha -/+ qnorm(0.975) * ase
    low, high = res.conf_int("duhachek")
    assert (low, high) == pytest.approx((ref["duhachek_lower"], ref["duhachek_upper"]), abs=TOL)
    # psych's print uses 1.96 instead of qnorm(0.975) = 1.959964
    assert abs(low - ref["duhachek_lower_print"]) <= 4e-5 * res.ase
    duhachek = cronbach_alpha(items, missing=case["missing"], empty_rows="count", ci_method="duhachek")
    assert (duhachek.ci_low, duhachek.ci_high) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize(("case", "group", "items"), UNITS, ids=UNIT_IDS)
def test_item_stats_match_psych(case, group, items):
    stats = cronbach_alpha(items, missing=case["missing"], empty_rows="count").item_stats
    ref = _rows(ITEM_STATS, case, group)
    assert stats["item"].tolist() == ref["item"].tolist()
    assert stats["n"].tolist() == ref["n"].tolist()
    for name in ["raw_r", "std_r", "r_cor", "r_drop", "mean", "sd"]:
        np.testing.assert_allclose(stats[name], ref[name], rtol=0, atol=TOL, err_msg=name)


@pytest.mark.parametrize(
    ("case", "group", "items"),
    [u for u in UNITS if len(u[0]["items"]) > 2],
    ids=[i for i, u in zip(UNIT_IDS, UNITS, strict=True) if len(u[0]["items"]) > 2],
)
def test_alpha_if_dropped_matches_psych(case, group, items):
    stats = cronbach_alpha(items, missing=case["missing"], empty_rows="count").item_stats
    ref = _rows(DROP, case, group)
    for name in ["raw_alpha", "std_alpha", "g6_smc", "average_r", "signal_noise", "ase", "var_r", "median_r"]:
        np.testing.assert_allclose(stats[f"{name}_if_dropped"], ref[name], rtol=0, atol=TOL, err_msg=name)


def test_two_items_have_no_alpha_if_dropped():
    case = next(c for c in CASES if c["case"] == "attitude_two_items")
    stats = cronbach_alpha(_keyed_items(case)[case["items"]]).item_stats
    assert stats.filter(like="_if_dropped").isna().all().all()


OMEGA_UNITS = [u for u in UNITS if len(u[0]["items"]) >= 3]
OMEGA_IDS = [i for i, u in zip(UNIT_IDS, UNITS, strict=True) if len(u[0]["items"]) >= 3]


@pytest.mark.parametrize(("case", "group", "items"), OMEGA_UNITS, ids=OMEGA_IDS)
def test_omega_total_matches_psych(case, group, items):
    res = omega_total(items, missing=case["missing"])
    ref = _rows(OMEGA, case, group).iloc[0]
    assert res.omega_total == pytest.approx(ref["omega_total"], abs=TOL)
    assert res.flipped_items == () and res.heywood == () and res.converged


@pytest.mark.parametrize(("case", "group", "items"), OMEGA_UNITS, ids=OMEGA_IDS)
def test_omega_matches_exact_minres(case, group, items):
    """Against a fully converged minres fit (fixed-point iteration in R, see the script)."""
    res = omega_total(items, missing=case["missing"])
    ref = _rows(OMEGA, case, group).iloc[0]
    assert res.omega_total == pytest.approx(ref["omega_total_exact"], abs=1e-10)
    assert res.omega_h == pytest.approx(ref["omega_h_exact"], abs=1e-10)
    loads = _rows(LOADINGS, case, group)
    np.testing.assert_allclose(res.loadings["loading"], loads["loading_exact"], rtol=0, atol=1e-10)


@pytest.mark.parametrize(("case", "group", "items"), OMEGA_UNITS, ids=OMEGA_IDS)
def test_omega_loadings_close_to_psych(case, group, items):
    """psych stops L-BFGS-B at R's default tolerance: its loadings are ~1e-6 off the minimum."""
    res = omega_total(items, missing=case["missing"])
    ref = _rows(OMEGA, case, group).iloc[0]
    assert res.omega_h == pytest.approx(ref["omega_h"], abs=5e-6)
    loads = _rows(LOADINGS, case, group)
    np.testing.assert_allclose(res.loadings["loading"], loads["loading"], rtol=0, atol=2e-5)
    np.testing.assert_allclose(res.loadings["uniqueness"], loads["uniqueness"], rtol=0, atol=2e-5)


@pytest.mark.parametrize(
    ("case", "group", "items"),
    [u for u in UNITS if u[0]["score_range"]],
    ids=[i for i, u in zip(UNIT_IDS, UNITS, strict=True) if u[0]["score_range"]],
)
def test_floor_ceiling_matches_r(case, group, items):
    res = floor_ceiling(items, tuple(case["score_range"]))
    ref = _rows(FLOOR_CEILING, case, group).iloc[0]
    assert res.n_scored == ref["n_scored"]
    assert res.floor_share == pytest.approx(ref["floor_share"], abs=1e-12)
    assert res.ceiling_share == pytest.approx(ref["ceiling_share"], abs=1e-12)


def test_reliability_by_group_matches_psych_per_group():
    case = next(c for c in CASES if c["case"] == "bfi_neuroticism_by_gender")
    data = _keyed_items(case)
    res = reliability(data, case["items"], by="gender", score_range=tuple(case["score_range"]))
    table = res.to_frame()
    groups = table[table["scope"] == "group"].set_index("gender")
    assert list(groups.index) == [1, 2]
    for label in (1, 2):
        ref = _rows(TOTAL, case, label).iloc[0]
        row = groups.loc[label]
        assert row["alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL)
        assert row["std_alpha"] == pytest.approx(ref["std_alpha"], abs=TOL)
        assert row["ase"] == pytest.approx(ref["ase"], abs=TOL)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((ref["feldt_lower"], ref["feldt_upper"]), abs=TOL)
        assert row["ci_method"] == "feldt"
        assert row["n"] == ref["n_obs"]
        assert row["omega_total"] == pytest.approx(_rows(OMEGA, case, label).iloc[0]["omega_total"], abs=TOL)
        fc = _rows(FLOOR_CEILING, case, label).iloc[0]
        assert row["floor_share"] == pytest.approx(fc["floor_share"], abs=1e-12)
        assert row["ceiling_share"] == pytest.approx(fc["ceiling_share"], abs=1e-12)
        items = res.item_stats[(res.item_stats["scope"] == "group") & (res.item_stats["gender"] == label)]
        np.testing.assert_allclose(items["r_drop"], _rows(ITEM_STATS, case, label)["r_drop"], rtol=0, atol=TOL)
    overall = table[table["scope"] == "overall"].iloc[0]
    assert overall["n"] == len(data)


def test_reliability_listwise_matches_psych_on_complete_cases():
    case = next(c for c in CASES if c["case"] == "bfi_neuroticism_listwise")
    res = reliability(_keyed_items(case), case["items"], missing="listwise").to_frame().iloc[0]
    ref = _rows(TOTAL, case, None).iloc[0]
    assert res["n"] == ref["n_obs"]
    assert res["alpha"] == pytest.approx(ref["raw_alpha"], abs=TOL)
    assert res["omega_total"] == pytest.approx(_rows(OMEGA, case, None).iloc[0]["omega_total"], abs=TOL)


EMPTY_CASE = next(c for c in CASES if c["case"] == "bfi_agreeableness_empty_rows")


def test_empty_rows_case_has_rows_without_answers():
    items = _keyed_items(EMPTY_CASE)[EMPTY_CASE["items"]]
    assert items.isna().all(axis=1).sum() == 70
    assert _rows(TOTAL, EMPTY_CASE, None).iloc[0]["n_obs"] == len(items) == 2800


def test_empty_rows_count_reproduces_psych_n_ase_and_feldt():
    items = _keyed_items(EMPTY_CASE)[EMPTY_CASE["items"]]
    ref = _rows(TOTAL, EMPTY_CASE, None).iloc[0]
    res = cronbach_alpha(items, empty_rows="count")
    assert (res.n, res.n_empty) == (2800, 70)
    assert res.ase == pytest.approx(ref["ase"], abs=1e-9)
    assert (res.ci_low, res.ci_high) == pytest.approx((ref["feldt_lower"], ref["feldt_upper"]), abs=1e-9)
    assert res.notes == []
    drop = _rows(DROP, EMPTY_CASE, None)
    np.testing.assert_allclose(res.item_stats["ase_if_dropped"], drop["ase"], rtol=0, atol=1e-9)


def test_empty_rows_drop_warns_and_differs_from_psych_only_in_n():
    items = _keyed_items(EMPTY_CASE)[EMPTY_CASE["items"]]
    ref = _rows(TOTAL, EMPTY_CASE, None).iloc[0]
    with pytest.warns(ReliabilityWarning, match="70 respondent.*psych counts them"):
        res = cronbach_alpha(items)
    assert (res.n, res.n_empty, res.empty_rows) == (2730, 70, "drop")
    assert res.raw_alpha == pytest.approx(ref["raw_alpha"], abs=1e-9)
    assert res.ase == pytest.approx(ref["ase"] * np.sqrt(2800 / 2730), abs=1e-9)
    assert res.ase != pytest.approx(ref["ase"], abs=1e-6)
    with pytest.warns(ReliabilityWarning):
        item_statistics(items)


def test_reliability_table_records_empty_rows_in_notes_and_counts_on_request(recwarn):
    data = _keyed_items(EMPTY_CASE)
    ref = _rows(TOTAL, EMPTY_CASE, None).iloc[0]
    dropped = reliability(data, EMPTY_CASE["items"]).to_frame().iloc[0]
    assert dropped["n"] == 2730 and "70 respondent(s) with no item answered" in dropped["notes"]
    counted = reliability(data, EMPTY_CASE["items"], empty_rows="count").to_frame().iloc[0]
    assert counted["n"] == 2800 and "no item answered" not in counted["notes"]
    assert (counted["ci_low"], counted["ci_high"]) == pytest.approx(
        (ref["feldt_lower"], ref["feldt_upper"]), abs=1e-9)
    assert not [w for w in recwarn if issubclass(w.category, ReliabilityWarning)]


def test_listwise_has_no_empty_rows_to_count():
    items = _keyed_items(EMPTY_CASE)[EMPTY_CASE["items"]]
    assert cronbach_alpha(items, missing="listwise").n_empty == 0


def test_empty_rows_policy_is_checked():
    from survey.errors import ColumnError

    items = _keyed_items(EMPTY_CASE)[EMPTY_CASE["items"]]
    with pytest.raises(ColumnError, match="empty_rows must be one of drop, count"):
        cronbach_alpha(items, empty_rows="keep")
