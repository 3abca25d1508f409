"""Design-based estimation that agrees with R's ``survey`` package.

* :class:`Design` — weights, strata, clusters (multi-stage), FPC and the lonely-PSU policy;
  :func:`require_design` — the one-line error when something else is passed for a design.
* :func:`mean`, :func:`proportion`, :func:`total`, :func:`ratio` — estimates by domain with
  linearised SE, CI, df, design effect, n, weighted N and CV; :func:`estimate` chooses the
  statistic from the outcome (proportion for 0/1, mean otherwise, ratio with a denominator).
  All take ``(design, outcome, *, by=, level=, ci_method=)``.
* :func:`psu_totals`, :func:`combine_totals`, :func:`finalize` — the same computation split
  into a pass over each partition of the data and a final step on the summed totals.
* :func:`domain_difference` — difference of two domain estimates with the covariance from the
  same linearisation; :func:`rao_scott` — design-adjusted chi-square test of independence.
* :class:`ReplicateDesign` — a design given by replicate weights (R ``svrepdesign``);
  :func:`as_replicate` — JK1, JKn, BRR, Fay, bootstrap or Rao-Wu replicates from a
  :class:`Design` (R ``as.svrepdesign``). Every estimator, domain contrast, calibration and
  ``svyglm`` takes either design; :func:`calibrate_replicates` applies any calibration to the
  full-sample and every replicate weight.
* :func:`wald_test` — design-based Wald and adjusted Wald tests of independence (R
  ``svychisq(statistic="Wald"/"adjWald")``).
* :func:`poststratify`, :func:`rake`, :func:`trim_weights` — weighting to population counts;
  :func:`calibrate` — GREG calibration to totals of auxiliaries (linear, raking, logit; bounds),
  R's ``calibrate``; calibrated designs keep the calibration in their standard errors, as R does.
* :func:`quantile`, :func:`median` — quantiles by domain with Woodruff intervals (R
  ``svyquantile``); :func:`variance` — population variance by domain (R ``svyvar``).
* :func:`standardize`, :func:`standard_population`, :func:`aggregate_standard` — direct
  (age or age-sex) standardisation to a shipped standard population.
* :mod:`survey.estimation.publication` — NCHS (2017) and other rules for what to publish.
* :mod:`survey.estimation.dask_engine` — the same estimates on a ``dask.dataframe`` (one Dask
  reduction to per-PSU sums, then :func:`finalize`).

The names load their module on first use.
"""

from __future__ import annotations

from survey.lazy import lazy_names

#: name -> submodule that defines it; loaded on first use, so that importing one submodule (the
#: command line's `survey estimate`) does not load them all (chisq -> scipy.stats)
_LAZY = {
    "LONELY_PSU_POLICIES": "design",
    "ComparisonResult": "result",
    "Design": "design",
    "EstimateResult": "result",
    "LonelyPSUWarning": "design",
    "RakingWarning": "weighting",
    "aggregate_standard": "standardization",
    "combine_totals": "totals",
    "domain_covariance": "contrasts",
    "domain_difference": "contrasts",
    "estimate": "estimators",
    "finalize": "estimators",
    "margins_from_table": "weighting",
    "mean": "estimators",
    "proportion": "estimators",
    "poststratify": "weighting",
    "psu_totals": "totals",
    "rao_scott": "chisq",
    "rake": "weighting",
    "ratio": "estimators",
    "require_design": "design",
    "standard_population": "standardization",
    "standardize": "standardization",
    "total": "estimators",
    "trim_weights": "weighting",
    "CalibrationWarning": "greg",
    "calibrate": "greg",
    "calibration_weights": "greg",
    "QuantileResult": "quantiles",
    "median": "quantiles",
    "quantile": "quantiles",
    "variance": "spread",
    "ReplicateDesign": "replicates",
    "ReplicateWarning": "replicates",
    "as_replicate": "replicate_weights",
    "calibrate_replicates": "replicate_calibration",
    "wald_test": "wald_chisq",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
