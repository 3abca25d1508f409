"""Figures for effect analyses: group means by wave (parallel trends) and event-study coefficients.

Each function returns a matplotlib ``Figure`` (nothing is shown or saved): the caller decides
where it goes (a notebook, a report, ``fig.savefig``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError
from survey.estimation import Design, mean
from survey.estimation.design import require_design

GROUP_COLOURS = {0: "#4c72b0", 1: "#dd8452"}


def group_means(design: Design, outcome: str, *, group: str, time: str, level: float = 0.95) -> pd.DataFrame:
    """Weighted mean of ``outcome`` by group x period with design-based CIs.

    R: ``svyby(~y, ~pilot+wave, design, svymean, na.rm=TRUE)`` with ``confint(..., df=)``.

    Returns
    -------
    DataFrame
        group, time, estimate, se, ci_low, ci_high, n (columns named after ``group``/``time``).
    """
    design = require_design(design, caller="group_means", second=outcome)
    for role, column in (("group", group), ("time", time), ("outcome", outcome)):
        if column not in design.data.columns:
            raise ColumnError(f"{role} column {column!r}: not found in the data")
    table = mean(design, outcome, by=[group, time], level=level).to_frame()
    return table[[group, time, "estimate", "se", "ci_low", "ci_high", "n"]]


def plot_group_means(
    means: pd.DataFrame,
    *,
    group: str,
    time: str,
    labels: dict | None = None,
    start=None,
    title: str | None = None,
    ylabel: str | None = None,
):
    """Line plot of group means with CI bars over time: the parallel-trends picture.

    Parameters
    ----------
    means : DataFrame
        From :func:`group_means`.
    group, time : str
        Its group and time columns.
    labels : dict, optional
        Group value -> legend label (default ``{0: "comparison", 1: "pilot"}``).
    start : optional
        Where to draw the pilot start (an x value between waves, e.g. 2023.7).
    title, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    for column in (group, time, "estimate", "ci_low", "ci_high"):
        if column not in means.columns:
            raise ColumnError(f"means: expected column {column!r} (from group_means), not found")
    labels = labels or {0: "comparison", 1: "pilot"}
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    offsets = {g: (i - 0.5) * 0.04 for i, g in enumerate(sorted(means[group].unique()))}
    for value, rows in means.groupby(group, sort=True):
        rows = rows.sort_values(time)
        x = rows[time].to_numpy(dtype=float) + offsets[value]
        y = rows["estimate"].to_numpy()
        err = np.vstack([y - rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy() - y])
        ax.errorbar(x, y, yerr=err, marker="o", capsize=4, color=GROUP_COLOURS.get(int(value), None),
                    label=str(labels.get(value, labels.get(int(value), value))))
    if start is not None:
        ax.axvline(float(start), color="#2e8b57", linestyle=":", linewidth=1.2, label="pilot start")
    ax.set_xticks(sorted(means[time].unique()))
    ax.set_xlabel(time)
    ax.set_ylabel(ylabel or "weighted mean (95% CI)")
    if title:
        ax.set_title(title)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def plot_event_study(result: EffectResult, method: str = "design", *, title: str | None = None):
    """Event-study coefficients with CIs by period, the reference period at 0.

    Parameters
    ----------
    result : EffectResult
        From :func:`~survey.effects.event_study`.
    method : str, default "design"
        Which inference to show (a method in the result's table).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    table = result.to_frame()
    if "period" not in table.columns or "reference" not in result.extra:
        raise ConfigError("plot_event_study: expected the result of event_study()")
    rows = table[table["method"] == method]
    if rows.empty:
        raise ConfigError(f"method: expected one of {sorted(table['method'].unique())}, found {method!r}")
    reference = result.extra["reference"]
    x = np.append(rows["period"].to_numpy(dtype=float), float(reference))
    y = np.append(rows["estimate"].to_numpy(), 0.0)
    low = np.append(rows["ci_low"].to_numpy(), 0.0)
    high = np.append(rows["ci_high"].to_numpy(), 0.0)
    order = np.argsort(x)
    x, y, low, high = x[order], y[order], low[order], high[order]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.errorbar(x, y, yerr=np.vstack([y - low, high - y]), marker="o", capsize=4, color="#dd8452", linestyle="-")
    ax.plot([float(reference)], [0.0], marker="o", color="white", markeredgecolor="#dd8452")
    ax.axvline(float(reference) + 0.5, color="#2e8b57", linestyle=":", linewidth=1.2)
    ax.set_xticks(x)
    ax.set_xlabel("period (reference: %s)" % reference)
    level = result.extra.get("level", 0.95)
    ax.set_ylabel(f"effect ({method}, {int(round(100 * level))}% CI)")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
