"""The definitions box and the methods note of a district report, written from the study's own configuration.

* :func:`definitions_section` — a screen is not a diagnosis (screen-positive rates, not
  prevalence); each indicator's instrument, cut-off (the value the study scores with) and
  citation; which rates the report shows and what each is for; the standard population by
  name, source and status; one adult population figure for the district with its source (and
  the service table's resident population, a different quantity, when there is one).
* :func:`methods_section` — the sample design as declared (strata, stages and what the units
  are called, FPC, weights as ``design.weight_note`` says), the weighting of the comparison
  rate, intervals, the tests behind the comparisons at the study's level, the change between
  rounds (with two or more), the primary interval of the pilot evaluation (with a pilot) and
  the publication rule set with its thresholds.

Nothing is said that the study does not have: no second stage, FPC, raking, standardisation,
change or pilot sentence without them.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import pandas as pd

import survey
from survey.reports import formatting
from survey.reports.definitions import indicator_definitions, standard_population_facts
from survey.reports.section import ReportTable, Section
from survey.reports.text import label_of, lookup, study_label

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport


def _join(report: DistrictReport, items: list[str]) -> str:
    return lookup("list_separator", report.lang).join(items)


def shows_standardised(report: DistrictReport) -> bool:
    """Whether the report shows age-standardised rates (as the comparison rate or beside it)."""
    return report.capabilities["standardisation"] and (
        report.method == "standardised" or (report.rows.prevalence["method"] == "standardised").any())


def definitions_section(report: DistrictReport) -> Section:
    """Definitions: screens, cut-offs and citations, rates, standard population, population figures."""
    lang = report.lang
    definitions = indicator_definitions(report.study, lang)
    labels = {i.id: report._indicator_label(i.id) for i in report.indicators}
    definitions = definitions[definitions["indicator"].isin(labels)]
    items = []
    screens = [labels[i] for i in definitions.loc[definitions["screen"].astype(bool), "indicator"]]
    if screens:
        items.append(report._t("definitions.screen", indicators=_join(report, screens)))
    uses = [report._t(f"definitions.use_{key}") for key in ("key_indicators", "change", "targets")
            if key in report.section_keys()]
    rates = [report._t("definitions.rate_comparison", method=report._method_label(),
                       uses=_join(report, uses))]
    if report.capabilities["subgroups"] and report.method != "crude":
        rates.append(report._t("definitions.rate_subgroups", method=report._method_label("crude")))
    if shows_standardised(report) and report.method != "standardised":
        rates.append(report._t("definitions.rate_standardised_shown"))
    items.append(report.sentences(rates))
    facts = standard_population_facts(report.study) if shows_standardised(report) else None
    if facts:
        items.append(report._t("definitions.standard", title=facts["title"], source=facts["source"],
                               status=facts["status"] or formatting.MISSING))
        if facts["approximate"]:
            items.append(report._t("definitions.standard_approximate"))
    items.append(population_sentence(report))
    prose = "\n".join(f"- {item}" for item in items if item)
    sources = [c for c in dict.fromkeys(definitions["citation"]) if c]
    number = {c: i + 1 for i, c in enumerate(sources)}
    display = pd.DataFrame({
        report._t("columns.indicator"): definitions["indicator"].map(labels).to_numpy(),
        report._t("columns.instrument"): definitions["instrument_name"].replace("", formatting.MISSING).to_numpy(),
        report._t("columns.definition"): definitions["rule"].to_numpy(),
        report._t("columns.kind"): [report._t("definitions.kind_screen" if s else "definitions.kind_criterion")
                                    for s in definitions["screen"]],
        report._t("columns.citation"): [f"[{number[c]}]" if c else formatting.MISSING
                                        for c in definitions["citation"]],
    })
    references = lookup("list_separator_clauses", report.lang).join(f"[{number[c]}] {c}" for c in sources)
    notes = report.sentences([report._t("sections.definitions.notes"),
                              report._t("definitions.references", references=references) if sources else ""])
    return Section("definitions", report._t("sections.definitions.title"), prose, [
        ReportTable("definitions", report._t("sections.definitions.table_caption"), display,
                    definitions.reset_index(drop=True), notes)])


def population_sentence(report: DistrictReport) -> str:
    """The district's one adult population figure and its source; the services' resident population apart."""
    figures = report.rows.population
    own = figures[(figures["district"] == report.district) & (figures["wave"] == report.wave)]
    parts = []
    if len(own):
        row = own.iloc[0]
        source = report._t(f"definitions.population_source_{row['source']}",
                           file=report.study.config.margins.file if report.study.config.margins else "")
        parts.append(report._t("definitions.population", population=formatting.number(
            pd.Series([row["population"]])).iloc[0], source=source))
    services = report.rows.services
    services = services[services["district"] == report.district]
    if report.capabilities["services"] and len(services):
        last = services.sort_values("year").iloc[-1]
        parts.append(report._t("definitions.population_services", year=int(last["year"]),
                               population=formatting.number(pd.Series([last["population"]])).iloc[0],
                               file=report.study.config.services.yearly))
    return report.sentences(parts)


def _rule_settings(report: DistrictReport) -> dict:
    from survey.estimation.publication import RULES

    publication = report.study.config.publication
    defaults = {name: p.default for name, p in inspect.signature(RULES[publication.rules]).parameters.items()
                if p.kind == p.KEYWORD_ONLY}
    return {**defaults, **publication.settings}


#: Settings that are fractions shown as percentages (``{name_pct}`` in the wording).
PERCENT_SETTINGS = ("max_relative_width", "caution_cv", "suppress_cv", "max_rse")


def publication_sentence(report: DistrictReport) -> str:
    """The study's publication rule set in words, with its thresholds (the study's settings or the defaults)."""
    settings = _rule_settings(report)
    values = {k: formatting.MISSING if v is None else f"{v:g}" for k, v in settings.items()}
    values.update({f"{k}_pct": f"{settings[k] * 100:g}" for k in PERCENT_SETTINGS if settings.get(k) is not None})
    text = report._t(f"publication.{report.study.config.publication.rules}", **values)
    if settings.get("min_n") is not None:
        text += report._t("publication.min_n", min_n=values["min_n"])
    return text


def methods_section(report: DistrictReport) -> Section:
    """Methods: design, weighting, intervals, tests, change, pilot inference, publication rule, software."""
    design = report.study.design
    variables = lookup("variables", report.lang)
    strata = _join(report, [variables.get(s, s) for s in design.strata])
    psu, ssu = report._psu_names()
    if design.ssu:
        stages = report._t("methods_text.stages_two", psu=psu, ssu=ssu)
    elif design.psu:
        stages = report._t("methods_text.stages_one", psu=psu)
    else:
        stages = report._t("methods_text.stages_none")
    key = "methods_text.design_strata" if design.strata else "methods_text.design_unstratified"
    parts = [report._t(key, strata=strata, stages=stages)]
    if design.ssu:
        parts.append(report._t("methods_text.second_stage", psu=psu, ssu=ssu))
    if design.fpc:
        parts.append(report._t("methods_text.fpc", psu=psu))
    parts.append(report._t("methods_text.weights_note", note=design.weight_note.get(report.lang)) if design.weight_note
                 else report._t("methods_text.weights_design"))
    if report.method == "raked":
        margin_names = [label_of("subgroup_variables", v, report.lang) if v != report.study.district_column
                        else variables.get("district", v) for v in report.study.config.margins.variables]
        parts.append(report._t("methods_text.raked", variables=_join(report, margin_names)))
    if shows_standardised(report):
        facts = standard_population_facts(report.study)
        parts.append(report._t("methods_text.standardised", standard=facts["title"] if facts else ""))
    parts.append(report._t("methods_text.intervals"))
    parts.append(report._t("methods_text.versus_rest", method=report._method_label()))
    if report.method != "crude":
        parts.append(report._t("methods_text.versus_rest_weighting"))
    if report.capabilities["subgroups"]:
        parts.append(report._t("methods_text.subgroup_tests"))
    if "change" in report.section_keys():
        parts.append(report._t("methods_text.change"))
    if report.capabilities["effects"] and report.study.config.pilot is not None:
        choice = report.study.config.analysis.effects.primary_interval
        parts.append(report._t("methods_text.primary_interval", rule=report._t(f"pilot.rule_{choice}")))
    parts.append(publication_sentence(report))
    parts.append(report._t("methods_text.software", version=survey.__version__))
    study_title = study_label(report.study.config.title, report.lang, default=report.study.id)
    parts.append(report._t("methods_text.data", study_title=study_title, version=report.rows.data_version))
    return Section("methods", report._t("sections.methods.title"), "\n".join(f"- {p}" for p in parts))
