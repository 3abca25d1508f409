"""Totals, means, proportions and ratios by domain on a replicate-weight design.

Every estimate is computed with the full-sample weight and with each replicate weight in one
matrix product: an indicator matrix (domains x rows, only rows that count) times the weights
(rows x (1 + R)) times the outcome gives the weighted sums of every domain under every
replicate; the estimates follow column by column and :func:`~survey.estimation.replicates.
replicate_variances` turns them into variances (R ``svrVar``).

Conventions, as R's ``svyby`` on a ``svrepdesign``:

* a row counts when its outcome (and denominator) is present and its weight is positive; a
  domain is a combination of the ``by`` values with a row of positive weight, in sorted order;
* ``df="domain"`` is ``degf()`` of the domain's rows (all rows with the domain's ``by`` values,
  also those with a missing outcome: R subsets by domain first), ``df="design"`` of the design;
* ``ci_method="logit"`` takes the variance of ``logit(p)`` from the replicates' ``logit(p_r)``,
  which is what R's ``svyciprop(method="logit")`` does (an intercept-only ``svyglm`` refitted on
  every replicate); ``beta``, ``asin``, ``mean`` use the replicate variance of ``p``;
  ``likelihood`` the profile of the intercept-only model, with the replicate variance of the
  logit (see :mod:`survey.estimation.profile_interval`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import special

from survey.errors import ColumnError, ConfigError
from survey.estimation import intervals
from survey.estimation.grouping import group_rows
from survey.estimation.replicates import ReplicateDesign, replicate_variances
from survey.estimation.result import EstimateResult
from survey.estimation.totals import outcome_rows

STATS = ("proportion", "mean", "total", "ratio")


def _as_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def row_domains(data: pd.DataFrame, by: list[str], positive: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Domain index of every row (-1: a missing ``by`` value) and the domains' ``by`` values, sorted."""
    n = len(data)
    if not by:
        return np.zeros(n, dtype=np.int64), pd.DataFrame(index=range(1))
    for column in by:
        if column not in data.columns:
            raise ColumnError(f"by column {column!r}: not found in the data")
    groups = group_rows([data[c] for c in by])
    firsts = data[by].iloc[groups.first].reset_index(drop=True)
    has_positive = np.bincount(groups.index, weights=positive.astype(float), minlength=groups.count) > 0
    valid = has_positive & ~firsts.isna().any(axis=1).to_numpy()
    values = firsts[valid].reset_index(drop=True)
    order = values.sort_values(by, kind="stable").index.to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    compact = np.cumsum(valid) - 1
    domain_of_group = np.where(valid, rank[np.where(valid, compact, 0)], -1)
    return domain_of_group[groups.index], values.iloc[order].reset_index(drop=True)


def domain_labels(values: pd.DataFrame, by: list[str]) -> list[str]:
    """``stype=E, awards=Yes`` for each domain (``(all)`` without ``by``)."""
    if not by:
        return ["(all)"]
    parts = [values[c].astype(str).radd(f"{c}=") for c in by]
    return list(pd.concat(parts, axis=1).agg(", ".join, axis=1))


def _resolve_stat(stat, y, used, denominator, outcome) -> str:
    if stat is None:
        if denominator is not None:
            return "ratio"
        binary = np.isin(y[used], (0.0, 1.0)).all()
        return "proportion" if binary else "mean"
    if stat not in STATS:
        raise ConfigError(f"stat: expected one of {', '.join(STATS)}, found {stat!r}")
    if (stat == "ratio") != (denominator is not None):
        raise ConfigError("stat='ratio' needs a denominator, and a denominator needs stat='ratio'")
    if stat == "proportion" and not np.isin(y[used], (0.0, 1.0)).all():
        bad = int((~np.isin(y[used], (0.0, 1.0))).sum())
        raise ColumnError(f"outcome column {outcome!r}: stat='proportion' needs values 0/1 (or True/False), found "
                          f"{bad} rows with other values; use stat='mean' or recode")
    return stat


class ReplicateSums:
    """Weighted sums of every domain under the full-sample weight and every replicate."""

    def __init__(self, design: ReplicateDesign, outcome: str | None, by, denominator: str | None = None):
        self.design = design
        self.by = _as_list(by)
        y, x, w, used = outcome_rows(design, outcome, denominator)
        self.y, self.x, self.w, self.used = y, x, w, used
        self.domain, self.values = row_domains(design.data, self.by, w > 0)
        self.count = len(self.values)
        take = used & (self.domain >= 0)
        rows = np.flatnonzero(take)
        self.indicator = sp.csr_matrix((np.ones(len(rows)), (self.domain[rows], rows)),
                                       shape=(self.count, len(y)))
        weights = design.all_weights()
        self.n = np.bincount(self.domain[rows], minlength=self.count).astype(float)
        self.sw = self.indicator @ weights
        self.swy = self.indicator @ (weights * np.where(take, y, 0.0)[:, None])
        self.swx = None if x is None else self.indicator @ (weights * np.where(take, x, 0.0)[:, None])
        self.take = take

    def estimates(self, stat: str) -> np.ndarray:
        """Domains x (1 + R): the statistic under the full-sample weight, then each replicate."""
        with np.errstate(invalid="ignore", divide="ignore"):
            if stat == "total":
                est = self.swy.copy()
            elif stat in ("mean", "proportion"):
                est = self.swy / self.sw
            else:
                est = self.swy / cast(np.ndarray, self.swx)
        est[self.n == 0] = np.nan
        return est

    def full_sample(self, values: np.ndarray) -> np.ndarray:
        """Per-domain sums of ``values`` (one per row) with the full-sample weight over counted rows."""
        return self.indicator @ np.where(self.take, values, 0.0)

    def domain_degf(self) -> np.ndarray:
        """R ``degf(design[domain rows, ])`` of every domain."""
        if not self.by:
            return np.array([float(self.design.degf)])
        return np.array([float(self.design.subset_degf(self.domain == d)) for d in range(self.count)])


def _join_notes(count: int, notes: list) -> np.ndarray:
    """One text per domain: the messages whose mask holds, joined with '; '."""
    parts = [np.where(np.asarray(mask, dtype=bool), message, "") for mask, message in notes]
    return np.array(["; ".join(p for p in row if p) for row in zip(*parts, strict=True)] if parts else [""] * count,
                    dtype=object)


def _deff(sums: ReplicateSums, stat: str, est: np.ndarray, var: np.ndarray, deff: str) -> np.ndarray:
    """Design effect against SRS (R ``deff=TRUE``; ``deff="replace"`` without the FPC)."""
    n, w = sums.n, sums.sw[:, 0]
    yy = sums.full_sample(sums.w * sums.y * sums.y)
    y = sums.swy[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        correction = n / (n - 1)
        if stat == "ratio":
            x = cast(np.ndarray, sums.swx)[:, 0]
            xx = sums.full_sample(sums.w * sums.x * sums.x)
            xy = sums.full_sample(sums.w * sums.x * sums.y)
            s2 = (yy - 2 * est * xy + est**2 * xx) / x**2 / w * correction
            scale = w**2
        else:
            s2 = (yy - y**2 / w) / w * correction
            scale = w**2 if stat == "total" else np.ones_like(w)
        v_srs = s2 * scale * ((w - n) / (w * n) if deff == "wor" else 1 / n)
        return np.where((deff == "wor") & (w < n), np.nan, var / v_srs)


def replicate_finalize(design: ReplicateDesign, outcome: str, stat: str | None = None, *, by=None,
                       denominator: str | None = None, level: float = 0.95, ci_method: str | None = None,
                       df: str | int = "domain", deff: str = "wor") -> EstimateResult:
    """Domain table of a statistic on a replicate design (columns as :func:`~survey.estimation.finalize`).

    R: ``svyby(~y, ~by, design, svymean)`` (``svytotal``, ``svyratio``, ``svyciprop``) on a
    ``svrepdesign``; without ``by``, ``svymean(~y, design)``.
    """
    from survey.estimation.estimators import DEFF_RULES, DF_RULES

    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    if deff not in DEFF_RULES:
        raise ConfigError(f"deff: expected one of {', '.join(DEFF_RULES)}, found {deff!r}")
    if isinstance(df, str) and df not in DF_RULES:
        raise ConfigError(f"df: expected 'domain', 'design' or a number, found {df!r}")
    sums = ReplicateSums(design, outcome, by, denominator)
    stat = _resolve_stat(stat, sums.y, sums.used, denominator, outcome)
    ci = ci_method if ci_method is not None else ("logit" if stat == "proportion" else "mean")
    if ci not in intervals.CI_METHODS:
        raise ConfigError(f"ci_method: expected one of {', '.join(intervals.CI_METHODS)}, found {ci!r}")
    if ci in intervals.PROPORTION_METHODS and stat != "proportion":
        raise ConfigError(f"ci_method={ci!r} is for proportions; for stat={stat!r} use ci_method='mean' or 'normal'")
    values = sums.estimates(stat)
    est, reps = values[:, 0], values[:, 1:].T
    var = replicate_variances(est, reps, design)
    se = np.sqrt(var)
    n = sums.n

    if isinstance(df, str) and df == "domain":
        dof, df_rule = sums.domain_degf(), "domain degf (rank of replicate weights - 1)"
    elif isinstance(df, str):
        dof, df_rule = np.full(sums.count, float(design.degf)), "design degf (rank of replicate weights - 1)"
    else:
        dof, df_rule = np.full(sums.count, float(df)), f"fixed {df}"

    with np.errstate(invalid="ignore", divide="ignore"):
        var_logit = replicate_variances(special.logit(est), special.logit(reps), design) \
            if ci in ("logit", "likelihood") else None
    if ci == "logit":
        q = intervals.critical_value(level, dof)
        inside = (est > 0) & (est < 1)
        with np.errstate(invalid="ignore"):
            centre = special.logit(np.where(inside, est, 0.5))
            half = q * np.sqrt(cast(np.ndarray, var_logit))
            low = np.where(inside, special.expit(centre - half), np.nan)
            high = np.where(inside, special.expit(centre + half), np.nan)
    elif ci == "likelihood":
        from survey.estimation.profile_interval import likelihood_interval

        low, high = likelihood_interval(est, var_logit, n, dof, level)
    else:
        low, high = intervals.from_se(ci, est, se, n, dof, level)

    empty = n == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where(est != 0, se / est, np.nan)
    notes = _join_notes(sums.count, [
        (empty, "no rows with a usable outcome"),
        (~empty & ~np.isfinite(est), "denominator total is 0"),
        (~empty & np.isfinite(est) & np.isnan(var), "no replicate gave a value"),
        (~empty & (dof <= 0) & (ci != "normal"), "df <= 0: no t interval"),
        (~empty & (ci in ("logit", "beta", "likelihood")) & ((est == 0) | (est == 1)),
         f"p = 0 or 1: no {ci} interval (use ci_method='beta_nchs' or 'wilson')"),
        (~empty & (est == 0), "estimate 0: no cv"),
    ])
    table = sums.values.copy()
    table["estimate"] = est
    table["se"] = se
    table["ci_low"] = low
    table["ci_high"] = high
    table["df"] = dof
    table["deff"] = _deff(sums, stat, est, var, deff)
    table["n"] = n.astype(np.int64)
    table["n_weighted"] = sums.sw[:, 0]
    table["cv"] = cv
    table["ci_method"] = ci
    table["note"] = notes
    return EstimateResult(
        table=table, stat=stat, outcome=outcome, denominator=denominator, by=tuple(sums.by), level=level,
        ci_method=ci, df_rule=df_rule, deff_rule=deff,
        design=design.summary().splitlines()[0] + "".join(f"; {c}" for c in design.calibration),
    )


def replicate_domain_values(design: ReplicateDesign, outcome: str, *, by: str | Sequence[str],
                            stat: str | None = None, denominator: str | None = None):
    """Estimates of every domain and their replicates: (sums, stat, estimates, replicates R x domains)."""
    sums = ReplicateSums(design, outcome, by, denominator)
    stat = _resolve_stat(stat, sums.y, sums.used, denominator, outcome)
    values = sums.estimates(stat)
    return sums, stat, values[:, 0], values[:, 1:].T
