"""Lay out a report figure by measuring its labels, not by drawing it.

matplotlib's constrained layout finds a figure's margins by drawing the whole figure (twice)
before every save, which costs as much as the save itself. A report figure is a grid of axes
whose margins are set by a few texts: the tick labels, the axis labels, the panel titles and a
legend above the grid. :func:`fit` measures only those texts (with the Agg renderer, the way a
draw measures them) and places the grid so that they fit, with ``pad`` inches around; the
figure then keeps its size and is drawn once per file.

What it does not do: texts inside the axes (annotations, an inside legend) and rotated tick
labels are not measured; they never set a margin in the report figures.

Example
-------
>>> fig = Figure(figsize=(6, 3)); ax = fig.add_subplot(); ax.plot([0, 1], [0, 1])   # doctest: +SKIP
>>> fit(fig)                                                                         # doctest: +SKIP
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import matplotlib

#: Space around the grid and between the parts of each margin, in inches.
PAD = 0.08


@dataclass
class _Margins:
    """What one axes needs around it, in inches."""

    left: float
    right: float
    bottom: float
    top: float


def _points(value: float) -> float:
    return value / 72


def _tick_gap(axis: str) -> float:
    """Tick length plus the gap between tick and label (outward ticks), in inches."""
    size = matplotlib.rcParams[f"{axis}tick.major.size"]
    pad = matplotlib.rcParams[f"{axis}tick.major.pad"]
    return _points(size + pad)


def _tick_labels(axis) -> list:
    """The axis's major tick labels that a draw would show (ticks inside the view, with text)."""
    labels = axis.get_majorticklabels()  # places the ticks and writes their labels
    locations = axis.get_majorticklocs()
    low, high = sorted(axis.get_view_interval())
    span = (high - low) or 1.0
    inside = (locations >= low - 1e-9 * span) & (locations <= high + 1e-9 * span)
    return [label for label, shown in zip(labels, inside, strict=False)
            if shown and label.get_visible() and label.get_text()]


def _size(text, renderer, dpi: float) -> tuple[float, float]:
    """Width and height in inches of a text as drawn (0 for an empty or hidden text)."""
    if not text.get_visible() or not text.get_text():
        return 0.0, 0.0
    box = text.get_window_extent(renderer)
    return box.width / dpi, box.height / dpi


def _needs(ax, renderer, dpi: float) -> _Margins:
    y_labels = [_size(t, renderer, dpi) for t in _tick_labels(ax.yaxis)]
    x_labels = [_size(t, renderer, dpi) for t in _tick_labels(ax.xaxis)]
    ylabel_width = _size(ax.yaxis.label, renderer, dpi)[0]
    xlabel_height = _size(ax.xaxis.label, renderer, dpi)[1]
    labelpad = _points(matplotlib.rcParams["axes.labelpad"])
    left = (max((w for w, _ in y_labels), default=0.0) + _tick_gap("y")
            + (ylabel_width + labelpad if ylabel_width else 0.0))
    bottom = (max((h for _, h in x_labels), default=0.0) + _tick_gap("x")
              + (xlabel_height + labelpad if xlabel_height else 0.0))
    title_height = _size(ax.title, renderer, dpi)[1]
    # a title sits above the axes; without one, the top tick label still reaches half its height above
    top = title_height + _points(matplotlib.rcParams["axes.titlepad"]) if title_height else \
        max((h for _, h in y_labels), default=0.0) / 2
    # the last x tick label is centred on its tick and may reach past the right edge by half its width
    right = x_labels[-1][0] / 2 if x_labels else 0.0
    return _Margins(left=left, right=right, bottom=bottom, top=top)


@functools.cache
def _measuring_renderer(dpi: float):
    """An Agg renderer kept for measuring texts: matplotlib caches text sizes per renderer, so the
    labels every report repeats (indicator names, tick values) are measured once per process."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def fit(figure, *, pad: float = PAD) -> None:
    """Place the figure's grid of axes so that tick labels, axis labels, titles and figure legends fit.

    The axes must come from one grid (``figure.subplots`` or ``figure.add_subplot``); figure
    legends are placed above the grid, centred (create them with ``loc="upper center"``).
    Hidden axes are ignored. The figure's size does not change.
    """
    axes = [ax for ax in figure.axes if ax.get_visible() and ax.get_subplotspec() is not None]
    if not axes:
        return
    grids = {id(ax.get_subplotspec().get_gridspec()) for ax in axes}
    if len(grids) != 1:
        raise ValueError(f"layout: expected the axes of one grid, found {len(grids)} grids")
    dpi = figure.dpi
    renderer = _measuring_renderer(dpi)
    rows, columns = axes[0].get_subplotspec().get_gridspec().get_geometry()
    needs = {}
    for ax in axes:
        spec = ax.get_subplotspec()
        needs[ax] = (spec.rowspan, spec.colspan, _needs(ax, renderer, dpi))

    def widest(side: str, where) -> float:
        return max((getattr(m, side) for r, c, m in needs.values() if where(r, c)), default=0.0)

    width, height = figure.get_size_inches()
    legend_height = sum(legend.get_window_extent(renderer).height / dpi for legend in figure.legends)
    left = pad + widest("left", lambda r, c: c.start == 0)
    right = pad + widest("right", lambda r, c: c.stop == columns)
    bottom = pad + widest("bottom", lambda r, c: r.stop == rows)
    top = pad + widest("top", lambda r, c: r.start == 0) + (legend_height + pad if legend_height else 0.0)
    between_columns = widest("left", lambda r, c: c.start > 0) + widest("right", lambda r, c: c.stop < columns) + pad
    between_rows = widest("top", lambda r, c: r.start > 0) + widest("bottom", lambda r, c: r.stop < rows) + pad
    panel_width = (width - left - right - (columns - 1) * between_columns) / columns
    panel_height = (height - top - bottom - (rows - 1) * between_rows) / rows
    if panel_width <= 0 or panel_height <= 0:
        raise ValueError(f"layout: the labels leave no room for the panels of a {width:.1f} x {height:.1f} in figure")
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height,
                           top=1 - top / height, wspace=between_columns / panel_width,
                           hspace=between_rows / panel_height)
    for legend in figure.legends:
        legend.set_bbox_to_anchor((0.5, 1 - pad / height), transform=figure.transFigure)
