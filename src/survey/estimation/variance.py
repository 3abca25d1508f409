"""Linearisation (Taylor series) variances from per-unit influence totals.

For a statistic with influence values ``z_i`` (e.g. ``w_i (y_i - ybar) / sum(w)`` for a mean),
the variance estimator of R's ``svyrecvar`` is, at stage 1,

    V = sum_h  f_h n_h / (n_h - 1)  sum_{i in h} (z_hi - zbar_h)^2

with ``z_hi`` the total of ``z`` over PSU ``i`` of stratum ``h``, ``n_h`` the PSUs sampled in
``h`` and ``f_h = 1 - n_h / N_h`` (1 without FPC). With an FPC at every stage, each later stage
adds the same formula applied to the units inside each unit of the previous stage, multiplied
by the product of the earlier sampling fractions ``n/N`` (``survey:::multistage``).

Two entry points:

* :func:`domain_variances`: one variance per domain, each computed as R's ``svyby`` does, on
  the domain subset (strata the domain does not reach are absent, which matters for the
  ``average`` policy and for ``adjust_domain_lonely``);
* :func:`covariance_matrix`: the covariance of several statistics over the full design, as
  R computes ``vcov`` of ``svyby(..., covmat=TRUE)`` or of ``svymean`` of several columns.

Only per-unit totals enter, never respondent rows, and there is no Python loop over units,
strata or domains.
"""

from __future__ import annotations

import warnings

import numpy as np

from survey.errors import ConfigError
from survey.estimation.grouping import group_rows
from survey.estimation.structure import DesignStructure


def domain_variances(
    structure: DesignStructure,
    domain: np.ndarray,
    unit: np.ndarray,
    z: np.ndarray,
    used: np.ndarray,
    n_domains: int,
) -> np.ndarray:
    """Variance of one statistic per domain from cell-level influence totals.

    Parameters
    ----------
    structure : DesignStructure
    domain, unit : numpy.ndarray of int
        Domain index (0..n_domains-1) and finest-unit index of each cell.
    z : numpy.ndarray
        Influence total of each cell (0 outside the domain).
    used : numpy.ndarray of bool
        Whether the cell holds rows that enter the estimate (defines which PSUs and strata
        the domain reaches).
    n_domains : int

    Returns
    -------
    numpy.ndarray
        Variance per domain; NaN when ``average`` leaves no stratum to average over.
    """
    total = np.zeros(n_domains)
    policy = structure.lonely_psu
    domain_lonely_warned = 0
    for s, stage in enumerate(structure.stages, start=1):
        stage_unit = stage.unit_of_finest[unit]
        cells = group_rows([domain, stage_unit])
        z_k = cells.sum(z)
        used_k = cells.sum(used.astype(float)) > 0
        d_k = domain[cells.first][used_k]
        g_k = stage.group_of_unit[stage_unit[cells.first]][used_k]
        z_k = z_k[used_k]
        if len(z_k) == 0:
            continue
        strata = group_rows([d_k, g_k])
        s1 = strata.sum(z_k)
        m = strata.sum()
        d_j = d_k[strata.first]
        g_j = g_k[strata.first]
        n = stage.n_units[g_j]
        centre = s1 / n
        s2 = strata.sum((z_k - centre[strata.index]) ** 2) + (n - m) * centre**2
        contribution = stage.scale[g_j] * s2

        lonely = stage.lonely[g_j]
        if policy == "adjust":
            contribution = np.where(lonely, stage.f[g_j] * s1**2, contribution)
        elif policy == "average":
            contribution = np.where(lonely, np.nan, contribution)
        else:  # remove, certainty: a lonely PSU centred on itself contributes nothing
            contribution = np.where(lonely, 0.0, contribution)

        if structure.adjust_domain_lonely:
            domain_lonely = (n > 1) & (m == 1) & ~stage.certain[g_j]
            if domain_lonely.any():
                if policy == "adjust":
                    contribution = np.where(domain_lonely, stage.scale[g_j] * s1**2, contribution)
                elif policy == "average":
                    if s > 1:
                        raise ConfigError(
                            "lonely_psu='average' with adjust_domain_lonely=True: a domain reaches "
                            f"a single unit at stage {s}, where averaging is undefined (R returns NaN)"
                        )
                    contribution = np.where(domain_lonely, np.nan, contribution)
                else:
                    domain_lonely_warned += int(domain_lonely.sum())

        contribution = np.where(stage.certain[g_j], 0.0, contribution) * stage.multiplier[g_j]
        missing = np.isnan(contribution)
        stage_sum = np.bincount(d_j, weights=np.where(missing, 0.0, contribution), minlength=n_domains)
        if missing.any():
            reached = np.bincount(d_j, minlength=n_domains).astype(float)
            ok = np.bincount(d_j, weights=(~missing).astype(float), minlength=n_domains)
            with np.errstate(invalid="ignore", divide="ignore"):
                stage_sum = np.where(ok > 0, stage_sum * reached / ok, np.nan)
        total += stage_sum
    if domain_lonely_warned:
        from survey.estimation.design import LonelyPSUWarning

        warnings.warn(
            f"{domain_lonely_warned} domain x stratum combinations have only one PSU in the domain "
            f"(lonely_psu={policy!r} leaves them as they are)",
            LonelyPSUWarning,
            stacklevel=3,
        )
    return total


def covariance_matrix(structure: DesignStructure, unit_scores: np.ndarray) -> np.ndarray:
    """Covariance matrix of several statistics over the full design.

    Parameters
    ----------
    structure : DesignStructure
    unit_scores : numpy.ndarray, shape (n_finest, k)
        Influence totals of ``k`` statistics per finest sampling unit.

    Returns
    -------
    numpy.ndarray, shape (k, k)
    """
    import scipy.sparse as sp  # here, not at the top: `survey estimate` has no use for it

    scores = np.asarray(unit_scores, dtype=float)
    k = scores.shape[1]
    cov = np.zeros((k, k))
    policy = structure.lonely_psu
    for stage in structure.stages:
        n_su = len(stage.group_of_unit)
        to_stage = sp.csr_matrix(
            (np.ones(structure.n_finest), (stage.unit_of_finest, np.arange(structure.n_finest))),
            shape=(n_su, structure.n_finest),
        )
        z = to_stage @ scores
        to_group = sp.csr_matrix(
            (np.ones(n_su), (stage.group_of_unit, np.arange(n_su))), shape=(stage.n_groups, n_su)
        )
        means = (to_group @ z) / stage.n_units[:, None]
        g = stage.group_of_unit
        lonely = stage.lonely[g]
        centred = z - means[g]
        if policy == "adjust":
            centred = np.where(lonely[:, None], z, centred)
        factor = stage.scale[g] * stage.multiplier[g]
        factor = np.where(stage.certain[g], 0.0, factor)
        if policy in ("remove", "certainty", "average"):
            factor = np.where(lonely, 0.0, factor)
        root = np.sqrt(factor)[:, None] * centred
        stage_cov = root.T @ root
        if policy == "average" and stage.lonely.any():
            n_ok = stage.n_groups - int(stage.lonely.sum())
            stage_cov = stage_cov * (stage.n_groups / n_ok) if n_ok > 0 else stage_cov * np.nan
        cov += stage_cov
    return cov
