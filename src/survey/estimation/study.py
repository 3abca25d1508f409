"""The estimation step of a study: prevalence tables of its key indicators.

``prevalence_tables(study)`` reads ``processed/scored.parquet`` (written by
:func:`survey.scoring.study.score_study`) and, for every indicator of ``study.indicators``,
estimates by wave, for the whole city and for each district, the crude, raked and
age-standardised prevalence with logit CIs, df, design effect, n, weighted N, CV and the
publication flag (see :mod:`survey.estimation.prevalence` for the conventions). It writes
to ``study.reports_dir / "tables"``:

* ``prevalence.csv`` — the main table (columns in :data:`~survey.estimation.prevalence.TABLE_COLUMNS`);
* ``prevalence_subgroups.csv`` — crude prevalence by wave x (city, district) x one of sex,
  age group, urban/rural, education, with flags;
* ``prevalence_change.csv`` — change between waves per district, indicator and method;
* ``small_area.csv`` and ``small_area_diagnostics.csv`` — only for a study declaring
  ``analysis.small_area``: per district the direct estimate, the Fay–Herriot model estimate and
  which one is published (:mod:`survey.estimation.small_area.study`).

Example
-------
>>> from survey.estimation.study import prevalence_tables
>>> tables = prevalence_tables("data/demo/study.yaml")     # doctest: +SKIP
>>> print(tables.summary())                                 # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError, InputFileError
from survey.estimation import prevalence as prev
from survey.estimation.design import Design
from survey.estimation.standardization import aggregate_standard, standard_population
from survey.outputs import require_manifest, write_csv, write_manifest
from survey.results import Result
from survey.study import Study, load_study

#: Raking stops when no cell of wave x district x sex x age group moves by more than this
#: fraction of the total weight (R ``rake(..., control=list(epsilon=1e-8, maxit=50))``).
RAKING_EPSILON = 1e-8
RAKING_MAX_ITERATIONS = 50


def outputs(study: Study) -> list[Path]:
    """The files this step writes (in ``reports/<study>/tables``)."""
    paths = study.paths
    small_area = [paths.small_area, paths.small_area_diagnostics] if study.config.analysis.small_area else []
    return [paths.prevalence, paths.prevalence_subgroups, paths.prevalence_change, *small_area]


@dataclass
class PrevalenceTables(Result):
    """Prevalence tables of a study's key indicators and where they were written."""

    study: Study
    prevalence: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: county table and model diagnostics (:mod:`survey.estimation.small_area.study`); None without
    #: ``analysis.small_area``
    small_area: pd.DataFrame | None = field(default=None, repr=False)
    small_area_diagnostics: pd.DataFrame | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The main table (tidy, long)."""
        return self.prevalence.copy()

    @property
    def methods(self) -> list[str]:
        """The methods estimated (crude always; raked and standardised when the study supports them)."""
        return [m for m in prev.METHODS if (self.prevalence["method"] == m).any()]

    def city_table(self, method: str = "crude") -> pd.DataFrame:
        """City prevalence (%) with CI, indicators x waves, for a quick look."""
        if method not in self.methods:
            why = {"raked": "raking", "standardised": "standardisation"}.get(method)
            reason = self.study.capabilities()[why].reason if why else f"unknown method {method!r}"
            raise ConfigError(f"{self.study.config_file}: no {method} estimates: {reason}; "
                              f"estimated: {', '.join(self.methods)}")
        rows = self.prevalence[(self.prevalence["district"] == prev.CITY) & (self.prevalence["method"] == method)]
        shown = rows.assign(
            value=(100 * rows["estimate"]).map("{:.1f}".format)
            + " (" + (100 * rows["ci_low"]).map("{:.1f}".format) + "-"
            + (100 * rows["ci_high"]).map("{:.1f}".format) + ")"
            + rows["flag"].map(lambda f: "" if f == "present" else f" [{f}]")
        )
        return shown.pivot(index="indicator", columns="wave", values="value")

    def compare_methods(self) -> pd.DataFrame:
        """The city table of every method estimated, side by side."""
        return pd.concat({m: self.city_table(m) for m in self.methods}, axis=1)

    def district_rows(self, method: str = "crude", indicators: Sequence[str] | None = None,
                      lang: str = "en") -> pd.DataFrame:
        """The districts' rows of ``indicators`` (default all) by ``method``, districts labelled by name."""
        wanted = list(indicators) if indicators is not None else [i.id for i in self.study.indicators]
        rows = self.prevalence[(self.prevalence["method"] == method) & (self.prevalence["district"] != prev.CITY)
                               & self.prevalence["indicator"].isin(wanted)]
        names = self.study.district_names(lang)
        return rows.assign(district=rows["district"].map(names).fillna(rows["district"])) if names else rows

    def district_table(self, method: str = "crude", indicators: Sequence[str] | None = None) -> pd.DataFrame:
        """Percent with 95% CI ends, indicator x district (rows) by wave (columns)."""
        shown = self.district_rows(method, indicators)
        return shown.assign(**{c: (100 * shown[c]).round(1) for c in ["estimate", "ci_low", "ci_high"]}).pivot_table(
            index=["indicator", "district"], columns="wave", values=["estimate", "ci_low", "ci_high"]).round(1)

    def city_change(self, method: str = "crude", digits: int | None = None):
        """Change of every indicator between consecutive waves for the city (Skipped with one wave).

        ``digits`` rounds the numbers for display.
        """
        can = self.study.capabilities()["change"]
        if not can:
            from survey.results import Skipped

            return Skipped(can.reason)
        rows = self.change[(self.change["district"] == prev.CITY) & (self.change["method"] == method)]
        rows = rows.drop(columns=["district", "method"])
        return rows if digits is None else rows.round(digits)

    def subgroup_rows(self, indicator: str | None = None, variable: str | None = None, district: str = prev.CITY,
                      digits: int | None = None):
        """Subgroup estimates of one indicator by one subgroup variable (defaults: the first of each).

        ``digits`` rounds the numbers for display; a study without subgroups gets a Skipped.
        """
        if self.subgroups.empty:
            from survey.results import Skipped

            return Skipped(self.study.capabilities()["subgroups"].reason)
        indicator = indicator or self.study.indicators[0].id
        variable = variable or self.study.config.subgroups[0]
        rows = self.subgroups[(self.subgroups["district"] == district) & (self.subgroups["indicator"] == indicator)
                              & (self.subgroups["group_variable"] == variable)]
        rows = rows[["wave", "group_value", "estimate", "ci_low", "ci_high", "n", "flag", "flag_reason"]]
        return rows if digits is None else rows.round(digits)

    def title(self) -> str:
        return (f"Prevalence in study {self.study.id}: {len(self.study.indicators)} indicators, "
                f"methods {', '.join(self.methods)}; city, % (95% CI)")

    def display_frame(self) -> pd.DataFrame:
        """The city table of every method, side by side."""
        return self.compare_methods()

    def summary(self) -> str:
        """City table per method, and the notes (what could not be estimated, and why)."""
        lines = []
        for method in self.methods:
            lines.append(f"{method} prevalence, city, % (95% CI):")
            lines.append(self.city_table(method).to_string())
        lines += self.notes
        return "\n".join(lines)

def standard_for_study(study: Study) -> tuple[pd.DataFrame, list[str]]:
    """The study's standard population in its age groups, and the standardisation variables."""
    name, groups = study.config.standard_population, study.config.age_groups
    if not name:
        raise ConfigError(f"{study.config_file}: standard_population: expected a data set name, found none")
    if groups is None:
        raise ConfigError(f"{study.config_file}: age_groups: expected breaks and labels for standardisation")
    standard = standard_population(name, root=study.root)
    table = aggregate_standard(standard, list(groups.breaks), list(groups.labels))
    table.attrs["metadata"] = standard.attrs.get("metadata", {})
    return table, ["age_group"]


def _scored(study: Study) -> pd.DataFrame:
    path = study.paths.scored
    if not path.is_file():
        raise InputFileError(f"{path}: not found; run `survey score {study.config_file}` first")
    paths = study.paths
    require_manifest(paths.processed, paths.scoring_manifest.name, (paths.scored.name,),
                     f"run `survey score {study.config_file}` again")
    return pd.read_parquet(path)


def study_design(study: Study | str | Path, data: pd.DataFrame | None = None) -> Design:
    """The study's survey design over its scored responses, as its prevalence tables use it.

    Strata are wave x the declared strata, PSUs nested in them, with the declared weight, FPC
    and lonely-PSU policy (:func:`survey.estimation.prevalence.survey_design`). ``data``
    defaults to ``processed/scored.parquet`` (written by ``survey score``; checked against its
    manifest).

    Example
    -------
    >>> design = study_design("data/demo/study.yaml")                      # doctest: +SKIP
    >>> proportion(design, "phq9_positive", by=["wave", "district"])      # doctest: +SKIP

    R: ``svydesign(id=~psu, strata=~interaction(wave, district), weights=~weight, fpc=~fpc,
    nest=TRUE, data=scored)`` with the study's own columns.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    return prev.survey_design(_scored(study) if data is None else data, study.design)


def prevalence_tables(study: Study | str | Path, write: bool = True) -> PrevalenceTables:
    """Crude, raked and standardised prevalence of every key indicator; see the module docstring.

    Parameters
    ----------
    study : Study or path to study.yaml
    write : bool, default True
        Write the CSV files to ``study.reports_dir / "tables"``.

    Returns
    -------
    PrevalenceTables
    """
    if not isinstance(study, Study):
        study = load_study(study)
    if not study.indicators:
        raise ConfigError(f"{study.config_file}: indicators: expected at least one key indicator, found none")
    data = _scored(study)
    config, district = study.config, study.district_column
    capabilities = study.capabilities()
    design = prev.survey_design(data, study.design)
    notes = []
    first = design.structure.stages[0]
    if design.n_stages == 1 and first.certain.any():
        notes.append(
            f"{int(first.certain.sum())} of {first.n_groups} strata (wave x "
            f"{' x '.join(study.design.strata)}) "
            "took every PSU: with a one-stage design they add no variance, so domains inside them get "
            "SE 0 (flagged 'review'); declare the second stage, e.g. design.ssu: community"
        )

    raked = None
    if capabilities["raking"]:
        margins = pd.read_csv(study.path(config.margins.file))
        raked = prev.rake_design(design, margins, config.margins.variables,
                                 epsilon=RAKING_EPSILON, max_iterations=RAKING_MAX_ITERATIONS)
    else:
        notes.append(capabilities["raking"].reason)
    standard, standard_by = (None, [])
    if capabilities["standardisation"]:
        standard, standard_by = standard_for_study(study)
        status = standard.attrs.get("metadata", {}).get("status", "")
        if "APPROXIMATE" in str(status).upper():
            notes.append(f"standard population {config.standard_population}: {status}")
    else:
        notes.append(capabilities["standardisation"].reason)

    rules = config.publication
    main, subgroups = [], []
    for indicator in study.indicators:
        main.append(prev.indicator_estimates(
            design, indicator.id, indicator.column, raked=raked, standard=standard,
            standard_by=standard_by, district=district,
        ))
        if config.subgroups:
            subgroups.append(prev.subgroup_estimates(design, indicator.id, indicator.column, config.subgroups,
                                                     district=district))
    if not config.subgroups:
        notes.append(capabilities["subgroups"].reason)
    if not capabilities["change"]:
        notes.append(capabilities["change"].reason)
    table = prev.with_flags(pd.concat(main, ignore_index=True), rules.rules, **rules.settings)[prev.TABLE_COLUMNS]
    sub_columns = [*prev.TABLE_COLUMNS[:4], "group_variable", "group_value", *prev.TABLE_COLUMNS[4:]]
    if subgroups:
        sub = prev.with_flags(pd.concat(subgroups, ignore_index=True), rules.rules, **rules.settings)[sub_columns]
    else:
        sub = pd.DataFrame(columns=sub_columns)
    change = prev.wave_changes(table)
    result = PrevalenceTables(study=study, prevalence=table, subgroups=sub, change=change, notes=notes)
    frames = [table, sub, change]
    if config.analysis.small_area is not None:
        from survey.estimation.small_area.study import small_area_table

        result.small_area, result.small_area_diagnostics = small_area_table(study, table, city=prev.CITY)
        frames += [result.small_area, result.small_area_diagnostics]
        modelled = result.small_area["published_source"] != "direct"
        notes.append(f"small-area model: {int(modelled.sum())} of {len(modelled)} district estimates published "
                     "from the Fay–Herriot model (the direct estimate fails the publication rule or is missing)")
    if write:
        files = outputs(study)
        for path, frame in zip(files, frames, strict=True):
            write_csv(path, frame, float_format="%.10g")
            result.paths.append(path)
        write_manifest(study.paths.tables, [p.name for p in files], {"step": "estimation", "study": study.id},
                       name=study.paths.estimation_manifest.name)
    return result


def load_tables(study: Study | str | Path) -> PrevalenceTables:
    """The last estimation's tables, read back from ``reports/<study>/tables``."""
    if not isinstance(study, Study):
        study = load_study(study)
    files = outputs(study)
    missing = [p for p in files if not p.is_file()]
    if missing:
        raise InputFileError(f"{missing[0]}: not found; run `survey prevalence {study.config_file}`")
    read = [pd.read_csv(p, dtype={"district": str, "group_value": str}) for p in files]
    notes = [c.reason for name, c in study.capabilities().items()
             if name in ("raking", "standardisation", "subgroups", "change") and not c]
    small = read[3:5] if len(read) == 5 else [None, None]
    if small[0] is not None:
        small[0]["direct_flag"] = small[0]["direct_flag"].fillna("")
    return PrevalenceTables(study=study, prevalence=read[0], subgroups=read[1], change=read[2], paths=files,
                            notes=notes, small_area=small[0], small_area_diagnostics=small[1])
