"""Pre/post panel statistics and interrupted time series against R (tests/reference/svyglm_estimates.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.effects import interrupted_time_series, prepost_binary, prepost_continuous
from survey.errors import ColumnError, ConfigError

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "reference" / "fixtures" / "effects"
PANEL = pd.read_csv(FIXTURES / "data_panel.csv")
PANEL_R = pd.read_csv(FIXTURES / "panel.csv").set_index("measure")
ITS_R = pd.read_csv(FIXTURES / "its.csv")
MONTHLY = ROOT / "data" / "demo" / "raw" / "service_monthly.csv"
RTOL = 1e-6


def test_prepost_continuous_matches_r():
    table = prepost_continuous(PANEL, "pre", "post").to_frame().set_index("measure")
    for measure in ("mean_difference", "cohens_dz", "hedges_gz"):
        for column in ("estimate", "ci_low", "ci_high"):
            np.testing.assert_allclose(table.loc[measure, column], PANEL_R.loc[measure, column], rtol=RTOL,
                                       err_msg=f"{measure} {column}")
    np.testing.assert_allclose(table.loc["mean_difference", "statistic"], PANEL_R.loc["mean_difference", "statistic"],
                               rtol=RTOL)
    np.testing.assert_allclose(table.loc["mean_difference", "p_value"], PANEL_R.loc["mean_difference", "p_value"],
                               rtol=RTOL)
    np.testing.assert_allclose(table.loc["wilcoxon", "p_value"], PANEL_R.loc["wilcoxon", "p_value"], rtol=RTOL)


def test_prepost_binary_matches_r():
    result = prepost_binary(PANEL, "pre_pos", "post_pos")
    table = result.to_frame().set_index("measure")
    b, c = int(result.extra["table"].iloc[1, 0]), int(result.extra["table"].iloc[0, 1])
    assert b + c >= 25  # the chi-square version applies
    np.testing.assert_allclose(table.loc["mcnemar", "statistic"], PANEL_R.loc["mcnemar_chisq", "statistic"], rtol=RTOL)
    np.testing.assert_allclose(table.loc["mcnemar", "p_value"], PANEL_R.loc["mcnemar_chisq", "p_value"], rtol=RTOL)
    for measure in ("risk_difference", "odds_ratio"):
        for column in ("estimate", "ci_low", "ci_high"):
            np.testing.assert_allclose(table.loc[measure, column], PANEL_R.loc[measure, column], rtol=RTOL)


def test_prepost_binary_exact_mcnemar_with_few_discordant_pairs():
    small = PANEL.iloc[:30]
    result = prepost_binary(small, "pre_pos", "post_pos")
    b, c = int(result.extra["table"].iloc[1, 0]), int(result.extra["table"].iloc[0, 1])
    from scipy import stats

    row = result.to_frame().set_index("measure").loc["mcnemar"]
    assert row["method"].startswith("McNemar exact")
    np.testing.assert_allclose(row["p_value"], stats.binomtest(b, b + c).pvalue, rtol=1e-12)


def test_prepost_errors_are_one_line():
    with pytest.raises(ColumnError, match="'missing'"):
        prepost_continuous(PANEL, "pre", "missing")
    with pytest.raises(ColumnError, match="expected 0/1"):
        prepost_binary(PANEL, "pre", "post")
    bad = PANEL.assign(pre=PANEL["pre"].astype(object))
    bad.loc[3, "pre"] = "n/a"
    with pytest.raises(ColumnError, match="row 3"):
        prepost_continuous(bad, "pre", "post")
    with pytest.raises(ConfigError, match="level"):
        prepost_continuous(PANEL, "pre", "post", level=95)


def _pilots_series(monthly: pd.DataFrame) -> pd.DataFrame:
    pilots = monthly[monthly["district"].isin(["linjiang", "qingshan", "yunxi"])]
    return pilots.groupby("month", as_index=False)["hotline_calls"].sum().assign(district="pilots")


def test_its_matches_r_newey_west():
    monthly = pd.read_csv(MONTHLY)
    data = pd.concat([monthly, _pilots_series(monthly)])  # a repeated index must not matter
    table = interrupted_time_series(data, "hotline_calls", "month", "2023-09", by="district").to_frame()
    names = {"t": "pre_trend", "post": "level_change", "since": "slope_change"}
    expected = ITS_R.assign(term=ITS_R["term"].map(names))
    merged = table.merge(expected, on=["series", "term"], suffixes=("", "_r"))
    assert len(merged) == len(expected) == 27
    np.testing.assert_allclose(merged["estimate"], merged["estimate_r"], rtol=RTOL)
    np.testing.assert_allclose(merged["se"], merged["se_r"], rtol=RTOL)
    assert (merged["maxlags"] == merged["maxlags_r"]).all()


def test_its_recovers_the_generators_pilot_effect():
    """Demo truth (truth.json monthly_its_log_scale): level change 0.30 in pilots, none elsewhere.

    One realisation of Poisson series: linjiang's CI (0.305 to 0.537) just misses 0.30.
    """
    monthly = pd.read_csv(MONTHLY)
    table = interrupted_time_series(monthly, "hotline_calls", "month", "2023-09", by="district").to_frame()
    level = table[table["term"] == "level_change"].set_index("series")
    pilots = ["linjiang", "qingshan", "yunxi"]
    assert (level.loc[pilots, "ci_low"] > 0).all()          # a level change in every pilot district
    assert ((level["ci_low"] <= 0.30) & (0.30 <= level["ci_high"])).sum() >= 2  # truth inside 2 of 3 CIs
    others = level.drop(index=pilots)
    assert ((others["ci_low"] <= 0) & (0 <= others["ci_high"])).all()
    np.testing.assert_allclose(level.loc[pilots, "ratio"], np.exp(level.loc[pilots, "estimate"]), rtol=1e-12)


def test_its_linear_and_errors():
    monthly = pd.read_csv(MONTHLY)
    one = monthly[monthly["district"] == "wanghu"]
    linear = interrupted_time_series(one, "hotline_calls", "month", "2023-09", model="loglinear").to_frame()
    assert set(linear["term"]) == {"pre_trend", "level_change", "slope_change"}
    with pytest.raises(ConfigError, match="model"):
        interrupted_time_series(one, "hotline_calls", "month", "2023-09", model="arima")
    with pytest.raises(ColumnError, match="appears twice"):
        interrupted_time_series(monthly, "hotline_calls", "month", "2023-09")
    with pytest.raises(ColumnError, match="before and after"):
        interrupted_time_series(one, "hotline_calls", "month", "2024-12")
