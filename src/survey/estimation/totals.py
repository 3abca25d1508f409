"""Sufficient statistics: weighted sums per domain x sampling unit.

Every estimate in this package (total, mean, proportion, ratio, their linearised variances,
design effects, degrees of freedom, domain covariances, Rao-Scott tests) is a function of a
small table of weighted sums per *cell* = domain x finest sampling unit. Computing that table
is the only pass over the respondents. Because sums add up, a sample that does not fit in
memory is processed partition by partition::

    parts = [psu_totals(design.with_data(chunk), "y", by=["district"]) for chunk in chunks]
    result = finalize(combine_totals(parts), design, stat="proportion")

and gives the same numbers as ``finalize(psu_totals(design, "y", by=["district"]), design, ...)``.

Columns of a totals table: the ``by`` columns, then the design codes ``_stratum``, ``_psu1``
(..``_psuK``), ``_fpc1`` (..) and the sums over the rows of the cell: ``_n_rows`` (all rows),
``_n_pos`` (rows with a positive weight), ``_n`` (rows used: outcome, and denominator for a
ratio, present and weight > 0), ``_n_nonbinary`` (used rows whose outcome is not 0/1),
``_w`` (sum of weights of used rows), ``_wy``, ``_wyy`` and, for ratios, ``_wx``, ``_wxx``,
``_wxy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation.design import Design, _numeric, _take, require_design
from survey.estimation.grouping import group_rows
from survey.estimation.structure import N_POS, N_ROWS, STRATUM

N_USED = "_n"
N_NONBINARY = "_n_nonbinary"
SUM_W, SUM_WY, SUM_WYY = "_w", "_wy", "_wyy"
SUM_WX, SUM_WXX, SUM_WXY = "_wx", "_wxx", "_wxy"
SUM_COLUMNS = (N_ROWS, N_POS, N_USED, N_NONBINARY, SUM_W, SUM_WY, SUM_WYY, SUM_WX, SUM_WXX, SUM_WXY)
ATTRS_KEY = "survey.totals"


def _as_list(by: str | Sequence[str] | None) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def _outcome(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    if column not in data.columns:
        raise ColumnError(f"{role} column {column!r}: not found in the data")
    values = _numeric(data, column, role)
    if np.isinf(values).any():
        bad = np.isinf(values)
        raise ColumnError(f"{role} column {column!r}: expected finite numbers, found infinity in "
                          f"{example_rows(data.index[bad])}")
    return values


def outcome_rows(design, outcome: str | None, denominator: str | None):
    """Outcome ``y`` (ones when None), denominator ``x``, weights ``w`` and the rows that count.

    A row counts when its weight is positive and its outcome (and denominator) are present:
    rows with a missing outcome stay in the design as a domain, as R's ``na.rm=TRUE``.
    """
    data = design.data
    y = np.ones(len(data)) if outcome is None else _outcome(data, outcome, "outcome")
    w = design.weights()
    used = ~np.isnan(y) & (w > 0)
    x = None
    if denominator is not None:
        x = _outcome(data, denominator, "denominator")
        used &= ~np.isnan(x)
    return y, x, w, used


def psu_totals(
    design: Design,
    outcome: str | None,
    *,
    by: str | Sequence[str] | None = None,
    denominator: str | None = None,
) -> pd.DataFrame:
    """Weighted sums of ``outcome`` per domain x sampling unit: the one pass over the data.

    Parameters
    ----------
    design : Design
        A design over the data or over one partition of it (``Design(..., partition=True)``
        or ``design.with_data(chunk)``).
    outcome : str or None
        Numeric or boolean column. Missing values are not used: the row stays in the design
        but is outside every domain for this outcome (R ``na.rm=TRUE``). None counts rows
        (outcome 1 for every row), e.g. for domain sizes and cross-tables.
    by : str or list of str, optional
        Domain columns. Rows with a missing domain value belong to no domain.
    denominator : str, optional
        Denominator column for a ratio.

    Returns
    -------
    DataFrame
        One row per domain x unit, columns as described in the module docstring. Its
        ``attrs["survey.totals"]`` records the outcome, denominator and by columns.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4], "p": [1, 1, 2, 2], "y": [0, 1, 1, None]})
    >>> t = psu_totals(Design(df, weight="w", psu="p"), "y")
    >>> t[["_psu1", "_n", "_w", "_wy"]].values.tolist()
    [[1.0, 2.0, 3.0, 2.0], [2.0, 1.0, 3.0, 3.0]]
    """
    design = require_design(design, caller="psu_totals", second=outcome)
    by = _as_list(by)
    data = design.data
    for column in by:
        if column not in data.columns:
            raise ColumnError(f"by column {column!r}: not found in the data")
        if column.startswith("_"):
            raise ColumnError(f"by column {column!r}: names starting with '_' are reserved for totals tables")
    y, x, w, used = outcome_rows(design, outcome, denominator)
    units = design.row_units
    groups = group_rows([data[column] for column in by] + [units.index])
    unit_of_group = units.index[groups.first]
    unit_rows = units.first[unit_of_group]

    wu = np.where(used, w, 0.0)
    yu = np.where(used, y, 0.0)
    table = {column: _take(data[column], groups.first) for column in by}
    table.update({name: _take(values, unit_rows) for name, values in design.key_columns().items()})
    table[N_ROWS] = groups.sum()
    table[N_POS] = groups.sum((w > 0).astype(float))
    table[N_USED] = groups.sum(used.astype(float))
    table[N_NONBINARY] = groups.sum((used & (y != 0) & (y != 1)).astype(float))
    wy = wu * yu
    table[SUM_W] = groups.sum(wu)
    table[SUM_WY] = groups.sum(wy)
    table[SUM_WYY] = groups.sum(wy * yu)
    if x is not None:
        xu = np.where(used, x, 0.0)
        wx = wu * xu
        table[SUM_WX] = groups.sum(wx)
        table[SUM_WXX] = groups.sum(wx * xu)
        table[SUM_WXY] = groups.sum(wx * yu)
    totals = pd.DataFrame(table)
    totals.attrs[ATTRS_KEY] = {
        "outcome": outcome,
        "denominator": denominator,
        "by": by,
        "design": _design_signature(design),
        "rows_are_psus": not design.psu,
    }
    return totals


def _design_signature(design: Design) -> dict:
    return {
        "weight": design.weight,
        "strata": design.strata,
        "psu": list(design.psu),
        "fpc": list(design.fpc),
    }


def combine_totals(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Sum the :func:`psu_totals` of several partitions into one totals table.

    Cells (domain x unit) that appear in several partitions, e.g. a PSU split across files,
    are added up. The partitions must come from the same outcome, domains and design columns.
    When rows are the PSUs (no ``psu`` column) the row labels of different partitions must
    differ, otherwise two respondents would be merged into one PSU.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4], "p": [1, 1, 2, 2], "y": [0, 1, 1, 0]})
    >>> d = Design(df, weight="w", psu="p")
    >>> parts = [psu_totals(d.with_data(df.iloc[:3]), "y"), psu_totals(d.with_data(df.iloc[3:]), "y")]
    >>> combine_totals(parts)["_w"].tolist()
    [3.0, 7.0]
    """
    parts = list(parts)
    if not parts:
        raise ConfigError("combine_totals: expected at least one totals table, found none")
    meta = [p.attrs.get(ATTRS_KEY) for p in parts]
    reference = meta[0]
    for i, m in enumerate(meta[1:], start=1):
        if m != reference:
            raise ConfigError(
                f"combine_totals: partition {i} was summed for {m}, partition 0 for {reference}; "
                "use the same outcome, by columns and design for every partition"
            )
    columns = list(parts[0].columns)
    for i, p in enumerate(parts[1:], start=1):
        if list(p.columns) != columns:
            raise ConfigError(f"combine_totals: partition {i} has columns {list(p.columns)}, expected {columns}")
    sums = [c for c in columns if c in SUM_COLUMNS]
    keys = [c for c in columns if c not in SUM_COLUMNS]
    if reference and reference.get("rows_are_psus"):
        unit_keys = [STRATUM, "_psu1"]
        seen = pd.concat([p[unit_keys].drop_duplicates() for p in parts], ignore_index=True)
        clash = seen.duplicated()
        if clash.any():
            raise ColumnError(
                "index: rows are the PSUs but partitions share row labels, e.g. "
                f"{seen.loc[clash, '_psu1'].iloc[0]!r}; give every row a unique label across "
                "partitions (or a psu column)"
            )
    stacked = pd.concat(parts, ignore_index=True)
    groups = group_rows([stacked[c] for c in keys])
    table = {c: _take(stacked[c], groups.first) for c in keys}
    for c in sums:
        table[c] = groups.sum(stacked[c].to_numpy(dtype=float))
    combined = pd.DataFrame(table)
    combined.attrs[ATTRS_KEY] = reference
    return combined
