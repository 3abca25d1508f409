"""Profile-likelihood interval for a proportion, as R's ``svyciprop(method="likelihood")``.

R fits the intercept-only quasibinomial ``svyglm`` (coefficient ``b = logit(p)``) and calls
``confint(fit, method="likelihood", ddf=degf(design))``, which (``survey:::confint.svyglm``,
``MASSprofile_glm``, ``confint_profile``) does the following, reproduced here step for step:

1. ``lambda = V_design(b) / V_model(b)``, with ``V_model = 1 / (n p (1 - p))`` (the weights
   rescaled to mean 1) and ``V_design`` the design (or replicate) variance of ``b``;
2. ``alpha = Phi(t_{ddf, (1-level)/2} sqrt(lambda)) / 2`` and ``zmax = sqrt(F^{-1}_{1, n-1}(1 - alpha))``;
3. the profile ``z(b) = sign(b - b0) sqrt((D(b) - D(b0)) / phi)``, with ``D`` the weighted
   binomial deviance and ``phi`` the dispersion R's ``summary.svyglm`` reports: the design-weighted
   variance of the Pearson residuals ``(y - p) / sqrt(p (1 - p))`` (``residuals.svyglm`` divides
   the sampling weights out), times ``n / (n - 1)``, which at the estimate is ``n / (n - 1)``
   exactly for a 0/1 outcome; evaluated at ``b0 +/- k zmax/5 se`` for ``k = 1..9`` until
   ``|z| >= zmax``;
4. an interpolating cubic spline through those points (R ``spline()``, Forsythe-Malcolm-Moler
   end conditions) evaluated at ``3 x`` (number of points) equally spaced values, and linear
   interpolation of its inverse (R ``approx()``) at ``z = -/+ t sqrt(lambda)``; back-transformed
   with ``expit``.

Because of step 4 the interval is R's approximation of the exact profile bounds (close to
them, not equal); it is reproduced to rounding. No Python loop runs over rows: the deviance of an
intercept-only model depends on ``n`` and ``p`` alone; the loop is over domains.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

MAX_STEPS = 10  # MASSprofile_glm(maxsteps = 10): at most 9 points on each side


def fmm_spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients ``b, c, d`` of R's ``spline(method="fmm")`` through ``(x, y)`` (x increasing).

    On ``[x_i, x_{i+1}]`` the spline is ``y_i + t (b_i + t (c_i + t d_i))``, ``t = u - x_i``; the end
    conditions match the third derivative of the cubic through the first (last) four points
    (Forsythe, Malcolm and Moler 1977).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 2:
        return b, c, d
    if n < 3:
        b[:] = (y[1] - y[0]) / (x[1] - x[0])
        return b, c, d
    last = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, last):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[last] = -d[n - 2]
    c[0] = c[last] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[last] = c[n - 2] / (x[last] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[last] = -c[last] * d[n - 2] * d[n - 2] / (x[last] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[last] = c[last] / b[last]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[last] = (y[last] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[last])
    for i in range(last):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[last] = 3.0 * c[last]
    d[last] = d[n - 2]
    return b, c, d


def spline_values(x: np.ndarray, y: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The FMM spline through ``(x, y)`` evaluated at ``u`` (R ``spline(x, y, xout=u)``)."""
    b, c, d = fmm_spline(x, y)
    i = np.clip(np.searchsorted(x, u, side="right") - 1, 0, len(x) - 1)
    t = u - x[i]
    return y[i] + t * (b[i] + t * (c[i] + t * d[i]))


def _profile_bounds(p: float, var_logit: float, n: float, phi: float, df: float, level: float):
    b0 = special.logit(p)
    se = np.sqrt(var_logit)
    lam = var_logit * n * p * (1 - p)
    q = stats.norm.ppf((1 - level) / 2) if np.isinf(df) else stats.t.ppf((1 - level) / 2, df)
    alpha = stats.norm.cdf(q * np.sqrt(lam)) / 2
    zmax = np.sqrt(stats.f.isf(alpha, 1, n - 1))
    step_size = zmax / 5

    def deviance(b):
        mu = special.expit(b)
        return -2 * n * (p * np.log(mu) + (1 - p) * np.log1p(-mu))

    d0 = deviance(b0)
    bs: list[float] = [float(b0)]
    zs: list[float] = [0.0]
    for sign in (-1.0, 1.0):
        step, z = 0, 0.0
        while (step := step + 1) < MAX_STEPS and abs(z) < zmax:
            b = b0 + sign * step * step_size * se
            z = sign * np.sqrt(max((deviance(b) - d0) / phi, 0.0))
            bs.append(float(b))
            zs.append(float(z))
    order = np.argsort(zs, kind="stable")
    b_points, z_points = np.asarray(bs)[order], np.asarray(zs)[order]
    by_b = np.argsort(b_points, kind="stable")
    grid = np.linspace(b_points.min(), b_points.max(), 3 * len(b_points))
    curve = spline_values(b_points[by_b], z_points[by_b], grid)
    cutoff = stats.norm.ppf(2 * alpha)
    order = np.argsort(curve, kind="stable")
    bounds = np.interp([cutoff, -cutoff], curve[order], grid[order], left=np.nan, right=np.nan)
    return special.expit(bounds)


def likelihood_interval(p, var_logit, n, df, level: float) -> tuple[np.ndarray, np.ndarray]:
    """R's ``svyciprop(method="likelihood")`` bounds for each domain (NaN where undefined).

    Parameters
    ----------
    p, var_logit, n, df : array-like, one value per domain
        Estimate, design variance of ``logit(p)``, rows in the model (with a positive weight)
        and the degrees of freedom.
    level : float
    """
    p, var_logit, n, df = (np.broadcast_to(np.asarray(v, dtype=float), np.shape(p)) for v in (p, var_logit, n, df))
    phi = n / (n - 1)
    low, high = np.full(p.shape, np.nan), np.full(p.shape, np.nan)
    for i in range(p.size):  # one profile per domain
        ok = (0 < p.flat[i] < 1) and var_logit.flat[i] > 0 and df.flat[i] > 0 and n.flat[i] > 1 \
            and phi.flat[i] > 0 and np.isfinite(var_logit.flat[i])
        if ok:
            low.flat[i], high.flat[i] = _profile_bounds(p.flat[i], var_logit.flat[i], n.flat[i], phi.flat[i],
                                                        df.flat[i], level)
    return low, high
