"""What a district report reads: the outputs of the earlier steps, loaded once, sliced per district.

:class:`ReportData` loads, for one study,

* the estimation step's tables in ``reports/<study>/tables/`` (``prevalence.csv``,
  ``prevalence_subgroups.csv``, ``prevalence_change.csv``) and the effects step's
  ``pilot_effects.csv``;
* the yearly service indicators (``services.yearly``) and the pilot districts
  (from the sources the effects step reads);
* from ``processed/scored.parquet`` only the design, indicator, subgroup and scoring-status
  columns (no identifier is ever read), reduced at once to counts per wave and district, the
  sample's make-up by the study's subgroup variables, the fieldwork dates, and the tested
  comparisons (:mod:`survey.reports.comparisons`);
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
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, InputFileError
from survey.reports.comparisons import TestedComparisons
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


def _level_keys(values: pd.Series) -> pd.Series:
    """``values.map(_level_key)``, each distinct value keyed once.

    Values that compare equal (1, 1.0, True) have the same key, so keying the distinct values is
    keying every value. Columns of other kinds (categories, missing values) are mapped as before.
    """
    plain = values.dtype == object or (isinstance(values.dtype, np.dtype) and values.dtype.kind in "biuf")
    cells = values.to_numpy(dtype=object)
    if not plain or values.empty or pd.isna(cells).any():
        return values.map(_level_key)
    codes, uniques = pd.factorize(cells)
    keys = pd.Series(uniques, dtype=object).map(_level_key)
    return pd.Series(keys.to_numpy()[codes], index=values.index, dtype=keys.dtype)


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
    return {d: (start if isinstance(start, int) else start.year) for d, start in pilot_start_dates(study).items()}


def pilot_start_dates(study: Study) -> dict[str, int | pd.Timestamp]:
    """District code -> the pilot's start as declared: a date (Timestamp) or a year (int)."""
    from survey.effects.pilot_schedule import pilot_schedule

    if not study.capabilities()["pilot"]:
        return {}
    schedule = pilot_schedule(study)
    return {str(d): schedule.starts[d] for d in schedule.districts}


def fieldwork_dates(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """First and last interview date per wave (city-wide), from ``submitted_at`` when the study has it.

    Columns: wave, first, last (dates; empty without a ``submitted_at`` column).
    """
    if "submitted_at" not in scored.columns:
        return pd.DataFrame({"wave": sorted(scored["wave"].unique()), "first": pd.NaT, "last": pd.NaT})
    when = pd.to_datetime(scored["submitted_at"], errors="coerce")
    dates = when.groupby(scored["wave"]).agg(["min", "max"]).reset_index()
    dates.columns = ["wave", "first", "last"]
    dates["first"], dates["last"] = dates["first"].dt.normalize(), dates["last"].dt.normalize()
    return dates


def _scored_columns(study: Study) -> list[str]:
    from survey.reports.comparisons import scored_columns

    design = study.design
    wanted = [study.district_column, "wave", design.psu, design.weight, second_stage(study), "source", "source_row",
              "submitted_at", *design.strata, *scored_columns(study)]
    wanted += [f"{name}_status" for name in study.config.instruments]
    return list(dict.fromkeys(c for c in wanted if c))


def second_stage(study: Study) -> str:
    """Column of the second-stage units (``design.ssu``; ``community`` where the design names none)."""
    return study.design.ssu or "community"


def sample_counts(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """Respondents, sampling units and the weighted population per wave and district, and for the city.

    Columns: wave, district, respondents, psus, communities (second-stage units; empty
    without them), weighted_population (sum of the design weights).
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

    def summarise(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        groups = frame.groupby(keys, sort=True)
        out = groups.agg(respondents=("_psu", "size"), psus=("_psu", "nunique"),
                         weighted_population=(design.weight, "sum"))
        out["communities"] = groups["_community"].nunique() if has_community else np.nan
        return out.reset_index()

    by_district = summarise(df, ["wave", "district"])
    city = summarise(df, ["wave"]).assign(district=CITY)
    order = ["wave", "district", "respondents", "psus", "communities", "weighted_population"]
    return pd.concat([by_district, city], ignore_index=True)[order]


def sample_makeup(study: Study, scored: pd.DataFrame) -> pd.DataFrame:
    """The sample's make-up by each declared subgroup variable: unweighted counts and shares.

    Columns: wave, district (and ``city``), variable, level (as text), respondents, share
    (of the respondents with a known value). Empty when the study declares no subgroups.
    """
    columns = ["wave", "district", "variable", "level", "respondents", "share"]
    variables = [v for v in study.config.subgroups if v in scored.columns]
    if not variables:
        return pd.DataFrame(columns=columns)
    base = scored[["wave", study.district_column, *variables]].rename(columns={study.district_column: "district"})
    long = base.assign(district=base["district"].astype(str)).melt(id_vars=["wave", "district"],
                                                                   var_name="variable", value_name="level")
    long = long.dropna(subset=["level"])
    long["level"] = _level_keys(long["level"])
    by_district = long.groupby(["wave", "district", "variable", "level"]).size().rename("respondents").reset_index()
    city = long.groupby(["wave", "variable", "level"]).size().rename("respondents").reset_index().assign(
        district=CITY)
    out = pd.concat([by_district, city], ignore_index=True)
    out["share"] = out["respondents"] / out.groupby(["wave", "district", "variable"])["respondents"].transform("sum")
    return out[columns]


def population_figures(study: Study, sample: pd.DataFrame) -> pd.DataFrame:
    """One adult population figure per wave and district (and the city), with where it comes from.

    With population margins by district (raking) the margins' total, which the raked weights add
    up to; otherwise the sum of the design weights. Columns: wave, district, population, source
    (``margins`` or ``design_weights``).
    """
    figures = sample[["wave", "district", "weighted_population"]].rename(columns={"weighted_population": "population"})
    figures = figures.assign(source="design_weights")
    margins = study.config.margins
    if margins is None or margins.variables[0] != study.district_column or not study.path(margins.file).is_file():
        return figures
    table = pd.read_csv(study.path(margins.file), dtype={study.district_column: str})
    if "population" not in table.columns or "wave" not in table.columns:
        return figures
    # every margin variable adds up to the same total: take the district x first other variable cells
    cells = table.groupby(["wave", study.district_column, margins.variables[1]])["population"].sum()
    totals = cells.groupby(level=[0, 1]).sum().rename("margin").reset_index()
    totals = totals.rename(columns={study.district_column: "district"})
    city = totals.groupby("wave", as_index=False)["margin"].sum().assign(district=CITY)
    totals = pd.concat([totals, city], ignore_index=True)
    merged = figures.merge(totals, on=["wave", "district"], how="left")
    known = merged["margin"].notna()
    merged.loc[known, "population"] = merged.loc[known, "margin"]
    merged.loc[known, "source"] = "margins"
    return merged[["wave", "district", "population", "source"]]


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


def _object_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns held as Python strings (``object``) instead of Arrow strings.

    Same values; a report makes thousands of selections, joins and lookups on these small tables,
    and each is about a fifth faster on ``object`` columns (pandas 3 reads text as Arrow strings).
    """
    text = {c: object for c, dtype in frame.dtypes.items() if isinstance(dtype, pd.StringDtype)}
    return frame.astype(text) if text else frame


def _with_object_text(record):
    """A copy of a dataclass of tables (and of tables of tables) with :func:`_object_text` applied."""
    changes = {}
    for item in fields(record):
        value = getattr(record, item.name)
        if isinstance(value, pd.DataFrame):
            changes[item.name] = _object_text(value)
        elif is_dataclass(value) and not isinstance(value, type) and any(
                isinstance(getattr(value, f.name), pd.DataFrame) for f in fields(value)):
            changes[item.name] = _with_object_text(value)
    return replace(record, **changes)


@dataclass
class DistrictData:
    """The rows one district's report shows: the district's and the city's, and the tests behind its words."""

    district: str
    method: str
    level: float
    pilot_start: int | None
    pilot_start_date: object
    pilots: tuple[str, ...]
    prevalence: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    effects: pd.DataFrame = field(repr=False)
    services: pd.DataFrame = field(repr=False)
    sample: pd.DataFrame = field(repr=False)
    makeup: pd.DataFrame = field(repr=False)
    population: pd.DataFrame = field(repr=False)
    completion: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)
    fieldwork: pd.DataFrame = field(repr=False)
    versus_city: pd.DataFrame = field(repr=False)
    subgroup_tests: pd.DataFrame = field(repr=False)
    change_tests: pd.DataFrame = field(repr=False)
    trends: pd.DataFrame = field(repr=False)

    def digest(self) -> str:
        """SHA-256 over every table's rows and the scalar fields: changes when the report's inputs do."""
        return self._digest

    @cached_property
    def _digest(self) -> str:  # the rows are not changed after the report's inputs are split
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

    @property
    def data_version(self) -> str:
        """The report's data version: the first 12 hex digits of :meth:`digest`, a fingerprint of exactly
        the rows the report shows (it changes when, and only when, the report's own inputs do)."""
        return self.digest()[:12]


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
    makeup: pd.DataFrame = field(repr=False)
    population: pd.DataFrame = field(repr=False)
    completion: pd.DataFrame = field(repr=False)
    quality: pd.DataFrame = field(repr=False)
    fieldwork: pd.DataFrame = field(repr=False)
    comparisons: TestedComparisons = field(repr=False)
    pilots: dict[str, int] = field(default_factory=dict)
    pilot_dates: dict = field(default_factory=dict)

    @classmethod
    def load(cls, study: Study) -> ReportData:
        from survey.reports.comparisons import tested_comparisons

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
        dates = pilot_start_dates(study)
        comparisons = tested_comparisons(study, scored, tables["prevalence"], tables["subgroups"], tables["change"],
                                         pilots=sorted(dates))
        sample = sample_counts(study, scored)
        data = cls(study=study, **tables, services=service_table(study), sample=sample,
                   makeup=sample_makeup(study, scored), population=population_figures(study, sample),
                   completion=completion_counts(study, scored), quality=quality_counts(study, scored),
                   fieldwork=fieldwork_dates(study, scored), comparisons=comparisons,
                   pilots={d: (v if isinstance(v, int) else v.year) for d, v in dates.items()}, pilot_dates=dates)
        return _with_object_text(data)

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
        """The comparison rate: what the index and every report compare districts on."""
        return headline_method(self.study, self.prevalence)

    def district_codes(self) -> list[str]:
        return list(self.study.districts()["code"])

    def for_district(self, district: str) -> DistrictData:
        """The district's rows and the city's; a one-line error if the district is unknown."""
        scalars, tables = self.district_parts(district)
        rows = {name: select_rows(table, which, district) for name, (table, which) in tables.items()}
        data = DistrictData(**scalars, **rows)
        known = self.__dict__.get("_district_digests", {}).get(district)
        if known is not None:  # computed for every district at once from these same tables
            data.__dict__["_digest"] = known
        return data

    def district_parts(self, district: str) -> tuple[dict, dict[str, tuple[pd.DataFrame, str]]]:
        """:class:`DistrictData`'s fields for ``district``: the scalars, and each table with which of its rows.

        Which rows (:func:`select_rows`): ``district``, ``district_and_city``, ``whole`` (the table itself),
        and for the pilot's tables ``all`` for a pilot district, ``none`` otherwise. A one-line error if the
        district is unknown.
        """
        codes = self.district_codes()
        if district not in codes:
            raise ConfigError(f"district: expected one of {', '.join(codes)}, found {district!r}")
        tests = self.comparisons
        pilot = "all" if district in self.pilots else "none"
        scalars = dict(district=district, method=self.method, level=tests.level, pilot_start=self.pilots.get(district),
                       pilot_start_date=self.pilot_dates.get(district), pilots=tuple(sorted(self.pilots)))
        both, own = "district_and_city", "district"
        tables = dict(prevalence=(self.prevalence, both), subgroups=(self.subgroups, own), change=(self.change, both),
                      effects=(self.effects, pilot), services=(self.services, both), sample=(self.sample, both),
                      makeup=(self.makeup, both), population=(self.population, both),
                      completion=(self.completion, both), quality=(self.quality, both),
                      fieldwork=(self.fieldwork, "whole"), versus_city=(tests.districts, own),
                      subgroup_tests=(tests.subgroups, own), change_tests=(tests.change, both),
                      trends=(tests.trends, pilot))
        return scalars, tables

    def district_digests(self) -> dict[str, str]:
        """Every district's :meth:`DistrictData.digest`, computed at once (:mod:`survey.reports.digests`).

        Kept with the inputs (and handed to the report kernels with them), so :meth:`for_district`'s
        data carry their digest without hashing their rows again.
        """
        if "_district_digests" not in self.__dict__:
            from survey.reports.digests import all_district_digests

            self.__dict__["_district_digests"] = all_district_digests(self, self.district_codes())
        return self.__dict__["_district_digests"]


WHICH_ROWS = ("district", "district_and_city", "all", "none", "whole")


def select_rows(table: pd.DataFrame, which: str, district: str) -> pd.DataFrame:
    """The rows of ``table`` that ``which`` keeps for ``district``, numbered from 0 (``whole``: the table itself)."""
    if which not in WHICH_ROWS:
        raise ValueError(f"which rows: expected one of {', '.join(WHICH_ROWS)}, found {which!r}")
    if which == "whole":
        return table
    if which == "all":
        return table.reset_index(drop=True)
    if which == "none":
        return table.iloc[0:0].reset_index(drop=True)
    keep = [district, CITY] if which == "district_and_city" else [district]
    return table[table["district"].isin(keep)].reset_index(drop=True)
