"""District reports: one parameterised notebook run by papermill for every district.

* :class:`~survey.reports.content.DistrictReport` — what a report says, section by section
  (prose from ``labels_zh.yaml`` / ``labels_en.yaml``, tables and figures from the earlier
  steps' outputs); ``notebooks/district_report.ipynb`` only calls it.
* :func:`~survey.reports.runner.build_reports` — runs the shared steps once, then the notebook
  for each district in parallel worker processes (:mod:`survey.reports.worker`, each with one
  reused kernel, :mod:`survey.reports.engine`, and one Chromium), converts each to a
  self-contained HTML page and an A4 PDF, writes the city index page and returns a
  :class:`~survey.reports.runner.ReportRun`.
* :mod:`survey.reports.fonts` — the CJK font (Noto Sans SC from ``pylopdf-fonts-zh-cn``) for
  matplotlib and, through a fontconfig file, for headless Chromium.
* :mod:`survey.reports.figures` — the report figures; :mod:`survey.reports.layout` places their
  axes by measuring the labels, so each figure is drawn once per file it is saved as.
* :mod:`survey.reports.webpage` — an executed notebook as a sanitised, printable page with its own font.
* :mod:`survey.reports.index` — the index page: sortable comparison tables, tile maps, a forest plot.
* :mod:`survey.reports.browser` — headless Chromium: prints the pages to PDF, checks pages, screenshots.

Output layout (``reports/<study>/``): ``index.html`` (and ``overview/tables|figures``) and one
folder per district slug (``<slug>/report.html``, ``report.pdf``, ``report.ipynb``,
``figures/*.svg``, and ``*.png`` when ``reports.figure_files`` asks, ``tables/*.csv|xlsx``,
``manifest.json``) for Chinese; the same under
``en/`` for English.
"""

from __future__ import annotations

__all__ = ["DistrictReport", "ReportRun", "build_reports"]


def __getattr__(name: str):
    if name == "DistrictReport":
        from survey.reports.content import DistrictReport

        return DistrictReport
    if name in ("ReportRun", "build_reports"):
        from survey.reports import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'survey.reports' has no attribute {name!r}")
