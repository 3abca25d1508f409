"""One computation, any size: partitions summed with combine_totals give the in-memory result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from estimation_samples import synthetic_sample as synthetic

import survey.estimation as est
from survey.errors import ColumnError, ConfigError

NUMERIC = ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "n_weighted", "cv"]


def split(data: pd.DataFrame, parts: int = 3, seed: int = 1) -> list[pd.DataFrame]:
    order = np.random.default_rng(seed).permutation(len(data))  # PSUs end up in several parts
    return [data.iloc[chunk] for chunk in np.array_split(order, parts)]


DESIGNS = {
    "one_stage": dict(weight="weight", strata="stratum", psu="psu", nest=True, fpc="n_psu"),
    "two_stage": dict(weight="weight", strata="stratum", psu=["psu", "ssu"], nest=True, fpc=["n_psu", "n_ssu"]),
    "no_fpc": dict(weight="weight", strata="stratum", psu="psu", nest=True),
}
STATS = [
    ("proportion", "y", None, "beta_nchs"),
    ("proportion", "y", None, "logit"),
    ("mean", "score", None, "mean"),
    ("total", "score", None, "mean"),
    ("ratio", "score", "size", "mean"),
]


@pytest.mark.parametrize("design_name", sorted(DESIGNS))
@pytest.mark.parametrize(("stat", "outcome", "denominator", "ci"), STATS)
def test_three_partitions_give_the_in_memory_result(design_name, stat, outcome, denominator, ci):
    data = synthetic()
    design = est.Design(data, **DESIGNS[design_name])
    by = ["district", "sex"]
    whole = est.finalize(est.psu_totals(design, outcome, by=by, denominator=denominator), design, stat, ci_method=ci)
    parts = [est.psu_totals(design.with_data(chunk), outcome, by=by, denominator=denominator) for chunk in split(data)]
    combined = est.finalize(est.combine_totals(parts), design.with_data(data.iloc[:10]), stat, ci_method=ci)
    a, b = whole.to_frame(), combined.to_frame()
    pd.testing.assert_frame_equal(a[by], b[by])
    np.testing.assert_allclose(b[NUMERIC].to_numpy(float), a[NUMERIC].to_numpy(float), rtol=1e-12, atol=0)
    assert (a["n"] == b["n"]).all() and (a["df"] == b["df"]).all()


def test_rows_as_psus_partitions():
    data = synthetic()
    design = est.Design(data, weight="weight", strata="stratum")
    whole = est.mean(design, "score", by="sex").to_frame()
    parts = [est.psu_totals(design.with_data(chunk), "score", by="sex") for chunk in split(data)]
    combined = est.finalize(est.combine_totals(parts), design, "mean").to_frame()
    np.testing.assert_allclose(combined[NUMERIC].to_numpy(float), whole[NUMERIC].to_numpy(float), rtol=1e-12)


def test_rows_as_psus_partitions_must_not_share_labels():
    data = synthetic()
    design = est.Design(data, weight="weight", strata="stratum")
    first, second = data.iloc[:100], data.iloc[100:200].set_axis(range(100))
    parts = [est.psu_totals(design.with_data(p), "score") for p in (first, second)]
    with pytest.raises(ColumnError, match="partitions share row labels"):
        est.combine_totals(parts)


def test_partitions_must_match():
    data = synthetic()
    design = est.Design(data, **DESIGNS["one_stage"])
    a = est.psu_totals(design.with_data(data.iloc[:100]), "y")
    b = est.psu_totals(design.with_data(data.iloc[100:]), "score")
    with pytest.raises(ConfigError, match="partition 1 was summed for"):
        est.combine_totals([a, b])


def test_design_checks_run_on_the_combined_totals():
    data = synthetic()
    data.loc[data.stratum == 3, "psu"] = 1  # stratum 3 keeps a single PSU
    design = est.Design(data, **DESIGNS["no_fpc"], partition=True)
    parts = [est.psu_totals(design.with_data(chunk), "y") for chunk in split(data)]
    with pytest.raises(ConfigError, match="stratum 3 of 'stratum' has a single PSU"):
        est.finalize(est.combine_totals(parts), design)


def test_a_psu_split_across_partitions_is_not_lonely():
    data = synthetic().sort_values(["stratum", "psu"])
    design = est.Design(data, **DESIGNS["no_fpc"])
    # the first partition ends inside stratum 1 with only some of its PSUs
    parts = [data.iloc[:150], data.iloc[150:]]
    totals = est.combine_totals(est.psu_totals(design.with_data(p), "y") for p in parts)
    result = est.finalize(totals, design).to_frame()
    expected = est.proportion(design, "y").to_frame()
    np.testing.assert_allclose(result["se"], expected["se"], rtol=1e-12)
