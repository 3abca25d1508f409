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

from functools import cache

import yaml

from survey.errors import ConfigError
from survey.reports.text import LABEL_DIR, check_language


@cache
def page_labels(lang: str) -> dict:
    """All page wording of one language (the parsed ``pages_<lang>.yaml``)."""
    path = LABEL_DIR / f"pages_{check_language(lang)}.yaml"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def page_lookup(key: str, lang: str):
    """The raw value at a dotted key (text or a mapping)."""
    value = page_labels(lang)
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"pages_{lang}.yaml: expected the key {key!r}, found no {part!r}")
        value = value[part]
    return value


def page_text(key: str, lang: str, **values) -> str:
    """The page wording at ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    template = page_lookup(key, lang)
    if not isinstance(template, str):
        raise ConfigError(f"pages_{lang}.yaml: {key}: expected text, found {type(template).__name__}")
    try:
        return template.format_map(values)
    except KeyError as missing:
        raise ConfigError(f"pages_{lang}.yaml: {key}: expected only known fields "
                          f"({', '.join(sorted(values)) or 'none'}), found {{{missing.args[0]}}}") from None
