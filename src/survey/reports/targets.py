"""The targets section: each indicator with targets against each one, the target year taken into account.

A target is a minimum to reach by its year. A round's estimate meets it when the 95% CI lies wholly
above; below it, the target is *not met* once its year has come and *not yet reached* before; a CI
containing the target is *uncertain* (or not yet certain before the year). Suppressed and
not-applicable estimates get no status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from survey.reports import figures, formatting, marks
from survey.reports.inputs import CITY
from survey.reports.section import ReportFigure, ReportTable, Section
from survey.reports.text import lookup

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport


def _join(report: DistrictReport, items: list[str]) -> str:
    return lookup("list_separator", report.lang).join(items)


def target_status(report: DistrictReport, rows: pd.DataFrame, year: str, value: float) -> pd.Series:
    """met / not_met / uncertain, or not_yet_reached / uncertain_not_due before the target year."""
    side = formatting.ci_side(rows, value)
    due = rows["wave"].astype(int) >= int(year)
    status = np.where(side == "above", "met",
                      np.where(side == "below", np.where(due, "not_met", "not_yet_reached"),
                               np.where(side == "overlaps", np.where(due, "uncertain", "uncertain_not_due"),
                                        "unknown")))
    status = np.where(marks.unmarked(rows), status, "unknown")
    return pd.Series(status, index=rows.index)


def target_rows(report: DistrictReport, indicator) -> pd.DataFrame:
    prev = report.rows.prevalence
    prev = prev[prev["method"] == report.method]
    rows = prev[(prev["indicator"] == indicator.id) & prev["wave"].isin(report.waves)
                & (prev["wave"] <= report.wave)].copy()
    rows["area"] = np.where(rows["district"] == CITY, "city", "district")
    rows = rows.sort_values(["area", "wave"], ascending=[False, True]).reset_index(drop=True)
    for year, value in indicator.targets.items():
        rows[f"target_{year}"] = float(value)
        rows[f"status_{year}"] = target_status(report, rows, year, float(value)).to_numpy()
    return rows.drop(columns=["n_weighted"], errors="ignore")


def target_sentence(report: DistrictReport, indicator, rows: pd.DataFrame) -> str:
    own = rows[(rows["area"] == "district") & (rows["wave"] == report.wave)]
    if own.empty or not marks.unmarked(own)[0]:
        return ""
    row = own.iloc[0]
    statuses = [report._t("targets.status_item", year=year, value=f"{float(v) * 100:g}",
                        status=report._t(f"targets.status.{row[f'status_{year}']}", year=year))
                for year, v in sorted(indicator.targets.items())]
    return report._t("sections.targets.district_now", indicator=report._indicator_label(indicator.id),
                   value=report.pct(row["estimate"]), interval=report.interval(row["ci_low"], row["ci_high"]),
                   statuses=_join(report, statuses))


def targets_section(report: DistrictReport) -> Section:
    """Indicators with targets against each target, with the target year taken into account."""
    tables, figs = [], []
    prose = [report._t("sections.targets.prose")]
    for indicator in (i for i in report.indicators if i.targets):
        rows = target_rows(report, indicator)
        label = report._indicator_label(indicator.id)
        display = pd.DataFrame({
            report._t("columns.area"): np.where(rows["area"] == "city", report.city_name, report.district_name),
            report._t("columns.wave"): rows["wave"].astype(int).astype(str),
            report._t("columns.percent_ci"): formatting.percent_with_ci(rows),
            report._t("columns.n"): formatting.number(rows["n"]),
        })
        for year, value in sorted(indicator.targets.items()):
            display[report._t("columns.target_status", year=year, value=f"{float(value) * 100:g}")] = \
                rows[f"status_{year}"].map(lambda s, y=year: report._t(f"targets.status.{s}", year=y))
        prose.append(target_sentence(report, indicator, rows))
        targets = {str(y): float(v) for y, v in indicator.targets.items()}
        tables.append(ReportTable(f"targets_{indicator.id}", report._t("sections.targets.table_caption",
                                                                         indicator=label), display, rows,
                                  report._notes(report._t("sections.targets.notes"), shown=rows)))
        fig = figures.literacy_against_targets(
            rows.assign(district=rows["area"]), targets, district_name=report.district_name,
            city_name=report.city_name, ylabel=report._t("axes.indicator_percent", indicator=label),
            target_label=lookup("axes.target_line", report.lang))
        figs.append(ReportFigure(
            f"targets_{indicator.id}", fig,
            alt=report._t("figures.targets.alt", indicator=label, targets=_join(
                report, [report._t("targets.line", year=y, value=f"{v * 100:g}") for y, v in sorted(targets.items())])),
            caption=report._t("figures.targets.caption", indicator=label)))
    return report._finish(Section("targets", report._t("sections.targets.title"), report.sentences(prose),
                                tables, figs))

