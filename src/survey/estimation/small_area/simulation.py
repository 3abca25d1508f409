"""Simulated counties with a known prevalence, to check the Fay–Herriot estimates against the true prevalence.

Each replication draws ``m`` counties: two covariates (an urban share and a standardised income),
a true prevalence ``logit(P_i) = -1.7 + 0.8 urban_i - 0.3 income_i + u_i`` with ``u_i ~ N(0, 0.25^2)``,
sample sizes log-uniform on 150-3000 and design effects uniform on 1.2-2.5. A sampled county's
direct estimate is the share of positives among its ``n / deff`` effective respondents, with the
design variance ``p(1-p) deff / n`` evaluated at the estimate (so it is estimated, as in a survey,
and is 0 when the estimate is 0); ``unsampled`` counties have none. :func:`coverage` fits the model
to every replication and compares direct, model and published (the study rule: direct where it
passes the NCHS 2017 rule, with df 30, else model) estimates with the true prevalence.

Example
-------
>>> summary, per_county = coverage(20, transform="arcsine", seed=1)     # doctest: +SKIP
>>> summary[["estimator", "mse_ratio", "coverage"]]                     # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.estimation.publication import apply_rules
from survey.estimation.small_area.model import fay_herriot

VARIABLES = ["urban", "income"]


def simulate_counties(m: int = 100, seed: int = 0, unsampled: int = 0, sigma_u: float = 0.25,
                      n_range=(150, 3000), deff_range=(1.2, 2.5)):
    """One replication: ``(direct, covariates, true_p)``; the last ``unsampled`` counties have no sample."""
    rng = np.random.default_rng(seed)
    urban, income = rng.uniform(0, 1, m), rng.normal(0, 1, m)
    true_p = 1 / (1 + np.exp(-(-1.7 + 0.8 * urban - 0.3 * income + rng.normal(0, sigma_u, m))))
    n = np.round(np.exp(rng.uniform(*np.log(n_range), m))).astype(int)
    deff = rng.uniform(*deff_range, m)
    n_eff = np.maximum(np.round(n / deff), 1).astype(int)
    p = rng.binomial(n_eff, true_p) / n_eff
    codes = np.array([f"c{i:03d}" for i in range(m)])
    direct = pd.DataFrame({"district": codes, "estimate": p, "se": np.sqrt(p * (1 - p) * deff / n), "n": n,
                           "deff": deff, "df": 30.0})
    covariates = pd.DataFrame({"district": codes, "urban": urban, "income": income})
    return direct.iloc[: m - unsampled], covariates, pd.Series(true_p, index=codes, name="true_prevalence")


def coverage(replications: int, *, m: int = 100, unsampled: int = 10, transform: str = "arcsine",
             method: str = "reml", n_boot: int = 200, seed: int = 0, level_z: float = 1.959963984540054):
    """Fit every replication; returns ``(summary, per_county)``.

    ``summary``: one row per estimator (direct, model, model on synthetic counties, published) with
    the mean squared error against the true prevalence, its ratio to the direct estimates' (same counties),
    the coverage of estimate +/- z * root-MSE (direct: its SE) and the ratio of the mean estimated
    MSE to the actual one. ``per_county``: every county of every replication.
    """
    rows = []
    for r in range(replications):
        direct, covariates, true_p = simulate_counties(m, seed=seed + r, unsampled=unsampled)
        flags = apply_rules(direct)[["district", "flag"]]
        fit = fay_herriot(direct, covariates, variables=VARIABLES, transform=transform, method=method,
                          n_boot=n_boot, seed=seed + r)
        table = fit.to_frame().merge(direct[["district", "n"]], on="district", how="left").merge(
            flags, on="district", how="left")
        table["true_prevalence"] = true_p.reindex(table["district"]).to_numpy()
        table["replication"] = r
        rows.append(table)
    per = pd.concat(rows, ignore_index=True)
    sampled = per["direct"].notna()
    passes = sampled & (per["flag"] != "suppress")
    per["published"] = np.where(passes, per["direct"], per["model"])
    per["published_se"] = np.where(passes, per["direct_se"], per["model_mse_root"])

    def row(name, mask, estimate, se):
        err2 = (per.loc[mask, estimate] - per.loc[mask, "true_prevalence"]) ** 2
        direct_err2 = (per.loc[mask & sampled, "direct"] - per.loc[mask & sampled, "true_prevalence"]) ** 2
        covered = np.abs(per.loc[mask, estimate] - per.loc[mask, "true_prevalence"]) <= level_z * per.loc[mask, se]
        return {"estimator": name, "counties": int(mask.sum()), "mse": err2.mean(),
                "mse_ratio": err2.mean() / direct_err2.mean() if (mask & sampled).any() else np.nan,
                "coverage": covered.mean(), "coverage_mc_se": np.sqrt(covered.mean() * (1 - covered.mean())
                                                                      / mask.sum()),
                "mse_estimated_over_actual": (per.loc[mask, se] ** 2).mean() / err2.mean()}

    usable = sampled & ~per["synthetic"]
    summary = pd.DataFrame([
        row("direct", usable, "direct", "direct_se"),
        row("model", usable, "model", "model_mse_root"),
        row("model, n < 500", usable & (per["n"] < 500), "model", "model_mse_root"),
        row("model, synthetic", per["synthetic"], "model", "model_mse_root"),
        row("published (direct if it passes NCHS 2017, else model)", sampled, "published", "published_se"),
    ])
    summary.insert(0, "transform", transform)
    summary.insert(1, "method", method)
    summary["published_from_model"] = float((sampled & ~passes).sum() / sampled.sum())
    return summary, per
