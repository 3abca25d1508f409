"""The city's index page: every district compared, sortable, on a tile map and a forest plot, with links.

``write_index`` writes ``index.html`` in the language's report folder (``reports/<study>/``
for Chinese, ``reports/<study>/en/`` for English). The page has

* a table of every district's key indicators (the study's one comparison rate,
  ``ReportData.method``), n, the pilot flag when the study has a pilot, and links to each
  district's page and PDF; the city's row stays at the foot;
* for each indicator a tile map of the districts coloured by its value (positions from optional
  ``row``/``col`` columns of the district table, else a grid in table order) and a table with the
  value, n, the change since the previous round (when there is one) and the standing against the
  indicator's policy target (when it has one);
* a forest plot of every indicator with a publishable district estimate (target lines where the
  indicator has targets; suppressed estimates marked ‡);
* links to the tables behind the page (CSV and XLSX under ``overview/tables/``) and a language switch.

Every table sorts by a column when its header is clicked (a few lines of inline JavaScript);
without JavaScript the page is the same, in district order. The page is built from Jinja
templates that escape every value (names, labels, titles from the study are text, never markup),
embeds its font and figure, and fetches nothing.

Example
-------
>>> write_index(data, lang="zh", root=Path("reports/demo"))     # doctest: +SKIP
PosixPath('reports/demo/index.html')
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from survey.outputs import write_text
from survey.reports import figures, formatting
from survey.reports.inputs import CITY, ReportData
from survey.reports.manifest import REPORT_HTML, read_manifest
from survey.reports.pagetext import page_lookup, page_text
from survey.reports.section import ReportFigure, ReportTable, Section, figure_svg
from survey.reports.text import label_of, study_label, text
from survey.study.paths import INDEX_HTML, REPORT_PDF, slug_of

#: Colour bins of the tile maps (light to dark: low to high), and the colour of a suppressed estimate.
TILE_COLOURS = ("#eef4fb", "#c6dbef", "#8ebfe0", "#4a93c8", "#1b5f9e")
SUPPRESSED_COLOUR = "#e4e4e4"

INDEX_CSS = """
.survey-intro { max-width: 52em; }
.sortable th button { all: inherit; cursor: pointer; padding: 0; }
.sortable th button::after { content: " ↕"; color: #8c959f; font-size: 0.85em; }
.sortable th[aria-sort="ascending"] button::after { content: " ↑"; color: #1f2328; }
.sortable th[aria-sort="descending"] button::after { content: " ↓"; color: #1f2328; }
tfoot tr td { font-weight: bold; background: #f6f8fa; border-top: 2px solid #8c959f; }
td small { color: #57606a; }
details { margin: 1.4em 0; border-top: 1px solid #d0d7de; }
details > summary { cursor: pointer; padding: 0.6em 0 0.2em; }
details > summary > h2 { display: inline; border: 0; font-size: 1.2em; margin: 0; padding: 0; }
.tilemap { display: grid; grid-template-columns: repeat(var(--columns), minmax(6.5em, 9em)); gap: 4px;
           list-style: none; margin: 1em 0 0.4em; padding: 0; }
.tile { min-height: 4.2em; padding: 0.35em 0.45em; border-radius: 4px; font-size: 0.88em; line-height: 1.3;
        border: 1px solid rgba(0, 0, 0, 0.12); }
.tile a { color: inherit; font-weight: bold; text-decoration: none; }
.tile a:hover { text-decoration: underline; }
.tile .value { display: block; font-variant-numeric: tabular-nums; }
.tile.dark { color: #fff; }
.legend { display: flex; flex-wrap: wrap; gap: 0.3em 1em; list-style: none; padding: 0; margin: 0.3em 0 1em;
          font-size: 0.85em; color: #333; }
.legend .swatch { display: inline-block; width: 1.1em; height: 0.9em; vertical-align: -0.1em; margin-right: 0.3em;
                  border: 1px solid rgba(0, 0, 0, 0.15); }
.downloads li { margin: 0.3em 0; }
"""

SORT_SCRIPT = r"""
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (raw === "") { return null; }
    var number = Number(raw);
    return isNaN(number) ? raw : number;
  }
  function compare(a, b, direction, language) {
    if (a === null && b === null) { return 0; }
    if (a === null) { return 1; }
    if (b === null) { return -1; }
    if (typeof a === "number" && typeof b === "number") { return direction * (a - b); }
    return direction * String(a).localeCompare(String(b), language);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var language = document.documentElement.lang || undefined;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
      if (header.hasAttribute("data-nosort")) { return; }
      var button = document.createElement("button");
      button.type = "button";
      while (header.firstChild) { button.appendChild(header.firstChild); }
      header.appendChild(button);
      button.addEventListener("click", function () {
        var direction = header.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
          other.removeAttribute("aria-sort");
        });
        header.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, position) { row.setAttribute("data-position", position); });
        rows.sort(function (a, b) {
          return compare(key(a.cells[column]), key(b.cells[column]), direction, language) ||
            (a.getAttribute("data-position") - b.getAttribute("data-position"));
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
})();
"""

TEMPLATE = r"""
<h1>{{ title }}</h1>
<p class="survey-intro">{{ intro }}</p>

<section id="overview">
<h2>{{ t.overview_heading }}</h2>
<div class="survey-table-wrap">
<table class="survey-table sortable" id="overview-table">
<caption><span class="survey-number survey-number-table"></span> {{ overview_caption }}</caption>
<thead><tr>
<th scope="col">{{ t.columns.district }}</th>
<th scope="col" data-nosort>{{ t.columns.report }}</th>
{% if has_pilot %}<th scope="col">{{ t.columns.pilot }}</th>{% endif %}
<th scope="col">{{ t.columns.respondents }}</th>
{% for indicator in indicators %}<th scope="col">{{ indicator.label }}</th>{% endfor %}
</tr></thead>
<tbody>
{% for row in districts %}<tr>
<td data-sort="{{ row.name }}">
{%- if row.html %}<a href="{{ row.html }}">{{ row.name }}</a>
{%- else %}{{ row.name }} <small>{{ row.note }}</small>{% endif %}</td>
<td>{% if row.html %}<a href="{{ row.html }}">{{ t.links.html }}</a>{% endif %}
{%- if row.html and row.pdf %} · {% endif %}
{%- if row.pdf %}<a href="{{ row.pdf }}">{{ t.links.pdf }}</a>{% endif %}</td>
{% if has_pilot %}<td data-sort="{{ row.pilot_sort }}">{{ row.pilot }}</td>{% endif %}
<td data-sort="{{ row.respondents_sort }}">{{ row.respondents }}</td>
{% for cell in row.cells %}
<td data-sort="{{ cell.sort }}"{% if cell.n %} title="n = {{ cell.n }}"{% endif %}>{{ cell.text }}</td>
{% endfor %}
</tr>
{% endfor %}</tbody>
<tfoot><tr>
<td>{{ city.name }}</td><td></td>{% if has_pilot %}<td></td>{% endif %}<td>{{ city.respondents }}</td>
{% for cell in city.cells %}<td{% if cell.n %} title="n = {{ cell.n }}"{% endif %}>{{ cell.text }}</td>
{% endfor %}
</tr></tfoot>
</table>
</div>
<p class="survey-notes"><small>{{ t.sort_hint }} {{ notes }}</small></p>
</section>

{% for indicator in indicators %}
<section class="survey-indicator" id="indicator-{{ indicator.id }}">
<details{% if loop.first %} open{% endif %}>
<summary><h2>{{ indicator.label }}</h2></summary>
<p class="survey-notes"><span class="survey-number survey-number-figure"></span> {{ indicator.map_caption }}</p>
<ul class="tilemap" style="--columns: {{ indicator.columns }}">
{% for tile in indicator.tiles %}
<li class="tile{% if tile.dark %} dark{% endif %}"
    style="grid-row: {{ tile.row }}; grid-column: {{ tile.col }}; background: {{ tile.colour }}">
{%- if tile.html %}<a href="{{ tile.html }}">{{ tile.name }}</a>{% else %}{{ tile.name }}{% endif %}
<span class="value">{{ tile.value }}</span></li>
{% endfor %}</ul>
<ul class="legend">{% for item in indicator.legend %}
<li><span class="swatch" style="background: {{ item.colour }}"></span>{{ item.text }}</li>
{% endfor %}</ul>
{% if position_note %}<p class="survey-notes"><small>{{ position_note }}</small></p>{% endif %}
<div class="survey-table-wrap">
<table class="survey-table sortable" id="table-{{ indicator.id }}">
<caption><span class="survey-number survey-number-table"></span> {{ indicator.table_caption }}</caption>
<thead><tr>
<th scope="col">{{ t.columns.district }}</th>
<th scope="col">{{ value_heading }}</th>
<th scope="col">{{ t.columns.n }}</th>
{% if indicator.has_change %}<th scope="col">{{ indicator.change_heading }}</th>{% endif %}
{% if indicator.has_target %}<th scope="col">{{ indicator.target_heading }}</th>{% endif %}
{% if has_pilot %}<th scope="col">{{ t.columns.pilot }}</th>{% endif %}
</tr></thead>
<tbody>
{% for row in indicator.rows %}<tr>
<td data-sort="{{ row.name }}">
{%- if row.html %}<a href="{{ row.html }}">{{ row.name }}</a>{% else %}{{ row.name }}{% endif %}</td>
<td data-sort="{{ row.value_sort }}">{{ row.value }}</td>
<td data-sort="{{ row.n_sort }}">{{ row.n }}</td>
{% if indicator.has_change %}<td data-sort="{{ row.change_sort }}">{{ row.change }}
{%- if row.change_word %} <small>{{ row.change_word }}</small>{% endif %}</td>{% endif %}
{% if indicator.has_target %}<td data-sort="{{ row.target_sort }}">{{ row.target }}</td>{% endif %}
{% if has_pilot %}<td data-sort="{{ row.pilot_sort }}">{{ row.pilot }}</td>{% endif %}
</tr>
{% endfor %}</tbody>
<tfoot><tr>
<td>{{ indicator.city.name }}</td><td>{{ indicator.city.value }}</td><td>{{ indicator.city.n }}</td>
{% if indicator.has_change %}<td>{{ indicator.city.change }}
{%- if indicator.city.change_word %} <small>{{ indicator.city.change_word }}</small>{% endif %}</td>{% endif %}
{% if indicator.has_target %}<td>{{ indicator.city.target }}</td>{% endif %}
{% if has_pilot %}<td></td>{% endif %}
</tr></tfoot>
</table>
</div>
</details>
</section>
{% endfor %}

{% if forest %}
<section id="forest">
<h2>{{ t.forest_heading }}</h2>
<figure class="survey-figure">
<img src="data:image/svg+xml;base64,{{ forest.svg }}" alt="{{ forest.alt }}" width="{{ forest.width }}">
<figcaption><span class="survey-number survey-number-figure"></span> {{ forest.caption }}</figcaption>
</figure>
{% if forest.dropped %}<p class="survey-notes"><small>{{ forest.dropped }}</small></p>{% endif %}
</section>
{% endif %}

<section id="downloads" class="downloads">
<h2>{{ t.downloads.heading }}</h2>
<ul>
{% for item in downloads %}<li>{{ item.text }}:
{% for link in item.links %}<a href="{{ link.href }}">{{ link.text }}</a>
{%- if not loop.last %} · {% endif %}{% endfor %}
</li>
{% endfor %}</ul>
</section>
"""


@cache
def _template():
    from jinja2 import Environment

    return Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(TEMPLATE)


def language_root(reports_dir: Path, lang: str) -> Path:
    """Where a language's reports go: ``reports/<study>/`` for Chinese, ``reports/<study>/en/`` for English."""
    return Path(reports_dir) if lang == "zh" else Path(reports_dir) / lang


def overview_table(data: ReportData, lang: str, wave: int) -> pd.DataFrame:
    """Headline estimate per district (and the city) and indicator in ``wave``: the index's numbers."""
    study = data.study
    prev = data.prevalence
    rows = prev[(prev["wave"] == wave) & (prev["method"] == data.method)].copy()
    names = study.districts().set_index("code")["name_zh" if lang == "zh" else "name_en"].to_dict()
    names[CITY] = study_label(study.config.city, lang, default=text("city", lang))
    order = {code: i for i, code in enumerate([*names])}
    rows = rows[rows["district"].isin(list(names))]
    rows["name"] = rows["district"].map(names)
    rows["_order"] = rows["district"].map(order)
    indicators = [i.id for i in study.indicators if i.id in set(rows["indicator"])]
    rows["_indicator"] = rows["indicator"].map({k: i for i, k in enumerate(indicators)})
    keep = ["wave", "district", "name", "indicator", "method", "estimate", "ci_low", "ci_high", "n", "flag"]
    return rows.sort_values(["_indicator", "_order"])[keep].reset_index(drop=True)


def _previous_wave(data: ReportData, wave: int) -> int | None:
    waves = sorted(int(w) for w in (data.study.waves or data.prevalence["wave"].unique()))
    earlier = [w for w in waves if w < wave]
    return earlier[-1] if earlier else None


def target_year(targets: dict[str, float], wave: int) -> str | None:
    """The target an estimate of ``wave`` is read against: the first not yet past, else the last one."""
    if not targets:
        return None
    years = sorted(targets, key=int)
    return next((y for y in years if int(y) >= int(wave)), years[-1])


def comparison_table(data: ReportData, lang: str, wave: int) -> pd.DataFrame:
    """One row per district (and the city) and indicator: value, n, change, target standing, pilot.

    Columns: wave, district, name, indicator, method, estimate, ci_low, ci_high, n, flag,
    respondents, pilot_start, wave_from, change, change_ci_low, change_ci_high, change_flag,
    change_direction (increase, decrease, no_clear_change, unknown), target_year, target,
    target_side (above, below, overlaps, unknown: the 95% CI against the target).
    """
    table = overview_table(data, lang, wave)
    sample = data.sample[data.sample["wave"] == wave].set_index("district")["respondents"]
    table["respondents"] = table["district"].map(sample)
    table["pilot_start"] = table["district"].map(data.pilots).astype("Int64")
    before = _previous_wave(data, wave)
    table["wave_from"] = before
    change_columns = ["change", "change_ci_low", "change_ci_high", "change_flag"]
    change = data.change
    if before is not None and len(change):
        if "method" in change.columns:
            change = change[change["method"] == data.method]
        for column, value in (("wave_to", wave), ("wave_from", before)):
            if column in change.columns:
                change = change[change[column].astype(int) == value]
        picked = change.set_index(["district", "indicator"])
        picked = picked.reindex(columns=["estimate", "ci_low", "ci_high", "flag"])
        picked.columns = change_columns
        table = table.join(picked, on=["district", "indicator"])
    else:
        for column in change_columns:
            table[column] = np.nan
    unusable = table["change_flag"].astype(str).eq("suppress") | table["change"].isna()
    side = formatting.ci_side(table[["change_ci_low", "change_ci_high"]].set_axis(["ci_low", "ci_high"], axis=1), 0.0)
    table["change_direction"] = side.map({"above": "increase", "below": "decrease", "overlaps": "no_clear_change",
                                          "unknown": "unknown"}).where(~unusable, "unknown")
    targets = {i.id: {str(k): float(v) for k, v in i.targets.items()} for i in data.study.indicators}
    table["target_year"] = table["indicator"].map(lambda i: target_year(targets.get(i, {}), wave))
    table["target"] = [targets.get(i, {}).get(y, np.nan) if y else np.nan
                       for i, y in zip(table["indicator"], table["target_year"], strict=True)]
    side = formatting.ci_side(table, table["target"])
    table["target_side"] = side.where(table["flag"].astype(str) != "suppress", "unknown").to_numpy()
    return table


def tile_positions(districts: pd.DataFrame) -> tuple[dict[str, tuple[int, int]], str]:
    """District code -> (row, column), 1-based, and why the grid fallback was used ("" if it was not).

    From the district table's optional ``row`` and ``col`` columns when every district has whole
    numbers there and no two share a cell; else a near-square grid in table order.
    """
    codes = list(districts["code"].astype(str))
    if {"row", "col"} <= set(districts.columns):
        rows = pd.to_numeric(districts["row"], errors="coerce")
        cols = pd.to_numeric(districts["col"], errors="coerce")
        whole = rows.notna() & cols.notna() & (rows % 1 == 0) & (cols % 1 == 0)
        if not whole.all():
            reason = "incomplete"
        elif pd.Series(list(zip(rows, cols, strict=True))).duplicated().any():
            reason = "repeated"
        else:
            top, left = int(rows.min()), int(cols.min())
            return {c: (int(r) - top + 1, int(k) - left + 1) for c, r, k in zip(codes, rows, cols, strict=True)}, ""
    else:
        reason = "absent"
    columns = max(1, math.ceil(math.sqrt(len(codes))))
    return {c: (i // columns + 1, i % columns + 1) for i, c in enumerate(codes)}, reason


def colour_bins(values: pd.Series, bins: int = len(TILE_COLOURS)) -> tuple[pd.Series, list[tuple[float, float]]]:
    """Bin number (0 = lowest) per value, equal-width bins between the smallest and largest; and the bins' ranges."""
    shown = values.dropna()
    if shown.empty:
        return pd.Series(np.nan, index=values.index), []
    low, high = float(shown.min()), float(shown.max())
    if high - low < 1e-12:
        return values.where(values.isna(), 0.0), [(low, high)]
    edges = np.linspace(low, high, bins + 1)
    number = np.clip(np.floor((values - low) / (high - low) * bins), 0, bins - 1)
    return number.where(values.notna()), [(edges[i], edges[i + 1]) for i in range(bins)]


def _sort_value(value, flag: str = "") -> str:
    if value is None or pd.isna(value) or flag == "suppress":
        return ""
    return f"{float(value):.6g}"


def _page_link(root: Path, code: str) -> tuple[str, str, str]:
    """(html href, pdf href, note) of a district's report, from its folder and manifest."""
    folder = root / slug_of(code)
    record = read_manifest(folder)
    if record.get("status") == "ok" and (folder / REPORT_HTML).is_file():
        pdf = f"{slug_of(code)}/{REPORT_PDF}" if (folder / REPORT_PDF).is_file() else ""
        return f"{slug_of(code)}/{REPORT_HTML}", pdf, ""
    return "", "", "failed" if record.get("status") == "failed" else "missing"


@dataclass
class PreparedIndex:
    """What the index shows that does not depend on which district pages exist: tables, forest plot."""

    lang: str
    wave: int
    table: pd.DataFrame
    shown: pd.DataFrame
    forest: dict | None


def prepare_index(data: ReportData, *, lang: str, root: Path, wave: int | None = None) -> PreparedIndex:
    """The index's numbers, its tables under ``root/overview/tables`` and its forest plot (``overview/figures``).

    The slow part of the index (drawing the forest plot), done while the district reports build.
    """
    study = data.study
    wave = wave or int(max(study.waves or data.prevalence["wave"]))
    labels = {i.id: study_label(i.label, lang, i.id) for i in study.indicators}
    table = comparison_table(data, lang, wave)
    indicators = list(dict.fromkeys(table["indicator"]))
    fields = _fields(data, lang, wave)
    overview = overview_table(data, lang, wave)
    forest_panels = [i for i in indicators if _shown_any(table, i)]
    figures_to_save = []
    if forest_panels:
        targets = {i.id: {str(k): float(v) for k, v in i.targets.items()} for i in study.indicators if i.targets}
        fig = figures.forest_by_district(
            table[table["indicator"].isin(forest_panels)], panel_titles={i: labels[i] for i in forest_panels},
            city_code=CITY, xlabel=text("axes.percent_ci", lang), targets=targets,
            target_label=page_lookup("index.target_line", lang))
        shown_labels = _joined([labels[i] for i in forest_panels], lang)
        alt = page_text("index.forest_alt", lang, **fields, indicators=shown_labels)
        figures_to_save.append(ReportFigure("forest", fig, alt=alt,
                                            caption=page_text("index.forest_caption", lang, **fields)))
    section = Section("overview", "", tables=[ReportTable("key_indicators", "", overview, overview),
                                             ReportTable("district_comparison", "", table, table)],
                      figures=figures_to_save)
    section.save(root / "overview", study.config.reports.figure_files)
    forest = None
    if figures_to_save:
        item = figures_to_save[0]
        dropped = [labels[i] for i in indicators if i not in forest_panels]
        forest = {"svg": base64.b64encode(figure_svg(item)).decode(), "alt": item.alt, "caption": item.caption,
                  "width": int(item.figure.get_figwidth() * 100),
                  "dropped": page_text("index.forest_dropped", lang, indicators=_joined(dropped, lang)) if dropped
                  else ""}
    return PreparedIndex(lang=lang, wave=wave, table=table, shown=_display_columns(table), forest=forest)


def _fields(data: ReportData, lang: str, wave: int) -> dict:
    study = data.study
    return {"city": study_label(study.config.city, lang, default=text("city", lang)), "wave": wave,
            "method": label_of("methods", data.method, lang),
            "study_title": study_label(study.config.title, lang, default=study.id)}


def write_index(data: ReportData, *, lang: str, root: Path, wave: int | None = None,
                font_base: Path | None = None, prepared: PreparedIndex | None = None) -> Path:
    """Write ``root/index.html`` (and ``root/overview/``, unless ``prepared`` did); return the page's path."""
    from survey.reports.webpage import Link, html_page, navigation, number_items

    study = data.study
    if prepared is None or prepared.lang != lang or (wave and prepared.wave != wave):
        prepared = prepare_index(data, lang=lang, root=root, wave=wave)
    wave, table, shown, forest = prepared.wave, prepared.table, prepared.shown, prepared.forest
    labels = {i.id: study_label(i.label, lang, i.id) for i in study.indicators}
    indicators = list(dict.fromkeys(table["indicator"]))
    fields = _fields(data, lang, wave)
    city_name = fields["city"]
    t = page_lookup("index", lang)
    before = _previous_wave(data, wave)
    has_pilot = bool(data.pilots)
    codes = [str(c) for c in study.districts()["code"]]
    positions, position_reason = tile_positions(study.districts())
    links = {code: _page_link(root, code) for code in codes}

    def cell(row) -> dict:
        return {"text": row["value_text"], "sort": row["value_sort"], "n": row["n_text"]}

    def pilot_text(code: str) -> tuple[str, str]:
        start = data.pilots.get(code)
        return (page_text("index.pilot_yes", lang, year=start), "1") if start is not None else \
            (page_text("index.pilot_no", lang), "0")

    wide = {(r["district"], r["indicator"]): r for r in shown.to_dict("records")}
    district_rows = []
    for code in codes:
        html_href, pdf_href, note = links[code]
        any_row = next((wide[(code, i)] for i in indicators if (code, i) in wide), None)
        name = str(any_row["name"]) if any_row is not None else code
        pilot, pilot_sort = pilot_text(code)
        district_rows.append({
            "name": name, "html": html_href, "pdf": pdf_href, "note": t["notes_by_state"].get(note, "") if note else "",
            "pilot": pilot, "pilot_sort": pilot_sort,
            "respondents": any_row["respondents_text"] if any_row is not None else "",
            "respondents_sort": any_row["respondents_sort"] if any_row is not None else "",
            "cells": [cell(wide[(code, i)]) if (code, i) in wide else {"text": formatting.MISSING, "sort": "", "n": ""}
                      for i in indicators]})
    city_any = next((wide[(CITY, i)] for i in indicators if (CITY, i) in wide), None)
    city = {"name": city_name, "respondents": city_any["respondents_text"] if city_any is not None else "",
            "cells": [cell(wide[(CITY, i)]) if (CITY, i) in wide else {"text": formatting.MISSING, "n": ""}
                      for i in indicators]}

    indicator_blocks = [_indicator_block(shown, indicator, labels[indicator], lang, fields, before, has_pilot,
                                         positions, links, pilot_text) for indicator in indicators]
    downloads = _downloads(root, study, lang)
    other = (root / "en" / INDEX_HTML, f"en/{INDEX_HTML}", "en") if lang == "zh" else \
        (root.parent / INDEX_HTML, f"../{INDEX_HTML}", "zh")
    nav_links = [Link(page_text("nav.other_language", lang), other[1], other[2])] if other[0].is_file() else []
    marks = " ".join([text("marks.suppressed", lang, mark=formatting.SUPPRESSED),
                      text("marks.caution", lang, mark=formatting.CAUTION)])
    title = page_text("index.title", lang, **fields)
    body = _template().render(
        t=t, title=title, intro=page_text("index.intro", lang, **fields),
        overview_caption=page_text("index.overview_caption", lang, **fields), has_pilot=has_pilot,
        indicators=indicator_blocks, districts=district_rows, city=city, notes=marks, forest=forest,
        downloads=downloads, value_heading=page_text("index.columns.value", lang, **fields),
        position_note=t["positions"].get(position_reason, "") if position_reason else "")
    page = html_page(lang=lang, title=title, body=number_items(body, lang), nav=navigation(nav_links, lang),
                     head=INDEX_CSS, font_base=font_base, script=SORT_SCRIPT)
    return write_text(root / INDEX_HTML, page)


def _display_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with its shown texts and sort keys (formatted once, for every row)."""
    change = table[["change", "change_ci_low", "change_ci_high"]].set_axis(["estimate", "ci_low", "ci_high"], axis=1)
    suppressed = table["flag"].astype(str).eq("suppress") | table["estimate"].isna()
    return table.assign(value_text=formatting.percent_with_ci(table).to_numpy(),
                        value_sort=np.where(suppressed, "", table["estimate"].map(lambda v: f"{v:.6g}")),
                        n_text=formatting.number(table["n"]).where(table["n"].notna(), "").to_numpy(),
                        respondents_text=formatting.number(table["respondents"]).where(table["respondents"].notna(),
                                                                                       "").to_numpy(),
                        respondents_sort=table["respondents"].map(lambda v: "" if pd.isna(v) else f"{v:.6g}"),
                        change_text=formatting.points_with_ci(change).to_numpy())


def _joined(items: list[str], lang: str) -> str:
    return text("list_separator", lang).join(items)


def _shown_any(table: pd.DataFrame, indicator: str) -> bool:
    rows = table[(table["indicator"] == indicator) & (table["district"] != CITY)]
    return bool((rows["estimate"].notna() & (rows["flag"].astype(str) != "suppress")).any())


def _indicator_block(table, indicator, label, lang, fields, before, has_pilot, positions, links, pilot_text) -> dict:
    rows = table[table["indicator"] == indicator]
    districts = rows[rows["district"] != CITY]
    city_rows = rows[rows["district"] == CITY]
    shown = districts["estimate"].where(districts["flag"].astype(str) != "suppress")
    bins, ranges = colour_bins(shown)
    tiles = []
    for row, number in zip(districts.to_dict("records"), bins, strict=True):
        r, c = positions.get(str(row["district"]), (1, 1))
        colour = SUPPRESSED_COLOUR if pd.isna(number) else TILE_COLOURS[int(number)]
        tiles.append({"name": row["name"], "html": links.get(str(row["district"]), ("",))[0], "row": r, "col": c,
                      "colour": colour, "dark": not pd.isna(number) and int(number) >= 3,
                      "value": row["value_text"].split(" (")[0]})
    ends = formatting.percent(pd.Series([value for pair in ranges for value in pair], dtype=float)).tolist()
    legend = [{"colour": TILE_COLOURS[i], "text": f"{ends[2 * i]}–{ends[2 * i + 1]}"} for i in range(len(ranges))]
    if shown.isna().any():
        legend.append({"colour": SUPPRESSED_COLOUR, "text": page_text("index.legend_suppressed", lang,
                                                                     mark=formatting.SUPPRESSED)})
    has_change = before is not None and rows["change"].notna().any()
    year = rows["target_year"].dropna().iloc[0] if rows["target_year"].notna().any() else None
    target = float(rows["target"].dropna().iloc[0]) if year is not None else None
    words = page_lookup("index.change_words", lang)
    standings = page_lookup("index.target_side", lang)

    def describe(row) -> dict:
        suppressed_change = str(row["change_flag"]) == "suppress"
        return {"name": row["name"], "html": links.get(str(row["district"]), ("",))[0],
                "value": row["value_text"], "value_sort": row["value_sort"],
                "n": row["n_text"], "n_sort": _sort_value(row["n"]),
                "change": formatting.SUPPRESSED if suppressed_change else row["change_text"],
                "change_sort": "" if suppressed_change else _sort_value(row["change"]),
                "change_word": words.get(row["change_direction"], "") if not suppressed_change else "",
                "target": standings.get(row["target_side"], ""),
                "target_sort": {"below": "0", "overlaps": "1", "above": "2"}.get(row["target_side"], ""),
                "pilot": pilot_text(str(row["district"]))[0], "pilot_sort": pilot_text(str(row["district"]))[1]}

    method_fields = {**fields, "indicator": label}
    return {
        "id": indicator, "label": label, "tiles": tiles, "legend": legend,
        "columns": max(c for _, c in positions.values()) if positions else 1,
        "rows": [describe(row) for row in districts.to_dict("records")],
        "city": {**describe(city_rows.to_dict("records")[0]), "name": fields["city"]} if len(city_rows) else
        {"name": fields["city"], "value": formatting.MISSING, "n": "", "change": "", "target": ""},
        "has_change": bool(has_change), "has_target": year is not None,
        "change_heading": page_text("index.columns.change", lang, before=before) if has_change else "",
        "target_heading": page_text("index.columns.target", lang, year=year, value=f"{target * 100:.0f}")
        if year is not None else "",
        "map_caption": page_text("index.map_caption", lang, **method_fields),
        "table_caption": page_text("index.indicator_caption", lang, **method_fields)}


def _downloads(root: Path, study, lang: str) -> list[dict]:
    """The tables behind the page: overview/tables/*.csv|xlsx, and the estimation step's CSV tables."""
    t = page_lookup("index.downloads", lang)
    items = []
    for name in ("key_indicators", "district_comparison"):
        files = [(suffix.upper(), f"overview/tables/{name}.{suffix}") for suffix in ("csv", "xlsx")
                 if (root / "overview" / "tables" / f"{name}.{suffix}").is_file()]
        if files:
            items.append({"text": t[name], "links": [{"text": k, "href": h} for k, h in files]})
    tables = study.paths.tables
    for name in ("prevalence", "prevalence_subgroups", "prevalence_change", "pilot_effects"):
        path = tables / f"{name}.csv"
        if path.is_file():
            href = Path(_relative(path, root)).as_posix()
            items.append({"text": t[name], "links": [{"text": "CSV", "href": href}]})
    return items


def _relative(path: Path, root: Path) -> str:
    import os

    return os.path.relpath(path, root)
