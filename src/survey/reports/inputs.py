"""What a district report reads: the outputs of the earlier steps, loaded once, sliced per district.

:class:`ReportData` loads, for one study,

* the estimation step's tables in ``reports/<study>/tables/`` (``prevalence.csv``,
  ``prevalence_subgroups.csv``, ``prevalence_change.csv``) and the effects step's
  ``pilot_effects.csv``;
* the yearly service indicators (``services.yearly``) and the pilot districts
  (from the sources the effects step reads);
* from ``processed/scored.parquet`` only the design, demographic and scoring-status columns,
  reduced at once to counts per wave and district (no identifier is ever read);
* from ``processed/validation_report.csv`` only input, row, issue and action, counted per wave
  and district.

:meth:`ReportData.for_district` returns the :class:`DistrictData` one report shows: the
district's rows and the city's. Its :meth:`DistrictData.digest` is a hash of exactly those
rows, so a rerun can tell which districts' inputs changed.

Example
-------
>>> data = ReportData.load(study)                       # doctest: +SKIP
>>> data.for_district("linjiang").prevalence.head()     # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, InputFileError
from survey.study import Study

CITY = "city"
#: The step tables the reports read: name -> its path in :class:`~survey.study.paths.StudyPaths`.
TABLE_FILES = {"prevalence": "prevalence", "subgroups": "prevalence_subgroups", "change": "prevalence_change",
               "effects": "pilot_effects"}
#: Tables a study may lack, with the capability that makes them.
OPTIONAL_TABLES = {"effects": "effects"}
REQUIRED_COLUMNS = {
    "prevalence": ["wave", "district", "indicator", "method", "estimate", "ci_low", "ci_high", "n", "flag"],
    "subgroups": ["wave", "district", "variable", "level", "indicator", "estimate", "ci_low", "ci_high", "n", "flag"],
    "change": ["district", "indicator", "estimate", "ci_low", "ci_high"],
    "effects": ["indicator", "model", "method", "estimate", "ci_low", "ci_high"],
}
#: Other spellings of a required column that the tables may use.
COLUMN_ALIASES = {
    "variable": ("group_variable", "subgroup", "subgroup_variable"),
    "level": ("group_value", "subgroup_level", "category"),
    "estimate": ("difference",),
}
SUBGROUP_VARIABLES = ("sex", "age_group", "urban_rural", "education")
SERVICE_COUNTS = ("counsellors", "counselling_rooms", "hotline_calls")
COMPLETE_STATUSES = ("complete", "prorated")


def _normalise(table: pd.DataFrame, name: str, source) -> pd.DataFrame:
    for column, aliases in COLUMN_ALIASES.items():
        if column in REQUIRED_COLUMNS[name] and column not in table.columns:
            found = next((a for a in aliases if a in table.columns), None)
            if found:
                table = table.rename(columns={found: column})
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in table.columns]
    if missing:
        found = ", ".join(map(str, table.columns))
        raise ColumnError(f"{source}: expected columns {', '.join(missing)}, found {found}")
    if "district" in table.columns:
        table["district"] = table["district"].astype(str)
    if "level" in table.columns:
        table["level"] = table["level"].map(_level_key)
    return table


def _level_key(value) -> str:
    """Category codes as the same text whatever the CSV made of them: 1, 1.0 and '1' -> '1'."""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value)
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def read_step_table(study: Study, name: str) -> pd.DataFrame:
    """One of the estimation/effects tables, checked for the columns the reports use."""
    path = getattr(study.paths, TABLE_FILES[name])
    capability = OPTIONAL_TABLES.get(name)
    if capability and not study.capabilities()[capability]:
        return pd.DataFrame(columns=REQUIRED_COLUMNS[name])
    if not path.is_file():
        raise InputFileError(f"{path}: expected the {name} table written by an earlier step, found no file; "
                             "run `survey report` (it runs the missing steps) or the step itself")
    return _normalise(pd.read_csv(path, dtype={"district": str}), name, path)


def headline_method(study: Study, prevalence: pd.DataFrame) -> str:
    """The rate the reports headline and compare districts on: the study's comparison rate."""
    method = study.comparison_rate
    present = set(prevalence["method"].unique())
    if method not in present:
        raise ColumnError(f"prevalence table: column 'method': expected the study's comparison rate {method!r} "
                          f"(analysis.comparison_rate), found {', '.join(sorted(map(str, present)))}")
    return method


def service_table(study: Study) -> pd.DataFrame:
    """Yearly service counts per district with the city total: district, year, population, counts."""
    services = study.config.services.yearly if study.config.services else None
    if not services:
        return pd.DataFrame(columns=["district", "year", "population", *SERVICE_COUNTS, "pilot_start_year"])
    path = study.path(services)
    if not path.is_file():
        raise InputFileError(f"{path}: services.yearly: expected a CSV file, found none")
    table = pd.read_csv(path, dtype={"district": str})
    missing = [c for c in ("district", "year", "population") if c not in table.columns]
    if missing:
        raise ColumnError(f"{path}: expected columns {', '.join(missing)}, found {', '.join(table.columns)}")
    counts = [c for c in SERVICE_COUNTS if c in table.columns]
    city = table.groupby("year", as_index=False)[["population", *counts]].sum(min_count=1)
    city["district"] = CITY
    keep = ["district", "year", "population", *counts] + (["pilot_start_year"] if "pilot_start_year" in table else [])
    return pd.concat([table[keep], city], ignore_index=True)


def pilot_starts(study: Study) -> dict[str, int]:
    """District code -> year the pilot started, from the same sources the effects step reads.

    (:func:`survey.effects.pilot_schedule.pilot_schedule`); empty when the study has no pilot.
    """
    from survey.effects.pilot_schedule import pilot_schedule

    try:
        schedule = pilot_schedule(study)
    except ConfigError:
        return {}
    return {str(d): schedule.start_year(d) for d in schedule.districts}


def _scored_columns(study: Study) -> list[str]:
    design = study.design
    wanted = [study.district_column, "wave", design.psu, design.weight, second_stage(study), "urban_rural",
              "sex", "age_group", "source", "source_row", *design.strata]
    wanted += [f"{name}_status" for name in study.config.instruments]
    return list(dict.fromkeys(wanted))


def second_stage(study: Study) -> str:
    """Column of the second-stage units (``design.ssu``; ``community`` where the design names none)."""
    return study.design.ssu or "community"


def sample_counts(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """Respondents, sampling units and sample make-up per wave and district, and for the city.

    Columns: wave, district, respondents, psus, communities, weighted_population,
    share_urban, share_women, share_60_plus (unweighted shares of the sample).
    """
    design = study.design
    strata = [c for c in design.strata if c != study.district_column]
    df = scored.rename(columns={study.district_column: "district"})
    df["district"] = df["district"].astype(str)
    psu_key = ["district", *strata, design.psu]
    df["_psu"] = df.groupby(psu_key, dropna=False, sort=False).ngroup()
    ssu = second_stage(study)
    has_community = ssu in df.columns
    if has_community:
        df["_community"] = df.groupby([*psu_key, ssu], dropna=False, sort=False).ngroup()
    df["_urban"] = (df["urban_rural"] == 1).astype(float) if "urban_rural" in df else np.nan
    df["_women"] = (df["sex"] == 2).astype(float).where(df["sex"].notna()) if "sex" in df else np.nan
    old = ("60-74", "75+")
    df["_old"] = df["age_group"].astype(str).isin(old).astype(float) if "age_group" in df else np.nan

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        groups = frame.groupby(keys, sort=True)
        out = groups.agg(respondents=("_psu", "size"), psus=("_psu", "nunique"),
                         weighted_population=(design.weight, "sum"), share_urban=("_urban", "mean"),
                         share_women=("_women", "mean"), share_60_plus=("_old", "mean"))
        out["communities"] = groups["_community"].nunique() if has_community else np.nan
        return out.reset_index()

    by_district = summarise(df, ["wave", "district"])
    city = summarise(df, ["wave"]).assign(district=CITY)
    order = ["wave", "district", "respondents", "psus", "communities", "weighted_population",
             "share_urban", "share_women", "share_60_plus"]
    return pd.concat([by_district, city], ignore_index=True)[order]


def completion_counts(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """Per wave, district (and city) and instrument: eligible respondents and the share scored.

    Columns: wave, district, instrument, eligible, scored, share_scored.
    """
    status = [c for c in scored.columns if c.endswith("_status")]
    long = scored[["wave", study.district_column, *status]].rename(columns={study.district_column: "district"})
    long = long.melt(id_vars=["wave", "district"], var_name="instrument", value_name="status")
    long["instrument"] = long["instrument"].str.removesuffix("_status")
    long["district"] = long["district"].astype(str)
    long["eligible"] = long["status"].notna() & (long["status"] != "not_eligible")
    long["scored"] = long["status"].isin(COMPLETE_STATUSES)
    keys = ["wave", "district", "instrument"]
    by_district = long.groupby(keys, as_index=False)[["eligible", "scored"]].sum()
    city = long.groupby(["wave", "instrument"], as_index=False)[["eligible", "scored"]].sum().assign(district=CITY)
    out = pd.concat([by_district, city], ignore_index=True)[[*keys, "eligible", "scored"]]
    out["share_scored"] = out["scored"] / out["eligible"].where(out["eligible"] > 0)
    return out


def quality_counts(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """Validation findings per wave, issue and action: in the district's kept rows, and city-wide.

    Rejected rows never reach the analysis file, so their district is unknown: they count for
    the city only (``district`` = ``city``). Columns: wave, district, issue, action, count.
    """
    path = study.paths.validation_report
    columns = ["wave", "district", "issue", "action", "count"]
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    findings = pd.read_csv(path, usecols=["input", "row", "issue", "action"])
    waves = {spec.id: spec.wave for spec in study.inputs}
    findings["wave"] = findings["input"].map(waves)
    located = findings.merge(
        scored[["source", "source_row", study.district_column]].rename(
            columns={"source": "input", "source_row": "row", study.district_column: "district"}),
        on=["input", "row"], how="left")
    by_district = (located.dropna(subset=["district"]).assign(district=lambda f: f["district"].astype(str))
                   .groupby(["wave", "district", "issue", "action"]).size().rename("count").reset_index())
    city = findings.groupby(["wave", "issue", "action"]).size().rename("count").reset_index().assign(district=CITY)
    return pd.concat([by_district, city], ignore_index=True)[columns]


@dataclass
class DistrictData:
    """The rows one district's report shows: the district's and the city's."""

    district: str
    method: str
    pilot_start: int | None
    prevalence: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    effects: pd.DataFrame = field(repr=False)
    services: pd.DataFrame = field(repr=False)
    sample: pd.DataFrame = field(repr=False)
    completion: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)

    def digest(self) -> str:
        """SHA-256 over every table's rows and the scalar fields: changes when the report's inputs do."""
        sha = hashlib.sha256()
        for item in fields(self):
            value = getattr(self, item.name)
            sha.update(item.name.encode())
            if isinstance(value, pd.DataFrame):
                sha.update(",".join(map(str, value.columns)).encode())
                sha.update(pd.util.hash_pandas_object(value.reset_index(drop=True).astype(str), index=True).to_numpy()
                           .tobytes())
            else:
                sha.update(repr(value).encode())
        return sha.hexdigest()


@dataclass
class ReportData:
    """Every input of the district reports of one study, loaded once."""

    study: Study
    prevalence: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    effects: pd.DataFrame = field(repr=False)
    services: pd.DataFrame = field(repr=False)
    sample: pd.DataFrame = field(repr=False)
    completion: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)
    pilots: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, study: Study) -> ReportData:
        scored_file = study.paths.scored
        if not scored_file.is_file():
            raise InputFileError(f"{scored_file}: expected the scored responses (survey score), found no file")
        import pyarrow.parquet as pq

        available = set(pq.read_schema(scored_file).names)
        wanted = _scored_columns(study)
        missing = [c for c in (study.district_column, "wave", study.design.weight) if c not in available]
        if missing:
            raise ColumnError(f"{scored_file}: expected columns {', '.join(missing)}, found none of them")
        scored = pd.read_parquet(scored_file, columns=[c for c in wanted if c in available])
        tables = {name: read_step_table(study, name) for name in TABLE_FILES}
        return cls(study=study, **tables, services=service_table(study), sample=sample_counts(study, scored),
                   completion=completion_counts(study, scored), quality=quality_counts(study, scored),
                   pilots=pilot_starts(study))

    def write(self, path: str | Path) -> Path:
        """Hand the loaded inputs to worker kernels: a pickle, private to one build (never kept).

        Each report's kernel reads this instead of loading the study and its tables again.
        """
        path = Path(path)
        with path.open("wb") as handle:
            pickle.dump(self, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    @classmethod
    def read(cls, path: str | Path) -> ReportData:
        """The inputs :meth:`write` handed over (only ever a file this package wrote in the same build)."""
        path = Path(path)
        if not path.is_file():
            raise InputFileError(f"{path}: expected the report inputs written by build_reports, found no file")
        with path.open("rb") as handle:
            data = pickle.load(handle)
        if not isinstance(data, cls):
            raise InputFileError(f"{path}: expected report inputs, found {type(data).__name__}")
        return data

    @property
    def method(self) -> str:
        return headline_method(self.study, self.prevalence)

    def district_codes(self) -> list[str]:
        return list(self.study.districts()["code"])

    def for_district(self, district: str) -> DistrictData:
        """The district's rows and the city's; a one-line error if the district is unknown."""
        codes = self.district_codes()
        if district not in codes:
            raise ConfigError(f"district: expected one of {', '.join(codes)}, found {district!r}")

        def rows(table: pd.DataFrame, with_city: bool = True) -> pd.DataFrame:
            keep = [district, CITY] if with_city else [district]
            return table[table["district"].isin(keep)].reset_index(drop=True)

        return DistrictData(
            district=district, method=self.method, pilot_start=self.pilots.get(district),
            prevalence=rows(self.prevalence), subgroups=rows(self.subgroups, with_city=False),
            change=rows(self.change),
            effects=(self.effects if district in self.pilots else self.effects.iloc[0:0]).reset_index(drop=True),
            services=rows(self.services),
            sample=rows(self.sample), completion=rows(self.completion), quality=rows(self.quality))
