"""Reports fit the study they are given: every district page opens with its key findings, has no section the
study cannot support and no sentence that is false for it — on the demo (a pilot and a comparison district) and
on a one-wave, three-district, one-stage study without pilot, margins, targets or services, in Chinese and
English. Higher and lower come from tests, never from intervals: a district whose interval lies below the
city's estimate but overlaps the city's interval, with a test that is not significant, is not called lower."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from survey.reports.content import SECTIONS, DistrictReport
from survey.reports.inputs import ReportData
from survey.reports.marks import NOT_APPLICABLE, SUPPRESSED


def _small_study_writer():
    """``write_small_study`` of tests/study/conftest.py, loaded by path (conftests are not importable by name)."""
    path = Path(__file__).resolve().parents[1] / "study" / "conftest.py"
    spec = importlib.util.spec_from_file_location("small_study_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_small_study

LANGS = ("zh", "en")
#: Words a report may only use when the study has what they name (capability -> words, per language).
NEEDS_WORDS = {
    "change": {"zh": ("两轮调查间的变化", "显著上升", "显著下降"),
               "en": ("Change between survey rounds", "rose", "fell")},
    "pilot": {"zh": ("试点", "双重差分"), "en": ("pilot", "difference-in-differences")},
    "raking": {"zh": ("人口构成调整", "raking", "人口边际"), "en": ("raked", "population margins")},
    "standardisation": {"zh": ("标化", "标准人口"), "en": ("standardis", "standard population")},
    "targets": {"zh": ("目标",), "en": ("target",)},
    "services": {"zh": ("服务资源", "常住人口"), "en": ("services", "resident population")},
}
#: Design facts the small study does not have, and the words that would claim them.
DESIGN_WORDS = {"zh": ("街道", "第二阶段", "有限总体校正", "无应答"), "en": ("street", "second sampling stage",
                                                                     "finite population", "non-response")}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small study taken through intake, scoring and estimation, and its report inputs."""
    from survey.pipeline import steps
    from survey.study import load_study

    folder = tmp_path_factory.mktemp("small-study") / "small"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SURVEY_KEY_DIR", str(folder.parent / "keys"))
        study = load_study(_small_study_writer()(folder))
        steps.ensure(study, steps.SHARED, echo=lambda line: None)
    return study, ReportData.load(study)


@pytest.fixture(scope="module")
def nanhu(tmp_path_factory):
    """The second example study (data/nanhu: one wave, five districts, PSU = community, PHQ-9/GAD-7/ISI/WHO-5)."""
    import shutil

    from survey.pipeline import steps
    from survey.study import load_study

    folder = tmp_path_factory.mktemp("nanhu") / "nanhu"
    shutil.copytree(Path(__file__).resolve().parents[2] / "data" / "nanhu", folder,
                    ignore=shutil.ignore_patterns("processed"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SURVEY_KEY_DIR", str(folder.parent / "keys"))
        study = load_study(folder / "study.yaml")
        steps.ensure(study, steps.SHARED, echo=lambda line: None)
    return study, ReportData.load(study)


def _page(report: DistrictReport) -> tuple[list, str]:
    sections = report.sections()
    words = []
    for section in sections:
        words += [section.title, section.prose]
        for table in section.tables:
            words += [table.caption, table.notes, *map(str, table.display.columns),
                      *table.display.astype(str).to_numpy().ravel()]
        for figure in section.figures:
            words += [figure.alt, figure.caption]
    return sections, "\n".join(words)


def _check_page(report: DistrictReport) -> str:
    sections, page = _page(report)
    keys = [s.key for s in sections]
    assert keys[:2] == ["title", "key_findings"], keys
    assert sections[1].title == ("要点" if report.lang == "zh" else "Key findings")
    assert 2 <= sections[1].prose.count("\n- ") + 1 <= 6  # three to five findings, and the note how they were made
    caps = report.study.capabilities()
    for key in keys:
        need = SECTIONS[key]
        assert need is None or caps[need], (key, need)
    for need, words in NEEDS_WORDS.items():
        if not caps[need]:
            found = [w for w in words[report.lang] if w.lower() in page.lower()]
            assert not found, (need, found)
    assert all(s.title and s.prose for s in sections)
    assert "{" not in page and "}" not in page  # every field filled
    return page


@pytest.mark.parametrize("lang", LANGS)
def test_one_wave_study_without_pilot_margins_or_targets_says_nothing_it_lacks(small, lang):
    study, data = small
    for district in ("d1", "d2", "d3"):
        report = DistrictReport(study, district, lang=lang, data=data)
        page = _check_page(report)
        assert report.section_keys() == ["title", "key_findings", "sample", "key_indicators", "subgroups",
                                         "data_quality", "definitions", "methods"]
        found = [w for w in DESIGN_WORDS[lang] if w.lower() in page.lower()]
        assert not found, found
        methods = report.methods().prose
        assert ("社区" in methods) if lang == "zh" else ("communities" in methods)  # the study's own PSU label


@pytest.mark.parametrize("lang", LANGS)
def test_the_second_example_study_gets_reports_that_fit_it(nanhu, lang):
    study, data = nanhu
    for district in ("hubin", "bailu"):
        report = DistrictReport(study, district, lang=lang, data=data)
        page = _check_page(report)
        assert report.section_keys() == ["title", "key_findings", "sample", "key_indicators", "data_quality",
                                         "definitions", "methods"]  # no subgroups declared: no subgroup section
        found = [w for w in DESIGN_WORDS[lang] if w.lower() in page.lower()]
        assert not found, found
        definitions = report.definitions()
        assert ("WHO-5 百分制得分 ≤ 50" if lang == "zh" else "WHO-5 percentage score ≤ 50") in \
            definitions.tables[0].display.to_string()
        assert "Topp CW" in definitions.tables[0].notes
        quality = report.data_quality().tables[0].display.iloc[:, 0].tolist()
        assert not [q for q in quality if "_" in q], quality  # every finding in words


@pytest.mark.parametrize("lang", LANGS)
def test_demo_pages_open_with_key_findings_and_fit_the_district(report_study, report_data, lang):
    pilot = DistrictReport(report_study, "linjiang", lang=lang, data=report_data)
    other = DistrictReport(report_study, "liuhe", lang=lang, data=report_data)
    _check_page(pilot), _check_page(other)
    assert "pilot_appendix" in pilot.section_keys() and "pilot_appendix" not in other.section_keys()
    assert pilot.pilot().figures and not other.pilot().figures
    assert other.pilot().prose.count("。" if lang == "zh" else ".") == 1  # one line for a comparison district


def _sentences_with(text: str, words: tuple[str, ...]) -> list[str]:
    return [s for s in re.split(r"(?<=[。.;；])\s*|\n", text) if any(w in s for w in words)]


@pytest.mark.parametrize("lang", LANGS)
def test_an_interval_overlapping_the_citys_is_not_called_higher_or_lower(small, lang):
    study, data = small
    report = DistrictReport(study, "d1", lang=lang, data=data)
    rows = report.indicator_rows().set_index("indicator")
    row = rows.loc["anxiety"]
    # the case the old rule got wrong: the interval lies wholly below the city's estimate but overlaps the
    # city's interval, and the test against the rest of the city is not significant
    assert row["ci_high"] < row["city_estimate"] and row["ci_high"] >= row["city_ci_low"]
    assert row["p_value"] > 0.05 and row["compared_with_rest"] == "no_difference"
    label = row["label"]
    words = ("较高", "较低", "高于", "低于") if lang == "zh" else ("higher", "lower")
    for section in (report.key_findings(), report.key_indicators()):
        claims = _sentences_with(section.prose, words)
        assert not [s for s in claims if label in s], claims
    cell = report.key_indicators().tables[0].display.set_index(rows.index)[report._t("columns.versus_rest")]["anxiety"]
    assert cell == ("无显著差异" if lang == "zh" else "no significant difference")


def test_every_higher_or_lower_is_a_significant_test(report_study, report_data):
    for district in report_data.district_codes():
        report = DistrictReport(report_study, district, lang="en", data=report_data)
        rows = report.indicator_rows()
        prose = report.key_indicators().prose
        for r in rows.itertuples():
            said = [s for s in _sentences_with(prose, ("higher on", "lower on")) if r.label in s]
            if r.compared_with_rest in ("higher", "lower"):
                assert r.p_value < 0.05 and (r.difference > 0) == (r.compared_with_rest == "higher")
                assert said and f"{r.compared_with_rest} on" in said[0]
            else:
                assert not said, (district, r.label, said)


def test_a_cell_that_does_not_apply_shows_a_dash_and_is_not_counted_as_suppressed(report_study, report_data):
    report = DistrictReport(report_study, "liuhe", lang="en", data=report_data)
    section = report.subgroups()
    data, display = section.tables[0].data, section.tables[0].display
    men = data[(data["variable"] == "sex") & (data["level"] == "1") & (data["indicator"] == "perinatal_depression")]
    assert len(men) == 1 and men["n"].iloc[0] == 0 and men["flag"].iloc[0] == "suppress"  # flagged by the step
    label = report._indicator_label("perinatal_depression")
    row = display[(display.iloc[:, 0] == "Sex") & (display.iloc[:, 1] == "male")]
    assert row[label].iloc[0] == NOT_APPLICABLE
    cells = data["n"].gt(0).sum()
    suppressed = (data["flag"].eq("suppress") & data["n"].gt(0)).sum()
    assert f"{suppressed} of the {cells} cells that apply are not published" in section.prose
    assert (display.iloc[:, 2:] == SUPPRESSED).to_numpy().sum() == suppressed
    assert "—: not applicable" in section.tables[0].notes


def test_footnotes_name_the_rule_that_fired(report_study, report_data):
    report = DistrictReport(report_study, "beitang", lang="en", data=report_data)
    section = report.subgroups()
    data, notes = section.tables[0].data, section.tables[0].notes
    review = data["flag_reason"].str.contains("df [0-9]+ < 8", regex=True) & data["flag"].eq("review")
    assert review.any()
    urban = data[(data["variable"] == "urban_rural") & (data["level"] == "1") & (data["indicator"] == "literacy")]
    assert urban["flag"].iloc[0] == "review"
    label = report._indicator_label("literacy")
    cell = section.tables[0].display.set_index([section.tables[0].display.columns[0],
                                                section.tables[0].display.columns[1]]).loc[("Urban/rural", "urban"),
                                                                                           label]
    assert cell.startswith("23.9 (20.2–28.0)§") and "†" not in cell  # review (df < 8), not "imprecise"
    assert "§: statistical review: fewer than 8 degrees of freedom" in notes
    assert "low precision" not in notes and "imprecise" not in notes.replace("need not be imprecise", "")


def test_key_findings_are_built_from_the_tests(report_study, report_data):
    report = DistrictReport(report_study, "beitang", lang="en", data=report_data)
    findings = report.key_findings().prose
    rows = report.indicator_rows().set_index("indicator")
    assert rows.loc["depression", "compared_with_rest"] == "higher" and rows.loc["literacy", "compared_with_rest"] == \
        "lower"
    first = findings.splitlines()[0]
    assert "(PHQ-9 ≥ 10) 9.7% (95% CI 7.6–12.4), higher than in the rest of Qinghe City (7.1%)" in first
    assert "adequate 19.2% (95% CI 16.6–22.2), lower than in the rest of Qinghe City (26.5%)" in first
    assert "2030 target (≥ 30%) not yet reached (target year 2030, not yet due)" in first
    assert "Perinatal depression (EPDS ≥ 13) not published" in first
    assert "no significant difference" in first and len(findings.split("\n- ")) <= 5
