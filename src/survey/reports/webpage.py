"""An executed report notebook as one self-contained HTML page, without code.

nbconvert's Python API (about 0.02 s a notebook, against seconds for a ``jupyter nbconvert``
process) with JupyterLab's template, minus everything it would fetch from the internet
(require.js, MathJax, Mermaid): the page holds its CSS and its images (PNG as data URIs), and
opens offline with no console errors. Code cells, prompts and the notebook's own Markdown
cells (notes for whoever edits the template) are left out; the report's prose comes from the
package as cell outputs.

Example
-------
>>> html = notebook_to_html("reports/demo/linjiang/report.ipynb", lang="zh", title="临江区…")  # doctest: +SKIP
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from survey.reports.text import HTML_LANGUAGE, check_language

TEMPLATE_NAME = "survey_report.html.j2"
#: JupyterLab's page template without scripts from CDNs, with a CJK-capable font stack.
TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<link rel="icon" href="data:,">
<style type="text/css">
  :root { --jp-content-font-family: "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
          "Microsoft YaHei", system-ui, sans-serif; --jp-ui-font-family: var(--jp-content-font-family); }
  body { font-family: var(--jp-content-font-family); max-width: 1200px; margin: 0 auto; }
  .survey-table td, .survey-table th { padding: 0.25em 0.6em; }
  .survey-table td { white-space: nowrap; }
  .jp-OutputArea-output { overflow-x: auto; }
  .survey-table td:first-child, .survey-table th:first-child { text-align: left; }
  .survey-notes { color: #555; }
</style>
{%- endblock html_head_css -%}
"""


@cache
def _exporter(lang: str):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[DictLoader({TEMPLATE_NAME: TEMPLATE})],
        template_file=TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_markdown=True,
        embed_images=True,
        language_code=lang,  # nbconvert takes ISO 639-1 only; the page gets the full tag below
    )


def notebook_to_html(notebook: str | Path, *, lang: str, title: str) -> str:
    """The executed notebook at ``notebook`` as a self-contained HTML page titled ``title``."""
    import nbformat

    book = nbformat.read(str(notebook), as_version=4)
    book.metadata["title"] = title
    body, _ = _exporter(check_language(lang)).from_notebook_node(book)
    return body.replace(f'<html lang="{lang}">', f'<html lang="{HTML_LANGUAGE[lang]}">', 1)
