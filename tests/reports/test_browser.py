"""A real browser: headless Chromium (Debian's) opens the index and a district page, sees no console
errors, shows every image, and draws the Chinese heading with the project's font (asked from
Chromium itself through DevTools), so the screenshot shows Chinese, not empty boxes."""

from __future__ import annotations

from survey.reports.browser import check_pages
from survey.reports.fonts import FONT_FAMILY


def test_chromium_opens_the_pages_without_errors_and_renders_chinese(built_reports, report_study, tmp_path):
    pages = [built_reports.index, report_study.reports_dir / "linjiang" / "report.html"]
    checks = check_pages(pages, tmp_path / "screenshots")
    for check in checks:
        assert check.errors == [], check.errors
        assert check.images >= 1 and check.broken_images == 0, check.summary()
        assert check.cjk_in_heading >= 8, check.heading
        # every Chinese character of the heading was drawn with Noto Sans SC (a box would come from another font)
        assert check.cjk_font_glyphs >= check.cjk_in_heading, check.summary()
        assert check.screenshot.stat().st_size > 50_000
    assert checks[1].title.startswith("临江区")
    assert FONT_FAMILY in checks[0].heading_fonts
