"""The subgroup section: each declared subgroup variable's levels, tested against the rest of the district.

The table shows every indicator by level with ``n`` beside each percentage and the marks of the
rule that fired (``—`` where a group does not belong to the indicator's population, not counted as
suppressed). The sentences name, per indicator, the groups doing significantly worse than the
other residents of the district (higher, or lower for an indicator with targets), from the tests
of :mod:`survey.reports.comparisons` — never from point estimates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from survey.reports import formatting, marks
from survey.reports.section import ReportTable, Section
from survey.reports.text import lookup

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport


def _join(report: DistrictReport, items: list[str]) -> str:
    return lookup("list_separator", report.lang).join(items)


def subgroup_rows(report: DistrictReport) -> pd.DataFrame:
    """This wave's subgroup estimates of the district (crude), with each level's test against the rest."""
    sub = report.rows.subgroups
    sub = sub[(sub["wave"] == report.wave) & (sub["district"] == report.district)].copy()
    tests = report.rows.subgroup_tests
    tests = tests[tests["wave"] == report.wave][["variable", "level", "indicator", "estimate", "ci_low", "ci_high",
                                               "p_value", "estimate_rest", "direction"]]
    tests = tests.rename(columns={"estimate": "difference", "ci_low": "difference_ci_low",
                                  "ci_high": "difference_ci_high", "estimate_rest": "rest_estimate"})
    sub = sub.merge(tests, on=["variable", "level", "indicator"], how="left")
    sub["direction"] = sub["direction"].fillna("untested")
    sub["variable_label"] = sub["variable"].map(report._variable_label)
    sub["level_label"] = [report._level_names(v).get(lv, lv) for v, lv in zip(sub["variable"], sub["level"],
                                                                             strict=True)]
    sub["label"] = sub["indicator"].map(report._indicator_label)
    return sub


def worst_groups(report: DistrictReport, sub: pd.DataFrame, indicator: str, limit: int = 3) -> pd.DataFrame:
    """The groups significantly worse than the rest of the district on an indicator, worst first.

    Worse is higher, or lower for an indicator with targets (targets are minimums).
    """
    worse = "lower" if report.higher_is_better(indicator) else "higher"
    rows = sub[(sub["indicator"] == indicator) & (sub["direction"] == worse)]
    return rows.reindex(rows["difference"].abs().sort_values(ascending=False).index).head(limit)


def group_text(report: DistrictReport, row) -> str:
    return report._t("subgroups.group", variable=row.variable_label, level=row.level_label,
                   value=report.pct(row.estimate), interval=report.interval(row.ci_low, row.ci_high),
                   rest=report.pct(row.rest_estimate))


def subgroups_section(report: DistrictReport) -> Section:
    """Indicators by each declared subgroup variable, n beside every percentage, marks by the rule that fired."""
    sub = subgroup_rows(report)
    variables = [v for v in report.study.config.subgroups if v in set(sub["variable"])]
    sub["cell"] = formatting.with_n(formatting.percent_with_ci(sub), sub["n"]).to_numpy()
    sub["_v"] = sub["variable"].map({v: i for i, v in enumerate(variables)})
    sub["_l"] = [report._level_order(v, sub.loc[sub["variable"] == v, "level"]).index(lv)
                 for v, lv in zip(sub["variable"], sub["level"], strict=True)]
    sub = sub.sort_values(["_v", "_l"])
    ids = [i.id for i in report.indicators if i.id in set(sub["indicator"])]
    wide = sub.pivot_table(index=["_v", "_l", "variable_label", "level_label"], columns="indicator",
                           values="cell", aggfunc="first").reset_index()
    display = pd.DataFrame({report._t("columns.subgroup"): wide["variable_label"],
                            report._t("columns.level"): wide["level_label"]})
    for indicator in ids:
        display[report._indicator_label(indicator)] = wide[indicator].fillna(marks.NOT_APPLICABLE).to_numpy()
    counted = marks.counts(sub)
    names = [report._variable_label(v) for v in variables]
    prose = [report._t("sections.subgroups.prose", variables=_join(report, names),
                       method=report._method_label("crude"))]
    prose.append(report._t("sections.subgroups.counts", cells=counted["cells"], suppressed=counted["suppressed"]))
    if counted["not_applicable"]:
        prose.append(report._t("sections.subgroups.not_applicable", count=counted["not_applicable"]))
    if report.method != "crude":
        prose.append(report._t("sections.subgroups.crude_note", method=report._method_label()))
    named = []
    for indicator in ids:
        worst = worst_groups(report, sub, indicator)
        if len(worst):
            key = "subgroups.worst_lower" if report.higher_is_better(indicator) else "subgroups.worst_higher"
            named.append(report._t(key, indicator=report._indicator_label(indicator),
                                 groups=_join(report, [group_text(report, r) for r in worst.itertuples()])))
    if named:
        prose += named
    elif sub["direction"].eq("no_difference").any():
        prose.append(report._t("subgroups.none_worse"))
    else:
        prose.append(report._t("subgroups.none_tested"))
    data = sub.drop(columns=["_v", "_l", "cell"]).reset_index(drop=True)
    notes = report._notes(report._t("sections.subgroups.notes"), shown=sub)
    return report._finish(Section("subgroups", report._t("sections.subgroups.title"), report.sentences(prose),
                                [ReportTable("subgroups", report._t("sections.subgroups.table_caption",
                                                                  method=report._method_label("crude")),
                                             display, data, notes)]))

