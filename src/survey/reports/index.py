"""The city's index page: every district's key indicators in a table and a forest plot, with links.

``write_index`` writes ``index.html`` in the language's report folder (``reports/<study>/``
for Chinese, ``reports/<study>/en/`` for English). The page is self-contained (the forest
plot is embedded as a PNG data URI) and links each district's page by a relative path
(``<slug>/report.html``); districts without a successful report are listed without a link.
The plot and the table are also saved under ``overview/`` (``figures/forest.png|svg``,
``tables/key_indicators.csv|xlsx``).

Example
-------
>>> write_index(data, lang="zh", root=Path("reports/demo"))     # doctest: +SKIP
PosixPath('reports/demo/index.html')
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

from survey.outputs import write_text
from survey.reports import figures, formatting
from survey.reports.inputs import CITY, ReportData
from survey.reports.manifest import REPORT_HTML, read_manifest
from survey.reports.section import ReportFigure, ReportTable, Section
from survey.reports.text import HTML_LANGUAGE, label_of, study_label, text
from survey.study.paths import INDEX_HTML, slug_of

STYLE = """
body { font-family: "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
       system-ui, sans-serif; max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
table { border-collapse: collapse; font-size: 0.92em; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; white-space: nowrap; }
td { white-space: nowrap; }
tr.city td { font-weight: bold; background: #f4f4f4; }
img { max-width: 100%; }
.notes { color: #555; font-size: 0.88em; }
"""


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


def write_index(data: ReportData, *, lang: str, root: Path, wave: int | None = None) -> Path:
    """Write ``root/index.html`` (and ``root/overview/``); return the page's path."""
    study = data.study
    wave = wave or int(max(study.waves or data.prevalence["wave"]))
    table = overview_table(data, lang, wave)
    labels = {i.id: study_label(i.label, lang, i.id) for i in study.indicators}
    indicators = list(dict.fromkeys(table["indicator"]))
    city_name = study_label(study.config.city, lang, default=text("city", lang))
    fields = {"city": city_name, "wave": wave, "method": label_of("methods", data.method, lang),
              "study_title": study_label(study.config.title, lang, default=study.id)}

    fig = figures.forest_by_district(table, panel_titles={i: labels[i] for i in indicators}, city_code=CITY,
                                     xlabel=text("axes.percent_ci", lang))
    section = Section("overview", "", tables=[ReportTable("key_indicators", "", table, table)],
                      figures=[ReportFigure("forest", fig)])
    section.save(root / "overview")
    png = base64.b64encode(section.figures[0].png.read_bytes()).decode()

    cells = table.assign(cell=formatting.percent_with_ci(table).to_numpy())
    wide = cells.pivot(index="district", columns="indicator", values="cell")
    codes = [*study.districts()["code"], CITY]
    header = "".join(f"<th>{html.escape(labels[i])}</th>" for i in indicators)
    body = []
    for code in codes:
        if code == CITY:
            name_cell = html.escape(city_name)
        else:
            name = html.escape(str(table.loc[table["district"] == code, "name"].iloc[0])) \
                if (table["district"] == code).any() else html.escape(code)
            folder = root / slug_of(code)
            record = read_manifest(folder)
            if record.get("status") == "ok" and (folder / REPORT_HTML).is_file():
                name_cell = f'<a href="{slug_of(code)}/{REPORT_HTML}">{name}</a>'
            elif record.get("status") == "failed":
                name_cell = f"{name} {html.escape(text('index.failed', lang))}"
            else:
                name_cell = f"{name} {html.escape(text('index.missing', lang))}"
        values = "".join(f"<td>{html.escape(str(wide.loc[code, i]) if code in wide.index else formatting.MISSING)}</td>"
                         for i in indicators)
        css = ' class="city"' if code == CITY else ""
        body.append(f"<tr{css}><td>{name_cell}</td>{values}</tr>")

    other = (root / "en" / INDEX_HTML, f"en/{INDEX_HTML}") if lang == "zh" else \
        (root.parent / INDEX_HTML, f"../{INDEX_HTML}")
    other_link = f'<p><a href="{other[1]}">{html.escape(text("index.other_language", lang))}</a></p>' \
        if other[0].is_file() else ""
    marks = " ".join([text("marks.suppressed", lang, mark=formatting.SUPPRESSED),
                      text("marks.caution", lang, mark=formatting.CAUTION)])
    title = text("index.title", lang, **fields)
    page = f"""<!DOCTYPE html>
<html lang="{HTML_LANGUAGE[lang]}">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
{other_link}
<p>{html.escape(text("index.intro", lang, **fields))}</p>
<h2>{html.escape(text("index.table_caption", lang, **fields))}</h2>
<table>
<thead><tr><th>{html.escape(text("index.district", lang))}</th>{header}</tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
<p class="notes">{html.escape(marks)} {html.escape(text("index.notes", lang))}</p>
<h2>{html.escape(text("index.forest_caption", lang, **fields))}</h2>
<img alt="{html.escape(text("index.forest_caption", lang, **fields))}" src="data:image/png;base64,{png}">
</main>
</body>
</html>
"""
    return write_text(root / INDEX_HTML, page)

