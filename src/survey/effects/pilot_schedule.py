"""Which districts run the pilot and from when: read from the study, in a fixed order of sources.

1. ``pilot`` in the study configuration: ``{districts: [...], start: 2023-09-01}`` (not in the
   schema yet; the first source once it is);
2. the district table (``districts.csv``): a ``pilot_start`` column (date or year), or a 0/1
   ``pilot`` column together with a study-level start from source 4;
3. the yearly service table (``services.yearly``): ``pilot_start_year`` per district, as the
   district reports use;
4. the generator's truth file (demo studies): ``pilot_districts`` and ``pilot_start``.

A wave counts as *after* the start when its fieldwork began after the start date (the wave's
earliest ``submitted_at``) or, without dates or with a start year only, when the wave's year is
later than the start year: a pilot starting in September 2023 is not yet in effect in a survey
fielded in May 2023.
"""

from __future__ import annotations

import json
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
    if isinstance(value, (int,)) or (isinstance(value, str) and value.isdigit() and len(value) == 4):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return pd.Timestamp(value)


def _truth(study: Study) -> dict | None:
    name = study.spec.get("truth")
    if not name or not study.path(name).is_file():
        return None
    return json.loads(study.path(name).read_text(encoding="utf-8"))


def pilot_schedule(study: Study) -> PilotSchedule:
    """The study's pilot districts and start dates (see the module docstring for the sources).

    Raises
    ------
    ConfigError
        When no source names any pilot district.
    """
    spec = study.spec.get("pilot")
    if spec:
        start = _as_start(spec["start"])
        return PilotSchedule({str(d): start for d in spec["districts"]}, "study configuration (pilot)")
    truth = _truth(study)
    if "districts" in study.spec:
        table = study.districts()
        if "pilot_start" in table.columns:
            rows = table.dropna(subset=["pilot_start"])
            if len(rows):
                return PilotSchedule(
                    {str(c): _as_start(s) for c, s in zip(rows["code"], rows["pilot_start"], strict=True)},
                    "districts table (pilot_start)",
                )
        if "pilot" in table.columns and truth and truth.get("pilot_start"):
            rows = table[table["pilot"].astype(bool)]
            start = _as_start(truth["pilot_start"])
            return PilotSchedule({str(c): start for c in rows["code"]}, "districts table (pilot) + truth file")
    yearly = (study.spec.get("services") or {}).get("yearly")
    if yearly and study.path(yearly).is_file():
        services = pd.read_csv(study.path(yearly))
        if "pilot_start_year" in services.columns:
            rows = services.dropna(subset=["pilot_start_year"])
            if len(rows):
                starts = rows.groupby("district")["pilot_start_year"].min()
                return PilotSchedule({str(d): int(y) for d, y in starts.items()},
                                     f"service table {yearly} (pilot_start_year)")
    if truth and truth.get("pilot_districts"):
        start = _as_start(truth["pilot_start"])
        return PilotSchedule({str(d): start for d in truth["pilot_districts"]}, "truth file")
    raise ConfigError(
        f"{study.config_file}: pilot: expected pilot districts and a start (a `pilot` entry, a pilot_start "
        "column in the district table or pilot_start_year in services.yearly), found none"
    )


def post_waves(data: pd.DataFrame, start, wave: str = "wave", submitted: str = "submitted_at") -> dict:
    """Wave -> whether it was fielded after ``start`` (a Timestamp or a year)."""
    waves = sorted(pd.unique(data[wave]))
    if isinstance(start, int):
        return {w: int(w) > start for w in waves}
    began = (pd.to_datetime(data[submitted], errors="coerce").groupby(data[wave]).min()
             if submitted in data.columns else pd.Series(dtype="datetime64[ns]"))
    return {w: bool(began[w] >= start) if pd.notna(began.get(w)) else int(w) > start.year for w in waves}
