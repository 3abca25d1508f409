#!/bin/sh
# Regenerate the samplics fixtures in tests/reference/fixtures/small_area/ (the Fay–Herriot model's
# reference, tests/small_area/test_small_area_reference.py) in one command:
#   sh tests/reference/samplics_regenerate.sh
# samplics is not a dependency of the workspace (it needs polars and is not in the lock), so this
# makes a throwaway virtual environment of its own (SAMPLICS_VENV, default /tmp/samplics-venv) with
# samplics 0.6.1 and runs the Python below there; CI reads the committed CSV files and needs neither.
#
# Two data sets, REML and ML each, fitted with samplics' Fisher scoring run to a relative tolerance
# of 1e-13 (its default, 1e-4, stops too early for a 1e-6 comparison).
#
# samplics 0.6.1's ML fit stops after two Fisher steps whatever the tolerance: from the second step on
# ``sigma2_v`` is a one-element array, so ``sigma2_v_previous = sigma2_v`` followed by ``sigma2_v += ...``
# changes both and the relative change reads 0. For ML this script therefore iterates samplics' own
# score and information (``_partial_derivatives``) to convergence and starts ``fit`` there (its two
# steps then stay at the fixed point); everything else (beta, its SEs, EBLUP, MSE) is samplics' own.
#
# * ``milk``: expenditure on milk by small area (43 areas; shipped with samplics, from Arora & Lahiri
#   1997; the `milk` data of R's sae), with the major area as three indicator covariates.
# * ``proportions``: 40 synthetic county proportions with two covariates (seeded, made here).
#
# Writes fixtures/small_area/: ``<dataset>_input.csv`` (area, direct, se, covariates),
# ``samplics_estimates.csv`` (dataset, method, area, estimate, mse) and ``samplics_parameters.csv``
# (dataset, method, term, value: sigma2_u, beta and the SEs of beta) with the versions used.
set -e
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${SAMPLICS_VENV:-/tmp/samplics-venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet samplics==0.6.1
cd "$ROOT/tests/reference"
"$VENV/bin/python" -W ignore - <<'PYTHON'
from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
from samplics.datasets import load_expenditure_milk
from samplics.sae import EblupAreaModel
from samplics.utils.types import FitMethod

OUT = Path.cwd() / "fixtures" / "small_area"
TOL = 1e-13


def milk() -> pd.DataFrame:
    raw = load_expenditure_milk()["data"]
    frame = pd.DataFrame({"area": raw["small_area"].astype(int), "direct": raw["direct_est"],
                          "se": raw["std_error"]})
    for level in (2, 3, 4):
        frame[f"major{level}"] = (raw["major_area"] == level).astype(float)
    return frame


def proportions() -> pd.DataFrame:
    rng = np.random.default_rng(20261202)
    m = 40
    x1, x2 = rng.uniform(0, 1, m), rng.normal(0, 1, m)
    truth = 1 / (1 + np.exp(-(-1.6 + 0.9 * x1 + 0.25 * x2 + rng.normal(0, 0.35, m))))
    n = rng.integers(150, 3000, m)
    p = rng.binomial(n, truth) / n
    se = np.sqrt(p * (1 - p) * rng.uniform(1.2, 2.5, m) / n)
    return pd.DataFrame({"area": np.arange(1, m + 1), "direct": p, "se": se, "x1": x1, "x2": x2})


def ml_start(frame: pd.DataFrame, covariates: list[str]) -> float:
    """The ML estimate of sigma_u^2 by samplics' own Fisher scoring steps, iterated to convergence."""
    model = EblupAreaModel(method=FitMethod.ml)
    x = np.insert(frame[covariates].to_numpy(), 0, 1, axis=1)
    sigma2 = 0.001 ** 2
    for _ in range(10_000):
        score, info = model._partial_derivatives(area=frame["area"].to_numpy(), yhat=frame["direct"].to_numpy(), X=x,
                                                 sigma2_e=frame["se"].to_numpy() ** 2, sigma2_v=sigma2,
                                                 b_const=np.ones(len(frame)))
        new = float(np.ravel(sigma2 + score / info)[0])
        if abs(new - sigma2) <= TOL * abs(sigma2):
            return new
        sigma2 = new
    sys.exit("ML: samplics' Fisher scoring did not converge")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    estimates, parameters = [], []
    for name, frame in (("milk", milk()), ("proportions", proportions())):
        frame.to_csv(OUT / f"{name}_input.csv", index=False, float_format="%.17g")
        covariates = [c for c in frame.columns if c not in ("area", "direct", "se")]
        for method in ("REML", "ML"):
            model = EblupAreaModel(method=getattr(FitMethod, method.lower()))
            start = np.sqrt(ml_start(frame, covariates)) if method == "ML" else 0.001
            model.fit(yhat=frame["direct"].to_numpy(), X=frame[covariates].to_numpy(), area=frame["area"].to_numpy(),
                      error_std=frame["se"].to_numpy(), re_std_start=start, tol=TOL, maxiter=10_000)
            model.predict(X=frame[covariates].to_numpy(), area=frame["area"].to_numpy())
            if not model.convergence["achieved"]:
                sys.exit(f"{name} {method}: samplics did not converge: {model.convergence}")
            estimates.append(pd.DataFrame({"dataset": name, "method": method.lower(), "area": frame["area"],
                                           "estimate": [model.area_est[a] for a in frame["area"]],
                                           "mse": [model.area_mse[a] for a in frame["area"]]}))
            terms = ["(intercept)", *covariates]
            rows = [("sigma2_u", float(np.ravel(model.re_std)[0]) ** 2)]
            rows += [(f"beta:{t}", b) for t, b in zip(terms, model.fixed_effects, strict=True)]
            rows += [(f"beta_se:{t}", s) for t, s in zip(terms, model.fe_std, strict=True)]
            rows += [("iterations", int(model.convergence["iterations"]))]
            parameters.append(pd.DataFrame(rows, columns=["term", "value"]).assign(dataset=name, method=method.lower()))
    pd.concat(estimates).to_csv(OUT / "samplics_estimates.csv", index=False, float_format="%.17g")
    params = pd.concat(parameters)[["dataset", "method", "term", "value"]]
    versions = pd.DataFrame({"dataset": "versions", "method": "", "term": ["samplics", "numpy", "python"],
                             "value": [version("samplics"), np.__version__, sys.version.split()[0]]})
    pd.concat([params.astype({"value": object}), versions]).to_csv(OUT / "samplics_parameters.csv", index=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
PYTHON
