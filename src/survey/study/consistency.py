"""Checks that a study configuration does not say two things, or name what it does not have.

A schema checks each key on its own; these checks look across keys: an identifier that is
also a variable, two headers mapped to one variable, an input id or a file used twice, an
input whose wave is not among ``waves``, a duplicates rule or age groups naming what does
not exist. Each raises a one-line ConfigError naming both places.

Example
-------
>>> check_consistency(config, where="study.yaml", files={"a": Path("x.csv")})   # doctest: +SKIP
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from survey.errors import ConfigError
from survey.study.model import StudyConfig


def check_consistency(config: StudyConfig, *, where: Path | str, files: dict[str, Path]) -> None:
    """Run every cross-key check on a valid study configuration; ``files`` maps input id to its resolved path."""
    _pii_not_variables(config, where)
    _inputs_unique(config, where, files)
    _one_header_per_variable(config, where)
    _waves_declared(config, where)


def check_derived(config: StudyConfig, *, where: Path | str, known: set[str]) -> None:
    """Rules that name columns (duplicates, age groups, margins) name known ones; ``known`` = variables and PII."""
    rules = config.duplicates
    if rules:
        unknown = [k for k in rules.key if k not in known]
        if unknown:
            raise ConfigError(f"{where}: duplicates.key: expected declared variables or pii columns, "
                              f"found {unknown[0]!r}; declare it or remove it from the key")
        dropped = [k for k in rules.key if config.pii.columns.get(k) == "drop"]
        if dropped:
            raise ConfigError(f"{where}: duplicates.key: {dropped[0]!r} is dropped (pii.columns.{dropped[0]}: drop), "
                              "so it cannot tell duplicates apart; pseudonymise it or remove it from the key")
        if rules.order_by and rules.order_by not in config.variables:
            raise ConfigError(f"{where}: duplicates.order_by: expected a declared variable, found {rules.order_by!r}")
    groups = config.age_groups
    if groups:
        if groups.column not in config.variables:
            raise ConfigError(f"{where}: age_groups.column: expected a declared variable, found {groups.column!r}")
        if len(set(groups.labels)) != len(groups.labels):
            raise ConfigError(f"{where}: age_groups.labels: expected distinct labels, found {list(groups.labels)}")
    margins = config.margins
    if margins:
        derived = {"age_group"} if groups else set()
        unknown = [v for v in margins.variables if v not in config.variables and v not in derived]
        if unknown:
            raise ConfigError(f"{where}: margins.variables: expected declared variables"
                              f"{' or age_group' if groups else ''}, found {unknown[0]!r}")


def _pii_not_variables(config: StudyConfig, where) -> None:
    both = [c for c in config.pii.columns if c in config.variables]
    if both:
        raise ConfigError(f"{where}: pii.columns.{both[0]} and variables.{both[0]}: a personal identifier cannot "
                          "also be a variable (it is always dropped or pseudonymised); remove one of the two")


def _inputs_unique(config: StudyConfig, where, files: dict[str, Path]) -> None:
    ids = Counter(entry.id for entry in config.inputs)
    twice = [i for i, n in ids.items() if n > 1]
    if twice:
        raise ConfigError(f"{where}: inputs: id {twice[0]!r} is used by {ids[twice[0]]} inputs; "
                          "give each input its own id")
    seen: dict[Path, str] = {}
    for entry in config.inputs:
        path = files[entry.id]
        if path in seen:
            raise ConfigError(f"{where}: inputs[{entry.id}].file and inputs[{seen[path]}].file: the same file "
                              f"{entry.file!r} is listed twice (its rows would be counted twice); list it once")
        seen[path] = entry.id


def _one_header_per_variable(config: StudyConfig, where) -> None:
    for entry in config.inputs:
        by_variable: dict[str, list[str]] = {}
        for header, variable in entry.columns.items():
            by_variable.setdefault(variable, []).append(str(header))
        double = {v: h for v, h in by_variable.items() if len(h) > 1}
        if double:
            variable, headers = next(iter(double.items()))
            raise ConfigError(f"{where}: inputs[{entry.id}].columns: headers {headers[0]!r} and {headers[1]!r} "
                              f"are both mapped to {variable!r}; map one header to each variable")


def _waves_declared(config: StudyConfig, where) -> None:
    waves = list(config.waves)
    for entry in config.inputs:
        wave = entry.wave
        if waves and wave is not None and wave not in waves:
            raise ConfigError(f"{where}: inputs[{entry.id}].wave: expected one of waves {waves}, found {wave}; "
                              "add the wave to `waves` or correct the input's wave")
        if len(waves) > 1 and wave is None:
            raise ConfigError(f"{where}: inputs[{entry.id}].wave: expected one of waves {waves}, found none; "
                              "say which wave the input belongs to")
