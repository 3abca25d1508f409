"""Rao-Scott design-adjusted chi-square test of independence in a two-way table.

With cell proportions ``p`` (``r x c`` cells, rows varying fastest), their linearised
covariance ``V`` and a basis ``C`` of the interaction contrasts (the interaction columns of
the saturated model, residualised on the main effects), the design effect matrix is

    Delta = (C' D^-1 C / N)^-1  (C' D^-1 V D^-1 C),   D = diag(p).

The Pearson statistic ``X^2`` of the weighted table (scaled to ``N``) is then corrected:

* first order:  ``X^2 / mean(eigenvalues of Delta)`` against chi-square with
  ``(r-1)(c-1)`` df (R ``svychisq(statistic="Chisq")``, which prints the unadjusted ``X^2``
  as its statistic but takes the p-value from the adjusted one);
* second order (the default in R, ``statistic="F"``): ``F = X^2 / trace(Delta)`` against
  ``F(d, d * nu)`` with ``d = trace(Delta)^2 / trace(Delta^2)`` and ``nu`` the design degrees of
  freedom.

Both statistics and their p-values do not depend on ``N``; the reported ``X^2`` uses the
number of rows with both variables present (R scales to all rows of the design).

On a calibrated design (post-stratified, raked, GREG) ``V`` uses the calibration residuals of the
cell indicators' influence values, as R's ``svychisq`` does through ``svymean``.

References
----------
Rao, J. N. K. and Scott, A. J. (1984). On chi-squared tests for multiway contingency tables
with cell proportions estimated from survey data. *Annals of Statistics* 12, 46-60.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from survey.errors import ColumnError
from survey.estimation.calibration import calibrated_totals
from survey.estimation.design import Design, require_design
from survey.estimation.domains import domain_cells
from survey.estimation.result import ComparisonResult
from survey.estimation.totals import N_USED, SUM_W, psu_totals
from survey.estimation.variance import covariance_matrix


def _levels(values: pd.Series) -> pd.Index:
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = values.cat.remove_unused_categories().cat.categories
        return pd.Index(present)
    return pd.Index(pd.unique(values)).sort_values()


def _calibrated_scores(design: Design, row: str, column: str, row_levels: pd.Index, col_levels: pd.Index,
                       p: np.ndarray, total_w: float) -> np.ndarray:
    """Unit totals of the calibration residuals of the cell proportions' influence values.

    R: ``svymean(mm, design, na.rm=TRUE)`` on a calibrated design, whose ``svyrecvar`` takes the
    residuals of every recorded calibration step; rows missing either variable keep their place.
    """
    data = design.data
    r_index = row_levels.get_indexer(data[row])
    c_index = col_levels.get_indexer(data[column])
    w = design.weights()
    used = (r_index >= 0) & (c_index >= 0) & data[row].notna().to_numpy() & data[column].notna().to_numpy()
    k = len(row_levels) * len(col_levels)
    indicator = np.zeros((len(data), k))
    rows = np.flatnonzero(used)
    indicator[rows, (r_index + len(row_levels) * c_index)[rows]] = 1.0
    influence = np.where(used, w, 0.0)[:, None] * (indicator - p[None, :]) / total_w
    return calibrated_totals(design.calibration, influence, design.finest_unit_of_row, design.structure.n_finest)


def rao_scott(design: Design, row: str, column: str) -> ComparisonResult:
    """Test independence of ``row`` and ``column`` with the Rao-Scott corrections.

    Rows with either variable missing are left out (R ``na.rm=TRUE``).

    Parameters
    ----------
    design : Design
    row, column : str
        The two categorical columns.

    Returns
    -------
    ComparisonResult
        Two rows, ``second-order F`` and ``first-order chi-square``, with columns ``test``,
        ``statistic``, ``ndf``, ``ddf`` (NaN for the chi-square), ``p_value``, ``pearson``
        (unadjusted X^2 with N = rows used) and ``n``.

    Examples
    --------
    R::

        svychisq(~row + column, design)                      # second order, F
        svychisq(~row + column, design, statistic="Chisq")   # first order
    """
    design = require_design(design, caller="rao_scott", second=row)
    totals = psu_totals(design, None, by=[row, column])
    cells = domain_cells(totals, design)
    values = cells.values
    if len(values) == 0:
        raise ColumnError(f"columns {row!r} and {column!r}: no row has both values present")
    row_levels, col_levels = _levels(values[row]), _levels(values[column])
    nr, nc = len(row_levels), len(col_levels)
    if nr < 2 or nc < 2:
        raise ColumnError(
            f"columns {row!r} and {column!r}: expected at least two levels each, found {nr} and {nc}"
        )
    # cell index, rows varying fastest (R: interaction(factor(row), factor(col)))
    r_index = row_levels.get_indexer(values[row])
    c_index = col_levels.get_indexer(values[column])
    cell_of_domain = r_index + nr * c_index
    k = nr * nc
    cell = cell_of_domain[cells.domain]
    w_c = cells.column(totals, SUM_W)
    n_rows = float(cells.column(totals, N_USED).sum())

    weighted = np.bincount(cell, weights=w_c, minlength=k)
    total_w = weighted.sum()
    p = weighted / total_w
    if design.calibration:
        structure = design.structure
        scores = _calibrated_scores(design, row, column, row_levels, col_levels, p, total_w)
    else:
        structure = cells.structure
        unit_cell = sp.coo_matrix((w_c, (cells.unit, cell)), shape=(structure.n_finest, k)).toarray()
        unit_total = unit_cell.sum(axis=1, keepdims=True)
        scores = (unit_cell - unit_total * p[None, :]) / total_w
    v = covariance_matrix(structure, scores)

    r_of_cell = np.tile(np.arange(nr), nc)
    c_of_cell = np.repeat(np.arange(nc), nr)
    main = np.column_stack(
        [np.ones(k)]
        + [(r_of_cell == i).astype(float) for i in range(1, nr)]
        + [(c_of_cell == j).astype(float) for j in range(1, nc)]
    )
    interaction = np.column_stack(
        [((r_of_cell == i) & (c_of_cell == j)).astype(float) for j in range(1, nc) for i in range(1, nr)]
    )
    coef, *_ = np.linalg.lstsq(main, interaction, rcond=None)
    contrasts = interaction - main @ coef
    inv_p = np.where(p > 0, 1 / np.where(p > 0, p, 1), 0.0)
    denom = contrasts.T @ (inv_p[:, None] / n_rows * contrasts)
    numer = contrasts.T @ (inv_p[:, None] * v * inv_p[None, :]) @ contrasts
    delta = np.linalg.solve(denom, numer)
    trace = np.trace(delta)
    d0 = trace**2 / np.trace(delta @ delta)
    nu = structure.degf

    table = weighted.reshape(nc, nr).T / total_w * n_rows
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n_rows
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = float(np.nansum((table - expected) ** 2 / expected))
    f_stat = pearson / trace
    first_order = pearson / (trace / delta.shape[0])
    dof = (nr - 1) * (nc - 1)
    result = pd.DataFrame(
        {
            "test": ["second-order F", "first-order chi-square"],
            "statistic": [f_stat, first_order],
            "ndf": [d0, float(dof)],
            "ddf": [d0 * nu, np.nan],
            "p_value": [stats.f.sf(f_stat, d0, d0 * nu), stats.chi2.sf(first_order, dof)],
            "pearson": [pearson, pearson],
            "n": [int(n_rows), int(n_rows)],
        }
    )
    return ComparisonResult(
        table=result,
        description=f"Rao-Scott test of independence: {row} x {column} ({nr} x {nc} table, design df {nu})",
    )
