"""Event-study (dynamic) difference-in-differences for more than two waves.

    g(E[y_idt]) = a_d + c_t + sum_{k != ref} tau_k * group_d * 1{t = k} + x' b

One coefficient per wave other than the reference wave (usually the last wave before the
start): the coefficients before the start measure departures from parallel trends (they
should be near 0; a joint Wald test is in ``extra["pretrend"]``), those after it the effect
by time since the start. Inference as in :func:`~survey.effects.did`: design-based, CR1 by
unit, and a restricted wild cluster bootstrap per coefficient.

R equivalent (design-based): ``svyglm(y ~ factor(district) + factor(wave) + pilot:relevel(
factor(wave), ref="2022") ..., design=d)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from survey.effects.cluster_robust import cr1_covariance
from survey.effects.did import (
    BOOTSTRAP_NOTE,
    METHODS,
    TABLE_COLUMNS,
    _check_columns,
    _row,
    _t_interval,
    few_treated_note,
)
from survey.effects.glm import score_parts, svyglm
from survey.effects.results import EffectResult
from survey.effects.wild_bootstrap import WildClusterBootstrap, bootstrap_weights
from survey.errors import ColumnError, ConfigError
from survey.estimation import Design
from survey.estimation.design import require_design


def event_term(period) -> str:
    """Column name of the group x period indicator (``event_2023``)."""
    return "event_" + "".join(ch if ch.isalnum() else "_" for ch in str(period))


def _wald(b: np.ndarray, cov: np.ndarray, df: float) -> dict:
    q = len(b)
    if q == 0:
        return {"statistic": np.nan, "df1": 0, "df2": df, "p_value": np.nan}
    f = float(b @ np.linalg.solve(cov, b)) / q
    p = float(stats.f.sf(f, q, df)) if np.isfinite(df) else float(stats.chi2.sf(f * q, q))
    return {"statistic": f, "df1": q, "df2": df, "p_value": p}


def event_study(
    design: Design,
    outcome: str,
    *,
    group: str,
    unit: str,
    time: str,
    reference,
    covariates: Sequence[str] = (),
    methods: Sequence[str] = METHODS,
    B: int = 9999,
    seed: int | None = 20230901,
    level: float = 0.95,
) -> EffectResult:
    """Effects of ``group`` by period relative to ``reference`` (linear model, survey-weighted).

    Parameters
    ----------
    design : survey.estimation.Design
    outcome : str
    group : str
        0/1 column: pilot unit.
    unit, time : str
        Unit (clusters, fixed effects) and period (fixed effects) columns.
    reference : period value
        The period whose group difference is the baseline (e.g. the last wave before the start).
    covariates, methods, B, seed, level :
        As in :func:`~survey.effects.did`.

    Returns
    -------
    EffectResult
        ``table``: one row per period x method with the columns of
        :func:`~survey.effects.did` plus ``period``; ``extra["pretrend"]``: joint Wald F-test
        of the periods before ``reference`` per method (design, cr1).

    Examples
    --------
    >>> from survey.effects.simulation import simulate_did
    >>> data = simulate_did(seed=2, waves=(2021, 2022, 2023, 2024), first_treated_wave=2023, effect=0.4)
    >>> d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    >>> r = event_study(d, "y", group="pilot", unit="district", time="wave", reference=2022,
    ...                 methods=("design",))
    >>> r.to_frame()["period"].tolist()
    [2021, 2023, 2024]
    """
    design = require_design(design, caller="event_study", second=outcome)
    data = design.data
    _check_columns(data, {"outcome": outcome, "group": group, "unit": unit, "time": time})
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"methods: expected some of {', '.join(METHODS)}, found {unknown}")
    periods = sorted(pd.unique(data[time].dropna()))
    if reference not in periods:
        raise ConfigError(f"reference: expected one of the periods of {time!r} {periods}, found {reference!r}")
    if len(periods) < 3:
        raise ConfigError(f"column {time!r}: an event study needs more than two periods, found {periods}; "
                          "use did() for two waves")
    flag = pd.to_numeric(data[group], errors="coerce")
    if not flag.dropna().isin([0, 1]).all() or flag.nunique() < 2:
        raise ColumnError(
            f"group column {group!r}: expected 0/1 with both values, found {sorted(flag.dropna().unique())[:5]}"
        )
    others = [p for p in periods if p != reference]
    terms = [event_term(p) for p in others]
    extra_columns = {t: (flag * (data[time] == p)).to_numpy(dtype=float) for t, p in zip(terms, others, strict=True)}
    design = design.with_data(data.assign(**extra_columns), partition=False)
    formula = f"{outcome} ~ " + " + ".join([*terms, f"C({unit})", f"C({time})", *covariates])
    fit = svyglm(design, formula, family="gaussian")
    frame, w = fit.extra["frame"], fit.extra["weights"]
    params = fit.params.to_numpy()
    scores, information = score_parts(frame, params, w, "gaussian")
    influence = scores @ np.linalg.inv(information)
    clusters = design.data[unit].to_numpy()[frame.rows]
    cr1, G = cr1_covariance(influence, clusters, n_params=len(params))
    treated_units = np.unique(clusters[flag.to_numpy()[frame.rows] == 1])
    G1 = len(treated_units)
    note = few_treated_note(G1, G)
    columns = [frame.column(t) for t in terms]
    name = "event_lpm" if np.isin(frame.y, (0.0, 1.0)).all() else "event_linear"
    rows = []
    for method in methods:
        if method in ("design", "cr1"):
            cov = fit.cov.to_numpy() if method == "design" else cr1
            df = fit.df if method == "design" else G - 1
            for t, period, j in zip(terms, others, columns, strict=True):
                se = float(np.sqrt(cov[j, j]))
                low, high, p = _t_interval(float(params[j]), se, df, level)
                rows.append({**_row(outcome, name, method, t, float(params[j]), se, low, high, p, df, frame.n, G, G1,
                                    note=note if method == "cr1" else ""), "period": period})
        else:
            kind = method.removeprefix("wcr_")
            for t, period, j in zip(terms, others, columns, strict=True):
                boot = WildClusterBootstrap(frame.X, frame.y, clusters, j, weights=w)
                v, _ = bootstrap_weights(boot.G, kind, B, seed)
                result = boot.test(v=v, level=level, term=t)
                rows.append({**_row(outcome, name, method, t, result.estimate, result.se, result.ci_low,
                                    result.ci_high, result.p_value, np.nan, frame.n, G, G1, draws=result.draws,
                                    note="; ".join(x for x in (BOOTSTRAP_NOTE, note,
                                                               result.note) if x)), "period": period})
    table = pd.DataFrame(rows, columns=[*TABLE_COLUMNS[:4], "period", *TABLE_COLUMNS[4:]])
    pre = [j for p, j in zip(others, columns, strict=True) if p < reference]
    pretrend = {}
    for method, cov, df in (("design", fit.cov.to_numpy(), fit.df), ("cr1", cr1, G - 1)):
        if method in methods:
            pretrend[method] = _wald(params[pre], cov[np.ix_(pre, pre)], df)
    description = (f"Event study of {outcome}: {formula}; reference period {reference}; {frame.n} rows, "
                   f"{G} clusters of {unit} ({G1} in the group); {int(level * 100)}% CI")
    return EffectResult(table=table, description=description, models={"design": fit},
                        extra={"pretrend": pretrend, "reference": reference, "periods": periods,
                               "level": level})
