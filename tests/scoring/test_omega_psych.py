"""Omega with several group factors (Schmid–Leiman) against ``psych::omega(nfactors = k)``.

Reference numbers from ``tests/reference/psych_reliability.R`` (psych 2.2.9, GPArotation
2022.10-2), which runs, for every case in ``fixtures/psych/omega_cases.json``::

    om <- psych::omega(x, nfactors = k, plot = FALSE)   # defaults: fm = "minres",
                                                        # rotate = "oblimin", flip = TRUE

on psych's ``bfi`` (all 25 items with k = 2, 3, 5, pairwise and listwise; the 10
agreeableness and conscientiousness items with k = 3). Agreement: 1e-6 absolute (observed
~1e-12, because psych's optimiser settings are reproduced; see ``factor.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.errors import ColumnError
from survey.scoring.reliability import omega
from survey.scoring.reliability.factor import oblimin, varimax

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "psych"
TOL = 1e-6
CASES = json.loads((FIXTURES / "omega_cases.json").read_text(encoding="utf-8"))
TOTALS = pd.read_csv(FIXTURES / "omega_sl.csv").set_index("case")
LOADINGS = pd.read_csv(FIXTURES / "omega_sl_loadings.csv")
GROUPS = pd.read_csv(FIXTURES / "omega_sl_groups.csv")
PHI = pd.read_csv(FIXTURES / "omega_sl_phi.csv")
BFI = pd.read_csv(FIXTURES / "items_bfi.csv")
IDS = [c["case"] for c in CASES]


@pytest.fixture(scope="module")
def fits():
    return {c["case"]: omega(BFI[c["items"]], c["nfactors"], missing=c["missing"]) for c in CASES}


def test_cases_cover_three_and_five_factors_on_all_bfi_items():
    full = {(c["nfactors"], c["missing"]) for c in CASES if len(c["items"]) == 25}
    assert {(3, "pairwise"), (5, "pairwise")} <= full


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_omega_h_and_total_match_psych(case, fits):
    res, ref = fits[case["case"]], TOTALS.loc[case["case"]]
    assert res.n == ref["n_obs"]
    assert res.nfactors == ref["nfactors"]
    for name in ["omega_h", "omega_total", "omega_limit", "alpha", "g6", "ecv"]:
        assert getattr(res, name) == pytest.approx(ref[name], abs=TOL), name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_schmid_leiman_loadings_match_psych(case, fits):
    res = fits[case["case"]]
    ref = LOADINGS[LOADINGS["case"] == case["case"]].reset_index(drop=True)
    assert res.loadings["item"].tolist() == ref["item"].tolist()
    assert sorted(res.flipped_items) == sorted(ref.loc[ref["flipped"], "item"])
    columns = ["g", *[f"F{j}*" for j in range(1, case["nfactors"] + 1)], "h2", "u2", "p2"]
    for col in columns:
        np.testing.assert_allclose(res.loadings[col], ref[col], rtol=0, atol=TOL, err_msg=col)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_group_omegas_and_phi_match_psych(case, fits):
    res, k = fits[case["case"]], case["nfactors"]
    groups = GROUPS[GROUPS["case"] == case["case"]].set_index("row")
    assert res.groups.index.tolist() == groups.index.tolist()
    np.testing.assert_allclose(res.groups.to_numpy(), groups[["total", "general", "group"]].to_numpy(),
                               rtol=0, atol=TOL)
    phi = PHI[PHI["case"] == case["case"]][[f"F{j}" for j in range(1, k + 1)]].to_numpy()
    np.testing.assert_allclose(res.phi.to_numpy(), phi, rtol=0, atol=TOL)


def test_two_factors_are_noted_and_five_are_not(fits):
    assert any("option = 'equal'" in n for n in fits["bfi25_2"].notes)
    assert not any("option" in n for n in fits["bfi25_5"].notes)
    assert fits["bfi25_5"].converged and fits["bfi25_5"].heywood == ()


def test_result_shapes(fits):
    res = fits["bfi25_3"]
    frame = res.to_frame()
    assert frame.shape[0] == 1 and {"omega_h", "omega_total", "nfactors", "notes"} <= set(frame.columns)
    assert "omega_h" in res.summary() and "F3*" in res.summary()


def test_known_structure_is_recovered():
    """Simulated bifactor data: omega_h and omega_total near their population values."""
    rng = np.random.default_rng(11)
    n, general, group = 20_000, 0.6, 0.5
    g = rng.normal(size=(n, 1))
    f = np.repeat(rng.normal(size=(n, 3)), 3, axis=1)
    x = general * g + group * f + np.sqrt(1 - general**2 - group**2) * rng.normal(size=(n, 9))
    res = omega(pd.DataFrame(x, columns=[f"q{i}" for i in range(9)]), 3)
    total_r = 9 + 9 * 8 * general**2 + 3 * 6 * group**2
    assert res.omega_h == pytest.approx((9 * general) ** 2 / total_r, abs=0.02)
    assert res.omega_total == pytest.approx(1 - 9 * (1 - general**2 - group**2) / total_r, abs=0.01)


def test_rotations_leave_the_common_part_unchanged():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(12, 3))
    np.testing.assert_allclose(varimax(a) @ varimax(a).T, a @ a.T, atol=1e-10)
    rot = oblimin(a)
    np.testing.assert_allclose(rot.loadings @ rot.phi @ rot.loadings.T, a @ a.T, atol=1e-10)
    np.testing.assert_allclose(np.diag(rot.phi), 1.0, atol=1e-12)


@pytest.mark.parametrize(("nfactors", "message"), [
    (1, "2 or more; found 1 \\(for one factor use omega_total\\)"),
    (2.5, "whole number"),
    (True, "whole number"),
    (4, "too many for 5 items"),
])
def test_bad_nfactors_are_one_line_errors(nfactors, message):
    with pytest.raises(ColumnError, match=message):
        omega(BFI[[f"A{i}" for i in range(1, 6)]], nfactors)
