"""Weighting to known population counts: post-stratification, raking and weight trimming.

* :func:`poststratify` scales the weights in each cell (e.g. district x sex x age group) so
  they add up to the cell's population count (R ``postStratify``).
* :func:`rake` adjusts the weights to several margins in turn (iterative proportional
  fitting) until the weighted table stops changing (R ``rake``).
* :func:`trim_weights` caps weights at bounds and spreads what was cut over the other rows
  (R ``trimWeights``).

:func:`poststratify` and :func:`rake` return a new :class:`~survey.estimation.Design` that
records the calibration, so its standard errors use residuals from the calibration as R's
do (see :mod:`survey.estimation.calibration`). Population tables are DataFrames with the cell
columns and a count column (``population`` unless told otherwise); cells are matched by
value, with numbers compared as numbers (``1`` matches ``1.0``) and everything else as text.

References
----------
Deming, W. E. and Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
table when the expected marginal totals are known. *Ann. Math. Statist.* 11, 427-444.
Lumley, T. (2010). *Complex Surveys*, chapter 7. Wiley.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation.calibration import CalibrationMargin, CalibrationStep
from survey.estimation.design import Design, require_design
from survey.estimation.grouping import group_rows


class RakingWarning(UserWarning):
    """Raking stopped at the iteration limit before the weighted table settled (R warns too)."""


def _as_list(columns: str | Sequence[str]) -> list[str]:
    return [columns] if isinstance(columns, str) else list(columns)


def _comparable(values: pd.Series, other: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The two columns in one comparable form: floats if both are numeric, else text."""
    if values.dtype.kind in "iuf" and other.dtype.kind in "iuf":  # numbers already: the same floats, at once
        return values.astype(float), other.astype(float)
    a = pd.to_numeric(values.astype(object).where(values.notna(), None), errors="coerce")
    b = pd.to_numeric(other.astype(object).where(other.notna(), None), errors="coerce")
    if not (a.isna() & values.notna()).any() and not (b.isna() & other.notna()).any():
        return a.astype(float), b.astype(float)
    return values.astype(str), other.astype(str)


def match_cells(
    data: pd.DataFrame, population: pd.DataFrame, columns: list[str], count: str, role: str
) -> tuple[np.ndarray, pd.DataFrame]:
    """Cell (row of ``population``) of every data row; -1 when the population lacks it.

    Returns
    -------
    (numpy.ndarray, DataFrame)
        Row of ``population`` for each data row, and the population table with the cell
        columns and ``count`` (duplicates rejected).
    """
    for column in columns:
        if column not in data.columns:
            raise ColumnError(f"{role}: cell column {column!r} not found in the data")
        if column not in population.columns:
            raise ColumnError(
                f"{role}: population table lacks the cell column {column!r} "
                f"(columns: {', '.join(map(str, population.columns))})"
            )
        missing = data[column].isna().to_numpy()
        if missing.any():
            raise ColumnError(
                f"{role}: cell column {column!r}: expected no missing values, found "
                f"{int(missing.sum())} in {example_rows(data.index[missing])}"
            )
    if count not in population.columns:
        raise ColumnError(f"{role}: population table lacks the count column {count!r}")
    counts = pd.to_numeric(population[count], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = counts.isna() | (counts < 0)
        raise ColumnError(
            f"{role}: population column {count!r}: expected counts >= 0, found "
            f"{population.loc[bad, count].iloc[0]!r} in population {example_rows(population.index[bad])}"
        )
    pop = population[columns].reset_index(drop=True).copy()
    pop[count] = counts.to_numpy(dtype=float)
    keys = []
    for column in columns:
        a, b = _comparable(data[column], pop[column])
        keys.append(pd.concat([a, b], ignore_index=True))
    groups = group_rows(keys)
    n = len(data)
    pop_group = groups.index[n:]
    duplicated = pd.Series(pop_group).duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise ConfigError(
            f"{role}: population table repeats the cell "
            f"{', '.join(f'{c}={pop.loc[duplicated, c].iloc[0]!r}' for c in columns)}; "
            "expected one row per cell"
        )
    row_of_group = np.full(groups.count, -1, dtype=np.int64)
    row_of_group[pop_group] = np.arange(len(pop))
    return row_of_group[groups.index[:n]], pop


def _cell_label(pop: pd.DataFrame, columns: list[str], i: int) -> str:
    return ", ".join(f"{c}={pop[c].iloc[i]}" for c in columns)


def _cell_labels(pop: pd.DataFrame, columns: list[str], rows: np.ndarray) -> list[str]:
    """:func:`_cell_label` of each of ``rows`` (positions in ``pop``), a column at a time."""
    if not columns:
        return ["" for _ in rows]
    parts = [[f"{c}={value}" for value in pop[c].iloc[rows]] for c in columns]
    return [", ".join(cell) for cell in zip(*parts, strict=True)]


def _poststratify_weights(
    data: pd.DataFrame,
    weights: np.ndarray,
    columns: list[str],
    population: pd.DataFrame,
    count: str,
    partial: bool,
    role: str,
    exclude: np.ndarray | None = None,
    matched: tuple[np.ndarray, pd.DataFrame] | None = None,
) -> tuple[np.ndarray, CalibrationMargin]:
    """New weights and the calibration record of one post-stratification (R ``postStratify``).

    ``matched`` is :func:`match_cells`' answer for these rows and cells, when the caller has it.
    """
    cell, pop = matched if matched is not None else match_cells(data, population, columns, count, role)
    taking_part = np.ones(len(data), dtype=bool) if exclude is None else ~exclude
    orphan = taking_part & (cell < 0) & (weights > 0)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        shown = ", ".join(f"{c}={data[c].iloc[i]!r}" for c in columns)
        raise ColumnError(
            f"{role}: cell {shown} of the data is not in the population table; "
            f"e.g. {example_rows(data.index[orphan])}"
        )
    inside = taking_part & (cell >= 0)
    sample = np.bincount(cell[inside], weights=weights[inside], minlength=len(pop))
    target = pop[count].to_numpy(dtype=float)
    no_sample = (sample == 0) & (target > 0)
    if no_sample.any():
        shown = "; ".join(_cell_label(pop, columns, i) for i in np.flatnonzero(no_sample)[:3])
        more = f" (+{int(no_sample.sum()) - 3} more)" if no_sample.sum() > 3 else ""
        if not partial:
            raise ColumnError(
                f"{role}: population cell {shown}{more} has no sample (weight total 0); "
                "collapse cells or pass partial=True to leave such cells out"
            )
        warnings.warn(f"{role}: cells without sample left out: {shown}{more}", UserWarning, stacklevel=3)
    impossible = (sample > 0) & (target == 0)
    if impossible.any():
        i = int(np.flatnonzero(impossible)[0])
        rows = inside & (cell == i)
        raise ColumnError(
            f"{role}: cell {_cell_label(pop, columns, i)} has sample weight {sample[i]:g} but "
            f"population 0; e.g. {example_rows(data.index[rows])}"
        )
    usable = sample > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(usable, target / sample, 0.0)
    in_cell = inside & usable[np.where(cell >= 0, cell, 0)]
    new = np.where(in_cell, weights * factor[np.where(cell >= 0, cell, 0)], weights)
    compact = np.full(len(pop), -1, dtype=np.int64)
    compact[usable] = np.arange(int(usable.sum()))
    margin = CalibrationMargin(
        cells=np.where(in_cell, compact[np.where(cell >= 0, cell, 0)], -1),
        weights=new,
        old_weights=weights,
        labels=_cell_labels(pop, columns, np.flatnonzero(usable)),
        variables=tuple(columns),
    )
    return new, margin


def poststratify(
    design: Design,
    cells: str | Sequence[str],
    population: pd.DataFrame,
    *,
    count: str = "population",
    partial: bool = False,
    name: str = "poststratified_weight",
) -> Design:
    """Post-stratify the design's weights to population counts per cell.

    Every weight in a cell is multiplied by ``population / (sum of the cell's weights)``.

    Parameters
    ----------
    design : Design
    cells : str or list of str
        Cell columns, e.g. ``["district", "sex", "age_group"]``.
    population : DataFrame
        One row per cell: the cell columns and ``count``.
    count : str, default "population"
    partial : bool, default False
        Leave out population cells without sample (with a warning) instead of failing.
    name : str, default "poststratified_weight"
        Column for the new weights.

    Returns
    -------
    Design
        With the new weights and the post-stratification recorded for the variance. For a
        :class:`~survey.estimation.ReplicateDesign`, every replicate weight is post-stratified
        too (:mod:`survey.estimation.replicate_calibration`).

    Raises
    ------
    ColumnError
        A data cell missing from the population table, a population cell without sample
        (unless ``partial``), missing cell values, bad counts.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 2, 2], "p": [1, 2, 3, 4], "sex": ["f", "m", "f", "m"],
    ...                    "y": [1, 0, 1, 1]})
    >>> pop = pd.DataFrame({"sex": ["f", "m"], "population": [60, 40]})
    >>> d = poststratify(Design(df, weight="w", psu="p"), "sex", pop)
    >>> d.weights().tolist()
    [20.0, 13.333333333333334, 40.0, 26.666666666666668]

    R: ``postStratify(design, ~sex, data.frame(sex=c("f","m"), Freq=c(60,40)))``.
    """
    if getattr(design, "is_replicate", False):
        from survey.estimation.replicate_calibration import replicate_poststratify

        return replicate_poststratify(design, cells, population, count=count, partial=partial, name=name)
    design = require_design(design, caller="poststratify", second=cells)
    columns = _as_list(cells)
    weights = design.weights()
    new, margin = _poststratify_weights(
        design.data, weights, columns, population, count, partial, f"poststratify({', '.join(columns)})"
    )
    step = CalibrationStep("poststratify", (margin,), f"post-stratified to {' x '.join(columns)}")
    return design.with_calibration(new, step, name=name)


def rake(
    design: Design,
    margins: Sequence[tuple[str | Sequence[str], pd.DataFrame]],
    *,
    count: str = "population",
    epsilon: float = 1.0,
    max_iterations: int = 10,
    name: str = "raked_weight",
) -> Design:
    """Rake the weights to several population margins (iterative proportional fitting).

    Each sweep post-stratifies to every margin in turn; raking stops when the weighted table
    of all margin variables crossed changes by less than ``epsilon`` in every cell between
    two sweeps, or after ``max_iterations`` sweeps (then a :class:`RakingWarning`). The
    stopping rule and its defaults are R's, so the weights equal R's ``rake()`` exactly.

    Parameters
    ----------
    design : Design
    margins : list of (columns, population)
        E.g. ``[(["district", "sex"], pop_ds), (["district", "age_group"], pop_da)]``; each
        population table has the columns and ``count``.
    count : str, default "population"
    epsilon : float, default 1.0
        Convergence tolerance: values >= 1 are weighted counts; values < 1 a fraction of the
        total weight before raking (R ``control$epsilon``).
    max_iterations : int, default 10
        R ``control$maxit``.
    name : str, default "raked_weight"

    Returns
    -------
    Design
        With the raked weights and the raking recorded for the variance. For a
        :class:`~survey.estimation.ReplicateDesign`, every replicate weight goes through the same
        sweeps (:mod:`survey.estimation.replicate_calibration`).

    Raises
    ------
    ColumnError
        A margin cell without sample, a data cell missing from a margin table, missing
        values in a margin column; rows with weight 0 (R's variance would be NaN).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 2, 2], "p": [1, 2, 3, 4], "sex": ["f", "m", "f", "m"],
    ...                    "urban": [1, 1, 0, 0], "y": [1, 0, 1, 1]})
    >>> d = rake(Design(df, weight="w", psu="p"),
    ...          [("sex", pd.DataFrame({"sex": ["f", "m"], "population": [50, 50]})),
    ...           ("urban", pd.DataFrame({"urban": [0, 1], "population": [40, 60]}))])
    >>> round(float(d.weights().sum()), 6)
    100.0

    R: ``rake(design, list(~sex, ~urban), list(pop_sex, pop_urban))``.
    """
    if getattr(design, "is_replicate", False):
        from survey.estimation.replicate_calibration import replicate_rake

        return replicate_rake(design, margins, count=count, epsilon=epsilon, max_iterations=max_iterations,
                              name=name)
    design = require_design(design, caller="rake", second=margins)
    if not margins:
        raise ConfigError("rake: expected at least one margin, found none")
    if max_iterations < 1:
        raise ConfigError(f"rake: max_iterations: expected at least 1, found {max_iterations}")
    specs = [(_as_list(columns), population) for columns, population in margins]
    data = design.data
    weights = design.weights()
    zero = weights == 0
    if zero.any():
        raise ColumnError(
            f"rake: weight column {design.weight!r}: expected positive weights, found 0 in "
            f"{example_rows(data.index[zero])}; drop those rows (R's raked variance is NaN then)"
        )
    variables = list(dict.fromkeys(c for columns, _ in specs for c in columns))
    for column in variables:
        if column not in data.columns:
            raise ColumnError(f"rake: margin column {column!r} not found in the data")
    table_groups = group_rows([data[c] for c in variables])
    tolerance = epsilon * weights.sum() if epsilon < 1 else epsilon
    previous = table_groups.sum(weights)
    converged = False
    iteration = 0
    current = weights
    records: list[CalibrationMargin] = []
    roles = [f"rake margin {' x '.join(columns)}" for columns, _ in specs]
    matched = [match_cells(data, population, columns, count, role)  # the cells do not change between sweeps
               for (columns, population), role in zip(specs, roles, strict=True)]
    while iteration < max_iterations:
        records = []
        for (columns, population), role, cells in zip(specs, roles, matched, strict=True):
            current, margin = _poststratify_weights(data, current, columns, population, count, False, role,
                                                    matched=cells)
            records.append(margin)
        table = table_groups.sum(current)
        if np.max(np.abs(previous - table)) < tolerance:
            converged = True
            break
        previous = table
        iteration += 1
    if not converged:
        warnings.warn(
            f"rake: not converged after {iteration} sweeps (largest change of a cell "
            f"{np.max(np.abs(previous - table)):.3g} >= {tolerance:.3g}); raise max_iterations",
            RakingWarning,
            stacklevel=2,
        )
    described = " and ".join(" x ".join(columns) for columns, _ in specs)
    step = CalibrationStep("rake", tuple(records), f"raked to {described}")
    return design.with_calibration(current, step, name=name)


def margins_from_table(
    table: pd.DataFrame, margins: Sequence[Sequence[str]], count: str = "population"
) -> list[tuple[list[str], pd.DataFrame]]:
    """Sum a cross-classified population table into the margins :func:`rake` takes.

    Examples
    --------
    >>> t = pd.DataFrame({"sex": ["f", "f", "m"], "age": ["young", "old", "old"], "population": [1, 2, 3]})
    >>> [m[1]["population"].tolist() for m in margins_from_table(t, [["sex"], ["age"]])]
    [[3, 3], [5, 1]]
    """
    out = []
    for columns in margins:
        columns = _as_list(columns)
        missing = [c for c in [*columns, count] if c not in table.columns]
        if missing:
            raise ColumnError(f"margins table: expected columns {', '.join(missing)}")
        out.append((columns, table.groupby(columns, as_index=False, sort=True, observed=True)[count].sum()))
    return out


def trim_weights(
    design: Design,
    lower: float = -np.inf,
    upper: float = np.inf,
    *,
    strict: bool = False,
    name: str = "trimmed_weight",
) -> Design:
    """Cap weights at ``[lower, upper]`` and share what was cut equally among the other rows.

    As R's ``trimWeights``: weights outside the bounds are set to the bound, and the total
    amount trimmed (positive or negative) is added in equal parts to every weight that was
    inside, so the weight total is kept. Those additions can push weights past a bound;
    ``strict=True`` repeats until none is outside. Calibration records are kept (R keeps
    ``postStrata``).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 10], "y": [0, 1, 1, 0]})
    >>> trim_weights(Design(df, weight="w"), upper=6).weights().tolist()
    [2.333333333333333, 3.333333333333333, 4.333333333333333, 6.0]

    R: ``trimWeights(design, upper=6)``.
    """
    design = require_design(design, caller="trim_weights")
    if lower > upper:
        raise ConfigError(f"trim_weights: expected lower <= upper, found {lower} > {upper}")
    weights = design.weights()
    for _ in range(10_000):
        outside = (weights < lower) | (weights > upper)
        if not outside.any():
            break
        trimmed = np.clip(weights, lower, upper)
        cut = float(np.sum(weights - trimmed))
        if outside.all():
            raise ConfigError(
                f"trim_weights: every weight of {design.weight!r} is outside [{lower}, {upper}]; nothing "
                "left to take the trimmed amount"
            )
        trimmed[~outside] += cut / int((~outside).sum())
        weights = trimmed
        if not strict:
            break
    return design.with_weights(weights, name=name)
