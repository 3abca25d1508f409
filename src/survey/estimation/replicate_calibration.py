"""Calibration of a replicate-weight design: the full-sample weight and every replicate alike.

On a replicate design the variance after calibration needs no residuals: each replicate's
weights are calibrated to the same population counts, and the spread of the replicate
estimates carries the calibration (R ``postStratify.svyrep.design``, ``rake`` on a
``svrepdesign``, ``calibrate.svyrep.design``).

:func:`calibrate_replicates` is the one entry point: it applies a function that calibrates a
matrix of weight columns (rows x columns) to the full-sample weight and all replicates at once.
:func:`replicate_poststratify` and :func:`replicate_rake` are such functions for the
post-stratification and raking of :mod:`survey.estimation.weighting` (which hands over here for
a replicate design); a GREG calibration plugs in the same way. A replicate whose cell total is 0
gets no value (NaN), and is left out of variances with a warning, as in R.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation.replicates import ReplicateDesign


def calibrate_replicates(design: ReplicateDesign, calibrate: Callable[[np.ndarray], np.ndarray], description: str,
                         *, name: str = "calibrated_weight") -> ReplicateDesign:
    """Apply ``calibrate`` to the full-sample weight and to every replicate weight column.

    Parameters
    ----------
    design : ReplicateDesign
    calibrate : callable
        Takes weights of shape (rows, k) (column 0 the full-sample weight, then the replicates)
        and returns calibrated weights of the same shape. A function of one weight vector can
        be wrapped: ``lambda W: np.column_stack([f(W[:, j]) for j in range(W.shape[1])])``.
    description : str
        What was done (shown in results).
    name : str, default "calibrated_weight"
        Column for the new full-sample weights.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 2, 2], "y": [1., 2, 3, 4]})
    >>> reps = {f"r{i}": [0. if j == i else 4 / 3 for j in range(4)] for i in range(4)}
    >>> d = ReplicateDesign(df.assign(**reps), weight="w", repweights="r", type="JK1", scale=0.75)
    >>> scaled = calibrate_replicates(d, lambda W: W * (10 / W.sum(axis=0)), "total 10")
    >>> float(scaled.weights().sum())
    10.0
    """
    weights = design.all_weights()
    calibrated = np.asarray(calibrate(weights), dtype=float)
    if calibrated.shape != weights.shape:
        raise ConfigError(f"calibrate: expected weights of shape {weights.shape}, found {calibrated.shape}")
    if not np.isfinite(calibrated[:, 0]).all():
        bad = ~np.isfinite(calibrated[:, 0])
        raise ColumnError(f"calibration ({description}): full-sample weights without a value in "
                          f"{example_rows(design.data.index[bad])}")
    return design.with_weights(calibrated[:, 0], calibrated[:, 1:], description, name=name)


def _cells(design: ReplicateDesign, columns: list[str], population: pd.DataFrame, count: str, partial: bool,
           role: str):
    """Cell of every row, the cell targets, and the cells to use (as weighting.poststratify checks)."""
    from survey.estimation.weighting import _cell_label, match_cells

    data = design.data
    cell, pop = match_cells(data, population, columns, count, role)
    w = design.weights()
    orphan = (cell < 0) & (w > 0)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        shown = ", ".join(f"{c}={data[c].iloc[i]!r}" for c in columns)
        raise ColumnError(f"{role}: cell {shown} of the data is not in the population table; "
                          f"e.g. {example_rows(data.index[orphan])}")
    inside = cell >= 0
    sample = np.bincount(cell[inside], weights=w[inside], minlength=len(pop))
    target = pop[count].to_numpy(dtype=float)
    no_sample = (sample == 0) & (target > 0)
    if no_sample.any():
        shown = "; ".join(_cell_label(pop, columns, i) for i in np.flatnonzero(no_sample)[:3])
        if not partial:
            raise ColumnError(f"{role}: population cell {shown} has no sample (weight total 0); "
                              "collapse cells or pass partial=True to leave such cells out")
        warnings.warn(f"{role}: cells without sample left out: {shown}", UserWarning, stacklevel=4)
    impossible = (sample > 0) & (target == 0)
    if impossible.any():
        i = int(np.flatnonzero(impossible)[0])
        raise ColumnError(f"{role}: cell {_cell_label(pop, columns, i)} has sample weight {sample[i]:g} but "
                          f"population 0; e.g. {example_rows(data.index[inside & (cell == i)])}")
    usable = sample > 0
    cell = np.where(inside & usable[np.where(inside, cell, 0)], cell, -1)
    return cell, target


def _poststratifier(cell: np.ndarray, target: np.ndarray):
    """A function scaling every weight column so that its cell totals equal ``target``."""
    rows = np.flatnonzero(cell >= 0)
    to_cell = sp.csr_matrix((np.ones(len(rows)), (cell[rows], rows)), shape=(len(target), len(cell)))

    def apply(weights: np.ndarray) -> np.ndarray:
        totals = to_cell @ weights
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = target[:, None] / totals
        out = weights.copy()
        out[rows] = weights[rows] * factor[cell[rows]]
        return out

    return apply


def replicate_poststratify(design: ReplicateDesign, cells: str | Sequence[str], population: pd.DataFrame, *,
                           count: str = "population", partial: bool = False,
                           name: str = "poststratified_weight") -> ReplicateDesign:
    """Post-stratify the full-sample and every replicate weight (R ``postStratify`` on a ``svrepdesign``)."""
    columns = [cells] if isinstance(cells, str) else list(cells)
    cell, target = _cells(design, columns, population, count, partial, f"poststratify({', '.join(columns)})")
    return calibrate_replicates(design, _poststratifier(cell, target),
                                f"post-stratified to {' x '.join(columns)}", name=name)


def replicate_rake(design: ReplicateDesign, margins, *, count: str = "population", epsilon: float = 1.0,
                   max_iterations: int = 10, name: str = "raked_weight") -> ReplicateDesign:
    """Rake the full-sample and every replicate weight (R ``rake`` on a ``svrepdesign``).

    Each sweep post-stratifies all weight columns to every margin in turn; the sweeps stop when
    the full-sample weighted table of the margin variables changes by less than ``epsilon``
    (R's rule, decided on the full-sample weights; the replicates go through the same sweeps).
    """
    from survey.estimation.grouping import group_rows
    from survey.estimation.weighting import RakingWarning

    if not margins:
        raise ConfigError("rake: expected at least one margin, found none")
    if max_iterations < 1:
        raise ConfigError(f"rake: max_iterations: expected at least 1, found {max_iterations}")
    specs = [([columns] if isinstance(columns, str) else list(columns), population) for columns, population in margins]
    steps = []
    for columns, population in specs:
        cell, target = _cells(design, columns, population, count, False, f"rake margin {' x '.join(columns)}")
        steps.append(_poststratifier(cell, target))
    variables = list(dict.fromkeys(c for columns, _ in specs for c in columns))
    table_groups = group_rows([design.data[c] for c in variables])
    tolerance = epsilon * design.weights().sum() if epsilon < 1 else epsilon
    state = {"converged": False, "change": np.inf}

    def rake_columns(weights: np.ndarray) -> np.ndarray:
        previous = table_groups.sum(weights[:, 0])
        current = weights
        for _ in range(max_iterations):
            for step in steps:
                current = step(current)
            table = table_groups.sum(current[:, 0])
            state["change"] = float(np.max(np.abs(previous - table)))
            if state["change"] < tolerance:
                state["converged"] = True
                break
            previous = table
        return current

    raked = calibrate_replicates(design, rake_columns,
                                 f"raked to {' and '.join(' x '.join(c) for c, _ in specs)}", name=name)
    if not state["converged"]:
        warnings.warn(f"rake: not converged after {max_iterations} sweeps (largest change of a cell "
                      f"{state['change']:.3g} >= {tolerance:.3g}); raise max_iterations", RakingWarning, stacklevel=3)
    return raked
