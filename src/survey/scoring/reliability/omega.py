"""Omega hierarchical and omega total with several group factors, as ``psych::omega(nfactors = k)``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.errors import ColumnError
from survey.results import Result
from survey.scoring.reliability.factor import schmid_leiman
from survey.scoring.reliability.matrices import MissingPolicy, _item_matrix, _pairwise_cor, _smc


@dataclass(frozen=True)
class HierarchicalOmegaResult(Result):
    """Schmid–Leiman omega for one item set; see :func:`omega`.

    Attributes are psych's: ``omega_h`` (``omega_h``), ``omega_total`` (``omega.tot``),
    ``omega_limit`` (``omega.lim``, omega_h / omega_total), ``alpha`` (standardised alpha of the
    flipped items), ``g6`` (``G6``), ``ecv`` (``ECV``). ``loadings`` is psych's ``schmid$sl``
    (``item``, ``g``, ``F1*`` ... ``Fk*``, ``h2``, ``u2``, ``p2``), ``phi`` the oblimin factor
    correlations, ``groups`` psych's ``omega.group`` (rows ``g``, ``F1*``...; columns ``total``,
    ``general``, ``group``).
    """

    omega_h: float
    omega_total: float
    omega_limit: float
    alpha: float
    g6: float
    ecv: float
    n: int
    n_items: int
    nfactors: int
    missing: str
    loadings: pd.DataFrame = field(repr=False)
    phi: pd.DataFrame = field(repr=False)
    groups: pd.DataFrame = field(repr=False)
    flipped_items: tuple[str, ...] = ()
    heywood: tuple[str, ...] = ()
    converged: bool = True

    @property
    def notes(self) -> list[str]:
        notes = []
        if self.flipped_items:
            notes.append("omega: negative general-factor loadings for " + ", ".join(self.flipped_items)
                         + " (reversed as psych's flip = TRUE)")
        if self.heywood:
            notes.append("omega: uniqueness at the 0.005 bound (Heywood case) for " + ", ".join(self.heywood))
        if (self.loadings["h2"] > 1).any():
            notes.append("omega: communality above 1 (ultra-Heywood case) for "
                         + ", ".join(self.loadings.loc[self.loadings["h2"] > 1, "item"]))
        if self.nfactors == 2:
            notes.append("omega: with 2 group factors the general loadings are set equal "
                         "(psych's option = 'equal'); 3 or more factors identify them")
        if not self.converged:
            notes.append("omega: a factor fit or the oblimin rotation did not report convergence")
        return notes

    def to_frame(self) -> pd.DataFrame:
        """One row: omega_h, omega_total, omega_limit, alpha, g6, ecv, n, n_items, nfactors, notes."""
        names = ["omega_h", "omega_total", "omega_limit", "alpha", "g6", "ecv", "n", "n_items", "nfactors",
                 "missing"]
        return pd.DataFrame([{**{name: getattr(self, name) for name in names}, "notes": "; ".join(self.notes)}])

    def title(self) -> str:
        return (f"Omega (Schmid-Leiman, {self.nfactors} group factors, {self.n_items} items, n = {self.n}): "
                f"omega_h = {self.omega_h:.3f}, omega_total = {self.omega_total:.3f}")

    def summary(self) -> str:
        return "\n\n".join([
            self.title(),
            self.loadings.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            self.groups.to_string(float_format=lambda v: f"{v:.3f}"),
            *self.notes,
        ])


def _check_nfactors(nfactors: object, n_items: int) -> int:
    if isinstance(nfactors, bool) or not isinstance(nfactors, (int, np.integer)) or nfactors < 2:
        raise ColumnError(
            f"omega: nfactors must be a whole number of group factors, 2 or more; found {nfactors!r} "
            "(for one factor use omega_total)"
        )
    dof = ((n_items - nfactors) ** 2 - (n_items + nfactors)) / 2
    if dof < 0:
        raise ColumnError(
            f"omega: {nfactors} factors are too many for {n_items} items (the model has {dof:g} degrees "
            "of freedom); use fewer factors"
        )
    return int(nfactors)


def omega(
    items: pd.DataFrame, nfactors: int = 3, *, missing: MissingPolicy = "pairwise", flip: bool = True
) -> HierarchicalOmegaResult:
    """Omega hierarchical and omega total from a Schmid–Leiman solution, as ``psych::omega``.

    Parameters
    ----------
    items : DataFrame
        Numeric item columns, one row per respondent (reverse-keyed items may be left as they
        are when ``flip`` is true).
    nfactors : int, default 3
        Number of group factors (psych's default is 3). Two is allowed, with psych's
        ``option = "equal"`` (and a note); one factor is :func:`omega_total`.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``cor(x, use = "pairwise")`` as psych, or complete cases only (``omega(na.omit(x))``).
        Respondents with no item answered are left out in both cases; they change nothing.
    flip : bool, default True
        As psych: items whose general-factor loading is negative are reversed before the sums.

    Returns
    -------
    HierarchicalOmegaResult

    Notes
    -----
    With ``R`` the (flipped) correlation matrix, ``g`` the general loadings and ``u2`` the
    uniquenesses of the k-factor solution: ``omega_h = (sum g)^2 / sum R``, ``omega_total =
    (sum R - sum u2) / sum R``. The steps and psych's stopping rules are in
    :mod:`survey.scoring.reliability.factor`; they are reproduced on purpose, so the numbers
    are psych's (psych's minres fit stops ~1e-5 short of the exact minimum).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> g, f = rng.normal(size=(400, 1)), rng.normal(size=(400, 3))
    >>> x = 0.6 * g + 0.5 * np.repeat(f, 3, axis=1) + 0.6 * rng.normal(size=(400, 9))
    >>> res = omega(pd.DataFrame(x, columns=[f"q{i}" for i in range(1, 10)]), nfactors=3)
    >>> round(res.omega_h, 2) < round(res.omega_total, 2)
    True

    R: ``psych::omega(items, nfactors = 3, plot = FALSE)`` (``$omega_h``, ``$omega.tot``).

    References
    ----------
    McDonald (1999); Zinbarg, Revelle, Yovel & Li (2005), Psychometrika 70, 123-133;
    Revelle & Zinbarg (2009), Psychometrika 74, 145-154; Schmid & Leiman (1957).
    """
    x, names = _item_matrix(items, missing=missing, min_items=3, caller="omega")
    k = _check_nfactors(nfactors, len(names))
    r = _pairwise_cor(x, names, "omega")
    sl = schmid_leiman(r, k)
    g, group = sl.g.copy(), sl.group.copy()
    key = np.ones(len(names))
    if flip:
        key = np.where(g < 0, -1.0, 1.0)
        g, group = g * key, group * key[:, None]
    m = r * np.outer(key, key)
    total = m.sum()
    p = len(names)
    omega_total = (total - sl.u2.sum()) / total
    factor_names = [f"F{j + 1}*" for j in range(k)]
    loadings = pd.DataFrame({"item": names, "g": g, **{f: group[:, j] for j, f in enumerate(factor_names)},
                             "h2": sl.h2, "u2": sl.u2, "p2": g**2 / sl.h2})
    ev = np.concatenate([[np.sum(g**2)], (group**2).sum(axis=0)])
    return HierarchicalOmegaResult(
        omega_h=float(g.sum() ** 2 / total),
        omega_total=float(omega_total),
        omega_limit=float(g.sum() ** 2 / (total - sl.u2.sum())),
        alpha=float((total - np.trace(m)) / total * p / (p - 1)),
        g6=float((total + _smc(m).sum() - np.trace(m)) / total),
        ecv=float(ev[0] / ev.sum()),
        n=int(x.shape[0]),
        n_items=p,
        nfactors=k,
        missing=missing,
        loadings=loadings,
        phi=pd.DataFrame(sl.phi, index=[f"F{j + 1}" for j in range(k)], columns=[f"F{j + 1}" for j in range(k)]),
        groups=_group_omegas(m, g, group, omega_total, ["g", *factor_names]),
        flipped_items=tuple(n for n, s in zip(names, key, strict=True) if s < 0),
        heywood=tuple(n for n, h in zip(names, sl.heywood, strict=True) if h),
        converged=sl.converged,
    )


def _group_omegas(m: np.ndarray, g: np.ndarray, group: np.ndarray, omega_total: float,
                  labels: list[str]) -> pd.DataFrame:
    """psych's ``omega.group``: each item counted in the group factor it loads most on."""
    k = group.shape[1]
    owner = np.argmax(np.abs(group), axis=1)
    rows = {"total": np.full(k + 1, np.nan), "general": np.full(k + 1, np.nan), "group": np.full(k + 1, np.nan)}
    squared_group_sums = 0.0
    for j in range(k):
        members = owner == j
        if not members.any():
            continue
        v = m[np.ix_(members, members)].sum()
        gr = group[members, j].sum()
        gen = g[members].sum()
        squared_group_sums += gr**2
        rows["total"][j + 1] = (gr**2 + gen**2) / v
        rows["general"][j + 1] = gen**2 / v
        rows["group"][j + 1] = gr**2 / v
    rows["total"][0] = omega_total
    rows["general"][0] = g.sum() ** 2 / m.sum()
    rows["group"][0] = squared_group_sums / m.sum()
    return pd.DataFrame(rows, index=labels)
