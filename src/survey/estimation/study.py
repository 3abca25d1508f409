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
* ``prevalence_change.csv`` — change between waves per district, indicator and method.

Example
-------
>>> from survey.estimation.study import prevalence_tables
>>> tables = prevalence_tables("data/demo/study.yaml")     # doctest: +SKIP
>>> print(tables.summary())                                 # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError, InputFileError
from survey.estimation import prevalence as prev
from survey.estimation.standardization import aggregate_standard, standard_population
from survey.outputs import require_manifest, write_csv, write_manifest
from survey.study import Study, load_study

OUTPUTS = ("prevalence.csv", "prevalence_subgroups.csv", "prevalence_change.csv")
#: Written last, beside the tables: their SHA-256 (:mod:`survey.outputs`).
MANIFEST = "estimation_manifest.json"
SCORING_MANIFEST = "scoring_manifest.json"
#: Raking stops when no cell of wave x district x sex x age group moves by more than this
#: fraction of the total weight (R ``rake(..., control=list(epsilon=1e-8, maxit=50))``).
RAKING_EPSILON = 1e-8
RAKING_MAX_ITERATIONS = 50
#: Truth keys of the demo's indicators in truth.json (synthetic studies only); an indicator's
#: own ``truth_key`` in the study configuration takes precedence.
TRUTH_KEYS = {
    "literacy": "literacy_adequate",
    "depression": "depression_phq9_ge10",
    "anxiety": "anxiety_gad7_ge10",
    "insomnia": "insomnia_isi_ge15",
    "dementia_screen": "dementia_ad8_ge2_age60plus",
    "perinatal_depression": "perinatal_epds_ge13",
}


@dataclass
class PrevalenceTables:
    """Prevalence tables of a study's key indicators and where they were written."""

    study: Study
    prevalence: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    truth: pd.DataFrame | None = field(default=None, repr=False)
    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The main table (tidy, long)."""
        return self.prevalence.copy()

    def city_table(self, method: str = "crude") -> pd.DataFrame:
        """City prevalence (%) with CI, indicators x waves, for a quick look."""
        rows = self.prevalence[(self.prevalence["district"] == prev.CITY) & (self.prevalence["method"] == method)]
        shown = rows.assign(
            value=(100 * rows["estimate"]).map("{:.1f}".format)
            + " (" + (100 * rows["ci_low"]).map("{:.1f}".format) + "-"
            + (100 * rows["ci_high"]).map("{:.1f}".format) + ")"
            + rows["flag"].map(lambda f: "" if f == "present" else f" [{f}]")
        )
        return shown.pivot(index="indicator", columns="wave", values="value")

    def summary(self) -> str:
        """City table per method, and the truth check when the study has one."""
        lines = []
        for method in prev.METHODS:
            if (self.prevalence["method"] == method).any():
                lines.append(f"{method} prevalence, city, % (95% CI):")
                lines.append(self.city_table(method).to_string())
        if self.truth is not None and len(self.truth):
            lines.append(self.truth_summary())
        lines += self.notes
        return "\n".join(lines)

    def truth_summary(self) -> str:
        """How many 95% CIs contain the true prevalence, by method."""
        parts = []
        for method, group in self.truth.groupby("method", sort=False):
            parts.append(f"{method} {int(group['covered'].sum())}/{len(group)}")
        return "95% CIs containing the true prevalence (truth.json): " + ", ".join(parts)


def standard_for_study(study: Study) -> tuple[pd.DataFrame, list[str]]:
    """The study's standard population in its age groups, and the standardisation variables."""
    name = study.spec.get("standard_population")
    if not name:
        raise ConfigError(f"{study.config_file}: standard_population: expected a data set name, found none")
    groups = study.spec.get("age_groups") or {}
    if "breaks" not in groups or "labels" not in groups:
        raise ConfigError(f"{study.config_file}: age_groups: expected breaks and labels for standardisation")
    standard = standard_population(name, root=study.root)
    table = aggregate_standard(standard, groups["breaks"], groups["labels"])
    table.attrs["metadata"] = standard.attrs.get("metadata", {})
    return table, ["age_group"]


def _scored(study: Study) -> pd.DataFrame:
    path = study.processed_dir / "scored.parquet"
    if not path.is_file():
        raise InputFileError(f"{path}: not found; run `survey score {study.config_file}` first")
    require_manifest(study.processed_dir, SCORING_MANIFEST, ("scored.parquet",),
                     f"run `survey score {study.config_file}` again")
    return pd.read_parquet(path)


def _truth(study: Study, table: pd.DataFrame) -> pd.DataFrame | None:
    name = study.spec.get("truth")
    if not name or not study.path(name).is_file():
        return None
    truth = json.loads(study.path(name).read_text(encoding="utf-8")).get("prevalence")
    if not truth:
        return None
    keys = {**TRUTH_KEYS, **{i["id"]: i["truth_key"] for i in study.indicators if "truth_key" in i}}
    return prev.truth_coverage(table[table["method"] != "standardised"], truth, keys)


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
    district = study.district_column
    design = prev.survey_design(data, study.design)
    notes = []
    first = design.structure.stages[0]
    if design.n_stages == 1 and first.certain.any():
        notes.append(
            f"{int(first.certain.sum())} of {first.n_groups} strata (wave x "
            f"{' x '.join(study.design.get('strata', []))}) "
            "took every PSU: with a one-stage design they add no variance, so domains inside them get "
            "SE 0 (flagged 'review'); declare the second stage, e.g. design.ssu: community"
        )

    margins_spec = study.spec.get("margins")
    raked = None
    if margins_spec:
        margins = pd.read_csv(study.path(margins_spec["file"]))
        raked = prev.rake_design(design, margins, margins_spec["variables"],
                                 epsilon=RAKING_EPSILON, max_iterations=RAKING_MAX_ITERATIONS)
    else:
        notes.append("no population margins in the study configuration: no raked estimates")
    standard, standard_by = (None, [])
    if study.spec.get("standard_population"):
        standard, standard_by = standard_for_study(study)
        status = standard.attrs.get("metadata", {}).get("status", "")
        if "APPROXIMATE" in str(status).upper():
            notes.append(f"standard population {study.spec['standard_population']}: {status}")

    rules = study.spec.get("publication", {}) or {}
    rule_set = rules.get("rules", "nchs2017")
    settings = {k: v for k, v in rules.items() if k != "rules"}
    main, subgroups = [], []
    for indicator in study.indicators:
        main.append(prev.indicator_estimates(
            design, indicator["id"], indicator["column"], raked=raked, standard=standard,
            standard_by=standard_by, district=district,
        ))
        present = [v for v in study.spec.get("subgroups", prev.SUBGROUP_VARIABLES) if v in data.columns]
        subgroups.append(prev.subgroup_estimates(design, indicator["id"], indicator["column"], present,
                                                 district=district))
    table = prev.with_flags(pd.concat(main, ignore_index=True), rule_set, **settings)[prev.TABLE_COLUMNS]
    sub = prev.with_flags(pd.concat(subgroups, ignore_index=True), rule_set, **settings)
    sub = sub[[*prev.TABLE_COLUMNS[:4], "group_variable", "group_value", *prev.TABLE_COLUMNS[4:]]]
    change = prev.wave_changes(table)
    result = PrevalenceTables(study=study, prevalence=table, subgroups=sub, change=change,
                              truth=_truth(study, table), notes=notes)
    if write:
        folder = study.reports_dir / "tables"
        for name, frame in zip(OUTPUTS, (table, sub, change), strict=True):
            write_csv(folder / name, frame, float_format="%.10g")
            result.paths.append(folder / name)
        write_manifest(folder, OUTPUTS, {"step": "estimation", "study": study.id}, name=MANIFEST)
    return result
