"""One input, converted: variables and item answers as the workspace's codes, with every finding.

:func:`convert_input` takes an export as read (:class:`~survey.intake.readers.RawTable`) and
returns the converted rows (identifiers removed) and one report line per cell or row it
touched. It is called by :func:`survey.intake.validate` for each input of a study.

Order of work, per input: cells the study declares as "no answer" (``missing_values``) are
blanked; free text is scanned for mobile and ID numbers (masked); any other cell that holds
such a number is set missing; then each variable and each item is converted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import ColumnError
from survey.instruments import normalise_label
from survey.intake import mapping
from survey.intake.checks import check_shifted_codes
from survey.intake.deidentify import pseudonymise
from survey.intake.identifiers import identifier_in_field, mask_free_text
from survey.intake.readers import RawTable, read_table
from survey.masking import mask_series
from survey.study import InputSpec, Study
from survey.study.answer_codes import export_codes
from survey.study.model import Variable

REPORT_COLUMNS = ["input", "file", "row", "respondent_id", "column", "variable", "issue", "action", "value"]
#: Design weights above this are not weights of people (the world has fewer than 10^10):
#: an error, not a number to estimate with.
MAX_WEIGHT = 1e10
#: A weight more than this many times the input's median is reported (flagged), not changed.
EXTREME_WEIGHT_RATIO = 1000


def source_rows(spec: InputSpec, n: int) -> pd.Series:
    """Row numbers as the user sees them: the spreadsheet row (header is row 1), or the SPSS case number."""
    offset = 1 if spec.format == "sav" else 2
    return pd.Series(np.arange(n) + offset, dtype="int64")


class Findings:
    """Report lines of one input, collected as masks over its rows."""

    def __init__(self, spec: InputSpec, rows: pd.Series):
        self.spec, self.rows, self.parts = spec, rows, []
        self.ids = pd.Series([None] * len(rows), dtype=object)

    def add(self, mask: np.ndarray, column: str, variable: str, issue: str, action: str, values=None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        shown = values[mask].astype(object).to_numpy() if values is not None else None
        self.parts.append(pd.DataFrame({
            "input": self.spec.id, "file": self.spec.path.name, "row": self.rows[mask].to_numpy(),
            "position": np.flatnonzero(mask), "column": column, "variable": variable, "issue": issue,
            "action": action, "value": shown,
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=[*REPORT_COLUMNS, "position"])
        out = pd.concat(self.parts, ignore_index=True)
        out["respondent_id"] = self.ids.to_numpy()[out["position"].to_numpy()]
        out["value"] = mask_series(out["value"])[0]  # a value shown is never an identifier in clear
        return out


def read_input(spec: InputSpec) -> RawTable:
    """Read one input and check its mapped headers are there, once each."""
    table = read_table(spec.path, spec.format, encoding=spec.encoding, sheet=spec.sheet,
                       hint=f"; check `file:` of input {spec.id!r} in study.yaml")
    missing = [c for c in spec.columns if c not in table.data.columns]
    if missing:
        found = ", ".join(list(table.data.columns)[:8])
        origin = spec.column_origin.get(missing[0])
        raise ColumnError(f"{spec.path}: column {missing[0]!r} (mapped to {spec.columns[missing[0]]!r}"
                          + (f" by {origin}" if origin else "") + ") not found"
                          + (f" (+{len(missing) - 1} more missing)" if len(missing) > 1 else "")
                          + f"; the file has: {found}, ...")
    doubled = [h for h in spec.columns if h in table.duplicate_headers]
    if doubled:
        positions = table.duplicate_headers[doubled[0]]
        raise ColumnError(f"{spec.path}: column {doubled[0]!r} (mapped to {spec.columns[doubled[0]]!r}) appears "
                          f"{len(positions)} times, as columns {', '.join(map(str, positions))}; rename the "
                          "headers in the export so each is unique, then map the one you mean")
    return table


def levels_of(study: Study, var: Variable) -> list[dict]:
    if var.levels_from == "districts":
        table = study.districts()
        numbers = table["number"] if "number" in table.columns else pd.Series(pd.NA, index=table.index)
        return [{"code": code, "aliases": [] if pd.isna(number) else [int(number)], "en": [en], "zh-CN": [zh]}
                for code, number, en, zh in zip(table["code"], numbers, table["name_en"], table["name_zh"],
                                                strict=True)]
    return [level.model_dump(by_alias=True) for level in var.levels]


def _prepare_cells(study: Study, spec: InputSpec, raw: pd.DataFrame, findings: Findings
                   ) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Blank declared no-answers, mask free text, set identifier-shaped cells missing.

    Returns the masks of declared no-answers and the count of identifier cells, per column.
    """
    markers, hit_counts, pii = {}, {}, set(study.pii)
    free_text = study.config.pii.free_text
    for column, variable in spec.columns.items():
        marked = mapping.missing_markers(raw[column], spec.missing_values)
        if marked.any():
            findings.add(marked, column, variable, "missing_value_marker", "set_missing", raw[column])
            raw[column] = raw[column].where(~marked, None)
            markers[column] = marked
        if variable in pii:
            continue
        if variable in study.variables and study.variables[variable].type == "text":
            masked, hits = mask_free_text(raw[column])
            action = "dropped" if free_text == "drop" and variable != "respondent_id" else "masked"
            findings.add(hits, column, variable, "identifier_in_text", action, masked)
            raw[column] = masked
        else:
            hits = identifier_in_field(raw[column])
            findings.add(hits, column, variable, "identifier_in_field", "set_missing", raw[column])
            raw[column] = raw[column].where(~hits, None)
            hit_counts[column] = int(hits.sum())
    return markers, hit_counts


def _check_weights(spec: InputSpec, column: str, values: pd.Series, text: pd.Series, rows: pd.Series,
                   findings: Findings, variable: str) -> None:
    numbers = values.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    huge = numbers > MAX_WEIGHT
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise ColumnError(f"{spec.path.name}: column {column!r} ({variable}): expected design weights below "
                          f"{MAX_WEIGHT:.0e}, found {numbers[first]:.6g} in row {rows.iloc[first]}"
                          + (f" (+{int(huge.sum()) - 1} more)" if huge.sum() > 1 else "")
                          + "; correct the weight in the export, or leave the cell empty")
    present = numbers[np.isfinite(numbers)]
    if present.size:
        median = float(np.median(present))
        extreme = np.isfinite(numbers) & (median > 0) & (numbers > EXTREME_WEIGHT_RATIO * median)
        findings.add(extreme, column, variable, "weight_extreme", "flagged", text)


def convert_input(study: Study, spec: InputSpec, table: RawTable, key: bytes
                  ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[int, int, str]]]:
    """Converted rows, report lines and, per instrument, (cells set missing, cells answered, a column)."""
    raw = table.data.reset_index(drop=True)
    rows = source_rows(spec, len(raw))
    findings = Findings(spec, rows)
    out = pd.DataFrame(index=raw.index)
    reject = pd.Series("", index=raw.index, dtype=object)  # first reason a row is rejected
    source_of = {variable: column for column, variable in spec.columns.items()}
    pii_raw = {v: raw[c].copy() for v, c in source_of.items() if v in study.pii}
    markers, identifier_hits = _prepare_cells(study, spec, raw, findings)

    for variable, var in study.variables.items():
        column = source_of.get(variable)
        if column is None:
            if var.required:
                raise ColumnError(f"{spec.path}: no column is mapped to the required variable {variable!r}; "
                                  f"add it under inputs[{spec.id}].columns in {study.config_file.name}")
            continue
        text = raw[column]
        where = f"{spec.path.name}: column {column!r} ({variable})"
        kind = var.type
        if kind == "category":
            lookup = mapping.level_lookup(levels_of(study, var))
            if spec.answers == "value_labels" and column in table.value_labels:
                converted = mapping.map_value_labels(text, table.value_labels[column], lookup, where=where, rows=rows)
            else:
                converted = mapping.map_labels(text, lookup, where=where, rows=rows)
        elif kind in ("integer", "number"):
            converted = mapping.to_number(
                text, integer=kind == "integer", minimum=var.min, maximum=var.max
            )
        elif kind == "datetime":
            converted = mapping.to_datetime(text)
        else:
            stripped = text.str.strip()
            converted = mapping.Converted(
                values=stripped.astype("str").where(stripped.notna()),
                blank=text.isna().to_numpy(),
                invalid=np.zeros(len(text), bool),
                trimmed=np.zeros(len(text), bool),
            )
        out[variable] = converted.values
        if variable == study.design.weight:
            _check_weights(spec, column, converted.values, text, rows, findings, variable)
        bad = converted.invalid | (converted.blank if var.required else np.zeros(len(text), bool))
        if bad.any():
            issues = np.where(converted.invalid, f"{variable}_out_of_range", f"{variable}_missing")
            for name in np.unique(issues[bad]):
                mask = bad & (issues == name)
                if var.invalid == "reject":
                    fresh = mask & (reject == "").to_numpy()
                    reject[fresh] = name
                    findings.add(mask, column, variable, name, "rejected", text)
                else:
                    findings.add(mask, column, variable, name, "set_missing", text)
        if converted.trimmed.any():
            findings.add(converted.trimmed, column, variable, "whitespace_trimmed", "fixed", text)
        if converted.separators is not None and converted.separators.any():
            findings.add(converted.separators, column, variable, "thousands_separator", "fixed", text)

    out["respondent_id"] = out["respondent_id"].astype(str) if "respondent_id" in out else rows.astype(str)
    findings.ids = out["respondent_id"]
    if study.config.pii.free_text == "drop":
        dropped = [v for v, var in study.variables.items() if var.type == "text" and v != "respondent_id"]
        out = out.drop(columns=[v for v in dropped if v in out.columns])

    # personal identifiers: pseudonymise or drop; never carried into `out` in clear
    for variable, action in study.pii.items():
        if variable in pii_raw and action == "pseudonymise":
            out[f"{variable}_key"] = pseudonymise(pii_raw[variable], key)

    answered_cells = _convert_items(study, spec, table, raw, rows, source_of, (markers, identifier_hits), findings,
                                    out)
    out["source"] = spec.id
    out["source_row"] = rows.to_numpy()
    if spec.wave is not None:
        out["wave"] = spec.wave
    out["_reject"] = reject.to_numpy()
    return out, findings.frame(), answered_cells


def _convert_items(study: Study, spec: InputSpec, table: RawTable, raw: pd.DataFrame, rows: pd.Series,
                   source_of: dict[str, str], prepared: tuple[dict, dict], findings: Findings,
                   out: pd.DataFrame) -> dict[str, tuple[int, int, str]]:
    """Item answers, instrument by instrument, into ``out``; return (set missing, answered, column) per instrument."""
    markers, identifier_hits = prepared
    answered_cells = {}
    for inst_id, inst in study.instruments.items():
        extra = study.config.label_variants.get(inst_id, {})
        answered = np.zeros(len(raw), bool)
        blanks, numbers, columns = {}, {}, {}
        cells, bad, worst = 0, 0, (0, "")
        for item in inst.item_ids:
            column = source_of.get(item)
            if column is None:
                continue
            text = raw[column]
            where = f"{spec.path.name}: column {column!r} ({item})"
            lookup = inst.label_map(item) | {normalise_label(v): int(code) for code, vs in extra.items() for v in vs}
            if spec.answers == "labels":
                converted = mapping.map_labels(text, lookup, where=where, rows=rows)
            elif spec.answers == "codes":
                recode = export_codes(spec.code_base, spec.code_maps, inst, item)
                converted = mapping.map_codes(text, set(inst.codes(item)), where=where, rows=rows, recode=recode)
                if recode is None and spec.code_base is None:
                    numbers[item] = converted.numbers  # parsed once, in map_codes
                    columns[item] = column
            else:
                if column not in table.value_labels:
                    raise ColumnError(f"{where}: expected SPSS value labels for this column, found none; "
                                      "use `answers: codes` for this input if the codes are the instrument's own")
                converted = mapping.map_value_labels(text, table.value_labels[column], lookup, where=where, rows=rows)
            out[item] = pd.array(converted.values, dtype="Int16") if len(converted.values) else converted.values
            findings.add(converted.invalid, column, item, "code_out_of_range", "set_missing", text)
            findings.add(converted.trimmed, column, item, "whitespace_trimmed", "fixed", text)
            answered |= ~converted.blank
            lost = int(converted.invalid.sum()) + identifier_hits.get(column, 0)
            cells += int((~converted.blank).sum()) + identifier_hits.get(column, 0)
            bad += lost
            worst = max(worst, (lost, column))
            blanks[item] = (column, converted.blank)
        check_shifted_codes(numbers, {item: inst.codes(item) for item in numbers}, instrument=inst_id,
                            input_id=spec.id, file=spec.path.name, columns=columns, rows=rows)
        for item, (column, blank) in blanks.items():
            declared = markers.get(column, np.zeros(len(raw), bool))
            findings.add(blank & answered & ~declared, column, item, "missing_item", "flagged", None)
        if blanks:
            answered_cells[inst_id] = (bad, cells, worst[1])
    return answered_cells
