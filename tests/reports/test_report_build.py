"""`survey report` on the demo: every district built in parallel, self-contained Chinese pages without
code or identifiers, the index linking them, failures isolated and named, reruns skipping unchanged
districts. Tests run in file order on one build (the session fixture ``built_reports``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd

from survey.reports.runner import build_reports, default_notebook, plan_reports

CJK = re.compile(r"[\u4e00-\u9fff]")
FIGURES = ("key_indicators", "change", "targets_literacy", "services")
TABLES = ("sample", "completion", "key_indicators", "change", "targets_literacy", "subgroups", "services",
          "data_quality")


def _codes(study) -> list[str]:
    return list(study.districts()["code"])


def test_every_district_is_built_with_page_notebook_figures_and_tables(built_reports, report_study):
    assert built_reports.ok, built_reports.summary()
    assert [o.status for o in built_reports.outcomes] == ["built"] * 8
    assert [o.district for o in built_reports.outcomes] == _codes(report_study)
    for code in _codes(report_study):
        folder = report_study.reports_dir / code
        for name in ("report.html", "report.ipynb", "manifest.json"):
            assert (folder / name).is_file(), folder / name
        for name in FIGURES:
            for suffix in (".png", ".svg"):
                assert (folder / "figures" / f"{name}{suffix}").stat().st_size > 1000
        for name in TABLES:
            assert len(pd.read_csv(folder / "tables" / f"{name}.csv")) > 0
            assert (folder / "tables" / f"{name}.xlsx").stat().st_size > 0
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["status"] == "ok"
    pilots = {"linjiang", "qingshan", "yunxi"}  # districts with a pilot_start_year in the service table
    for code in _codes(report_study):
        has_effects = (report_study.reports_dir / code / "tables" / "pilot_effects.csv").is_file()
        assert has_effects == (code in pilots), code


def test_pages_have_a_chinese_title_no_code_and_fetch_nothing(built_reports, report_study):
    names = report_study.districts().set_index("code")["name_zh"]
    for code in _codes(report_study):
        page = (report_study.reports_dir / code / "report.html").read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", page).group(1)
        assert names[code] in title and len(CJK.findall(title)) >= 8, title
        assert '<html lang="zh-CN">' in page
        code_markers = ('class="jp-InputArea', 'class="jp-CodeMirrorEditor', "DistrictReport", "show(report", "import ")
        for marker in code_markers:
            assert marker not in page, marker
        assert "parameterised template" not in page  # the notebook's own note is for editors, not readers
        assert not re.search(r"<script[^>]+src=", page)  # no require.js, MathJax or Mermaid from a CDN
        assert not re.search(r'(?:src|href)="https?://', page)
        assert page.count('src="data:image/png;base64,') == len(FIGURES)
        assert "心理健康素养达标率" in page and "‡" in page  # prose, labels and suppression marks in Chinese


def test_executed_notebooks_have_no_errors_or_warnings(built_reports, report_study):
    for code in _codes(report_study):
        book = nbformat.read(report_study.reports_dir / code / "report.ipynb", as_version=4)
        outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]


def test_no_identifier_reaches_a_report(built_reports, report_study):
    scored = pd.read_parquet(report_study.processed_dir / "scored.parquet", columns=["id_number_key"])
    keys = set(scored["id_number_key"].dropna().astype(str))
    pattern = re.compile(r"\b[0-9a-f]{%d}\b" % len(next(iter(keys))))
    files = [p for p in report_study.reports_dir.rglob("*") if p.suffix in (".html", ".csv", ".ipynb", ".json")]
    assert len(files) > 8 * 10
    for path in files:
        content = path.read_text(encoding="utf-8")
        assert not keys & set(pattern.findall(content)), path
        for column in ("respondent_id", "id_number", "phone", "source_row"):
            assert column not in content, (path, column)


def test_index_tabulates_every_district_and_links_its_page(built_reports, report_study):
    index = built_reports.index
    assert index == report_study.reports_dir / "index.html"
    page = index.read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)"', page)
    assert sorted(links) == sorted(f"{code}/report.html" for code in _codes(report_study))
    assert all((index.parent / link).is_file() for link in links)
    assert page.count("<tr") == 1 + 8 + 1  # header, districts, city
    assert 'src="data:image/png;base64,' in page  # the forest plot, embedded
    for suffix in (".png", ".svg"):
        assert (report_study.reports_dir / "overview" / "figures" / f"forest{suffix}").is_file()
    overview = pd.read_csv(report_study.reports_dir / "overview" / "tables" / "key_indicators.csv")
    prevalence = pd.read_csv(report_study.reports_dir / "tables" / "prevalence.csv")
    merged = overview.merge(prevalence, on=["wave", "district", "indicator", "method"], suffixes=("", "_source"))
    assert len(merged) == len(overview) == 9 * 6
    assert (merged["estimate"] - merged["estimate_source"]).abs().max() < 1e-12


def test_a_failing_district_does_not_stop_the_others_and_the_command_names_it(built_reports, report_study):
    code = "import sys; import survey.cli.reports; from survey.cli import main; sys.argv[0] = 'survey'; main()"
    run = subprocess.run([sys.executable, "-c", code, "report", str(report_study.config_file), "--district",
                          "nowhere,Linjiang District", "--lang", "en", "--jobs", "2"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "1 built, 0 skipped, 1 failed" in run.stdout, run.stdout
    [error] = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert error.startswith("error: district 'nowhere' failed: ConfigError: district: expected one of linjiang")
    failed = json.loads((report_study.reports_dir / "en" / "nowhere" / "manifest.json").read_text(encoding="utf-8"))
    assert failed["status"] == "failed" and "'nowhere'" in failed["error"]
    assert (report_study.reports_dir / "en" / "nowhere" / "report.ipynb").is_file()  # kept for inspection
    assert not (report_study.reports_dir / "en" / "nowhere" / "report.html").exists()

    english = (report_study.reports_dir / "en" / "linjiang" / "report.html").read_text(encoding="utf-8")
    assert "<title>Linjiang District: resident mental-health survey report, 2024</title>" in english
    assert '<html lang="en">' in english and "Key indicators" in english
    index = (report_study.reports_dir / "en" / "index.html").read_text(encoding="utf-8")
    assert 'href="linjiang/report.html"' in index and "(report failed)" not in index  # nowhere is no district
    assert 'href="../index.html"' in index  # the Chinese index, built before


def test_a_rerun_skips_every_unchanged_district(built_reports, report_study):
    run = build_reports(report_study, jobs=2, progress=False, echo=lambda s: None)
    assert [o.status for o in run.outcomes] == ["skipped"] * 8
    assert run.ok and run.index.is_file()


def test_the_pipeline_step_prints_the_outcome_and_the_index(built_reports, report_study):
    from survey.pipeline import reports

    lines = []
    assert reports.run(report_study, echo=lines.append, districts="wanghu,shimen", progress=False) is report_study
    assert any("2 skipped, 0 failed" in line for line in lines)
    assert lines[-1].strip() == str(report_study.reports_dir / "index.html")


def test_changed_inputs_redo_only_the_districts_they_concern(built_reports, report_study, report_data):
    from survey.reports.inputs import ReportData

    plan = lambda: plan_reports(ReportData.load(report_study), "all", wave=2024,  # noqa: E731
                                notebook=default_notebook()).districts_to_run
    assert plan() == []
    table = report_study.reports_dir / "tables" / "prevalence.csv"
    original = table.read_bytes()
    try:
        prevalence = pd.read_csv(table, dtype={"district": str})
        row = (prevalence["district"] == "shimen") & (prevalence["indicator"] == "insomnia")
        prevalence.loc[row, "estimate"] += 0.001
        prevalence.to_csv(table, index=False)
        assert plan() == ["shimen"]
        failed = report_study.reports_dir / "wanghu" / "manifest.json"
        record = json.loads(failed.read_text(encoding="utf-8"))
        failed.write_text(json.dumps({**record, "status": "failed"}), encoding="utf-8")
        assert plan() == ["wanghu", "shimen"]
        failed.write_text(json.dumps(record), encoding="utf-8")
    finally:
        table.write_bytes(original)
    assert plan() == []


def test_reports_folder_layout_is_documented_in_the_package():
    import survey.reports

    doc = survey.reports.__doc__
    assert "reports/<study>/" in doc and "en/" in doc
    assert Path(default_notebook()).name == "district_report.ipynb"
