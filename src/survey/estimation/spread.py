"""The population variance of an outcome by domain (R ``svyvar``), with its design-based SE.

As R's ``svyvar``: the estimate is the weighted mean of ``(y_i - ybar)^2 n / (n - 1)`` with the
domain mean ``ybar`` held fixed, and its SE is that mean's linearised SE (the variability of
``ybar`` is ignored, as in R). ``n`` counts the domain's rows with a positive weight, rows with a
missing outcome included: R's ``svyvar`` counts them before ``na.rm`` drops them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from survey.errors import ColumnError
from survey.estimation.design import Design, _numeric, require_design
from survey.estimation.estimators import mean as _mean
from survey.estimation.quantiles import _domains
from survey.estimation.result import EstimateResult

_SQUARES = "_survey_svyvar_squares"


def variance(design: Design, outcome: str, *, by: str | Sequence[str] | None = None,
             level: float = 0.95, df: str | int = "domain") -> EstimateResult:
    """Population variance of ``outcome`` by domain with its SE (R ``svyvar``).

    Parameters
    ----------
    design : Design
    outcome : str
        Numeric column; rows where it is missing are left out (R ``na.rm=TRUE``).
    by : str or list of str, optional
    level : float, default 0.95
        For the ``estimate +/- t_df se`` interval.
    df : see :func:`~survey.estimation.finalize`.

    Returns
    -------
    EstimateResult
        ``stat`` is ``"variance"``; the table as for :func:`~survey.estimation.mean` (its
        ``deff`` column is that of the squared deviations' mean).

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 1, 1], "p": [1, 2, 3, 4], "y": [1., 2, 3, 4]})
    >>> round(float(variance(Design(df, weight="w", psu="p"), "y").to_frame()["estimate"][0]), 4)
    1.6667

    R: ``svyvar(~y, design, na.rm=TRUE)``; by domain ``svyby(~y, ~g, design, svyvar, na.rm=TRUE)``.
    """
    design = require_design(design, caller="variance", second=outcome)
    by_columns = [by] if isinstance(by, str) else list(by or [])
    data = design.data
    if outcome not in data.columns:
        raise ColumnError(f"outcome column {outcome!r}: not found in the data")
    y = _numeric(data, outcome, "outcome")
    w = design.weights()
    means = _mean(design, outcome, by=by_columns or None).table
    values, domain = _domains(data, by_columns, w > 0)
    if by_columns:
        centre = values.merge(means, on=by_columns, how="left")["estimate"].to_numpy(dtype=float)
    else:
        centre = means["estimate"].to_numpy(dtype=float)
    n = np.bincount(domain[domain >= 0], minlength=len(values)).astype(float)
    inside = domain >= 0
    d = np.where(inside, domain, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        squares = np.where(inside, (y - centre[d]) ** 2 * n[d] / (n[d] - 1), np.nan)
    with_squares = dataclasses.replace(design, data=data.assign(**{_SQUARES: squares}))
    result = _mean(with_squares, _SQUARES, by=by_columns or None, level=level, df=df)
    return dataclasses.replace(result, stat="variance", outcome=outcome)


__all__ = ["variance"]
