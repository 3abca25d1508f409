"""A study's small-area settings (``analysis.small_area``) and its county covariate table, checked.

Example
-------
>>> table = read_covariates(study)          # doctest: +SKIP
>>> list(table.columns)                     # doctest: +SKIP
['code', 'urban_share', 'income']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, InputFileError, example_rows

if TYPE_CHECKING:
    from survey.study import Study


@dataclass(frozen=True)
class FitOptions:
    """How the Fay–Herriot model is fitted and used (the study's ``analysis.small_area`` choices)."""

    transform: str = "arcsine"
    method: str = "reml"
    benchmark: str = "ratio"
    n_boot: int = 200
    seed: int = 20261202


def fit_options(study: Study) -> FitOptions:
    """The fitting choices the study declares under ``analysis.small_area``."""
    spec = study.config.analysis.small_area
    if spec is None:
        raise ConfigError(f"{study.config_file}: analysis.small_area: expected the small-area model's settings, "
                          "found none")
    return FitOptions(transform=spec.transform, method=spec.method, benchmark=spec.benchmark,
                      n_boot=spec.mse_bootstrap, seed=spec.seed)


def indicator_ids(study: Study) -> list[str]:
    """The indicators modelled: ``analysis.small_area.indicators``, else every indicator."""
    spec = study.config.analysis.small_area
    chosen = spec.indicators if spec is not None and spec.indicators is not None else None
    return list(chosen) if chosen is not None else [i.id for i in study.indicators]


def read_covariates(study: Study) -> pd.DataFrame:
    """The covariate table: ``code`` (text), the covariate (and population) columns as floats, one row per code.

    Stops with a one-line error naming the file, the column and example rows (file row numbers,
    the header being row 1) when a column is missing, a value is not a number, or a code repeats.
    """
    spec = study.config.analysis.small_area
    if spec is None:
        raise ConfigError(f"{study.config_file}: analysis.small_area: expected a covariate table, found none")
    path = study.path(spec.covariates)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: expected a UTF-8 CSV of county covariates, "
                             f"found {type(error).__name__}") from None
    wanted = ["code", *dict.fromkeys([*spec.variables, *([spec.population] if spec.population else [])])]
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        raise ColumnError(f"{path}: column {missing[0]!r}: expected columns {wanted} "
                         f"(analysis.small_area.variables), found {list(raw.columns)}")
    out = pd.DataFrame({"code": raw["code"].str.strip()})
    rows = np.arange(len(raw)) + 2
    repeated = out["code"].duplicated(keep=False).to_numpy() | (out["code"] == "").to_numpy()
    if repeated.any():
        raise ColumnError(f"{path}: column 'code': expected one row per district code, found repeated or empty "
                          f"codes in {example_rows(rows[repeated])}")
    for column in wanted[1:]:
        values = pd.to_numeric(raw[column].str.strip(), errors="coerce")
        bad = (values.isna() | ~np.isfinite(values)).to_numpy()
        if bad.any():
            raise ColumnError(f"{path}: column {column!r}: expected numbers for every district, found "
                              f"{raw[column].iloc[np.flatnonzero(bad)[0]]!r} in {example_rows(rows[bad])}")
        out[column] = values.to_numpy(dtype=float)
    if spec.population and (out[spec.population] <= 0).any():
        bad = (out[spec.population] <= 0).to_numpy()
        raise ColumnError(f"{path}: column {spec.population!r}: expected positive populations, found "
                          f"{raw[spec.population].iloc[np.flatnonzero(bad)[0]]!r} in {example_rows(rows[bad])}")
    return out
