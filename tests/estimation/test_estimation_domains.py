"""Domain estimation, missing values, defaults of estimate(), notes and the result object."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimation_samples import synthetic_sample

import survey.estimation as est
from survey.errors import ColumnError, ConfigError

DESIGN = dict(weight="weight", strata="stratum", psu="psu", nest=True)


@pytest.fixture
def data() -> pd.DataFrame:
    return synthetic_sample(seed=11)


def test_missing_outcome_is_out_of_domain(data):
    """na.rm=TRUE: a missing outcome equals being outside the domain of observed values."""
    design = est.Design(data, **DESIGN)
    direct = est.mean(design, "y").to_frame()
    data = data.assign(observed=data["y"].notna(), y0=data["y"].fillna(0))
    by_observed = est.mean(est.Design(data, **DESIGN), "y0", by="observed").to_frame()
    row = by_observed[by_observed["observed"]].iloc[0]
    np.testing.assert_allclose(direct.loc[0, ["estimate", "se", "df"]].to_numpy(float),
                               row[["estimate", "se", "df"]].to_numpy(float), rtol=1e-12)


def test_domains_are_not_subsets(data):
    """Zero-weighting keeps every PSU in its stratum: the SE differs from a subset design."""
    data = data.assign(rare=np.random.default_rng(3).random(len(data)) < 0.03)  # absent from some PSUs
    design = est.Design(data, **DESIGN)
    domain = est.mean(design, "score", by="rare").to_frame().set_index("rare")
    subset = est.mean(est.Design(data[data.rare], **DESIGN, lonely_psu="adjust"), "score").to_frame()
    assert domain.loc[True, "estimate"] == pytest.approx(subset.loc[0, "estimate"], rel=1e-12)
    assert domain.loc[True, "se"] != pytest.approx(subset.loc[0, "se"], rel=1e-6)


def test_missing_by_values_form_no_domain(data):
    table = est.proportion(est.Design(data, **DESIGN), "y", by="district").to_frame()
    assert table["district"].tolist() == ["east", "north", "south"]


def test_estimate_defaults_to_proportion_for_binary(data):
    result = est.estimate(est.Design(data, **DESIGN), "y", by=["sex"])
    assert result.stat == "proportion" and set(result.to_frame()["ci_method"]) == {"logit"}
    result = est.estimate(est.Design(data.assign(flag=data["y"] == 1), **DESIGN), "flag")
    assert result.stat == "proportion"


def test_estimate_defaults_to_mean_with_a_t_interval(data):
    result = est.estimate(est.Design(data, **DESIGN), "score")
    table = result.to_frame()
    assert result.stat == "mean" and table.loc[0, "ci_method"] == "mean"
    half = table.loc[0, "ci_high"] - table.loc[0, "estimate"]
    from scipy import stats

    assert half == pytest.approx(stats.t.ppf(0.975, table.loc[0, "df"]) * table.loc[0, "se"], rel=1e-12)


def test_estimate_ratio(data):
    result = est.estimate(est.Design(data, **DESIGN), "score", denominator="size")
    assert result.stat == "ratio"
    # a proportion interval asked of a mean is the t interval, and the table says so (the CLI's --ci)
    assert est.estimate(est.Design(data, **DESIGN), "score", ci_method="beta").to_frame().loc[0, "ci_method"] == "mean"


def test_proportion_needs_binary_outcome(data):
    with pytest.raises(ColumnError, match="outcome column 'score': stat='proportion' needs values 0/1"):
        est.proportion(est.Design(data, **DESIGN), "score")


def test_proportion_interval_for_a_mean_is_refused(data):
    with pytest.raises(ConfigError, match="ci_method='beta' is for proportions"):
        est.mean(est.Design(data, **DESIGN), "score", ci_method="beta")


def test_unknown_outcome_column(data):
    with pytest.raises(ColumnError, match="outcome column 'nope': not found"):
        est.mean(est.Design(data, **DESIGN), "nope")


def test_p_zero_gets_a_note_with_logit_and_an_interval_with_nchs(data):
    data = data.assign(never=0.0)
    design = est.Design(data, **DESIGN)
    logit = est.proportion(design, "never").to_frame().iloc[0]
    assert np.isnan(logit["ci_low"]) and "no logit interval" in logit["note"]
    nchs = est.proportion(design, "never", ci_method="beta_nchs").to_frame().iloc[0]
    assert nchs["ci_low"] == 0 and 0 < nchs["ci_high"] < 0.01 and nchs["note"] == "estimate 0: no cv"


def test_domain_without_usable_outcome_is_reported(data):
    data.loc[data.sex == "m", "score"] = np.nan
    table = est.mean(est.Design(data, **DESIGN), "score", by="sex").to_frame().set_index("sex")
    assert table.loc["m", "n"] == 0 and np.isnan(table.loc["m", "estimate"])
    assert table.loc["m", "note"].startswith("no rows with a usable outcome")


def test_deff_with_and_without_replacement(data):
    design = est.Design(data, **DESIGN)
    wor = est.mean(design, "score", by="sex").to_frame()
    rep = est.mean(design, "score", by="sex", deff="replace").to_frame()
    fraction = wor["n"] / wor["n_weighted"]
    np.testing.assert_allclose(wor["deff"], rep["deff"] / (1 - fraction), rtol=1e-12)


def test_design_df_rule(data):
    design = est.Design(data, **DESIGN)
    table = est.mean(design, "score", by="sex", df="design").to_frame()
    assert (table["df"] == design.degf).all()


def test_covariance_diagonal_equals_domain_variances(data):
    design = est.Design(data, **DESIGN)
    table = est.mean(design, "score", by="district").to_frame()
    cov = est.domain_covariance(design, "score", by="district", stat="mean")
    np.testing.assert_allclose(np.diag(cov), table["se"] ** 2, rtol=1e-10)
    assert list(cov.index) == ["district=east", "district=north", "district=south"]


def test_difference_with_design_df(data):
    design = est.Design(data, **DESIGN)
    diff = est.domain_difference(design, "y", by="sex", first="f", second="m", ci_method="mean").to_frame().iloc[0]
    assert diff["df"] == design.degf
    assert diff["ci_low"] < diff["estimate"] < diff["ci_high"]
    with pytest.raises(ConfigError, match="domain \\('x',\\): not found"):
        est.domain_difference(design, "y", by="sex", first="f", second="x")


def test_summary_is_readable(data):
    result = est.proportion(est.Design(data, **DESIGN), "y", by="sex")
    text = result.summary()
    assert text.startswith("proportion of y by sex; 95% CI: logit; df: domain PSUs - strata")
    assert "estimate" in text and "f" in text


def test_domain_lonely_warning_like_r(data):
    data = data[~((data.sex == "m") & (data.stratum == 2) & (data.psu > 1))]
    design = est.Design(data, **DESIGN, lonely_psu="remove", adjust_domain_lonely=True)
    with pytest.warns(est.LonelyPSUWarning, match="only one PSU in the domain"):
        est.mean(design, "score", by="sex")
