"""The survey design: one object that carries weights, strata, clusters, FPC and policies.

A :class:`Design` is the Python counterpart of R's ``svydesign()``. It holds the data and the
names of the design columns, checks them once, and is then passed to every estimator
(:func:`~survey.estimation.mean`, :func:`~survey.estimation.proportion`, ...). It is frozen:
to estimate with calibrated weights, make a new design with :meth:`Design.with_weights`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.errors import ArgumentError, ColumnError, ConfigError, example_rows
from survey.estimation.grouping import Groups, group_rows
from survey.estimation.structure import (
    FIRST_ROW,
    N_POS,
    N_ROWS,
    STRATUM,
    DesignStructure,
    build_structure,
    fpc_column,
    psu_column,
)

LONELY_PSU_POLICIES = ("fail", "remove", "certainty", "adjust", "average")


class LonelyPSUWarning(UserWarning):
    """A stratum has a single PSU inside a domain (R warns the same way)."""


def _as_tuple(columns: str | Sequence[str] | None) -> tuple[str, ...]:
    if columns is None:
        return ()
    if isinstance(columns, str):
        return (columns,)
    return tuple(columns)


def _numeric(data: pd.DataFrame, column: str, role: str) -> np.ndarray:
    series = data[column]
    if series.dtype == bool or (isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu"):
        return series.to_numpy(dtype=float)  # numbers already (numpy dtypes: no pd.NA to coerce)
    values = pd.to_numeric(series, errors="coerce")
    bad = values.isna() & series.notna()
    if bad.any():
        raise ColumnError(
            f"{role} column {column!r}: expected numbers, found {series[bad].iloc[0]!r} in "
            f"{example_rows(series.index[bad])}"
        )
    return values.to_numpy(dtype=float)


@dataclass(frozen=True, eq=False)
class Design:
    """A stratified, clustered (multi-stage) sample design over a DataFrame.

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    weight : str
        Sampling (or calibrated) weight column: finite, non-missing, >= 0. Rows with weight 0
        stay in the design but contribute nothing (as R's subsets do).
    strata : str, optional
        Stratum column. Without it the design has one stratum.
    psu : str or sequence of str, optional
        Cluster column(s), first stage first (R ``id=~psu+ssu``). Without it every row is its
        own PSU (then the DataFrame index must be unique).
    fpc : str or sequence of str, optional
        Finite population correction per stage, as in R: values > 1 are population sizes
        (units in the stratum, or in the parent unit for later stages), values <= 1 are
        sampling fractions. Later stages add variance only when an FPC is given (as in R).
    nest : bool, default False
        PSU codes are only unique within a stratum (R ``nest=TRUE``; needed for NHANES).
    lonely_psu : {"fail", "remove", "certainty", "adjust", "average"}, default "fail"
        What to do with a stratum holding a single PSU (R ``options(survey.lonely.psu=)``):
        ``fail`` raises at construction; ``remove`` and ``certainty`` give it no variance
        (same numbers); ``adjust`` centres its PSU total at the population mean, i.e. adds
        ``f z^2`` (conservative); ``average`` replaces its contribution by the average of the
        other strata (the sum over the others times ``H / H_ok``). A stratum whose FPC says
        all its PSUs were taken is a certainty stratum and never lonely.
    adjust_domain_lonely : bool, default False
        Also apply the policy to strata that hold several PSUs but only one with rows in the
        domain being estimated (R ``options(survey.adjust.domain.lonely=TRUE)``): with
        ``adjust`` that PSU's total is not centred (contribution ``f n/(n-1) z^2``); with
        ``average`` the stratum is averaged out as above; with the other policies the usual
        formula is kept and a :class:`LonelyPSUWarning` is issued, as R does.
    partition : bool, default False
        The data is one partition of a larger sample: only row-level checks run here; the
        design-level checks (nesting, FPC, lonely PSUs) run in
        :func:`~survey.estimation.finalize` on the summed totals.
    calibration : tuple of CalibrationStep or GregStep, default ()
        Post-stratification, raking and GREG steps the weights went through, in order (R
        ``design$postStrata``). Set by :func:`~survey.estimation.poststratify`,
        :func:`~survey.estimation.rake`, :func:`~survey.estimation.calibrate` and
        :func:`~survey.estimation.standardize`, not by hand:
        the variance then uses residuals from the calibration, as R does.

    Raises
    ------
    ColumnError
        Missing column; missing, negative or infinite weights; missing strata, PSU or FPC
        values; a PSU code in two strata while ``nest=False``; an FPC that varies within a
        stratum or implies more than 100% sampling.
    ConfigError
        Unknown policy, or a lonely stratum under ``lonely_psu="fail"``.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10., 12, 8, 9], "h": [1, 1, 2, 2], "p": [1, 2, 1, 2],
    ...                    "y": [0, 1, 1, 1]})
    >>> d = Design(df, weight="w", strata="h", psu="p", nest=True)
    >>> d.degf
    2

    The R equivalent is ``svydesign(id=~p, strata=~h, weights=~w, nest=TRUE, data=df)``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """

    data: pd.DataFrame
    weight: str
    strata: str | None = None
    psu: str | Sequence[str] | None = None
    fpc: str | Sequence[str] | None = None
    nest: bool = False
    lonely_psu: str = "fail"
    adjust_domain_lonely: bool = False
    partition: bool = False
    calibration: tuple = ()
    _structure: DesignStructure | None = field(default=None, init=False, repr=False)
    _finest_of_unit: np.ndarray | None = field(default=None, init=False, repr=False)
    _units: Groups | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.data, pd.DataFrame):
            raise ConfigError(f"Design: expected a pandas DataFrame as data, found {type(self.data).__name__}")
        object.__setattr__(self, "psu", _as_tuple(self.psu))
        object.__setattr__(self, "fpc", _as_tuple(self.fpc))
        if self.lonely_psu not in LONELY_PSU_POLICIES:
            raise ConfigError(
                f"lonely_psu: expected one of {', '.join(LONELY_PSU_POLICIES)}, found {self.lonely_psu!r}"
            )
        self._check_rows()
        object.__setattr__(self, "_units", group_rows(list(self.key_columns().values())))
        if not self.partition:
            structure, finest_of_unit = build_structure(
                self.unit_table(),
                n_stages=self.n_stages,
                has_fpc=bool(self.fpc),
                nest=self.nest,
                lonely_psu=self.lonely_psu,
                adjust_domain_lonely=self.adjust_domain_lonely,
                labels=self.labels,
            )
            object.__setattr__(self, "_structure", structure)
            object.__setattr__(self, "_finest_of_unit", finest_of_unit)

    # ----------------------------------------------------------------- checks
    def _check_rows(self) -> None:
        data = self.data
        columns = [("weight", self.weight)]
        columns += [("strata", self.strata)] if self.strata else []
        columns += [("psu", c) for c in self.psu] + [("fpc", c) for c in self.fpc]
        for role, column in columns:
            if column not in data.columns:
                raise ColumnError(
                    f"{role} column {column!r}: not found in the data (columns: "
                    f"{', '.join(map(str, list(data.columns)[:12]))}{' ...' if data.shape[1] > 12 else ''})"
                )
        if self.fpc and self.psu and len(self.fpc) != len(self.psu):
            raise ConfigError(
                f"fpc: expected one column per sampling stage ({len(self.psu)}: "
                f"{', '.join(self.psu)}), found {len(self.fpc)} ({', '.join(self.fpc)})"
            )
        if self.fpc and not self.psu and len(self.fpc) != 1:
            raise ConfigError(f"fpc: expected one column when rows are the PSUs, found {len(self.fpc)}")

        w = _numeric(data, self.weight, "weight")
        for problem, bad in (
            ("missing values", np.isnan(w)),
            ("infinite values", np.isinf(w)),
            ("negative values", w < 0),
        ):
            if bad.any():
                raise ColumnError(
                    f"weight column {self.weight!r}: expected finite weights >= 0, found "
                    f"{problem} in {example_rows(data.index[bad])}"
                )
        for role, column in columns[1:]:
            missing = data[column].isna().to_numpy()
            if missing.any():
                raise ColumnError(
                    f"{role} column {column!r}: expected no missing values, found "
                    f"{int(missing.sum())} in {example_rows(data.index[missing])}"
                )
        for column in self.fpc:
            f = _numeric(data, column, "fpc")
            if (f <= 0).any():
                raise ColumnError(
                    f"fpc column {column!r}: expected population sizes or sampling fractions > 0, "
                    f"found {f[f <= 0][0]:g} in {example_rows(data.index[f <= 0])}"
                )
        if not self.psu and not data.index.is_unique:
            dup = data.index.duplicated(keep=False)
            raise ColumnError(
                f"index: without a psu column every row is its own PSU and the DataFrame index "
                f"must be unique, found repeated labels in {example_rows(data.index[dup])}; "
                "use data.reset_index(drop=True) or give psu="
            )

    # ------------------------------------------------------------ structure
    @property
    def n_stages(self) -> int:
        return max(len(self.psu), 1)

    @property
    def labels(self) -> dict[str, str]:
        """User column name of each internal design column (for messages)."""
        labels = {STRATUM: self.strata or "(one stratum)"}
        for s in range(1, self.n_stages + 1):
            labels[psu_column(s)] = self.psu[s - 1] if self.psu else "(row index)"
            if self.fpc:
                labels[fpc_column(s)] = self.fpc[s - 1]
        return labels

    def weights(self) -> np.ndarray:
        """The weight column as a float array."""
        return _numeric(self.data, self.weight, "weight")

    def key_columns(self) -> dict[str, np.ndarray | pd.Series]:
        """Design columns under their internal names: stratum, cluster codes, FPCs."""
        data = self.data
        n = len(data)
        keys: dict[str, np.ndarray | pd.Series] = {
            STRATUM: data[self.strata] if self.strata else np.zeros(n, dtype=np.int64)
        }
        if self.psu:
            for s, column in enumerate(self.psu, start=1):
                keys[psu_column(s)] = data[column]
        else:
            keys[psu_column(1)] = data.index.to_numpy()
        for s, column in enumerate(self.fpc, start=1):
            keys[fpc_column(s)] = _numeric(data, column, "fpc")
        return keys

    @property
    def row_units(self) -> Groups:
        """The finest sampling unit (with its stratum and FPC) of every row, as groups."""
        return self._units

    def unit_table(self) -> pd.DataFrame:
        """One row per finest sampling unit: design codes, row counts and a row label."""
        keys = self.key_columns()
        groups = self._units
        table = {name: _take(values, groups.first) for name, values in keys.items()}
        table[N_ROWS] = groups.sum()
        table[N_POS] = groups.sum((self.weights() > 0).astype(float))
        table[FIRST_ROW] = self.data.index.to_numpy()[groups.first]
        return pd.DataFrame(table)

    @property
    def structure(self) -> DesignStructure:
        if self._structure is None:
            raise ConfigError(
                "Design(partition=True) holds one partition: combine psu_totals() of all "
                "partitions and call finalize() to get design-level quantities"
            )
        return self._structure

    @property
    def finest_unit_of_row(self) -> np.ndarray:
        """Index (into ``structure``'s finest sampling units) of every data row's unit."""
        self.structure  # noqa: B018  (a partition has none: raises its one-line error)
        return self._finest_of_unit[self._units.index]

    @property
    def degf(self) -> int:
        """Design degrees of freedom: PSUs minus strata with a positive weight (R ``degf``)."""
        return self.structure.degf

    # ------------------------------------------------------------- variants
    def with_weights(self, weights: str | Sequence[float] | pd.Series, name: str = "calibrated_weight") -> Design:
        """The same design with another weight column (e.g. post-stratified or raked weights).

        Parameters
        ----------
        weights : str or array-like or Series
            An existing column name, or one weight per row (a Series is aligned on the index).
        name : str, default "calibrated_weight"
            Column name for new weights.
        """
        if isinstance(weights, str):
            return dataclasses.replace(self, weight=weights)
        data = self.data.copy(deep=False)
        if isinstance(weights, pd.Series):
            aligned = weights.reindex(data.index)
            if aligned.isna().any() and not weights.isna().any():
                raise ColumnError(
                    f"weights: expected a value for every row, the Series lacks "
                    f"{example_rows(data.index[aligned.isna()])}"
                )
            data[name] = aligned.to_numpy()
        else:
            values = np.asarray(weights, dtype=float)
            if values.shape != (len(data),):
                raise ColumnError(f"weights: expected {len(data)} values, found shape {values.shape}")
            data[name] = values
        return dataclasses.replace(self, data=data, weight=name)

    def with_data(self, data: pd.DataFrame, partition: bool = True) -> Design:
        """The same design settings over other data (by default: one partition of a sample)."""
        if self.calibration:
            raise ConfigError(
                "with_data: the design is calibrated (post-stratified, raked or standardised) on "
                "its own rows; calibrate the new data's design instead"
            )
        return dataclasses.replace(self, data=data, partition=partition)

    def with_calibration(self, weights, step, name: str = "calibrated_weight") -> Design:
        """The design with calibrated ``weights`` and one more calibration ``step`` recorded."""
        design = self.with_weights(weights, name=name)
        return dataclasses.replace(design, calibration=(*self.calibration, step))

    def summary(self) -> str:
        """A short description of the design, like R's ``print(design)``."""
        lines = [
            f"Design: {len(self.data)} rows, weight {self.weight!r}",
            f"  strata: {self.strata or '(none)'}; psu: {', '.join(self.psu) or '(rows)'}"
            f"{' (nested in strata)' if self.nest else ''}; fpc: {', '.join(self.fpc) or '(none)'}",
            f"  lonely_psu={self.lonely_psu!r}, adjust_domain_lonely={self.adjust_domain_lonely}",
        ]
        for step in self.calibration:
            lines.append(f"  calibrated: {step.description}")
        if self._structure is not None:
            s = self._structure
            lines.append(f"  {s.n_strata} strata, {s.n_psu} PSUs, degrees of freedom {s.degf}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def _described(value) -> str:
    """What was passed instead of a design, in a few words (a text is masked and cut short)."""
    if isinstance(value, pd.DataFrame):
        return f"DataFrame ({value.shape[0]} rows x {value.shape[1]} columns)"
    if isinstance(value, (str, os.PathLike)):
        from survey.masking import mask_text

        text = str(mask_text(os.fspath(value)))
        return f"{type(value).__name__} {(text if len(text) <= 60 else text[:57] + '...')!r}"
    return type(value).__name__


def require_design(design, *, caller: str | None = None, second=None, replicate: bool = False) -> Design:
    """``design`` itself when it is a :class:`Design`; else a one-line :class:`~survey.errors.ArgumentError`.

    ``replicate=True``: a :class:`~survey.estimation.ReplicateDesign` is accepted too (else a
    one-line error says the function does not take one).

    ``second`` is the function's second argument: when it is the design (the order of an older
    release, ``svyglm("y ~ x", design)``), the message says so.

    Example
    -------
    ``require_design("data.csv")`` raises ``ArgumentError: design: expected a survey.Design
    (build one with survey.Design(data, weight=..., ...)), found str 'data.csv'``.
    """
    if isinstance(design, Design):
        return design
    if getattr(design, "is_replicate", False):
        if replicate:
            return design
        raise ArgumentError(f"{caller or 'this function'}: not available for a replicate-weight design yet; "
                            "use the linearisation survey.Design")
    message = ("design: expected a survey.Design (build one with survey.Design(data, weight=..., ...)), "
               f"found {_described(design)}")
    if isinstance(second, Design):
        first = _described(design).split(" ", 1)[-1] if isinstance(design, str) else "..."
        message += f"; the design comes first: {caller or 'the function'}(design, {first}, ...)"
    elif isinstance(design, (str, os.PathLike)) and str(design).endswith((".yaml", ".yml")):
        message += "; for a study's design use survey.study_design(study)"
    raise ArgumentError(message)


def _take(values, positions: np.ndarray):
    if isinstance(values, pd.Series):
        return values.iloc[positions].reset_index(drop=True)
    return np.asarray(values)[positions]
