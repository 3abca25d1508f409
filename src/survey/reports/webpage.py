"""An executed report notebook as one self-contained HTML page: sanitised, numbered, printable, with its font.

:func:`notebook_to_html` reads the notebook's outputs (the report's sections, shown as HTML by
:func:`survey.reports.section.show`; code, prompts and the notebook's own Markdown notes are left
out) and builds the page:

* **sanitised** (:func:`sanitise`): every output passes one allowlist of tags and attributes
  (bleach) before it becomes part of the page. Anything else is escaped, so it shows as typed
  and never runs: a district called ``<script>…`` or ``<img onerror=…>`` is text. Links may only
  be relative or http(s); images only embedded PNG or SVG.
* **numbered**: figures and tables get 图1/表1 (Figure 1./Table 1.) in page order.
* **navigation**: a link back to the index, to the other language's page (when it exists) and to
  the PDF; hidden in print.
* **printable**: an A4 stylesheet (:data:`PRINT_CSS`) with page numbers, tables that wrap rather
  than overflow, no scrollbars, sections with tables or figures on a new page, and no file path
  or date in the margins; ``report.pdf`` is printed from this page (:mod:`survey.reports.browser`).
* **its own font**: the characters the page uses, as a subset of Noto Sans SC embedded as a web
  font (:func:`survey.reports.fonts.font_face_css`), so it renders without any system CJK font.

The page fetches nothing: its CSS, font and images are inside it.

Example
-------
>>> html = notebook_to_html("reports/demo/linjiang/report.ipynb", lang="zh", title="临江区…")  # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from survey.reports.pagetext import page_text
from survey.reports.section import NUMBER_CLASS, prose_html
from survey.reports.text import HTML_LANGUAGE, check_language

#: Tags a report's outputs may use; anything else is escaped (shown as text).
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre",
    "s", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul"})
#: Attributes allowed on every tag, and per tag.
COMMON_ATTRIBUTES = ("class", "id", "lang", "title", "dir")
TAG_ATTRIBUTES = {"a": ("href", "hreflang"), "img": ("src", "alt", "width", "height"), "td": ("colspan", "rowspan"),
                  "th": ("colspan", "rowspan", "scope"), "ol": ("start",), "details": ("open",), "col": ("span",)}
IMAGE_SOURCES = ("data:image/png;base64,", "data:image/svg+xml;base64,")
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in COMMON_ATTRIBUTES:
        return True
    if name not in TAG_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "img" and name == "src":
        return value.startswith(IMAGE_SOURCES)
    if tag == "a" and name == "href":
        scheme = _SCHEME.match(value)
        return scheme is None or scheme.group(1).lower() in ("http", "https", "mailto")
    return True


@cache
def _cleaner():
    from bleach.sanitizer import Cleaner

    return Cleaner(tags=ALLOWED_TAGS, attributes=_allowed_attribute, protocols={"http", "https", "mailto", "data"},
                   strip=False, strip_comments=True)


def warm_up() -> None:
    """Load what the first page would otherwise wait for: the sanitiser, the font subsetter, the font's map."""
    from fontTools import subset  # noqa: F401 (imported for its load time)

    from survey.reports.fonts import _covered, cjk_font_path

    _cleaner()
    _covered(cjk_font_path())


_EMBEDDED = re.compile(r'src="(data:image/(?:png|svg\+xml);base64,)([A-Za-z0-9+/=]{64,})"')


def sanitise(fragment: str) -> str:
    """``fragment`` with only allowlisted tags and attributes left as markup; everything else escaped.

    Embedded images (base64 PNG or SVG, nothing but base64 characters) are set aside while the
    rest is cleaned and put back after: the same result, without parsing their bytes.

    >>> sanitise('<p onclick="x()">A<script>alert(1)</script></p>')
    '<p>A&lt;script&gt;alert(1)&lt;/script&gt;</p>'
    """
    images: list[str] = []

    def set_aside(match: re.Match) -> str:
        images.append(match.group(2))
        return f'src="{match.group(1)}{len(images) - 1}"'

    cleaned = _cleaner().clean(_EMBEDDED.sub(set_aside, fragment))
    if not images:
        return cleaned
    return re.sub(r'src="(data:image/(?:png|svg\+xml);base64,)(\d+)"',
                  lambda m: f'src="{m.group(1)}{images[int(m.group(2))]}"' if int(m.group(2)) < len(images)
                  else m.group(0), cleaned)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_html(output: dict) -> str:
    """One notebook output as an HTML fragment (not yet sanitised); empty for outputs a reader never sees."""
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="survey-stream">{html.escape(_text(output.get("text", "")))}</pre>'
    if kind == "error":
        message = f'{output.get("ename", "")}: {output.get("evalue", "")}'
        return f'<pre class="survey-error">{html.escape(message)}</pre>'
    data = output.get("data", {})
    if "text/html" in data:
        return _text(data["text/html"])
    if "text/markdown" in data:
        return prose_html(_text(data["text/markdown"]))  # Markdown with its HTML escaped
    for mime in ("image/svg+xml", "image/png"):
        if mime in data:
            import base64

            raw = _text(data[mime])
            encoded = base64.b64encode(raw.encode()).decode() if mime == "image/svg+xml" else raw.replace("\n", "")
            alt = html.escape(str(output.get("metadata", {}).get("alt", "")))
            return f'<img src="data:{mime};base64,{encoded}" alt="{alt}">'
    if "text/plain" in data:
        return f"<pre>{html.escape(_text(data['text/plain']))}</pre>"
    return ""


def notebook_body(notebook: str | Path) -> str:
    """The sanitised HTML of every code cell's outputs of an executed notebook, in order."""
    book = json.loads(Path(notebook).read_text(encoding="utf-8"))
    parts = [output_html(output) for cell in book.get("cells", []) if cell.get("cell_type") == "code"
             for output in cell.get("outputs", [])]
    return sanitise("\n".join(p for p in parts if p))


def number_items(body: str, lang: str) -> str:
    """Fill the figure and table number marks (:data:`~survey.reports.section.NUMBER_CLASS`) in page order."""
    counts = {"figure": 0, "table": 0}

    def fill(match: re.Match) -> str:
        kind = match.group(1)
        counts[kind] += 1
        number = page_text(f"numbers.{kind}", lang, n=counts[kind])
        return f'<span class="{NUMBER_CLASS} {NUMBER_CLASS}-{kind}">{number}</span>'

    return re.sub(rf'<span class="{NUMBER_CLASS} {NUMBER_CLASS}-(figure|table)"></span>', fill, body)


@dataclass(frozen=True)
class Link:
    """A navigation link: its text, where it goes (relative), the target's language (or empty)."""

    text: str
    href: str
    lang: str = ""

    def to_html(self) -> str:
        language = f' lang="{HTML_LANGUAGE[self.lang]}" hreflang="{HTML_LANGUAGE[self.lang]}"' if self.lang else ""
        return f'<a href="{html.escape(self.href)}"{language}>{html.escape(self.text)}</a>'


def navigation(links: list[Link], lang: str) -> str:
    """The page's navigation bar (hidden in print)."""
    if not links:
        return ""
    items = " ".join(f"<li>{link.to_html()}</li>" for link in links)
    return f'<nav class="survey-nav" aria-label="{html.escape(page_text("nav.label", lang))}"><ul>{items}</ul></nav>'


#: The fonts of the pages: the embedded subset first, then what the system may have.
FONT_STACK = ('"Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
              "system-ui, sans-serif")

SCREEN_CSS = """
:root { color-scheme: light; }
body { font-family: %(fonts)s; color: #1f2328; background: #fff; line-height: 1.6; margin: 0 auto;
       max-width: 1040px; padding: 0 1.25em 3em; font-size: 16px; }
h1 { font-size: 1.7em; line-height: 1.3; margin: 0.6em 0 0.4em; }
h2 { font-size: 1.3em; margin: 1.8em 0 0.5em; padding-bottom: 0.2em; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
a { color: #0b5cad; }
.survey-nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.4em 1.4em; margin: 0; padding: 0.8em 0;
                 border-bottom: 1px solid #d0d7de; font-size: 0.92em; }
.survey-front { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; margin: 1em 0;
                padding: 0.8em 1em; background: #f6f8fa; border: 1px solid #d0d7de; font-size: 0.92em; }
.survey-front dt { font-weight: bold; }
.survey-front dd { margin: 0; }
.survey-table-wrap { margin: 1.2em 0; overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9em; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0 0 0.4em; }
th, td { border-bottom: 1px solid #d8dee4; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }
thead th { border-bottom: 2px solid #8c959f; vertical-align: bottom; }
th:first-child, td:first-child, th.text, td.text { text-align: left; }
.survey-table td { white-space: nowrap; }
.survey-notes { color: #57606a; margin: 0.4em 0 0; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%%; height: auto; display: block; }
figcaption { font-size: 0.92em; color: #333; margin-top: 0.3em; }
.survey-number { font-weight: bold; margin-right: 0.3em; }
pre { white-space: pre-wrap; }
"""

PRINT_CSS = """
@page { size: A4 portrait; margin: 16mm 14mm 18mm 14mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-family: %(fonts)s; font-size: 8.5pt;
                         color: #57606a; }
        @top-left { content: none; } @top-right { content: none; } @bottom-left { content: none; }
        @bottom-right { content: none; } }
@media print {
  html, body { background: #fff; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; line-height: 1.5; }
  .survey-nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h1 { font-size: 17pt; margin-top: 0; }
  h2 { font-size: 13pt; margin-top: 1.2em; }
  h1, h2, h3, caption { break-after: avoid; }
  .survey-section.survey-major { break-before: page; }
  .survey-section.survey-major > h2 { margin-top: 0; }
  figure { break-inside: avoid; }
  figure img { max-height: 235mm; width: auto; max-width: 100%%; }
  .survey-table-wrap { overflow: visible; }
  table { width: 100%%; font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; }
  th, td { padding: 0.2em 0.35em; }
  /* wrap at spaces (and between CJK characters in headers), never inside a number or a word */
  .survey-table td, .survey-table th { white-space: normal; overflow-wrap: break-word; }
  .survey-table td { word-break: keep-all; }
  .survey-notes, figcaption { font-size: 8.5pt; }
  .survey-front { break-inside: avoid; }
}
"""


def page_css() -> str:
    """The page's stylesheet: screen, then print (A4)."""
    values = {"fonts": FONT_STACK}
    return SCREEN_CSS % values + PRINT_CSS % values


def html_page(*, lang: str, title: str, body: str, nav: str = "", head: str = "", font_base: Path | None = None,
              embed_font: bool = True, script: str = "") -> str:
    """A complete page around ``body`` (already safe HTML): head, stylesheet, navigation, embedded font."""
    lang = check_language(lang)
    text = f"{html.escape(title)}\n{nav}\n{body}"
    font = ""
    if embed_font:
        from survey.reports.fonts import font_face_css

        font = font_face_css(_visible_text(text), font_base)
    script_tag = f"<script>\n{script}\n</script>\n" if script else ""
    return f"""<!DOCTYPE html>
<html lang="{HTML_LANGUAGE[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{html.escape(title)}</title>
<style>
{font}
{page_css()}
{head}
</style>
</head>
<body>
{nav}
<main>
{body}
</main>
{script_tag}</body>
</html>
"""


def _visible_text(markup: str) -> str:
    """The characters a page can show: its markup without tags and data URIs, entities decoded."""
    text = re.sub(r'data:[^"\')\s]+', " ", markup)
    text = re.sub(r"<[^>]*>", " ", text)
    return html.unescape(text)


def notebook_to_html(notebook: str | Path, *, lang: str, title: str, links: list[Link] | None = None,
                     font_base: Path | None = None, embed_font: bool = True) -> str:
    """The executed notebook at ``notebook`` as a self-contained, printable HTML page titled ``title``.

    ``links`` make the navigation bar (back to the index, the other language, the PDF);
    ``font_base`` is a :func:`~survey.reports.fonts.base_font` to subset the page's font from.
    """
    lang = check_language(lang)
    body = number_items(notebook_body(notebook), lang)
    return html_page(lang=lang, title=title, body=body, nav=navigation(links or [], lang), font_base=font_base,
                     embed_font=embed_font)
