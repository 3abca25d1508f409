"""Interrupted time series: segmented regression with Newey–West (HAC) standard errors.

For a monthly series ``y_t`` (t = 0, 1, ... months) and a start month ``t0``:

    g(E[y_t]) = b0 + b1 t + b2 post_t + b3 (t - t0)_+ + seasonal terms

``b1`` is the trend before the start, ``b2`` the change in level at the start and ``b3`` the
change in slope after it (Wagner et al. 2002). ``g`` is the log (Poisson GLM, for counts such
as hotline calls: ``exp(b2)`` is the rate ratio at the start) or the identity (OLS; optionally
on ``log(y)``). Seasonality: one pair of annual harmonics ``sin/cos(2 pi month / 12)``.
Serial correlation: Newey–West HAC covariance (statsmodels ``cov_type="HAC"``, Bartlett
kernel) with ``maxlags`` lags, by default ``floor(4 (T/100)^(2/9))``; normal reference.

R equivalent: ``m <- glm(y ~ t + post + since + sin12 + cos12, family=poisson);
lmtest::coeftest(m, vcov=sandwich::NeweyWest(m, lag=L, prewhite=FALSE, adjust=FALSE))``.

References
----------
Wagner, A. K., Soumerai, S. B., Zhang, F., & Ross-Degnan, D. (2002). Segmented regression
analysis of interrupted time series studies in medication use research. *Journal of Clinical
Pharmacy and Therapeutics*, 27, 299-309.
Newey, W. K., & West, K. D. (1994). Automatic lag selection in covariance matrix estimation.
*Review of Economic Studies*, 61, 631-653.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError, example_rows

ITS_MODELS = ("poisson", "linear", "loglinear")
TERMS = {"t": "pre_trend", "post": "level_change", "since": "slope_change"}
ITS_COLUMNS = ["series", "term", "estimate", "se", "ci_low", "ci_high", "p_value", "ratio", "ratio_low",
               "ratio_high", "method", "n_periods", "n_post", "maxlags", "note"]


def default_maxlags(n_periods: int) -> int:
    """Newey–West (1994) rule of thumb ``floor(4 (T/100)^(2/9))``.

    Examples
    --------
    >>> default_maxlags(48)
    3
    """
    return int(np.floor(4 * (n_periods / 100) ** (2 / 9)))


def _months(values: pd.Series, column: str) -> pd.PeriodIndex:
    try:
        return pd.PeriodIndex(pd.to_datetime(values.astype(str)), freq="M")
    except (ValueError, TypeError):
        raise ColumnError(f"time column {column!r}: expected months such as 2023-09, found "
                          f"{values.iloc[0]!r}") from None


def segment_design(months: pd.PeriodIndex, start: pd.Period, seasonal: bool = True) -> pd.DataFrame:
    """Regressors of the segmented model: const, t, post, since (and sin12, cos12)."""
    t = np.asarray([m.ordinal for m in months]) - min(m.ordinal for m in months)
    t0 = start.ordinal - min(m.ordinal for m in months)
    table = {"const": np.ones(len(t)), "t": t.astype(float), "post": (t >= t0).astype(float),
             "since": np.maximum(t - t0, 0).astype(float)}
    if seasonal:
        month = np.asarray([m.month for m in months], dtype=float)
        table["sin12"] = np.sin(2 * np.pi * month / 12)
        table["cos12"] = np.cos(2 * np.pi * month / 12)
    return pd.DataFrame(table)


def _fit_series(y: np.ndarray, X: pd.DataFrame, model: str, maxlags: int):
    import statsmodels.api as sm

    kwds = {"maxlags": maxlags}
    if model == "poisson":
        return sm.GLM(y, X, family=sm.families.Poisson()).fit(cov_type="HAC", cov_kwds=kwds)
    target = np.log(y) if model == "loglinear" else y
    return sm.OLS(target, X).fit(cov_type="HAC", cov_kwds=kwds)


def interrupted_time_series(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    start,
    *,
    by: str | None = None,
    model: str = "poisson",
    seasonal: bool = True,
    maxlags: int | None = None,
    level: float = 0.95,
) -> EffectResult:
    """Segmented regression of a monthly series around ``start``, per series in ``by``.

    Parameters
    ----------
    data : DataFrame
        One row per month (per series), e.g. ``data/demo/raw/service_monthly.csv``.
    outcome : str
        Count or level (e.g. ``hotline_calls``).
    time : str
        Month column (``2023-09``, a date, or a Period).
    start : str or Period
        First month with the intervention (e.g. ``"2023-09"``).
    by : str, optional
        Series column (e.g. district); each series is fitted on its own.
    model : {"poisson", "linear", "loglinear"}, default "poisson"
    seasonal : bool, default True
        Add annual harmonics.
    maxlags : int, optional
        HAC lags (default: Newey–West rule of thumb for the series length).
    level : float, default 0.95

    Returns
    -------
    EffectResult
        Rows per series x term (``pre_trend``, ``level_change``, ``slope_change``): estimate
        (model scale), se, ci_low, ci_high, p_value; for log models ``ratio`` = exp(estimate)
        with its CI (rate ratio at the start; monthly ratio for slopes).

    Examples
    --------
    >>> months = pd.period_range("2021-01", "2024-12", freq="M").astype(str)
    >>> t = np.arange(48)
    >>> df = pd.DataFrame({"month": months, "calls": np.round(50 * np.exp(0.01 * t + 0.3 * (t >= 32)))})
    >>> r = interrupted_time_series(df, "calls", "month", "2023-09", seasonal=False)
    >>> round(float(r.to_frame().set_index("term").loc["level_change", "estimate"]), 1)
    0.3
    """
    if model not in ITS_MODELS:
        raise ConfigError(f"model: expected one of {', '.join(ITS_MODELS)}, found {model!r}")
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    for role, column in (("outcome", outcome), ("time", time), *((("by", by),) if by else ())):
        if column not in data.columns:
            raise ColumnError(f"{role} column {column!r}: not found in the data")
    values = pd.to_numeric(data[outcome], errors="coerce")
    bad = values.isna()
    if bad.any():
        raise ColumnError(f"outcome column {outcome!r}: expected a number every month, found "
                          f"{data[outcome][bad].iloc[0]!r} in {example_rows(data.index[bad.to_numpy()])}")
    if model == "poisson" and ((values < 0) | (values != np.round(values))).any():
        raise ColumnError(
            f"outcome column {outcome!r}: expected counts for model='poisson', found "
            f"{values[(values < 0) | (values != np.round(values))].iloc[0]}"
        )
    if model == "loglinear" and (values <= 0).any():
        raise ColumnError(f"outcome column {outcome!r}: expected values > 0 for model='loglinear'")
    start = pd.Period(start, freq="M")
    months = _months(data[time], time)
    groups = pd.Series(data[by].astype(str).to_numpy() if by else np.full(len(data), "all"))
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for series, positions in groups.groupby(groups, sort=True).indices.items():  # one fit per series
        series_months = months[positions]
        if series_months.duplicated().any():
            raise ColumnError(f"time column {time!r}: month {series_months[series_months.duplicated()][0]} "
                              f"appears twice in series {series!r}")
        order = np.argsort([m.ordinal for m in series_months])
        series_months = series_months[order]
        y = values.to_numpy(dtype=float)[positions][order]
        n_post = int(sum(m >= start for m in series_months))
        if n_post < 2 or len(series_months) - n_post < 2:
            raise ColumnError(f"series {series!r}: expected at least 2 months before and after {start}, "
                              f"found {len(series_months) - n_post} and {n_post}")
        lags = default_maxlags(len(series_months)) if maxlags is None else int(maxlags)
        X = segment_design(series_months, start, seasonal)
        fit = _fit_series(y, X, model, lags)
        log_scale = model in ("poisson", "loglinear")
        for column, term in TERMS.items():
            estimate, se = float(fit.params[column]), float(fit.bse[column])
            low, high = estimate - z * se, estimate + z * se
            p = float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else np.nan
            ratio = (float(np.exp(estimate)), float(np.exp(low)), float(np.exp(high))) if log_scale else (np.nan,) * 3
            rows.append([series, term, estimate, se, low, high, p, *ratio,
                         f"{model}, Newey-West HAC ({lags} lags)", len(series_months), n_post, lags,
                         "estimate on the log scale; ratio = exp(estimate)" if log_scale else ""])
    table = pd.DataFrame(rows, columns=ITS_COLUMNS)
    description = (f"Interrupted time series of {outcome} ({model}{', seasonal' if seasonal else ''}), start {start}"
                   f"{f', by {by}' if by else ''}; {int(level * 100)}% CI (normal)")
    return EffectResult(table=table, description=description)
