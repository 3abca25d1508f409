"""Difference-in-differences, event study, mixed model and the svyglm checks that need no R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.special import expit

from survey.effects import did, did_mixed, event_study, svyglm
from survey.effects.marginal_effects import average_marginal_effect
from survey.effects.simulation import simulate_did
from survey.errors import ColumnError, ConfigError
from survey.estimation import Design, domain_difference


@pytest.fixture(scope="module")
def simulated():
    data = simulate_did(seed=7, effect=0.3)
    data["y01"] = simulate_did(seed=7, effect=0.3, binary=True)["y"]
    return data


@pytest.fixture(scope="module")
def design(simulated):
    return Design(simulated, weight="weight", strata="stratum", psu="psu", nest=True)


def _dummies(data):
    return np.column_stack([
        np.ones(len(data)), data["treated"].to_numpy(float),
        pd.get_dummies(data["district"], drop_first=True, dtype=float).to_numpy(),
        pd.get_dummies(data["wave"], drop_first=True, dtype=float).to_numpy(),
    ])


def test_linear_did_matches_statsmodels_and_svyglm(simulated, design):
    result = did(design, "y", treated="treated", unit="district", time="wave", B=999)
    table = result.to_frame().set_index("method")
    assert list(table.index) == ["design", "cr1", "wcr_rademacher", "wcr_webb"]
    assert (table["model"] == "did_linear").all()
    wls = sm.WLS(simulated["y"], _dummies(simulated), weights=simulated["weight"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(simulated["district"])[0]})
    assert table.loc["cr1", "estimate"] == pytest.approx(wls.params.iloc[1], rel=1e-10)
    assert table.loc["cr1", "se"] == pytest.approx(wls.bse.iloc[1], rel=1e-8)
    assert table.loc["cr1", "df"] == 7
    fit = svyglm(design, "y ~ treated + C(district) + C(wave)")
    assert table.loc["design", "se"] == pytest.approx(np.sqrt(fit.cov.loc["treated", "treated"]), rel=1e-12)
    assert table.loc["wcr_rademacher", "draws"] == 256 and table.loc["wcr_webb", "draws"] == 999
    for method in table.index:
        assert table.loc[method, "ci_low"] < table.loc[method, "estimate"] < table.loc[method, "ci_high"]
    assert (table["n_clusters"] == 8).all() and (table["n_treated_clusters"] == 4).all()
    assert "Difference-in-differences" in result.summary()


@pytest.mark.filterwarnings("ignore:cov_type not fully supported")
def test_logit_did_odds_ratio_cr1_and_marginal_effect(simulated, design):
    result = did(design, "y01", treated="treated", unit="district", time="wave", model="logit",
                 methods=("design", "cr1"))
    table = result.to_frame()
    assert list(table["model"]) == ["did_logit_ame", "did_logit_or"] * 2
    glm = sm.GLM(simulated["y01"], _dummies(simulated), family=sm.families.Binomial(),
                 var_weights=simulated["weight"]).fit(cov_type="cluster",
                                                      cov_kwds={"groups": pd.factorize(simulated["district"])[0]})
    odds = table[(table["model"] == "did_logit_or") & (table["method"] == "cr1")].iloc[0]
    assert odds["estimate"] == pytest.approx(np.exp(glm.params.iloc[1]), rel=1e-8)
    assert result.models["cr1"].bse["treated"] == pytest.approx(glm.bse.iloc[1], rel=1e-6)
    # the AME by hand: predicted probability with and without treatment among the treated rows
    X = _dummies(simulated)
    treated = X[:, 1] == 1
    eta = X[treated] @ glm.params.to_numpy()
    w = simulated["weight"].to_numpy()[treated]
    by_hand = np.sum(w * (expit(eta) - expit(eta - glm.params.iloc[1]))) / w.sum()
    ame = table[table["model"] == "did_logit_ame"]["estimate"]
    np.testing.assert_allclose(ame, by_hand, rtol=1e-7)


def test_ame_of_a_saturated_logit_is_the_domain_difference(simulated, design):
    """AME of treated in y ~ treated = p_treated - p_control, with the estimation package's SE."""
    fit = svyglm(design, "y01 ~ treated", family="binomial")
    frame = fit.extra["frame"]
    from survey.effects.design_variance import design_covariance, design_units
    from survey.effects.glm import score_parts

    scores, information = score_parts(frame, fit.params.to_numpy(), fit.extra["weights"], "binomial")
    ame, influence = average_marginal_effect(frame.X, fit.params.to_numpy(), fit.extra["weights"], 1,
                                             scores @ np.linalg.inv(information))
    full = np.zeros(len(simulated))
    full[frame.rows] = influence
    se = np.sqrt(design_covariance(design_units(design), full)[0, 0])
    reference = domain_difference(design, "y01", by="treated", first=1, second=0, stat="mean").to_frame().iloc[0]
    assert ame == pytest.approx(reference["estimate"], rel=1e-10)
    assert se == pytest.approx(reference["se"], rel=1e-8)


def test_event_study_recovers_a_late_effect_and_flat_pretrends():
    data = simulate_did(seed=4, waves=(2021, 2022, 2023, 2024), first_treated_wave=2023, effect=0.5,
                        shock_sd=0.05)
    d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    result = event_study(d, "y", group="pilot", unit="district", time="wave", reference=2022, B=999)
    table = result.to_frame()
    assert sorted(table["period"].unique()) == [2021, 2023, 2024]
    assert len(table) == 3 * 4
    design_rows = table[table["method"] == "design"].set_index("period")
    assert abs(design_rows.loc[2021, "estimate"]) < 3 * design_rows.loc[2021, "se"]
    for period in (2023, 2024):
        assert design_rows.loc[period, "ci_low"] < 0.5 < design_rows.loc[period, "ci_high"]
    assert set(result.extra["pretrend"]) == {"design", "cr1"}
    assert 0 <= result.extra["pretrend"]["cr1"]["p_value"] <= 1
    with pytest.raises(ConfigError, match="more than two periods"):
        event_study(Design(simulate_did(seed=1), weight="weight", strata="stratum", psu="psu", nest=True),
                    "y", group="pilot", unit="district", time="wave", reference=2023)
    with pytest.raises(ConfigError, match="reference"):
        event_study(d, "y", group="pilot", unit="district", time="wave", reference=1999)


def test_mixed_model_did():
    data = simulate_did(seed=5, effect=0.4, n_per_cell=150)
    design = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    result = did_mixed(design, "y", treated="treated", group="pilot", unit="district", time="wave", psu="psu",
                       covariates=["x"])
    row = result.to_frame().iloc[0]
    assert row["model"] == "did_mixed" and row["method"] == "mixed"
    assert abs(row["estimate"] - 0.4) < 4 * row["se"]
    assert row["district_variance"] > 0 and row["residual_variance"] > 0
    assert "unweighted" in row["note"]


def test_few_treated_clusters_are_flagged():
    data = simulate_did(seed=8, n_treated=2, effect=0.2)
    d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    table = did(d, "y", treated="treated", unit="district", time="wave", B=199).to_frame().set_index("method")
    assert "MacKinnon & Webb" in table.loc["cr1", "note"] and "MacKinnon & Webb" in table.loc["wcr_webb", "note"]
    assert table.loc["design", "note"] == ""


def test_did_errors_are_one_line(simulated, design):
    with pytest.raises(ColumnError, match="'nope'"):
        did(design, "nope", treated="treated", unit="district", time="wave")
    bad = Design(simulated.assign(treated=simulated["treated"] * 2), weight="weight", strata="stratum", psu="psu",
                 nest=True)
    with pytest.raises(ColumnError, match="expected 0/1"):
        did(bad, "y", treated="treated", unit="district", time="wave")
    with pytest.raises(ConfigError, match="model"):
        did(design, "y", treated="treated", unit="district", time="wave", model="probit")
    with pytest.raises(ConfigError, match="methods"):
        did(design, "y", treated="treated", unit="district", time="wave", methods=("hc3",))
    with pytest.raises(ConfigError, match="aliased"):
        did(design, "y", treated="treated", unit="district", time="wave", covariates=["pilot"])


def test_svyglm_errors_are_one_line(simulated, design):
    with pytest.raises(ConfigError, match="family"):
        svyglm(design, "y ~ x", family="gamma")
    with pytest.raises(ColumnError, match="expected 0/1"):
        svyglm(design, "y ~ x", family="binomial")
    with pytest.raises(ColumnError, match="'missing'"):
        svyglm(design, "missing ~ x")
    with pytest.raises(ConfigError, match="formula"):
        svyglm(design, "y + x")
    with pytest.raises(ColumnError, match="subset"):
        svyglm(design, "y ~ x", subset=np.where(simulated["pilot"] == 1, True, None))


def test_svyglm_keeps_rows_with_missing_values_in_the_design(simulated):
    data = simulated.copy()
    data.loc[data.index[:40], "y"] = np.nan
    d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    fit = svyglm(d, "y ~ x")
    assert fit.n == len(data) - 40
    zero = data.assign(weight=np.where(data["y"].isna(), 0.0, data["weight"]), y=data["y"].fillna(0))
    same = svyglm(Design(zero, weight="weight", strata="stratum", psu="psu", nest=True), "y ~ x")
    np.testing.assert_allclose(fit.cov.to_numpy(), same.cov.to_numpy(), rtol=1e-10)
    assert fit.df == same.df
