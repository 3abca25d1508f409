"""Design-based covariance of model coefficients from per-row influence values.

A coefficient vector that solves weighted estimating equations ``sum_i w_i U_i(beta) = 0``
has the linearised (Taylor) covariance of the total of its influence values
``h_i = w_i U_i A^{-1}`` (``A`` the weighted information): sum ``h`` over each sampling unit
and apply the stratified multistage formula of R's ``svyrecvar`` — the same computation
:mod:`survey.estimation` uses for means and totals, reused here through its
:class:`~survey.estimation.Design` (strata, PSUs, FPC, lonely-PSU policy) and
:func:`~survey.estimation.variance.covariance_matrix`.

Rows a model leaves out (missing values) get influence 0 and weight 0 but keep their place in
the design, so their PSUs still count in the stratum's number of PSUs, as in R's
``svyglm``, whose subsetting keeps the sampled-PSU counts of the full design.

On a calibrated design (post-stratified, raked, GREG-calibrated or standardised) the influence
values are first replaced by their calibration residuals, step by step as R's ``svyrecvar``
does with ``design$postStrata`` (:func:`survey.estimation.calibration.calibrated_totals`); rows
left out of the model keep their place in the calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from survey.errors import ConfigError
from survey.estimation import Design
from survey.estimation.calibration import calibrated_totals
from survey.estimation.structure import DesignStructure
from survey.estimation.variance import covariance_matrix


@dataclass(frozen=True)
class DesignUnits:
    """The design's variance structure and the finest sampling unit of every data row."""

    structure: DesignStructure
    unit_of_row: np.ndarray
    calibration: tuple = ()

    @property
    def degf(self) -> int:
        """PSUs minus strata among rows with a positive weight (R ``degf()``)."""
        return self.structure.degf


def design_units(design: Design) -> DesignUnits:
    """Index every row of ``design.data`` by its finest sampling unit of the design's structure.

    Raises
    ------
    ConfigError
        For a partition of a design (``partition=True``).
    """
    if design.partition:
        raise ConfigError("design: a regression needs all rows of the sample, found a partition (partition=True)")
    return DesignUnits(structure=design.structure, unit_of_row=design.finest_unit_of_row,
                       calibration=tuple(design.calibration))


def design_covariance(units: DesignUnits, influence: np.ndarray) -> np.ndarray:
    """Covariance of the totals of ``influence`` (rows x statistics) under the design.

    R: ``svyrecvar(influence, design$cluster, design$strata, design$fpc, postStrata=design$postStrata)``.

    Parameters
    ----------
    units : DesignUnits
        From :func:`design_units`.
    influence : numpy.ndarray, shape (n_rows, k)
        One row per data row of the design (zeros for rows outside the model).

    Returns
    -------
    numpy.ndarray, shape (k, k)
    """
    influence = np.asarray(influence, dtype=float)
    if influence.ndim == 1:
        influence = influence[:, None]
    k = influence.shape[1]
    n_units = units.structure.n_finest
    n_rows = len(units.unit_of_row)
    if influence.shape[0] != n_rows:
        raise ConfigError(f"influence: expected one row per design row ({n_rows}), found {influence.shape[0]}")
    if units.calibration:
        totals = calibrated_totals(units.calibration, influence, units.unit_of_row, n_units)
        return covariance_matrix(units.structure, totals.reshape(n_units, k))
    to_unit = sp.csr_matrix((np.ones(n_rows), (units.unit_of_row, np.arange(n_rows))), shape=(n_units, n_rows))
    return covariance_matrix(units.structure, np.asarray(to_unit @ influence).reshape(n_units, k))
