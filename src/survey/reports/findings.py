"""要点 / Key findings: three to five plain sentences at the top of a district report, true by construction.

Each sentence is built from a tested comparison (:mod:`survey.reports.comparisons`), never from
point estimates or overlapping intervals alone, and only when the study supports it:

1. the level against the rest of the city (which indicators are significantly higher or
   lower at the study's level) and, with targets, where the district stands against them;
2. the change since the previous round (with two or more waves);
3. the group doing worst, with its interval (with subgroups, when a contrast is significant);
4. the pilot verdict on the primary interval (in a pilot district with effect estimates);
5. a data-quality caveat (suppressed or review-flagged estimates, an approximate standard
   population) when there is one.

Example
-------
>>> print(key_findings(report).prose)      # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.reports import marks
from survey.reports.section import Section
from survey.reports.subgroups import subgroup_rows, worst_groups
from survey.reports.targets import target_rows, target_sentence

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport


def level_sentence(report: DistrictReport) -> str:
    """Which indicators differ significantly from the rest of the city, and by how much."""
    table = report.indicator_rows()
    rows = table[table["compared_with_rest"].isin(["higher", "lower"])]
    if rows.empty:
        tested = table["compared_with_rest"].eq("no_difference").any()
        return report._t("findings.level_none" if tested else "findings.level_untested",
                         method=report._method_label())
    items = [report._t(f"findings.level_item_{r.compared_with_rest}", indicator=r.label, value=report.pct(r.estimate),
                       interval=report.interval(r.ci_low, r.ci_high), rest=report.pct(r.rest_estimate))
             for r in rows.itertuples()]
    same = int(table["compared_with_rest"].eq("no_difference").sum())
    sentence = report._t("findings.level", items=_join(report, items), method=report._method_label())
    if same:
        sentence += report._t("findings.level_rest_same", count=same)
    return sentence


def target_sentences(report: DistrictReport) -> list[str]:
    if not report.capabilities["targets"]:
        return []
    out = []
    for indicator in (i for i in report.indicators if i.targets):
        sentence = target_sentence(report, indicator, target_rows(report, indicator))
        if sentence:
            out.append(sentence)
    return out


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
    """Suppressed and review-flagged estimates of the key indicators; an approximate standard population."""
    table = report.indicator_rows()
    counted = marks.counts(table[["estimate", "n", "flag", "flag_reason"]])
    parts = []
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
    sentences = [level_sentence(report), *target_sentences(report), change_sentence(report),
                 worst_group_sentence(report), pilot_sentence(report), caveat_sentence(report)]
    sentences = [s for s in sentences if s]
    prose = "\n".join(f"- {s}" for s in sentences)
    prose += "\n\n" + report._t("findings.how", alpha=report.alpha_text)
    return Section("key_findings", report._t("sections.key_findings.title"), prose)
