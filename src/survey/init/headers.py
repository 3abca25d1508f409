"""Export headers taken apart: question number, question text, matrix sub-question.

Online platforms write a question's header as ``12、在过去两周里，…(对做事缺乏兴趣或乐趣)``: the
question number, the question text and, for a matrix question, the sub-question in brackets.
Older 问卷星 exports write matrix columns as ``第12题(…)``. Field teams write short codes
(``PHQ9_1``, ``phq91``, ``PHQ-9第1题``). :func:`parse_header` splits the first two kinds;
:func:`similarity` compares a header's text with an item description.

Example
-------
>>> h = parse_header("12、在过去两周里，…(对做事缺乏兴趣或乐趣)")
>>> h.number, h.stem, h.sub
(12, '在过去两周里，…', '对做事缺乏兴趣或乐趣')
>>> round(similarity("对做事缺乏兴趣或乐趣", "对日常活动缺乏兴趣或乐趣"), 2)
0.61
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_NUMBERED = re.compile(r"^\s*(?:Q|q)?(\d{1,3})\s*[、.．:：]\s*(.*)$", re.S)
_MATRIX_OLD = re.compile(r"^\s*第\s*(\d{1,3})\s*题\s*(.*)$", re.S)
_SUB = re.compile(r"^(.*?)[(（]([^()（）]*)[)）]\s*$", re.S)
# characters that carry no meaning for matching a question to an item description
_FILLER = set("您你我的了是在有或者和与及、，。；：？！…()（）“”\"' ,.;:?!-—_/·得地很都也还又被把就")
_FILLER_WORDS = ("过去两周里", "过去两周", "最近两周", "两周内", "以下", "情况", "问题", "程度", "是否",
                 "觉得", "感到", "感觉")


@dataclass(frozen=True)
class Header:
    text: str            # the header as exported
    number: int | None   # the question number, when the header carries one
    stem: str            # the question text without the number (and without the sub-question)
    sub: str | None      # a matrix sub-question in brackets

    @property
    def question(self) -> str:
        """The words that describe this column: the sub-question of a matrix, else the question text."""
        return self.sub if self.sub else self.stem


def parse_header(text: str) -> Header:
    """Split a header into its number, question text and bracketed sub-question."""
    raw = str(text)
    number = None
    body = raw
    for pattern in (_NUMBERED, _MATRIX_OLD):
        match = pattern.match(raw)
        if match:
            number, body = int(match.group(1)), match.group(2)
            break
    sub = None
    match = _SUB.match(body)
    if match and match.group(2).strip() and number is not None:
        body, sub = match.group(1), match.group(2).strip()
    return Header(text=raw, number=number, stem=body.strip(), sub=sub)


def compact(text: str) -> str:
    """Letters and digits only, lower case, full-width folded: ``PHQ-9_1`` -> ``phq91``."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _content(text: str) -> str:
    folded = unicodedata.normalize("NFKC", str(text))
    for word in _FILLER_WORDS:
        folded = folded.replace(word, "")
    return "".join(ch for ch in folded if ch not in _FILLER and not ch.isspace())


def _dice(a: set, b: set) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """0-1 overlap of two Chinese phrases: the mean of the Dice coefficients of their characters and
    of their character pairs, after dropping function words and punctuation."""
    x, y = _content(a), _content(b)
    pairs = lambda s: {s[i:i + 2] for i in range(len(s) - 1)}  # noqa: E731
    return 0.5 * _dice(set(x), set(y)) + 0.5 * _dice(pairs(x), pairs(y))
