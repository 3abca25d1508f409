"""What a district report says: checked parameters, numbers equal to the step outputs they come
from, suppressed and not-applicable cells marked apart, the pilot section only for pilots, services per
100,000, targets judged with their year in mind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.errors import ConfigError
from survey.reports.content import DistrictReport
from survey.reports.marks import NOT_APPLICABLE, SUPPRESSED


@pytest.fixture(scope="module")
def report(report_study, report_data):
    return DistrictReport(report_study, "yunxi", lang="zh", data=report_data)


@pytest.mark.parametrize("arguments, message", [
    ({"district": "nowhere"}, "district: expected one of linjiang, wanghu"),
    ({"district": "yunxi", "wave": 2019}, "wave: expected one of 2023, 2024, found 2019"),
    ({"district": "yunxi", "wave": "latest"}, "wave: expected one of 2023, 2024, found 'latest'"),
    ({"district": "yunxi", "lang": "fr"}, "lang: expected one of zh, en, found 'fr'"),
])
def test_bad_parameters_fail_loudly_in_one_line(report_study, report_data, arguments, message):
    with pytest.raises(ConfigError) as error:
        DistrictReport(report_study, data=report_data, **arguments)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_key_indicators_are_the_estimation_steps_numbers(report, report_study):
    prevalence = pd.read_csv(report_study.reports_dir / "tables" / "prevalence.csv", dtype={"district": str})
    section = report.key_indicators()
    data = section.tables[0].data
    assert list(data["indicator"]) == [i.id for i in report_study.indicators]
    assert set(data["method"]) == {"raked"}  # calibrated estimates headline when the step made them
    source = prevalence[(prevalence["wave"] == 2024) & (prevalence["method"] == "raked")]
    own = source[source["district"] == "yunxi"].set_index("indicator").loc[data["indicator"]]
    city = source[source["district"] == "city"].set_index("indicator").loc[data["indicator"]]
    for column in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(data[column], own[column], rtol=0, atol=1e-12)
        np.testing.assert_allclose(data[f"city_{column}"], city[column], rtol=0, atol=1e-12)
    shown = section.tables[0].display.iloc[:, 2]
    suppressed = (data["flag"] == "suppress").to_numpy()
    assert (shown[suppressed] == SUPPRESSED).all()
    first = data.iloc[0]
    assert shown.iloc[0] == f"{first.estimate * 100:.1f} ({first.ci_low * 100:.1f}–{first.ci_high * 100:.1f})"


def test_subgroup_cells_suppressed_and_not_applicable_are_marked_apart(report):
    section = report.subgroups()
    data = section.tables[0].data
    assert set(data["variable"]) == {"sex", "age_group", "urban_rural", "education"}
    suppressed = (data["flag"] == "suppress") & (data["n"] > 0)
    empty = data["n"] == 0
    assert suppressed.sum() > 0 and empty.sum() > 0
    display = section.tables[0].display
    assert (display.iloc[:, 2:] == SUPPRESSED).to_numpy().sum() == suppressed.sum()
    assert (display.iloc[:, 2:] == NOT_APPLICABLE).to_numpy().sum() == empty.sum()
    assert f"{len(data) - empty.sum()}个适用的单元格中有{suppressed.sum()}个" in section.prose
    shown = display.iloc[:, 2:].to_numpy().ravel()
    published = [c for c in shown if c not in (SUPPRESSED, NOT_APPLICABLE)]
    assert published and all("; n=" in c for c in published)  # n beside every percentage


def test_change_is_the_estimation_steps_difference(report, report_study):
    change = pd.read_csv(report_study.reports_dir / "tables" / "prevalence_change.csv", dtype={"district": str})
    data = report.change().tables[0].data
    source = change[(change["district"] == "yunxi") & (change["method"] == "raked")].set_index("indicator")
    np.testing.assert_allclose(data["estimate"], source.loc[data["indicator"], "difference"], atol=1e-12)
    assert set(data["direction"]) <= {"increase", "decrease", "no_difference", "untested"}
    significant = data["p_value"] < 0.05
    assert (data.loc[significant & (data["estimate"] > 0), "direction"].isin(["increase", "untested"])).all()
    assert (data.loc[~significant, "direction"].isin(["no_difference", "untested"])).all()


def test_literacy_is_judged_against_both_targets_with_the_target_year_in_mind(report):
    section = report.targets()
    data = section.tables[0].data
    assert {"target_2022", "target_2030", "status_2022", "status_2030"} <= set(data.columns)
    assert (data["target_2022"] == 0.20).all() and (data["target_2030"] == 0.30).all()
    assert (data.loc[data["ci_low"] > 0.30, "status_2030"] == "met").all()
    below = data["ci_high"] < 0.30
    assert below.any() and (data.loc[below, "status_2030"] == "not_yet_reached").all()  # 2030 is not due in 2024
    assert (data.loc[data["ci_high"] < 0.20, "status_2022"] == "not_met").all()
    assert "未达到" not in section.tables[0].display.iloc[:, -1].str.replace("尚未达到", "").str.cat()
    assert "：无" not in section.prose


def test_pilot_effect_only_in_pilot_districts(report_study, report_data):
    pilot = DistrictReport(report_study, "yunxi", lang="en", data=report_data).pilot()
    other = DistrictReport(report_study, "liuhe", lang="en", data=report_data).pilot()
    assert pilot.tables and "started on 2023-09-01" in pilot.prose and "before the start (the baseline)" in pilot.prose
    assert not other.tables and "comparison district" in other.prose


def test_services_are_per_100000_residents(report, report_study):
    raw = pd.read_csv(report_study.root / "raw" / "service_indicators.csv")
    data = report.services().tables[0].data
    row = data[(data["district"] == "district") & (data["year"] == 2024)].iloc[0]
    source = raw[(raw["district"] == "yunxi") & (raw["year"] == 2024)].iloc[0]
    assert row["counsellors_per_100k"] == pytest.approx(source["counsellors"] / source["population"] * 1e5)
    city = data[(data["district"] == "city") & (data["year"] == 2024)].iloc[0]
    totals = raw[raw["year"] == 2024][["counsellors", "population"]].sum()
    assert city["counsellors_per_100k"] == pytest.approx(totals["counsellors"] / totals["population"] * 1e5)


def test_data_quality_counts_come_from_the_validation_report(report, report_study):
    findings = pd.read_csv(report_study.processed_dir / "validation_report.csv", usecols=["input", "issue"])
    data = report.data_quality().tables[0].data.set_index("issue")
    waves = {spec.id: spec.wave for spec in report_study.inputs}
    city = findings[findings["input"].map(waves) == 2024]["issue"].value_counts()
    assert data["city_count"].to_dict() == city.to_dict()
    assert pd.isna(data.loc["duplicate_submission", "district_count"])  # rejected rows have no district
    shown = report.data_quality().tables[0].display.set_index(data.index)
    assert shown.loc["duplicate_submission"].iloc[2] == NOT_APPLICABLE


def test_every_section_in_both_languages_has_a_title_and_prose(report_study, report_data):
    for lang in ("zh", "en"):
        sections = DistrictReport(report_study, "linjiang", lang=lang, data=report_data).sections()
        assert [s.key for s in sections] == ["title", "key_findings", "sample", "key_indicators", "change", "targets",
                                             "subgroups", "pilot", "services", "data_quality", "definitions",
                                             "methods", "pilot_appendix"]
        assert all(s.title and s.prose for s in sections)


def test_a_step_is_stale_when_an_output_is_older_than_an_input(writable_copy):
    import os

    from survey.pipeline import steps

    study = writable_copy()
    assert steps.stale(study) == []
    table = study.reports_dir / "tables" / "prevalence.csv"
    scored = study.processed_dir / "scored.parquet"
    saved = table.stat()
    config = study.config_file.stat()
    os.utime(study.config_file, (config.st_atime, scored.stat().st_mtime - 120))  # a fresh checkout's is new
    os.utime(table, (saved.st_atime, scored.stat().st_mtime - 60))
    assert steps.stale(study) == ["estimate", "effects"]  # a step after a stale one is stale too
    assert steps.step("estimate").why_stale(study) == "scored.parquet is newer than prevalence.csv"
    assert steps.step("effects").why_stale(study) is None
    os.utime(table, (saved.st_atime, saved.st_mtime))
    assert steps.stale(study) == []
