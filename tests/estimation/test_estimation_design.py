"""Design validation: one-line errors naming the column, what was expected and example rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est
from survey.errors import ColumnError, ConfigError, SurveyError


@pytest.fixture
def sample() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "w": [10.0, 12, 8, 9, 11, 7, 10, 6],
            "h": [1, 1, 1, 1, 2, 2, 2, 2],
            "p": [1, 1, 2, 2, 1, 1, 2, 2],
            "y": [0, 1, 1, 0, 1, 1, 0, 1],
            "N": [40, 40, 40, 40, 30, 30, 30, 30],
        }
    )


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text
    return text


def test_valid_design_reports_degrees_of_freedom(sample):
    design = est.Design(sample, weight="w", strata="h", psu="p", nest=True)
    assert design.degf == 2
    assert "2 strata, 4 PSUs" in design.summary()


@pytest.mark.parametrize(
    ("value", "problem"), [(-1.0, "negative values"), (np.nan, "missing values"), (np.inf, "infinite values")]
)
def test_bad_weights_are_named_with_rows(sample, value, problem):
    sample.loc[[3, 5], "w"] = value
    with pytest.raises(ColumnError) as info:
        est.Design(sample, weight="w", strata="h", psu="p", nest=True)
    text = one_line(info.value)
    assert "weight column 'w'" in text and problem in text and "rows 3, 5" in text


def test_non_numeric_weight(sample):
    sample["w"] = sample["w"].astype(object)
    sample.loc[2, "w"] = "ten"
    with pytest.raises(ColumnError, match=r"weight column 'w': expected numbers, found 'ten' in row 2"):
        est.Design(sample, weight="w")


def test_missing_column(sample):
    with pytest.raises(ColumnError, match=r"strata column 'stratum': not found"):
        est.Design(sample, weight="w", strata="stratum")


def test_missing_psu_values(sample):
    sample["p"] = sample["p"].astype(float)
    sample.loc[6, "p"] = np.nan
    with pytest.raises(ColumnError, match=r"psu column 'p': expected no missing values, found 1 in row 6"):
        est.Design(sample, weight="w", strata="h", psu="p", nest=True)


def test_psu_codes_repeated_across_strata_need_nest(sample):
    with pytest.raises(ColumnError) as info:
        est.Design(sample, weight="w", strata="h", psu="p")
    text = one_line(info.value)
    assert "psu column 'p'" in text and "strata 1, 2" in text and "nest=True" in text and "e.g. row" in text


def test_lonely_stratum_fails_by_default(sample):
    sample.loc[sample.h == 2, "p"] = 1
    with pytest.raises(ConfigError) as info:
        est.Design(sample, weight="w", strata="h", psu="p", nest=True)
    text = one_line(info.value)
    assert "stratum 2 of 'h' has a single PSU" in text and "lonely_psu=" in text and "e.g. row 7" in text


def test_lonely_stratum_with_certainty_fpc_is_not_lonely(sample):
    sample.loc[sample.h == 2, "p"] = 1
    sample["N"] = np.where(sample.h == 2, 1, 40)  # the one PSU of stratum 2 is the whole stratum
    design = est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="N")
    assert design.degf == 1


@pytest.mark.parametrize("policy", ["remove", "certainty", "adjust", "average"])
def test_lonely_policies_accepted(sample, policy):
    sample.loc[sample.h == 2, "p"] = 1
    design = est.Design(sample, weight="w", strata="h", psu="p", nest=True, lonely_psu=policy)
    table = est.mean(design, "y").to_frame()
    assert np.isfinite(table.loc[0, "se"])


def test_unknown_policy(sample):
    with pytest.raises(ConfigError, match="lonely_psu: expected one of fail, remove"):
        est.Design(sample, weight="w", lonely_psu="drop")


def test_fpc_varies_within_stratum(sample):
    sample.loc[2, "N"] = 50
    with pytest.raises(ColumnError) as info:
        est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="N")
    text = one_line(info.value)
    assert "fpc column 'N'" in text and "one value per stratum" in text and "40" in text and "50" in text


def test_fpc_mixes_sizes_and_fractions(sample):
    sample["N"] = sample["N"].astype(float)
    sample.loc[sample.h == 2, "N"] = 0.5
    with pytest.raises(ColumnError, match="population sizes .* or all sampling fractions"):
        est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="N")


def test_fpc_smaller_than_sample(sample):
    sample["N"] = 1
    sample.loc[sample.h == 1, "N"] = 5
    with pytest.raises(ColumnError, match="more than 100% sampled"):
        est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="N")


def test_fpc_as_fraction_equals_population_size(sample):
    as_size = est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="N")
    sample["f"] = 2 / sample["N"]  # two PSUs sampled per stratum
    as_fraction = est.Design(sample, weight="w", strata="h", psu="p", nest=True, fpc="f")
    a = est.mean(as_size, "y").to_frame()
    b = est.mean(as_fraction, "y").to_frame()
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-12)


def test_rows_as_psus_need_a_unique_index(sample):
    sample.index = [0, 1, 2, 3, 4, 5, 5, 6]
    with pytest.raises(ColumnError, match="index: .* unique.*rows 5, 5"):
        est.Design(sample, weight="w", strata="h")


def test_single_psu_design(sample):
    with pytest.raises(ColumnError, match="at least two PSUs"):
        est.Design(sample.assign(p=1), weight="w", psu="p")


def test_errors_are_survey_errors(sample):
    with pytest.raises(SurveyError):
        est.Design(sample, weight="nope")


def test_with_weights_replaces_the_weight(sample):
    design = est.Design(sample, weight="w", strata="h", psu="p", nest=True)
    doubled = design.with_weights(sample["w"] * 2)
    assert doubled.weight == "calibrated_weight"
    a, b = est.mean(design, "y").to_frame(), est.mean(doubled, "y").to_frame()
    np.testing.assert_allclose(a["estimate"], b["estimate"])
    np.testing.assert_allclose(b["n_weighted"], 2 * a["n_weighted"])
    with pytest.raises(ColumnError, match="weight column 'calibrated_weight': expected finite weights >= 0"):
        design.with_weights(-sample["w"])


def test_design_is_frozen(sample):
    design = est.Design(sample, weight="w")
    with pytest.raises(AttributeError):
        design.weight = "y"


def test_partition_design_defers_structure_checks(sample):
    part = est.Design(sample.iloc[:3], weight="w", strata="h", psu="p", nest=True, partition=True)
    with pytest.raises(ConfigError, match="partition"):
        _ = part.degf
