"""The reports' figures: matplotlib ``Figure`` objects, drawn with the project's CJK font.

Every function takes a tidy table (proportions, not percentages) and returns a Figure; none
uses pyplot, so nothing accumulates in a long-running kernel or worker. A suppressed estimate
(``flag == "suppress"``) is not drawn as a value: its place is marked ‡ (:data:`SUPPRESSED_MARK`),
so a reader sees that it exists and was withheld. Every axis with numbers says its unit (the
caller passes the labels, in the page's language).

Example
-------
>>> fig = estimates_beside_city(table, district_name="临江区", city_name="清河市")   # doctest: +SKIP
>>> fig.savefig("key_indicators.png")                                                # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from survey.reports.fonts import use_cjk_font
from survey.reports.layout import fit

DISTRICT_COLOUR = "#1f5a8a"
CITY_COLOUR = "#8c8c8c"
TARGET_COLOURS = ("#c0392b", "#e67e22")
SUPPRESSED_MARK = "‡"


def _new_figure(width: float, height: float) -> Figure:
    """A figure without a layout engine: each function places its axes (:func:`survey.reports.layout.fit`)."""
    use_cjk_font()
    return Figure(figsize=(width, height))


def warm_up() -> None:
    """Draw a small figure with Chinese text to PNG and SVG in memory: loads the backends and the font's glyphs.

    A report kernel runs this once at start, so that its first district does not pay for it.
    """
    import io

    figure = _new_figure(2, 1)
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], marker="o")
    axes.set_title("心理健康 2024 (%)")
    for kind in ("png", "svg"):
        figure.savefig(io.BytesIO(), format=kind)


def _text_inches(texts, size: float) -> float:
    """Width in inches of the widest of ``texts`` at ``size`` points in the CJK font (measured, not drawn)."""
    from matplotlib.font_manager import get_font

    from survey.reports.fonts import cjk_font_path

    font = get_font(str(cjk_font_path()))
    font.set_size(size, 72)
    widest = 0.0
    for text in texts:
        font.set_text(str(text), 0.0)
        widest = max(widest, font.get_width_height()[0] / 64 / 72)
    return widest


def _shown(table: pd.DataFrame, prefix: str = "") -> np.ndarray:
    flag = table.get(f"{prefix}flag")
    ok = table[f"{prefix}estimate"].notna().to_numpy().copy()
    if flag is not None:
        ok &= (flag.astype(str) != "suppress").to_numpy()
    return ok


def _suppressed(table: pd.DataFrame, prefix: str = "") -> np.ndarray:
    """Rows whose estimate exists but is withheld (flag ``suppress``)."""
    flag = table.get(f"{prefix}flag")
    if flag is None:
        return np.zeros(len(table), dtype=bool)
    return np.array(flag.astype(str) == "suppress", dtype=bool)


def _mark_rows(ax, y: np.ndarray, colour: str, fontsize: float = 10) -> None:
    """‡ at the left edge of the plot on each row ``y`` (horizontal charts)."""
    for value in y:
        ax.annotate(SUPPRESSED_MARK, xy=(0, value), xycoords=("axes fraction", "data"), xytext=(5, 0),
                    textcoords="offset points", ha="left", va="center", color=colour, fontsize=fontsize)


def _mark_columns(ax, x: np.ndarray, colour: str, fontsize: float = 10) -> None:
    """‡ just above the bottom of the plot at each position ``x`` (charts over time)."""
    for value in x:
        ax.annotate(SUPPRESSED_MARK, xy=(value, 0), xycoords=("data", "axes fraction"), xytext=(0, 5),
                    textcoords="offset points", ha="center", va="bottom", color=colour, fontsize=fontsize)


def _errors(table: pd.DataFrame, prefix: str = "", scale: float = 100) -> tuple[np.ndarray, np.ndarray]:
    est = table[f"{prefix}estimate"].to_numpy(dtype=float) * scale
    low = table[f"{prefix}ci_low"].to_numpy(dtype=float) * scale
    high = table[f"{prefix}ci_high"].to_numpy(dtype=float) * scale
    return est, np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])


def estimates_beside_city(table: pd.DataFrame, *, district_name: str, city_name: str, xlabel: str) -> Figure:
    """Each indicator's district estimate with its 95% CI, the city's just below it.

    ``table``: one row per indicator with ``label``, ``estimate``, ``ci_low``, ``ci_high``,
    ``flag`` and the city's ``city_estimate``, ``city_ci_low``, ``city_ci_high``.
    """
    fig = _new_figure(8, 0.45 * len(table) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1].astype(float)
    for prefix, offset, colour, name, marker in (("", 0.15, DISTRICT_COLOUR, district_name, "o"),
                                                 ("city_", -0.15, CITY_COLOUR, city_name, "s")):
        ok = _shown(table, prefix)
        est, err = _errors(table, prefix)
        ax.errorbar(est[ok], y[ok] + offset, xerr=err[:, ok], fmt=marker, color=colour, ecolor=colour,
                    capsize=3, label=name, markersize=6)
        _mark_rows(ax, y[_suppressed(table, prefix)] + offset, colour)
    ax.set_yticks(y, table["label"])
    ax.set_ylim(-0.5, len(table) - 0.5)  # every row, also one whose values are withheld (its mark is drawn)
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="upper center", ncols=2, frameon=False)
    fit(fig)
    return fig


def changes_beside_city(table: pd.DataFrame, *, district_name: str, city_name: str, xlabel: str) -> Figure:
    """Each indicator's change between waves (percentage points) with its 95% CI, district and city.

    ``table``: ``label``, ``estimate``, ``ci_low``, ``ci_high`` (the district's change), the city's
    ``city_estimate``, ``city_ci_low``, ``city_ci_high``, and optionally ``suppressed`` (True:
    the district's change is not drawn).
    """
    fig = _new_figure(8, 0.45 * len(table) + 1.4)
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1].astype(float)
    for prefix, offset, colour, name, marker in (("", 0.15, DISTRICT_COLOUR, district_name, "o"),
                                                 ("city_", -0.15, CITY_COLOUR, city_name, "s")):
        ok = table[f"{prefix}estimate"].notna().to_numpy().copy()
        withheld = np.zeros(len(table), dtype=bool)
        if not prefix and "suppressed" in table:
            withheld = np.array(table["suppressed"], dtype=bool)
        withheld |= _suppressed(table, prefix)
        ok &= ~withheld
        est, err = _errors(table, prefix)
        ax.errorbar(est[ok], y[ok] + offset, xerr=err[:, ok], fmt=marker, color=colour, ecolor=colour,
                    capsize=3, label=name, markersize=6)
        _mark_rows(ax, y[withheld] + offset, colour)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, table["label"])
    ax.set_ylim(-0.5, len(table) - 0.5)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="upper center", ncols=2, frameon=False)
    fit(fig)
    return fig


def literacy_against_targets(table: pd.DataFrame, targets: dict, *, district_name: str, city_name: str,
                             ylabel: str, target_label: str) -> Figure:
    """Literacy by wave (district and city, 95% CIs) with a horizontal line per target year.

    ``table``: rows per wave with ``wave``, ``district`` ("district" or "city"), ``estimate``,
    ``ci_low``, ``ci_high``, ``flag``. ``targets``: year -> proportion.
    """
    fig = _new_figure(7, 4)
    ax = fig.add_subplot()
    waves = sorted(table["wave"].unique())
    x_of = {w: i for i, w in enumerate(waves)}
    for who, offset, colour, name, marker in (("district", -0.06, DISTRICT_COLOUR, district_name, "o"),
                                              ("city", 0.06, CITY_COLOUR, city_name, "s")):
        rows = table[table["district"] == who].sort_values("wave")
        ok = _shown(rows)
        est, err = _errors(rows)
        x = rows["wave"].map(x_of).to_numpy(dtype=float) + offset
        ax.errorbar(x[ok], est[ok], yerr=err[:, ok], fmt=marker + "-", color=colour, capsize=4, label=name)
        _mark_columns(ax, x[_suppressed(rows)], colour)
    for (year, value), colour in zip(sorted(targets.items()), TARGET_COLOURS * 4, strict=False):
        ax.axhline(value * 100, color=colour, linestyle="--", linewidth=1.2)
        ax.annotate(target_label.format(year=year, value=value * 100), xy=(1.0, value * 100),
                    xycoords=("axes fraction", "data"), xytext=(-4, 3), textcoords="offset points",
                    ha="right", va="bottom", color=colour, fontsize=9)
    ax.set_xticks(range(len(waves)), [str(w) for w in waves])
    ax.set_xlim(-0.5, len(waves) - 0.5)
    highs = table["ci_high"].where(_shown(table)).to_numpy(dtype=float)
    tops = [v * 100 for v in targets.values()] + ([float(np.nanmax(highs)) * 100] if np.isfinite(highs).any() else [])
    top = max(tops, default=0.0)
    ax.set_ylim(0, top * 1.2 + 1)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower left", frameon=False)
    fit(fig)
    return fig


def services_over_years(table: pd.DataFrame, measures: dict[str, str], *, district_name: str, city_name: str,
                        pilot_start: int | None = None, pilot_label: str = "", ylabel: str = "",
                        xlabel: str = "") -> Figure:
    """Service indicators per 100,000 residents by year, one panel per measure, district and city.

    ``table``: ``district`` ("district" or "city"), ``year`` and one column per measure.
    ``measures``: column -> panel title. ``ylabel``: the unit of every panel's y axis (e.g. "per
    100,000 residents"); ``xlabel``: of the x axis (the year).
    """
    fig = _new_figure(3.3 * len(measures), 3.2)
    axes = fig.subplots(1, len(measures), squeeze=False)[0]
    for ax, (column, title) in zip(axes, measures.items(), strict=True):
        for who, colour, name, marker in (("district", DISTRICT_COLOUR, district_name, "o"),
                                          ("city", CITY_COLOUR, city_name, "s")):
            rows = table[table["district"] == who].sort_values("year")
            ax.plot(rows["year"], rows[column], marker=marker, color=colour, label=name)
        if pilot_start is not None:
            ax.axvline(pilot_start, color="#2e8b57", linestyle=":", linewidth=1.2, label=pilot_label)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(sorted(table["year"].unique()))
        ax.set_ylim(bottom=0)
        if ylabel:
            ax.set_ylabel(ylabel, fontsize=9)
        if xlabel:
            ax.set_xlabel(xlabel, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=8)
    fit(fig)
    return fig


def forest_by_district(table: pd.DataFrame, *, panel_titles: dict[str, str], city_code: str,
                       xlabel: str, columns: int = 3, targets: dict[str, dict[str, float]] | None = None,
                       target_label: str = "{year} target {value:.0f}%") -> Figure:
    """Forest plot: every district's estimate and 95% CI, one panel per indicator, city as a band.

    ``table``: ``indicator``, ``district`` (code), ``name`` (label shown), ``estimate``,
    ``ci_low``, ``ci_high``, ``flag``; the city's rows have ``district == city_code``.
    ``panel_titles``: indicator -> title, in panel order (leave out indicators with nothing to
    show: a panel is drawn for each title). Suppressed district estimates are marked ‡ on their
    row. ``targets``: indicator -> {year: proportion}, drawn as dashed vertical lines labelled
    with ``target_label`` (fields ``year`` and ``value`` in percent).
    """
    targets = targets or {}
    columns = max(1, min(columns, len(panel_titles)))
    rows_of_panels = int(np.ceil(len(panel_titles) / columns))
    names = table.loc[table["district"] != city_code, ["district", "name"]].drop_duplicates("district")
    label_inches = min(_text_inches(names["name"], 8) + 0.15, 4.0)  # room for the district names
    panel_width, panel_height = 2.9, 0.3 * len(names) + 0.6
    title_inches, axis_inches = 0.4, 0.75  # above each panel: its title; below: tick labels and the axis label
    width = columns * (label_inches + panel_width) + 0.2
    height = rows_of_panels * (title_inches + panel_height + axis_inches)
    fig = _new_figure(width, height)  # laid out here, from the names' measured width
    axes = fig.subplots(rows_of_panels, columns, squeeze=False,
                        gridspec_kw={"left": label_inches / width, "right": 1 - 0.2 / width,
                                     "top": 1 - title_inches / height, "bottom": axis_inches / height,
                                     "wspace": label_inches / panel_width,
                                     "hspace": (title_inches + axis_inches) / panel_height}).ravel()
    y = np.arange(len(names))[::-1].astype(float)
    for ax, (indicator, title) in zip(axes, panel_titles.items(), strict=False):
        rows = table[table["indicator"] == indicator]
        city = rows[rows["district"] == city_code]
        by_district = names.merge(rows, on=["district", "name"], how="left")
        if len(city) and pd.notna(city.iloc[0]["estimate"]) and str(city.iloc[0].get("flag")) != "suppress":
            c = city.iloc[0]
            ax.axvspan(c["ci_low"] * 100, c["ci_high"] * 100, color=CITY_COLOUR, alpha=0.25, linewidth=0)
            ax.axvline(c["estimate"] * 100, color=CITY_COLOUR, linewidth=1)
        ok = _shown(by_district)
        est, err = _errors(by_district)
        ax.errorbar(est[ok], y[ok], xerr=err[:, ok], fmt="o", color=DISTRICT_COLOUR, capsize=2.5, markersize=4)
        for (year, value), colour in zip(sorted(targets.get(indicator, {}).items()), TARGET_COLOURS * 4,
                                         strict=False):
            ax.axvline(value * 100, color=colour, linestyle="--", linewidth=1.1)
            ax.annotate(target_label.format(year=year, value=value * 100), xy=(value * 100, 1.0),
                        xycoords=("data", "axes fraction"), xytext=(2, -2), textcoords="offset points",
                        rotation=90, ha="left", va="top", color=colour, fontsize=7)
        ax.set_xlim(left=0)
        _mark_rows(ax, y[_suppressed(by_district)], DISTRICT_COLOUR, fontsize=8)
        ax.set_yticks(y, names["name"], fontsize=8)
        ax.set_ylim(y.min() - 0.7 if len(y) else -0.7, y.max() + 0.7 if len(y) else 0.7)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    for ax in axes[len(panel_titles):]:
        ax.set_visible(False)
    return fig


def pilot_before_after(table: pd.DataFrame, *, panel_titles: dict[str, str], group_names: dict[str, str],
                       start, start_label: str, ylabel: str, wave_dates: dict | None = None) -> Figure:
    """Pilot districts against comparison districts, each wave, one panel per indicator, with the start marked.

    ``table``: ``indicator``, ``wave``, ``group`` (``pilot`` or ``comparison``), ``estimate``,
    ``ci_low``, ``ci_high`` (proportions). ``group_names``: group -> legend label. ``start``: the
    pilot's start (a Timestamp, or a year). ``wave_dates``: wave -> the middle of its fieldwork
    (a Timestamp); with it, waves and the start are placed on a time axis, else by year.
    Suppressed or missing estimates are marked ``‡`` at the axis instead of dropped silently.
    """
    import matplotlib.dates as mdates

    panels = [i for i in panel_titles if (table["indicator"] == i).any()]
    fig = _new_figure(max(4.2 * len(panels), 5.0), 3.6)
    axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
    dated = bool(wave_dates) and all(pd.notna(wave_dates.get(w)) for w in table["wave"].unique())

    def x_of(waves) -> np.ndarray:
        if dated:
            return mdates.date2num([pd.Timestamp(wave_dates[w]).to_pydatetime() for w in waves])
        return np.asarray(waves, dtype=float)

    for ax, indicator in zip(axes, panels, strict=False):
        rows = table[table["indicator"] == indicator]
        for group, colour, marker, offset in (("pilot", DISTRICT_COLOUR, "o", -0.04), ("comparison", CITY_COLOUR,
                                                                                        "s", 0.04)):
            part = rows[rows["group"] == group].sort_values("wave")
            if part.empty:
                continue
            ok = _shown(part)
            est, err = _errors(part)
            shift = offset * (30 if dated else 1)
            x = x_of(part["wave"]) + shift
            ax.errorbar(x[ok], est[ok], yerr=err[:, ok], fmt=marker + "-", color=colour, capsize=4,
                        label=group_names.get(group, group))
            for position in x[~ok]:
                ax.annotate(SUPPRESSED_MARK, xy=(position, 0), xycoords=("data", "axes fraction"), ha="center",
                            va="bottom", color=colour)
        if isinstance(start, (int, np.integer)):
            start_x = float(start) + 0.5 if not dated else mdates.date2num(pd.Timestamp(f"{int(start)}-07-01"))
        else:
            start_x = mdates.date2num(pd.Timestamp(start).to_pydatetime()) if dated else \
                pd.Timestamp(start).year + (pd.Timestamp(start).dayofyear - 1) / 365.25
        ax.axvline(start_x, color="#2e8b57", linestyle=":", linewidth=1.4, label=start_label)
        waves = sorted(rows["wave"].unique())
        ax.set_xticks(x_of(waves), [str(w) for w in waves])
        ax.set_title(panel_titles[indicator], fontsize=10)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(frameon=False, fontsize=8, loc="lower left")
    fit(fig)
    return fig
