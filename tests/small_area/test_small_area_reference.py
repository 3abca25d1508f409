"""The Fay–Herriot EBLUP, MSE and parameters agree with samplics' area-level EBLUP to 1e-6.

Fixtures: tests/reference/samplics_regenerate.sh, which runs samplics in a virtual environment of its own
(samplics is not a dependency of the workspace); see that script for how they were made.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.estimation.small_area import fay_herriot

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "small_area"
TOLERANCE = 1e-6


def _fixture(name, method):
    data = pd.read_csv(FIXTURES / f"{name}_input.csv")
    estimates = pd.read_csv(FIXTURES / "samplics_estimates.csv")
    params = pd.read_csv(FIXTURES / "samplics_parameters.csv")
    ref = estimates[(estimates["dataset"] == name) & (estimates["method"] == method)].set_index("area")
    par = params[(params["dataset"] == name) & (params["method"] == method)].set_index("term")["value"].astype(float)
    return data, ref, par


@pytest.mark.parametrize("name", ["milk", "proportions"])
@pytest.mark.parametrize("method", ["reml", "ml"])
def test_eblup_mse_and_parameters_agree_with_samplics(name, method):
    data, ref, par = _fixture(name, method)
    covariates = [c for c in data.columns if c not in ("area", "direct", "se")]
    fit = fay_herriot(data, data, variables=covariates, area="area", estimate="direct", transform="none",
                      method=method)
    table = fit.to_frame().set_index("area").loc[ref.index.astype(str)]  # areas are matched as text
    assert not table["synthetic"].any()
    np.testing.assert_allclose(fit.fit.sigma2, par["sigma2_u"], rtol=TOLERANCE)
    np.testing.assert_allclose(table["model"], ref["estimate"], rtol=TOLERANCE)
    np.testing.assert_allclose(table["model_mse_root"] ** 2, ref["mse"], rtol=TOLERANCE)
    coefficients = fit.coefficients.set_index("term")
    np.testing.assert_allclose(coefficients["estimate"], par[[f"beta:{t}" for t in coefficients.index]],
                               rtol=TOLERANCE)
    np.testing.assert_allclose(coefficients["se"], par[[f"beta_se:{t}" for t in coefficients.index]],
                               rtol=TOLERANCE)
    assert fit.fit.converged


def test_fixtures_record_versions():
    params = pd.read_csv(FIXTURES / "samplics_parameters.csv")
    versions = params[params["dataset"] == "versions"].set_index("term")["value"]
    assert versions["samplics"] == "0.6.1"
