"""Publication marks that say which rule fired: not applicable, suppressed, review, complement.

The estimation step flags every estimate (:mod:`survey.estimation.publication`) with ``flag``
(present, footnote, review, suppress) and ``flag_reason`` (the rule and its numbers, e.g.
``effective n 12.4 < 30`` or ``CI width 0.031 <= 0.05; df 5 < 8: statistical review``). A report
cell shows the mark of each rule that fired, and the table's note explains exactly the marks
that occur in it, with the thresholds read from the reasons:

===========  ==================================================================================
mark         when
===========  ==================================================================================
``—``        not applicable: nobody in the group belongs to the indicator's population (n = 0),
             e.g. men for perinatal depression; not counted as suppressed
``‡``        suppressed (effective n, CI width, relative width, n, RSE or CV; the note lists which)
``†``        published with a footnote: the complement's relative CI width is wide (NCHS), or
             the rule set's own caution (DHS 25-49 cases, Statistics Canada CV band)
``§``        statistical review: fewer than 8 degrees of freedom
``¶``        statistical review: the estimate is 0 or 1
``‖``        statistical review: standard error 0 (every PSU of the strata taken, one-stage design)
``◊``        statistical review for a reason none of the above names
===========  ==================================================================================

Example
-------
>>> import pandas as pd
>>> t = pd.DataFrame({"flag": ["review", "suppress", "suppress"], "n": [40, 12, 0],
...                   "flag_reason": ["CI width 0.04 <= 0.05; df 5 < 8: statistical review",
...                                   "effective n 11.0 < 30", "no estimate or Korn-Graubard interval"]})
>>> cell_marks(t).tolist()
['§', '‡', '—']
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

NOT_APPLICABLE = "—"
SUPPRESSED = "‡"
#: Mark -> the kinds of reason it stands for, in the order marks are written after a value.
SYMBOLS = {"footnote": "†", "review_df": "§", "review_edge": "¶", "review_se": "‖", "review_other": "◊"}
#: Patterns of ``flag_reason`` parts: kind -> regular expression (a group captures the threshold).
SUPPRESS_REASONS = {
    "effective_n": r"effective n [\d.]+ < ([\d.]+)",
    "wide_ci": r"^CI width [\d.]+ >= ([\d.]+)",
    "relative_width": r"^relative CI width [\d.]+% > ([\d.]+%)",
    "small_n": r"^n \d+ < (?:minimum )?(\d+)",
    "rse": r"^RSE [\w.]+% >= ([\d.]+%)",
    "cv": r"^CV [\w.]+% > ([\d.]+%)$",
    "no_interval": r"^no estimate",
}
FOOTNOTE_REASONS = {
    "complement": r"complement relative CI width [\d.]+% > ([\d.]+%)",
    "parentheses": r"^n \d+ in (\d+-\d+): in parentheses",
    "cv_caution": r"^CV [\d.]+% > ([\d.]+%): use with caution",
}
REVIEW_REASONS = {
    "review_df": r"df [\d.]+ < ([\d.]+): statistical review",
    "review_edge": r"p = [01]: statistical review",
    "review_se": r"SE 0:",
}


@lru_cache(maxsize=1024)
def _review_kinds(reason: str) -> frozenset:
    """The review rules a ``flag_reason`` names (a reason string occurs many times: parsed once)."""
    return frozenset(kind for kind, pattern in REVIEW_REASONS.items() if re.search(pattern, reason))


def _parts(reasons: pd.Series) -> pd.Series:
    return reasons.fillna("").astype(str).str.split("; ")


def not_applicable(table: pd.DataFrame) -> pd.Series:
    """Cells with nobody in the indicator's population (n = 0): no estimate exists, none is withheld."""
    if "n" not in table:
        return pd.Series(False, index=table.index)
    return pd.to_numeric(table["n"], errors="coerce").fillna(0).eq(0)


def mark_kinds(table: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per mark kind (``not_applicable``, ``suppressed``, ``footnote``, ``review_*``)."""
    flags = table["flag"].astype(str).to_numpy() if "flag" in table else np.full(len(table), "present")
    reasons = table["flag_reason"].fillna("").astype(str) if "flag_reason" in table else [""] * len(table)
    blank = not_applicable(table).to_numpy()
    suppressed = (flags == "suppress") & ~blank
    shown = ~blank & ~suppressed
    review = shown & (flags == "review")
    found = [_review_kinds(reason) for reason in reasons]
    kinds = {"not_applicable": blank, "suppressed": suppressed, "footnote": shown & (flags == "footnote")}
    for kind in REVIEW_REASONS:
        kinds[kind] = review & np.array([kind in named for named in found], dtype=bool)
    # a review flag whose reason names no known rule still gets a (general) review mark, never none
    kinds["review_other"] = review & ~np.logical_or.reduce([kinds[k] for k in REVIEW_REASONS])
    return pd.DataFrame(kinds, index=table.index)


def cell_marks(table: pd.DataFrame) -> pd.Series:
    """The marks of each row: ``—`` or ``‡`` alone, else the footnote and review marks ('' for none).

    Without ``flag_reason`` the rule is unknown: a footnote or review flag gets ``†`` (legend:
    ``marks.caution``, which says no more than that).
    """
    kinds = mark_kinds(table)
    text = pd.Series("", index=table.index, dtype=object)
    if "flag_reason" in table:
        for kind, symbol in SYMBOLS.items():
            text = text.where(~kinds[kind], text + symbol)
    else:
        flags = table.get("flag", pd.Series("present", index=table.index)).astype(str)
        text = text.where(~flags.isin(["footnote", "review"]), SYMBOLS["footnote"])
    text = text.where(~kinds["suppressed"], SUPPRESSED)
    return text.where(~kinds["not_applicable"], NOT_APPLICABLE)


def _thresholds(reasons: pd.Series, patterns: dict[str, str]) -> dict[str, list[str]]:
    """Kind -> the thresholds its reasons name (distinct, in order), for the kinds that occur."""
    found: dict[str, list[str]] = {}
    for parts in _parts(reasons):
        for part in parts:
            for kind, pattern in patterns.items():
                match = re.search(pattern, part.strip())
                if match:
                    value = match.group(1) if match.groups() else ""
                    found.setdefault(kind, [])
                    if value not in found[kind]:
                        found[kind].append(value)
    return found


def legend(table: pd.DataFrame, lang: str) -> list[str]:
    """The notes explaining every mark that occurs in ``table`` (and no other), in ``lang``.

    ``table`` holds the rows shown, with ``flag``, ``flag_reason`` and ``n``.
    """
    from survey.reports.text import lookup, text

    kinds = mark_kinds(table)
    reasons = table.get("flag_reason", pd.Series("", index=table.index))
    separator = lookup("list_separator", lang)
    notes = []
    if kinds["not_applicable"].any():
        notes.append(text("marks.not_applicable", lang, mark=NOT_APPLICABLE))
    if kinds["suppressed"].any():
        found = _thresholds(reasons[kinds["suppressed"]], SUPPRESS_REASONS)
        parts = [text(f"marks.why.{kind}", lang, value="/".join(values)) for kind, values in found.items()]
        notes.append(text("marks.suppressed_because", lang, mark=SUPPRESSED,
                          reasons=separator.join(parts) or text("marks.why.other", lang, value="")))
    if kinds["footnote"].any():
        found = _thresholds(reasons[kinds["footnote"]], FOOTNOTE_REASONS)
        parts = [text(f"marks.why.{kind}", lang, value="/".join(values)) for kind, values in found.items()]
        notes.append(text("marks.footnote", lang, mark=SYMBOLS["footnote"],
                          reasons=separator.join(parts) or text("marks.why.other", lang, value="")))
    if kinds["review_df"].any():
        value = "/".join(_thresholds(reasons[kinds["review_df"]], REVIEW_REASONS).get("review_df", []))
        notes.append(text("marks.review_df", lang, mark=SYMBOLS["review_df"], value=value))
    if kinds["review_edge"].any():
        notes.append(text("marks.review_edge", lang, mark=SYMBOLS["review_edge"]))
    if kinds["review_se"].any():
        notes.append(text("marks.review_se", lang, mark=SYMBOLS["review_se"]))
    if kinds["review_other"].any():
        notes.append(text("marks.review_other", lang, mark=SYMBOLS["review_other"]))
    return notes


def counts(table: pd.DataFrame) -> dict[str, int]:
    """How many cells are not applicable, suppressed, footnoted and flagged for review."""
    kinds = mark_kinds(table)
    review = kinds[[c for c in kinds.columns if c.startswith("review")]].any(axis=1)
    return {"not_applicable": int(kinds["not_applicable"].sum()), "suppressed": int(kinds["suppressed"].sum()),
            "footnote": int(kinds["footnote"].sum()), "review": int(review.sum()),
            "cells": int(len(table) - kinds["not_applicable"].sum())}


def with_marks(values: pd.Series, table: pd.DataFrame) -> pd.Series:
    """``values`` (formatted text) with each row's marks: replaced by ``—``/``‡``, else followed by them."""
    marks = cell_marks(table)
    replaced = marks.isin([NOT_APPLICABLE, SUPPRESSED])
    out = values.astype(object).where(replaced, values.astype(str) + marks)
    return out.where(~replaced, marks).astype(object)


def unmarked(table: pd.DataFrame) -> np.ndarray:
    """Rows whose estimate may be stated in prose: shown (not suppressed, not applicable)."""
    kinds = mark_kinds(table)
    return (~kinds["not_applicable"] & ~kinds["suppressed"]).to_numpy()
