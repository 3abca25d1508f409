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
  calibrated designs keep the calibration in their standard errors, as R does.
* :func:`standardize`, :func:`standard_population`, :func:`aggregate_standard` — direct
  (age or age-sex) standardisation to a shipped standard population.
* :mod:`survey.estimation.publication` — NCHS (2017) and other rules for what to publish.
"""

from __future__ import annotations

from survey.estimation.chisq import rao_scott
from survey.estimation.contrasts import domain_covariance, domain_difference
from survey.estimation.design import LONELY_PSU_POLICIES, Design, LonelyPSUWarning, require_design
from survey.estimation.estimators import estimate, finalize, mean, proportion, ratio, total
from survey.estimation.replicate_calibration import calibrate_replicates
from survey.estimation.replicate_weights import as_replicate
from survey.estimation.replicates import ReplicateDesign, ReplicateWarning
from survey.estimation.result import ComparisonResult, EstimateResult
from survey.estimation.standardization import aggregate_standard, standard_population, standardize
from survey.estimation.totals import combine_totals, psu_totals
from survey.estimation.wald_chisq import wald_test
from survey.estimation.weighting import RakingWarning, margins_from_table, poststratify, rake, trim_weights

__all__ = [
    "LONELY_PSU_POLICIES",
    "ComparisonResult",
    "Design",
    "EstimateResult",
    "LonelyPSUWarning",
    "RakingWarning",
    "ReplicateDesign",
    "ReplicateWarning",
    "aggregate_standard",
    "as_replicate",
    "calibrate_replicates",
    "combine_totals",
    "domain_covariance",
    "domain_difference",
    "estimate",
    "finalize",
    "margins_from_table",
    "mean",
    "proportion",
    "poststratify",
    "psu_totals",
    "rao_scott",
    "rake",
    "ratio",
    "require_design",
    "standard_population",
    "standardize",
    "total",
    "trim_weights",
    "wald_test",
]
