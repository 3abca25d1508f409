"""The wording of the pages around the reports: navigation, figure and table numbers, the index.

What a report *says* is in ``labels_zh.yaml`` / ``labels_en.yaml`` (:mod:`survey.reports.text`);
what the page *around* it says (links back and to the other language, 图1/Figure 1, the index
page's headings, columns and notes) is in ``pages_zh.yaml`` / ``pages_en.yaml``, read here the
same way: dotted keys, values are Python format strings filled with named values.

Example
-------
>>> page_text("nav.back", "en")
'All district reports'
>>> page_text("numbers.figure", "zh", n=2)
'图2'
"""

from __future__ import annotations

from survey.reports.text import fill, lookup, wording


def page_labels(lang: str) -> dict:
    """All page wording of one language (the parsed ``pages_<lang>.yaml``)."""
    return wording("pages", lang)


def page_lookup(key: str, lang: str):
    """The raw value at a dotted key (text or a mapping)."""
    return lookup(key, lang, "pages")


def page_text(key: str, lang: str, **values) -> str:
    """The page wording at ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    return fill("pages", key, lang, values)
