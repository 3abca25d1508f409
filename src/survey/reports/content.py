"""What a district report says, section by section, in Chinese or English.

:class:`DistrictReport` checks the report's parameters (the district exists, the wave is one
of the study's, the language is known: papermill only warns about a misspelled parameter, so
the notebook must fail loudly itself), loads the earlier steps' outputs once
(:class:`~survey.reports.inputs.ReportData`) and builds each section as a
:class:`~survey.reports.section.Section`: prose from the language files, tables and figures
from the estimation, effects, service and validation tables. Every section is saved as it is
built when the report has an ``output_dir`` (tables as CSV and XLSX, figures as PNG and SVG).

The notebook ``notebooks/district_report.ipynb`` only calls these methods and shows the
result; nothing is computed in the notebook.

Example
-------
>>> from survey.reports.content import DistrictReport
>>> from survey.reports.section import show
>>> report = DistrictReport("data/demo/study.yaml", "linjiang", lang="en")   # doctest: +SKIP
>>> show(report.key_indicators())                                          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import survey
from survey.errors import ConfigError
from survey.reports import figures, formatting
from survey.reports.inputs import CITY, SUBGROUP_VARIABLES, ReportData, _level_key
from survey.reports.section import ReportFigure, ReportTable, Section
from survey.reports.text import check_language, label_of, lookup, study_label, text
from survey.study import Study, load_study

PER_RESIDENTS = 100_000
#: The pilot-effect rows a report shows (the saved table has them all): the linear
#: difference-in-differences (percentage points for proportions, points for scores) with
#: design-based inference and the wild cluster bootstrap with Webb weights, the inference meant
#: for few clusters (Webb 2014; MacKinnon & Webb 2018).
PILOT_MODELS = ("did_lpm", "did_linear")
PILOT_METHODS = ("design", "wcr_webb")
SERVICE_RATES = {"counsellors": "counsellors_per_100k", "counselling_rooms": "rooms_per_100k",
                 "hotline_calls": "hotline_calls_per_100k"}


def _join(items: list[str], lang: str) -> str:
    return text("list_separator", lang).join(items)


class DistrictReport:
    """One district's report: checked parameters, the data it shows and a method per section.

    Parameters
    ----------
    study : Study or path
        The study (or its ``study.yaml``).
    district : str
        District code (as in the study's district table).
    wave : int, optional
        The survey round the report is about; default the study's latest.
    lang : {"zh", "en"}
    output_dir : path, optional
        Where to save tables and figures; nothing is saved without it.
    data : ReportData, optional
        Already loaded inputs (the runner loads them once for every district).
    """

    def __init__(self, study: Study | str | Path, district: str, wave: int | None = None, lang: str = "zh",
                 output_dir: str | Path | None = None, data: ReportData | None = None):
        self.lang = check_language(lang)
        self.study = study if isinstance(study, Study) else load_study(study)
        self.data = data if data is not None else ReportData.load(self.study)
        self.rows = self.data.for_district(str(district))
        self.district = str(district)
        waves = sorted(int(w) for w in (self.study.waves or self.data.prevalence["wave"].unique()))
        if wave in (None, "", 0):
            wave = waves[-1]
        try:
            wave = int(wave)
        except (TypeError, ValueError):
            raise ConfigError(f"wave: expected one of {', '.join(map(str, waves))}, found {wave!r}") from None
        if wave not in waves:
            raise ConfigError(f"wave: expected one of {', '.join(map(str, waves))}, found {wave!r}")
        self.wave = wave
        self.waves = waves
        self.output_dir = Path(output_dir) if output_dir else None
        self.method = self.rows.method
        names = self.study.districts().set_index("code")
        self.district_name = str(names.loc[self.district, "name_zh" if lang == "zh" else "name_en"])
        self.city_name = study_label(self.study.config.city, lang, default=text("city", lang))
        self.indicators = [i for i in self.study.indicators
                           if i.id in set(self.data.prevalence["indicator"])]

    @classmethod
    def from_parameters(cls, study: str | Path, district: str, wave: int, lang: str, output_dir: str | Path,
                        run_missing_steps: bool = True, inputs_file: str | Path = "") -> DistrictReport:
        """The report of the notebook's parameters (``""``/``0`` mean the defaults).

        ``study=""`` is the demo study, ``wave=0`` the latest wave, ``output_dir=""`` saves nothing.
        With ``inputs_file`` (written by :func:`~survey.reports.runner.build_reports`), the inputs
        loaded once for every district are used; otherwise, with ``run_missing_steps``, the
        shared steps whose outputs are missing or stale run first and the inputs are loaded here.
        """
        if inputs_file:
            data = ReportData.read(inputs_file)
            if study and Path(study).resolve() != data.study.config_file:
                raise ConfigError(f"study: expected {data.study.config_file} (the inputs file's study), "
                                  f"found {study}")
            return cls(data.study, district, wave=wave or None, lang=lang, output_dir=output_dir or None,
                       data=data)
        from survey.paths import demo_study_file

        loaded = load_study(study or demo_study_file())
        if run_missing_steps:
            from survey.pipeline import steps

            steps.ensure(loaded, steps.SHARED)
        return cls(loaded, district, wave=wave or None, lang=lang, output_dir=output_dir or None)

    # ---- helpers
    def _t(self, key: str, **values) -> str:
        values.setdefault("district", self.district_name)
        values.setdefault("city", self.city_name)
        values.setdefault("wave", self.wave)
        return text(key, self.lang, **values)

    def _indicator_label(self, indicator: str) -> str:
        entry = next((i for i in self.study.indicators if i.id == indicator), None)
        if entry is None:
            return label_of("effect_outcomes", indicator, self.lang)
        return study_label(entry.label, self.lang, default=indicator)

    def _finish(self, section: Section) -> Section:
        section.save(self.output_dir)
        return section

    def _headline(self, table: pd.DataFrame) -> pd.DataFrame:
        if "method" in table.columns and (table["method"] == self.method).any():
            return table[table["method"] == self.method]
        return table

    def _marks_note(self) -> str:
        return " ".join([self._t("marks.suppressed", mark=formatting.SUPPRESSED),
                         self._t("marks.caution", mark=formatting.CAUTION)])

    # ---- sections
    def title(self) -> Section:
        """Heading (level 1) and a short introduction saying what the report covers."""
        study_title = study_label(self.study.config.title, self.lang, default=self.study.id)
        return Section("title", self._t("title"), self._t("intro", study_title=study_title), level=1)

    def sample(self) -> Section:
        """Sample and response: respondents, sampling units and make-up by wave; instruments scored."""
        sample = self.rows.sample
        district = sample[sample["district"] == self.district].sort_values("wave")
        city = sample[(sample["district"] == CITY) & (sample["wave"] == self.wave)]
        shown = pd.concat([district, city], ignore_index=True)
        headers = [self._t("columns.district_wave", wave=w) for w in district["wave"]] + \
                  [self._t("columns.city_wave")]
        measures = lookup("sections.sample.measures", self.lang)
        counts = ["respondents", "psus", "communities", "weighted_population"]
        shares = ["share_urban", "share_women", "share_60_plus"]
        values = {m: formatting.number(shown[m]) for m in counts} | {m: formatting.percent(shown[m]) for m in shares}
        display = pd.DataFrame({headers[i]: [values[m].iloc[i] for m in counts + shares] for i in range(len(shown))})
        display.insert(0, self._t("columns.measure"), [measures[m] for m in counts + shares])
        sample_table = ReportTable("sample", self._t("sections.sample.table_caption"), display,
                                   shown.assign(district_name=np.where(shown["district"] == CITY, self.city_name,
                                                                       self.district_name)))

        completion = self.rows.completion
        completion = completion[completion["wave"] == self.wave]
        wide = completion.pivot(index="instrument", columns="district", values=["eligible", "share_scored"])
        instruments = [i for i in self.study.config.instruments if i in wide.index]
        wide = wide.loc[instruments]
        comp_display = pd.DataFrame({
            self._t("columns.instrument"): [label_of("instruments", i, self.lang) for i in instruments],
            self._t("columns.eligible_district"): formatting.number(wide[("eligible", self.district)]).to_numpy(),
            self._t("columns.scored_district"): formatting.percent(wide[("share_scored", self.district)]).to_numpy(),
            self._t("columns.scored_city"): formatting.percent(wide[("share_scored", CITY)]).to_numpy(),
        })
        completion_table = ReportTable("completion", self._t("sections.sample.completion_caption"), comp_display,
                                       completion.reset_index(drop=True),
                                       notes=self._t("sections.sample.completion_notes"))
        now = district[district["wave"] == self.wave]
        prose = self._t("sections.sample.prose", respondents=formatting.number(now["respondents"]).iloc[0],
                        psus=int(now["psus"].iloc[0]),
                        communities=formatting.number(now["communities"]).iloc[0]) if len(now) else \
            self._t("sections.sample.no_sample")
        return self._finish(Section("sample", self._t("sections.sample.title"), prose,
                                    [sample_table, completion_table]))

    def _indicator_rows(self) -> pd.DataFrame:
        """Per indicator: the district's and the city's headline estimate (and standardised) this wave."""
        prev = self.rows.prevalence
        now = prev[prev["wave"] == self.wave]
        cols = ["estimate", "ci_low", "ci_high", "n", "flag"] + (["flag_reason"] if "flag_reason" in prev else [])
        head = now[now["method"] == self.method]
        own = head[head["district"] == self.district].set_index("indicator")[cols]
        city = head[head["district"] == CITY].set_index("indicator")[cols].add_prefix("city_")
        ids = [i.id for i in self.indicators]
        table = pd.DataFrame(index=pd.Index(ids, name="indicator")).join(own).join(city)
        std = now[(now["method"] == "standardised") & (now["district"] == self.district)].set_index("indicator")
        if len(std) and self.method != "standardised":
            table = table.join(std[["estimate", "ci_low", "ci_high", "flag"]].add_prefix("standardised_"))
        table = table.reset_index()
        table.insert(1, "label", [self._indicator_label(i) for i in ids])
        table.insert(2, "population", [study_label(i.population, self.lang) for i in self.indicators])
        table.insert(3, "method", self.method)
        return table

    def key_indicators(self) -> Section:
        """Key indicators with 95% CIs beside the city's, as a table and a figure."""
        table = self._indicator_rows()
        city = table[["city_estimate", "city_ci_low", "city_ci_high", "city_flag"]].set_axis(
            ["estimate", "ci_low", "ci_high", "flag"], axis=1)
        display = pd.DataFrame({
            self._t("columns.indicator"): table["label"],
            self._t("columns.population"): table["population"],
            self._t("columns.district_percent"): formatting.percent_with_ci(table),
            self._t("columns.city_percent"): formatting.percent_with_ci(city),
        })
        if "standardised_estimate" in table:
            std = table[["standardised_estimate", "standardised_ci_low", "standardised_ci_high",
                         "standardised_flag"]].set_axis(["estimate", "ci_low", "ci_high", "flag"], axis=1)
            display[self._t("columns.standardised_percent")] = formatting.percent_with_ci(std)
        display[self._t("columns.n")] = formatting.number(table["n"])
        side = formatting.ci_side(table, table["city_estimate"]).where(table["flag"].astype(str) != "suppress",
                                                                       "unknown")
        table["compared_with_city"] = side.to_numpy()
        prose = [self._t("sections.key_indicators.prose", method=label_of("methods", self.method, self.lang))]
        above, below = table.loc[side == "above", "label"].tolist(), table.loc[side == "below", "label"].tolist()
        if above:
            prose.append(self._t("sections.key_indicators.above", indicators=_join(above, self.lang)))
        if below:
            prose.append(self._t("sections.key_indicators.below", indicators=_join(below, self.lang)))
        if not above and not below:
            prose.append(self._t("sections.key_indicators.none_differ"))
        fig = figures.estimates_beside_city(table, district_name=self.district_name, city_name=self.city_name,
                                            xlabel=self._t("axes.percent_ci"))
        notes = " ".join([self._t("sections.key_indicators.notes"), self._marks_note()])
        return self._finish(Section(
            "key_indicators", self._t("sections.key_indicators.title"), " ".join(prose),
            [ReportTable("key_indicators", self._t("sections.key_indicators.table_caption"), display, table, notes)],
            [ReportFigure("key_indicators", fig)]))

    def change(self) -> Section:
        """Change between the two latest waves up to this one, with 95% CIs, district and city."""
        change = self._headline(self.rows.change)
        earlier = [w for w in self.waves if w < self.wave]
        if not earlier:
            return self._finish(Section("change", self._t("sections.change.title"),
                                        self._t("sections.change.first_wave")))
        before = earlier[-1]
        if "wave_to" in change.columns:
            change = change[change["wave_to"].astype(int) == self.wave]
        if "wave_from" in change.columns:
            change = change[change["wave_from"].astype(int) == before]
        ids = [i.id for i in self.indicators]
        cols = ["estimate", "ci_low", "ci_high"]
        own = change[change["district"] == self.district].set_index("indicator")[cols]
        city = change[change["district"] == CITY].set_index("indicator")[cols].add_prefix("city_")
        table = pd.DataFrame(index=pd.Index(ids, name="indicator")).join(own).join(city).reset_index()
        table.insert(1, "label", [self._indicator_label(i) for i in ids])
        table.insert(2, "wave_from", before)
        table.insert(3, "wave_to", self.wave)
        prev = self._headline(self.rows.prevalence)
        prev = prev[prev["district"] == self.district].pivot_table(index="indicator", columns="wave",
                                                                    values="estimate", aggfunc="first")
        flags = self._headline(self.rows.prevalence)
        flags = flags[flags["district"] == self.district].pivot_table(index="indicator", columns="wave",
                                                                       values="flag", aggfunc="first")
        for w in (before, self.wave):
            table[f"estimate_{w}"] = table["indicator"].map(prev[w]) if w in prev else np.nan
            table[f"flag_{w}"] = table["indicator"].map(flags[w]) if w in flags else np.nan
        display = pd.DataFrame({self._t("columns.indicator"): table["label"]})
        for w in (before, self.wave):
            display[self._t("columns.district_wave", wave=w)] = formatting.percent_with_ci(
                table[[f"estimate_{w}", f"flag_{w}"]].set_axis(["estimate", "flag"], axis=1)
                .assign(ci_low=np.nan, ci_high=np.nan))
        suppressed = (table[f"flag_{before}"] == "suppress") | (table[f"flag_{self.wave}"] == "suppress")
        if "flag" in change.columns:
            own_flags = change[change["district"] == self.district].set_index("indicator")["flag"]
            suppressed |= table["indicator"].map(own_flags).eq("suppress")
        table["suppressed"] = suppressed.to_numpy()
        display[self._t("columns.district_change")] = formatting.points_with_ci(table).where(
            ~suppressed, formatting.SUPPRESSED)
        display[self._t("columns.city_change")] = formatting.points_with_ci(
            table[["city_estimate", "city_ci_low", "city_ci_high"]].set_axis(cols, axis=1))
        side = formatting.ci_side(table, 0.0).where(~suppressed, "unknown")
        table["direction"] = side.map({"above": "increase", "below": "decrease", "overlaps": "no_clear_change",
                                       "unknown": "unknown"}).to_numpy()
        prose = [self._t("sections.change.prose", before=before)]
        up, down = table.loc[side == "above", "label"].tolist(), table.loc[side == "below", "label"].tolist()
        if up:
            prose.append(self._t("sections.change.increased", indicators=_join(up, self.lang)))
        if down:
            prose.append(self._t("sections.change.decreased", indicators=_join(down, self.lang)))
        if not up and not down:
            prose.append(self._t("sections.change.none_changed"))
        fig = figures.changes_beside_city(table, district_name=self.district_name, city_name=self.city_name,
                                          xlabel=self._t("axes.change_points", before=before))
        return self._finish(Section(
            "change", self._t("sections.change.title"), " ".join(prose),
            [ReportTable("change", self._t("sections.change.table_caption", before=before), display, table,
                         self._t("sections.change.notes"))],
            [ReportFigure("change", fig)]))

    def targets(self) -> Section:
        """Indicators with policy targets (literacy: Healthy China Action) against those targets."""
        with_targets = [i for i in self.indicators if i.targets]
        if not with_targets:
            return self._finish(Section("targets", self._t("sections.targets.title"),
                                        self._t("sections.targets.none")))
        prev = self._headline(self.rows.prevalence)
        tables, figs, prose = [], [], [self._t("sections.targets.prose")]
        for indicator in with_targets:
            targets = {str(year): float(value) for year, value in indicator.targets.items()}
            rows = prev[(prev["indicator"] == indicator.id) & prev["wave"].isin(self.waves)
                        & (prev["wave"] <= self.wave)].copy()
            rows["district"] = np.where(rows["district"] == CITY, "city", "district")
            rows = rows.sort_values(["district", "wave"]).reset_index(drop=True)
            for year, value in targets.items():
                side = formatting.ci_side(rows, value)
                rows[f"target_{year}"] = value
                rows[f"status_{year}"] = side.map({"above": "met", "below": "not_met", "overlaps": "uncertain",
                                                   "unknown": "unknown"}).where(rows["flag"] != "suppress", "unknown")
            label = self._indicator_label(indicator.id)
            display = pd.DataFrame({
                self._t("columns.area"): np.where(rows["district"] == "city", self.city_name, self.district_name),
                self._t("columns.wave"): rows["wave"].astype(int).astype(str),
                self._t("columns.percent_ci"): formatting.percent_with_ci(rows),
            })
            for year, value in targets.items():
                display[self._t("columns.target_status", year=year, value=f"{value * 100:.0f}")] = \
                    rows[f"status_{year}"].map(lambda s: label_of("target_status", s, self.lang))
            own_now = rows[(rows["district"] == "district") & (rows["wave"] == self.wave)]
            if len(own_now) and own_now["flag"].iloc[0] != "suppress":
                met = [year for year in targets if own_now[f"status_{year}"].iloc[0] == "met"]
                prose.append(self._t("sections.targets.district_now", indicator=label,
                                     value=formatting.percent(own_now["estimate"]).iloc[0],
                                     low=formatting.percent(own_now["ci_low"]).iloc[0],
                                     high=formatting.percent(own_now["ci_high"]).iloc[0],
                                     met=_join(met, self.lang) if met else self._t("sections.targets.no_target_met")))
            tables.append(ReportTable(f"targets_{indicator.id}", self._t("sections.targets.table_caption",
                                                                             indicator=label), display, rows,
                                      self._t("sections.targets.notes")))
            figs.append(ReportFigure(f"targets_{indicator.id}", figures.literacy_against_targets(
                rows, {y: v for y, v in targets.items()}, district_name=self.district_name,
                city_name=self.city_name, ylabel=self._t("axes.indicator_percent", indicator=label),
                target_label=lookup("axes.target_line", self.lang))))
        return self._finish(Section("targets", self._t("sections.targets.title"), " ".join(prose), tables, figs))

    def subgroups(self) -> Section:
        """Indicators by sex, age group, urban/rural and education, unreliable cells suppressed."""
        sub = self._headline(self.rows.subgroups)
        sub = sub[(sub["wave"] == self.wave) & (sub["district"] == self.district)].copy()
        variables = [v for v in SUBGROUP_VARIABLES if v in set(sub["variable"])]
        variables += sorted(set(sub["variable"]) - set(variables))
        names = lookup("subgroup_variables", self.lang)
        level_names = {}
        for variable in variables:
            try:
                level_names[variable] = {_level_key(k): v for k, v in self.study.level_labels(variable, self.lang)
                                         .items()}
            except ConfigError:
                level_names[variable] = {}
        sub["variable_label"] = sub["variable"].map(lambda v: names.get(v, v))
        sub["level_label"] = [level_names.get(v, {}).get(lv, lv) + (self._t("age_suffix") if v == "age_group" else "")
                              for v, lv in zip(sub["variable"], sub["level"], strict=True)]
        sub["cell"] = formatting.percent_with_ci(sub).to_numpy()
        sub["label"] = sub["indicator"].map(self._indicator_label)
        order = {v: i for i, v in enumerate(variables)}
        sub["_v"] = sub["variable"].map(order)
        sub["_l"] = sub["level"].map(lambda x: (0, float(x)) if x.replace(".", "", 1).isdigit() else (1, x))
        sub = sub.sort_values(["_v", "_l"])
        ids = [i.id for i in self.indicators if i.id in set(sub["indicator"])]
        wide = sub.pivot_table(index=["_v", "_l", "variable_label", "level_label"], columns="indicator",
                               values="cell", aggfunc="first").reset_index()
        display = pd.DataFrame({self._t("columns.subgroup"): wide["variable_label"],
                                self._t("columns.level"): wide["level_label"]})
        for indicator in ids:
            display[self._indicator_label(indicator)] = wide[indicator].fillna(formatting.MISSING).to_numpy()
        data = sub.drop(columns=["_v", "_l", "cell"]).reset_index(drop=True)
        n_suppressed = int((sub["flag"] == "suppress").sum())
        prose = self._t("sections.subgroups.prose", suppressed=n_suppressed, cells=len(sub))
        notes = " ".join([self._t("sections.subgroups.notes"), self._marks_note()])
        return self._finish(Section("subgroups", self._t("sections.subgroups.title"), prose,
                                    [ReportTable("subgroups", self._t("sections.subgroups.table_caption"),
                                                 display, data, notes)]))

    def pilot(self) -> Section:
        """The pilot programme's effect, where the district is a pilot; a sentence otherwise."""
        start = self.rows.pilot_start
        title = self._t("sections.pilot.title")
        if start is None:
            return self._finish(Section("pilot", title, self._t("sections.pilot.not_pilot")))
        effects = self.rows.effects.copy()
        if effects.empty:
            return self._finish(Section("pilot", title, self._t("sections.pilot.no_effects", start=start)))
        shown = effects[effects["model"].isin(PILOT_MODELS) & effects["method"].isin(PILOT_METHODS)]
        shown = shown if len(shown) else effects
        order = {name: i for i, name in enumerate(dict.fromkeys(effects["indicator"]))}
        methods = {name: i for i, name in enumerate(PILOT_METHODS)}
        shown = shown.assign(_i=shown["indicator"].map(order), _m=shown["method"].map(methods))
        shown = shown.sort_values(["_i", "_m"], kind="stable").drop(columns=["_i", "_m"])
        proportion_ids = {i.id for i in self.study.indicators}
        is_ratio = shown["model"].astype(str).str.contains(r"odds|(?:^|_)or(?:$|_)", regex=True)
        scale = np.where(shown["indicator"].isin(proportion_ids) & ~is_ratio, 100.0, 1.0)
        unit = np.where(is_ratio, "odds_ratio", np.where(scale == 100.0, "percentage_points", "score_points"))
        values = shown[["estimate", "ci_low", "ci_high"]].mul(scale, axis=0)
        display = pd.DataFrame({
            self._t("columns.outcome"): shown["indicator"].map(self._indicator_label).to_numpy(),
            self._t("columns.model"): shown["model"].map(lambda m: label_of("effect_models", m, self.lang)).to_numpy(),
            self._t("columns.inference"): shown["method"].map(
                lambda m: label_of("effect_methods", m, self.lang)).to_numpy(),
            self._t("columns.effect"): formatting.points_with_ci(values, digits=2, scale=1).to_numpy(),
            self._t("columns.unit"): [label_of("effect_units", u, self.lang) for u in unit],
        })
        if "p_value" in shown:
            p_values = shown["p_value"].map(lambda p: "<0.001" if p < 0.001 else f"{p:.3f}", na_action="ignore")
            display[self._t("columns.p_value")] = p_values.fillna(formatting.MISSING).to_numpy()
        prose = self._t("sections.pilot.prose", start=start)
        return self._finish(Section("pilot", title, prose, [
            ReportTable("pilot_effects", self._t("sections.pilot.table_caption"), display,
                        effects.reset_index(drop=True), self._t("sections.pilot.notes"))]))

    def services(self) -> Section:
        """Mental-health service indicators per 100,000 residents by year, district and city."""
        services = self.rows.services.copy()
        title = self._t("sections.services.title")
        counts = [c for c in SERVICE_RATES if c in services.columns]
        if services.empty or not counts:
            return self._finish(Section("services", title, self._t("sections.services.none")))
        for count in counts:
            services[SERVICE_RATES[count]] = services[count] / services["population"] * PER_RESIDENTS
        services["district"] = np.where(services["district"] == CITY, "city", "district")
        services = services.sort_values(["year", "district"]).reset_index(drop=True)
        rates = [SERVICE_RATES[c] for c in counts]
        measures = lookup("sections.services.measures", self.lang)
        wide = services.pivot(index="year", columns="district", values=rates)
        display = pd.DataFrame({self._t("columns.year"): wide.index.astype(str)})
        for rate in rates:
            display[self._t("columns.measure_district", measure=measures[rate])] = \
                formatting.number(wide[(rate, "district")], 1).to_numpy()
            display[self._t("columns.measure_city", measure=measures[rate])] = \
                formatting.number(wide[(rate, "city")], 1).to_numpy()
        last = services[services["year"] == services["year"].max()].set_index("district")
        prose = self._t("sections.services.prose", year=int(services["year"].max()),
                        population=formatting.number(pd.Series([last.loc["district", "population"]])).iloc[0])
        fig = figures.services_over_years(services, {r: measures[r] for r in rates},
                                          district_name=self.district_name, city_name=self.city_name,
                                          pilot_start=self.rows.pilot_start,
                                          pilot_label=self._t("sections.services.pilot_line"),
                                          ylabel=self._t("axes.per_100k"), xlabel=self._t("axes.year"))
        return self._finish(Section("services", title, prose, [
            ReportTable("services", self._t("sections.services.table_caption"), display, services,
                        self._t("sections.services.notes"))], [ReportFigure("services", fig)]))

    def data_quality(self) -> Section:
        """Validation findings of this wave: in the district's kept rows and city-wide."""
        quality = self.rows.quality
        quality = quality[quality["wave"] == self.wave]
        table = (quality.pivot_table(index=["issue", "action"], columns="district", values="count", aggfunc="sum")
                 .reindex(columns=[self.district, CITY]).reset_index())
        table.columns = ["issue", "action", "district_count", "city_count"]
        rejected = table["action"] == "rejected"
        display = pd.DataFrame({
            self._t("columns.finding"): table["issue"].map(lambda s: label_of("issues", s, self.lang)),
            self._t("columns.action"): table["action"].map(lambda s: label_of("actions", s, self.lang)),
            self._t("columns.count_district"): formatting.number(table["district_count"].where(
                ~rejected | table["district_count"].notna())).where(~rejected, formatting.MISSING),
            self._t("columns.count_city"): formatting.number(table["city_count"]),
        })
        sample = self.rows.sample
        kept = sample[(sample["district"] == self.district) & (sample["wave"] == self.wave)]["respondents"]
        prose = self._t("sections.data_quality.prose",
                        kept=formatting.number(kept).iloc[0] if len(kept) else formatting.MISSING,
                        rejected=int(table.loc[rejected, "city_count"].sum()))
        return self._finish(Section("data_quality", self._t("sections.data_quality.title"), prose, [
            ReportTable("data_quality", self._t("sections.data_quality.table_caption"), display, table,
                        self._t("sections.data_quality.notes"))]))

    def methods(self) -> Section:
        """Methods note: design, weighting, CI method, suppression rules, software version."""
        design = self.study.design
        variables = lookup("variables", self.lang)
        strata = _join([variables.get(s, s) for s in design.strata], self.lang)
        psu = design.psu_label.get(self.lang) if design.psu_label else variables.get(design.psu, design.psu)
        ssu = design.ssu_label.get(self.lang) if design.ssu_label else variables.get(design.ssu, design.ssu)
        stages = self._t(f"sections.methods.stages_{('none', 'one', 'two')[design.n_stages]}", psu=psu, ssu=ssu)
        if self.method == "crude" and design.weight_note:
            weighting = self._t("sections.methods.weighting_note", note=design.weight_note.get(self.lang))
        elif f"weighting_{self.method}" in lookup("sections.methods", self.lang):
            weighting = self._t(f"sections.methods.weighting_{self.method}")
        else:
            weighting = self._t("sections.methods.weighting_crude")
        parts = [self._t("sections.methods.design", strata=strata or formatting.MISSING, stages=stages),
                 weighting,
                 self._t("sections.methods.intervals"),
                 self._t("sections.methods.change"),
                 self._t("sections.methods.suppression", suppressed=formatting.SUPPRESSED,
                         caution=formatting.CAUTION),
                 self._t("sections.methods.software", version=survey.__version__)]
        if design.fpc:
            parts.insert(1, self._t("sections.methods.fpc", psu=psu))
        if design.ssu:
            parts.insert(1, self._t("sections.methods.second_stage", psu=psu, ssu=ssu))
        prose = "\n".join(f"- {p}" for p in parts)
        return Section("methods", self._t("sections.methods.title"), prose)

    def sections(self) -> list[Section]:
        """Every section in report order (what the notebook shows)."""
        return [self.title(), self.sample(), self.key_indicators(), self.change(), self.targets(),
                self.subgroups(), self.pilot(), self.services(), self.data_quality(), self.methods()]
