"""The text of a drafted ``study.yaml``: decided keys as YAML, undecided ones as ``# TODO(<id>): ...``.

Each TODO line sits where its answer belongs (at the answer's indentation) and says what to
write, with an example and the evidence the exports gave (counts, code ranges, years), never a
cell value that could identify anyone. :func:`survey.init.todos.fill_todos` replaces TODO lines
by answers; a TODO left as it is stays a comment.
"""

from __future__ import annotations

from survey.init.draft import Column, InputDraft, StudyDraft
from survey.init.yamltext import entry as _entry
from survey.init.yamltext import flow as _flow

AGE_GROUPS = {"column": "age", "breaks": [18, 30, 45, 60, 75], "labels": ["18-29", "30-44", "45-59", "60-74", "75+"]}
ALL_ADULTS = {"en": "all adults", "zh-CN": "全部成年人"}


def _comment(text: str) -> str:
    return " ".join(str(text).split())


class _Lines:
    def __init__(self):
        self.lines: list[str] = []
        self.todos: list[str] = []

    def add(self, text: str, comment: str = "") -> None:
        self.lines.append(text + (f"  # {_comment(comment)}" if comment else ""))

    def todo(self, indent: int, todo_id: str, hint: str) -> None:
        self.lines.append(" " * indent + f"# TODO({todo_id}): {_comment(hint)}")
        self.todos.append(todo_id)


def _short(instrument) -> str:
    import re

    english = instrument.name.get("en", instrument.id)
    inner = re.findall(r"\(([^()]+)\)", english)
    return inner[0] if inner else english.split(" ")[0]


def indicators(draft: StudyDraft) -> list[dict]:
    """One indicator per cut-off of each matched instrument's total, labelled from the instrument file."""
    out = []
    for match in draft.instruments:
        inst = match.instrument
        total = (inst.scoring or {}).get("total") or {}
        for name, cutoff in (total.get("cutoffs") or {}).items():
            sign, value = ("≥", cutoff["at_least"]) if "at_least" in cutoff else ("≤", cutoff["at_most"])
            short = _short(inst)
            rule = f"{short} {sign} {value:g}"
            en, zh = cutoff["en"][0].upper() + cutoff["en"][1:], cutoff["zh-CN"]
            entry = {"id": f"{inst.id}_{name}", "column": f"{inst.id}_{name}",
                     "label": {"en": f"{en}, {rule}" if "(" in en else f"{en} ({rule})",
                               "zh-CN": f"{zh}，{rule}" if "（" in zh else f"{zh}（{rule}）"}}
            if not inst.eligibility:
                entry["population"] = dict(ALL_ADULTS)
            out.append(entry)
        for name, criterion in ((inst.scoring or {}).get("criteria") or {}).items():
            en = criterion["en"][0].upper() + criterion["en"][1:]
            entry = {"id": f"{inst.id}_{name}", "column": f"{inst.id}_{name}",
                     "label": {"en": en, "zh-CN": criterion["zh-CN"]}}
            if not inst.eligibility:
                entry["population"] = dict(ALL_ADULTS)
            out.append(entry)
    return out


def _input(out: _Lines, spec: InputDraft) -> None:
    out.add(f"  - id: {spec.id}")
    out.add(f"    {_entry('file', spec.file)}")
    years = f" (submissions are dated {', '.join(map(str, spec.years))})" if spec.years else ""
    example = spec.years[0] if len(spec.years) == 1 else 2025
    out.todo(4, f"inputs.{spec.id}.wave", f"the survey wave (year) of this file, e.g. wave: {example}{years}")
    out.add(f"    answers: {spec.answers}")
    if spec.code_base == 1:
        out.add("    code_base: 1", f"options numbered from 1 in the instrument's order: {spec.code_base_note}")
    elif spec.code_base_todo:
        out.todo(4, f"inputs.{spec.id}.code_base", spec.code_base_todo)
    if spec.missing_values:
        out.add(f"    missing_values: {_flow(list(spec.missing_values))}", "no-answer marks found in the export")
    unknown = [m for m in spec.matches if m.unknown_labels]
    for match in unknown:
        out.todo(4, f"label_variants.{match.instrument.id}",
                 f"{len(match.unknown_labels)} answer text(s) of {match.instrument.id} match none of its labels: "
                 "add them under label_variants (instrument -> code -> labels)")
    out.add("    columns:")
    for column in spec.columns:
        _column(out, column)
    if spec.items:
        out.add("    items:", "instrument: header pattern ({n} = item 1..k in the instrument's order)")
        for match in spec.matches:
            if match.instrument.id in spec.items:
                how = match.method + (f", similarity {match.similarity:.2f}" if match.similarity else "")
                out.add(f"      {_entry(match.instrument.id, spec.items[match.instrument.id])}", how)


def _column(out: _Lines, column: Column) -> None:
    if column.todo:
        out.todo(6, column.todo, f"{column.header}: {column.comment}")
    elif column.variable:
        out.add(f"      {_entry(column.header, column.variable)}", column.comment)
    else:
        out.add(f"      # {_comment(column.header)}: {column.comment}")


def _variables(out: _Lines, draft: StudyDraft) -> None:
    out.add("variables:")
    for name, spec in draft.variables.items():
        note = "; ".join(draft.variable_notes.get(name, []))
        if name in draft.variable_todos:
            out.add(f"  # check {name}: {_comment(note)}; intake stops on any value the levels do not list")
            note = ""
        if "levels" in spec:
            out.add(f"  {name}:", note)
            out.add(f"    type: {spec['type']}")
            for key in ("required",):
                if key in spec:
                    out.add(f"    {key}: {_flow(spec[key])}")
            out.add("    levels:")
            for level in spec["levels"]:
                out.add(f"      - {_flow(level)}")
        else:
            out.add(f"  {name}: {_flow(spec)}", note)
    if any(c.todo for spec in draft.inputs for c in spec.columns):
        out.todo(2, "variables", "declare each variable you mapped in a TODO above, "
                 "e.g. community: {type: text, required: true}")


def _design(out: _Lines, draft: StudyDraft) -> None:
    names = set(draft.variables)
    strata = [v for v in ("district", "urban_rural") if v in names]
    clusters: list[str] = [v for v in ("street", "community") if v in names]
    clusters += [c.header for spec in draft.inputs for c in spec.columns if c.todo and "cluster" in c.comment]
    weights = [v for v, s in draft.variables.items() if s.get("type") == "number" and v.startswith("weight")]
    out.add("design:")
    out.todo(2, "design.strata", "the strata, e.g. strata: [district]"
             + (f" (candidates: {', '.join(strata)})" if strata else " (or none)"))
    out.todo(2, "design.psu", "the primary sampling units (clusters), e.g. psu: community"
             + (f" (candidates: {', '.join(clusters)}; map a column above first)" if clusters else ""))
    out.todo(2, "design.weight", "the design weight, e.g. weight: weight"
             + (f" (candidates: {', '.join(weights)})" if weights else " (no weight column was recognised)"))
    out.add("  lonely_psu: fail", "a stratum with one PSU stops estimation (or remove, certainty, adjust, average)")


def _pii(out: _Lines, draft: StudyDraft) -> None:
    if not draft.pii:
        out.add("pii: {}", "no identifier columns were recognised")
        return
    out.add("pii:")
    out.add("  columns:")
    for name, (action, decided, header) in draft.pii.items():
        if decided:
            out.add(f"    {name}: {action}", header)
        else:
            out.todo(4, f"pii.{name}", f"{header}: drop it, or pseudonymise (a keyed hash that still finds repeat "
                     f"submissions and links waves), e.g. {name}: {action}")


def write_text(draft: StudyDraft) -> tuple[str, list[str]]:
    """The draft's text and its TODO ids, in order."""
    out = _Lines()
    files = ", ".join(spec.file for spec in draft.inputs)
    out.add(f"# Drafted by `survey init` from {files}.")
    out.add("# Review every line. Replace each `# TODO(...)` line by what it asks for (or delete it where it says")
    out.add("# optional); then `survey validate` on this file says whether the exports read as configured.")
    out.add(f"id: {draft.id}")
    out.todo(0, "title", "the study's title, e.g. title: {en: ..., zh-CN: ...}")
    out.todo(0, "city", "optional: the city, e.g. city: {en: ..., zh-CN: ...}")
    years = sorted({y for spec in draft.inputs for y in spec.years})
    out.todo(0, "waves", f"the survey waves, e.g. waves: {_flow(years or [2025])}"
             + (" (the years the submissions are dated)" if years else ""))
    if "district" in draft.variables:
        out.todo(0, "districts", "the district table: a CSV with columns code, number (the export's code), name_zh, "
                 "name_en, e.g. districts: districts.csv")
    out.add("")
    out.add("inputs:")
    for spec in draft.inputs:
        _input(out, spec)
    out.add("")
    _variables(out, draft)
    out.add("")
    out.add("instruments:")
    for match in draft.instruments:
        items = f"{len(match.headers)} of {len(match.instrument.item_ids)} items"
        needed = _settings_needed(match.instrument)
        if needed is None:
            out.add(f"  {match.instrument.id}: {{}}", items)
        else:  # e.g. the literacy questionnaire's answer key, which no export shows
            out.add(f"  {match.instrument.id}:", items)
            out.todo(4, f"instruments.{match.instrument.id}", needed)
    out.add("")
    _design(out, draft)
    if "district" in draft.variables:
        out.add("district_column: district")
    else:
        out.todo(0, "district_column", "the variable that holds the district, e.g. district_column: district")
    out.add("")
    _pii(out, draft)
    out.todo(0, "duplicates", "optional: reject repeat submissions of one person by key columns (a pseudonymised "
             "identifier, not a dropped one), e.g. duplicates: {key: [phone], order_by: submitted_at}")
    if "age" in draft.variables:
        out.add(f"age_groups: {_flow(AGE_GROUPS)}", "the usual bands; change them if the study needs others")
    found = indicators(draft)
    if found:
        out.add("")
        out.add("# Key indicators: the instruments' cut-offs (0/1 columns written by survey score).")
        out.add("indicators:")
        for entry in found:
            out.add(f"  - id: {entry['id']}")
            for key in ("column", "label", "population"):
                if key in entry:
                    out.add(f"    {key}: {_flow(entry[key])}")
            if "population" not in entry:
                out.add("    # optional: population: {en: ..., zh-CN: ...} (the instrument has an eligibility rule)")
    return "\n".join(out.lines) + "\n", out.todos


def _settings_needed(instrument) -> str | None:
    """What the study must say for the instrument to score (its scoring plan's complaint), or None."""
    from survey.errors import ConfigError
    from survey.scoring.rules import compile_plan

    try:
        compile_plan(instrument, {})
    except ConfigError as error:
        return str(error).removeprefix("overrides.")
    return None
