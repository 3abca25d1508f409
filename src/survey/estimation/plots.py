"""Forest plots of estimates with confidence intervals, one panel per indicator.

Example
-------
>>> from survey.estimation.plots import forest_plot
>>> fig = forest_plot(table, y="district", hue="wave", panel="indicator")   # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from survey.errors import ColumnError


def forest_plot(table: pd.DataFrame, *, y: str, hue: str | None = None, panel: str | None = None,
                scale: float = 100.0, xlabel: str = "percent (95% CI)", height: float = 0.35):
    """Point estimates with horizontal CI bars: ``y`` rows, ``hue`` series side by side, ``panel`` columns.

    ``table`` has ``estimate``, ``ci_low``, ``ci_high`` (proportions are multiplied by ``scale``).
    Returns the matplotlib Figure.
    """
    needed = ["estimate", "ci_low", "ci_high", y, *([hue] if hue else []), *([panel] if panel else [])]
    absent = [c for c in needed if c not in table.columns]
    if absent:
        raise ColumnError(f"forest_plot: columns not in the table: {', '.join(absent)}")
    panels = list(pd.unique(table[panel])) if panel else [None]
    rows = list(pd.unique(table[y]))
    series = list(pd.unique(table[hue])) if hue else [None]
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(4.2 * len(panels), 0.8 + height * len(rows) * max(1, len(series) / 1.5)),
        squeeze=False,
        sharey=True,
    )
    offsets = np.linspace(-0.2, 0.2, len(series)) if len(series) > 1 else [0.0]
    for ax, name in zip(axes.flat, panels, strict=False):
        part = table if name is None else table[table[panel] == name]
        for offset, (k, level) in zip(offsets, enumerate(series), strict=True):
            sub = part if level is None else part[part[hue] == level]
            pos = sub[y].map({r: i for i, r in enumerate(rows)}).to_numpy(dtype=float) + offset
            ax.errorbar(scale * sub["estimate"], pos,
                        xerr=[scale * (sub["estimate"] - sub["ci_low"]), scale * (sub["ci_high"] - sub["estimate"])],
                        fmt="o", color=f"C{k}", capsize=2, label=None if level is None else str(level))
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.invert_yaxis()
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
        if name is not None:
            ax.set_title(str(name))
    if hue:
        axes.flat[-1].legend(title=hue, loc="best", fontsize="small")
    fig.tight_layout()
    return fig
