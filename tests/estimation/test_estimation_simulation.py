"""Repeated sampling from a known population: 95% intervals cover the truth 93-97% of the time.

Population: 12 strata x 40 PSUs x 60 people, with PSU effects (intra-cluster correlation) and a
binary and a continuous outcome. Each of 600 samples draws 6 PSUs per stratum without
replacement (all people in them), so the design is stratified one-stage cluster sampling with
a stage-1 FPC (df = 72 - 12 = 60). The proportion is also estimated after post-stratifying
to the population's sex counts (variance with the calibration residuals).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est

N_STRATA, N_PSU, N_PEOPLE, TAKE, SAMPLES = 12, 40, 60, 6, 600


def population(rng: np.random.Generator) -> pd.DataFrame:
    size = N_STRATA * N_PSU * N_PEOPLE
    stratum = np.repeat(np.arange(N_STRATA), N_PSU * N_PEOPLE)
    psu = np.repeat(np.arange(N_STRATA * N_PSU), N_PEOPLE)
    psu_effect = rng.normal(0, 0.6, N_STRATA * N_PSU)[psu]
    sex = rng.integers(0, 2, size)
    logit = -1.2 + 0.08 * stratum + 0.4 * sex + psu_effect
    return pd.DataFrame(
        {
            "stratum": stratum,
            "psu": psu,
            "sex": np.where(sex == 1, "m", "f"),
            "y": (rng.random(size) < 1 / (1 + np.exp(-logit))).astype(float),
            "score": 20 + stratum + 3 * psu_effect + rng.normal(0, 4, size),
            "n_psu": N_PSU,
        }
    )


def draw(pop: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    chosen = np.concatenate(
        [h * N_PSU + rng.choice(N_PSU, TAKE, replace=False) for h in range(N_STRATA)]
    )
    sample = pop[np.isin(pop["psu"].to_numpy(), chosen)].copy()
    sample["weight"] = N_PSU / TAKE
    return sample


@pytest.mark.slow
def test_coverage_of_95_percent_intervals():
    rng = np.random.default_rng(20240917)
    pop = population(rng)
    truth = {
        "proportion": pop["y"].mean(),
        "proportion_f": pop.loc[pop.sex == "f", "y"].mean(),
        "mean": pop["score"].mean(),
        "total": pop["score"].sum(),
    }
    sex_counts = pop.groupby("sex").size().rename("population").reset_index()
    hits = {key: 0 for key in [*truth, "proportion_beta", "proportion_poststratified"]}
    estimates, variances = [], []
    for _ in range(SAMPLES):
        sample = draw(pop, rng)
        design = est.Design(sample, weight="weight", strata="stratum", psu="psu", fpc="n_psu")
        p = est.proportion(design, "y").to_frame().iloc[0]
        p_beta = est.proportion(design, "y", ci_method="beta").to_frame().iloc[0]
        p_f = est.proportion(design, "y", by="sex").to_frame().set_index("sex").loc["f"]
        m = est.mean(design, "score").to_frame().iloc[0]
        t = est.total(design, "score").to_frame().iloc[0]
        p_ps = est.proportion(est.poststratify(design, "sex", sex_counts), "y").to_frame().iloc[0]
        for key, row in [("proportion", p), ("proportion_beta", p_beta), ("proportion_f", p_f),
                         ("mean", m), ("total", t), ("proportion_poststratified", p_ps)]:
            target = truth[key.replace("_beta", "").replace("_poststratified", "")]
            hits[key] += row["ci_low"] <= target <= row["ci_high"]
        estimates.append(p["estimate"])
        variances.append(p["se"] ** 2)
    coverage = {key: value / SAMPLES for key, value in hits.items()}
    print(f"coverage of 95% intervals over {SAMPLES} samples: {coverage}")  # shown with pytest -s
    assert all(0.93 <= c <= 0.97 for c in coverage.values()), coverage
    # the linearised variance is close to the sampling variance of the estimate
    assert np.mean(variances) / np.var(estimates) == pytest.approx(1, abs=0.15)
    assert np.mean(estimates) == pytest.approx(truth["proportion"], abs=0.005)
