"""Comparisons of domains: covariance of domain estimates and the difference of two domains.

Domain estimates from one sample are correlated whenever domains share PSUs (e.g. men and
women in the same clusters). The covariance comes from the same linearisation as the
variances: the influence totals of every domain are stacked as columns and passed through the
stratified multistage formula over the full design, which is what R does for
``vcov(svyby(..., covmat=TRUE))``; ``svycontrast`` then gives ``c' V c``. On a replicate-weight
design the covariance is that of the replicate estimates of the domains (R ``svyby(...,
covmat=TRUE)`` on a ``svrepdesign``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from survey.errors import ConfigError
from survey.estimation import intervals
from survey.estimation.calibration import calibrated_domain_scores
from survey.estimation.design import Design, require_design
from survey.estimation.domains import DomainCells, domain_cells
from survey.estimation.estimators import _resolve_stat, domain_scores
from survey.estimation.result import ComparisonResult
from survey.estimation.totals import psu_totals
from survey.estimation.variance import covariance_matrix


def _scores_matrix(cells: DomainCells, z: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
    """Dense (finest unit x domain) matrix of influence totals, optionally for some domains."""
    domain = cells.domain
    if columns is None:
        columns = np.arange(cells.count)
    position = np.full(cells.count, -1)
    position[columns] = np.arange(len(columns))
    pick = position[domain] >= 0
    matrix = sp.coo_matrix(
        (z[pick], (cells.unit[pick], position[domain[pick]])),
        shape=(cells.structure.n_finest, len(columns)),
    )
    return matrix.toarray()


def _unit_scores(design: Design, totals: pd.DataFrame, cells: DomainCells, stat: str,
                 columns: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Domain estimates and the (finest unit x domain) influence totals, calibration included."""
    sums, est, z = domain_scores(cells, totals, stat)
    if design.calibration:
        matrix = calibrated_domain_scores(design, totals, cells, stat, est, sums)
        return est, matrix if columns is None else matrix[:, columns]
    return est, _scores_matrix(cells, z, columns)


def _replicate_covariance(design, outcome, by, stat, denominator):
    """Replicate covariance of all domain estimates (R ``svyby(..., covmat=TRUE)`` on a svrepdesign)."""
    from survey.estimation.replicate_estimators import domain_labels, replicate_domain_values
    from survey.estimation.replicates import replicate_covariance

    sums, stat, est, reps = replicate_domain_values(design, outcome, by=by, stat=stat, denominator=denominator)
    cells = DomainCells(structure=None, keep=np.ones(0, bool), domain=np.zeros(0, np.int64),
                        unit=np.zeros(0, np.int64), values=sums.values, by=sums.by)
    labels = domain_labels(sums.values, sums.by)
    return replicate_covariance(est, reps, design), labels, (est, cells, stat)


def domain_covariance(
    design: Design,
    outcome: str,
    *,
    by: str | Sequence[str],
    stat: str | None = None,
    denominator: str | None = None,
) -> pd.DataFrame:
    """Covariance matrix of the domain estimates, labelled by domain.

    R: ``vcov(svyby(~y, ~by, design, svymean, covmat=TRUE))``.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4, 2, 1], "p": [1, 1, 2, 2, 3, 3],
    ...                    "sex": ["f", "m", "f", "m", "f", "m"], "y": [3., 5, 4, 8, 6, 2]})
    >>> domain_covariance(Design(df, weight="w", psu="p"), "y", by="sex").shape
    (2, 2)
    """
    design = require_design(design, caller="domain_covariance", second=outcome, replicate=True)
    if getattr(design, "is_replicate", False):
        cov, labels, _ = _replicate_covariance(design, outcome, by, stat, denominator)
        return pd.DataFrame(cov, index=labels, columns=labels)
    totals = psu_totals(design, outcome, by=by, denominator=denominator)
    stat = _resolve_stat(stat, totals, outcome)
    cells = domain_cells(totals, design)
    _, scores = _unit_scores(design, totals, cells, stat)
    cov = covariance_matrix(cells.structure, scores)
    labels = cells.labels()
    return pd.DataFrame(cov, index=labels, columns=labels)


def domain_difference(
    design: Design,
    outcome: str,
    *,
    by: str | Sequence[str],
    first,
    second,
    stat: str | None = None,
    denominator: str | None = None,
    level: float = 0.95,
    ci_method: str = "normal",
) -> ComparisonResult:
    """Difference between the estimates of two domains, with SE and CI.

    ``var(a - b) = var(a) + var(b) - 2 cov(a, b)`` with all three terms from the same
    linearisation over the full design.

    Parameters
    ----------
    design : Design
    outcome : str
    by : str or list of str
        Domain columns.
    first, second :
        The two domains: a value (one by column), a tuple of values or a dict column -> value.
    stat : str, optional
        As in :func:`~survey.estimation.finalize` (default: proportion for a 0/1 outcome).
    denominator : str, optional
        For ratios.
    level : float, default 0.95
    ci_method : {"normal", "mean"}, default "normal"
        ``normal``: z interval and p-value, as R's ``confint(svycontrast(...))``;
        ``mean``: t with the design's degrees of freedom (R ``confint(..., df=degf(design))``).

    Returns
    -------
    ComparisonResult
        One row: ``first``, ``second``, ``estimate_first``, ``estimate_second``,
        ``estimate`` (first - second), ``se``, ``ci_low``, ``ci_high``, ``df``,
        ``statistic``, ``p_value``, ``covariance``, ``ci_method``.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4, 2, 1], "p": [1, 1, 2, 2, 3, 3],
    ...                    "sex": ["f", "m", "f", "m", "f", "m"], "y": [3., 5, 4, 8, 6, 2]})
    >>> r = domain_difference(Design(df, weight="w", psu="p"), "y", by="sex", first="f", second="m")
    >>> round(float(r.to_frame().loc[0, "estimate"]), 4)
    -1.7857

    R::

        b <- svyby(~y, ~sex, design, svymean, covmat=TRUE)
        confint(svycontrast(b, c(f=1, m=-1)))
    """
    design = require_design(design, caller="domain_difference", second=outcome, replicate=True)
    ci = ci_method
    if ci not in ("normal", "mean"):
        raise ConfigError(f"ci_method: expected 'normal' or 'mean' for a difference, found {ci!r}")
    if getattr(design, "is_replicate", False):
        full, labels, (est, cells, stat) = _replicate_covariance(design, outcome, by, stat, denominator)
        a, b = cells.find(first), cells.find(second)
        cov = full[np.ix_([a, b], [a, b])]
        degf = design.degf
    else:
        totals = psu_totals(design, outcome, by=by, denominator=denominator)
        stat = _resolve_stat(stat, totals, outcome)
        cells = domain_cells(totals, design)
        a, b = cells.find(first), cells.find(second)
        est, scores = _unit_scores(design, totals, cells, stat, np.array([a, b]))
        cov = covariance_matrix(cells.structure, scores)
        degf = cells.structure.degf
        labels = cells.labels()
    if a == b:
        raise ConfigError(f"domain_difference: first and second are the same domain ({first!r})")
    difference = est[a] - est[b]
    se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    dof = np.inf if ci == "normal" else float(degf)
    low, high = intervals.wald(difference, se, dof, level)
    statistic = difference / se if se > 0 else np.nan
    p_value = 2 * (stats.norm.sf(abs(statistic)) if ci == "normal" else stats.t.sf(abs(statistic), dof))
    table = pd.DataFrame(
        {
            "first": [labels[a]],
            "second": [labels[b]],
            "estimate_first": [est[a]],
            "estimate_second": [est[b]],
            "estimate": [difference],
            "se": [se],
            "ci_low": [float(low)],
            "ci_high": [float(high)],
            "df": [dof],
            "statistic": [statistic],
            "p_value": [p_value],
            "covariance": [cov[0, 1]],
            "ci_method": [ci],
        }
    )
    return ComparisonResult(
        table=table,
        description=f"Difference in {stat} of {outcome}: {labels[a]} minus {labels[b]} "
        f"({int(level * 100)}% CI, {ci})",
    )
