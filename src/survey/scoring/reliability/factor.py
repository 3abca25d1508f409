"""The factor analysis behind ``psych::omega(nfactors = k)``, step by step as psych 2.2.9 takes it.

psych's Schmid–Leiman solution (``psych::schmid``) is:

1. ``fa(R, k, fm = "minres", rotate = "varimax")``: minimum-residual loadings, each factor's sign
   set so its loadings sum positive, varimax-rotated (``stats::varimax``, Kaiser-normalised),
   signed again and ordered by the variance they explain;
2. ``GPArotation::oblimin`` of those loadings (quartimin, ``gam = 0``; gradient projection from the
   identity, ``eps = 1e-5``): the oblique pattern and the factor correlations ``Phi``;
3. a second-order one-factor minres fit of ``Phi`` (``k > 2``), or, for ``k = 2``, general-factor
   loadings ``sqrt(|phi_12|)`` on both factors (psych's ``option = "equal"``);
4. general loadings ``g = pattern %*% gload``; group loadings ``sign(pattern) * sqrt(pattern^2 *
   (1 - gload^2))``; communality ``h2`` from step 1 and ``u2 = 1 - h2``.

Every iterative step here stops where psych's does: the minres fit is L-BFGS-B with R's ``optim``
settings (parameters scaled by 0.01, 5 correction pairs, ``factr = 1e7``, at most 100 iterations,
psych's objective and gradient), varimax and oblimin use the same stopping rules. That is
deliberate: psych's minres fit stops about 1e-5 short of the exact minimum, and reproducing the
stopping point is what makes the results agree with psych to ~1e-12 rather than ~1e-5.

References
----------
Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor solutions.
    Psychometrika, 22, 53-61.
Jennrich, R. I. (2002). A simple general method for oblique rotation. Psychometrika, 67, 7-19.
Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and software for
    arbitrary rotation criteria in factor analysis. Educational and Psychological Measurement, 65.
Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor analysis.
    Psychometrika, 23, 187-200.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from survey.scoring.reliability.matrices import _smc

_EPS = np.finfo(float).eps
# psych:::fac's optim call for fm = "minres"
_PSI_LOWER = 0.005
_PARSCALE = 0.01
_OPTIM = {"maxcor": 5, "ftol": 1e7 * _EPS, "gtol": 0.0, "maxiter": 100}


def _eigen_descending(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(s)
    return values[::-1], vectors[:, ::-1]


def _top_loadings(s: np.ndarray, nfactors: int) -> np.ndarray:
    values, vectors = _eigen_descending(s)
    return vectors[:, :nfactors] * np.sqrt(np.maximum(values[:nfactors], 0.0))


def _minres_objective(psi: np.ndarray, r: np.ndarray, nfactors: int) -> float:
    """psych's ``fit.residuals`` for minres: squared lower-triangle residuals, diagonal 1 - psi."""
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    values, vectors = _eigen_descending(s)
    values = np.where(values < _EPS, 100 * _EPS, values)
    loading = vectors[:, :nfactors] * np.sqrt(values[:nfactors])
    resid = (s - loading @ loading.T)[np.tril_indices(len(psi), -1)]
    return float(np.sum(resid**2))


def _minres_gradient(psi: np.ndarray, r: np.ndarray, nfactors: int) -> np.ndarray:
    """psych's ``FAgr.minres`` (the gradient of the unweighted least-squares criterion)."""
    loading = _top_loadings(r - np.diag(psi), nfactors)
    return np.diag(loading @ loading.T + np.diag(psi) - r).copy()


@dataclass(frozen=True)
class MinresFit:
    """Unrotated minres loadings (signed as psych signs them) and the fitted uniquenesses."""

    loadings: np.ndarray
    psi: np.ndarray
    converged: bool
    heywood: np.ndarray  # items whose uniqueness sits on psych's 0.005 bound


def psych_minres(r: np.ndarray, nfactors: int) -> MinresFit:
    """``psych::fa(r, nfactors, fm = "minres", rotate = "none")$loadings``, stopping where psych stops.

    Example: ``psych_minres(np.corrcoef(x, rowvar=False), 3).loadings``.
    R: ``unclass(psych::fa(r, 3, fm = "minres", rotate = "none")$loadings)``.
    """
    smc = _smc(r)
    upper = max(float(smc.max()), 1.0)
    start = np.diag(r) - smc
    fit = optimize.minimize(
        lambda z: _minres_objective(z * _PARSCALE, r, nfactors),
        start / _PARSCALE,
        jac=lambda z: _minres_gradient(z * _PARSCALE, r, nfactors) * _PARSCALE,
        method="L-BFGS-B",
        bounds=[(_PSI_LOWER / _PARSCALE, upper / _PARSCALE)] * len(start),
        options=_OPTIM,
    )
    psi = fit.x * _PARSCALE
    loadings = _top_loadings(r - np.diag(psi), nfactors)
    if nfactors > 1:
        loadings = loadings * _column_signs(loadings)
    elif loadings.sum() < 0:
        loadings = -loadings
    loadings[loadings == 0] = 1e-15
    return MinresFit(loadings=loadings, psi=psi, converged=bool(fit.success),
                     heywood=psi <= _PSI_LOWER * (1 + 1e-9))


def _column_signs(loadings: np.ndarray) -> np.ndarray:
    signs = np.sign(loadings.sum(axis=0))
    signs[signs == 0] = 1.0
    return signs


def varimax(loadings: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Kaiser-normalised varimax as ``stats::varimax(x, normalize = TRUE, eps = 1e-5)``."""
    scale = np.sqrt((loadings**2).sum(axis=1))
    x = loadings / scale[:, None]
    p, k = x.shape
    rotation = np.eye(k)
    d = 0.0
    for _ in range(1000):
        z = x @ rotation
        b = x.T @ (z**3 - z * (z**2).sum(axis=0) / p)
        u, singular, vt = np.linalg.svd(b)
        rotation = u @ vt
        d_past, d = d, float(singular.sum())
        if d < d_past * (1 + eps):
            break
    return (x @ rotation) * scale[:, None]


def _quartimin(loadings: np.ndarray) -> tuple[np.ndarray, float]:
    """GPArotation's ``vgQ.oblimin`` with ``gam = 0``: gradient and criterion value."""
    k = loadings.shape[1]
    x = (loadings**2) @ (1.0 - np.eye(k))
    return loadings * x, float(np.sum(loadings**2 * x)) / 4


@dataclass(frozen=True)
class ObliqueRotation:
    loadings: np.ndarray
    phi: np.ndarray
    converged: bool


def oblimin(a: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> ObliqueRotation:
    """``GPArotation::oblimin(a)`` (quartimin): gradient-projection oblique rotation from the identity.

    R: ``GPArotation::oblimin(a)`` (``$loadings``, ``$Phi``).
    """
    k = a.shape[1]
    t = np.eye(k)
    step = 1.0
    lam = a @ np.linalg.inv(t).T
    gq, f = _quartimin(lam)
    grad = -(lam.T @ gq @ np.linalg.inv(t)).T
    s = np.inf
    for _ in range(max_iter + 1):
        projected = grad - t * (t * grad).sum(axis=0)
        s = float(np.sqrt(np.sum(projected**2)))
        if s < eps:
            break
        step *= 2
        for _ in range(11):
            x = t - step * projected
            t_new = x / np.sqrt((x**2).sum(axis=0))
            lam = a @ np.linalg.inv(t_new).T
            gq_new, f_new = _quartimin(lam)
            if f - f_new > 0.5 * s**2 * step:
                break
            step /= 2
        t, f = t_new, f_new
        grad = -(lam.T @ gq_new @ np.linalg.inv(t_new)).T
    return ObliqueRotation(loadings=lam, phi=t.T @ t, converged=s < eps)


@dataclass(frozen=True)
class SchmidLeiman:
    """The pieces of ``psych::schmid``: ``g`` and ``group`` (the ``sl`` table's first k + 1 columns),
    ``h2``/``u2``, the varimax (``orthogonal``) and oblimin (``oblique``) loadings, ``phi`` and
    ``gload`` (the factors' loadings on the general factor), and what the fits reported."""

    g: np.ndarray
    group: np.ndarray
    h2: np.ndarray
    u2: np.ndarray
    orthogonal: np.ndarray
    oblique: np.ndarray
    phi: np.ndarray
    gload: np.ndarray
    converged: bool
    heywood: np.ndarray


def schmid_leiman(r: np.ndarray, nfactors: int) -> SchmidLeiman:
    """``psych::schmid(r, nfactors, fm = "minres", rotate = "oblimin", option = "equal")``.

    R: ``psych::schmid(r, 3)$sl``.
    """
    first = psych_minres(r, nfactors)
    orthogonal = varimax(first.loadings)
    orthogonal = orthogonal * _column_signs(orthogonal)
    order = np.argsort(-(orthogonal**2).sum(axis=0), kind="stable")
    orthogonal = orthogonal[:, order]
    rotation = oblimin(orthogonal)
    pattern, phi = rotation.loadings, rotation.phi
    converged = first.converged and rotation.converged
    if nfactors > 2:
        second = psych_minres(phi, 1)
        gload = second.loadings[:, 0]
        converged = converged and second.converged
    else:
        root = np.sqrt(abs(phi[0, 1]))
        gload = np.array([root, np.sign(phi[0, 1]) * root])
    g = pattern @ gload
    group = np.sign(pattern) * np.sqrt(np.clip(pattern**2 * (1.0 - gload**2), 0.0, None))
    h2 = (orthogonal**2).sum(axis=1)
    return SchmidLeiman(g=g, group=group, h2=h2, u2=np.diag(r) - h2, orthogonal=orthogonal,
                        oblique=pattern, phi=phi, gload=gload, converged=converged, heywood=first.heywood)
