"""要点 / Key findings: three to five plain sentences at the top of a district report, true by construction.

Each sentence is built from a tested comparison (:mod:`survey.reports.comparisons`), never from
point estimates or overlapping intervals alone, and only when the study supports it:

1. each indicator's level, whether it is significantly higher or lower than in the rest of the
   city at the study's level and, with targets, where it stands against them;
2. the change since the previous round (with two or more waves);
3. the group doing worst, with its interval (with subgroups, when a contrast is significant);
4. the pilot verdict on the primary interval (in a pilot district with effect estimates);
5. what the numbers rest on (respondents and sampling units), with the data caveats that apply
   (suppressed or review-flagged estimates, an approximate standard population).

Example
-------
>>> print(key_findings(report).prose)      # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from survey.reports import marks
from survey.reports.section import Section
from survey.reports.subgroups import subgroup_rows, worst_groups
from survey.reports.targets import target_rows

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport


def level_sentence(report: DistrictReport) -> str:
    """Each indicator's level, whether it differs significantly from the rest of the city, and its targets."""
    table = report.indicator_rows()
    targets = {}
    if report.capabilities["targets"]:
        for indicator in (i for i in report.indicators if i.targets):
            statuses = target_statuses(report, indicator)
            if statuses:
                targets[indicator.id] = statuses
    shown = marks.unmarked(table)
    items = []
    for row, published in zip(table.itertuples(), shown, strict=True):
        if not published or pd.isna(row.estimate):
            items.append(report._t("findings.level_item_withheld", indicator=row.label))
            continue
        verdict = row.compared_with_rest if row.compared_with_rest in ("higher", "lower", "no_difference") \
            else "untested"
        item = report._t(f"findings.level_item_{verdict}", indicator=row.label, value=report.pct(row.estimate),
                         interval=report.interval(row.ci_low, row.ci_high), rest=report.pct(row.rest_estimate))
        if row.indicator in targets:
            item += report._t("findings.level_targets", statuses=targets[row.indicator])
        items.append(item)
    return report._t("findings.level", items=_join(report, items), method=report._method_label())


def target_statuses(report: DistrictReport, indicator) -> str:
    """``2022 target (≥ 20%) met, 2030 target (≥ 30%) not yet reached`` for this wave, '' if not published."""
    rows = target_rows(report, indicator)
    own = rows[(rows["area"] == "district") & (rows["wave"] == report.wave)]
    if own.empty or not marks.unmarked(own)[0]:
        return ""
    row = own.iloc[0]
    from survey.reports.text import lookup

    return lookup("list_separator", report.lang).join(
        report._t("targets.status_item", year=year, value=f"{float(v) * 100:g}",
                  status=report._t(f"targets.status.{row[f'status_{year}']}", year=year))
        for year, v in sorted(indicator.targets.items()))


def change_sentence(report: DistrictReport) -> str:
    if "change" not in report.section_keys():
        return ""
    table = report.change_rows()
    before = int(table["wave_from"].iloc[0])
    moved = table[table["direction"].isin(["increase", "decrease"])]
    if moved.empty:
        tested = table["direction"].eq("no_difference").any()
        return report._t("findings.change_none", before=before) if tested else ""
    items = [report._t(f"findings.change_item_{r.direction}", indicator=r.label,
                       change=report.points(r.estimate), low=report.points(r.ci_low), high=report.points(r.ci_high))
             for r in moved.itertuples()]
    return report._t("findings.change", before=before, items=_join(report, items))


def worst_group_sentence(report: DistrictReport) -> str:
    """The group doing worst on one indicator, with its interval, from a significant contrast."""
    if not report.capabilities["subgroups"]:
        return ""
    sub = subgroup_rows(report)
    candidates = []
    for indicator in report.indicators:
        worst = worst_groups(report, sub, indicator.id, limit=1)
        if len(worst):
            candidates.append(worst.iloc[0])
    if not candidates:
        return report._t("findings.groups_none") if sub["direction"].eq("no_difference").any() else ""
    row = max(candidates, key=lambda r: abs(r["difference"]))
    key = "findings.group_lower" if report.higher_is_better(row["indicator"]) else "findings.group_higher"
    return report._t(key, indicator=row["label"], variable=row["variable_label"], level=row["level_label"],
                     value=report.pct(row["estimate"]), interval=report.interval(row["ci_low"], row["ci_high"]),
                     rest=report.pct(row["rest_estimate"]))


def pilot_sentence(report: DistrictReport) -> str:
    if not report.capabilities["pilot"] or report.rows.pilot_start is None or report.rows.effects.empty:
        return ""
    from survey.reports.pilot import primary_rows, verdict_sentence

    return verdict_sentence(report, primary_rows(report))


def caveat_sentence(report: DistrictReport) -> str:
    """What the numbers rest on (respondents, sampling units), and the caveats: suppressed and review-flagged
    key indicators, an approximate standard population."""
    table = report.indicator_rows()
    counted = marks.counts(table[["estimate", "n", "flag", "flag_reason"]])
    sample = report.rows.sample
    own = sample[(sample["district"] == report.district) & (sample["wave"] == report.wave)]
    parts = []
    if len(own):
        psu, _ = report._psu_names()
        units = report._t("findings.basis_units", psus=int(own["psus"].iloc[0]), psu=psu) \
            if report.study.design.psu else ""
        parts.append(report._t("findings.basis", respondents=f"{int(own['respondents'].iloc[0]):,}", units=units))
    if counted["suppressed"]:
        parts.append(report._t("findings.caveat_suppressed", count=counted["suppressed"], mark=marks.SUPPRESSED))
    if counted["review"]:
        parts.append(report._t("findings.caveat_review", count=counted["review"]))
    from survey.reports.definitions import standard_population_facts

    facts = standard_population_facts(report.study)
    shows_standardised = report.method == "standardised" or "standardised_estimate" in table
    if facts and facts["approximate"] and shows_standardised:
        parts.append(report._t("findings.caveat_standard"))
    return report.sentences(parts)


def _join(report: DistrictReport, items: list[str]) -> str:
    from survey.reports.text import text

    return text("list_separator_clauses", report.lang).join(items)


def key_findings(report: DistrictReport) -> Section:
    """The key-findings section: a short list, each item one tested statement."""
    sentences = [level_sentence(report), change_sentence(report),
                 worst_group_sentence(report), pilot_sentence(report), caveat_sentence(report)]
    sentences = [s for s in sentences if s]
    prose = "\n".join(f"- {s}" for s in sentences)
    prose += "\n\n" + report._t("findings.how", alpha=report.alpha_text)
    return Section("key_findings", report._t("sections.key_findings.title"), prose)
