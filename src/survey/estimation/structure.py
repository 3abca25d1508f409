"""The sampling structure a variance needs: strata, PSUs (and later-stage units), FPCs.

The structure is built from a *unit table*: one or more rows per sampling unit of the finest
stage, with the stratum, the cluster code of each stage, the FPC of each stage and the
number of data rows (and of rows with a positive weight) in the unit. Such a table comes
either from the data of an in-memory :class:`~survey.estimation.Design` or from summed
:func:`~survey.estimation.psu_totals` of several partitions, so the same checks run in both
cases:

* PSU codes repeat across strata while ``nest=False`` (R: "Clusters not nested in strata");
* the FPC differs between units of one stratum, mixes population sizes (> 1) and sampling
  fractions (<= 1) or implies that more units were sampled than exist;
* a stratum holds a single PSU while ``lonely_psu="fail"``; a stratum whose FPC says every
  unit was taken (certainty stratum) is not lonely, as in R;
* the design has one PSU in all.

For every stage ``s`` the table gives, per *group* (stage 1: stratum; stage ``s > 1``: the
stage ``s-1`` unit the units sit in), the number of units sampled ``n_g``, the finite
population factor ``f_g = (N_g - n_g) / N_g`` (1 without FPC), the variance scale
``f_g n_g / (n_g - 1)`` and the product of the sampling fractions of earlier stages, which
multiplies the stage's contribution (R ``survey:::multistage``). Later stages are only used
when an FPC is given, again as in R; without FPC the first stage is treated as sampled with
replacement and later stages add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation.grouping import group_rows

STRATUM = "_stratum"
N_ROWS = "_n_rows"
N_POS = "_n_pos"
FIRST_ROW = "_first_row"
CERTAINTY_TOLERANCE = 1e-7  # R: a stratum with f < 1e-7 contributes no variance


def psu_column(stage: int) -> str:
    """Internal name of the cluster code of ``stage`` (1 = PSU) in unit and totals tables."""
    return f"_psu{stage}"


def fpc_column(stage: int) -> str:
    """Internal name of the FPC of ``stage`` in unit and totals tables."""
    return f"_fpc{stage}"


@dataclass(frozen=True)
class Stage:
    """One sampling stage: which unit each finest unit belongs to and the per-group factors."""

    unit_of_finest: np.ndarray
    group_of_unit: np.ndarray
    n_groups: int
    n_units: np.ndarray
    f: np.ndarray
    scale: np.ndarray
    multiplier: np.ndarray
    certain: np.ndarray
    lonely: np.ndarray
    group_labels: np.ndarray


@dataclass(frozen=True)
class DesignStructure:
    """Everything the linearisation variance needs, indexed by finest sampling unit.

    Attributes
    ----------
    stages : tuple of Stage
        Stage 1 (PSUs within strata) first; later stages only with an FPC.
    n_finest : int
        Number of units of the finest stage the table describes.
    degf : int
        Design degrees of freedom: PSUs minus strata, counting only units holding a row with a
        positive weight (R ``degf()``).
    n_psu, n_strata : int
        PSUs and strata in the design (all rows).
    lonely_psu : str
        Lonely-PSU policy (R ``options(survey.lonely.psu=)``).
    adjust_domain_lonely : bool
        Apply the policy to strata left with one PSU inside a domain
        (R ``options(survey.adjust.domain.lonely=)``).
    """

    stages: tuple[Stage, ...]
    n_finest: int
    degf: int
    n_psu: int
    n_strata: int
    lonely_psu: str
    adjust_domain_lonely: bool

    @property
    def psu_of_finest(self) -> np.ndarray:
        return self.stages[0].unit_of_finest

    @property
    def stratum_of_finest(self) -> np.ndarray:
        first = self.stages[0]
        return first.group_of_unit[first.unit_of_finest]


def _show(value) -> str:
    """repr of a code without numpy's type wrapper: 2, 'E'."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _label(labels: dict, name: str) -> str:
    return labels.get(name, name)


def _rows_hint(units: pd.DataFrame, mask: np.ndarray) -> str:
    if FIRST_ROW not in units.columns:
        return ""
    return "; e.g. " + example_rows(pd.unique(units[FIRST_ROW].to_numpy()[mask]))


def _fpc_mode(units: pd.DataFrame, stages: int, labels: dict) -> str:
    """'popsize' when any FPC exceeds 1 (then all must be >= 1), else 'fraction' (R as.fpc)."""
    values = np.concatenate([units[fpc_column(s)].to_numpy(dtype=float) for s in range(1, stages + 1)])
    if (values > 1).any():
        if (values < 1).any():
            names = ", ".join(repr(_label(labels, fpc_column(s))) for s in range(1, stages + 1))
            raise ColumnError(
                f"fpc column(s) {names}: expected all population sizes (>= 1) or all sampling "
                f"fractions (<= 1), found both (e.g. {values[values > 1][0]:g} and "
                f"{values[values < 1][0]:g}){_rows_hint(units, np.ones(len(units), bool))}"
            )
        return "popsize"
    return "fraction"


def build_structure(
    units: pd.DataFrame,
    *,
    n_stages: int,
    has_fpc: bool,
    nest: bool,
    lonely_psu: str,
    adjust_domain_lonely: bool,
    labels: dict[str, str],
) -> tuple[DesignStructure, np.ndarray]:
    """Validate a unit table and derive the per-stage variance factors.

    Parameters
    ----------
    units : DataFrame
        Columns ``_stratum``, ``_psu1`` ... ``_psu{n_stages}``, ``_fpc1`` ... (with FPC),
        ``_n_rows``, ``_n_pos`` and optionally ``_first_row`` (a data row label, for messages).
        Units may appear on several rows (e.g. one per domain); counts are summed.
    n_stages : int
        Number of cluster columns.
    has_fpc : bool
        Whether FPC columns are present.
    nest : bool
        PSU codes are only unique within a stratum (R ``nest=TRUE``).
    lonely_psu, adjust_domain_lonely :
        Lonely-PSU policy, see :class:`DesignStructure`.
    labels : dict
        User column name for each internal column, for messages.

    Returns
    -------
    (DesignStructure, numpy.ndarray)
        The structure and, for every row of ``units``, the index of its finest unit.
    """
    strata = units[STRATUM]
    psus = [units[psu_column(s)] for s in range(1, n_stages + 1)]
    strata_groups = group_rows([strata])
    stratum_code = strata_groups.index

    if not nest:
        by_psu = group_rows([psus[0]])
        other = stratum_code != stratum_code[by_psu.first][by_psu.index]
        if other.any():
            i = int(np.flatnonzero(other)[0])
            psu_value = psus[0].iloc[i]
            both = pd.unique(strata.to_numpy()[by_psu.index == by_psu.index[i]])
            raise ColumnError(
                f"psu column {_label(labels, psu_column(1))!r}: expected each PSU code in one "
                f"stratum, found PSU {_show(psu_value)} in strata {', '.join(map(_show, both[:4]))} of "
                f"{_label(labels, STRATUM)!r}{_rows_hint(units, by_psu.index == by_psu.index[i])}; "
                "if PSU codes are only unique within a stratum (as in NHANES) pass nest=True"
            )

    used_stages = n_stages if has_fpc else 1
    mode = _fpc_mode(units, used_stages, labels) if has_fpc else None
    n_pos = units[N_POS].to_numpy(dtype=float)

    if group_rows([strata, psus[0]]).count == 1:
        raise ColumnError(
            f"psu column {_label(labels, psu_column(1))!r}: expected at least two PSUs, "
            "found one (R: 'Design has only one primary sampling unit')"
        )
    stages: list[Stage] = []
    previous_units = None
    finest_groups = group_rows([strata, *psus])
    multiplier_of_parent = None
    for s in range(1, used_stages + 1):
        unit_groups = group_rows([strata, *psus[:s]])
        if s == 1:
            group_of_unit = stratum_code[unit_groups.first]
            n_groups = strata_groups.count
            group_labels = strata.to_numpy()[strata_groups.first]
            multiplier = np.ones(n_groups)
        else:
            group_of_unit = previous_units.index[unit_groups.first]
            n_groups = previous_units.count
            group_labels = psus[s - 2].to_numpy()[previous_units.first]
            multiplier = multiplier_of_parent
        n_units = np.bincount(group_of_unit, minlength=n_groups).astype(float)
        row_group = group_of_unit[unit_groups.index]

        if has_fpc:
            fpc_name = fpc_column(s)
            fpc = units[fpc_name].to_numpy(dtype=float)
            fpc_group = fpc[
                (strata_groups.first if s == 1 else previous_units.first)
            ]
            varies = ~np.isclose(fpc, fpc_group[row_group], rtol=1e-12, atol=0) & ~(
                np.isinf(fpc) & np.isinf(fpc_group[row_group])
            )
            if varies.any():
                i = int(np.flatnonzero(varies)[0])
                where = "stratum" if s == 1 else f"stage-{s - 1} unit"
                raise ColumnError(
                    f"fpc column {_label(labels, fpc_name)!r}: expected one value per {where}, "
                    f"found {fpc_group[row_group[i]]:g} and {fpc[i]:g} in {where} "
                    f"{_show(group_labels[row_group[i]])}{_rows_hint(units, row_group == row_group[i])}"
                )
            popsize = fpc_group if mode == "popsize" else n_units / fpc_group
            too_small = popsize < n_units * (1 - 1e-12)
            if too_small.any():
                g = int(np.flatnonzero(too_small)[0])
                raise ColumnError(
                    f"fpc column {_label(labels, fpc_name)!r}: expected a population size of at "
                    f"least the {int(n_units[g])} units sampled in {group_labels[g]!r}, found "
                    f"{popsize[g]:g} (more than 100% sampled){_rows_hint(units, row_group == g)}"
                )
            with np.errstate(invalid="ignore", divide="ignore"):
                f = np.where(np.isinf(popsize), 1.0, (popsize - n_units) / popsize)
                sampling_fraction = np.where(np.isinf(popsize), 0.0, n_units / popsize)
        else:
            f = np.ones(n_groups)
            sampling_fraction = np.zeros(n_groups)
        scale = np.where(n_units > 1, f * n_units / np.maximum(n_units - 1, 1), f)
        certain = f < CERTAINTY_TOLERANCE
        lonely = (n_units == 1) & ~certain

        if lonely.any():
            lonely_labels = group_labels[lonely]
            shown = ", ".join(_show(v) for v in lonely_labels[:5])
            more = f" (+{lonely.sum() - 5} more)" if lonely.sum() > 5 else ""
            if lonely_psu == "fail":
                if s == 1:
                    what = f"stratum {shown}{more} of {_label(labels, STRATUM)!r} has a single PSU"
                else:
                    what = (f"stage-{s - 1} unit {shown}{more} of "
                            f"{_label(labels, psu_column(s - 1))!r} has a single stage-{s} unit")
                raise ConfigError(
                    f"lonely_psu='fail': {what}{_rows_hint(units, np.isin(row_group, np.flatnonzero(lonely)))}; "
                    "choose lonely_psu='remove', 'certainty', 'adjust' or 'average' "
                    "(R: options(survey.lonely.psu=...))"
                )
            if lonely_psu == "average" and s > 1:
                raise ConfigError(
                    f"lonely_psu='average': stage-{s - 1} unit {shown}{more} has a single "
                    f"stage-{s} unit, and averaging is only defined at the first stage "
                    "(R returns NaN there); use 'adjust', 'remove' or 'certainty'"
                )

        stages.append(
            Stage(
                unit_of_finest=unit_groups.index[finest_groups.first],
                group_of_unit=group_of_unit,
                n_groups=n_groups,
                n_units=n_units,
                f=f,
                scale=scale,
                multiplier=multiplier,
                certain=certain,
                lonely=lonely,
                group_labels=group_labels,
            )
        )
        multiplier_of_parent = (multiplier * sampling_fraction)[group_of_unit]
        previous_units = unit_groups

    first = stages[0]
    n_psu = int(len(first.group_of_unit))
    psu_positive = np.bincount(first.unit_of_finest[finest_groups.index], weights=n_pos,
                               minlength=n_psu) > 0
    strata_positive = np.bincount(first.group_of_unit[psu_positive], minlength=first.n_groups) > 0
    structure = DesignStructure(
        stages=tuple(stages),
        n_finest=finest_groups.count,
        degf=int(psu_positive.sum() - strata_positive.sum()),
        n_psu=n_psu,
        n_strata=int(first.n_groups),
        lonely_psu=lonely_psu,
        adjust_domain_lonely=adjust_domain_lonely,
    )
    return structure, finest_groups.index
