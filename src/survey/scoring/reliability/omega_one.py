"""McDonald's omega total from a one-factor minres model (``psych::omega(nfactors = 1)``), fitted exactly."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from survey.results import Result
from survey.scoring.reliability.matrices import MissingPolicy, _item_matrix, _pairwise_cor, _smc

_UNIQUENESS_LOWER = 0.005
_POLISH_ITERATIONS = 500

# ---------------------------------------------------------------------------------------
# omega
# ---------------------------------------------------------------------------------------


def _minres_one_factor(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor minimum-residual (unweighted least squares) solution of a correlation matrix.

    Minimises ``F(psi) = 1/2 * sum_{k >= 2} e_k(R - diag psi)^2``, the residual sum of
    squares left by the best one-factor fit, with gradient ``-diag(R - diag psi - l l')``;
    at the minimum the off-diagonal residuals are those of minres (Harman & Jones 1966).
    Start and bounds follow psych (``psych:::fac``): start ``psi = 1 - smc``, bounds
    ``[0.005, max(smc, 1)]``. psych stops L-BFGS-B at R's default tolerance; this fit runs
    to ``ftol = 1e-15`` and then polishes with the fixed-point (iterated principal axis)
    step, so it lands on the exact minimiser.

    Returns (loadings, uniquenesses used in the fit, converged).
    """
    k = r.shape[0]
    smc = _smc(r)

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        s = r - np.diag(psi)
        values, vectors = np.linalg.eigh(s)
        top = max(values[-1], 0.0)
        loading = vectors[:, -1] * np.sqrt(top)
        resid = s - np.outer(loading, loading)
        return 0.5 * float(np.sum(resid**2)), -np.diag(resid).copy()

    upper = max(float(smc.max()), 1.0)
    fit = optimize.minimize(
        objective,
        x0=np.clip(1.0 - smc, _UNIQUENESS_LOWER, upper),
        jac=True,
        method="L-BFGS-B",
        bounds=[(_UNIQUENESS_LOWER, upper)] * k,
        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000, "maxcor": 20},
    )
    # Polish: L-BFGS-B's ftol test is absolute once F < 1, which leaves psi ~1e-8 from the
    # minimum. Iterate the fixed point psi = 1 - diag(l l') (clamped to the bounds), whose
    # limit is the same minimiser, until it stops moving.
    psi = fit.x
    for _ in range(_POLISH_ITERATIONS):
        values, vectors = np.linalg.eigh(r - np.diag(psi))
        loading = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
        new_psi = np.clip(1.0 - loading**2, _UNIQUENESS_LOWER, upper)
        step = np.max(np.abs(new_psi - psi))
        psi = new_psi
        if step < 1e-15:
            break
    values, vectors = np.linalg.eigh(r - np.diag(psi))
    loading = vectors[:, -1] * np.sqrt(max(values[-1], 0.0))
    if loading.sum() < 0:
        loading = -loading
    return loading, psi, bool(fit.success)


@dataclass(frozen=True)
class OmegaResult(Result):
    """McDonald's omega total from a one-factor minres model; see :func:`omega_total`.

    ``omega_total`` = psych's ``omega.tot``; ``omega_h`` = psych's ``omega_h`` for one
    factor, ``(sum |loading|)^2 / sum R``; ``loadings`` has ``item``, ``loading`` and
    ``uniqueness`` (1 - loading^2); ``flipped_items`` are items whose loading was negative
    and whose correlations were sign-reversed as psych's ``flip = TRUE`` does; ``heywood``
    lists items whose uniqueness sits on the 0.005 lower bound.
    """

    omega_total: float
    omega_h: float
    n: int
    n_items: int
    missing: str
    loadings: pd.DataFrame = field(repr=False)
    flipped_items: tuple[str, ...] = ()
    heywood: tuple[str, ...] = ()
    converged: bool = True

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.flipped_items:
            notes.append(
                "omega: negative loadings for " + ", ".join(self.flipped_items)
                + " (reversed as psych's flip = TRUE; is an item not reverse-keyed?)"
            )
        if self.heywood:
            notes.append("omega: uniqueness at the 0.005 bound (Heywood case) for " + ", ".join(self.heywood))
        if not self.converged:
            notes.append("omega: minres fit did not report convergence")
        return notes

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "omega_total": self.omega_total, "omega_h": self.omega_h, "n": self.n,
            "n_items": self.n_items, "missing": self.missing, "notes": "; ".join(self.notes),
        }])

    def title(self) -> str:
        return (f"McDonald's omega total, one-factor minres ({self.n_items} items, n = {self.n},"
                f" missing = {self.missing}): {self.omega_total:.3f}")

    def summary(self) -> str:
        return "\n\n".join([
            self.title(),
            self.loadings.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            *self.notes,
        ])


def _omega_from_matrix(
    x: np.ndarray, names: list[str], *, missing: str, flip: bool, caller: str
) -> OmegaResult:
    r = _pairwise_cor(x, names, caller)
    loading, psi, converged = _minres_one_factor(r)
    sign = np.where(loading < 0, -1.0, 1.0) if flip else np.ones_like(loading)
    r_keyed = r * np.outer(sign, sign)
    loading_keyed = loading * sign
    total_r = r_keyed.sum()
    uniqueness = 1.0 - loading**2
    return OmegaResult(
        omega_total=float((total_r - uniqueness.sum()) / total_r),
        omega_h=float(loading_keyed.sum() ** 2 / total_r),
        n=int(x.shape[0]),
        n_items=len(names),
        missing=missing,
        loadings=pd.DataFrame({"item": names, "loading": loading_keyed, "uniqueness": uniqueness}),
        flipped_items=tuple(n for n, s in zip(names, sign, strict=True) if s < 0),
        heywood=tuple(n for n, p in zip(names, psi, strict=True) if p <= _UNIQUENESS_LOWER + 1e-9),
        converged=converged,
    )


def omega_total(
    items: pd.DataFrame, *, missing: MissingPolicy = "pairwise", flip: bool = True
) -> OmegaResult:
    """McDonald's omega total from a one-factor minres model, as ``psych::omega(nfactors = 1)``.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns, one row per respondent; at least 3 items (a one-factor
        model of two items is not identified).
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``psych::omega`` on raw data uses ``cor(x, use = "pairwise")``: means and standard
        deviations are also taken pair by pair, unlike alpha's ``cov2cor(cov(pairwise))``.
    flip : bool, default True
        As psych: items with a negative loading have their correlations sign-reversed
        before the sums; they are listed in ``flipped_items`` and in ``notes``.

    Returns
    -------
    OmegaResult

    Notes
    -----
    What psych does for ``nfactors = 1`` (psych 2.2.9, ``omega`` -> ``omegah`` ->
    ``schmid``): the correlation matrix is factored with ``fa(r, 1, fm = "minres",
    rotate = "varimax")`` (no rotation with one factor); ``schmid`` messages "Omega_h for 1
    factor is not meaningful, just omega_t" and warns that omega_h and omega_asymptotic are
    not meaningful, then sets the general-factor loadings to the single factor's loadings,
    ``h2 = l^2`` and ``u2 = 1 - h2``. ``omegah`` reports
    ``omega.tot = (sum R - sum u2) / sum R`` and ``omega_h = (sum l)^2 / sum R``, where
    ``sum R`` is the sum of the *observed* correlation matrix. ``(sum l)^2 / sum R`` is
    therefore psych's omega_h, not its omega.tot; the two differ by the misfit of the
    one-factor model. psych's L-BFGS-B stops at R's default tolerance, so its loadings
    differ from the exact minres solution by up to ~1e-5 while ``omega.tot`` agrees to
    ~1e-6 (it is flat at the minimum).

    Heywood cases (a uniqueness on psych's lower bound 0.005; listed in ``heywood`` and in
    ``notes``): once a bound is active, the unweighted-least-squares fit used here and
    psych's off-diagonal criterion are no longer the same problem, and psych's optimiser
    (whose gradient is that of the ULS criterion) stops somewhere between the two minima;
    expect differences from psych of order 1e-4 there. As in psych, ``uniqueness`` is
    ``1 - loading^2`` and can be negative ("ultra-Heywood").

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [1, 2, 3, 4, 5, 2, 3], "q2": [2, 2, 3, 5, 4, 1, 3],
    ...                       "q3": [1, 3, 3, 4, 5, 2, 2], "q4": [2, 1, 4, 4, 5, 2, 3]})
    >>> round(omega_total(items).omega_total, 3)
    0.943

    R: ``psych::omega(items, nfactors = 1)$omega.tot``.

    References
    ----------
    McDonald (1999), ch. 6; Revelle & Zinbarg (2009), Psychometrika 74, 145-154;
    Harman & Jones (1966), Psychometrika 31, 351-368.
    """
    x, names = _item_matrix(items, missing=missing, min_items=3, caller="omega_total")
    return _omega_from_matrix(x, names, missing=missing, flip=flip, caller="omega_total")

