"""What a district report says, section by section, in Chinese or English.

:class:`DistrictReport` checks the report's parameters (the district exists, the wave is one
of the study's, the language is known: papermill only warns about a misspelled parameter, so
the notebook must fail loudly itself), loads the earlier steps' outputs once
(:class:`~survey.reports.inputs.ReportData`) and builds each section as a
:class:`~survey.reports.section.Section`: prose from the language files, tables and figures
from the estimation, effects, service and validation tables and from the tested comparisons
(:mod:`survey.reports.comparisons`). Every "higher", "lower", "rose" or "fell" comes from a
test at the study's level; a section the study cannot support is left out
(:meth:`DistrictReport.section_keys`), never filled with something false.

The key findings (:mod:`survey.reports.findings`), the pilot section and its appendix
(:mod:`survey.reports.pilot`) and the definitions and methods box
(:mod:`survey.reports.methods`) live in their own modules. Every section is saved as it is
built when the report has an ``output_dir`` (tables as CSV and XLSX, figures as SVG, and PNG when the
study's ``reports.figure_files`` asks for it).

The notebook ``notebooks/district_report.ipynb`` only calls :meth:`DistrictReport.sections`
and shows the result; nothing is computed in the notebook.

Example
-------
>>> from survey.reports.content import DistrictReport
>>> from survey.reports.section import show
>>> report = DistrictReport("data/demo/study.yaml", "linjiang", lang="en")   # doctest: +SKIP
>>> show(report.key_indicators())                                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import ConfigError
from survey.reports import figures, formatting, marks
from survey.reports.inputs import CITY, ReportData, _level_key
from survey.reports.section import ReportFigure, ReportTable, Section
from survey.reports.text import check_language, label_of, lookup, study_label, text
from survey.study import Study, load_study

PER_RESIDENTS = 100_000
#: Columns of the service table that are not service counts.
SERVICE_KEYS = ("district", "year", "population", "pilot_start_year")
#: Sections in report order, with the capability each needs (None: every study has it).
SECTIONS = {"title": None, "key_findings": None, "sample": None, "key_indicators": None, "change": "change",
            "targets": "targets", "subgroups": "subgroups", "pilot": "pilot", "services": "services",
            "data_quality": None, "definitions": None, "methods": None, "pilot_appendix": "effects"}


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
        self.capabilities = self.study.capabilities()
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
    @property
    def level(self) -> float:
        return self.rows.level

    @property
    def alpha_text(self) -> str:
        return f"{1 - self.level:.3g}"

    def _t(self, key: str, **values) -> str:
        values.setdefault("district", self.district_name)
        values.setdefault("city", self.city_name)
        values.setdefault("wave", self.wave)
        values.setdefault("alpha", self.alpha_text)
        return text(key, self.lang, **values)

    def _indicator_label(self, indicator: str) -> str:
        entry = next((i for i in self.study.indicators if i.id == indicator), None)
        if entry is None:
            return label_of("effect_outcomes", indicator, self.lang)
        return study_label(entry.label, self.lang, default=indicator)

    def _finish(self, section: Section) -> Section:
        section.save(self.output_dir, self.study.config.reports.figure_files)
        return section

    def sentences(self, parts) -> str:
        """Sentences joined as the language writes them (no space between Chinese sentences)."""
        return text("sentence_separator", self.lang).join(p for p in parts if p)

    def _notes(self, *parts: str, shown: pd.DataFrame | None = None) -> str:
        found = marks.legend(shown, self.lang) if shown is not None else []
        return self.sentences([*parts, *found])

    def _method_label(self, method: str | None = None) -> str:
        return label_of("methods", method or self.method, self.lang)

    def higher_is_better(self, indicator: str) -> bool:
        """Whether a higher value is the better one: an indicator with targets (targets are minimums)."""
        entry = next((i for i in self.study.indicators if i.id == indicator), None)
        return bool(entry is not None and entry.targets)

    def pct(self, value) -> str:
        """A proportion as a percentage (``0.097`` -> ``9.7``)."""
        return formatting.number_text(value, 1, scale=100)

    def points(self, value) -> str:
        """A difference of proportions in percentage points, signed (``+2.7``, ``−7.3``)."""
        return formatting.number_text(value, 1, signed=True, scale=100)

    def interval(self, low, high) -> str:
        return f"{self.pct(low)}–{self.pct(high)}"

    def date_text(self, value) -> str:
        if value is None or (not isinstance(value, int) and pd.isna(value)):
            return formatting.MISSING
        if isinstance(value, (int, np.integer)):
            return self._t("dates.year", year=int(value))
        stamp = pd.Timestamp(value)
        return self._t("dates.day", year=stamp.year, month=stamp.month, day=stamp.day)

    def fieldwork(self, wave: int) -> tuple:
        rows = self.rows.fieldwork
        rows = rows[rows["wave"] == wave]
        if rows.empty or pd.isna(rows["first"].iloc[0]):
            return None, None
        return rows["first"].iloc[0], rows["last"].iloc[0]

    # ---- which sections
    def section_keys(self) -> list[str]:
        """The sections this study and district support, in report order."""
        keys = []
        for key, need in SECTIONS.items():
            if need and not self.capabilities[need]:
                continue
            if key == "change" and not [w for w in self.waves if w < self.wave]:
                continue
            if key == "pilot_appendix" and self.rows.effects.empty:
                continue
            keys.append(key)
        return keys

    def sections(self) -> list[Section]:
        """Every section this study supports, in report order (what the notebook shows)."""
        return [getattr(self, key)() for key in self.section_keys()]

    # ---- front page
    def front_matter(self) -> dict[str, str]:
        """Title, date, data version, fieldwork and a suggested citation, for the first page."""
        study_title = study_label(self.study.config.title, self.lang, default=self.study.id)
        first, last = self.fieldwork(self.wave)
        today = dt.date.today()
        values = {"title": self._t("title"), "study_title": study_title, "date": self.date_text(pd.Timestamp(today)),
                  "version": self.rows.data_version, "year": today.year}
        values["fieldwork"] = (self._t("front.fieldwork_dates", first=self.date_text(first), last=self.date_text(last))
                               if first is not None else self._t("front.fieldwork_year"))
        values["citation"] = self._t("front.citation", **{k: v for k, v in values.items() if k != "fieldwork"})
        return values

    def title(self) -> Section:
        """Heading (level 1), the front-page facts and what the report covers (the sections it has)."""
        front = self.front_matter()
        lines = [self._t("front.date", date=front["date"]), self._t("front.version", version=front["version"]),
                 self._t("front.fieldwork", fieldwork=front["fieldwork"]),
                 self._t("front.cite", citation=front["citation"])]
        covered = [text(f"sections.{key}.title", self.lang, district=self.district_name, city=self.city_name,
                        wave=self.wave, alpha=self.alpha_text)
                   for key in self.section_keys() if key not in ("title", "key_findings")]
        intro = self._t("intro", study_title=front["study_title"], sections=_join(covered, self.lang))
        prose = "\n".join(f"- {line}" for line in lines) + "\n\n" + intro
        return Section("title", front["title"], prose, level=1)

    def key_findings(self) -> Section:
        """要点 / Key findings: three to five sentences, each from a tested comparison."""
        from survey.reports.findings import key_findings

        return key_findings(self)

    # ---- sample
    def _psu_names(self) -> tuple[str, str]:
        design = self.study.design
        generic = lookup("design_units", self.lang)
        variables = lookup("variables", self.lang)
        psu = design.psu_label.get(self.lang) if design.psu_label else variables.get(design.psu, generic["psu"])
        ssu = design.ssu_label.get(self.lang) if design.ssu_label else variables.get(design.ssu, generic["ssu"])
        return psu, ssu

    def sample(self) -> Section:
        """Sample and response: respondents, sampling units, adult population and make-up; instruments scored."""
        sample = self.rows.sample
        district = sample[sample["district"] == self.district].sort_values("wave")
        city = sample[(sample["district"] == CITY) & (sample["wave"] == self.wave)]
        shown = pd.concat([district, city], ignore_index=True)
        headers = [self._t("columns.district_wave", wave=w) for w in district["wave"]] + \
                  [self._t("columns.city_wave")]
        psu, ssu = self._psu_names()
        population = self.rows.population.set_index(["wave", "district"])
        source = population["source"].reindex(pd.MultiIndex.from_frame(shown[["wave", "district"]])).to_numpy()
        shown = shown.assign(population=population["population"].reindex(
            pd.MultiIndex.from_frame(shown[["wave", "district"]])).to_numpy(), population_source=source)
        rows = [("respondents", self._t("sections.sample.measures.respondents"),
                 formatting.number(shown["respondents"]))]
        def units(name: str) -> str:
            label = self._t("sections.sample.measures.units", units=name)
            return label[:1].upper() + label[1:]

        if self.study.design.psu:
            rows.append(("psus", units(psu), formatting.number(shown["psus"])))
        if self.study.design.ssu and shown["communities"].notna().any():
            rows.append(("communities", units(ssu), formatting.number(shown["communities"])))
        kind = "margins" if (shown["population_source"] == "margins").all() else "design_weights"
        rows.append(("population", self._t(f"sections.sample.measures.population_{kind}"),
                     formatting.number(shown["population"])))
        makeup = self.rows.makeup
        for variable in self.study.config.subgroups:
            labels = self._level_names(variable)
            part = makeup[makeup["variable"] == variable]
            for level in self._level_order(variable, part["level"]):
                cells = part[part["level"] == level].set_index(["wave", "district"])["share"]
                values = cells.reindex(pd.MultiIndex.from_frame(shown[["wave", "district"]])).fillna(0)
                rows.append((f"{variable}={level}", self._t("sections.sample.measures.share",
                                                            group=self._variable_label(variable),
                                                            level=labels.get(level, level)),
                             formatting.percent(pd.Series(values.to_numpy()))))
        display = pd.DataFrame({self._t("columns.measure"): [label for _, label, _ in rows]})
        for i, header in enumerate(headers):
            display[header] = [values.iloc[i] for _, _, values in rows]
        sample_table = ReportTable("sample", self._t("sections.sample.table_caption"), display,
                                   shown.assign(district_name=np.where(shown["district"] == CITY, self.city_name,
                                                                       self.district_name)),
                                   notes=self.sentences([self._t(f"sections.sample.population_{kind}"),
                                                         self._t("sections.sample.makeup_note")
                                                         if self.study.config.subgroups else ""]))
        completion_table = self._completion_table()
        now = district[district["wave"] == self.wave]
        if not len(now):
            prose = self._t("sections.sample.no_sample")
        else:
            units = ""
            if self.study.design.ssu and pd.notna(now["communities"].iloc[0]):
                units = self._t("sections.sample.units_two", psus=int(now["psus"].iloc[0]), psu=psu,
                                ssus=formatting.number(now["communities"]).iloc[0], ssu=ssu)
            elif self.study.design.psu:
                units = self._t("sections.sample.units_one", psus=int(now["psus"].iloc[0]), psu=psu)
            prose = self._t("sections.sample.prose", respondents=formatting.number(now["respondents"]).iloc[0],
                            units=units)
        return self._finish(Section("sample", self._t("sections.sample.title"), prose,
                                    [sample_table, completion_table]))

    def _completion_table(self) -> ReportTable:
        completion = self.rows.completion
        completion = completion[completion["wave"] == self.wave]
        wide = completion.pivot(index="instrument", columns="district", values=["eligible", "share_scored"])
        instruments = [i for i in self.study.config.instruments if i in wide.index]
        wide = wide.loc[instruments].reindex(columns=pd.MultiIndex.from_product(
            [["eligible", "share_scored"], [self.district, CITY]]))
        names = [self.instrument_name(i) for i in instruments]
        display = pd.DataFrame({
            self._t("columns.instrument"): names,
            self._t("columns.eligible_district"): formatting.number(wide[("eligible", self.district)]).to_numpy(),
            self._t("columns.scored_district"): formatting.percent(wide[("share_scored", self.district)]).to_numpy(),
            self._t("columns.scored_city"): formatting.percent(wide[("share_scored", CITY)]).to_numpy(),
        })
        return ReportTable("completion", self._t("sections.sample.completion_caption"), display,
                           completion.reset_index(drop=True), notes=self._t("sections.sample.completion_notes"))

    def instrument_name(self, instrument_id: str) -> str:
        """The short label of the language file, else the instrument file's own name."""
        known = lookup("instruments", self.lang)
        if instrument_id in known:
            return str(known[instrument_id])
        name = self.study.instruments[instrument_id].name
        return str(name.get("zh-CN" if self.lang == "zh" else "en") or name.get("en") or instrument_id)

    # ---- key indicators and comparisons with the city
    def indicator_rows(self) -> pd.DataFrame:
        """Per indicator: the district's and the city's comparison-rate estimate this wave, and the test."""
        prev = self.rows.prevalence
        now = prev[prev["wave"] == self.wave]
        cols = ["estimate", "ci_low", "ci_high", "n", "flag", "flag_reason"]
        head = now[now["method"] == self.method]
        own = head[head["district"] == self.district].set_index("indicator")[cols]
        city = head[head["district"] == CITY].set_index("indicator")[cols].add_prefix("city_")
        ids = [i.id for i in self.indicators]
        table = pd.DataFrame(index=pd.Index(ids, name="indicator")).join(own).join(city)
        tests = self.rows.versus_city
        tests = tests[(tests["wave"] == self.wave)].set_index("indicator")
        test_cols = {"estimate": "difference", "ci_low": "difference_ci_low", "ci_high": "difference_ci_high",
                     "p_value": "p_value", "estimate_rest": "rest_estimate", "direction": "compared_with_rest"}
        table = table.join(tests[list(test_cols)].rename(columns=test_cols))
        table["compared_with_rest"] = table["compared_with_rest"].fillna("untested")
        std = now[(now["method"] == "standardised") & (now["district"] == self.district)].set_index("indicator")
        if len(std) and self.method != "standardised":
            table = table.join(std[["estimate", "ci_low", "ci_high", "n", "flag", "flag_reason"]]
                               .add_prefix("standardised_"))
        table = table.reset_index()
        table.insert(1, "label", [self._indicator_label(i) for i in ids])
        table.insert(2, "population", [study_label(i.population, self.lang) for i in self.indicators])
        table.insert(3, "method", self.method)
        return table

    def comparison_cell(self, direction: str, difference) -> str:
        if direction in ("higher", "lower"):
            return self._t(f"comparison.{direction}", difference=self.points(difference))
        return self._t(f"comparison.{direction}")

    def key_indicators(self) -> Section:
        """Key indicators with 95% CIs and n, beside the city's, and each tested against the rest of the city."""
        table = self.indicator_rows()
        city = table[[c for c in table.columns if c.startswith("city_")]].rename(columns=lambda c: c[5:])
        display = pd.DataFrame({
            self._t("columns.indicator"): table["label"],
            self._t("columns.population"): table["population"].replace("", formatting.MISSING),
            self._t("columns.district_percent"): formatting.percent_with_ci(table),
            self._t("columns.n"): formatting.number(table["n"]),
            self._t("columns.versus_rest"): [self.comparison_cell(d, v) for d, v in
                                             zip(table["compared_with_rest"], table["difference"], strict=True)],
            self._t("columns.city_percent"): formatting.percent_with_ci(city),
            self._t("columns.city_n"): formatting.number(city["n"]),
        })
        shown = [table[["estimate", "n", "flag", "flag_reason"]], city[["estimate", "n", "flag", "flag_reason"]]]
        if "standardised_estimate" in table:
            std = table[[c for c in table.columns if c.startswith("standardised_")]].rename(columns=lambda c: c[13:])
            display[self._t("columns.standardised_percent")] = formatting.percent_with_ci(std)
            shown.append(std[["estimate", "n", "flag", "flag_reason"]])
        if not any(i.population for i in self.indicators):
            display = display.drop(columns=[self._t("columns.population")])
        prose = [self._t("sections.key_indicators.prose", method=self._method_label())]
        prose.append(self.comparison_sentence(table))
        notes = self._notes(self._t("sections.key_indicators.notes", method=self._method_label()),
                            self._t("comparison.note", method=self._method_label()),
                            shown=pd.concat(shown, ignore_index=True))
        fig = figures.estimates_beside_city(table, district_name=self.district_name, city_name=self.city_name,
                                            xlabel=self._t("axes.percent_ci"))
        caption = self._t("figures.key_indicators.caption", method=self._method_label())
        alt = self._t("figures.key_indicators.alt", values=self._values_text(table))
        return self._finish(Section(
            "key_indicators", self._t("sections.key_indicators.title"), self.sentences(prose),
            [ReportTable("key_indicators", self._t("sections.key_indicators.table_caption"), display, table, notes)],
            [ReportFigure("key_indicators", fig, alt=alt, caption=caption)]))

    def _values_text(self, table: pd.DataFrame) -> str:
        """``label 9.7% (7.6–12.4)`` per published row, for alt text."""
        ok = marks.unmarked(table)
        items = [self._t("figures.value", label=r.label, value=self.pct(r.estimate),
                         interval=self.interval(r.ci_low, r.ci_high))
                 for r, keep in zip(table.itertuples(), ok, strict=True) if keep and pd.notna(r.estimate)]
        return _join(items, self.lang) or self._t("figures.no_values")

    def comparison_sentence(self, table: pd.DataFrame) -> str:
        """Which indicators are significantly higher or lower than in the rest of the city (from the tests)."""
        higher = table.loc[table["compared_with_rest"] == "higher", "label"].tolist()
        lower = table.loc[table["compared_with_rest"] == "lower", "label"].tolist()
        same = table.loc[table["compared_with_rest"] == "no_difference", "label"].tolist()
        parts = []
        if higher:
            parts.append(self._t("comparison.sentence_higher", indicators=_join(higher, self.lang)))
        if lower:
            parts.append(self._t("comparison.sentence_lower", indicators=_join(lower, self.lang)))
        if same and (higher or lower):
            parts.append(self._t("comparison.sentence_rest_same", count=len(same)))
        elif same:
            parts.append(self._t("comparison.sentence_none_differ"))
        return self.sentences(parts)

    # ---- change
    def change_rows(self) -> pd.DataFrame:
        """The change from the previous wave to this one: district and city, tested at the study's level."""
        earlier = [w for w in self.waves if w < self.wave]
        before = earlier[-1]
        change = self.rows.change_tests
        change = change[(change["method"] == self.method) & (change["wave_to"].astype(int) == self.wave)
                        & (change["wave_from"].astype(int) == before)]
        ids = [i.id for i in self.indicators]
        cols = ["estimate", "se", "ci_low", "ci_high", "p_value", "direction", "flag", "flag_reason"]
        own = change[change["district"] == self.district].set_index("indicator")[cols]
        city = change[change["district"] == CITY].set_index("indicator")[cols].add_prefix("city_")
        table = pd.DataFrame(index=pd.Index(ids, name="indicator")).join(own).join(city).reset_index()
        table.insert(1, "label", [self._indicator_label(i) for i in ids])
        table.insert(2, "wave_from", before)
        table.insert(3, "wave_to", self.wave)
        table["direction"] = table["direction"].fillna("untested")
        prev = self.rows.prevalence
        prev = prev[(prev["method"] == self.method) & (prev["district"] == self.district)]
        for w in (before, self.wave):
            rows = prev[prev["wave"] == w].set_index("indicator")
            for column in ("estimate", "ci_low", "ci_high", "n", "flag", "flag_reason"):
                table[f"{column}_{w}"] = table["indicator"].map(rows[column]) if len(rows) else np.nan
        return table

    def change(self) -> Section:
        """Change between the previous wave and this one, with CIs, district and city, tested."""
        table = self.change_rows()
        before = int(table["wave_from"].iloc[0])
        display = pd.DataFrame({self._t("columns.indicator"): table["label"]})
        shown = []
        for w in (before, self.wave):
            wave_rows = table[[f"{c}_{w}" for c in ("estimate", "ci_low", "ci_high", "n", "flag", "flag_reason")]]
            wave_rows = wave_rows.set_axis(["estimate", "ci_low", "ci_high", "n", "flag", "flag_reason"], axis=1)
            display[self._t("columns.district_wave", wave=w)] = formatting.with_n(
                formatting.percent_with_ci(wave_rows), wave_rows["n"])
            shown.append(wave_rows)
        untested = table["direction"].eq("untested")
        withheld = table["flag"].eq("suppress") | pd.concat(
            [marks.mark_kinds(rows)["suppressed"] for rows in shown], axis=1).any(axis=1)
        display[self._t("columns.district_change")] = formatting.points_with_ci(table).where(
            ~untested, np.where(withheld, marks.SUPPRESSED, marks.NOT_APPLICABLE))
        display[self._t("columns.change_verdict")] = [self._t(f"change.{d}") for d in table["direction"]]
        display[self._t("columns.city_change")] = formatting.points_with_ci(
            table[["city_estimate", "city_ci_low", "city_ci_high"]].set_axis(["estimate", "ci_low", "ci_high"],
                                                                             axis=1))
        prose = [self._t("sections.change.prose", before=before, method=self._method_label())]
        prose.append(self.change_sentence(table, before))
        fig = figures.changes_beside_city(table.assign(suppressed=untested), district_name=self.district_name,
                                          city_name=self.city_name, xlabel=self._t("axes.change_points", before=before))
        alt = self._t("figures.change.alt", before=before, values=self._change_values(table))
        return self._finish(Section(
            "change", self._t("sections.change.title"), self.sentences(prose),
            [ReportTable("change", self._t("sections.change.table_caption", before=before), display, table,
                         self._notes(self._t("sections.change.notes"), shown=pd.concat(shown, ignore_index=True)))],
            [ReportFigure("change", fig, alt=alt, caption=self._t("figures.change.caption", before=before))]))

    def _change_values(self, table: pd.DataFrame) -> str:
        items = [self._t("figures.change_value", label=r.label, value=self.points(r.estimate),
                         low=self.points(r.ci_low), high=self.points(r.ci_high))
                 for r in table.itertuples() if r.direction != "untested" and pd.notna(r.estimate)]
        return _join(items, self.lang) or self._t("figures.no_values")

    def change_sentence(self, table: pd.DataFrame, before: int) -> str:
        up = table.loc[table["direction"] == "increase", "label"].tolist()
        down = table.loc[table["direction"] == "decrease", "label"].tolist()
        same = table["direction"].eq("no_difference").sum()
        parts = []
        if up:
            parts.append(self._t("change.sentence_up", before=before, indicators=_join(up, self.lang)))
        if down:
            parts.append(self._t("change.sentence_down", before=before, indicators=_join(down, self.lang)))
        if same and (up or down):
            parts.append(self._t("change.sentence_rest_same", count=int(same)))
        elif same:
            parts.append(self._t("change.sentence_none", before=before))
        return self.sentences(parts)

    # ---- targets and subgroups (survey.reports.targets, survey.reports.subgroups)
    def targets(self) -> Section:
        """Indicators with targets against each target, with the target year taken into account."""
        from survey.reports.targets import targets_section

        return targets_section(self)

    def _variable_label(self, variable: str) -> str:
        return label_of("subgroup_variables", variable, self.lang)

    def _level_names(self, variable: str) -> dict[str, str]:
        try:
            names = {_level_key(k): str(v) for k, v in self.study.level_labels(variable, self.lang).items()}
        except ConfigError:
            names = {}
        if variable == "age_group":
            names = {k: names.get(k, k) + self._t("age_suffix") for k in
                     (self.study.config.age_groups.labels if self.study.config.age_groups else names)}
        return names

    def _level_order(self, variable: str, levels: pd.Series) -> list[str]:
        present = list(dict.fromkeys(levels.astype(str)))
        declared = list(self._level_names(variable))
        ordered = [lv for lv in declared if lv in present]
        rest = sorted((lv for lv in present if lv not in ordered),
                      key=lambda x: (0, float(x)) if x.replace(".", "", 1).isdigit() else (1, x))
        return ordered + rest

    def subgroups(self) -> Section:
        """Indicators by each declared subgroup variable, n beside every percentage, marks by the rule that fired."""
        from survey.reports.subgroups import subgroups_section

        return subgroups_section(self)

    # ---- pilot
    def pilot(self) -> Section:
        from survey.reports.pilot import pilot_section

        return pilot_section(self)

    def pilot_appendix(self) -> Section:
        from survey.reports.pilot import pilot_appendix

        return pilot_appendix(self)

    # ---- services
    def services(self) -> Section:
        """Service counts per 100,000 residents by year, district and city (every count column of the table)."""
        services = self.rows.services.copy()
        title = self._t("sections.services.title")
        counts = [c for c in services.columns if c not in SERVICE_KEYS and pd.api.types.is_numeric_dtype(services[c])]
        if services.empty or not counts:
            return self._finish(Section("services", title, self._t("sections.services.none")))
        known = lookup("sections.services.measures", self.lang)
        measures = {f"{c}_per_100k": known.get(c, c) for c in counts}
        for count in counts:
            services[f"{count}_per_100k"] = services[count] / services["population"] * PER_RESIDENTS
        services["area"] = np.where(services["district"] == CITY, "city", "district")
        services = services.sort_values(["year", "area"]).reset_index(drop=True)
        rates = list(measures)
        wide = services.pivot(index="year", columns="area", values=rates)
        display = pd.DataFrame({self._t("columns.year"): wide.index.astype(str)})
        for rate in rates:
            display[self._t("columns.measure_district", measure=measures[rate])] = \
                formatting.number(wide[(rate, "district")], 1).to_numpy()
            display[self._t("columns.measure_city", measure=measures[rate])] = \
                formatting.number(wide[(rate, "city")], 1).to_numpy()
        last = services[services["year"] == services["year"].max()].set_index("area")
        prose = self._t("sections.services.prose", year=int(services["year"].max()),
                        population=formatting.number(pd.Series([last.loc["district", "population"]])).iloc[0])
        fig = figures.services_over_years(services.assign(district=services["area"]), measures,
                                          district_name=self.district_name, city_name=self.city_name,
                                          pilot_start=self.rows.pilot_start,
                                          pilot_label=self._t("sections.services.pilot_line"),
                                          ylabel=self._t("axes.per_100k"), xlabel=self._t("axes.year"))
        alt = self._t("figures.services.alt", measures=_join(list(measures.values()), self.lang),
                      first=int(services["year"].min()), last=int(services["year"].max()))
        return self._finish(Section("services", title, prose, [
            ReportTable("services", self._t("sections.services.table_caption"), display,
                        services.drop(columns=["district"]).rename(columns={"area": "district"}),
                        self._t("sections.services.notes"))],
            [ReportFigure("services", fig, alt=alt, caption=self._t("figures.services.caption"))]))

    # ---- data quality, definitions, methods
    def data_quality(self) -> Section:
        """Validation findings of this wave: in the district's kept rows and city-wide."""
        quality = self.rows.quality
        quality = quality[quality["wave"] == self.wave]
        table = (quality.pivot_table(index=["issue", "action"], columns="district", values="count", aggfunc="sum")
                 .reindex(columns=[self.district, CITY]).reset_index())
        table.columns = ["issue", "action", "district_count", "city_count"]
        rejected = table["action"] == "rejected"
        display = pd.DataFrame({
            self._t("columns.finding"): table["issue"].map(self.issue_label),
            self._t("columns.action"): table["action"].map(lambda s: label_of("actions", s, self.lang)),
            self._t("columns.count_district"): formatting.number(table["district_count"].fillna(0)).where(
                ~rejected, marks.NOT_APPLICABLE),
            self._t("columns.count_city"): formatting.number(table["city_count"]),
        })
        sample = self.rows.sample
        kept = sample[(sample["district"] == self.district) & (sample["wave"] == self.wave)]["respondents"]
        kept = formatting.number(kept).iloc[0] if len(kept) else formatting.MISSING
        if table.empty:
            return self._finish(Section("data_quality", self._t("sections.data_quality.title"),
                                        self._t("sections.data_quality.no_findings", kept=kept)))
        prose = self._t("sections.data_quality.prose", kept=kept, rejected=int(table.loc[rejected, "city_count"].sum()))
        notes = self._t("sections.data_quality.notes", mark=marks.NOT_APPLICABLE) if rejected.any() else ""
        return self._finish(Section("data_quality", self._t("sections.data_quality.title"), prose, [
            ReportTable("data_quality", self._t("sections.data_quality.table_caption"), display, table, notes)]))

    def issue_label(self, issue: str) -> str:
        """A validation finding in words: listed ones, else ``<variable>_out_of_range``/``_missing`` by pattern."""
        known = lookup("issues", self.lang)
        if issue in known:
            return str(known[issue])
        variables = lookup("variables", self.lang)
        for suffix in ("out_of_range", "missing"):
            if issue.endswith("_" + suffix):
                variable = issue.removesuffix("_" + suffix)
                return self._t(f"issue_patterns.{suffix}", variable=variables.get(variable, variable))
        return issue

    def definitions(self) -> Section:
        from survey.reports.methods import definitions_section

        return self._finish(definitions_section(self))

    def methods(self) -> Section:
        from survey.reports.methods import methods_section

        return methods_section(self)
