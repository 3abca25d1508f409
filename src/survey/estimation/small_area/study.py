"""A study's county table: the direct estimate where it passes the publication rule, else the model's.

For a study that declares ``analysis.small_area`` (a covariate table beside study.yaml), the
estimation step calls :func:`small_area_table` with its crude prevalence table. For every modelled
indicator and wave it fits a Fay–Herriot model (:func:`~survey.estimation.small_area.fay_herriot`)
on the districts' direct estimates and the covariates, benchmarks it to the study's overall direct
estimate when asked, and publishes per district:

* the direct estimate, where its publication flag (the study's ``publication`` rule) is not
  ``suppress`` (``published_source = "direct"``);
* otherwise the model estimate (``"model"``), or for a district in the covariate table with no
  usable direct estimate the synthetic one (``"synthetic"``).

Columns (:data:`COLUMNS`): district, indicator, wave, direct, direct_se, model, model_mse_root, gamma,
synthetic, published, published_source, then published_se, n, direct_flag, model_cv.

Example
-------
>>> tables = prevalence_tables("data/province/study.yaml")      # doctest: +SKIP
>>> tables.small_area.query("published_source != 'direct'")    # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError
from survey.estimation.small_area.model import fay_herriot
from survey.estimation.small_area.settings import fit_options, indicator_ids, read_covariates

COLUMNS = ["district", "indicator", "wave", "direct", "direct_se", "model", "model_mse_root", "gamma", "synthetic",
           "published", "published_source", "published_se", "n", "direct_flag", "model_cv"]
DIAGNOSTIC_COLUMNS = ["indicator", "wave", "method", "transform", "sigma2_u", "sigma2_u_se", "loglik", "aic", "bic",
                      "iterations", "converged", "areas_fitted", "areas_synthetic", "residual_mean", "residual_sd",
                      "mean_gamma", "mse", "benchmark", "coefficients", "notes"]
#: The crude (unadjusted) direct estimates are the ones modelled.
METHOD = "crude"


def _covariates(study) -> tuple[pd.DataFrame, list[str], str | None]:
    spec = study.config.analysis.small_area
    table = read_covariates(study)
    if study.config.districts is not None:
        known = set(study.districts()["code"].astype(str))
        unknown = table.loc[~table["code"].isin(known), "code"].tolist()
        if unknown:
            raise ColumnError(f"{study.path(spec.covariates)}: column 'code': expected district codes of "
                              f"{study.config.districts}, found {unknown[:5]}")
    return table.rename(columns={"code": "district"}), list(spec.variables), spec.population


def empty_table() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def small_area_table(study, prevalence: pd.DataFrame, city: str = "city") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The county table and one diagnostics row per indicator x wave; see the module docstring.

    ``prevalence`` is the estimation step's table (``wave``, ``district``, ``indicator``, ``method``,
    ``estimate``, ``se``, ``n``, ``n_weighted``, ``flag``); its ``city`` rows are the benchmark.
    """
    options = fit_options(study)
    covariates, variables, population = _covariates(study)
    crude = prevalence[prevalence["method"] == METHOD].copy()
    crude["district"] = crude["district"].astype(str)
    where = study.path(study.config.analysis.small_area.covariates)
    rows, diagnostics = [], []
    for indicator in indicator_ids(study):
        for wave in sorted(crude.loc[crude["indicator"] == indicator, "wave"].unique()):
            part = crude[(crude["indicator"] == indicator) & (crude["wave"] == wave)]
            direct = part[part["district"] != city]
            overall = part.loc[part["district"] == city, "estimate"]
            if options.benchmark != "none" and overall.empty:
                raise ConfigError(f"{study.config_file}: analysis.small_area.benchmark: expected an overall direct "
                                  f"estimate of {indicator} in wave {wave}, found none")
            shares = (covariates.set_index("district")[population] if population else
                      direct.set_index("district")["n_weighted"])
            try:
                fit = fay_herriot(direct, covariates, variables=variables, transform=options.transform,
                                  method=options.method, n_boot=options.n_boot, seed=options.seed,
                                  benchmark=options.benchmark,
                                  province=float(overall.iloc[0]) if len(overall) else None, shares=shares)
            except ColumnError as error:
                raise ColumnError(f"{where}: {indicator}, wave {wave}: {str(error).removeprefix('fay_herriot: ')}") \
                    from None
            frame = fit.to_frame()
            outside = frame.loc[~frame["model"].between(0, 1), "district"].tolist()
            if outside:
                raise ConfigError(f"{study.config_file}: analysis.small_area.transform: {options.transform!r} gives "
                                  f"model estimates of {indicator} (wave {wave}) outside 0-1 for districts "
                                  f"{outside[:5]}; use transform: arcsine or logit")
            rows.append(_published(frame, direct, indicator, wave))
            diag = fit.diagnostics().assign(indicator=indicator, wave=wave)
            diag["coefficients"] = "; ".join(f"{t} {b:.6g} (se {s:.3g})" for t, b, s in
                                             fit.coefficients[["term", "estimate", "se"]].itertuples(index=False))
            diag["notes"] = "; ".join(fit.notes)
            diagnostics.append(diag[DIAGNOSTIC_COLUMNS])
    table = pd.concat(rows, ignore_index=True)[COLUMNS] if rows else empty_table()
    diag = pd.concat(diagnostics, ignore_index=True) if diagnostics else pd.DataFrame(columns=DIAGNOSTIC_COLUMNS)
    return table, diag


def _published(fitted: pd.DataFrame, direct: pd.DataFrame, indicator: str, wave) -> pd.DataFrame:
    info = direct.set_index("district")[["n", "flag"]]
    out = fitted.join(info, on="district")
    passes = out["flag"].notna() & (out["flag"] != "suppress") & out["direct"].notna()
    source = np.where(passes, "direct", np.where(out["synthetic"], "synthetic", "model"))
    return pd.DataFrame({
        "district": out["district"], "indicator": indicator, "wave": wave, "direct": out["direct"],
        "direct_se": out["direct_se"], "model": out["model"], "model_mse_root": out["model_mse_root"],
        "gamma": out["gamma"], "synthetic": out["synthetic"],
        "published": np.where(passes, out["direct"], out["model"]), "published_source": source,
        "published_se": np.where(passes, out["direct_se"], out["model_mse_root"]),
        "n": out["n"].fillna(0).astype(int), "direct_flag": out["flag"].fillna(""), "model_cv": out["model_cv"],
    })
