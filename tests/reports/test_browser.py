"""A real browser: headless Chromium (Debian's) opens the index and a district page over loopback HTTP.

It sees no console errors, shows every image, draws the Chinese heading with the project's font
(asked from Chromium itself through DevTools) — also with no CJK font on the machine at all, from
the subset the page embeds —, lays nothing out wider than an A4 page when printing, sorts the
index's tables when a header is clicked (and shows them in district order without JavaScript),
and every link of every page resolves."""

from __future__ import annotations

from survey.reports.browser import broken_links, check_pages, chromium, serve_folder, watch_errors
from survey.reports.fonts import FONT_FAMILY


def _pages(built_reports, report_study):
    return [built_reports.index, report_study.reports_dir / "linjiang" / "report.html"]


def test_chromium_opens_the_pages_without_errors_and_renders_chinese_with_their_own_font(built_reports, report_study,
                                                                                         tmp_path):
    """No CJK font on the machine and none added: the subset each page embeds draws the Chinese heading."""
    checks = check_pages(_pages(built_reports, report_study), tmp_path / "screenshots", project_font=False)
    for check in checks:
        assert check.errors == [], check.errors
        assert check.images >= 1 and check.broken_images == 0, check.summary()
        assert check.cjk_in_heading >= 8, check.heading
        # every Chinese character of the heading was drawn with Noto Sans SC (a box would come from another font),
        # and by the web font the page embeds
        assert check.cjk_font_glyphs >= check.cjk_in_heading, check.summary()
        assert check.heading_web_font_glyphs >= check.cjk_in_heading, check.summary()
        assert check.print_overflow == [], check.summary()  # printed on A4, nothing is cut
        assert check.screenshot.stat().st_size > 50_000
    assert checks[1].title.startswith("临江区")
    assert FONT_FAMILY in checks[0].heading_fonts


def _column(page, table: str, index: int) -> list[str]:
    return page.eval_on_selector_all(f"{table} tbody tr",
                                     f"rows => rows.map(r => r.cells[{index}].getAttribute('data-sort'))")


def _header_index(page, table: str, text: str) -> int:
    headers = page.eval_on_selector_all(f"{table} thead th", "cells => cells.map(c => c.textContent.trim())")
    return next(i for i, h in enumerate(headers) if h.startswith(text))


def test_the_index_sorts_by_a_clicked_column_and_every_link_resolves(built_reports, report_study):
    reports = report_study.reports_dir
    names = list(report_study.districts()["name_zh"])
    with serve_folder(reports) as base_url, chromium() as browser:
        page = browser.new_page()
        errors = watch_errors(page)
        page.goto(base_url + "index.html", wait_until="load")
        table = "#overview-table"
        assert _column(page, table, 0) == names  # district order before any click
        column = _header_index(page, table, "调查人数")
        page.locator(f"{table} thead th").nth(column).locator("button").click()
        ascending = [float(v) for v in _column(page, table, column)]
        assert ascending == sorted(ascending) and len(ascending) == 8
        assert page.locator(f"{table} thead th").nth(column).get_attribute("aria-sort") == "ascending"
        page.locator(f"{table} thead th").nth(column).locator("button").click()
        assert [float(v) for v in _column(page, table, column)] == sorted(ascending, reverse=True)
        # a value column: suppressed cells (no sort key) stay last in both directions
        literacy = _header_index(page, table, "心理健康素养")
        page.locator(f"{table} thead th").nth(literacy).locator("button").click()
        values = [float(v) for v in _column(page, table, literacy) if v]
        assert values == sorted(values)
        assert page.locator(f"{table} tfoot td").first.inner_text() == "清河市"  # the city stays at the foot
        assert broken_links(page, base_url) == []
        linked = page.eval_on_selector_all("a[href$='report.html']", "links => links.map(a => a.href)")
        assert len(linked) >= 2
        for url in dict.fromkeys(linked):
            district = browser.new_page()
            district_errors = watch_errors(district)
            district.goto(url, wait_until="load")
            assert broken_links(district, base_url) == [], url
            assert district_errors == [], (url, district_errors)
            district.close()
        assert errors == [], errors

        # without JavaScript the same table, in district order, with its links (and no sort buttons)
        plain = browser.new_context(java_script_enabled=False).new_page()
        plain.goto(base_url + "index.html", wait_until="load")
        assert _column(plain, table, 0) == names
        assert plain.locator(f"{table} thead button").count() == 0
        assert plain.locator(f"{table} a[href$='report.pdf']").count() == len(built_reports.outcomes)
