"""Quantiles with Woodruff intervals (R ``svyquantile``, survey >= 4.1) and ``svyvar``.

:func:`quantile` estimates the ``q``-quantiles of an outcome by domain. The estimate applies a
quantile rule to the weighted distribution of the domain's rows; the interval is Woodruff's:
an interval for the proportion ``P(Y <= q_hat)`` (the design-based SE of the mean of the
indicator, with the design's calibration, strata, PSUs and FPC), mapped back through the same
rule. The SE is the interval's width over ``2 t_df``.

Quantile rules (R ``qrule=``), on the sorted values ``x`` with cumulative weight share ``F``:

* ``math`` (= ``hf1``, the default): the smallest ``x`` with ``F(x) >= p``;
* ``school`` (= ``hf2``): as ``math``, but the average of the two neighbours when ``F = p``
  exactly at a value;
* ``hf3``: nearest even order statistic; ``hf4``-``hf9``: the interpolating rules of Hyndman
  and Fan (1996) with weights, as R implements them; ``shahvaish``: Shah and Vaish (2006).

Interval types (R ``interval.type=``): ``mean`` (default; Wald interval for the proportion),
``beta`` (Korn-Graubard-type Clopper-Pearson with effective n), ``xlogit`` (Wald on the logit
scale), ``asin`` (Wald on the arcsine-square-root scale). R 4.1's ``score`` type (Francisco
and Fuller) depends on where R's root finder lands on a step function and is not offered.

R's ``qs`` helper returns the second order statistic when ``p`` lies below the first value's
weight share (it uses position 1 "when nothing is below" and then the next value); this module
does the same so that results agree with R, and says so in the ``note`` column.

:func:`variance` is R's ``svyvar``: the mean of ``(y - ybar)^2 n / (n - 1)`` with ``ybar``
fixed, and its SE as that mean's (``n`` counts the domain's rows with a positive weight,
including rows whose outcome is missing, as R's ``svyvar`` does with ``na.rm=TRUE``).

References
----------
Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. *JASA*
47, 635-646. Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages.
*American Statistician* 50, 361-365. Lumley, T. (2021). survey 4.1: ``svyquantile``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from survey.errors import ColumnError, ConfigError
from survey.estimation.design import Design, _numeric, require_design
from survey.estimation.estimators import mean as _mean
from survey.results import Result

QRULES = ("math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9")
INTERVALS = ("mean", "beta", "xlogit", "asin")
_INDICATOR = "_survey_quantile_indicator"


def _cumulative(w: np.ndarray) -> np.ndarray:
    """R's ``cumsum``: accumulated in extended precision, each partial sum stored as a double."""
    return np.cumsum(w.astype(np.longdouble)).astype(float)


def weighted_quantile(x: np.ndarray, w: np.ndarray, p: float, qrule: str = "math") -> float:
    """The ``p``-quantile of values ``x`` with weights ``w`` under R's rule ``qrule``.

    Rows with weight 0 are left out. ``x`` must hold no missing values.

    Examples
    --------
    >>> weighted_quantile(np.array([1., 2, 3, 4]), np.ones(4), 0.5)
    2.0
    >>> weighted_quantile(np.array([1., 2, 3, 4]), np.ones(4), 0.5, "school")
    2.5

    R: ``survey:::qrule_math(x, w, p)``, ``survey:::qrule_school(x, w, p)``.
    """
    if qrule not in QRULES:
        raise ConfigError(f"qrule: expected one of {', '.join(QRULES)}, found {qrule!r}")
    keep = w != 0
    x, w = np.asarray(x, dtype=float)[keep], np.asarray(w, dtype=float)[keep]
    n = len(x)
    if n == 0 or not np.isfinite(p):
        return np.nan
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    if qrule == "hf3":
        x, inverse = np.unique(x, return_inverse=True)
        w = np.bincount(inverse, weights=w)
        n = len(x)
    cumw = _cumulative(w)
    total = cumw[-1]
    if qrule in ("math", "hf1", "school", "hf2", "hf3", "hf4"):
        below = np.flatnonzero(cumw <= p * total)
        pos = int(below[-1]) if len(below) else 0
        nxt = pos if pos == n - 1 else pos + 1
        wlow = p - cumw[pos] / total
        wup = cumw[nxt] / total - p
        if qrule in ("math", "hf1"):
            return float(x[pos] if wlow == 0 else x[nxt])
        if qrule in ("school", "hf2"):
            return float((x[pos] + x[nxt]) / 2 if wlow == 0 else x[nxt])
        if qrule == "hf3":
            return float(x[pos] if wlow == 0 and (pos + 1) % 2 == 0 else x[nxt])
        gamma = wlow / (wup + wlow)
        return float(x[pos] * (1 - gamma) + x[nxt] * gamma)
    if qrule == "shahvaish":
        s = np.cumsum(w / np.mean(w))
        pk = (s + 0.5 - w / 2) / (n + 1)  # not monotone when weights vary: R's approx() sorts it
        pk, inverse = np.unique(pk, return_inverse=True)  # and averages the values of tied knots
        xs = np.bincount(inverse, weights=x) / np.bincount(inverse)
        index = np.clip(np.searchsorted(pk, p, side="right") - 1, 0, len(pk) - 1)
        return float(xs[index])
    previous = np.concatenate([[0.0], cumw[:-1]])
    if qrule == "hf5":
        pk = (cumw - w / 2) / cumw[-1]
    elif qrule == "hf6":
        pk = cumw / (cumw[-1] + w[-1])
    elif qrule == "hf7":
        if n < 2:
            return np.nan
        pk = previous / cumw[-2]
    elif qrule == "hf8":
        pk = (previous * 1 / 3 + cumw * 2 / 3) / (cumw[-1] + w[-1] / 3)
    else:
        pk = (previous * 3 / 8 + cumw * 5 / 8) / (cumw[-1] + w[-1] / 4)
    return float(np.interp(p, pk, x))


@dataclass(frozen=True, eq=False)
class QuantileResult(Result):
    """Quantiles by domain: one row per domain x quantile.

    Columns: the ``by`` columns, ``q``, ``estimate``, ``ci_low``, ``ci_high``, ``se``, ``df``,
    ``n`` (rows used), ``qrule``, ``ci_method``, ``note``.
    """

    table: pd.DataFrame
    outcome: str
    by: tuple
    level: float
    qrule: str
    ci_method: str
    design: str

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def title(self) -> str:
        return (f"quantiles of {self.outcome}" + (f" by {', '.join(self.by)}" if self.by else "")
                + f"; rule {self.qrule}; {int(round(self.level * 100))}% Woodruff CI: {self.ci_method}")

    def summary(self, digits: int = 4) -> str:
        shown = self.table.drop(columns=["qrule", "ci_method"])
        if not shown["note"].astype(bool).any():
            shown = shown.drop(columns=["note"])
        return (self.title() + f"\n{self.design}\n"
                + shown.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}"))

    def __repr__(self) -> str:
        return self.summary()


def _domains(data: pd.DataFrame, by: list[str], usable: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """The domains (sorted by the ``by`` values, as the estimators order them) and each row's domain."""
    if not by:
        return pd.DataFrame(index=range(1)), np.where(usable, 0, -1)
    for column in by:
        if column not in data.columns:
            raise ColumnError(f"by column {column!r}: not found in the data")
    keys = data[by].reset_index(drop=True)
    present = usable & keys.notna().all(axis=1).to_numpy()
    codes = keys[present].groupby(by, sort=True, observed=True).ngroup().to_numpy()
    values = keys[present].drop_duplicates().sort_values(by, kind="stable").reset_index(drop=True)
    domain = np.full(len(data), -1, dtype=np.int64)
    domain[present] = codes
    return values, domain


def _critical(df: np.ndarray, level: float) -> np.ndarray:
    """``t_df`` quantile for the two-sided ``level`` (normal where df is infinite)."""
    df = np.asarray(df, dtype=float)
    finite = np.isfinite(df)
    upper = 1 - (1 - level) / 2
    with np.errstate(invalid="ignore"):
        return np.where(finite, stats.t.ppf(upper, np.where(finite, df, 1.0)), stats.norm.ppf(upper))


def _proportion_interval(p, se, df, level, method, n_rows, degf):
    alpha = 1 - level
    crit = _critical(df, level)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "mean":
            return p - crit * se, p + crit * se
        if method == "xlogit":
            centre, half = np.log(p / (1 - p)), crit * se / (p * (1 - p))
            return 1 / (1 + np.exp(-(centre - half))), 1 / (1 + np.exp(-(centre + half)))
        if method == "asin":
            centre, half = np.arcsin(np.sqrt(p)), crit * se / (2 * np.sqrt(p * (1 - p)))
            return np.sin(centre - half) ** 2, np.sin(centre + half) ** 2
        n_eff = p * (1 - p) / se**2 * (stats.t.ppf(alpha / 2, n_rows - 1) / stats.t.ppf(alpha / 2, degf)) ** 2
        return (stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1),
                stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))


def quantile(
    design: Design,
    outcome: str,
    *,
    q: float | Sequence[float] = 0.5,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    ci_method: str = "mean",
    qrule: str = "math",
    df: str | float = "domain",
) -> QuantileResult:
    """Quantiles of ``outcome`` by domain with Woodruff confidence intervals and SEs.

    Parameters
    ----------
    design : Design
        Any design, calibrated ones included (the interval's SE uses the calibration).
    outcome : str
        Numeric column; rows where it is missing are left out (R ``na.rm=TRUE``).
    q : float or list of float, default 0.5
        Probabilities in [0, 1].
    by : str or list of str, optional
        Domain columns.
    level : float, default 0.95
    ci_method : {"mean", "beta", "xlogit", "asin"}, default "mean"
        R ``interval.type``.
    qrule : {"math", "school", "shahvaish", "hf1", ..., "hf9"}, default "math"
        R ``qrule``.
    df : "domain", "design" or a number (``inf``: normal quantiles), default "domain"
        Degrees of freedom of the interval: R's default ``degf()`` of the domain's subset.

    Returns
    -------
    QuantileResult

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 1, 2, 1, 2], "p": [1, 1, 2, 2, 3, 3], "y": [3., 5, 4, 8, 1, 6]})
    >>> quantile(Design(df, weight="w", psu="p"), "y").to_frame()["estimate"].tolist()
    [5.0]

    R: ``svyquantile(~y, design, 0.5, ci=TRUE, na.rm=TRUE)``; by domain
    ``svyby(~y, ~by, design, svyquantile, 0.5, ci=TRUE, na.rm=TRUE)``.
    """
    design = require_design(design, caller="quantile", second=outcome)
    probabilities = [float(v) for v in (np.atleast_1d(q))]
    if not probabilities or any(not 0 <= v <= 1 for v in probabilities):
        raise ConfigError(f"q: expected probabilities between 0 and 1, found {q!r}")
    if qrule not in QRULES:
        raise ConfigError(f"qrule: expected one of {', '.join(QRULES)}, found {qrule!r}")
    if ci_method not in INTERVALS:
        extra = " (R's 'score' type is not offered: see survey.estimation.quantiles)" if ci_method == "score" else ""
        raise ConfigError(f"ci_method: expected one of {', '.join(INTERVALS)}, found {ci_method!r}{extra}")
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    if design.partition:
        raise ConfigError("quantile: needs all rows of the sample, found a partition (partition=True)")
    by_columns = [by] if isinstance(by, str) else list(by or [])
    data = design.data
    if outcome not in data.columns:
        raise ColumnError(f"outcome column {outcome!r}: not found in the data")
    y = _numeric(data, outcome, "outcome")
    w = design.weights()
    present = ~np.isnan(y)
    values, domain = _domains(data, by_columns, present & (w > 0))
    n_domains = len(values)
    estimates = np.full((n_domains, len(probabilities)), np.nan)
    below_first = np.zeros((n_domains, len(probabilities)), dtype=bool)
    members = [np.flatnonzero(domain == d) for d in range(n_domains)]
    for d, rows in enumerate(members):
        first_share = w[rows][np.argsort(y[rows], kind="stable")][0] / w[rows].sum()
        for j, p in enumerate(probabilities):
            estimates[d, j] = weighted_quantile(y[rows], w[rows], p, qrule)
            below_first[d, j] = p < first_share
    if design.calibration:  # nrow() of R's subset for "beta": a calibrated design keeps every row
        n_rows = np.full(n_domains, float(len(data)))
    elif by_columns:  # the domain's rows with the outcome present, weight 0 included
        counts = data.loc[present, by_columns].groupby(by_columns, observed=True).size().rename("_n").reset_index()
        n_rows = values.merge(counts, on=by_columns, how="left")["_n"].to_numpy(dtype=float)
    else:
        n_rows = np.array([float(present.sum())])

    frames = []
    for j, p in enumerate(probabilities):
        domain_of_row = np.where(domain >= 0, domain, 0)
        threshold = estimates[domain_of_row, j]
        indicator = np.where(present, (y <= threshold).astype(float), np.nan)
        with_indicator = dataclasses.replace(design, data=data.assign(**{_INDICATOR: indicator}))
        m = _mean(with_indicator, _INDICATOR, by=by_columns or None, df="domain").table
        if by_columns:
            m = values.merge(m, on=by_columns, how="left", validate="one_to_one")
        share, se_share = m["estimate"].to_numpy(dtype=float), m["se"].to_numpy(dtype=float)
        degf = m["df"].to_numpy(dtype=float)  # R: degf() of the domain's subset
        if isinstance(df, str):
            if df not in ("domain", "design"):
                raise ConfigError(f"df: expected 'domain', 'design' or a number, found {df!r}")
            dof = degf if df == "domain" else np.full(n_domains, float(design.degf))
        else:
            dof = np.full(n_domains, float(df))
        low_p, high_p = _proportion_interval(share, se_share, dof, level, ci_method, n_rows, degf)
        low = np.full(n_domains, np.nan)
        high = np.full(n_domains, np.nan)
        for d, rows in enumerate(members):
            if np.isfinite(low_p[d]) and low_p[d] >= 0:
                low[d] = weighted_quantile(y[rows], w[rows], low_p[d], qrule)
            if np.isfinite(high_p[d]) and high_p[d] <= 1:
                high[d] = weighted_quantile(y[rows], w[rows], high_p[d], qrule)
        crit = _critical(dof, level)
        notes = np.where(np.isnan(low) | np.isnan(high), "interval for P(Y <= q) leaves [0, 1]: no limit there", "")
        notes = np.where(below_first[:, j], np.where(notes == "", "", notes + "; ")
                         + "q below the first value's weight share: R's rule gives the second value", notes)
        frame = values.copy()
        frame["q"] = p
        frame["estimate"] = estimates[:, j]
        frame["ci_low"] = low
        frame["ci_high"] = high
        frame["se"] = (high - low) / (2 * crit)
        frame["df"] = dof
        frame["n"] = np.array([len(rows) for rows in members], dtype=np.int64)
        frame["qrule"] = qrule
        frame["ci_method"] = ci_method
        frame["note"] = notes
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    if by_columns:
        table = table.sort_values([*by_columns, "q"], kind="stable").reset_index(drop=True)
    return QuantileResult(table=table, outcome=outcome, by=tuple(by_columns), level=level, qrule=qrule,
                          ci_method=ci_method, design=design.summary().splitlines()[0]
                          + "".join(f"; {step.description}" for step in design.calibration))


def median(design: Design, outcome: str, *, by: str | Sequence[str] | None = None, level: float = 0.95,
           ci_method: str = "mean", qrule: str = "math", df: str | float = "domain") -> QuantileResult:
    """The median by domain: :func:`quantile` with ``q=0.5``.

    R: ``svyquantile(~y, design, 0.5, ci=TRUE, na.rm=TRUE)``.
    """
    return quantile(design, outcome, q=0.5, by=by, level=level, ci_method=ci_method, qrule=qrule, df=df)
