"""Totals, means, proportions and ratios by domain, with linearised SEs, CIs, df and deff.

One computation serves every size of data: :func:`~survey.estimation.psu_totals` reduces the
rows to weighted sums per domain x sampling unit, and :func:`finalize` turns those sums into
the domain table. The estimator functions (:func:`mean`, :func:`proportion`, :func:`total`,
:func:`ratio`) and the one-call :func:`estimate` are both steps in a row.

Domains are estimated as in R's ``svyby``: rows outside the domain (or with a missing outcome,
R ``na.rm=TRUE``) keep their place in the design with zero contribution; PSUs the domain does
not reach still count in their stratum's ``n_h``.

On a replicate-weight design (:class:`~survey.estimation.ReplicateDesign`) every estimator
hands over to :mod:`survey.estimation.replicate_estimators` (same table, replicate variance).

On a calibrated design (:func:`~survey.estimation.poststratify`, :func:`~survey.estimation.rake`,
:func:`~survey.estimation.calibrate`, :func:`~survey.estimation.standardize`) the influence values
are replaced by their residuals from the calibration before the variance formula
(:mod:`survey.estimation.calibration`), as R's ``svyrecvar`` does; this needs the design's rows,
so it is not available on partitions.

Influence values (per row ``i`` in domain ``d``, weight ``w_i``):

* total ``T = sum w y``:           ``z_i = w_i y_i``
* mean/proportion ``T_y / T_1``:    ``z_i = w_i (y_i - ybar) / T_1``
* ratio ``R = T_y / T_x``:          ``z_i = w_i (y_i - R x_i) / T_x``

summed per sampling unit and passed to :func:`~survey.estimation.variance.domain_variances`.

Design effect (R ``deff=TRUE``, simple random sampling *without* replacement of ``n`` from
``N = sum w``): ``deff = var / (s^2 (1 - n/N) / n)`` for means (times ``N^2`` for totals,
where ``s^2`` is the weighted variance of ``y`` with divisor ``n - 1``; for ratios the
variance of ``(y - R x) / T_x``). ``deff="replace"`` drops ``(1 - n/N)`` (R ``deff="replace"``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError
from survey.estimation import intervals
from survey.estimation.design import Design, require_design
from survey.estimation.domains import DomainCells, domain_cells
from survey.estimation.grouping import group_rows
from survey.estimation.result import EstimateResult
from survey.estimation.totals import (
    ATTRS_KEY,
    N_NONBINARY,
    N_USED,
    SUM_W,
    SUM_WX,
    SUM_WXX,
    SUM_WXY,
    SUM_WY,
    SUM_WYY,
    psu_totals,
)
from survey.estimation.variance import domain_variances

STATS = ("proportion", "mean", "total", "ratio")
DF_RULES = ("domain", "design")
DEFF_RULES = ("wor", "replace")


def _resolve_stat(stat: str | None, totals: pd.DataFrame, outcome: str) -> str:
    has_ratio = SUM_WX in totals.columns
    if stat is None:
        if has_ratio:
            return "ratio"
        return "proportion" if totals[N_NONBINARY].sum() == 0 else "mean"
    if stat not in STATS:
        raise ConfigError(f"stat: expected one of {', '.join(STATS)}, found {stat!r}")
    if stat == "ratio" and not has_ratio:
        raise ConfigError("stat='ratio': the totals were summed without a denominator column")
    if stat != "ratio" and has_ratio:
        raise ConfigError(f"stat={stat!r}: the totals were summed with a denominator; use stat='ratio'")
    if stat == "proportion" and totals[N_NONBINARY].sum() > 0:
        raise ColumnError(
            f"outcome column {outcome!r}: stat='proportion' needs values 0/1 (or True/False), found "
            f"{int(totals[N_NONBINARY].sum())} rows with other values; use stat='mean' or recode"
        )
    return stat


def _resolve_ci(ci: str | None, stat: str) -> str:
    if ci is None:
        return "logit" if stat == "proportion" else "mean"
    if ci not in intervals.CI_METHODS:
        raise ConfigError(f"ci_method: expected one of {', '.join(intervals.CI_METHODS)}, found {ci!r}")
    if ci in intervals.PROPORTION_METHODS and stat != "proportion":
        raise ConfigError(f"ci_method={ci!r} is for proportions; for stat={stat!r} use ci_method='mean' or 'normal'")
    return ci


def _join_notes(n_rows: int, notes: list[tuple[np.ndarray, str]]) -> np.ndarray:
    out = pd.Series([""] * n_rows, dtype=object)
    for mask, message in notes:
        mask = pd.Series(np.asarray(mask, dtype=bool))
        out = out.where(~mask, out + np.where(out == "", "", "; ") + message)
    return out.to_numpy()


def domain_scores(cells: DomainCells, totals: pd.DataFrame, stat: str):
    """Per-domain sums, estimates and per-cell influence totals of ``stat``.

    Returns
    -------
    (sums, estimate, z)
        ``sums``: dict of per-domain ``n``, ``w``, ``y``, ``yy`` (and ``x``, ``xx``, ``xy`` for
        ratios) plus the per-cell ``used`` flag; ``estimate`` per domain; ``z`` per cell.
    """
    d = cells.domain
    n_c, w_c, wy_c = cells.column(totals, N_USED), cells.column(totals, SUM_W), cells.column(totals, SUM_WY)
    sums = {
        "n": cells.per_domain(n_c),
        "w": cells.per_domain(w_c),
        "y": cells.per_domain(wy_c),
        "yy": cells.per_domain(cells.column(totals, SUM_WYY)),
        "used": n_c > 0,
    }
    w, y = sums["w"], sums["y"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if stat == "total":
            est = y
            z = wy_c
        elif stat in ("mean", "proportion"):
            est = y / w
            z = (wy_c - est[d] * w_c) / w[d]
        else:
            wx_c = cells.column(totals, SUM_WX)
            sums["x"] = cells.per_domain(wx_c)
            sums["xx"] = cells.per_domain(cells.column(totals, SUM_WXX))
            sums["xy"] = cells.per_domain(cells.column(totals, SUM_WXY))
            est = y / sums["x"]
            z = (wy_c - est[d] * wx_c) / sums["x"][d]
    est = np.where(sums["n"] == 0, np.nan, est)
    return sums, est, np.where(np.isfinite(z), z, 0.0)


def finalize(
    totals: pd.DataFrame,
    design: Design,
    stat: str | None = None,
    *,
    level: float = 0.95,
    ci_method: str | None = None,
    df: str | int = "domain",
    deff: str = "wor",
) -> EstimateResult:
    """Turn a totals table into the domain table of estimates.

    The last step of every estimator; takes the totals first (not a design) because it is also
    the final step over partitions (:func:`~survey.estimation.combine_totals`).

    Parameters
    ----------
    totals : DataFrame
        From :func:`~survey.estimation.psu_totals` (or :func:`~survey.estimation.combine_totals`).
    design : Design
        The design the totals were summed under (only its settings are used, so the design of
        any one partition will do).
    stat : {"proportion", "mean", "total", "ratio"}, optional
        Default: ratio when a denominator was summed, proportion for a 0/1 outcome, else mean.
    level : float, default 0.95
    ci_method : {"logit", "beta", "beta_nchs", "wilson", "likelihood", "asin", "mean", "normal"}, optional
        Default: ``logit`` for proportions, ``mean`` (estimate +/- t_df se) otherwise. See
        :mod:`survey.estimation.intervals`.
    df : {"domain", "design"} or int, default "domain"
        ``domain``: PSUs minus strata among the rows used for the domain (R ``degf()`` of the
        domain subset, what ``svyby(..., svyciprop)`` uses); ``design``: of the whole design
        (R ``degf(design)``); or a fixed number.
    deff : {"wor", "replace"}, default "wor"
        Reference design for the design effect: SRS without replacement (R ``deff=TRUE``) or
        with replacement (R ``deff="replace"``).

    Returns
    -------
    EstimateResult
    """
    meta = totals.attrs.get(ATTRS_KEY) or {}
    by = list(meta.get("by") or [c for c in totals.columns if not c.startswith("_")])
    outcome = meta.get("outcome", "outcome")
    denominator = meta.get("denominator")
    stat = _resolve_stat(stat, totals, outcome)
    ci = _resolve_ci(ci_method, stat)
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    if deff not in DEFF_RULES:
        raise ConfigError(f"deff: expected one of {', '.join(DEFF_RULES)}, found {deff!r}")
    if isinstance(df, str) and df not in DF_RULES:
        raise ConfigError(f"df: expected 'domain', 'design' or a number, found {df!r}")

    cells = domain_cells(totals, design)
    structure, d, u, n_domains = cells.structure, cells.domain, cells.unit, cells.count
    sums, est, z = domain_scores(cells, totals, stat)
    n, w, y, yy = sums["n"], sums["w"], sums["y"], sums["yy"]
    used = sums["used"]
    if design.calibration:
        from survey.estimation.calibration import calibrated_domain_scores  # scipy.sparse: calibrated designs only

        unit_scores = calibrated_domain_scores(design, totals, cells, stat, est, sums)
        n_units = unit_scores.shape[0]
        var = domain_variances(
            structure,
            np.tile(np.arange(n_domains), n_units),
            np.repeat(np.arange(n_units), n_domains),
            unit_scores.ravel(),
            np.ones(unit_scores.size, dtype=bool),
            n_domains,
        )
    else:
        var = domain_variances(structure, d, u, z, used, n_domains)
    empty = n == 0
    est = np.where(empty, np.nan, est)
    var = np.where(empty | ~np.isfinite(est), np.nan, var)
    se = np.sqrt(var)

    # ---- degrees of freedom
    if isinstance(df, str) and df == "domain":
        psu = structure.psu_of_finest[u][used]
        stratum = structure.stratum_of_finest[u][used]
        dd = d[used]
        n_psu = np.bincount(dd[group_rows([dd, psu]).first], minlength=n_domains) if len(dd) else np.zeros(n_domains)
        n_str = (
            np.bincount(dd[group_rows([dd, stratum]).first], minlength=n_domains) if len(dd) else np.zeros(n_domains)
        )
        dof = (n_psu - n_str).astype(float)
        df_rule = "domain PSUs - strata"
    elif isinstance(df, str):
        dof = np.full(n_domains, float(structure.degf))
        df_rule = "design PSUs - strata"
    else:
        dof = np.full(n_domains, float(df))
        df_rule = f"fixed {df}"

    # ---- design effect
    with np.errstate(invalid="ignore", divide="ignore"):
        correction = n / (n - 1)
        if stat == "ratio":
            x, xx, xy = sums["x"], sums["xx"], sums["xy"]
            s2 = (yy - 2 * est * xy + est**2 * xx) / x**2 / w * correction
            scale = w**2
        else:
            s2 = (yy - y**2 / w) / w * correction
            scale = w**2 if stat == "total" else np.ones(n_domains)
        if deff == "wor":
            v_srs = s2 * scale * (w - n) / (w * n)
        else:
            v_srs = s2 * scale / n
        design_effect = np.where((deff == "wor") & (w < n), np.nan, var / v_srs)
        cv = np.where(est != 0, se / est, np.nan)

    # ---- intervals
    if ci == "logit":
        low, high = intervals.logit(est, se, dof, level)
    elif ci == "likelihood":
        low, high = _likelihood(design, est, var, n, dof, level)
    else:
        low, high = intervals.from_se(ci, est, se, n, dof, level)

    notes = _join_notes(
        n_domains,
        [
            (empty, "no rows with a usable outcome"),
            (~empty & ~np.isfinite(est), "denominator total is 0"),
            (~empty & np.isfinite(est) & np.isnan(var), "no stratum left to average over (lonely_psu='average')"),
            (~empty & (dof <= 0) & (ci != "normal"), "df <= 0: no t interval"),
            (
                ~empty & (ci in ("logit", "beta", "likelihood")) & ((est == 0) | (est == 1)),
                f"p = {'0 or 1'}: no {ci} interval (use ci_method='beta_nchs' or 'wilson')",
            ),
            (~empty & (deff == "wor") & (w < n), "weights sum below n: no deff without replacement"),
            (~empty & (est == 0), "estimate 0: no cv"),
        ],
    )

    table = cells.values.copy()
    table["estimate"] = est
    table["se"] = se
    table["ci_low"] = low
    table["ci_high"] = high
    table["df"] = dof
    table["deff"] = design_effect
    table["n"] = n.astype(np.int64)
    table["n_weighted"] = w
    table["cv"] = cv
    table["ci_method"] = ci
    table["note"] = notes
    return EstimateResult(
        table=table,
        stat=stat,
        outcome=outcome,
        denominator=denominator,
        by=tuple(by),
        level=level,
        ci_method=ci,
        df_rule=df_rule,
        deff_rule=deff,
        design=(design.summary().splitlines()[0] if not design.partition else "partitioned design")
        + "".join(f"; {step.description}" for step in design.calibration),
    )


def _likelihood(design: Design, est, var, n, dof, level):
    """R's svyciprop(method="likelihood") bounds on a linearisation design."""
    from survey.estimation.profile_interval import likelihood_interval

    with np.errstate(invalid="ignore", divide="ignore"):
        var_logit = var / (est * (1 - est)) ** 2
    return likelihood_interval(est, var_logit, n, dof, level)


def _replicate(design) -> bool:
    return getattr(design, "is_replicate", False)


def _run(design, outcome, stat, by, denominator, ci_method, level, df, deff) -> EstimateResult:
    if _replicate(design):
        from survey.estimation.replicate_estimators import replicate_finalize

        return replicate_finalize(design, outcome, stat, by=by, denominator=denominator, level=level,
                                  ci_method=ci_method, df=df, deff=deff)
    totals = psu_totals(design, outcome, by=by, denominator=denominator)
    return finalize(totals, design, stat, ci_method=ci_method, level=level, df=df, deff=deff)


def mean(design: Design, outcome: str, *, by: str | Sequence[str] | None = None, level: float = 0.95,
         ci_method: str = "mean", df: str | int = "domain", deff: str = "wor") -> EstimateResult:
    """Weighted mean of ``outcome`` by domain, with linearised SE, CI, df and design effect.

    Parameters
    ----------
    design : Design
    outcome : str
        Numeric column; rows where it is missing stay in the design with no contribution.
    by : str or list of str, optional
        Domain columns.
    level : float, default 0.95
    ci_method : {"mean", "normal"}, default "mean"
        ``mean``: estimate +/- t_df se; ``normal``: with the normal quantile.
    df, deff :
        See :func:`finalize`.

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4], "p": [1, 1, 2, 2], "y": [3., 5, 4, 8]})
    >>> round(float(mean(Design(df, weight="w", psu="p"), "y").table.loc[0, "estimate"]), 4)
    5.7

    R: ``svyby(~y, ~by, design, svymean, na.rm=TRUE, deff=TRUE)`` (``confint(..., df=)``);
    without ``by``, ``svymean(~y, design, na.rm=TRUE)``.
    """
    design = require_design(design, caller="mean", second=outcome, replicate=True)
    return _run(design, outcome, "mean", by, None, ci_method,
                level, df, deff)


def proportion(design: Design, outcome: str, *, by: str | Sequence[str] | None = None, level: float = 0.95,
               ci_method: str = "logit", df: str | int = "domain", deff: str = "wor") -> EstimateResult:
    """Proportion of a 0/1 (or boolean) ``outcome`` by domain, with SE, CI, df and design effect.

    Parameters
    ----------
    design : Design
    outcome : str
        0/1 or boolean column.
    by : str or list of str, optional
        Domain columns.
    level : float, default 0.95
    ci_method : {"logit", "beta", "beta_nchs", "wilson", "likelihood", "asin", "mean", "normal"}, default "logit"
        See :mod:`survey.estimation.intervals`.
    df, deff :
        See :func:`finalize`.

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10., 12, 8, 9, 11, 7], "h": [1, 1, 1, 2, 2, 2],
    ...                    "p": [1, 2, 3, 1, 2, 3], "y": [0, 1, 1, 1, 0, 0]})
    >>> d = Design(df, weight="w", strata="h", psu="p", nest=True)
    >>> round(float(proportion(d, "y").to_frame().loc[0, "estimate"]), 4)
    0.5088

    R: ``svyby(~y, ~by, design, svyciprop, method="logit", vartype=c("se","ci"))``; without
    ``by``, ``svyciprop(~y, design, method="logit")``. The SE is that of ``svymean``.
    """
    design = require_design(design, caller="proportion", second=outcome, replicate=True)
    return _run(design, outcome, "proportion", by, None,
                ci_method, level, df, deff)


def total(design: Design, outcome: str, *, by: str | Sequence[str] | None = None, level: float = 0.95,
          ci_method: str = "mean", df: str | int = "domain", deff: str = "wor") -> EstimateResult:
    """Weighted total of ``outcome`` by domain, with SE, CI, df and design effect.

    Parameters as :func:`mean`.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4], "p": [1, 1, 2, 2], "y": [1, 0, 1, 1]})
    >>> float(total(Design(df, weight="w", psu="p"), "y").to_frame().loc[0, "estimate"])
    8.0

    R: ``svyby(~y, ~by, design, svytotal, na.rm=TRUE)``; without ``by``, ``svytotal(~y, design)``.
    """
    design = require_design(design, caller="total", second=outcome, replicate=True)
    return _run(design, outcome, "total", by, None, ci_method,
                level, df, deff)


def ratio(design: Design, outcome: str, denominator: str, *, by: str | Sequence[str] | None = None,
          level: float = 0.95, ci_method: str = "mean", df: str | int = "domain", deff: str = "wor",
          ) -> EstimateResult:
    """Ratio of weighted totals ``sum w y / sum w x`` by domain (combined ratio estimator).

    ``outcome`` is the numerator ``y``, ``denominator`` the ``x``; rows missing either are left
    out (R ``na.rm=TRUE``). Other parameters as :func:`mean`.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 2, 3, 4], "p": [1, 1, 2, 2], "y": [1., 2, 3, 4], "x": [2., 2, 4, 4]})
    >>> round(float(ratio(Design(df, weight="w", psu="p"), "y", "x").to_frame().loc[0, "estimate"]), 4)
    0.8824

    R: ``svyby(~y, by=~by, denominator=~x, design, svyratio)``; without ``by``,
    ``svyratio(~y, ~x, design)``.
    """
    design = require_design(design, caller="ratio", second=outcome, replicate=True)
    return _run(design, outcome, "ratio", by, denominator,
                ci_method, level, df, deff)


def estimate(
    design: Design,
    outcome: str,
    *,
    stat: str | None = None,
    by: str | Sequence[str] | None = None,
    level: float = 0.95,
    ci_method: str | None = None,
    denominator: str | None = None,
    df: str | int = "domain",
    deff: str = "wor",
) -> EstimateResult:
    """Estimate the statistic that fits ``outcome`` by domain: a proportion, mean, total or ratio.

    Parameters
    ----------
    design : Design
    outcome : str
    stat : {"proportion", "mean", "total", "ratio"}, optional
        Default: ``ratio`` with a ``denominator``, ``proportion`` when the outcome only holds
        0/1 (or booleans), ``mean`` otherwise.
    by : str or list of str, optional
        Domain columns.
    level : float, default 0.95
    ci_method : str, optional
        Interval method (see :mod:`survey.estimation.intervals`); default ``logit`` for a
        proportion, ``mean`` (estimate +/- t_df se) otherwise. The proportion methods
        (``logit``, ``beta``, ``beta_nchs``, ``wilson``) do not apply to means, totals and
        ratios: for those the interval is ``mean`` and the table's ``ci_method`` column says so.
    denominator : str, optional
        Denominator for a ratio.
    df, deff :
        See :func:`finalize`.

    Returns
    -------
    EstimateResult
        ``.to_frame()``: by columns, estimate, se, ci_low, ci_high, df, deff, n, n_weighted,
        cv, ci_method, note.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10., 12, 8, 9, 11, 7], "h": [1, 1, 1, 2, 2, 2],
    ...                    "p": [1, 2, 3, 1, 2, 3], "y": [0, 1, 1, 1, 0, 0]})
    >>> r = estimate(Design(df, weight="w", strata="h", psu="p", nest=True), "y")
    >>> r.to_frame()[["estimate", "df", "ci_method"]].round(4).values.tolist()
    [[0.5088, 4.0, 'logit']]

    R: ``svyciprop(~y, svydesign(id=~p, strata=~h, weights=~w, nest=TRUE, data=df))``.
    """
    if _replicate(design):
        from survey.estimation.replicate_estimators import ReplicateSums, replicate_finalize
        from survey.estimation.replicate_estimators import _resolve_stat as _replicate_stat

        sums = ReplicateSums(design, outcome, by, denominator)
        chosen = _replicate_stat(stat, sums.y, sums.used, denominator, outcome)
        if ci_method is None or (ci_method in intervals.PROPORTION_METHODS and chosen != "proportion"):
            ci_method = "logit" if chosen == "proportion" else "mean"
        return replicate_finalize(design, outcome, chosen, by=by, denominator=denominator, level=level,
                                  ci_method=ci_method, df=df, deff=deff)
    design = require_design(design, caller="estimate", second=outcome)
    totals = psu_totals(design, outcome, by=by, denominator=denominator)
    return estimate_from_totals(totals, design, outcome, stat=stat, level=level, ci_method=ci_method, df=df,
                                deff=deff)


def estimate_from_totals(totals: pd.DataFrame, design: Design, outcome: str, *, stat: str | None = None,
                         level: float = 0.95, ci_method: str | None = None, df: str | int = "domain",
                         deff: str = "wor") -> EstimateResult:
    """:func:`estimate`'s last step on summed totals (of the whole data, or combined partitions).

    The statistic and the interval are chosen as :func:`estimate` documents; ``design`` gives
    the settings only, so a partition's design will do.
    """
    chosen = _resolve_stat(stat, totals, outcome)
    if ci_method is None or (ci_method in intervals.PROPORTION_METHODS and chosen != "proportion"):
        ci_method = "logit" if chosen == "proportion" else "mean"
    return finalize(totals, design, chosen, ci_method=ci_method, level=level, df=df, deff=deff)
