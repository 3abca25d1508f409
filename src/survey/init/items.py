"""Which columns of an export are which instrument's items, and how their answers are coded.

Three ways to recognise an item column, tried in this order:

1. *item ids*: the header is the item id without punctuation (``PHQ9_1``, ``phq91``, ``NMHL_VA1``);
2. *numbered headers*: the instrument's abbreviation and the item's number (``PHQ-9第3题``,
   ``GAD7-2``), for instruments whose item ids are numbered 1..k;
3. *question text*: a run of k consecutive columns whose question texts (the sub-question of a
   matrix) resemble the instrument's Chinese item descriptions (``about_zh``) in order, item 1
   first. The mean similarity must reach :data:`MIN_SIMILARITY`.

Every candidate must also fit the instrument's answers: numeric codes within its codes (the
instrument's own, ``code_base: 0``) or within 1..n (options numbered from 1, ``code_base: 1``),
or text answers among its labels. Where both numberings fit equally, the code base is left
undecided for the user.

Example
-------
>>> from survey.init.profile import profile_column
>>> import pandas as pd
>>> cols = [profile_column(f"PHQ9_{i}", i, pd.Series(["0", "3", "1"])) for i in range(1, 10)]
>>> [m.method for m in match_instruments(cols, ["phq9", "gad7"])]
['item ids']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from survey.init.headers import compact, similarity
from survey.init.profile import ColumnProfile
from survey.instruments import Instrument, load_instrument, normalise_label

MIN_SIMILARITY = 0.2
MAX_OUTSIDE = 0.02   # share of answered cells allowed outside the codes (intake reports them)


@dataclass
class ItemMatch:
    instrument: Instrument
    headers: dict[str, str]              # item id -> header, in the instrument's item order
    method: str                          # 'item ids', 'numbered headers' or 'question text'
    answers: str                         # 'codes', 'labels' or 'value_labels'
    code_base: int | None = 0            # for codes: 0, 1, or None when the export cannot tell
    similarity: float | None = None      # mean similarity, for the question-text method
    unknown_labels: list[str] = field(default_factory=list)
    code_range: str = ""                 # e.g. '1-4', for the draft's comment

    @property
    def complete(self) -> bool:
        return len(self.headers) == len(self.instrument.item_ids)


def _tokens(instrument: Instrument) -> set[str]:
    names = {instrument.id}
    english = instrument.name.get("en", "")
    names |= set(re.findall(r"\(([^()]+)\)", english))
    first = english.split(" ")[0] if english else ""
    if any(ch.isdigit() for ch in first):
        names.add(first)
    return {compact(n) for n in names if compact(n)}


def _numbered_pattern(token: str) -> re.Pattern:
    spelled = r"[\s_\-.]?".join(re.escape(ch) for ch in token)
    return re.compile(rf"^{spelled}[\s_\-.]*(?:第|q|item|题)?\s*(\d{{1,3}})\s*题?$")


def _simple_ids(instrument: Instrument) -> bool:
    return all(item == f"{instrument.id}_{k}" for k, item in enumerate(instrument.item_ids, start=1))


def _by_name(columns: list[ColumnProfile], instrument: Instrument) -> tuple[dict[str, str], str] | None:
    ids = {compact(item): item for item in instrument.item_ids}
    found = {ids[compact(c.name)]: c.name for c in columns if compact(c.name) in ids}
    method = "item ids"
    if len(found) < len(ids) and _simple_ids(instrument):
        patterns = [_numbered_pattern(t) for t in _tokens(instrument)]
        numbered: dict[str, str] = {}
        for column in columns:
            for text in dict.fromkeys((column.name, column.header.text)):  # the name, then an SPSS label
                text = unicodedata.normalize("NFKC", text).casefold().strip()
                match = next((m for p in patterns if (m := p.match(text))), None)
                if match and 1 <= int(match.group(1)) <= len(ids):
                    numbered.setdefault(instrument.item_ids[int(match.group(1)) - 1], column.name)
                    break
        if len(numbered) > len(found):
            found, method = numbered, "numbered headers"
    if len(found) >= max(2, (len(ids) + 1) // 2):
        return {item: found[item] for item in instrument.item_ids if item in found}, method
    return None


def _fit(columns: list[ColumnProfile], instrument: Instrument, items: list[str]) -> dict | None:
    """How the columns' answers fit the items: answers kind, code base, unknown labels; None if they don't."""
    if all(c.value_labels for c in columns):
        texts = [list(c.value_labels.values()) for c in columns]
        return _label_fit(texts, instrument, items, "value_labels")
    if all(c.numeric for c in columns):
        if not all(c.counts for c in columns):
            return None
        total = sum(sum(c.counts.values()) for c in columns) or 1
        outside = [0, 0]
        for column, item in zip(columns, items, strict=True):
            own = set(instrument.codes(item))
            numbered = set(range(1, len(own) + 1))
            outside[0] += sum(n for v, n in column.counts.items() if v not in own)
            outside[1] += sum(n for v, n in column.counts.items() if v not in numbered)
        if min(outside) / total > MAX_OUTSIDE:
            return None
        base = 0 if outside[0] < outside[1] else 1 if outside[1] < outside[0] else None
        values = sorted({v for c in columns for v in c.counts})
        return {"answers": "codes", "code_base": base, "code_range": f"{values[0]}-{values[-1]}",
                "unknown_labels": []}
    if all(c.labels or c.n == 0 for c in columns):
        return _label_fit([list(c.labels) for c in columns], instrument, items, "labels")
    return None


def _label_fit(texts: list[list[str]], instrument: Instrument, items: list[str], kind: str) -> dict | None:
    unknown, known = set(), 0
    for values, item in zip(texts, items, strict=True):
        lookup = instrument.label_map(item)
        for value in values:
            if normalise_label(value) in lookup:
                known += 1
            else:
                unknown.add(value)
    if known == 0 or len(unknown) > known:
        return None
    return {"answers": kind, "code_base": None, "code_range": "", "unknown_labels": sorted(unknown)}


def _by_text(columns: list[ColumnProfile], instrument: Instrument) -> tuple[dict[str, str], float, dict] | None:
    if not all(item.about_zh for item in instrument.items):
        return None
    k = len(instrument.items)
    best = None
    for start in range(len(columns) - k + 1):
        window = columns[start:start + k]
        if window[-1].position - window[0].position != k - 1:
            continue  # not consecutive in the file
        score = sum(similarity(c.header.question, item.about_zh)
                    for c, item in zip(window, instrument.items, strict=True)) / k
        if score < MIN_SIMILARITY or (best is not None and score <= best[1]):
            continue
        fit = _fit(window, instrument, instrument.item_ids)
        if fit is not None:
            best = ({item: c.name for item, c in zip(instrument.item_ids, window, strict=True)}, score, fit)
    return best


def match_instruments(columns: list[ColumnProfile], instruments: list[str] | None = None,
                      search_dirs: tuple = ()) -> list[ItemMatch]:
    """Instrument matches over the profiled columns, each column used at most once, in file order."""
    from survey.instruments import available_instruments

    library = [load_instrument(i, search_dirs=search_dirs) for i in (instruments or available_instruments())]
    by_name = {c.name: c for c in columns}
    taken: set[str] = set()
    matches: list[ItemMatch] = []
    # named columns first: an exact item id or a numbered abbreviation leaves no doubt
    named = [(inst, found) for inst in library if (found := _by_name(columns, inst))]
    for inst, (headers, method) in sorted(named, key=lambda x: -len(x[1][0])):
        if taken & set(headers.values()):
            continue
        fit = _fit([by_name[h] for h in headers.values()], inst, list(headers))
        if fit is None:
            continue
        matches.append(ItemMatch(instrument=inst, headers=headers, method=method, **fit))
        taken |= set(headers.values())
    # then question texts: the best-supported instrument first, again on what is left
    while True:
        candidates: list[tuple[Instrument, dict[str, str], float, dict]] = []
        for inst in library:
            if any(m.instrument.id == inst.id for m in matches):
                continue
            text_match = _by_text([c for c in columns if c.name not in taken], inst)
            if text_match:
                candidates.append((inst, *text_match))
        if not candidates:
            break
        inst, headers, score, fit = max(candidates, key=lambda x: x[2] * len(x[1]))
        matches.append(ItemMatch(instrument=inst, headers=headers, method="question text", similarity=score, **fit))
        taken |= set(headers.values())
    position = {c.name: c.position for c in columns}
    return sorted(matches, key=lambda m: position[next(iter(m.headers.values()))])


def header_pattern(match: ItemMatch) -> str | None:
    """A pattern (``PHQ9_{n}``, ``nmhl{suffix}``) that reproduces every header of a complete match, or None."""
    from survey.errors import ConfigError
    from survey.study.item_patterns import expand_pattern

    if not match.complete:
        return None
    inst = match.instrument
    first_item, first_header = inst.item_ids[0], match.headers[inst.item_ids[0]]
    suffix = first_item[len(inst.id) + 1:] if first_item.startswith(inst.id + "_") else first_item
    escaped = first_header.replace("{", "{{").replace("}", "}}")
    candidates = []
    for needle, field_name in (("1", "n"), (suffix, "suffix"), (suffix.upper(), "SUFFIX"),
                               (first_item, "id"), (first_item.upper(), "ID")):
        start = escaped.find(needle)
        while needle and start >= 0:
            candidates.append(escaped[:start] + "{" + field_name + "}" + escaped[start + len(needle):])
            start = escaped.find(needle, start + 1)
    wanted = {header: item for item, header in match.headers.items()}
    for pattern in candidates:
        try:
            if expand_pattern(pattern, inst, where="") == wanted:
                return pattern
        except ConfigError:
            continue
    return None
