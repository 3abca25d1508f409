"""Variance after calibration: influence values replaced by residuals of the calibration.

When weights are post-stratified or raked to known population counts, those counts are
fixed, and the part of an estimate's sampling variability that the calibration variables
explain goes away. R's ``survey`` package (``svyrecvar``) accounts for it by replacing the
influence values ``x`` of a statistic, before the stratified multistage formula, with their
residuals from each recorded calibration step:

* post-stratification (``postStratify``), with weights ``w_old`` before and ``w`` after::

      x_i  <-  x_i - w_i * m_c,    m_c = sum_{j in c} (w_old_j / w_j) x_j / sum_{j in c} w_old_j

  (rows whose weight is 0 before and after count with ``w = 1``, as in R);
* raking (``rake``), with the weights ``w^(k)`` after margin ``k`` in the last raking sweep:
  ten backfitting sweeps over the margins of::

      x_i  <-  x_i - w^(k)_i * mean_{j in c_k(i)} (x_j / w^(k)_j)

  (an unweighted mean over the rows of the margin cell; R fixes the ten sweeps).

Every update subtracts ``w_i`` times a value of the row's cell, so after all updates
``x_i = z_i - sum_k w^(k)_i A_k[c_k(i)]`` for cell coefficients ``A_k``. The coefficients
follow from per-cell sums alone (``sum r z`` per cell and domain, ``sum r^(k) w^(l)`` per pair
of cells), and the PSU totals of the residuals from ``sum w^(k)`` per PSU and cell; no step
loops over rows, and all domains are done at once.

Rows outside a domain keep their place in the calibration (their ``z`` is 0 but their
residual is not), exactly as R's subsets of a calibrated design keep every row.

References
----------
Lumley, T. (2010). *Complex Surveys*, chapter 7. Wiley.
Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in survey sampling.
*JASA* 87, 376-382.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

RAKING_VARIANCE_SWEEPS = 10  # R svyrecvar: for (iterations in 1:10)


@dataclass(frozen=True, eq=False)
class CalibrationMargin:
    """One adjustment of the weights to the counts of one set of cells.

    Attributes
    ----------
    cells : numpy.ndarray of int
        Cell of every row of the design's data (``-1``: the row takes no part, e.g. it was
        left out as missing by :func:`~survey.estimation.standardize`).
    weights, old_weights : numpy.ndarray
        Weights of every row after and before this adjustment (R attributes ``weights`` and
        ``oldweights`` of ``design$postStrata``).
    labels : list of str
        Readable name of each cell.
    variables : tuple of str
        The cell columns.
    """

    cells: np.ndarray
    weights: np.ndarray
    old_weights: np.ndarray
    labels: list
    variables: tuple

    @property
    def n_cells(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, eq=False)
class CalibrationStep:
    """A post-stratification (one margin) or a raking (several margins), as recorded in R."""

    kind: str  # "poststratify" | "rake"
    margins: tuple
    description: str


@dataclass(frozen=True, eq=False)
class _Slot:
    """One residual update ``x <- x - weights * (basis @ A)``, ``A = solve(basis' (ratio * x))``.

    A post-stratification or raking margin has one basis column per cell (indicators) and
    ``solve`` divides by the cell's denominator; a GREG step (:class:`~survey.estimation.greg.GregStep`)
    has the auxiliaries as basis and ``solve`` applies the inverse of ``X' W X``.
    """

    basis: sp.csr_matrix  # n x p
    weights: np.ndarray  # w_i used in the update
    ratio: np.ndarray  # r_i
    solve: object  # numerator (p x k) -> increment of A


def _cell_slot(cells: np.ndarray, n_cells: int, weights: np.ndarray, ratio: np.ndarray,
               denominator: np.ndarray) -> _Slot:
    inside = cells >= 0
    rows = np.flatnonzero(inside)
    basis = sp.csr_matrix((np.ones(len(rows)), (rows, cells[inside])), shape=(len(cells), n_cells))

    def solve(numerator, denominator=denominator):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denominator[:, None] > 0, numerator / denominator[:, None], 0.0)

    return _Slot(basis=basis, weights=np.where(inside, weights, 0.0), ratio=ratio, solve=solve)


def _slots(steps) -> tuple[list[_Slot], list[int]]:
    """Flatten the steps into slots and the order of the residual updates."""
    slots: list[_Slot] = []
    order: list[int] = []
    for step in steps:
        first = len(slots)
        if step.kind == "greg":
            slots.append(_Slot(basis=sp.csr_matrix(step.matrix), weights=np.asarray(step.weights, dtype=float),
                               ratio=np.asarray(step.ratio, dtype=float), solve=step.solve))
            order.append(first)
            continue
        for margin in step.margins:
            cells = np.asarray(margin.cells, dtype=np.int64)
            inside = cells >= 0
            w = np.asarray(margin.weights, dtype=float)
            if step.kind == "poststratify":
                old = np.asarray(margin.old_weights, dtype=float)
                w = np.where((w == 0) & (old == 0), 1.0, w)
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(inside, old / w, 0.0)
                denominator = np.bincount(cells[inside], weights=old[inside], minlength=margin.n_cells)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    ratio = np.where(inside & (w > 0), 1.0 / w, 0.0)
                denominator = np.bincount(cells[inside], minlength=margin.n_cells).astype(float)
            slots.append(_cell_slot(cells, margin.n_cells, w, ratio, denominator))
        indices = list(range(first, len(slots)))
        order += indices * (RAKING_VARIANCE_SWEEPS if step.kind == "rake" else 1)
    return slots, order


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)


def calibrated_totals(steps, influence, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Totals per sampling unit of the calibration residuals of several statistics' influence values.

    The general form: R's ``svyrecvar`` applies each recorded step's residual update to the
    influence matrix ``x`` (rows x statistics), in order; this returns the unit totals of the
    result without forming it. Every update subtracts ``w_i`` times the row's basis vector
    times a coefficient matrix, so after all updates ``x = z - sum_s diag(w_s) B_s A_s``; the
    ``A_s`` follow from the sums ``B_j' diag(r_j) z`` and ``B_j' diag(r_j w_s) B_s``.

    Parameters
    ----------
    steps : sequence of CalibrationStep or GregStep
        In the order they were applied.
    influence : numpy.ndarray or scipy.sparse matrix, shape (n_rows, k)
        Influence values of ``k`` statistics for every row of the design's data.
    unit : numpy.ndarray of int
        Finest sampling unit of every row (0 .. n_units-1).
    n_units : int

    Returns
    -------
    numpy.ndarray, shape (n_units, k)
    """
    z = sp.csr_matrix(influence)
    n = z.shape[0]
    slots, order = _slots(steps)
    first_term = [_dense(s.basis.T @ sp.diags(s.ratio) @ z) for s in slots]
    cross = [[_dense(a.basis.T @ sp.diags(a.ratio * b.weights) @ b.basis) for b in slots] for a in slots]
    coefficients = [np.zeros((s.basis.shape[1], z.shape[1])) for s in slots]
    for j in order:
        numerator = first_term[j].copy()
        for k in range(len(slots)):
            numerator -= cross[j][k] @ coefficients[k]
        coefficients[j] += slots[j].solve(numerator)
    to_unit = sp.csr_matrix((np.ones(n), (unit, np.arange(n))), shape=(n_units, n))
    totals = _dense(to_unit @ z).astype(float)
    for slot, coefficient in zip(slots, coefficients, strict=True):
        totals -= _dense(to_unit @ sp.diags(slot.weights) @ slot.basis) @ coefficient
    return totals


def calibrated_unit_scores(
    steps,
    z: np.ndarray,
    domain: np.ndarray,
    unit: np.ndarray,
    n_units: int,
    n_domains: int,
) -> np.ndarray:
    """Totals per sampling unit of the calibration residuals of every domain's influence values.

    Parameters
    ----------
    steps : sequence of CalibrationStep or GregStep
        In the order they were applied.
    z : numpy.ndarray
        Influence value of every row for the domain it belongs to (0 for rows in no domain).
    domain : numpy.ndarray of int
        Domain of every row (``-1``: none).
    unit : numpy.ndarray of int
        Finest sampling unit of every row (0 .. n_units-1).
    n_units, n_domains : int

    Returns
    -------
    numpy.ndarray, shape (n_units, n_domains)
    """
    inside = np.flatnonzero(domain >= 0)
    influence = sp.csr_matrix((z[inside], (inside, domain[inside])), shape=(len(z), n_domains))
    return calibrated_totals(steps, influence, unit, n_units)


def calibrated_domain_scores(design, totals, cells, stat: str, estimate: np.ndarray, sums: dict) -> np.ndarray:
    """Unit totals (n_finest x domains) of the calibration residuals for ``finalize``.

    The residuals need row-level weights, so the design must hold the data the totals were
    summed from (not a partition).
    """
    from survey.errors import ConfigError
    from survey.estimation.grouping import group_rows
    from survey.estimation.structure import N_ROWS
    from survey.estimation.totals import ATTRS_KEY, outcome_rows

    if design.partition:
        raise ConfigError(
            "a calibrated design needs all its rows for the variance: estimate on the whole "
            "design, not on partitions"
        )
    meta = totals.attrs.get(ATTRS_KEY) or {}
    data = design.data
    by = list(meta.get("by") or [])
    groups = group_rows([data[c] for c in by] + [design.row_units.index])
    if groups.count != len(totals) or not np.array_equal(
        groups.sum().astype(float), totals[N_ROWS].to_numpy(dtype=float)
    ):
        raise ConfigError(
            "a calibrated design: the totals table was not summed from this design's rows "
            "(combined partitions?); call psu_totals(design, ...) on the calibrated design"
        )
    outcome, denominator = meta.get("outcome"), meta.get("denominator")
    y, x, w, used = outcome_rows(design, outcome, denominator)
    domain = cells.domain_of_row[groups.index]
    unit = cells.unit_of_row[groups.index]
    inside = used & (domain >= 0)
    d = np.where(inside, domain, 0)
    yy = np.where(inside, y, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        if stat == "total":
            z = w * yy
        elif stat in ("mean", "proportion"):
            z = w * (yy - estimate[d]) / sums["w"][d]
        else:
            xx = np.where(inside, x, 0.0)
            z = w * (yy - estimate[d] * xx) / sums["x"][d]
    z = np.where(inside & np.isfinite(z), z, 0.0)
    return calibrated_unit_scores(
        design.calibration, z, np.where(inside, domain, -1), unit, cells.structure.n_finest, cells.count
    )
