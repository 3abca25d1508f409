"""Domains and sampling units of a totals table, ready for estimation.

A domain is a combination of the ``by`` values that holds at least one row with a positive
weight (R ``svyby`` drops empty groups). Cells whose domain has a missing ``by`` value belong
to no domain but their rows still count in the design (PSUs per stratum, df).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ConfigError
from survey.estimation.design import Design, _take
from survey.estimation.grouping import group_rows
from survey.estimation.structure import N_POS, N_ROWS, STRATUM, DesignStructure, build_structure
from survey.estimation.totals import ATTRS_KEY


@dataclass(frozen=True)
class DomainCells:
    """Cells (domain x finest unit) of a totals table that belong to a domain.

    Attributes
    ----------
    structure : DesignStructure
    keep : numpy.ndarray of bool
        Rows of the totals table that belong to a domain.
    domain, unit : numpy.ndarray of int
        Domain index and finest-unit index of each kept row.
    values : DataFrame
        The ``by`` values of each domain, one row per domain in domain-index order, which is
        sorted by the ``by`` columns (R ``svyby`` order).
    by : list of str
    domain_of_row, unit_of_row : numpy.ndarray of int
        Domain (``-1``: none) and finest unit of every row of the totals table.
    """

    structure: DesignStructure
    keep: np.ndarray
    domain: np.ndarray
    unit: np.ndarray
    values: pd.DataFrame
    by: list[str]
    domain_of_row: np.ndarray | None = None
    unit_of_row: np.ndarray | None = None

    @property
    def count(self) -> int:
        return len(self.values)

    def column(self, totals: pd.DataFrame, name: str) -> np.ndarray:
        """A sum column of the totals table, restricted to kept rows."""
        return totals[name].to_numpy(dtype=float)[self.keep]

    def per_domain(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.domain, weights=values, minlength=self.count)

    def labels(self) -> list[str]:
        """Readable domain labels such as ``stype=E, awards=Yes``."""
        if not self.by:
            return ["(all)"]
        parts = [self.values[c].astype(str).radd(f"{c}=") for c in self.by]
        return list(pd.concat(parts, axis=1).agg(", ".join, axis=1))

    def find(self, wanted) -> int:
        """Index of the domain whose by values equal ``wanted`` (scalar, tuple or dict)."""
        if isinstance(wanted, dict):
            missing = [c for c in self.by if c not in wanted]
            if missing:
                raise ConfigError(f"domain {wanted!r}: expected a value for each by column, missing {missing}")
            wanted = tuple(wanted[c] for c in self.by)
        elif not isinstance(wanted, tuple):
            wanted = (wanted,)
        if len(wanted) != len(self.by):
            raise ConfigError(f"domain {wanted!r}: expected {len(self.by)} values (for {', '.join(self.by)})")
        match = np.ones(self.count, dtype=bool)
        for c, v in zip(self.by, wanted, strict=True):
            match &= (self.values[c] == v).to_numpy()
        if not match.any():
            shown = ", ".join(self.labels()[:8])
            raise ConfigError(
                f"domain {wanted!r}: not found among the domains of {', '.join(self.by)} "
                f"(e.g. {shown}{' ...' if self.count > 8 else ''})"
            )
        return int(np.flatnonzero(match)[0])


def domain_cells(totals: pd.DataFrame, design: Design) -> DomainCells:
    """Validate the design structure of ``totals`` and index its domains and units."""
    meta = totals.attrs.get(ATTRS_KEY) or {}
    by = list(meta.get("by") or [c for c in totals.columns if not c.startswith("_")])
    design_columns = [c for c in totals.columns if c == STRATUM or c.startswith(("_psu", "_fpc"))]
    unit_groups = group_rows([totals[c] for c in design_columns])
    units = pd.DataFrame({c: _take(totals[c], unit_groups.first) for c in design_columns})
    units[N_ROWS] = unit_groups.sum(totals[N_ROWS].to_numpy(dtype=float))
    units[N_POS] = unit_groups.sum(totals[N_POS].to_numpy(dtype=float))
    structure, finest_of_unit = build_structure(
        units,
        n_stages=design.n_stages,
        has_fpc=bool(design.fpc),
        nest=design.nest,
        lonely_psu=design.lonely_psu,
        adjust_domain_lonely=design.adjust_domain_lonely,
        labels=design.labels,
    )
    unit_of_row = finest_of_unit[unit_groups.index]
    n_pos = totals[N_POS].to_numpy(dtype=float)
    if by:
        groups = group_rows([totals[c] for c in by])
        firsts = totals[by].iloc[groups.first].reset_index(drop=True)
        positive = np.bincount(groups.index, weights=n_pos, minlength=groups.count) > 0
        valid = positive & ~firsts.isna().any(axis=1).to_numpy()
        values = firsts[valid].reset_index(drop=True)
        order = values.sort_values(by, kind="stable").index.to_numpy()  # domains in by order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        compact = np.cumsum(valid) - 1
        domain_of_row = np.where(valid, rank[np.where(valid, compact, 0)], -1)[groups.index]
        values = values.iloc[order].reset_index(drop=True)
    else:
        domain_of_row = np.zeros(len(totals), dtype=np.int64)
        values = pd.DataFrame(index=range(1))
    keep = domain_of_row >= 0
    return DomainCells(
        structure=structure,
        keep=keep,
        domain=domain_of_row[keep],
        unit=unit_of_row[keep],
        values=values,
        by=by,
        domain_of_row=domain_of_row,
        unit_of_row=unit_of_row,
    )
