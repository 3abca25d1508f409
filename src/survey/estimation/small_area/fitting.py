"""The area-level Fay–Herriot model: fitting (REML, ML), EBLUP and its analytic MSE, on arrays.

Model (Fay & Herriot 1979): ``y_i = x_i'beta + u_i + e_i`` with ``u_i ~ N(0, A)`` (the area
variance, sigma_u^2) and ``e_i ~ N(0, D_i)``, ``D_i`` the known design variance of the direct
estimate ``y_i``. ``A`` is estimated by Fisher scoring on the REML or ML likelihood
(Rao & Molina 2015, section 6.1.2), truncated at 0; ``beta`` is then the GLS estimate.

EBLUP: ``theta_i = gamma_i y_i + (1 - gamma_i) x_i'beta``, with shrinkage ``gamma_i = A / (A + D_i)``.

MSE (second-order unbiased; Prasad & Rao 1990 with Datta & Lahiri 2000 for REML/ML):
``mse_i = g1_i + g2_i + 2 g3_i`` (REML), and for ML minus ``b_ML (D_i / (A + D_i))^2`` where
``b_ML = -tr[(X'V^-1 X)^-1 X'V^-2 X] / sum(V^-2)`` is the first-order bias of the ML estimate of A;
``g1 = gamma D``, ``g2 = (1-gamma)^2 x'(X'V^-1 X)^-1 x``, ``g3 = D^2 / (A+D)^3 * 2 / sum(V^-2)``.
An area without a direct estimate gets the synthetic ``x'beta`` with MSE ``A + x'(X'V^-1 X)^-1 x``
(the uncertainty of A is left out there).

Everything is vectorised; :func:`fit_many` fits B response vectors at once (the bootstrap).

Example
-------
>>> fit = fit_fay_herriot(y, d, x, method="reml")      # doctest: +SKIP
>>> fit.sigma2, fit.beta                                # doctest: +SKIP

R: ``sae::mseFH(y ~ x, vardir = d, method = "REML")``; samplics ``EblupAreaModel("REML")``.

References
----------
Fay, R. E. & Herriot, R. A. (1979). Estimates of income for small places. *JASA* 74, 269-277.
Prasad, N. G. N. & Rao, J. N. K. (1990). The estimation of the mean squared error of small-area
estimators. *JASA* 85, 163-171.
Datta, G. S. & Lahiri, P. (2000). A unified measure of uncertainty of estimated best linear unbiased
predictors in small area estimation problems. *Statistica Sinica* 10, 613-627.
Rao, J. N. K. & Molina, I. (2015). *Small Area Estimation*, 2nd ed. Wiley, chapter 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from survey.errors import ArgumentError

METHODS = ("reml", "ml")
#: Fisher scoring stops when A moves by less than this (relative to max(A, mean D)).
TOLERANCE = 1e-12
MAX_ITERATIONS = 200


@dataclass(frozen=True)
class Fit:
    """A fitted Fay–Herriot model on the areas with a direct estimate."""

    method: str
    sigma2: float
    beta: np.ndarray
    cov_beta: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    #: variance of the estimate of sigma2 (inverse Fisher information, 2 / sum(V^-2))
    sigma2_var: float


def _check(y, d, x):
    y, d, x = np.asarray(y, float), np.asarray(d, float), np.asarray(x, float)
    if x.ndim != 2 or x.shape[0] != d.shape[0] or y.shape[0] != d.shape[0]:
        raise ArgumentError(f"fay_herriot: expected y, d and the rows of x of one length, found "
                            f"{y.shape[0]}, {d.shape[0]}, {x.shape}")
    if not (np.isfinite(d).all() and (d > 0).all()):
        raise ArgumentError("fay_herriot: expected positive, finite sampling variances d")
    if x.shape[0] <= x.shape[1]:
        raise ArgumentError(f"fay_herriot: expected more areas ({x.shape[0]}) than coefficients ({x.shape[1]})")
    return y, d, x


def _gls(y, d, x, a):
    """Batched GLS for B columns of y (m, B) and B values of A: beta (B, p), Q = (X'WX)^-1 (B, p, p), W, r."""
    w = 1.0 / (a[None, :] + d[:, None])
    xtwx = np.einsum("ib,ij,ik->bjk", w, x, x)
    q = np.linalg.inv(xtwx)
    beta = np.einsum("bjk,bk->bj", q, np.einsum("ib,ij,ib->bj", w, x, y))
    r = y - x @ beta.T
    return beta, q, w, r


def _score_info(method, x, q, w, r):
    if method == "ml":
        score = 0.5 * ((r * w) ** 2).sum(0) - 0.5 * w.sum(0)
        info = 0.5 * (w ** 2).sum(0)
        return score, info
    h = np.einsum("ij,bjk,ik->ib", x, q, x)                 # x_i' Q x_i
    trace_p = w.sum(0) - (w ** 2 * h).sum(0)
    m = q @ np.einsum("ib,ij,ik->bjk", w ** 2, x, x)        # Q X'W^2X
    trace_pp = (w ** 2).sum(0) - 2 * (w ** 3 * h).sum(0) + np.einsum("bjk,bkj->b", m, m)
    return 0.5 * ((r * w) ** 2).sum(0) - 0.5 * trace_p, 0.5 * trace_pp


def fit_many(y, d, x, method: str = "reml", start=None):
    """Fit B Fay–Herriot models at once: ``y`` (m, B), common ``d`` (m,) and ``x`` (m, p).

    Returns ``(sigma2 (B,), beta (B, p), q (B, p, p), iterations, converged (B,))``.
    """
    if method not in METHODS:
        raise ArgumentError(f"fay_herriot: method: expected one of {METHODS}, found {method!r}")
    y = np.asarray(y, float)
    a = np.full(y.shape[1], np.median(d)) if start is None else np.array(start, float, copy=True)
    scale = max(float(np.mean(d)), 1e-300)
    done = np.zeros(y.shape[1], bool)
    iterations = 0
    for iterations in range(1, MAX_ITERATIONS + 1):  # noqa: B007 - Fisher scoring steps, vectorised over B
        _, q, w, r = _gls(y, d, x, a)
        score, info = _score_info(method, x, q, w, r)
        new = np.maximum(a + score / info, 0.0)
        done = np.abs(new - a) <= TOLERANCE * np.maximum(new, scale)
        a = new
        if done.all():
            break
    beta, q, _, _ = _gls(y, d, x, a)
    return a, beta, q, iterations, done


def _loglik(method, y, d, x, a, beta, q):
    v = a + d
    r = y - x @ beta
    base = np.log(v).sum() + (r ** 2 / v).sum()
    if method == "ml":
        return -0.5 * (len(y) * np.log(2 * np.pi) + base)
    return -0.5 * ((len(y) - x.shape[1]) * np.log(2 * np.pi) + base - np.linalg.slogdet(q)[1])


def fit_fay_herriot(y, d, x, method: str = "reml") -> Fit:
    """Fit the model to direct estimates ``y`` with sampling variances ``d`` and covariates ``x`` (with intercept)."""
    y, d, x = _check(y, d, x)
    if not np.isfinite(y).all():
        raise ArgumentError("fay_herriot: expected finite direct estimates y")
    a, beta, q, iterations, done = fit_many(y[:, None], d, x, method)
    a0, b0, q0 = float(a[0]), beta[0], q[0]
    v = a0 + d
    return Fit(method=method, sigma2=a0, beta=b0, cov_beta=q0, loglik=float(_loglik(method, y, d, x, a0, b0, q0)),
               iterations=iterations, converged=bool(done[0]), sigma2_var=float(2.0 / np.sum(v ** -2.0)))


def eblup(fit: Fit, y, d, x):
    """EBLUP and shrinkage factor gamma of areas with direct estimates ``y`` (variances ``d``, covariates ``x``)."""
    gamma = fit.sigma2 / (fit.sigma2 + np.asarray(d, float))
    synthetic = np.asarray(x, float) @ fit.beta
    return gamma * np.asarray(y, float) + (1 - gamma) * synthetic, gamma


def mse_analytic(fit: Fit, d_fit, x_fit, d, x):
    """Prasad–Rao / Datta–Lahiri MSE of the EBLUP for areas with variances ``d`` and covariates ``x``.

    ``d_fit``, ``x_fit`` are those of the areas the model was fitted on (they give the terms' sums).
    """
    a = fit.sigma2
    v_fit = a + np.asarray(d_fit, float)
    d, x = np.asarray(d, float), np.asarray(x, float)
    v = a + d
    gamma = a / v
    h = np.einsum("ij,jk,ik->i", x, fit.cov_beta, x)
    g1, g2 = gamma * d, (1 - gamma) ** 2 * h
    g3 = d ** 2 / v ** 3 * fit.sigma2_var
    mse = g1 + g2 + 2 * g3
    if fit.method == "ml":
        xw2x = np.einsum("i,ij,ik->jk", v_fit ** -2.0, x_fit, x_fit)
        bias_ml = -np.trace(fit.cov_beta @ xw2x) / np.sum(v_fit ** -2.0)
        mse = mse - bias_ml * (d / v) ** 2
    return mse, {"g1": g1, "g2": g2, "g3": g3}


def mse_synthetic(fit: Fit, x):
    """MSE of the synthetic estimate ``x'beta`` of an area without a direct estimate: A + x'Qx."""
    x = np.asarray(x, float)
    return fit.sigma2 + np.einsum("ij,jk,ik->i", x, fit.cov_beta, x)
