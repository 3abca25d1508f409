"""A report section: heading, prose, tables and figures, and how it is saved and shown.

Each section a :class:`~survey.reports.content.DistrictReport` builds is a :class:`Section`.
``section.save(folder)`` writes its tables as CSV and XLSX (``tables/<name>.csv|xlsx``, the tidy
numbers) and its figures as PNG and SVG (``figures/<name>.png|svg``); :func:`show` displays it in
a notebook: the heading and prose as Markdown, each figure as the saved PNG, each table as
HTML with its notes.

Example
-------
>>> show(report.key_indicators())       # doctest: +SKIP
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survey import outputs

#: Resolution of the PNG figures (the SVGs are vector graphics).
PNG_DPI = 150
#: Shown size of a figure on the page: 100 CSS pixels per inch of figure (the PNG has 150 dots).
DISPLAY_PIXELS_PER_INCH = 100


@dataclass
class ReportTable:
    """One table: ``display`` (formatted, labelled) for readers, ``data`` (tidy numbers) for files."""

    name: str
    caption: str
    display: pd.DataFrame = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    notes: str = ""

    def to_html(self) -> str:
        """The display table as an HTML table with its caption and notes (no index)."""
        body = self.display.to_html(index=False, border=0, classes="survey-table", na_rep="–", escape=True)
        caption = f"<p><strong>{html.escape(self.caption)}</strong></p>\n" if self.caption else ""
        notes = f'\n<p class="survey-notes"><small>{html.escape(self.notes)}</small></p>' if self.notes else ""
        return caption + body + notes


@dataclass
class ReportFigure:
    """One matplotlib figure, with its alt text and caption in the page's language; ``png``/``svg`` are set
    once it is saved."""

    name: str
    figure: object = field(repr=False)
    alt: str = ""
    caption: str = ""
    png: Path | None = None
    svg: Path | None = None


@dataclass
class Section:
    """Heading, Markdown prose, tables and figures of one part of a report."""

    key: str
    title: str
    prose: str = ""
    tables: list[ReportTable] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)
    level: int = 2

    def markdown(self) -> str:
        return f"{'#' * self.level} {self.title}\n\n{self.prose}".strip()

    def save(self, folder: str | Path | None) -> list[Path]:
        """Write tables (CSV, XLSX) and figures (PNG, SVG) under ``folder``; nothing if it is None."""
        if folder is None:
            return []
        folder = Path(folder)
        written = []
        for table in self.tables:  # each file is written under a temporary name, then renamed
            csv, xlsx = folder / "tables" / f"{table.name}.csv", folder / "tables" / f"{table.name}.xlsx"
            outputs.write_csv(csv, table.data, encoding="utf-8")
            outputs.write_excel(xlsx, table.data, sheet_name=table.name[:31], engine="xlsxwriter")
            written += [csv, xlsx]
        for item in self.figures:
            item.png, item.svg = folder / "figures" / f"{item.name}.png", folder / "figures" / f"{item.name}.svg"
            outputs.save_figure(item.png, item.figure, dpi=PNG_DPI, metadata={"Software": None})
            outputs.save_figure(item.svg, item.figure, metadata={"Date": None, "Creator": None})
            written += [item.png, item.svg]
        return written


def figure_png(item: ReportFigure) -> bytes:
    """The figure's PNG: the saved file if there is one, else rendered in memory."""
    if item.png is not None and item.png.is_file():
        return item.png.read_bytes()
    import io

    buffer = io.BytesIO()
    item.figure.savefig(buffer, format="png", dpi=PNG_DPI)
    return buffer.getvalue()


def show(section: Section) -> None:
    """Display a section in a notebook: Markdown heading and prose, figures, tables."""
    from IPython.display import HTML, Image, Markdown, display

    display(Markdown(section.markdown()))
    for item in section.figures:
        width = int(item.figure.get_figwidth() * DISPLAY_PIXELS_PER_INCH)
        display(Image(data=figure_png(item), format="png", width=width))
    for table in section.tables:
        display(HTML(table.to_html()))
