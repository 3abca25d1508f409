"""Survey-weighted generalised linear models with design-based (linearised) standard errors.

The Python counterpart of R's ``survey::svyglm``. Point estimates solve the weighted
likelihood equations ``sum_i w_i x_i (y_i - mu_i) mu'_i / V(mu_i) = 0``, fitted by Newton's
method (IRLS) on the distinct rows of the model matrix (:mod:`survey.effects.cells`; the same
estimates as statsmodels' GLM with the design weights as ``var_weights``, to rounding). The covariance is the sandwich

    V(beta) = A^{-1} B A^{-1},   A = sum_i w_i mu'_i^2 / V(mu_i) x_i x_i'

where ``B`` is the design-based covariance of the total of the score contributions
``w_i x_i (y_i - mu_i) mu'_i / V(mu_i)``: summed per PSU and combined over strata with the FPC,
as :mod:`survey.estimation` does for a total (R: ``svyrecvar(estfun %*% Ainv, ...)``).
Tests and intervals use t with ``degf(design) + 1 - p`` degrees of freedom, as R's
``summary.svyglm`` and ``confint.svyglm`` do.

Families: ``gaussian`` (identity link), ``binomial`` (logit), ``poisson`` (log). R users fit
the last two as ``quasibinomial``/``quasipoisson`` to avoid warnings about non-integer
weighted counts; the estimates and design-based SEs are the same.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from survey.effects.cells import cell_influence, distinct_rows, fit_on_cells
from survey.effects.design_variance import design_covariance, design_units
from survey.effects.model_frame import ModelFrame, binary_outcome, check_full_rank, model_frame
from survey.effects.results import ModelResult
from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation import Design
from survey.estimation.design import require_design

FAMILIES = ("gaussian", "binomial", "poisson")
_ALIASES = {"quasibinomial": "binomial", "quasipoisson": "poisson", "logit": "binomial", "linear": "gaussian"}


def glm_family(name: str):
    """The statsmodels family for ``gaussian``, ``binomial`` or ``poisson`` (canonical links)."""
    import statsmodels.api as sm

    name = _ALIASES.get(name, name)
    if name not in FAMILIES:
        raise ConfigError(f"family: expected one of {', '.join(FAMILIES)}, found {name!r}")
    return {"gaussian": sm.families.Gaussian, "binomial": sm.families.Binomial, "poisson": sm.families.Poisson}[name]()


def fit_weighted_glm(frame: ModelFrame, weights: np.ndarray, family: str, tol: float = 1e-13):
    """Weighted maximum-likelihood fit (statsmodels GLM, IRLS) of a model frame.

    Returns the statsmodels results object; its ``params`` are what R's ``glm(...,
    weights=w)`` gives. Raises a one-line error when the fit does not converge.
    """
    import statsmodels.api as sm

    fam = glm_family(family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect-prediction and domain warnings: checked below
        # IRLS (Newton for canonical links) until the coefficients stop moving: relative 1e-13
        fit = sm.GLM(frame.y, frame.X, family=fam, var_weights=weights).fit(
            maxiter=200, tol_criterion="params", atol=tol, rtol=tol)
    if not fit.converged or not np.all(np.isfinite(fit.params)):
        raise ConfigError(
            f"formula {frame.formula!r} ({family}): the weighted fit did not converge "
            "(separation or an outcome with no variation in a cell?)"
        )
    return fit


def score_parts(frame: ModelFrame, params: np.ndarray, weights: np.ndarray, family: str):
    """Weighted score contributions (n x k) and the weighted information ``A`` (k x k).

    ``U_i = w_i x_i (y_i - mu_i) mu'_i / V(mu_i)``, ``A = sum_i w_i mu'_i^2 / V(mu_i) x_i x_i'``:
    at the estimate, ``U A^{-1}`` are the influence values of the coefficients.
    """
    fam = glm_family(family)
    eta = frame.X @ params
    mu = fam.link.inverse(eta)
    dmu = fam.link.inverse_deriv(eta)
    variance = fam.variance(mu)
    scores = frame.X * (weights * (frame.y - mu) * dmu / variance)[:, None]
    information = frame.X.T @ (frame.X * (weights * dmu**2 / variance)[:, None])
    return scores, information


def _subset_mask(design: Design, subset) -> np.ndarray:
    data = design.data
    if subset is None:
        return np.ones(len(data), dtype=bool)
    if isinstance(subset, str):
        if subset not in data.columns:
            raise ColumnError(f"subset column {subset!r}: not found in the data")
        subset = data[subset]
    values = pd.Series(subset, index=data.index) if not isinstance(subset, pd.Series) else subset.reindex(data.index)
    if values.isna().any():
        raise ColumnError(
            f"subset: expected True/False for every row, found missing values in "
            f"{example_rows(data.index[values.isna().to_numpy()])}"
        )
    return values.to_numpy(dtype=bool)


def fitting_rows(design, formula: str, family: str, subset, cells: bool = False):
    """The model frame of the rows a fit uses (inside ``subset``, positive weight), checked for the
    family and for full rank, and their weights rescaled to mean 1 (R ``svyglm(rescale=TRUE)``:
    changes neither estimates nor design SEs).

    Returns ``(frame, w)``, or with ``cells=True`` ``(frame, w, cells)``: the distinct rows of the
    model matrix (:func:`survey.effects.cells.distinct_rows`), which the rank check then uses too.
    """
    data = design.data
    frame = model_frame(formula, data)
    inside = _subset_mask(design, subset)
    w_all = design.weights()
    keep = inside[frame.rows] & (w_all[frame.rows] > 0)
    if not keep.any():
        raise ColumnError(f"formula {formula!r}: no row with a positive weight inside the subset")
    frame = ModelFrame(y=frame.y[keep], X=frame.X[keep], names=frame.names, rows=frame.rows[keep],
                       n_data=frame.n_data, outcome=frame.outcome, formula=frame.formula)
    if family == "binomial":
        binary_outcome(frame, data)
    if family == "poisson" and (frame.y < 0).any():
        bad = frame.rows[frame.y < 0]
        raise ColumnError(f"outcome column {frame.outcome!r}: expected counts >= 0 for a Poisson model, "
                          f"found {frame.y[frame.y < 0][0]:g} in {example_rows(data.index.to_numpy()[bad])}")
    w = w_all[frame.rows]
    w = w / w.mean()
    if not cells:
        check_full_rank(frame, w)
        return frame, w
    groups = distinct_rows(frame.X)
    check_full_rank(frame, w, cells=groups)
    return frame, w, groups


def svyglm(
    design: Design,
    formula: str,
    *,
    family: str = "gaussian",
    subset=None,
    level: float = 0.95,
) -> ModelResult:
    """Fit a survey-weighted GLM with design-based (Taylor-linearised) standard errors.

    Parameters
    ----------
    design : survey.estimation.Design or survey.estimation.ReplicateDesign
        The sample design (weights, strata, PSUs, FPC, lonely-PSU policy), or a replicate-weight
        design (then the covariance comes from refits with every replicate weight, see
        :mod:`survey.effects.replicate_glm`). Rows with a missing
        model variable, or outside ``subset``, stay in the design with zero weight (R
        ``svyglm`` on ``subset(design, ...)``).
    formula : str
        ``"outcome ~ terms"`` (patsy syntax; factors with ``C(x)``, reference = first level).
    family : {"gaussian", "binomial", "poisson"}, default "gaussian"
        Canonical links (identity, logit, log). ``quasibinomial``/``quasipoisson`` are
        accepted as the same fits.
    subset : str, bool array or Series, optional
        Domain to fit in: a 0/1 or boolean column name or one value per row.
    level : float, default 0.95

    Returns
    -------
    ModelResult
        ``params``, ``cov`` (design-based), ``df`` = ``degf + 1 - p``, ``to_frame()``
        (term, estimate, se, statistic, df, p_value, ci_low, ci_high, method). ``extra``
        holds ``degf``, ``family``, the ``frame``, the weights used, the ``cells`` (distinct rows of
        the model matrix), the ``information`` ``A`` and the ``influence`` values ``U A^{-1}`` of the
        model rows (one row each, in ``frame.rows`` order).

    Raises
    ------
    ColumnError
        Missing columns, a binomial outcome that is not 0/1, a negative Poisson count.
    ConfigError
        Unknown family, aliased (collinear) terms, a fit that does not converge.

    Notes
    -----
    ``B`` uses the influence values ``h_i = U_i A^{-1}`` (R's ``estfun %*% Ainv``): their totals
    per PSU, centred within strata, scaled by ``f_h n_h / (n_h - 1)``, with later stages when the
    design gives their FPC (Lumley 2010, ch. 5; Binder 1983). On a calibrated design (raked,
    post-stratified, GREG) the influence values are replaced by their calibration residuals
    first, as R's ``svyglm`` does through ``svyrecvar``.

    Examples
    --------
    >>> from survey.estimation import Design
    >>> df = pd.DataFrame({"y": [1., 3, 2, 5, 4, 6, 5, 8], "x": [0., 1, 0, 1, 0, 1, 0, 1],
    ...                    "h": [1, 1, 1, 1, 2, 2, 2, 2], "p": [1, 1, 2, 2, 3, 3, 4, 4],
    ...                    "w": [2., 2, 3, 3, 1, 1, 2, 2]})
    >>> fit = svyglm(Design(df, weight="w", strata="h", psu="p"), "y ~ x")
    >>> fit.params.round(4).tolist(), fit.df
    ([2.75, 2.625], 1.0)

    R::

        d <- svydesign(id=~p, strata=~h, weights=~w, data=df)
        summary(svyglm(y ~ x, design=d))

    References
    ----------
    Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex
    surveys. *International Statistical Review*, 51, 279-292.
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 5.
    """
    design = require_design(design, caller="svyglm", second=formula, replicate=True)
    if not isinstance(formula, str):
        raise ConfigError(f"formula: expected a text such as 'y ~ x', found {type(formula).__name__}")
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    family = _ALIASES.get(family, family)
    if family not in FAMILIES:
        raise ConfigError(f"family: expected one of {', '.join(FAMILIES)}, found {family!r}")
    if getattr(design, "is_replicate", False):
        from survey.effects.replicate_glm import replicate_svyglm

        return replicate_svyglm(design, formula, family=family, subset=subset, level=level)
    data = design.data
    frame, w, cells = fitting_rows(design, formula, family, subset, cells=True)
    fit = fit_on_cells(cells, frame.y, w, family)
    if not fit.converged:
        raise ConfigError(
            f"formula {frame.formula!r} ({family}): the weighted fit did not converge "
            "(separation or an outcome with no variation in a cell?)"
        )
    params, information = fit.params, fit.information
    a_inv = np.linalg.inv(information)
    row_influence = cell_influence(cells, fit, frame.y, w, a_inv)
    influence = np.zeros((len(data), len(params)))
    influence[frame.rows] = row_influence

    model_weights = np.zeros(len(data))
    model_weights[frame.rows] = design.weights()[frame.rows]
    units = design_units(design.with_weights(model_weights, name="_model_weight"))
    cov = design_covariance(units, influence)
    p = len(params)
    df = float(units.degf + 1 - p)
    names = frame.names
    description = (f"Survey-weighted GLM ({family}): {formula}; "
                   f"{units.structure.n_strata} strata, {units.structure.n_psu} PSUs, degf {units.degf}")
    return ModelResult(
        params=pd.Series(params, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=df if df > 0 else np.nan,
        method="design (linearisation)",
        description=description,
        n=frame.n,
        level=level,
        extra={"degf": units.degf, "family": family, "frame": frame, "weights": w, "cells": cells,
               "information": information, "influence": row_influence, "iterations": fit.iterations},
    )
