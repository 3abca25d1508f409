"""Study configuration: one ``study.yaml`` per study, parsed once into typed, frozen objects.

The file declares the input exports and how their headers map to the workspace's variable
names, the variables' types and valid values, the instruments and their settings, the sample
design, the district column, the personal identifiers, and what else the study has (waves,
population margins, a standard population, service tables, a pilot programme, indicators and
their targets, subgroups, analysis choices). :mod:`survey.study.model` is the model (and so the
schema); :class:`Study` is a loaded configuration with its paths resolved; library code reads
``study.config`` and the properties here, never the YAML.

Example
-------
>>> from survey.study import load_study
>>> study = load_study("data/demo/study.yaml")        # doctest: +SKIP
>>> [i.id for i in study.inputs]                       # doctest: +SKIP
['wave2023', 'wave2024', 'wave2024_counties']
>>> study.capabilities()["raking"].available           # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from survey.errors import ConfigError
from survey.instruments import Instrument, load_instrument
from survey.study.answer_codes import check_answer_codes, code_maps_of
from survey.study.capabilities import Capability, capabilities
from survey.study.config_errors import describe, first_error
from survey.study.consistency import check_consistency, check_derived
from survey.study.districts import read_districts
from survey.study.item_patterns import input_columns
from survey.study.model import Indicator, Input, StudyConfig, Variable
from survey.study.paths import StudyPaths
from survey.study.yaml_loader import load_yaml_file

__all__ = ["InputSpec", "Study", "StudyConfig", "load_study"]


@dataclass(frozen=True, eq=False)
class InputSpec:
    """One input of the study with its file path and format resolved."""

    config: Input
    path: Path
    format: str
    code_maps: Mapping[str, Mapping[int, int]]  # ``code_maps`` with whole-number export codes
    columns: Mapping[str, str]                  # header -> variable: ``columns`` and the expanded ``items``
    column_origin: Mapping[str, str]            # header -> the item pattern it came from

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def answers(self) -> str:
        return self.config.answers

    @property
    def wave(self) -> int | None:
        return self.config.wave

    @property
    def encoding(self) -> str:
        return self.config.encoding

    @property
    def sheet(self) -> str | int:
        return self.config.sheet

    @property
    def code_base(self) -> int | None:
        return self.config.code_base

    @property
    def missing_values(self) -> tuple[str, ...]:
        return tuple(str(v) for v in self.config.missing_values)


@dataclass(frozen=True, eq=False)
class Study:
    """A validated study configuration with its paths resolved."""

    config: StudyConfig
    root: Path
    config_file: Path
    inputs: tuple[InputSpec, ...]
    instruments: Mapping[str, Instrument]

    def __repr__(self) -> str:
        return f"Study(id={self.id!r}, config_file={str(self.config_file)!r})"

    @property
    def id(self) -> str:
        return self.config.id

    @cached_property
    def paths(self) -> StudyPaths:
        """Every output path of the study (:mod:`survey.study.paths`)."""
        return StudyPaths.of(self.root, self.id)

    @property
    def processed_dir(self) -> Path:
        return self.paths.processed

    @property
    def reports_dir(self) -> Path:
        return self.paths.reports

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """The study's key indicators: id, 0/1 score column, labels, optional population and targets."""
        return self.config.indicators

    def indicator(self, indicator_id: str) -> Indicator:
        for indicator in self.config.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise ConfigError(f"{self.config_file}: indicators: expected an indicator {indicator_id!r}, "
                          f"found only {[i.id for i in self.config.indicators]}")

    @property
    def variables(self) -> Mapping[str, Variable]:
        return self.config.variables

    @property
    def design(self):
        return self.config.design

    @property
    def district_column(self) -> str:
        return self.config.district_column

    @property
    def pii(self) -> Mapping[str, str]:
        """Identifier column -> ``drop`` or ``pseudonymise``."""
        return self.config.pii.columns

    @cached_property
    def waves(self) -> tuple[int, ...]:
        """The study's waves: ``waves:``, else the waves its inputs declare."""
        return tuple(sorted(self.config.waves or {i.wave for i in self.inputs if i.wave is not None}))

    @property
    def comparison_rate(self) -> str:
        """The rate districts are compared on: ``analysis.comparison_rate``, else standardised when the
        study can standardise, else crude."""
        declared = self.config.analysis.comparison_rate
        if declared is not None:
            needs = {"raked": "raking", "standardised": "standardisation"}.get(declared)
            if needs and not self.capabilities()[needs]:
                raise ConfigError(f"{self.config_file}: analysis.comparison_rate: {declared!r} needs "
                                  f"{self.capabilities()[needs].reason.split(':')[0]}")
            return declared
        return "standardised" if self.capabilities()["standardisation"] else "crude"

    def capabilities(self) -> dict[str, Capability]:
        """What the study supports (change, pilot, effects, raking, standardisation, ...), with reasons."""
        return capabilities(self)

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    def districts(self) -> pd.DataFrame:
        """The district table (code, number, name_zh, name_en, ...), checked (:mod:`survey.study.districts`)."""
        if self.config.districts is None:
            raise ConfigError(f"{self.config_file}: districts: expected a CSV file name, found none")
        return read_districts(self.path(self.config.districts))

    def district_names(self, lang: str) -> dict[str, str]:
        """District code -> its name in ``lang`` (the codes themselves without a district table)."""
        if self.config.districts is None:
            return {}
        table = self.districts()
        return dict(zip(table["code"], table["name_zh" if lang in ("zh", "zh-CN") else "name_en"], strict=True))

    def city_name(self, lang: str, default: str) -> str:
        return self.config.city.get(lang) if self.config.city else default

    def level_labels(self, column: str, lang: str = "en") -> dict:
        """Code -> display label of a categorical variable (first label in ``lang``: en or zh-CN/zh)."""
        variable = self.variables.get(column)
        if column == self.district_column and variable is not None and variable.levels_from == "districts":
            return self.district_names(lang)
        if variable is None or not variable.levels:
            raise ConfigError(f"{self.config_file}: variables.{column}: expected levels with labels, found none")
        return {level.code: level.label(lang) for level in variable.levels}

    def labelled(self, df: pd.DataFrame, columns: list[str] | None = None, lang: str = "en") -> pd.DataFrame:
        """A copy of ``df`` with category codes shown as labels (all categorical variables by default)."""
        if columns is None:
            columns = [c for c, v in self.variables.items() if v.type == "category" and c in df.columns]
        out = df.copy()
        for column in columns:
            labels = self.level_labels(column, lang)
            labels.update({float(k): v for k, v in labels.items() if isinstance(k, int)})
            out[column] = df[column].map(labels).where(df[column].isna() | df[column].isin(list(labels)), df[column])
        return out

    def instrument_options(self, instrument_id: str) -> dict:
        """The study's settings of one instrument (cut-offs, answer keys, ...), validated at load time."""
        return dict(self.config.instruments.get(instrument_id) or {})


def _format_of(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower().lstrip(".")
    known = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "sav": "sav", "zsav": "sav",
             "parquet": "parquet"}
    if suffix not in known:
        raise ConfigError(f"{path}: cannot tell the format from the extension '.{suffix}'; "
                          "set `format:` to csv, xlsx, sav or parquet")
    return known[suffix]


#: Keys that earlier versions of study.yaml used, with what to write instead.
RENAMED = {
    "truth": "remove this key: a synthetic study's generator record is read by the demo's own checks "
             "(survey.demo), from the file beside study.yaml",
}


def _read_yaml(path: Path) -> dict:
    spec = load_yaml_file(path)  # a key given twice is an error with its line number
    if not isinstance(spec, dict):
        raise ConfigError(f"{path}: (top level): expected a mapping of settings (id, title, inputs, ...), "
                          f"found {type(spec).__name__}")
    return spec


def parse_config(spec: dict, where: str | Path) -> StudyConfig:
    """Validate a parsed study.yaml against the model; one-line ConfigError on the first problem."""
    for key, advice in RENAMED.items():
        if key in spec:
            raise ConfigError(f"{where}: {key}: no longer read; {advice}")
    try:
        return StudyConfig.model_validate(spec)
    except ValidationError as error:
        raise ConfigError(f"{where}: {describe(first_error(error.errors()))}") from None


def load_study(path: str | Path) -> Study:
    """Read and validate a study configuration; errors name the key, the expectation and the finding.

    ``path`` is a ``study.yaml`` or the folder holding one. The :class:`Study` knows its inputs,
    instruments, design, indicators, what it can support (``capabilities()``) and where every
    output goes (``paths``).

    Example
    -------
    >>> study = load_study("data/demo/study.yaml")            # doctest: +SKIP
    >>> study.id, study.waves                                  # doctest: +SKIP
    ('demo', (2023, 2024))
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: study configuration not found")
    config = parse_config(_read_yaml(path), path)
    root = path.parent.resolve()
    files = {entry.id: (root / entry.file).resolve() for entry in config.inputs}
    check_consistency(config, where=path, files=files)
    instruments = {i: load_instrument(i, search_dirs=(root,)) for i in config.instruments}
    inputs = []
    for entry in config.inputs:
        columns, origin = input_columns(entry, instruments, where=str(path))
        inputs.append(InputSpec(config=entry, path=files[entry.id], format=_format_of(files[entry.id], entry.format),
                                code_maps=code_maps_of(entry.id, entry.code_maps, where=path), columns=columns,
                                column_origin=origin))
    study = Study(config=config, root=root, config_file=path.resolve(), inputs=tuple(inputs),
                  instruments=instruments)
    _check_references(study)
    check_derived(config, where=path, known=set(study.variables) | set(study.pii))
    check_answer_codes(study)
    if config.districts is not None:
        study.districts()  # read and checked once here, so a bad table stops every step at the start
    return study


def _check_references(study: Study) -> None:
    """Cross-field checks the model alone cannot make (they need instruments, files or several keys)."""
    from survey.scoring.rules import compile_plan

    where, config = study.config_file, study.config
    known = set(study.variables) | set(study.pii)
    for inst in study.instruments.values():
        known |= set(inst.item_ids)
    for spec in study.inputs:
        unknown = sorted(set(spec.columns.values()) - known)
        if unknown:
            raise ConfigError(f"{where}: inputs[{spec.id}].columns: expected variables declared under `variables`, "
                              f"`pii.columns` or instrument items, found {unknown[:5]}")
    design = config.design
    for key in ("psu", "ssu", "weight", "fpc"):
        column = getattr(design, key)
        if column is not None and column not in study.variables:
            raise ConfigError(f"{where}: design.{key}: expected a declared variable, found {column!r}")
    for column in design.strata:
        if column not in study.variables:
            raise ConfigError(f"{where}: design.strata: expected declared variables, found {column!r}")
    if study.district_column not in study.variables:
        raise ConfigError(f"{where}: district_column: expected a declared variable, found {study.district_column!r}")
    for instrument_id, options in config.instruments.items():
        try:
            compile_plan(study.instruments[instrument_id], options or {})
        except ConfigError as error:  # "overrides.<id>.<key>: ..." in the file's terms
            raise ConfigError(f"{where}: instruments.{str(error).removeprefix('overrides.')}") from None
    indicator_ids = [i.id for i in config.indicators]
    for i in indicator_ids:
        if indicator_ids.count(i) > 1:
            raise ConfigError(f"{where}: indicators: expected each id once, found {i!r} twice")
    effects = config.analysis.effects
    unknown = sorted(set(effects.indicators or ()) - set(indicator_ids))
    if unknown:
        raise ConfigError(f"{where}: analysis.effects.indicators: expected indicator ids {indicator_ids}, "
                          f"found {unknown}")
    small_area = config.analysis.small_area
    if small_area is not None:
        unknown = sorted(set(small_area.indicators or ()) - set(indicator_ids))
        if unknown or not indicator_ids:
            raise ConfigError(f"{where}: analysis.small_area.indicators: expected indicator ids {indicator_ids}, "
                              f"found {unknown or 'no indicators declared'}")
        if not study.path(small_area.covariates).is_file():
            raise ConfigError(f"{where}: analysis.small_area.covariates: expected a CSV file beside study.yaml, "
                              f"found no file {small_area.covariates!r}")
    for name, column in (("subgroups", c) for c in config.subgroups):
        if column not in study.variables and column != "age_group":
            raise ConfigError(f"{where}: {name}: expected declared variables (or age_group), found {column!r}")
    if "age_group" in config.subgroups and config.age_groups is None:
        raise ConfigError(f"{where}: subgroups: age_group needs `age_groups:` (column, breaks, labels)")
