"""Design-based Wald tests of independence in a two-way table (R ``svychisq(statistic="Wald"/"adjWald")``).

With estimated population totals ``N_ij`` of the ``r x c`` cells, ``N_i.`` of the rows, ``N_.j``
of the columns and ``N``, independence means ``Y_ij = N_ij - N_i. N_.j / N = 0``. The test uses
the ``(r-1)(c-1)`` cells with ``i > 1`` and ``j > 1``::

    W = Y' V^-1 Y,    V = J Cov(N_ij, N_i., N_.j, N) J'

with ``J`` the Jacobian of ``Y`` in the totals (Koch, Freeman and Freeman 1975). With design
degrees of freedom ``nu`` (PSUs minus strata of the whole design, or ``degf()`` of a
replicate design):

* ``Wald``: ``F = W / d`` against ``F(d, nu)``, ``d = (r-1)(c-1)``;
* ``adjWald``: ``F = W (nu - d + 1) / (d nu)`` against ``F(d, nu - d + 1)``.

The covariance of the totals comes from the design's linearisation (per-unit totals through
the stratified multistage formula) or, on a :class:`~survey.estimation.ReplicateDesign`, from
the replicate totals.

References
----------
Koch, G. G., Freeman, D. H. and Freeman, J. L. (1975). Strategies in the multivariate analysis
of data from complex surveys. *International Statistical Review* 43, 59-78.
Lumley, T. (2010). *Complex Surveys*, section 6.3. Wiley.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from survey.errors import ColumnError
from survey.estimation.chisq import _levels
from survey.estimation.design import require_design
from survey.estimation.result import ComparisonResult


def _cell_map(nr: int, nc: int) -> np.ndarray:
    """Cells (rows varying fastest) -> [cells, row margins, column margins, total] (k x (k + nr + nc + 1))."""
    k = nr * nc
    r_of_cell, c_of_cell = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    return np.hstack([np.eye(k), (r_of_cell[:, None] == np.arange(nr)).astype(float),
                      (c_of_cell[:, None] == np.arange(nc)).astype(float), np.ones((k, 1))])


def _linearised_totals(design, row: str, column: str):
    from survey.estimation.domains import domain_cells
    from survey.estimation.totals import SUM_W, psu_totals
    from survey.estimation.variance import covariance_matrix

    totals = psu_totals(design, None, by=[row, column])
    cells = domain_cells(totals, design)
    values = cells.values
    if len(values) == 0:
        raise ColumnError(f"columns {row!r} and {column!r}: no row has both values present")
    row_levels, col_levels = _levels(values[row]), _levels(values[column])
    nr, nc = len(row_levels), len(col_levels)
    cell_of_domain = row_levels.get_indexer(values[row]) + nr * col_levels.get_indexer(values[column])
    cell = cell_of_domain[cells.domain]
    w_c = cells.column(totals, SUM_W)
    unit_cell = sp.coo_matrix((w_c, (cells.unit, cell)), shape=(cells.structure.n_finest, nr * nc)).toarray()
    mapping = _cell_map(nr, nc)
    estimate = unit_cell.sum(axis=0) @ mapping
    cov = covariance_matrix(cells.structure, unit_cell @ mapping)
    structure = design.structure
    return estimate, cov, nr, nc, structure.n_psu - structure.n_strata


def _replicate_totals(design, row: str, column: str):
    from survey.estimation.replicates import replicate_covariance

    data = design.data
    for name in (row, column):
        if name not in data.columns:
            raise ColumnError(f"column {name!r}: not found in the data")
    present = data[row].notna().to_numpy() & data[column].notna().to_numpy()
    if not present.any():
        raise ColumnError(f"columns {row!r} and {column!r}: no row has both values present")
    row_levels, col_levels = _levels(data.loc[present, row]), _levels(data.loc[present, column])
    nr, nc = len(row_levels), len(col_levels)
    rows = np.flatnonzero(present)
    cell = row_levels.get_indexer(data[row].to_numpy()[rows]) + nr * col_levels.get_indexer(
        data[column].to_numpy()[rows])
    indicator = sp.csr_matrix((np.ones(len(rows)), (cell, rows)), shape=(nr * nc, len(data)))
    mapping = _cell_map(nr, nc)
    totals = (indicator @ design.all_weights()).T @ mapping  # (1 + R) x statistics
    return totals[0], replicate_covariance(totals[0], totals[1:], design), nr, nc, design.degf


def wald_test(design, row: str, column: str) -> ComparisonResult:
    """Wald and adjusted Wald tests of independence of ``row`` and ``column``.

    Rows with either variable missing are left out (R ``na.rm=TRUE``).

    Parameters
    ----------
    design : Design or ReplicateDesign
    row, column : str
        The two categorical columns.

    Returns
    -------
    ComparisonResult
        Two rows, ``Wald`` and ``adjWald``: ``test``, ``statistic`` (F), ``ndf``, ``ddf``,
        ``p_value``, ``wald`` (the quadratic form ``W``).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 1, 2, 1, 2, 1, 2], "p": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "a": [0, 1, 0, 1, 1, 1, 0, 0], "b": [0, 1, 1, 0, 1, 1, 0, 1]})
    >>> from survey.estimation import Design
    >>> wald_test(Design(df, weight="w", psu="p"), "a", "b").to_frame()["ddf"].tolist()
    [3.0, 3.0]

    R::

        svychisq(~row + column, design, statistic="Wald")
        svychisq(~row + column, design, statistic="adjWald")
    """
    design = require_design(design, caller="wald_test", second=row, replicate=True)
    if getattr(design, "is_replicate", False):
        estimate, cov, nr, nc, nu = _replicate_totals(design, row, column)
    else:
        estimate, cov, nr, nc, nu = _linearised_totals(design, row, column)
    if nr < 2 or nc < 2:
        raise ColumnError(f"columns {row!r} and {column!r}: expected at least two levels each, found {nr} and {nc}")
    k = nr * nc
    cells, r_tot, c_tot, n_tot = estimate[:k], estimate[k:k + nr], estimate[k + nr:k + nr + nc], estimate[-1]
    r_of_cell, c_of_cell = np.tile(np.arange(nr), nc), np.repeat(np.arange(nc), nr)
    y = cells - r_tot[r_of_cell] * c_tot[c_of_cell] / n_tot
    jacobian = np.hstack([
        np.eye(k),
        -(r_of_cell[:, None] == np.arange(nr)).astype(float) * (c_tot[c_of_cell] / n_tot)[:, None],
        -(c_of_cell[:, None] == np.arange(nc)).astype(float) * (r_tot[r_of_cell] / n_tot)[:, None],
        (r_tot[r_of_cell] * c_tot[c_of_cell] / n_tot**2)[:, None],
    ])
    v = jacobian @ cov @ jacobian.T
    use = (r_of_cell > 0) & (c_of_cell > 0)
    wald = float(y[use] @ np.linalg.solve(v[np.ix_(use, use)], y[use]))
    d = (nr - 1) * (nc - 1)
    adjusted_ddf = nu - d + 1
    f_wald, f_adjusted = wald / d, wald * adjusted_ddf / (d * nu)
    table = pd.DataFrame({
        "test": ["Wald", "adjWald"],
        "statistic": [f_wald, f_adjusted],
        "ndf": [float(d), float(d)],
        "ddf": [float(nu), float(adjusted_ddf)],
        "p_value": [stats.f.sf(f_wald, d, nu) if nu > 0 else np.nan,
                    stats.f.sf(f_adjusted, d, adjusted_ddf) if adjusted_ddf > 0 else np.nan],
        "wald": [wald, wald],
    })
    return ComparisonResult(table=table, description=f"Design-based Wald tests of independence: {row} x {column} "
                                                      f"({nr} x {nc} table, design df {nu})")
