"""Report wording in each language, read from ``labels_zh.yaml`` and ``labels_en.yaml``.

Every heading, sentence and column label of the reports lives in those files, so a
translator edits data, not code. Keys are dotted paths (``sections.sample.title``); values
are Python format strings filled with named values.

Example
-------
>>> text("sections.sample.title", "en")
'Sample and response'
>>> text("sections.sample.title", "zh")
'样本与应答'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.study.model import Text

import re
from functools import cache
from pathlib import Path

from survey.errors import ConfigError

LANGUAGES = ("zh", "en")
#: The study configuration's language keys (``label: {en: ..., zh-CN: ...}``).
STUDY_LANGUAGE_KEYS = {"zh": "zh-CN", "en": "en"}
#: The HTML ``lang`` attribute of each report language.
HTML_LANGUAGE = {"zh": "zh-CN", "en": "en"}
LABEL_DIR = Path(__file__).resolve().parent


def check_language(lang: str) -> str:
    """``lang`` if it is a report language (zh or en); a one-line error otherwise."""
    if lang not in LANGUAGES:
        raise ConfigError(f"lang: expected one of {', '.join(LANGUAGES)}, found {lang!r}")
    return lang


#: A space YAML's folded lines leave between two Chinese characters or punctuation marks (Chinese has none).
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])")


def _close_cjk_gaps(value):
    if isinstance(value, dict):
        return {k: _close_cjk_gaps(v) for k, v in value.items()}
    return _CJK_GAP.sub("", value) if isinstance(value, str) else value


@cache
def wording(kind: str, lang: str) -> dict:
    """One wording file parsed: ``<kind>_<lang>.yaml`` (``labels`` or ``pages``); a key given twice is an error."""
    from survey.study.yaml_loader import load_yaml_file

    parsed = load_yaml_file(LABEL_DIR / f"{kind}_{check_language(lang)}.yaml")
    return _close_cjk_gaps(parsed) if lang == "zh" else parsed


def labels(lang: str) -> dict:
    """All wording of one language (the parsed ``labels_<lang>.yaml``)."""
    return wording("labels", lang)


def lookup(key: str, lang: str, kind: str = "labels"):
    """The raw value at a dotted key (a string, list or mapping) of ``<kind>_<lang>.yaml``."""
    value = wording(kind, lang)
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ConfigError(f"{kind}_{lang}.yaml: expected the key {key!r}, found no {part!r}")
        value = value[part]
    return value


def fill(kind: str, key: str, lang: str, values: dict) -> str:
    """The text at ``key`` of ``<kind>_<lang>.yaml`` with its ``{name}`` fields filled from ``values``."""
    template = lookup(key, lang, kind)
    if not isinstance(template, str):
        raise ConfigError(f"{kind}_{lang}.yaml: {key}: expected text, found {type(template).__name__}")
    try:
        return template.format_map(values)
    except KeyError as missing:
        raise ConfigError(f"{kind}_{lang}.yaml: {key}: expected only known fields "
                          f"({', '.join(sorted(values)) or 'none'}), found {{{missing.args[0]}}}") from None


def text(key: str, lang: str, **values) -> str:
    """The wording at ``key`` in ``lang``, with ``{name}`` fields filled from ``values``."""
    return fill("labels", key, lang, values)


def label_of(group: str, code, lang: str) -> str:
    """A code's label from the mapping at ``group`` (e.g. ``issues``), or the code itself if unlisted."""
    mapping = lookup(group, lang)
    return str(mapping.get(str(code), code)) if isinstance(mapping, dict) else str(code)


def study_label(entry: Text | str | None, lang: str, default: str = "") -> str:
    """A label from the study configuration (a :class:`~survey.study.model.Text`) in ``lang``."""
    if entry is None:
        return default
    if isinstance(entry, str):
        return entry
    return str(entry.get(lang) or entry.en or default)
