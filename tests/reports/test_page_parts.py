"""The presentation's small parts, without a kernel or a browser: sanitising, prose, numbering,
the page shell and its font, the index's tile map, colours and targets, the figures' marks and units,
and the page wording in both languages."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from survey.errors import ConfigError
from survey.reports import figures
from survey.reports.fonts import BASE_CHARACTERS, base_font, web_font
from survey.reports.index import colour_bins, target_year, tile_positions
from survey.reports.pagetext import page_labels, page_text
from survey.reports.section import ReportFigure, ReportTable, Section, prose_html, section_html
from survey.reports.webpage import html_page, notebook_body, number_items, sanitise


@pytest.mark.parametrize("fragment, expected", [
    ("<p onclick=\"x()\">A<script>alert(1)</script></p>", "<p>A&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ('<a href="javascript:alert(1)">j</a>', "<a>j</a>"),
    ('<a href="../index.html">i</a>', '<a href="../index.html">i</a>'),
    ('<img src="x" onerror="alert(1)">', "<img>"),
    ('<img src="data:text/html;base64,PHNjcmlwdD4=">', "<img>"),
    ('<iframe src="https://example.org"></iframe>', '&lt;iframe src="https://example.org"&gt;&lt;/iframe&gt;'),
    ("<table><caption>c</caption><tr><td colspan=\"2\">1</td></tr></table>",
     '<table><caption>c</caption><tbody><tr><td colspan="2">1</td></tr></tbody></table>'),
    ("<style>body{display:none}</style><!-- note -->", "&lt;style&gt;body{display:none}&lt;/style&gt;"),
])
def test_sanitise_keeps_the_allowlist_and_escapes_the_rest(fragment, expected):
    assert sanitise(fragment) == expected


def test_sanitise_keeps_embedded_images_whole():
    svg = "PHN2Zz48L3N2Zz4=" * 20
    fragment = f'<figure><img src="data:image/svg+xml;base64,{svg}" alt="图"></figure>'
    assert sanitise(fragment) == fragment


def test_prose_is_markdown_whose_html_shows_as_typed():
    assert prose_html('第1区<img src=x onerror="alert(1)"> & **要点**\n\n- 一\n- [表](tables/t.csv)') == (
        '<p>第1区&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; <strong>要点</strong></p>\n'
        '<ul>\n<li>一</li>\n<li><a href="tables/t.csv">表</a></li>\n</ul>\n')
    assert prose_html("") == ""


def test_a_section_is_one_block_with_numbered_alt_texted_figures_and_captioned_tables():
    fig = Figure(figsize=(4, 2))
    fig.add_subplot().plot([1, 2])
    table = pd.DataFrame({"区县": ["<x>"], "值": ["1.0"]})
    section = Section("key", "标题<i>", "正文", tables=[ReportTable("t", "表题&", table, table, "注<")],
                      figures=[ReportFigure("f", fig, alt="图的说明", caption="图题"), ReportFigure("g", fig)],
                      front_matter=[("日期", "2026-12-01"), ("引用", "某<某>")])
    block = section_html(section)
    assert block.startswith('<section class="survey-section survey-level-2 survey-major" id="section-key">')
    assert "<h2>标题&lt;i&gt;</h2>" in block and '<td class="text">&lt;x&gt;</td>' in block
    assert 'alt="图的说明"' in block and 'alt="标题&lt;i&gt;"' in block  # no alt text: the section's title
    assert block.count('class="survey-number survey-number-figure"') == 2
    assert '<caption><span class="survey-number survey-number-table"></span> 表题&amp;</caption>' in block
    assert "<dt>引用</dt><dd>某&lt;某&gt;</dd>" in block and "注&lt;" in block
    assert sanitise(block).count("data:image/svg+xml;base64,") == 2
    numbered = number_items(sanitise(block), "zh")
    assert "图1</span> 图题" in numbered and "图2</span>" in numbered and "表1</span> 表题" in numbered
    assert "Figure 2." in number_items(block, "en") and "Table 1." in number_items(block, "en")


def test_a_notebook_becomes_a_sanitised_body_without_code(tmp_path):
    book = {"cells": [
        {"cell_type": "markdown", "source": "# notes for editors", "metadata": {}},
        {"cell_type": "code", "source": "show(x)", "metadata": {}, "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {"text/html": "<p>ok</p><script>window.x=1</script>", "text/plain": "<HTML>"}},
            {"output_type": "display_data", "metadata": {}, "data": {"text/markdown": "**<b>x</b>**"}},
            {"output_type": "stream", "name": "stdout", "text": ["a < b\n"]}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "book.ipynb"
    path.write_text(json.dumps(book), encoding="utf-8")
    body = notebook_body(path)
    assert "<p>ok</p>&lt;script&gt;window.x=1&lt;/script&gt;" in body
    assert "<p><strong>&lt;b&gt;x&lt;/b&gt;</strong></p>" in body and "a &lt; b" in body
    assert "notes for editors" not in body and "show(x)" not in body


def test_the_page_embeds_a_font_for_exactly_its_characters():
    from fontTools.ttLib import TTFont

    page = html_page(lang="zh", title="临江区<报告>", body="<p>心理健康‡ 23.5%</p>")
    assert "<title>临江区&lt;报告&gt;</title>" in page and '<html lang="zh-CN">' in page
    data = re.search(r"data:font/woff;base64,([A-Za-z0-9+/=]+)", page).group(1)
    import base64

    cmap = TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap()
    assert {ord(c) for c in "临江区报告心理健康‡"} <= set(cmap)
    assert ord("龘") not in cmap  # only what the page uses


def test_a_page_font_comes_from_the_base_font_when_it_covers_the_page_else_from_the_full_font(tmp_path, monkeypatch):
    from fontTools.ttLib import TTFont

    monkeypatch.setenv("SURVEY_CACHE_DIR", str(tmp_path))
    base = base_font("临江区")
    assert base.parent == tmp_path / "fonts" and base_font("临江区") == base  # cached
    assert set(BASE_CHARACTERS) - {" "} <= {chr(c) for c in TTFont(str(base)).getBestCmap()}
    for text in ("临江区 12%", "临江区 龘"):  # the second has a character the base font lacks
        cmap = TTFont(io.BytesIO(web_font(text, base))).getBestCmap()
        assert {ord(c) for c in text if c != " "} <= set(cmap)


def test_a_page_using_most_of_the_base_font_embeds_it_whole_and_a_sparse_page_a_subset(tmp_path, monkeypatch):
    from fontTools.ttLib import TTFont

    from survey.reports import fonts

    monkeypatch.setenv("SURVEY_CACHE_DIR", str(tmp_path))
    wording = "临江区心理健康素养达标率抑郁症状检出率"
    base = base_font(wording)
    base_cmap = fonts._covered(base)
    dense = BASE_CHARACTERS + wording  # every character of the base font
    whole = web_font(dense, base)
    assert set(TTFont(io.BytesIO(whole)).getBestCmap()) == set(base_cmap)
    assert web_font(dense, base) is whole  # converted once per process
    sparse = web_font("临江 12%", base)
    cmap = set(TTFont(io.BytesIO(sparse)).getBestCmap())
    assert {ord(c) for c in "临江12%"} <= cmap and len(cmap) < len(base_cmap) / 4


def test_a_page_beyond_the_base_font_widens_it_once_for_the_pages_after_it(tmp_path, monkeypatch):
    from survey.reports import fonts

    monkeypatch.setenv("SURVEY_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(fonts, "_WIDENED", {})
    base = base_font("临江区")
    assert fonts._source_for(set("临江区 12%"), base) == base
    widened = fonts._source_for(set("临江区 龘"), base)
    assert widened not in (base, fonts.cjk_font_path()) and ord("龘") in fonts._covered(widened)
    assert fonts._source_for(set("龘 临江"), base) == widened  # no second widening for the same characters
    assert fonts._source_for(set("龘 区\U0001F600"), base) == widened  # a character the font lacks: no widening


def test_tiles_take_row_and_col_from_the_district_table_else_a_grid():
    table = pd.DataFrame({"code": ["a", "b", "c"], "row": [2, 1, 2], "col": [5, 6, 6]})
    assert tile_positions(table) == ({"a": (2, 1), "b": (1, 2), "c": (2, 2)}, "")
    grid = {"a": (1, 1), "b": (1, 2), "c": (2, 1)}
    assert tile_positions(table.drop(columns="row")) == (grid, "absent")
    assert tile_positions(table.assign(row=[1, None, 2])) == (grid, "incomplete")
    assert tile_positions(table.assign(row=[1, 1, 1], col=[1, 1, 2])) == (grid, "repeated")


def test_colour_bins_and_the_target_a_round_is_read_against():
    bins, ranges = colour_bins(pd.Series([0.1, 0.2, np.nan, 0.5]))
    assert bins.tolist()[:2] == [0.0, 1.0] and np.isnan(bins.iloc[2]) and bins.iloc[3] == 4.0
    assert len(ranges) == 5 and ranges[0][0] == pytest.approx(0.1) and ranges[-1][1] == pytest.approx(0.5)
    assert colour_bins(pd.Series([0.3, 0.3]))[0].tolist() == [0.0, 0.0]
    targets = {"2022": 0.2, "2030": 0.3}
    assert [target_year(targets, w) for w in (2020, 2022, 2024, 2031)] == ["2022", "2022", "2030", "2030"]
    assert target_year({}, 2024) is None


def _marks(fig) -> int:
    return sum(1 for ax in fig.axes for t in ax.texts if t.get_text() == figures.SUPPRESSED_MARK)


def test_suppressed_estimates_are_marked_in_figures_not_dropped():
    table = pd.DataFrame({"label": ["a", "b"], "estimate": [0.2, 0.1], "ci_low": [0.1, 0.0], "ci_high": [0.3, 0.3],
                          "flag": ["present", "suppress"], "city_estimate": [0.2, 0.2], "city_ci_low": [0.1, 0.1],
                          "city_ci_high": [0.3, 0.3], "city_flag": ["present", "present"]})
    assert _marks(figures.estimates_beside_city(table, district_name="d", city_name="c", xlabel="%")) == 1
    change = table.assign(suppressed=[False, True])
    assert _marks(figures.changes_beside_city(change, district_name="d", city_name="c", xlabel="points")) == 1
    waves = pd.DataFrame({"wave": [2023, 2024, 2023, 2024], "district": ["district", "district", "city", "city"],
                          "estimate": [0.2, 0.3, 0.2, 0.25], "ci_low": [0.1, 0.2, 0.15, 0.2],
                          "ci_high": [0.3, 0.4, 0.25, 0.3], "flag": ["suppress", "present", "present", "present"]})
    fig = figures.literacy_against_targets(waves, {"2030": 0.3}, district_name="d", city_name="c", ylabel="%",
                                           target_label="{year}: {value:.0f}%")
    assert _marks(fig) == 1


def test_the_forest_plot_draws_target_lines_and_marks_suppressed_districts():
    rows = []
    for indicator in ("literacy", "depression"):
        for district, flag in (("a", "present"), ("b", "suppress"), ("city", "present")):
            rows.append({"indicator": indicator, "district": district, "name": district.upper(), "estimate": 0.25,
                         "ci_low": 0.2, "ci_high": 0.3, "flag": flag})
    fig = figures.forest_by_district(pd.DataFrame(rows), panel_titles={"literacy": "L", "depression": "D"},
                                     city_code="city", xlabel="%", targets={"literacy": {"2022": 0.2, "2030": 0.3}})
    literacy, depression = [ax for ax in fig.axes if ax.get_visible()]
    dashed = [line for line in literacy.get_lines() if line.get_linestyle() == "--"]
    assert sorted(line.get_xdata()[0] for line in dashed) == [20.0, 30.0]
    assert not [line for line in depression.get_lines() if line.get_linestyle() == "--"]
    assert _marks(fig) == 2 and len([ax for ax in fig.axes if ax.get_visible()]) == 2


def test_service_charts_say_their_unit():
    table = pd.DataFrame({"district": ["district", "city"] * 2, "year": [2023, 2023, 2024, 2024],
                          "rate": [1.0, 2.0, 1.5, 2.5]})
    fig = figures.services_over_years(table, {"rate": "R"}, district_name="d", city_name="c",
                                      ylabel="每10万常住人口", xlabel="年份")
    assert fig.axes[0].get_ylabel() == "每10万常住人口" and fig.axes[0].get_xlabel() == "年份"


def _keys(tree, prefix=""):
    if not isinstance(tree, dict):
        return {prefix}
    return set().union(*(_keys(v, f"{prefix}.{k}" if prefix else str(k)) for k, v in tree.items()))


def test_the_page_wording_has_the_same_keys_and_fields_in_both_languages():
    zh, en = page_labels("zh"), page_labels("en")
    assert _keys(zh) == _keys(en)
    for key in _keys(zh):
        value = {lang: tree for lang, tree in (("zh", zh), ("en", en))}
        for part in key.split("."):
            value = {lang: tree[part] for lang, tree in value.items()}
        fields = {lang: set(re.findall(r"\{(\w+)", str(text))) for lang, text in value.items()}
        assert fields["zh"] == fields["en"], key
    assert page_text("nav.other_language", "zh") == "English version"


def test_the_same_figure_saved_twice_gives_the_same_svg_bytes(tmp_path):
    from matplotlib.figure import Figure

    from survey.outputs import save_figure

    def drawn():
        figure = Figure(figsize=(3, 2))
        axes = figure.add_subplot()
        axes.plot([1, 2, 3], [2, 1, 3])
        axes.set_title("临江区")
        return figure

    undated = {"metadata": {"Date": None}}
    first = save_figure(tmp_path / "a" / "f.svg", drawn(), **undated)
    second = save_figure(tmp_path / "b" / "f.svg", drawn(), **undated)
    assert first.read_bytes() == second.read_bytes() and b'clip-path="url(#p' in first.read_bytes()


def test_a_wording_file_that_gives_a_key_twice_is_refused_and_chinese_pages_have_no_folded_spaces(tmp_path,
                                                                                                  monkeypatch):
    from survey.reports import text as text_module

    (tmp_path / "pages_zh.yaml").write_text("nav:\n  back: 返回\n  back: 全部\n", encoding="utf-8")
    monkeypatch.setattr(text_module, "LABEL_DIR", tmp_path)
    text_module.wording.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"pages_zh.yaml \(line 3\): key 'back' given twice"):
            page_text("nav.back", "zh")
    finally:
        monkeypatch.undo()
        text_module.wording.cache_clear()
    assert "区间（" in page_text("index.intro", "zh", city="清河市", wave=2024, method="标化率")
