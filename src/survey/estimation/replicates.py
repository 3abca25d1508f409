"""Replicate-weight designs: the counterpart of R's ``svrepdesign()`` and ``svrVar()``.

A :class:`ReplicateDesign` carries the full-sample weight and ``R`` replicate weights. Every
statistic is computed once with the full-sample weight (``theta``) and once with each
replicate weight (``theta_r``); its variance is R's ``svrVar``::

    V = scale * sum_r rscales_r (theta_r - centre)(theta_r - centre)'

with ``centre`` the mean of the replicates whose ``rscales_r > 0`` (``mse=False``, R's default:
``getOption("survey.replicates.mse")`` is FALSE) or the full-sample estimate (``mse=True``).
Replicates that give no value (NaN, e.g. a domain a jackknife replicate deletes entirely) are
left out with a :class:`ReplicateWarning`, as R's ``na.omit`` does.

``scale`` and ``rscales`` follow ``svrepdesign()`` when not given: ``BRR`` 1/R; ``Fay``
1/(R (1 - rho)^2); ``bootstrap`` 1/(R - 1); ``JK1`` (R-1)/R (R guesses n = R and warns, so do
we); ``JKn`` needs ``rscales``; ``successive-difference``/``ACS`` 4/R; ``JK2`` 1; ``other`` 1
(with a warning). Degrees of freedom are R's ``degf()``: the rank of the matrix of analysis
weights minus 1.

Designs are made from a file's replicate weight columns here, or from a linearisation
:class:`~survey.estimation.Design` by :func:`~survey.estimation.replicate_weights.as_replicate`.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows

REPLICATE_TYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap", "successive-difference", "ACS",
                   "JK2", "other")
RANK_TOLERANCE = 1e-5  # R degf.svyrep.design: qr(weights(design, "analysis"), tol=1e-5)$rank - 1


class ReplicateWarning(UserWarning):
    """A guessed scale, or replicates left out because they gave no value (R warns the same way)."""


def _numeric_matrix(data: pd.DataFrame, columns: Sequence[str], role: str) -> np.ndarray:
    values = data[list(columns)].apply(pd.to_numeric, errors="coerce")
    bad = values.isna() & data[list(columns)].notna()
    if bad.any().any():
        column = bad.any()[bad.any()].index[0]
        raise ColumnError(
            f"{role} column {column!r}: expected numbers, found {data.loc[bad[column], column].iloc[0]!r} in "
            f"{example_rows(data.index[bad[column].to_numpy()])}"
        )
    matrix = values.to_numpy(dtype=float)
    for problem, mask in (("missing values", np.isnan(matrix)), ("infinite values", np.isinf(matrix))):
        if mask.any():
            column = list(columns)[int(np.flatnonzero(mask.any(axis=0))[0])]
            rows = data.index[mask[:, list(columns).index(column)]]
            raise ColumnError(f"{role} column {column!r}: expected finite weights, found {problem} in "
                              f"{example_rows(rows)} (R: missing values not allowed in 'repweights')")
    return matrix


def replicate_columns(data: pd.DataFrame, repweights: str | Sequence[str], weight: str | None = None) -> list[str]:
    """The replicate weight columns: a list as given, or every column whose name starts with a prefix.

    With a prefix, the full-sample ``weight`` column is never taken as a replicate (R's
    ``repweights="wt"`` is a regular expression and would take it); columns keep the data's order.

    Examples
    --------
    >>> replicate_columns(pd.DataFrame(columns=["id", "wt", "wt1", "wt2"]), "wt", weight="wt")
    ['wt1', 'wt2']
    """
    if isinstance(repweights, str):
        columns = [c for c in data.columns if str(c).startswith(repweights) and c != weight]
        if not columns:
            raise ColumnError(f"repweights: no column starts with {repweights!r} (columns: "
                              f"{', '.join(map(str, list(data.columns)[:12]))}{' ...' if data.shape[1] > 12 else ''})")
        return columns
    columns = list(repweights)
    if not columns:
        raise ConfigError("repweights: expected at least one replicate weight column, found none")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ColumnError(f"replicate weight column {missing[0]!r}: not found in the data")
    if len(set(columns)) != len(columns):
        raise ConfigError("repweights: a column is listed twice")
    return columns


def matrix_rank(matrix: np.ndarray, tol: float = RANK_TOLERANCE) -> int:
    """Rank of ``matrix`` (rows x replicates) as R's ``qr(matrix, tol=)$rank`` decides it.

    R's LINPACK ``dqrdc2`` takes the columns in order and sets aside a column whose norm, once
    the columns kept before it are projected out, falls below ``tol`` times its own norm. The
    same test is run here column by column (a loop over replicates, not rows), with the
    projection repeated once for accuracy.
    """
    matrix = np.asarray(matrix, dtype=float)
    if matrix.size == 0:
        return 0
    basis = np.zeros((matrix.shape[0], 0))
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        norm = np.linalg.norm(column)
        if norm == 0:
            continue
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)
        rest = np.linalg.norm(residual)
        if rest >= tol * norm:
            basis = np.column_stack([basis, residual / rest])
        if basis.shape[1] == matrix.shape[0]:
            break
    return basis.shape[1]


def _default_scales(kind: str, n_rep: int, scale, rscales, rho, combined: bool, analysis: np.ndarray):
    """scale and rscales as R's svrepdesign.default chooses them."""
    if kind == "BRR":
        if scale is not None and not np.isclose(scale, 1 / n_rep, rtol=1e-12):
            warnings.warn("type='BRR' does not use scale= (R ignores it too): scale = 1/R", ReplicateWarning,
                          stacklevel=4)
        scale = 1 / n_rep
    elif kind == "Fay":
        if rho is None:
            raise ConfigError("type='Fay': expected rho (Fay's coefficient, 0 <= rho < 1), found none")
        if not 0 <= rho < 1:
            raise ConfigError(f"rho: expected 0 <= rho < 1, found {rho!r}")
        scale = 1 / (n_rep * (1 - rho) ** 2)
    elif kind in ("bootstrap", "subbootstrap"):
        scale = 1 / (n_rep - 1) if scale is None else scale
    elif kind == "JK1" and scale is None:
        if combined:
            scale = (n_rep - 1) / n_rep
        else:
            scale = 1 / float(np.max(analysis[:, 0]))
        warnings.warn(f"type='JK1': scale (n-1)/n not given; guessing n = {n_rep} (number of replicates)"
                      if combined else "type='JK1': scale (n-1)/n not given; guessing from the weights",
                      ReplicateWarning, stacklevel=4)
    elif kind == "JKn" and rscales is None:
        if combined:
            raise ConfigError("type='JKn' with combined weights: expected rscales ((n_h - 1)/n_h of each "
                              "replicate's stratum), found none (R: 'Must provide rscales')")
        rscales = 1 / analysis.max(axis=0)
        warnings.warn("type='JKn': rscales (n-1)/n not given; guessing from the weights", ReplicateWarning,
                      stacklevel=4)
    elif kind in ("successive-difference", "ACS"):
        scale, rscales = 4 / n_rep, np.ones(n_rep)
    elif kind == "JK2":
        scale, rscales = 1.0, np.ones(n_rep)
    elif kind == "other" and (scale is None or rscales is None):
        warnings.warn("type='other': scale or rscales not given, set to 1 (as R)", ReplicateWarning, stacklevel=4)
    scale = 1.0 if scale is None else float(scale)
    rscales = np.ones(n_rep) if rscales is None else np.broadcast_to(np.asarray(rscales, dtype=float),
                                                                     (n_rep,)).copy()
    return scale, rscales


@dataclass(frozen=True, eq=False)
class ReplicateDesign:
    """A design given by a full-sample weight and replicate weights (R ``svrepdesign``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.
    weight : str
        Full-sample (sampling) weight column.
    repweights : str or sequence of str
        Replicate weight columns: a list, or a prefix (every column starting with it, except
        ``weight``).
    type : str, default "other"
        ``JK1``, ``JKn``, ``BRR``, ``Fay``, ``bootstrap``, ``subbootstrap`` (Rao-Wu),
        ``successive-difference``, ``ACS``, ``JK2`` or ``other``.
    scale, rscales : float and sequence of float, optional
        Overall and per-replicate multipliers of the variance; defaults as R (module docstring).
    mse : bool, default False
        Centre the variance at the full-sample estimate instead of the replicates' mean (R
        ``mse=``; R's default is FALSE).
    rho : float, optional
        Fay's coefficient (``type="Fay"``).
    combined_weights : bool, default True
        The replicate columns are analysis weights (already multiplied by the sampling weight),
        as most published files ship them; False: they are multipliers of ``weight`` (R
        ``combined.weights=FALSE``).
    fpc : sequence of float, optional
        Per-replicate finite population correction factors (``1 - f``) multiplying ``rscales``
        (R ``fpc=`` with ``fpctype="correction"``); JK1 and JKn only.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 1, 1], "y": [1., 2, 3, 4]})
    >>> reps = pd.DataFrame({f"r{i}": [0 if j == i else 4 / 3 for j in range(4)] for i in range(4)})
    >>> d = ReplicateDesign(pd.concat([df, reps], axis=1), weight="w", repweights="r", type="JK1", scale=0.75)
    >>> d.degf, d.n_replicates
    (3, 4)

    R: ``svrepdesign(data=df, weights=~w, repweights="r", type="JK1", scale=0.75)``.
    """

    data: pd.DataFrame
    weight: str
    repweights: str | Sequence[str]
    type: str = "other"
    scale: float | None = None
    rscales: Sequence[float] | None = None
    mse: bool = False
    rho: float | None = None
    combined_weights: bool = True
    fpc: Sequence[float] | None = None
    calibration: tuple = ()
    _analysis: np.ndarray | None = field(default=None, repr=False)
    _degf: int | None = field(default=None, init=False, repr=False)

    is_replicate = True  # estimators dispatch on this

    def __post_init__(self) -> None:
        if not isinstance(self.data, pd.DataFrame):
            raise ConfigError(f"ReplicateDesign: expected a pandas DataFrame as data, found {type(self.data).__name__}")
        if self.type not in REPLICATE_TYPES:
            raise ConfigError(f"type: expected one of {', '.join(REPLICATE_TYPES)}, found {self.type!r}")
        if self.weight not in self.data.columns:
            raise ColumnError(f"weight column {self.weight!r}: not found in the data")
        from survey.estimation.design import _numeric

        w = _numeric(self.data, self.weight, "weight")
        if np.isnan(w).any() or np.isinf(w).any():
            bad = ~np.isfinite(w)
            raise ColumnError(f"weight column {self.weight!r}: expected finite weights, found missing or infinite "
                              f"values in {example_rows(self.data.index[bad])}")
        if self._analysis is None:
            columns = replicate_columns(self.data, self.repweights, self.weight)
            matrix = _numeric_matrix(self.data, columns, "replicate weight")
            analysis = matrix if self.combined_weights else matrix * w[:, None]
            object.__setattr__(self, "repweights", tuple(columns))
        else:
            analysis = np.asarray(self._analysis, dtype=float)
            if analysis.ndim != 2 or analysis.shape[0] != len(self.data):
                raise ConfigError(f"replicate weights: expected {len(self.data)} rows, found shape {analysis.shape}")
        n_rep = analysis.shape[1]
        if n_rep < 2:
            raise ConfigError(f"replicate weights: expected at least 2 replicates, found {n_rep}")
        if self.rscales is not None and np.size(self.rscales) not in (1, n_rep):
            raise ConfigError(f"rscales: expected one value per replicate ({n_rep}), found {np.size(self.rscales)}")
        scale, rscales = _default_scales(self.type, n_rep, self.scale, self.rscales, self.rho,
                                         self.combined_weights, analysis)
        if self.fpc is not None:
            if self.type not in ("JK1", "JKn", "other"):
                raise ConfigError(f"fpc: not available for type {self.type!r} (R: JK1 and JKn)")
            fpc = np.broadcast_to(np.asarray(self.fpc, dtype=float), (n_rep,))
            if (fpc < 0).any() or (fpc > 1).any():
                raise ConfigError("fpc: expected correction factors 1 - f between 0 and 1")
            rscales = rscales * fpc
        if scale < 0 or (rscales < 0).any():
            raise ConfigError("scale and rscales: expected values >= 0")
        object.__setattr__(self, "_analysis", analysis)
        object.__setattr__(self, "scale", scale)
        object.__setattr__(self, "rscales", rscales)
        object.__setattr__(self, "fpc", None)
        object.__setattr__(self, "combined_weights", True)
        object.__setattr__(self, "_degf", matrix_rank(analysis) - 1)

    # ----------------------------------------------------------------- access
    @classmethod
    def from_arrays(cls, data: pd.DataFrame, weight: str, analysis: np.ndarray, *, type: str, scale: float,
                    rscales, mse: bool = False, rho: float | None = None, calibration: tuple = (),
                    names: Sequence[str] | None = None) -> ReplicateDesign:
        """A design from an analysis-weight matrix (rows x replicates) made in code."""
        names = tuple(names) if names is not None else tuple(f"rep{i + 1}" for i in range(analysis.shape[1]))
        return cls(data=data, weight=weight, repweights=names, type=type, scale=scale, rscales=rscales, mse=mse,
                   rho=rho, calibration=calibration, _analysis=analysis)

    @property
    def _matrix(self) -> np.ndarray:
        return cast(np.ndarray, self._analysis)

    @property
    def n_replicates(self) -> int:
        return self._matrix.shape[1]

    @property
    def degf(self) -> int:
        """R ``degf()``: rank of the analysis weights minus 1."""
        return cast(int, self._degf)

    @property
    def partition(self) -> bool:
        return False

    def weights(self) -> np.ndarray:
        """The full-sample weights as a float array."""
        from survey.estimation.design import _numeric

        return _numeric(self.data, self.weight, "weight")

    def replicate_weights(self) -> np.ndarray:
        """The analysis weight of every row in every replicate (rows x replicates; R ``weights(d, "analysis")``)."""
        return self._matrix

    def all_weights(self) -> np.ndarray:
        """Full-sample weight then the replicates: rows x (1 + R)."""
        return np.column_stack([self.weights(), self._matrix])

    def subset_degf(self, rows: np.ndarray) -> int:
        """``degf()`` of the design restricted to ``rows`` (bool mask), as R's ``degf(design[rows, ])``."""
        return matrix_rank(self._matrix[rows]) - 1

    def with_weights(self, weights: np.ndarray, analysis: np.ndarray, step_description: str,
                     name: str = "calibrated_weight") -> ReplicateDesign:
        """The design with new full-sample and replicate weights (after a calibration)."""
        data = self.data.copy(deep=False)
        data[name] = np.asarray(weights, dtype=float)
        return dataclasses.replace(self, data=data, weight=name, _analysis=np.asarray(analysis, dtype=float),
                                   calibration=(*self.calibration, step_description), scale=self.scale,
                                   rscales=self.rscales)

    def with_data(self, *args, **kwargs):
        raise ConfigError("a replicate-weight design cannot be split into partitions; estimate on all rows")

    def summary(self) -> str:
        """A short description, like R's ``print(design)``."""
        lines = [
            f"Replicate design ({self.type}): {len(self.data)} rows, weight {self.weight!r}, "
            f"{self.n_replicates} replicates",
            f"  scale {self.scale:.6g}; rscales {'all 1' if np.all(self.rscales == 1) else 'per replicate'}; "
            f"mse={self.mse}; degrees of freedom {self.degf}",
        ]
        lines += [f"  calibrated: {description}" for description in self.calibration]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def replicate_covariance(theta: np.ndarray, replicates: np.ndarray, design: ReplicateDesign) -> np.ndarray:
    """R ``svrVar``: covariance of ``k`` statistics from their replicate values.

    Parameters
    ----------
    theta : numpy.ndarray, shape (k,)
        Full-sample estimates (the centre when ``design.mse``).
    replicates : numpy.ndarray, shape (R, k)
    design : ReplicateDesign

    Replicates with a NaN in any statistic are left out (with a :class:`ReplicateWarning`).
    """
    replicates = np.asarray(replicates, dtype=float)
    if replicates.ndim == 1:
        replicates = replicates[:, None]
    rscales = np.asarray(design.rscales, dtype=float)
    ok = ~np.isnan(replicates).any(axis=1)
    if not ok.all():
        if not ok.any():
            k = replicates.shape[1]
            return np.full((k, k), np.nan)
        warnings.warn(f"{int((~ok).sum())} replicates gave NA results and were discarded", ReplicateWarning,
                      stacklevel=3)
        replicates, rscales = replicates[ok], rscales[ok]
    if design.mse:
        centre = np.asarray(theta, dtype=float)
    else:
        centre = replicates[rscales > 0].mean(axis=0)
    deviation = (replicates - centre) * np.sqrt(rscales)[:, None]
    return design.scale * deviation.T @ deviation


def replicate_variances(theta: np.ndarray, replicates: np.ndarray, design: ReplicateDesign) -> np.ndarray:
    """Variance of each of ``k`` statistics separately (NaN replicates left out per statistic).

    ``replicates`` has shape (R, k); returns shape (k,). Equivalent to the diagonal of
    :func:`replicate_covariance` applied one statistic at a time, as R does in ``svyby``.
    """
    replicates = np.asarray(replicates, dtype=float)
    rscales = np.asarray(design.rscales, dtype=float)[:, None]
    ok = ~np.isnan(replicates)
    dropped = int((~ok).any(axis=0).sum())
    if dropped:
        warnings.warn(f"replicates gave NA results and were discarded for {dropped} estimates",
                      ReplicateWarning, stacklevel=3)
    if design.mse:
        centre = np.asarray(theta, dtype=float)
    else:
        use = ok & (rscales > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(use, replicates, 0.0).sum(axis=0) / use.sum(axis=0)
    squared = np.where(ok, (replicates - centre) ** 2 * rscales, 0.0)
    var = design.scale * squared.sum(axis=0)
    return np.where(ok.any(axis=0) & np.isfinite(np.asarray(theta, dtype=float)), var, np.nan)
