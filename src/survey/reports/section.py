"""A report section: heading, prose, tables and figures, and how it is saved and shown.

Each section a :class:`~survey.reports.content.DistrictReport` builds is a :class:`Section`.
``section.save(folder)`` writes its tables as CSV and XLSX (``tables/<name>.csv|xlsx``, the tidy
numbers) and its figures as SVG, and PNG when asked (``figures/<name>.svg|png``); :func:`show` displays it in
a notebook as one HTML block (:func:`section_html`): the heading, the prose, each figure with
its alt text and caption, each table with its caption and notes.

Text from the study and its data reaches the page as typed: the prose is Markdown rendered with
raw HTML escaped (:func:`prose_html`: a district called ``<b>`` shows as ``<b>``), table cells
and captions are escaped, and the page builder (:mod:`survey.reports.webpage`) sanitises the
whole block again against an allowlist, so nothing a study says can run in a reader's browser. Figure and table
numbers (图1, 表1) are filled in by the page builder, which knows the page's order and language.

Example
-------
>>> show(report.key_indicators())       # doctest: +SKIP
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from survey import outputs

#: The figure files a report writes unless the study asks for others (``reports.figure_files``).
FIGURE_FILES = ("svg",)
#: Resolution of the PNG figures (the SVGs are vector graphics).
PNG_DPI = 150
#: zlib level of the PNGs: 3 makes files within a few per cent of the default 6 in about half the time.
PNG_COMPRESSION = 3
#: Shown size of a figure on the page: 100 CSS pixels per inch of figure (the PNG has 150 dots).
DISPLAY_PIXELS_PER_INCH = 100
#: Where the page builder writes "图1" / "Table 1." (an empty span of this class, then the kind).
NUMBER_CLASS = "survey-number"


@dataclass
class ReportTable:
    """One table: ``display`` (formatted, labelled) for readers, ``data`` (tidy numbers) for files."""

    name: str
    caption: str
    display: pd.DataFrame = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    notes: str = ""

    def to_html(self) -> str:
        """The display table as an HTML table with its numbered caption and notes (no index).

        Every cell is escaped. Columns of numbers are right-aligned, columns of words left-aligned
        (class ``num`` or ``text``); missing cells show as a dash.
        """
        display = self.display
        cells = display.astype(object).where(display.notna(), "–").astype(str)
        kinds = ["num" if i and _numeric(cells[c]) else "text" for i, c in enumerate(cells.columns)]
        head = "".join(f'<th scope="col" class="{kind}">{html.escape(str(c))}</th>'
                       for c, kind in zip(cells.columns, kinds, strict=True))
        rows = "\n".join("<tr>" + "".join(f'<td class="{kind}">{html.escape(v)}</td>'
                                           for v, kind in zip(row, kinds, strict=True)) + "</tr>"
                          for row in cells.itertuples(index=False, name=None))
        caption = (f'\n<caption><span class="{NUMBER_CLASS} {NUMBER_CLASS}-table"></span> '
                   f"{html.escape(self.caption)}</caption>") if self.caption else ""
        notes = f'\n<p class="survey-notes"><small>{html.escape(self.notes)}</small></p>' if self.notes else ""
        return (f'<div class="survey-table-wrap" id="table-{html.escape(self.name)}">\n'
                f'<table class="survey-table">{caption}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n'
                f"</tbody>\n</table>{notes}\n</div>")


_NUMBER_START = re.compile(r"^[\s+\-−–—‡†<>≤≥~]*[0-9]")


def _numeric(column: pd.Series) -> bool:
    """A column of numbers (with signs, marks and dashes): most of its filled cells start with a digit."""
    filled = column[~column.isin(["", "–", "—", "‡", "†"])]
    return len(filled) > 0 and filled.str.match(_NUMBER_START).mean() >= 0.5


@dataclass
class ReportFigure:
    """One matplotlib figure, with its alt text and caption in the page's language.

    ``alt`` says what the figure shows for a reader who cannot see it; ``caption`` is printed
    under it (after its number). ``svg`` is the file once it is saved as SVG.
    """

    name: str
    figure: object = field(repr=False)
    alt: str = ""
    caption: str = ""
    svg: Path | None = None

    def to_html(self, fallback: str = "") -> str:
        """The figure as ``<figure>``: the SVG (vector, text drawn as paths) with alt text, and its caption.

        ``fallback`` is the alt text when the figure has neither alt text nor caption (the
        section's title, so it is in the page's language).
        """
        alt = self.alt or self.caption or fallback
        width = int(self.figure.get_figwidth() * DISPLAY_PIXELS_PER_INCH)
        source = base64.b64encode(figure_svg(self)).decode()
        caption = (f'\n<figcaption><span class="{NUMBER_CLASS} {NUMBER_CLASS}-figure"></span> '
                   f"{html.escape(self.caption)}</figcaption>")
        return (f'<figure class="survey-figure" id="figure-{html.escape(self.name)}">\n'
                f'<img src="data:image/svg+xml;base64,{source}" alt="{html.escape(alt)}" width="{width}">'
                f"{caption}\n</figure>")


@dataclass
class Section:
    """Heading, Markdown prose, tables and figures of one part of a report.

    ``front_matter`` (label, text) pairs are shown in a box under a level-1 heading: the
    report's date, data version and suggested citation on the first page.
    """

    key: str
    title: str
    prose: str = ""
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    level: int = 2
    front_matter: list[tuple[str, str]] = field(default_factory=list)

    def markdown(self) -> str:
        return f"{'#' * self.level} {self.title}\n\n{self.prose}".strip()

    def save(self, folder: str | Path | None, figure_files=FIGURE_FILES) -> list[Path]:
        """Write tables (CSV, XLSX) and figures (``figure_files``: svg, png) under ``folder``; nothing if it is None.

        Each figure is drawn once per format it is written in.
        """
        if folder is None:
            return []
        unknown = sorted(set(figure_files) - {"svg", "png"})
        if unknown:
            raise ValueError(f"figure files: expected svg or png, found {unknown}")
        folder = Path(folder)
        written = []
        for table in self.tables:  # each file is written under a temporary name, then renamed
            csv, xlsx = folder / "tables" / f"{table.name}.csv", folder / "tables" / f"{table.name}.xlsx"
            outputs.write_csv(csv, table.data, encoding="utf-8")
            outputs.write_excel(xlsx, table.data, sheet_name=table.name[:31], engine="xlsxwriter")
            written += [csv, xlsx]
        for item in self.figures:
            png, svg = folder / "figures" / f"{item.name}.png", folder / "figures" / f"{item.name}.svg"
            if "png" in figure_files:
                outputs.save_figure(png, item.figure, dpi=PNG_DPI, metadata={"Software": None},
                                    pil_kwargs={"compress_level": PNG_COMPRESSION})
                written.append(png)
            else:
                png.unlink(missing_ok=True)  # an earlier build's drawing would not match this report
            if "svg" in figure_files:
                item.svg = outputs.save_figure(svg, item.figure, metadata={"Date": None, "Creator": None})
                written.append(svg)
            else:
                svg.unlink(missing_ok=True)
        return written


def figure_svg(item: ReportFigure) -> bytes:
    """The figure's SVG: the saved file if there is one, else rendered in memory."""
    if item.svg is not None and item.svg.is_file():
        return item.svg.read_bytes()
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": f"{item.name}.svg"}):  # the ids a saved file would have
        item.figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


@cache
def _markdown():
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def prose_html(text: str) -> str:
    r"""A section's prose (Markdown) as HTML, with any HTML in it escaped: ``<b>`` shows as ``<b>``.

    The prose may use Markdown's paragraphs, ``- `` lists, ``**bold**``, links and tables; raw
    HTML is never markup (mistune with ``escape=True``), and the page builder sanitises the result
    again. Markdown punctuation inside a name from a study (``*``, ``_``, ``[``) can still format
    the text around it; it cannot add markup, links to other schemes, or scripts.

    >>> prose_html("A <b> & c")
    '<p>A &lt;b&gt; &amp; c</p>\n'
    """
    return str(_markdown()(text or ""))


def section_html(section: Section) -> str:
    """The section as one ``<section>`` block: heading, prose, front matter, figures, tables.

    A section with a table or figure is *major*: in print it starts on a new page.
    """
    level = min(max(int(section.level), 1), 6)
    major = " survey-major" if (section.tables or section.figures) and level > 1 else ""
    parts = [f'<section class="survey-section survey-level-{level}{major}" id="section-{html.escape(section.key)}">',
             f"<h{level}>{html.escape(section.title)}</h{level}>" if section.title else "",
             prose_html(section.prose)]
    if section.front_matter:
        items = "".join(f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>"
                        for label, value in section.front_matter)
        parts.append(f'<dl class="survey-front">{items}</dl>')
    parts += [item.to_html(fallback=section.title) for item in section.figures]
    parts += [table.to_html() for table in section.tables]
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def show(section: Section) -> None:
    """Display a section in a notebook as one HTML block (:func:`section_html`)."""
    from IPython.display import HTML, display

    display(HTML(section_html(section)))
