"""Text from a study's configuration and data is shown as typed and never runs (issue 10, item 2).

A small one-wave study (tests/study/conftest.py) whose district names, study title and indicator
label carry ``<script>``, ``<img onerror>`` and an event handler is built (one district, its page,
PDF and the index), then opened in Chromium: nothing sets ``window.__pwned`` (also after moving
the mouse over the page), and the headings and tables show the text exactly as typed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
import yaml

from survey.reports.browser import chromium, serve_folder, watch_errors

NAME = '第1区<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
NAME_EN = "D1 <script>window.__pwned=3</script>"
TITLE = '小型调查<b onmouseover="window.__pwned=4">粗体</b> & 其他'
LABEL = "抑郁<svg onload=window.__pwned=5>"


def _write_small_study(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location("small_study", Path(__file__).parents[1] / "study" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_small_study(folder)


@pytest.fixture(scope="module")
def hostile_study(tmp_path_factory):
    from survey.reports.runner import build_reports

    config = _write_small_study(tmp_path_factory.mktemp("hostile") / "small")
    districts = pd.read_csv(config.parent / "districts.csv")
    districts.loc[0, ["name_zh", "name_en"]] = [NAME, NAME_EN]
    districts.to_csv(config.parent / "districts.csv", index=False)
    spec = yaml.safe_load(config.read_text(encoding="utf-8"))
    spec["title"]["zh-CN"] = TITLE
    spec["indicators"][0]["label"]["zh-CN"] = LABEL
    config.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run = build_reports(config, ["d1"], jobs=1, progress=False, echo=lambda line: None)
    assert run.ok, run.summary()
    return run


def test_nothing_from_the_study_runs_and_every_text_shows_as_typed(hostile_study):
    reports = hostile_study.study.reports_dir
    with serve_folder(reports) as base_url, chromium() as browser:
        for address in ("index.html", "d1/report.html"):
            page = browser.new_page()
            errors = watch_errors(page)
            page.goto(base_url + address, wait_until="load")
            page.mouse.move(300, 200)
            page.mouse.move(500, 400)
            assert page.evaluate("window.__pwned") is None, address
            assert errors == [], (address, errors)
            text = page.locator("main").inner_text()
            if address == "index.html":
                assert page.locator("h1").inner_text().startswith(TITLE)
                assert page.locator("#overview-table tbody tr").first.locator("td").first.inner_text() == NAME
                assert LABEL in page.locator("#overview-table thead").inner_text()
            else:
                assert page.locator("h1").inner_text().startswith(NAME)
                assert page.title().startswith(NAME)
                assert f"“{TITLE}”" in text or TITLE in text
            assert NAME in text
            page.close()


def test_the_pages_hold_no_live_markup_from_the_study(hostile_study):
    reports = hostile_study.study.reports_dir
    for path in (reports / "index.html", reports / "d1" / "report.html"):
        page = path.read_text(encoding="utf-8")
        for live in ("<script>window", "<img src=x", "<b onmouseover", "<svg onload"):
            assert live not in page, (path.name, live)
        assert page.count("<script") == (1 if path.name == "index.html" else 0)  # only the index's own sort script
    assert (reports / "d1" / "report.pdf").is_file()
