"""`survey report` on the demo: districts built in parallel, self-contained Chinese pages (and A4 PDFs)
without code or identifiers, the index linking them, failures isolated and named, reruns skipping
unchanged districts. Tests read one build of two districts (the session fixture ``built_reports``);
those that change files work on their own copy of it (``built_copy``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pandas as pd

from survey.reports.runner import build_reports, default_notebook, plan_reports

CJK = re.compile(r"[\u4e00-\u9fff]")
FIGURES = ("key_indicators", "change", "targets_literacy", "services")
TABLES = ("sample", "completion", "key_indicators", "change", "targets_literacy", "subgroups", "services",
          "data_quality")


def _codes(run) -> list[str]:
    """The districts the build ran (a pilot and a comparison district)."""
    return [o.district for o in run.outcomes]


def test_every_district_is_built_with_page_notebook_figures_and_tables(built_reports, report_study):
    assert built_reports.ok, built_reports.summary()
    assert [o.status for o in built_reports.outcomes] == ["built"] * 2
    assert _codes(built_reports) == ["linjiang", "liuhe"]
    for code in _codes(built_reports):
        folder = report_study.reports_dir / code
        for name in ("report.html", "report.pdf", "report.ipynb", "manifest.json"):
            assert (folder / name).is_file(), folder / name
        for name in FIGURES:  # vector figures; PNGs only when the study asks (reports.figure_files)
            assert (folder / "figures" / f"{name}.svg").stat().st_size > 1000
            assert not (folder / "figures" / f"{name}.png").exists()
        for name in TABLES:
            assert len(pd.read_csv(folder / "tables" / f"{name}.csv")) > 0
            assert (folder / "tables" / f"{name}.xlsx").stat().st_size > 0
        assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["status"] == "ok"
    pilots = {"linjiang", "qingshan", "yunxi"}  # districts with a pilot_start_year in the service table
    assert {code in pilots for code in _codes(built_reports)} == {True, False}
    for code in _codes(built_reports):
        has_effects = (report_study.reports_dir / code / "tables" / "pilot_effects.csv").is_file()
        assert has_effects == (code in pilots), code


def test_pages_have_a_chinese_title_no_code_and_fetch_nothing(built_reports, report_study):
    names = report_study.districts().set_index("code")["name_zh"]
    for code in _codes(built_reports):
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
        pilot_chart = code in {"linjiang", "qingshan", "yunxi"}  # a pilot district's page adds the before/after chart
        assert page.count('src="data:image/svg+xml;base64,') == len(FIGURES) + pilot_chart  # vector figures
        assert page.count("@font-face") == 1 and "data:font/woff;base64," in page  # its own font
        assert "心理健康素养达标率" in page and "‡" in page  # prose, labels and suppression marks in Chinese
        assert "图1" in page and "表1" in page and "No description has been provided" not in page
        assert 'href="../index.html"' in page and 'href="report.pdf"' in page
        assert "survey-stream" not in page and "survey-error" not in page  # nothing printed reaches the page


def test_each_district_has_an_a4_pdf_without_paths_or_dates_in_its_margins(built_reports, report_study):
    for code in _codes(built_reports):
        pdf = (report_study.reports_dir / code / "report.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-")
        sizes = set(re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf))
        assert sizes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in sizes), sizes
        assert len(re.findall(rb"/Type /Page\b", pdf)) >= 5
        for leak in (b"file://", str(report_study.root).encode(), b"/tmp/"):
            assert leak not in pdf, leak


def test_executed_notebooks_have_no_errors_or_warnings(built_reports, report_study):
    for code in _codes(built_reports):
        book = nbformat.read(report_study.reports_dir / code / "report.ipynb", as_version=4)
        outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert not [o.text for o in outputs if o.output_type == "stream"]  # a report prints nothing


def test_no_identifier_reaches_a_report(built_reports, report_study):
    scored = pd.read_parquet(report_study.processed_dir / "scored.parquet", columns=["id_number_key"])
    keys = set(scored["id_number_key"].dropna().astype(str))
    pattern = re.compile(r"\b[0-9a-f]{%d}\b" % len(next(iter(keys))))
    files = [p for p in report_study.reports_dir.rglob("*") if p.suffix in (".html", ".csv", ".ipynb", ".json")]
    assert len(files) > len(_codes(built_reports)) * 10
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
    pages = {link for link in links if link.endswith(("report.html", "report.pdf"))}
    assert pages == {f"{code}/report.{kind}" for code in _codes(built_reports) for kind in ("html", "pdf")}
    assert all((index.parent / link).is_file() for link in links)
    for name in ("key_indicators", "district_comparison"):
        for suffix in ("csv", "xlsx"):
            assert f"overview/tables/{name}.{suffix}" in links
    overview_table = page.split('id="overview-table"')[1].split("</table>")[0]
    assert overview_table.count("<tr") == 1 + 8 + 1  # header, districts, city
    assert page.count('class="tilemap"') == 6 and page.count('class="survey-table sortable"') == 1 + 6
    assert 'src="data:image/svg+xml;base64,' in page  # the forest plot, embedded
    assert (report_study.reports_dir / "overview" / "figures" / "forest.svg").is_file()
    overview = pd.read_csv(report_study.reports_dir / "overview" / "tables" / "key_indicators.csv")
    prevalence = pd.read_csv(report_study.reports_dir / "tables" / "prevalence.csv")
    merged = overview.merge(prevalence, on=["wave", "district", "indicator", "method"], suffixes=("", "_source"))
    assert len(merged) == len(overview) == 9 * 6
    assert (merged["estimate"] - merged["estimate_source"]).abs().max() < 1e-12


def test_a_failing_district_does_not_stop_the_others_and_the_command_names_it(built_copy, cli):
    report_study = built_copy
    run = cli("report", report_study.config_file, "--district", "nowhere,Linjiang District", "--lang", "en",
              "--jobs", "2")
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
    assert 'href="../../linjiang/report.html" lang="zh-CN"' in english  # the Chinese page, built before
    # the Chinese page and index built before now link the English ones (page and PDF redone, not the notebook)
    chinese = (report_study.reports_dir / "linjiang" / "report.html").read_text(encoding="utf-8")
    assert 'href="../en/linjiang/report.html" lang="en"' in chinese
    assert 'href="en/index.html"' in (report_study.reports_dir / "index.html").read_text(encoding="utf-8")
    record = json.loads((report_study.reports_dir / "linjiang" / "manifest.json").read_text(encoding="utf-8"))
    assert record["status"] == "ok" and "notebook" not in record["timings"] and "pdf" in record["timings"]


def test_a_rerun_skips_every_unchanged_district(built_reports, built_copy):
    """A copy of a study with its reports (another folder) is unchanged: nothing is rebuilt."""
    run = build_reports(built_copy, _codes(built_reports), jobs=2, progress=False, echo=lambda s: None)
    assert [o.status for o in run.outcomes] == ["skipped"] * 2
    assert run.ok and run.index.is_file()


def test_the_reports_step_prints_the_outcome_and_the_index(built_reports, built_copy):
    from survey.pipeline import steps

    report_study, lines = built_copy, []
    options = {"districts": ",".join(_codes(built_reports)), "progress": False, "echo": lines.append}
    results = steps.run(report_study, ["reports"], echo=lines.append, options={"reports": options})
    assert results["reports"].ok
    assert any("2 skipped, 0 failed" in line for line in lines)
    assert lines[-1] == f"[reports] index: {report_study.reports_dir / 'index.html'}"


def test_changed_inputs_redo_only_the_districts_they_concern(built_reports, built_copy):
    from survey.reports.inputs import ReportData

    report_study, built = built_copy, _codes(built_reports)
    def plan(data=None):  # the inputs loaded again unless they are the same files as the last load
        return plan_reports(ReportData.load(report_study) if data is None else data, built, wave=2024,
                            notebook=default_notebook()).districts_to_run

    assert plan() == []
    table = report_study.reports_dir / "tables" / "prevalence.csv"
    original = table.read_bytes()
    prevalence = pd.read_csv(table, dtype={"district": str})
    row = (prevalence["district"] == "liuhe") & (prevalence["indicator"] == "insomnia")
    prevalence.loc[row, "cv"] += 0.001  # not the estimate: reports refuse estimates that the scored data do not give
    prevalence.to_csv(table, index=False)
    changed = ReportData.load(report_study)
    assert plan(changed) == ["liuhe"]
    failed = report_study.reports_dir / "linjiang" / "manifest.json"
    record = json.loads(failed.read_text(encoding="utf-8"))
    failed.write_text(json.dumps({**record, "status": "failed"}), encoding="utf-8")
    assert plan(changed) == ["linjiang", "liuhe"]  # only a manifest changed since `changed` was loaded
    failed.write_text(json.dumps(record), encoding="utf-8")
    table.write_bytes(original)
    assert plan() == []


def test_reports_folder_layout_is_documented_in_the_package():
    import survey.reports

    doc = survey.reports.__doc__
    assert "reports/<study>/" in doc and "en/" in doc
    assert Path(default_notebook()).name == "district_report.ipynb"
