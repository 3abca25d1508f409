"""Comparisons of domains: covariance of domain estimates, the difference of two domains, each domain
against the rest of its group.

Domain estimates from one sample are correlated whenever domains share PSUs (e.g. men and
women in the same clusters). The covariance comes from the same linearisation as the
variances: the influence totals of every domain are stacked as columns and passed through the
stratified multistage formula over the full design, which is what R does for
``vcov(svyby(..., covmat=TRUE))``; ``svycontrast`` then gives ``c' V c``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from survey.errors import ConfigError
from survey.estimation import intervals
from survey.estimation.calibration import calibrated_domain_scores, calibrated_unit_scores
from survey.estimation.design import Design, require_design
from survey.estimation.domains import DomainCells, domain_cells
from survey.estimation.estimators import _resolve_stat, domain_scores
from survey.estimation.grouping import group_rows
from survey.estimation.result import ComparisonResult
from survey.estimation.totals import ATTRS_KEY, SUM_W, outcome_rows, psu_totals
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
    design = require_design(design, caller="domain_covariance", second=outcome)
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
    design = require_design(design, caller="domain_difference", second=outcome)
    ci = ci_method
    if ci not in ("normal", "mean"):
        raise ConfigError(f"ci_method: expected 'normal' or 'mean' for a difference, found {ci!r}")
    totals = psu_totals(design, outcome, by=by, denominator=denominator)
    stat = _resolve_stat(stat, totals, outcome)
    cells = domain_cells(totals, design)
    a, b = cells.find(first), cells.find(second)
    if a == b:
        raise ConfigError(f"domain_difference: first and second are the same domain ({first!r})")
    est, scores = _unit_scores(design, totals, cells, stat, np.array([a, b]))
    cov = covariance_matrix(cells.structure, scores)
    difference = est[a] - est[b]
    se = float(np.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]))
    dof = np.inf if ci == "normal" else float(cells.structure.degf)
    low, high = intervals.wald(difference, se, dof, level)
    statistic = difference / se if se > 0 else np.nan
    p_value = 2 * (stats.norm.sf(abs(statistic)) if ci == "normal" else stats.t.sf(abs(statistic), dof))
    labels = cells.labels()
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


def _size_scores(design: Design, totals: pd.DataFrame, cells: DomainCells, outcome: str) -> np.ndarray:
    """(finest unit x domain) influence totals of each domain's weighted size ``N_d`` (rows that count).

    On a calibrated design these are the calibration residuals of ``w`` over the domain's rows,
    like the outcome's own influence values (:func:`calibrated_domain_scores`).
    """
    if not design.calibration:
        return _scores_matrix(cells, cells.column(totals, SUM_W))
    by = list((totals.attrs.get(ATTRS_KEY) or {}).get("by") or [])
    groups = group_rows([design.data[c] for c in by] + [design.row_units.index])
    _, _, w, used = outcome_rows(design, outcome, None)
    domain = cells.domain_of_row[groups.index]
    unit = cells.unit_of_row[groups.index]
    inside = used & (domain >= 0)
    return calibrated_unit_scores(design.calibration, np.where(inside, w, 0.0), np.where(inside, domain, -1), unit,
                                  cells.structure.n_finest, cells.count)


def versus_rest(
    design: Design,
    outcome: str,
    domain: str,
    *,
    within: str | Sequence[str] = (),
    stat: str | None = None,
    level: float = 0.95,
    ci_method: str = "normal",
) -> ComparisonResult:
    """Every domain against the rest of its group: ``estimate(d) - estimate(group without d)``.

    For each level ``d`` of ``domain`` within each level of ``within`` (e.g. each district
    within each wave), the difference between the domain's mean (or proportion) and the mean
    of the other rows of the same ``within`` group, with the SE from the same linearisation over
    the full design (calibration included). It equals :func:`domain_difference` with a column
    marking ``d`` (``first`` = in ``d``, ``second`` = the rest), for all domains in one pass:
    the rest's influence values are a combination of the domains' own influence values and
    those of their weighted sizes, ``z_R = sum_{k != d} [N_k z_k + (p_k - p_R) u_k] / N_R``.

    Parameters
    ----------
    design : Design
    outcome : str
    domain : str
        The column whose levels are compared with the rest (e.g. ``"district"``).
    within : str or list of str, optional
        Groups inside which the comparison is made (e.g. ``"wave"``); default the whole sample.
    stat : {"mean", "proportion"}, optional
        Default: proportion for a 0/1 outcome, else mean.
    level : float, default 0.95
    ci_method : {"normal", "mean"}, default "normal"
        As in :func:`domain_difference`: z, or t with the design's degrees of freedom.

    Returns
    -------
    ComparisonResult
        One row per domain: the ``within`` columns and ``domain``, ``estimate_domain``,
        ``estimate_rest``, ``estimate`` (domain minus rest), ``se``, ``ci_low``, ``ci_high``,
        ``df``, ``statistic``, ``p_value``, ``ci_method``. A group with one domain has no rest
        (NaN).

    Examples
    --------
    R, for each district ``k``::

        d$in_k <- d$variables$district == k
        b <- svyby(~y, ~interaction(wave, in_k), d, svymean, covmat=TRUE)
        confint(svycontrast(b, c(1, -1)))      # within one wave
    """
    design = require_design(design, caller="versus_rest")
    if ci_method not in ("normal", "mean"):
        raise ConfigError(f"ci_method: expected 'normal' or 'mean' for a difference, found {ci_method!r}")
    within = [within] if isinstance(within, str) else list(within)
    by = [*within, domain]
    totals = psu_totals(design, outcome, by=by)
    stat = _resolve_stat(stat, totals, outcome)
    if stat not in ("mean", "proportion"):
        raise ConfigError(f"versus_rest: expected stat 'mean' or 'proportion', found {stat!r}")
    cells = domain_cells(totals, design)
    sums, est, _ = domain_scores(cells, totals, stat)
    _, z = _unit_scores(design, totals, cells, stat)
    u = _size_scores(design, totals, cells, outcome)
    values = cells.values.reset_index(drop=True)
    group = (values.groupby(within, sort=False, dropna=False).ngroup().to_numpy() if within
             else np.zeros(len(values), dtype=np.int64))
    member = sp.csr_matrix((np.ones(len(group)), (np.arange(len(group)), group)))  # domain x group
    size, total = sums["w"], sums["y"]
    est0 = np.where(np.isnan(est), 0.0, est)
    size_rest = (member @ (member.T @ size)) - size
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = ((member @ (member.T @ total)) - total) / size_rest
    rest = np.where(size_rest > 0, rest, np.nan)
    # unit scores of sum_k N_k z_k, sum_k p_k u_k and sum_k u_k over each domain's group
    group_z = (z * size) @ member @ member.T
    group_pu = (u * est0) @ member @ member.T
    group_u = u @ member @ member.T
    rest0 = np.where(np.isnan(rest), 0.0, rest)
    with np.errstate(invalid="ignore", divide="ignore"):
        z_rest = (group_z - z * size + group_pu - u * est0 - rest0 * (group_u - u)) / np.where(size_rest > 0,
                                                                                              size_rest, 1.0)
    variance = np.diag(covariance_matrix(cells.structure, z - z_rest))
    difference = est - rest
    se = np.sqrt(np.clip(variance, 0.0, None))
    se = np.where(np.isnan(difference), np.nan, se)
    dof = np.inf if ci_method == "normal" else float(cells.structure.degf)
    low, high = intervals.wald(difference, se, dof, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        statistic = np.where(se > 0, difference / se, np.nan)
    p_value = 2 * (stats.norm.sf(np.abs(statistic)) if ci_method == "normal" else stats.t.sf(np.abs(statistic), dof))
    table = values.assign(estimate_domain=est, estimate_rest=rest, estimate=difference, se=se,
                          ci_low=np.asarray(low, dtype=float), ci_high=np.asarray(high, dtype=float), df=dof,
                          statistic=statistic, p_value=p_value, ci_method=ci_method)
    return ComparisonResult(
        table=table,
        description=f"Difference in {stat} of {outcome}: each {domain} minus the rest"
        f"{' of its ' + ' x '.join(within) if within else ''} ({int(level * 100)}% CI, {ci_method})",
    )
