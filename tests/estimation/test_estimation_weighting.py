"""Post-stratification, raking, trimming and standardisation: behaviour and errors.

Agreement with R (postStratify, rake, trimWeights, svystandardize) is in
test_estimation_reference.py; here: the weights do what they promise, inputs are checked,
and the variance keeps to its rules (calibration residuals, partitions refused).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from estimation_samples import synthetic_sample

import survey.estimation as est
from survey.errors import ColumnError, ConfigError


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    data = synthetic_sample(seed=11, n=2000)
    data["district"] = data["district"].fillna("north")
    data["age_group"] = np.where(data["score"] > 12, "older", "younger")
    return data


def design(data: pd.DataFrame) -> est.Design:
    return est.Design(data, weight="weight", strata="stratum", psu="psu", nest=True)


def population(data: pd.DataFrame, columns: list[str], scale: float = 1.3) -> pd.DataFrame:
    counts = data.groupby(columns).size().rename("population").reset_index()
    counts["population"] = (counts["population"] * 25 * scale).round()
    return counts


def weighted(d: est.Design, columns: list[str]) -> pd.Series:
    return pd.Series(d.weights(), index=d.data.index).groupby([d.data[c] for c in columns]).sum()


def test_poststratify_matches_cell_totals(sample):
    pop = population(sample, ["district", "sex"])
    d = est.poststratify(design(sample), ["district", "sex"], pop)
    got = weighted(d, ["district", "sex"])
    want = pop.set_index(["district", "sex"])["population"]
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-12)
    assert "post-stratified to district x sex" in d.summary()


def test_poststratified_se_is_smaller_for_a_calibration_variable(sample):
    # the proportion of a post-stratification cell is known: its SE drops to 0
    data = sample.assign(is_north=(sample["district"] == "north").astype(float))
    d = est.poststratify(design(data), "district", population(data, ["district"]))
    r = est.proportion(d, "is_north").to_frame().iloc[0]
    assert r["se"] == pytest.approx(0, abs=1e-12)


def test_rake_matches_every_margin(sample):
    margins = [(["district"], population(sample, ["district"])), (["sex"], population(sample, ["sex"]))]
    d = est.rake(design(sample), margins, epsilon=1e-10, max_iterations=100)
    for columns, pop in margins:
        got = weighted(d, columns)
        np.testing.assert_allclose(got.to_numpy(), pop["population"].to_numpy(), rtol=1e-9)


def test_margins_from_table_sums_the_cross_table(sample):
    table = population(sample, ["district", "sex", "age_group"])
    margins = est.margins_from_table(table, [["district", "sex"], ["age_group"]])
    assert margins[0][1]["population"].sum() == table["population"].sum()
    assert list(margins[1][1]["age_group"]) == ["older", "younger"]


def test_rake_warns_when_not_converged(sample):
    margins = [(["district"], population(sample, ["district"])), (["sex"], population(sample, ["sex"], 1.1))]
    with pytest.warns(est.RakingWarning, match="not converged after 2 sweeps"):
        est.rake(design(sample), margins, max_iterations=2)


def test_cells_are_matched_by_value_across_types(sample):
    pop = population(sample, ["stratum"])
    pop["stratum"] = pop["stratum"].astype(float)  # 1.0 in the table, 1 in the data
    d = est.poststratify(design(sample), "stratum", pop)
    assert d.weights().sum() == pytest.approx(pop["population"].sum())


def test_population_cell_without_sample_is_a_one_line_error(sample):
    pop = pd.concat([population(sample, ["district"]),
                     pd.DataFrame({"district": ["west"], "population": [500.0]})])
    with pytest.raises(ColumnError, match=r"poststratify\(district\): population cell district=west has no sample"):
        est.poststratify(design(sample), "district", pop)
    with pytest.warns(UserWarning, match="cells without sample left out: district=west"):
        est.poststratify(design(sample), "district", pop, partial=True)
    with pytest.raises(ColumnError, match="rake margin district: population cell district=west has no sample"):
        est.rake(design(sample), [("district", pop), ("sex", population(sample, ["sex"]))])


def test_data_cell_missing_from_population_names_rows(sample):
    pop = population(sample, ["district"]).query("district != 'east'")
    with pytest.raises(
        ColumnError, match=r"cell district='east' of the data is not in the population table; e\.g\. rows"
    ):
        est.poststratify(design(sample), "district", pop)


def test_bad_population_tables(sample):
    pop = population(sample, ["district"])
    with pytest.raises(ConfigError, match="repeats the cell"):
        est.poststratify(design(sample), "district", pd.concat([pop, pop.iloc[:1]]))
    with pytest.raises(ColumnError, match="population column 'population': expected counts >= 0"):
        est.poststratify(design(sample), "district", pop.assign(population=-1.0))
    with pytest.raises(ColumnError, match="lacks the cell column 'sex'"):
        est.poststratify(design(sample), ["district", "sex"], pop)
    with pytest.raises(ColumnError, match="cell column 'nope' not found"):
        est.poststratify(design(sample), "nope", pop)


def test_rake_refuses_zero_weights(sample):
    data = sample.copy()
    data.loc[data.index[:3], "weight"] = 0.0
    with pytest.raises(
        ColumnError, match="rake: weight column 'weight': expected positive weights, found 0 in rows 0, 1, 2"
    ):
        est.rake(design(data), [("district", population(data, ["district"]))])


def test_trim_weights_as_r(sample):
    d = est.trim_weights(design(sample), lower=25, upper=70)
    w, old = d.weights(), design(sample).weights()
    assert w.sum() == pytest.approx(old.sum())
    inside = (old >= 25) & (old <= 70)
    shift = (old - np.clip(old, 25, 70)).sum() / inside.sum()
    np.testing.assert_allclose(w[inside], old[inside] + shift)
    strict = est.trim_weights(design(sample), lower=25, upper=70, strict=True).weights()
    assert strict.min() >= 25 - 1e-9 and strict.max() <= 70 + 1e-9
    with pytest.raises(ConfigError, match="expected lower <= upper"):
        est.trim_weights(design(sample), lower=5, upper=1)


def test_calibrated_design_keeps_its_rows(sample):
    d = est.poststratify(design(sample), "district", population(sample, ["district"]))
    with pytest.raises(ConfigError, match="with_data: the design is calibrated"):
        d.with_data(sample.iloc[:10])
    totals = est.combine_totals([est.psu_totals(design(sample), "y", by="sex")])
    totals = totals.iloc[:-1]  # not the design's own totals any more
    with pytest.raises(ConfigError, match="totals table was not summed from this design's rows"):
        est.finalize(totals, d)
    # rao_scott takes the calibration residuals (R svychisq on a calibrated design): see test_estimation_greg_models
    assert np.isfinite(est.rao_scott(d, "sex", "district").to_frame()["p_value"]).all()


def test_domain_difference_uses_the_calibration(sample):
    d = est.poststratify(design(sample), ["district", "sex"], population(sample, ["district", "sex"]))
    difference = est.domain_difference(d, "y", by="sex", first="f", second="m").to_frame().iloc[0]
    by_sex = est.proportion(d, "y", by="sex").to_frame().set_index("sex")
    cov = est.domain_covariance(d, "y", by="sex")
    assert difference["estimate"] == pytest.approx(by_sex.loc["f", "estimate"] - by_sex.loc["m", "estimate"])
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), by_sex["se"].to_numpy(), rtol=1e-12)


def test_aggregate_standard_splits_five_year_groups_uniformly():
    standard = pd.DataFrame({"age_group": ["15-19", "20-24", "25+"], "age_low": [15, 20, 25],
                             "age_high": [19, 24, np.nan], "population": [100.0, 50.0, 30.0]})
    table = est.aggregate_standard(standard, [18, 22], ["18-21", "22+"])
    assert table["population"].tolist() == [40 + 20, 30 + 30]


def test_shipped_standards():
    who = est.standard_population("who_world_standard_2001")
    assert int(who["population"].sum()) == 100035  # the published (rounded) weights
    assert len(who) == 21 and who["age_high"].isna().sum() == 1
    china = est.standard_population("china_2020_census")
    assert china.attrs["metadata"]["status"].startswith("APPROXIMATE")
    assert china["population"].iloc[:3].sum() == 253_383_938  # communique: population aged 0-14
    adults = est.aggregate_standard(china, [18, 30, 45, 60, 75], ["18-29", "30-44", "45-59", "60-74", "75+"])
    assert adults["population"].iloc[0] == pytest.approx(0.4 * 72_690_000 + 74_940_000 + 91_850_000)
    with pytest.raises(ConfigError, match="expected one of who_world_standard_2001, china_2020_census"):
        est.standard_population("nowhere")


def test_standardize_gives_the_standard_mix_in_every_domain(sample):
    standard = pd.DataFrame({"age_group": ["younger", "older"], "population": [700.0, 300.0]})
    d = est.standardize(design(sample), "age_group", standard, over="district", excluding_missing="y")
    kept = sample["y"].notna()
    w = pd.Series(d.weights(), index=sample.index)
    share = w.groupby([sample["district"], sample["age_group"]]).sum() / w.groupby(sample["district"]).sum()
    np.testing.assert_allclose(share.xs("younger", level="age_group"), 0.7, rtol=1e-12)
    assert (w[~kept] == 0).all()
    # each district keeps its weighted total among the rows kept
    before = pd.Series(design(sample).weights(), index=sample.index)[kept].groupby(sample["district"]).sum()
    np.testing.assert_allclose(w.groupby(sample["district"]).sum(), before, rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.proportion(d, "y", by="district")


def test_standardize_needs_every_sample_cell_in_the_standard(sample):
    standard = pd.DataFrame({"age_group": ["younger"], "population": [700.0]})
    with pytest.raises(ColumnError, match="standard population has no row for the sample's cell age_group='older'"):
        est.standardize(design(sample), "age_group", standard)


def test_cell_labels_a_column_at_a_time_are_the_labels_cell_by_cell():
    from survey.estimation.weighting import _cell_label, _cell_labels

    pop = pd.DataFrame({"district": ["a", "b", "c", "d"] * 3, "sex": np.arange(12) % 2,
                        "f": np.array([0.1, 2.0, -0.0, 1e16, np.nan, 1 / 3] * 2),
                        "age_group": pd.Categorical(["18-29", "30-44", "45-59"] * 4),
                        "n": pd.array([1, None, 3, 4] * 3, dtype="Int64"), "b": [True, False] * 6,
                        "s": pd.array(["x", None, "z", "w"] * 3, dtype="str"),
                        "t": pd.to_datetime(["2024-01-01 00:00", "2024-01-02 09:30"] * 6)})
    rows = np.array([0, 3, 4, 11, 5])
    for columns in (list(pop.columns), ["district", "sex"], []):
        assert _cell_labels(pop, columns, rows) == [_cell_label(pop, columns, i) for i in rows]
