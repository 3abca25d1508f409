"""Scales for a Fay–Herriot model of proportions, and the bias-corrected way back.

``none``
    The proportion itself, with its design variance.
``arcsine``
    ``arcsin(sqrt(p))`` with sampling variance ``1 / (4 n_eff)``, the effective sample size
    ``n_eff = p(1-p) / var(p)`` (n / deff) taken from the direct estimate (Jiang, Lahiri, Wan & Wu
    2001; as R ``emdi::fh(transformation = "arcsin", eff_smpsize = ...)``).
``logit``
    ``log(p / (1-p))`` with the delta-method variance ``var(p) / (p(1-p))^2``.

Back-transformation (bias-corrected, in the style of Hadam, Würz & Kreutzmann 2020): the estimate
is ``E[h^-1(theta)]`` with ``theta ~ N(theta_hat, s^2)``, ``s^2`` the conditional variance of the
area effect (``g1 = gamma D`` for an area with a direct estimate, ``sigma_u^2`` for a synthetic
one), rather than ``h^-1(theta_hat)``, which is biased on a nonlinear scale. For the arcsine
square root it has the closed form ``E[sin^2 T] = 1/2 - cos(2 mu) exp(-2 s^2) / 2``; for the
logit it is computed by Gauss–Hermite quadrature.

References
----------
Jiang, J., Lahiri, P., Wan, S.-M. & Wu, C.-H. (2001). Jackknifing in the Fay–Herriot model with
an example. Proc. Seminar on Funding Opportunity in Survey Research, 75-97.
Hadam, S., Würz, N. & Kreutzmann, A.-K. (2020). Estimating regional unemployment with mobile
network data for functional urban areas in Germany. Freie Universität Berlin, Discussion Paper
2020/20 (the arcsine Fay–Herriot model with bias-corrected back-transformation of ``emdi``).
"""

from __future__ import annotations

import numpy as np

TRANSFORMS = ("arcsine", "logit", "none")
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(60)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def forward(p, var, transform: str):
    """The direct estimates ``p`` and variances ``var`` on the model's scale: ``(y, d, n_eff)``.

    ``n_eff`` is ``p(1-p)/var`` (NaN where p is 0 or 1 or var is 0: such an area has no usable
    variance on a transformed scale, and is estimated synthetically).
    """
    p, var = np.asarray(p, float), np.asarray(var, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = (p > 0) & (p < 1) & (var > 0)
        n_eff = np.where(inside, p * (1 - p) / var, np.nan)
        if transform == "none":
            return p, np.where(var > 0, var, np.nan), n_eff
        if transform == "arcsine":
            return np.arcsin(np.sqrt(np.clip(p, 0, 1))), 1.0 / (4.0 * n_eff), n_eff
        if transform == "logit":
            return np.log(p / (1 - p)), np.where(inside, var / (p * (1 - p)) ** 2, np.nan), n_eff
    raise ValueError(f"transform: expected one of {TRANSFORMS}, found {transform!r}")


def inverse(theta, transform: str):
    """The plain (not bias-corrected) back-transformation."""
    theta = np.asarray(theta, float)
    if transform == "arcsine":
        return np.sin(np.clip(theta, 0, np.pi / 2)) ** 2
    if transform == "logit":
        return 1.0 / (1.0 + np.exp(-theta))
    return theta


def back(mu, s2, transform: str):
    """Bias-corrected back-transformation ``E[h^-1(T)]``, ``T ~ N(mu, s2)``; ``none`` returns ``mu``."""
    mu, s2 = np.asarray(mu, float), np.asarray(s2, float)
    if transform == "arcsine":
        return 0.5 - 0.5 * np.cos(2 * mu) * np.exp(-2 * s2)
    if transform == "logit":
        t = mu[..., None] + np.sqrt(s2)[..., None] * _NODES
        return (1.0 / (1.0 + np.exp(-t))) @ _WEIGHTS
    return mu


def proportion_of(theta, transform: str):
    """The proportion an area effect ``theta`` means on the model's scale (the bootstrap's true value)."""
    theta = np.asarray(theta, float)
    if transform == "arcsine":
        return np.sin(theta) ** 2
    return inverse(theta, transform)
