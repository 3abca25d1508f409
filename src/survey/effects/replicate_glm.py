"""Survey-weighted GLMs on a replicate-weight design (R ``svyglm`` on a ``svrepdesign``).

The coefficients are those of the weighted fit with the full-sample weight; the model is then
refitted with every replicate weight (starting from the full-sample estimate) and the covariance
is R's ``svrVar`` of the replicate coefficients. The refits run together: iteratively
reweighted least squares with one weight column per replicate, the cross products of all
replicates formed in one ``einsum`` per iteration (no loop over rows or replicates). Degrees of
freedom are ``degf(design) + 1 - p`` as in R, ``degf`` of the design's rows inside ``subset``.
A calibrated replicate design needs nothing more: its replicate weights carry the calibration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.effects.glm import _subset_mask, fit_weighted_glm, fitting_rows, glm_family
from survey.effects.model_frame import ModelFrame
from survey.effects.results import ModelResult
from survey.errors import ConfigError
from survey.estimation.replicates import replicate_covariance

MAX_ITERATIONS = 100
TOLERANCE = 1e-12


def replicate_coefficients(frame: ModelFrame, weights: np.ndarray, family: str, start: np.ndarray) -> np.ndarray:
    """IRLS fits of one model with many weight columns at once.

    Parameters
    ----------
    frame : ModelFrame
    weights : numpy.ndarray, shape (n, R)
        One weight column per replicate (rows of ``frame``).
    family : str
    start : numpy.ndarray, shape (k,)

    Returns
    -------
    numpy.ndarray, shape (R, k)
        NaN rows for replicates whose fit does not converge.
    """
    fam = glm_family(family)
    X, y = frame.X, frame.y
    weights = weights / weights.sum(axis=0, keepdims=True)
    beta = np.tile(start, (weights.shape[1], 1))
    converged = np.zeros(weights.shape[1], dtype=bool)
    for _ in range(MAX_ITERATIONS):
        eta = X @ beta.T
        mu = fam.link.inverse(eta)
        dmu = fam.link.inverse_deriv(eta)
        working = weights * dmu**2 / fam.variance(mu)
        z = eta + (y[:, None] - mu) / dmu
        xtwx = np.einsum("nr,nk,nl->rkl", working, X, X, optimize=True)
        xtwz = np.einsum("nr,nk->rk", working * z, X, optimize=True)
        with np.errstate(invalid="ignore"):
            new = np.linalg.solve(xtwx, xtwz[:, :, None])[:, :, 0]
        change = np.max(np.abs(new - beta), axis=1) / np.maximum(np.max(np.abs(new), axis=1), 1.0)
        beta = new
        converged = change < TOLERANCE
        if converged.all():
            break
    beta[~converged] = np.nan
    return beta


def replicate_svyglm(design, formula: str, *, family: str = "gaussian", subset=None,
                     level: float = 0.95) -> ModelResult:
    """:func:`~survey.effects.glm.svyglm` for a :class:`~survey.estimation.ReplicateDesign`.

    R::

        svyglm(y ~ x, design=as.svrepdesign(...), family=quasibinomial)
    """
    frame, w = fitting_rows(design, formula, family, subset)
    fit = fit_weighted_glm(frame, w, family)
    params = np.asarray(fit.params)
    betas = replicate_coefficients(frame, design.replicate_weights()[frame.rows], family, params)
    if np.isnan(betas).all():
        raise ConfigError(f"formula {formula!r} ({family}): no replicate fit converged")
    cov = replicate_covariance(params, betas, design)
    p = len(params)
    degf = design.subset_degf(_subset_mask(design, subset))
    df = float(degf + 1 - p)
    names = frame.names
    return ModelResult(
        params=pd.Series(params, index=names),
        cov=pd.DataFrame(cov, index=names, columns=names),
        df=df if df > 0 else np.nan,
        method=f"replicate weights ({design.type}, {design.n_replicates} replicates)",
        description=f"Survey-weighted GLM ({family}): {formula}; replicate design ({design.type}), degf {degf}",
        n=frame.n,
        level=level,
        extra={"degf": degf, "family": family, "frame": frame, "weights": w, "fit": fit, "replicates": betas},
    )
