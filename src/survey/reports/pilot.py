"""The pilot section of a district report, and its appendix of every other estimate.

The section (only in a study with a pilot) shows, for a pilot district:

* when the pilot started, set against each round's fieldwork (the baseline must be fielded
  before the start; the rule is the effects step's: a round counts as after the start when its
  fieldwork began on or after it);
* one row per outcome on the *primary* interval, the one the study declared before the
  results (``analysis.effects.primary_interval``; the effects table's ``primary`` rows);
* a one-line verdict from that interval (significant when it excludes 0);
* a chart of the pilot districts against the comparison districts in each round.

Every other estimate (other models and intervals) goes to the appendix, with plain-language
labels and a glossary of the terms used. A comparison district gets one line saying so.

Example
-------
>>> show(pilot_section(report))        # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from survey.reports import figures, formatting
from survey.reports.section import ReportFigure, ReportTable, Section
from survey.reports.text import label_of, lookup, study_label

if TYPE_CHECKING:
    from survey.reports.content import DistrictReport

#: Models whose estimate is a difference on the outcome's own scale (the primary rows' models).
PRIMARY_MODELS = ("did_lpm", "did_linear")


def _programme(report: DistrictReport) -> str:
    pilot = report.study.config.pilot
    return study_label(pilot.name if pilot else None, report.lang, default=report._t("pilot.programme"))


def effect_rows(report: DistrictReport, rows: pd.DataFrame) -> pd.DataFrame:
    """Effects with display scale and unit: percentage points for proportions, score points, odds ratios."""
    rows = rows.copy()
    proportions = {i.id for i in report.study.indicators}
    is_ratio = rows["model"].astype(str).str.contains(r"odds|(?:^|_)or(?:$|_)", regex=True)
    scale = np.where(rows["indicator"].isin(proportions) & ~is_ratio, 100.0, 1.0)
    rows["unit"] = np.where(is_ratio, "odds_ratio", np.where(scale == 100.0, "percentage_points", "score_points"))
    for column in ("estimate", "ci_low", "ci_high"):
        rows[f"shown_{column}"] = rows[column] * scale
    null = np.where(is_ratio, 1.0, 0.0)
    rows["significant"] = (rows["ci_low"] > null) | (rows["ci_high"] < null)
    return rows


def primary_rows(report: DistrictReport) -> pd.DataFrame:
    """The effects on the study's primary interval, one row per outcome."""
    effects = report.rows.effects
    if "primary" in effects.columns and effects["primary"].astype(bool).any():
        rows = effects[effects["primary"].astype(bool)]
    else:
        from survey.effects.study import primary_interval

        method = primary_interval(report.study, int(effects["n_clusters"].max()))
        rows = effects[effects["model"].isin(PRIMARY_MODELS) & (effects["method"] == method)]
    return effect_rows(report, rows.reset_index(drop=True))


def _effect_text(report: DistrictReport, row) -> str:
    """A difference signed (``+3.71 (−3.06, 10.05)``); an odds ratio as a ratio (``1.18 (0.93–1.49)``)."""
    values = [row.shown_estimate, row.shown_ci_low, row.shown_ci_high]
    if row.unit == "odds_ratio":
        estimate, low, high = (formatting.number_text(v, 2) for v in values)
        return f"{estimate} ({low}–{high})"
    estimate, low, high = (formatting.number_text(v, 2, signed=i == 0) for i, v in enumerate(values))
    return f"{estimate} ({low}, {high})"


def verdict_sentence(report: DistrictReport, rows: pd.DataFrame) -> str:
    """One line: each outcome's effect on the primary interval, and whether it is significant."""
    if rows.empty:
        return ""
    items = [report._t("pilot.verdict_item_significant" if r.significant else "pilot.verdict_item_not",
                       outcome=report._indicator_label(r.indicator), effect=_effect_text(report, r),
                       unit=label_of("effect_units", r.unit, report.lang))
             for r in rows.itertuples()]
    method = label_of("effect_methods", rows["method"].iloc[0], report.lang)
    separator = lookup("list_separator_clauses", report.lang)
    return report._t("pilot.verdict", programme=_programme(report), interval=method, items=separator.join(items),
                     level=f"{report.level * 100:g}")


def timing_sentence(report: DistrictReport) -> str:
    """The start set against each round's fieldwork (before, straddling or after)."""
    start = report.rows.pilot_start_date
    parts = [report._t("pilot.start", programme=_programme(report), start=report.date_text(start))]
    for wave in report.waves:
        if wave > report.wave:
            continue
        first, last = report.fieldwork(wave)
        if first is None or isinstance(start, (int, np.integer)):
            when = "after" if wave > (start if isinstance(start, (int, np.integer)) else pd.Timestamp(start).year) \
                else "before"
            parts.append(report._t(f"pilot.wave_{when}_year", round=wave))
            continue
        start_day = pd.Timestamp(start)
        when = "before" if last < start_day else ("straddles" if first < start_day else "after")
        parts.append(report._t(f"pilot.wave_{when}", round=wave, first=report.date_text(first),
                               last=report.date_text(last)))
    return report.sentences(parts)


def _trend_figure(report: DistrictReport) -> ReportFigure | None:
    trends = report.rows.trends
    if trends.empty:
        return None
    wanted = list(dict.fromkeys(trends["indicator"]))
    titles = {i: report._indicator_label(i) for i in wanted}
    dates = {}
    for wave in trends["wave"].unique():
        first, last = report.fieldwork(int(wave))
        dates[wave] = first + (last - first) / 2 if first is not None else None
    fig = figures.pilot_before_after(
        trends, panel_titles=titles, group_names={"pilot": report._t("pilot.group_pilot"),
                                                  "comparison": report._t("pilot.group_comparison")},
        start=report.rows.pilot_start_date, start_label=report._t("pilot.start_line"),
        ylabel=report._t("axes.percent_ci"), wave_dates=dates if all(v is not None for v in dates.values()) else None)
    values = []
    for row in trends.itertuples():
        values.append(report._t("pilot.trend_value", group=report._t(f"pilot.group_{row.group}"), wave=row.wave,
                                indicator=titles[row.indicator], value=report.pct(row.estimate),
                                interval=report.interval(row.ci_low, row.ci_high)))
    alt = report._t("figures.pilot.alt", start=report.date_text(report.rows.pilot_start_date),
                    values=lookup("list_separator", report.lang).join(values))
    return ReportFigure("pilot_trends", fig, alt=alt, caption=report._t("figures.pilot.caption",
                                                                        method=report._method_label()))


def pilot_section(report: DistrictReport) -> Section:
    """The pilot's effect in a pilot district (primary interval, verdict, chart); one line elsewhere."""
    title = report._t("sections.pilot.title")
    programme = _programme(report)
    if report.rows.pilot_start is None:
        return report._finish(Section("pilot", title, report._t("pilot.not_pilot", programme=programme)))
    effects = report.rows.effects
    if effects.empty:
        key = "pilot.no_effects_one_wave" if not report.capabilities["effects"] else "pilot.no_effects"
        return report._finish(Section("pilot", title, report._t(key, programme=programme,
                                                                start=report.date_text(report.rows.pilot_start_date))))
    rows = primary_rows(report)
    display = pd.DataFrame({
        report._t("columns.outcome"): rows["indicator"].map(report._indicator_label).to_numpy(),
        report._t("columns.effect_primary", level=f"{report.level * 100:g}"): [_effect_text(report, r)
                                                                               for r in rows.itertuples()],
        report._t("columns.unit"): [label_of("effect_units", u, report.lang) for u in rows["unit"]],
        report._t("columns.p_value"): rows["p_value"].map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}",
                                                          na_action="ignore").fillna(formatting.MISSING).to_numpy(),
        report._t("columns.verdict"): [report._t("pilot.significant" if s else "pilot.not_significant")
                                       for s in rows["significant"]],
    })
    method = rows["method"].iloc[0] if len(rows) else ""
    paragraphs = [f"**{verdict_sentence(report, rows)}**", timing_sentence(report),
                  report._t("sections.pilot.prose", programme=programme)]
    notes = report._t("sections.pilot.notes", interval=label_of("effect_methods", method, report.lang),
                      rule=report._t(f"pilot.rule_{report.study.config.analysis.effects.primary_interval}"),
                      clusters=int(effects["n_clusters"].max()))
    figure = _trend_figure(report)
    return report._finish(Section("pilot", title, "\n\n".join(p for p in paragraphs if p.strip("*")), [
        ReportTable("pilot_effects", report._t("sections.pilot.table_caption"), display,
                    effects.reset_index(drop=True), notes)], [figure] if figure else []))


def pilot_appendix(report: DistrictReport) -> Section:
    """Appendix: every estimate other than the primary ones, in plain words, with a glossary."""
    effects = report.rows.effects
    primary = primary_rows(report)
    keys = ["indicator", "model", "method"]
    others = effects.merge(primary[keys], on=keys, how="left", indicator=True)
    others = effect_rows(report, others[others["_merge"] == "left_only"].drop(columns="_merge"))
    display = pd.DataFrame({
        report._t("columns.outcome"): others["indicator"].map(report._indicator_label).to_numpy(),
        report._t("columns.model"): others["model"].map(lambda m: label_of("effect_models", m, report.lang)).to_numpy(),
        report._t("columns.inference"): others["method"].map(
            lambda m: label_of("effect_methods", m, report.lang)).to_numpy(),
        report._t("columns.effect", level=f"{report.level * 100:g}"): [_effect_text(report, r)
                                                                       for r in others.itertuples()],
        report._t("columns.unit"): [label_of("effect_units", u, report.lang) for u in others["unit"]],
        report._t("columns.p_value"): others["p_value"].map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}",
                                                            na_action="ignore").fillna(formatting.MISSING).to_numpy(),
    })
    glossary = lookup("glossary", report.lang)
    models = lookup("effect_models", report.lang)
    used = [*dict.fromkeys(effects["model"]), *dict.fromkeys(effects["method"])]
    terms = [report._t("pilot.glossary_item", term=label_of("effect_models" if t in models else "effect_methods", t,
                                                            report.lang), meaning=glossary[t])
             for t in used if t in glossary]
    terms.append(report._t("pilot.glossary_item", term=report._t("pilot.did_term"), meaning=glossary["did"]))
    prose = report._t("sections.pilot_appendix.prose") + "\n\n" + "\n".join(f"- {t}" for t in terms)
    return report._finish(Section("pilot_appendix", report._t("sections.pilot_appendix.title"), prose, [
        ReportTable("pilot_effects_other", report._t("sections.pilot_appendix.table_caption"), display,
                    others.drop(columns=[c for c in others.columns if c.startswith("shown_")]).reset_index(drop=True),
                    report._t("sections.pilot_appendix.notes"))]))
