"""Every district's data digest computed at once equals the digest of its own rows, hashed alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from survey.reports.digests import all_district_digests
from survey.reports.inputs import ReportData


def _hashed_alone(data: ReportData) -> dict[str, str]:
    """Each district's digest from its own DistrictData (a fresh copy of the inputs: nothing cached)."""
    fresh = dataclasses.replace(data)
    assert "_district_digests" not in fresh.__dict__
    return {code: fresh.for_district(code).digest() for code in fresh.district_codes()}


def test_all_districts_at_once_equal_each_alone(report_data):
    codes = report_data.district_codes()
    assert all_district_digests(report_data, codes) == _hashed_alone(report_data)
    assert len(set(_hashed_alone(report_data).values())) == len(codes)


def _awkward(table: pd.DataFrame, codes: list[str]) -> pd.DataFrame:
    """``table`` with columns whose text is hard to get right: dates (midnight in one district and the city only),
    missing floats, mixed objects, categories, nullable integers, booleans."""
    n = len(table)
    first = table["district"].isin([codes[0], "city"]).to_numpy()
    when = pd.Series(pd.Timestamp("2024-03-01") + pd.to_timedelta(np.arange(n), unit="D"))
    when[~first] += pd.Timedelta(hours=9, minutes=30)
    mixed = np.array([1.0, "一", None, 2.5, True, pd.Timestamp("2024-01-02")], dtype=object)
    return table.assign(when=when.to_numpy(), missing=np.where(np.arange(n) % 3 == 0, np.nan, np.arange(n) / 7),
                        mixed=mixed[np.arange(n) % len(mixed)], grade=pd.Categorical(np.arange(n) % 4),
                        count=pd.array(np.where(np.arange(n) % 5 == 0, None, np.arange(n)), dtype="Int64"),
                        yes=np.arange(n) % 2 == 0, took=pd.to_timedelta(np.arange(n) % 2, unit="h"))


def test_awkward_columns_give_the_same_digests(report_data):
    codes = report_data.district_codes()
    data = dataclasses.replace(report_data, prevalence=_awkward(report_data.prevalence, codes),
                               quality=_awkward(report_data.quality, codes))
    alone = _hashed_alone(data)
    assert all_district_digests(data, codes) == alone
    assert alone != _hashed_alone(report_data)  # the new columns are hashed


def test_the_digests_travel_with_the_inputs_to_the_kernels(report_data, tmp_path):
    data = dataclasses.replace(report_data)
    digests = data.district_digests()
    assert digests == _hashed_alone(report_data)
    handed = ReportData.read(data.write(tmp_path / "inputs.pickle"))
    assert {code: handed.for_district(code).digest() for code in handed.district_codes()} == digests
    without_city = handed.sample[handed.sample["district"] != "city"]
    changed = dataclasses.replace(handed, sample=without_city)  # a changed copy hashes its own rows again
    assert all(changed.for_district(code).digest() != digests[code] for code in changed.district_codes())
