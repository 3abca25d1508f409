"""Design-based estimation that agrees with R's ``survey`` package.

* :class:`Design` — weights, strata, clusters (multi-stage), FPC and the lonely-PSU policy.
* :func:`mean`, :func:`proportion`, :func:`total`, :func:`ratio` — estimates by domain with
  linearised SE, CI, df, design effect, n, weighted N and CV; :func:`estimate` builds the
  design and estimates in one call (what the CLI uses).
* :func:`psu_totals`, :func:`combine_totals`, :func:`finalize` — the same computation split
  into a pass over each partition of the data and a final step on the summed totals.
* :func:`domain_difference` — difference of two domain estimates with the covariance from the
  same linearisation; :func:`rao_scott` — design-adjusted chi-square test of independence.
* :mod:`survey.estimation.publication` — NCHS (2017) and other rules for what to publish.
"""

from __future__ import annotations

from survey.estimation.chisq import rao_scott
from survey.estimation.contrasts import domain_covariance, domain_difference
from survey.estimation.design import LONELY_PSU_POLICIES, Design, LonelyPSUWarning
from survey.estimation.estimators import estimate, finalize, mean, proportion, ratio, total
from survey.estimation.result import ComparisonResult, EstimateResult
from survey.estimation.totals import combine_totals, psu_totals

__all__ = [
    "LONELY_PSU_POLICIES",
    "ComparisonResult",
    "Design",
    "EstimateResult",
    "LonelyPSUWarning",
    "combine_totals",
    "domain_covariance",
    "domain_difference",
    "estimate",
    "finalize",
    "mean",
    "proportion",
    "psu_totals",
    "rao_scott",
    "ratio",
    "total",
]
