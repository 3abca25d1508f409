"""The reports' figures: matplotlib ``Figure`` objects, drawn with the project's CJK font.

Every function takes a tidy table (proportions, not percentages) and returns a Figure; none
uses pyplot, so nothing accumulates in a long-running kernel or worker. Suppressed estimates
(``flag == "suppress"``) are not drawn.

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

DISTRICT_COLOUR = "#1f5a8a"
CITY_COLOUR = "#8c8c8c"
TARGET_COLOURS = ("#c0392b", "#e67e22")
SUPPRESSED_MARK = "‡"


def _new_figure(width: float, height: float) -> Figure:
    use_cjk_font()
    return Figure(figsize=(width, height), layout="constrained")


def _shown(table: pd.DataFrame, prefix: str = "") -> np.ndarray:
    flag = table.get(f"{prefix}flag")
    ok = table[f"{prefix}estimate"].notna().to_numpy().copy()
    if flag is not None:
        ok &= (flag.astype(str) != "suppress").to_numpy()
    return ok


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
    ax.set_yticks(y, table["label"])
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside upper center", ncols=2, frameon=False)
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
        if not prefix and "suppressed" in table:
            ok &= ~table["suppressed"].to_numpy(dtype=bool)
        est, err = _errors(table, prefix)
        ax.errorbar(est[ok], y[ok] + offset, xerr=err[:, ok], fmt=marker, color=colour, ecolor=colour,
                    capsize=3, label=name, markersize=6)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, table["label"])
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside upper center", ncols=2, frameon=False)
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
    for (year, value), colour in zip(sorted(targets.items()), TARGET_COLOURS * 4, strict=False):
        ax.axhline(value * 100, color=colour, linestyle="--", linewidth=1.2)
        ax.annotate(target_label.format(year=year, value=value * 100), xy=(1.0, value * 100),
                    xycoords=("axes fraction", "data"), xytext=(-4, 3), textcoords="offset points",
                    ha="right", va="bottom", color=colour, fontsize=9)
    ax.set_xticks(range(len(waves)), [str(w) for w in waves])
    ax.set_xlim(-0.5, len(waves) - 0.5)
    top = max([v * 100 for v in targets.values()] + [float(np.nanmax(table["ci_high"])) * 100 if len(table) else 0])
    ax.set_ylim(0, top * 1.2 + 1)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="lower left", frameon=False)
    return fig


def services_over_years(table: pd.DataFrame, measures: dict[str, str], *, district_name: str, city_name: str,
                        pilot_start: int | None = None, pilot_label: str = "") -> Figure:
    """Service indicators per 100,000 residents by year, one panel per measure, district and city.

    ``table``: ``district`` ("district" or "city"), ``year`` and one column per measure.
    ``measures``: column -> panel title.
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
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False, fontsize=8)
    return fig


def forest_by_district(table: pd.DataFrame, *, panel_titles: dict[str, str], city_code: str,
                       xlabel: str, columns: int = 3) -> Figure:
    """Forest plot: every district's estimate and 95% CI, one panel per indicator, city as a band.

    ``table``: ``indicator``, ``district`` (code), ``name`` (label shown), ``estimate``,
    ``ci_low``, ``ci_high``, ``flag``; the city's rows have ``district == city_code``.
    ``panel_titles``: indicator -> title, in panel order.
    """
    rows_of_panels = int(np.ceil(len(panel_titles) / columns))
    names = table.loc[table["district"] != city_code, ["district", "name"]].drop_duplicates("district")
    fig = _new_figure(4.2 * columns, (0.32 * len(names) + 1.3) * rows_of_panels)
    axes = fig.subplots(rows_of_panels, columns, squeeze=False).ravel()
    y = np.arange(len(names))[::-1].astype(float)
    for ax, (indicator, title) in zip(axes, panel_titles.items(), strict=False):
        rows = table[table["indicator"] == indicator]
        city = rows[rows["district"] == city_code]
        by_district = names.merge(rows, on=["district", "name"], how="left")
        if len(city):
            c = city.iloc[0]
            ax.axvspan(c["ci_low"] * 100, c["ci_high"] * 100, color=CITY_COLOUR, alpha=0.25, linewidth=0)
            ax.axvline(c["estimate"] * 100, color=CITY_COLOUR, linewidth=1)
        ok = _shown(by_district)
        est, err = _errors(by_district)
        ax.errorbar(est[ok], y[ok], xerr=err[:, ok], fmt="o", color=DISTRICT_COLOUR, capsize=2.5, markersize=4)
        if not ok.any():  # every district estimate suppressed: say so rather than leave the panel blank
            ax.text(0.5, 0.5, SUPPRESSED_MARK, transform=ax.transAxes, ha="center", va="center", fontsize=20,
                    color=DISTRICT_COLOUR)
        ax.set_yticks(y, names["name"], fontsize=8)
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
    return fig
