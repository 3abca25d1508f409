"""Study configuration: one ``study.yaml`` per study, validated against ``schema.yaml``.

The file declares the input exports and how their columns map to the workspace's variable
names, the variables' types and valid values, the instruments, the sample design, the
district column, the personal identifiers and how to treat them, and the population
margins. Paths in the file are relative to the file's folder.

Example
-------
>>> from survey.study import load_study
>>> study = load_study("data/demo/study.yaml")        # doctest: +SKIP
>>> [i.id for i in study.inputs]                       # doctest: +SKIP
['wave2023', 'wave2024', 'wave2024_counties']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.errors import ConfigError
from survey.instruments import Instrument, load_instrument
from survey.schema import validate_against_schema
from survey.study.answer_codes import check_answer_codes, code_maps_of
from survey.study.consistency import check_consistency, check_derived
from survey.study.districts import read_districts
from survey.study.item_patterns import input_columns
from survey.study.yaml_loader import load_yaml_file

SCHEMA_FILE = Path(__file__).with_name("schema.yaml")


@dataclass(frozen=True)
class InputSpec:
    id: str
    path: Path
    format: str
    answers: str
    columns: dict[str, str]
    wave: int | None = None
    encoding: str = "auto"
    sheet: str | int = 0
    code_base: int | None = None           # None: not declared (the instrument's own codes, checked for a shift)
    code_maps: dict[str, dict[int, int]] = field(default_factory=dict, hash=False)
    missing_values: tuple[str, ...] = ()
    column_origin: dict[str, str] = field(default_factory=dict, hash=False, compare=False)  # header -> its pattern


@dataclass
class Study:
    """A validated study configuration with its paths resolved."""

    id: str
    root: Path
    config_file: Path
    spec: dict[str, Any] = field(repr=False)
    inputs: list[InputSpec] = field(default_factory=list)
    instruments: dict[str, Instrument] = field(default_factory=dict, repr=False)
    _districts: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def processed_dir(self) -> Path:
        return self.root / "processed"

    @property
    def reports_dir(self) -> Path:
        """``reports/<id>/`` of the workspace holding ``data/<id>/``; else ``reports/`` beside the study."""
        if self.root.parent.name == "data":
            return self.root.parent.parent / "reports" / self.id
        return self.root / "reports"

    @property
    def indicators(self) -> list[dict]:
        """The study's key indicators: id, 0/1 score column, labels, optional population and targets."""
        return self.spec.get("indicators", [])

    @property
    def variables(self) -> dict[str, dict]:
        return self.spec["variables"]

    @property
    def design(self) -> dict:
        return self.spec["design"]

    @property
    def district_column(self) -> str:
        return self.spec["district_column"]

    @property
    def pii(self) -> dict[str, str]:
        return self.spec["pii"].get("columns", {})

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()

    def districts(self) -> pd.DataFrame:
        """The district table (code, number, name_zh, name_en, ...)."""
        if "districts" not in self.spec:
            raise ConfigError(f"{self.config_file}: districts: expected a CSV file name, found none")
        path = self.path(self.spec["districts"])
        stat = path.stat() if path.is_file() else None
        stamp = (path, stat.st_mtime_ns, stat.st_size) if stat else None
        if stamp is None or self._districts is None or self._districts[0] != stamp:
            self._districts = (stamp, read_districts(path))
        return self._districts[1].copy()

    def level_labels(self, column: str, lang: str = "en") -> dict:
        """Code -> display label of a categorical variable (first label in ``lang``: en or zh-CN/zh)."""
        lang = "zh-CN" if lang in ("zh", "zh-CN") else "en"
        if column == self.district_column and self.variables.get(column, {}).get("levels_from") == "districts":
            table = self.districts()
            return dict(zip(table["code"], table["name_zh" if lang == "zh-CN" else "name_en"], strict=True))
        levels = self.variables.get(column, {}).get("levels")
        if not levels:
            raise ConfigError(f"{self.config_file}: variables.{column}: expected levels with labels, found none")
        return {level["code"]: (level.get(lang) or level.get("en") or [level["code"]])[0] for level in levels}

    def labelled(self, df: pd.DataFrame, columns: list[str] | None = None, lang: str = "en") -> pd.DataFrame:
        """A copy of ``df`` with category codes shown as labels (all categorical variables by default)."""
        if columns is None:
            columns = [c for c, spec in self.variables.items()
                       if spec.get("type") == "category" and c in df.columns]
        out = df.copy()
        for column in columns:
            labels = self.level_labels(column, lang)
            labels.update({float(k): v for k, v in labels.items() if isinstance(k, int)})
            out[column] = df[column].map(labels).where(df[column].isna() | df[column].isin(list(labels)), df[column])
        return out

    def instrument_options(self, instrument_id: str) -> dict:
        return self.spec["instruments"].get(instrument_id) or {}


def _format_of(path: Path, declared: str | None) -> str:
    if declared:
        return declared
    suffix = path.suffix.lower().lstrip(".")
    known = {
        "csv": "csv",
        "txt": "csv",
        "xlsx": "xlsx",
        "xlsm": "xlsx",
        "sav": "sav",
        "zsav": "sav",
        "parquet": "parquet",
    }
    if suffix not in known:
        raise ConfigError(
            f"{path}: cannot tell the format from the extension '.{suffix}'; set `format:` to csv, xlsx, sav or parquet"
        )
    return known[suffix]


def load_study(path: str | Path) -> Study:
    """Read and validate a study configuration; errors name the key, the expectation and the finding."""
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: study configuration not found")
    spec = load_yaml_file(path)
    validate_against_schema(spec, SCHEMA_FILE, where=str(path))
    root = path.parent.resolve()
    files = {entry["id"]: (root / entry["file"]).resolve() for entry in spec["inputs"]}
    check_consistency(spec, where=path, files=files)
    instruments = {i: load_instrument(i, search_dirs=(root,)) for i in spec["instruments"]}
    inputs = []
    for entry in spec["inputs"]:
        file = files[entry["id"]]
        columns, origin = input_columns(entry, instruments, where=str(path))
        inputs.append(InputSpec(id=entry["id"], path=file, format=_format_of(file, entry.get("format")),
                                answers=entry["answers"], columns=columns, wave=entry.get("wave"),
                                encoding=entry.get("encoding", "auto"), sheet=entry.get("sheet", 0),
                                code_base=entry.get("code_base"),
                                code_maps=code_maps_of(entry, where=path),
                                missing_values=tuple(str(v) for v in entry.get("missing_values", ())),
                                column_origin=origin))
    study = Study(
        id=spec["id"], root=root, config_file=path.resolve(), spec=spec, inputs=inputs, instruments=instruments
    )
    _check_references(study)
    check_derived(spec, where=path, known=set(study.variables) | set(study.pii))
    check_answer_codes(study)
    if "districts" in spec:
        study.districts()  # read and checked once here, so a bad table stops every step at the start
    return study


def _check_references(study: Study) -> None:
    """Cross-field checks a schema cannot express."""
    where = study.config_file
    known = set(study.variables) | set(study.pii)
    for inst in study.instruments.values():
        known |= set(inst.item_ids)
    for spec in study.inputs:
        unknown = sorted(set(spec.columns.values()) - known)
        if unknown:
            raise ConfigError(f"{where}: inputs[{spec.id}].columns: expected variables declared under `variables`, "
                              f"`pii.columns` or instrument items, found {unknown[:5]}")
    design = study.design
    for key in ("psu", "weight", "fpc"):
        if key in design and design[key] not in study.variables:
            raise ConfigError(f"{where}: design.{key}: expected a declared variable, found {design[key]!r}")
    for column in design.get("strata", []):
        if column not in study.variables:
            raise ConfigError(f"{where}: design.strata: expected declared variables, found {column!r}")
    if study.district_column not in study.variables:
        raise ConfigError(f"{where}: district_column: expected a declared variable, found {study.district_column!r}")
    for name, var in study.variables.items():
        if var["type"] == "category" and not (var.get("levels") or var.get("levels_from")):
            raise ConfigError(
                f"{where}: variables.{name}: expected `levels` or `levels_from` for a category, found neither"
            )
