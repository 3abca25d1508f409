"""The direct-versus-model figure of a small-area fit.

Example
-------
>>> fig = direct_versus_model(fh.to_frame(), area="district")     # doctest: +SKIP
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from survey.errors import ColumnError


def direct_versus_model(table: pd.DataFrame, *, ax=None, scale: float = 100.0, title: str | None = None):
    """Model (y) against direct (x) estimates with the identity line; marker area grows with the shrinkage
    factor's complement (how far the model pulls the direct estimate), synthetic areas marked on the x axis.

    ``table`` has ``direct``, ``model``, ``gamma`` and ``synthetic`` (as :meth:`SmallAreaResult.to_frame`).
    Returns the matplotlib Figure.
    """
    absent = [c for c in ("direct", "model", "gamma", "synthetic") if c not in table.columns]
    if absent:
        raise ColumnError(f"direct_versus_model: expected columns direct, model, gamma, synthetic; "
                          f"found no {absent[0]!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 5))
    fitted = ~table["synthetic"].astype(bool).to_numpy()
    direct = scale * table["direct"].to_numpy(float)
    model = scale * table["model"].to_numpy(float)
    sizes = 12 + 60 * (1 - table["gamma"].to_numpy(float))
    ax.scatter(direct[fitted], model[fitted], s=sizes[fitted], alpha=0.6, color="#1f77b4",
               label="direct and model")
    values = np.concatenate([direct[fitted & np.isfinite(direct)], model[np.isfinite(model)]])
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, scale)
    pad = 0.05 * (high - low or 1.0)
    if (~fitted).any():
        ax.scatter(model[~fitted], np.full((~fitted).sum(), low - pad), marker="|", s=80, color="#d62728",
                   label="synthetic (no sample): model estimate, on the x axis", clip_on=False)
    ax.plot([low - pad, high + pad], [low - pad, high + pad], color="0.4", lw=1, ls="--", label="identity")
    ax.set_xlim(low - pad, high + pad)
    ax.set_ylim(low - 2 * pad, high + pad)
    ax.set_xlabel("direct estimate (%)" if scale == 100 else "direct estimate")
    ax.set_ylabel("model estimate (%)" if scale == 100 else "model estimate")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax.figure
