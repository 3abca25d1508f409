"""Which districts run the pilot and from when: the study's ``pilot:`` entry.

``pilot: {districts: [...], start: 2023-09-01}`` names the districts and one start (a date or a
year); ``pilot: {start_column: pilot_start}`` reads each pilot district's start from that column
of the district table, or else of the yearly service table (``services.yearly``, one row per
district and year; the earliest non-empty value counts). A study without ``pilot:`` has no
programme to evaluate.

A wave counts as *after* the start when its fieldwork began after the start date (the wave's
earliest ``submitted_at``) or, without dates or with a start year only, when the wave's year is
later than the start year: a pilot starting in September 2023 is not yet in effect in a survey
fielded in May 2023.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import pandas as pd

from survey.errors import ConfigError
from survey.study import Study


@dataclass(frozen=True)
class PilotSchedule:
    """Pilot start per pilot district (a Timestamp, or a year as int) and where it came from."""

    starts: dict
    source: str

    @property
    def districts(self) -> list[str]:
        return sorted(self.starts)

    def start_year(self, district: str) -> int:
        start = self.starts[district]
        return int(start) if isinstance(start, (int,)) else pd.Timestamp(start).year


def _as_start(value):
    """A year (int) or a date (Timestamp) from a configuration or table value."""
    if isinstance(value, numbers.Integral) or (isinstance(value, str) and value.isdigit() and len(value) == 4):
        return int(value)
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return int(value)
    return pd.Timestamp(value)


def pilot_schedule(study: Study) -> PilotSchedule:
    """The study's pilot districts and start dates (see the module docstring).

    Raises
    ------
    ConfigError
        The study declares no pilot, or its start column names no district.
    """
    pilot, where = study.config.pilot, study.config_file
    if pilot is None:
        raise ConfigError(f"{where}: pilot: {study.capabilities()['pilot'].reason}")
    if not pilot.start_column:
        return PilotSchedule({str(d): _as_start(pilot.start) for d in pilot.districts},
                             "study configuration (pilot)")
    column = pilot.start_column
    if study.config.districts is not None:
        table = study.districts()
        if column in table.columns:
            rows = table.dropna(subset=[column])
            if len(rows):
                return PilotSchedule({str(c): _as_start(v) for c, v in zip(rows["code"], rows[column], strict=True)},
                                     f"districts table ({column})")
    services = study.config.services
    if services is not None and services.yearly and study.path(services.yearly).is_file():
        table = pd.read_csv(study.path(services.yearly))
        if column in table.columns:
            rows = table.dropna(subset=[column])
            if len(rows):
                starts = rows.groupby("district")[column].min()
                return PilotSchedule({str(d): _as_start(v) for d, v in starts.items()},
                                     f"service table {services.yearly} ({column})")
    raise ConfigError(f"{where}: pilot.start_column: expected a column {column!r} with each pilot district's start "
                      "in the district table or services.yearly, found none with a value")


def post_waves(data: pd.DataFrame, start, wave: str = "wave", submitted: str = "submitted_at") -> dict:
    """Wave -> whether it was fielded after ``start`` (a Timestamp or a year)."""
    waves = sorted(pd.unique(data[wave]))
    if isinstance(start, int):
        return {w: int(w) > start for w in waves}
    began = (pd.to_datetime(data[submitted], errors="coerce").groupby(data[wave]).min()
             if submitted in data.columns else pd.Series(dtype="datetime64[ns]"))
    return {w: bool(began[w] >= start) if pd.notna(began.get(w)) else int(w) > start.year for w in waves}
