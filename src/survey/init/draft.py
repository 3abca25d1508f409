"""Draft a study configuration from raw exports: what each column is, and what is left to decide.

``draft_study(files, out)`` reads each export with intake's readers, profiles its columns
(:mod:`survey.init.profile`), matches instrument items (:mod:`survey.init.items`) and the other
columns (:mod:`survey.init.columns`), and returns a :class:`StudyDraft` whose ``text`` is the
``study.yaml`` to review (:mod:`survey.init.writer`). What the exports cannot tell (design
columns, weights' role, identifiers' treatment, the district table, waves) becomes a
``# TODO(<id>): ...`` line; :func:`survey.init.todos.fill_todos` replaces them from answers.

Example
-------
>>> draft = draft_study(["data/nanhu/raw/nanhu_2025_wjx_numeric.xlsx"], "data/nanhu/study.yaml")  # doctest: +SKIP
>>> draft.todo_ids[:3]                                                                         # doctest: +SKIP
['title', 'city', 'waves']
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError
from survey.init.columns import Recognised, cluster_hint, recognise
from survey.init.items import ItemMatch, header_pattern, match_instruments
from survey.init.profile import MISSING_MARKS, ColumnProfile, profile_table
from survey.init.yamltext import entry as _entry
from survey.instruments import normalise_label
from survey.intake.readers import read_table


@dataclass
class Column:
    """One header's line in the draft: mapped, left for a TODO, or not mapped (with why)."""

    header: str
    variable: str | None = None
    comment: str = ""
    todo: str | None = None          # the TODO id, when the user decides


@dataclass
class InputDraft:
    id: str
    file: str
    answers: str
    columns: list[Column]
    items: dict[str, str]                          # instrument -> header pattern
    matches: list[ItemMatch]
    code_base: int | None = None                   # None: omit; 1: write code_base: 1
    code_base_note: str = ""                       # the evidence for code_base: 1
    code_base_todo: str = ""                       # why the code base is left to the user
    missing_values: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    rows: int = 0


@dataclass
class StudyDraft:
    id: str
    out: Path
    inputs: list[InputDraft]
    variables: dict[str, dict]                     # name -> declaration
    variable_notes: dict[str, list[str]]
    variable_todos: dict[str, str]                 # name -> hint, when its levels need the user
    pii: dict[str, tuple[str, bool, str]]          # name -> (action, decided, header)
    instruments: list[ItemMatch]
    text: str = ""
    todo_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What the draft holds, for the terminal: counts and names, never cell values."""
        lines = [f"drafted {self.out} (study {self.id!r}): {len(self.todo_ids)} TODO line(s) to fill"]
        for spec in self.inputs:
            mapped = sum(1 for c in spec.columns if c.variable)
            lines.append(f"  {spec.file}: {spec.rows} rows, {len(spec.columns)} columns, {mapped} mapped, "
                         f"answers: {spec.answers}" + (", code_base: 1" if spec.code_base == 1 else ""))
            for match in spec.matches:
                how = match.method + (f", similarity {match.similarity:.2f}" if match.similarity else "")
                lines.append(f"    {match.instrument.id}: {len(match.headers)}/{len(match.instrument.item_ids)} "
                             f"items ({how})")
        if self.pii:
            lines.append("  personal identifiers: " + ", ".join(
                f"{name} ({action if decided else 'TODO'})" for name, (action, decided, _) in self.pii.items()))
        return "\n".join(lines)


@lru_cache(maxsize=1)
def _answer_labels() -> frozenset[str]:
    """Every answer label of the instrument library, normalised."""
    from survey.instruments import available_instruments, load_instrument

    labels: set[str] = set()
    for instrument_id in available_instruments():
        instrument = load_instrument(instrument_id)
        for item in instrument.item_ids:
            labels |= set(instrument.label_map(item))
    return frozenset(labels)


def input_id(path: Path) -> str:
    """An input id from a file name: lower-case letters, digits and _ (``wave2024_platform_export``)."""
    stem = re.sub(r"[^a-z0-9]+", "_", path.stem.lower()).strip("_")
    if not stem:
        return "input"
    return stem if stem[0].isalpha() else f"input_{stem}"


def _years(table: pd.DataFrame, recognised: list[Recognised]) -> tuple[int, ...]:
    for r in recognised:
        if r.variable == "submitted_at":
            times = pd.to_datetime(table[r.column.name].dropna().str.strip(), errors="coerce", format="mixed")
            return tuple(sorted(int(y) for y in times.dt.year.dropna().unique()))
    return ()


def _code_base(matches: list[ItemMatch]) -> tuple[int | None, str]:
    coded = [m for m in matches if m.answers == "codes"]
    bases = {m.code_base for m in coded}
    if not coded or bases == {0}:
        return None, ""
    if bases == {1}:
        return 1, ", ".join(f"{m.instrument.id} {m.code_range}" for m in coded)
    undecided = [m.instrument.id for m in coded if m.code_base is None]
    if undecided:
        return None, (f"the codes of {', '.join(undecided)} fit both the instrument's own codes and options "
                      "numbered from 1: write code_base: 1 if the export numbers the options 1..n")
    return None, ("some instruments use their own codes, others options numbered from 1: map the latter with "
                  "code_maps (see README)")


def _draft_input(path: Path, out_dir: Path, instruments: list[str] | None, used: set[str]) -> tuple[
        InputDraft, list[Recognised]]:
    table = read_table(path)
    profiles = profile_table(table)
    matches = match_instruments(profiles, instruments)
    item_of = {h: item for m in matches for item, h in m.headers.items()}
    match_of = {h: m for m in matches for h in m.headers.values()}
    recognised = [recognise(p) for p in profiles if p.name not in item_of]
    spec_id = input_id(path)
    while spec_id in used:
        spec_id += "_2"
    used.add(spec_id)
    columns: list[Column] = []
    seen_variables: set[str] = set()
    patterns = {m.instrument.id: p for m in matches if (p := header_pattern(m))}
    by_header = {r.column.name: r for r in recognised}
    for profile in profiles:
        if profile.name in item_of:
            match = match_of[profile.name]
            if match.instrument.id in patterns:
                continue
            first = next(iter(match.headers.values())) == profile.name
            how = match.method + (f", similarity {match.similarity:.2f}" if match.similarity else "")
            columns.append(Column(profile.name, item_of[profile.name],
                                  f"{match.instrument.id}: {how}" if first else ""))
            continue
        columns.append(_column_line(by_header[profile.name], spec_id, seen_variables, len(table.data)))
    code_base, why = _code_base(matches)
    kinds = {m.answers for m in matches} or {"codes"}
    answers = kinds.pop() if len(kinds) == 1 else "labels"
    marks = tuple(m for m in MISSING_MARKS if any(m in p.marks for p in profiles))
    draft = InputDraft(id=spec_id, file=os.path.relpath(path.resolve(), out_dir.resolve()), answers=answers,
                       columns=columns, items=patterns, matches=matches, code_base=code_base,
                       code_base_note=why if code_base == 1 else "", code_base_todo=why if code_base is None else "",
                       missing_values=marks, years=_years(table.data, recognised), rows=len(table.data))
    return draft, [r for r in recognised if r.kind in ("platform", "variable", "weight", "pii", "free_text")]


def _column_line(r: Recognised, input_id_: str, seen: set[str], rows: int) -> Column:
    column = r.column
    if r.kind == "skip":
        return Column(column.name, comment=f"not mapped: {r.notes[0]}")
    if r.kind in ("platform", "variable", "weight", "pii", "free_text"):
        name = r.variable or "column"
        while name in seen:
            name += "_2"
        seen.add(name)
        r.variable = name
        return Column(column.name, name, "; ".join(r.notes) if r.kind == "free_text" else "")
    if column.labels and sum(normalise_label(v) in _answer_labels() for v in column.labels) * 2 >= len(column.labels):
        return Column(column.name, comment="not mapped: its answers are an instrument's labels, but no instrument's "
                                           "items matched here: map them under columns")
    hint = cluster_hint(column, rows)
    if hint:
        example = "stratum_psus" if "FPC" in hint else "community"
        return Column(column.name, todo=f"inputs.{input_id_}.columns.{column.position + 1}",
                      comment=f"{hint} map it if so, e.g. {_entry(column.name, example)}")
    if column.codes:
        values = sorted(column.counts)
        return Column(column.name, comment=f"not mapped: codes {values[0]}-{values[-1]}")
    return Column(column.name, comment="not mapped" + (": numbers" if column.numeric else ""))


def draft_study(files: list[str | Path], out: str | Path, *, study_id: str | None = None,
                instruments: list[str] | None = None) -> StudyDraft:
    """Draft ``study.yaml`` for ``files`` (paths in the draft are relative to ``out``'s folder)."""
    from survey.init.writer import write_text

    out = Path(out)
    if not files:
        raise ConfigError("survey init: expected at least one export file, found none")
    study_id = study_id or re.sub(r"[^a-z0-9_-]+", "-", out.resolve().parent.name.lower()).strip("-")
    if not re.match(r"^[a-z][a-z0-9_-]*$", study_id or ""):
        raise ConfigError(f"survey init: cannot make a study id from the folder {out.parent.name!r}; give --id")
    used: set[str] = set()
    inputs: list[InputDraft] = []
    variables: dict[str, dict] = {}
    notes: dict[str, list[str]] = {}
    todos: dict[str, str] = {}
    pii: dict[str, tuple[str, bool, str]] = {}
    for file in files:
        spec, recognised = _draft_input(Path(file), out.parent, instruments, used)
        inputs.append(spec)
        for r in recognised:
            if r.variable is None:
                continue
            if r.kind == "pii":
                pii.setdefault(r.variable, (r.action or "drop", r.decided, r.column.name))
                continue
            if r.variable not in variables:
                variables[r.variable] = r.spec or {"type": "text"}
                notes[r.variable] = list(r.notes)
                if not r.decided:
                    todos[r.variable] = "; ".join(r.notes)
    matched: dict[str, ItemMatch] = {}
    for spec in inputs:
        for match in spec.matches:
            matched.setdefault(match.instrument.id, match)
    draft = StudyDraft(id=study_id, out=out, inputs=inputs, variables=variables, variable_notes=notes,
                       variable_todos=todos, pii=pii, instruments=list(matched.values()))
    draft.text, draft.todo_ids = write_text(draft)
    return draft


def write_draft(path: str | Path, text: str) -> Path:
    """Write the draft atomically (a temporary file in the same folder, then renamed)."""
    import tempfile

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                     suffix=".tmp", delete=False) as handle:
        handle.write(text)
    os.replace(handle.name, path)
    return path


def profiles_of(path: str | Path) -> list[ColumnProfile]:
    """The column profiles of one export (for a notebook look at what init saw)."""
    return profile_table(read_table(Path(path)))
