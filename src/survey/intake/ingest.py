"""Validate and ingest a study's exports into one de-identified table.

``validate(study)`` reads every input, maps columns and answers to the workspace's codes,
removes personal identifiers and checks every row, returning a :class:`ValidationResult`
(nothing is written). ``ingest(study)`` does the same and writes
``data/<study>/processed/``: ``responses.parquet``, ``validation_report.csv`` (one line per
row and column touched, with the reason), ``validation_summary.md`` and ``manifest.json``.

Accounting: for every input, rows in = rows kept + rows rejected, and every rejected row
has one reason. Cell-level findings (missing items, out-of-range codes, trimmed white space)
are reported for kept rows.

Example
-------
>>> from survey.intake import validate
>>> result = validate("data/demo/study.yaml")          # doctest: +SKIP
>>> result.counts().loc["wave2023", "rows_rejected"]    # doctest: +SKIP
23
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survey import __version__
from survey.errors import ColumnError, example_rows
from survey.instruments import normalise_label
from survey.intake import mapping
from survey.intake.deidentify import fingerprint, key_path, load_or_create_key, pseudonymise
from survey.intake.readers import RawTable, read_table
from survey.study import InputSpec, Study, load_study
from survey.study.answer_codes import export_codes

REPORT_COLUMNS = ["input", "file", "row", "respondent_id", "column", "variable", "issue", "action", "value"]
ROW_ISSUES = ("duplicate_submission",)


@dataclass
class ValidationResult:
    """What intake found: the kept rows, one report line per finding, and per-input counts."""

    study: Study
    data: pd.DataFrame
    report: pd.DataFrame
    rows_in: dict[str, int]
    encodings: dict[str, str | None] = field(default_factory=dict)
    key_fingerprint: str | None = None
    key_created: bool = False

    def counts(self) -> pd.DataFrame:
        """Rows in, kept and rejected per input, and the number of each finding."""
        rejected = self.report[self.report["action"] == "rejected"].groupby("input").size()
        kept = self.data.groupby("source").size()
        table = pd.DataFrame({"rows_in": pd.Series(self.rows_in)})
        table["rows_kept"] = kept.reindex(table.index, fill_value=0)
        table["rows_rejected"] = rejected.reindex(table.index, fill_value=0)
        issues = self.report.groupby(["input", "issue"]).size().unstack(fill_value=0)
        table = table.join(issues).fillna(0).astype(int)
        table.loc["total"] = table.sum()
        return table

    def issue_counts(self) -> dict[str, int]:
        return self.report.groupby("issue").size().astype(int).to_dict()

    def summary(self) -> str:
        """A readable summary (Markdown)."""
        counts = self.counts()
        lines = [f"# Validation of study '{self.study.id}'", "",
                 f"Configuration: `{self.study.config_file}`", ""]
        for spec in self.study.inputs:
            enc = self.encodings.get(spec.id)
            lines.append(f"- `{spec.id}`: {spec.path.name} ({spec.format}{', ' + enc if enc else ''})")
        lines += ["", "| input | rows in | kept | rejected |", "|---|---:|---:|---:|"]
        for name, row in counts.iterrows():
            lines.append(f"| {name} | {row.rows_in} | {row.rows_kept} | {row.rows_rejected} |")
        lines += ["", "| finding | action | count |", "|---|---|---:|"]
        by_issue = self.report.groupby(["issue", "action"]).size()
        for (issue, action), n in by_issue.items():
            lines.append(f"| {issue} | {action} | {n} |")
        ok = (counts["rows_in"] == counts["rows_kept"] + counts["rows_rejected"]).all()
        lines += ["", f"Accounting: rows in = rows kept + rows rejected for every input: {'yes' if ok else 'NO'}.",
                  "Personal identifiers removed: " + ", ".join(f"{c} ({a})" for c, a in self.study.pii.items()) + "."]
        return "\n".join(lines) + "\n"

    def to_frame(self) -> pd.DataFrame:
        return self.report


def _source_rows(spec: InputSpec, n: int) -> pd.Series:
    """Row numbers as the user sees them: the spreadsheet row (header is row 1), or the SPSS case number."""
    offset = 1 if spec.format == "sav" else 2
    return pd.Series(np.arange(n) + offset, dtype="int64")


class _Findings:
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
        return out


def _read_input(spec: InputSpec) -> RawTable:
    table = read_table(spec.path, spec.format, encoding=spec.encoding, sheet=spec.sheet)
    missing = [c for c in spec.columns if c not in table.data.columns]
    if missing:
        found = ", ".join(list(table.data.columns)[:8])
        origin = spec.column_origin.get(missing[0])
        raise ColumnError(f"{spec.path}: column {missing[0]!r} (mapped to {spec.columns[missing[0]]!r}"
                          + (f" by {origin}" if origin else "") + ") not found"
                          + (f" (+{len(missing) - 1} more missing)" if len(missing) > 1 else "")
                          + f"; the file has: {found}, ...")
    return table


def _levels(study: Study, name: str, var: dict) -> list[dict]:
    if var.get("levels_from") == "districts":
        table = study.districts()
        return [{"code": r.code, "aliases": [int(r.number)], "en": [r.name_en], "zh-CN": [r.name_zh]}
                for r in table.itertuples()]
    return var["levels"]


def _convert_input(study: Study, spec: InputSpec, table: RawTable, key: bytes) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = table.data.reset_index(drop=True)
    rows = _source_rows(spec, len(raw))
    findings = _Findings(spec, rows)
    out = pd.DataFrame(index=raw.index)
    reject = pd.Series("", index=raw.index, dtype=object)  # first reason a row is rejected
    source_of = {variable: column for column, variable in spec.columns.items()}
    markers = {}
    for column, variable in spec.columns.items():  # cells the study declared to mean "no answer"
        marked = mapping.missing_markers(raw[column], spec.missing_values)
        if marked.any():
            findings.add(marked, column, variable, "missing_value_marker", "set_missing", raw[column])
            raw[column] = raw[column].where(~marked, None)
            markers[column] = marked

    for variable, var in study.variables.items():
        column = source_of.get(variable)
        if column is None:
            if var.get("required"):
                raise ColumnError(f"{spec.path}: no column is mapped to the required variable {variable!r}; "
                                  f"add it under inputs[{spec.id}].columns in {study.config_file.name}")
            continue
        text = raw[column]
        where = f"{spec.path.name}: column {column!r} ({variable})"
        kind = var["type"]
        if kind == "category":
            lookup = mapping.level_lookup(_levels(study, variable, var))
            if spec.answers == "value_labels" and column in table.value_labels:
                converted = mapping.map_value_labels(text, table.value_labels[column], lookup, where=where, rows=rows)
            else:
                converted = mapping.map_labels(text, lookup, where=where, rows=rows)
        elif kind in ("integer", "number"):
            converted = mapping.to_number(
                text, integer=kind == "integer", minimum=var.get("min"), maximum=var.get("max")
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
        bad = converted.invalid | (converted.blank if var.get("required") else np.zeros(len(text), bool))
        if bad.any():
            issues = np.where(converted.invalid, f"{variable}_out_of_range", f"{variable}_missing")
            for name in np.unique(issues[bad]):
                mask = bad & (issues == name)
                if var.get("invalid", "flag") == "reject":
                    fresh = mask & (reject == "").to_numpy()
                    reject[fresh] = name
                    findings.add(mask, column, variable, name, "rejected", text)
                else:
                    findings.add(mask, column, variable, name, "set_missing", text)
        if converted.trimmed.any():
            findings.add(converted.trimmed, column, variable, "whitespace_trimmed", "fixed", text)

    out["respondent_id"] = out["respondent_id"].astype(str) if "respondent_id" in out else rows.astype(str)
    findings.ids = out["respondent_id"]

    # personal identifiers: pseudonymise or drop; never carried into `out` in clear
    for variable, action in study.pii.items():
        column = source_of.get(variable)
        if column is not None and action == "pseudonymise":
            out[f"{variable}_key"] = pseudonymise(raw[column], key)

    # item answers, instrument by instrument
    blank_items = {}
    for inst_id, inst in study.instruments.items():
        extra = (study.spec.get("label_variants") or {}).get(inst_id, {})
        answered = np.zeros(len(raw), bool)
        blanks = {}
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
            else:
                if column not in table.value_labels:
                    raise ColumnError(f"{where}: expected SPSS value labels for this column, found none; "
                                      "use `answers: codes` for this input if the codes are the instrument's own")
                converted = mapping.map_value_labels(text, table.value_labels[column], lookup, where=where, rows=rows)
            out[item] = pd.array(converted.values, dtype="Int16") if len(converted.values) else converted.values
            findings.add(converted.invalid, column, item, "code_out_of_range", "set_missing", text)
            findings.add(converted.trimmed, column, item, "whitespace_trimmed", "fixed", text)
            answered |= ~converted.blank
            blanks[item] = (column, converted.blank)
        for item, (column, blank) in blanks.items():
            declared = markers.get(column, np.zeros(len(raw), bool))
            findings.add(blank & answered & ~declared, column, item, "missing_item", "flagged", None)
        blank_items[inst_id] = blanks

    out["source"] = spec.id
    out["source_row"] = rows.to_numpy()
    if spec.wave is not None:
        out["wave"] = spec.wave
    out["_reject"] = reject.to_numpy()
    return out, findings.frame()


def _mark_duplicates(study: Study, data: pd.DataFrame, report: pd.DataFrame) -> pd.DataFrame:
    """Later submissions of the same person (same key columns, same wave) are rejected."""
    rules = study.spec.get("duplicates")
    if not rules:
        return report
    keys = [f"{k}_key" if k in study.pii else k for k in rules["key"]]
    group = ["wave", *keys] if "wave" in data else keys
    candidates = data[(data["_reject"] == "") & data[keys].notna().all(axis=1)]
    order = [rules["order_by"]] if rules.get("order_by") else []
    ranked = candidates.sort_values([*order, "source", "source_row"], kind="stable")
    first = ranked.groupby(group, sort=False)[["source", "source_row", "respondent_id"]].transform("first")
    dup = ranked.index[ranked.duplicated(group, keep="first")]
    data.loc[dup, "_reject"] = "duplicate_submission"
    extra = pd.DataFrame(
        {
            "input": data.loc[dup, "source"],
            "file": data.loc[dup, "_file"],
            "row": data.loc[dup, "source_row"],
            "respondent_id": data.loc[dup, "respondent_id"],
            "column": ",".join(rules["key"]),
            "variable": ",".join(rules["key"]),
            "issue": "duplicate_submission",
            "action": "rejected",
            "value": "same person as " + first.loc[dup, "source"] + " row " + first.loc[dup, "source_row"].astype(str),
            "_uid": dup,
        }
    )
    return pd.concat([report, extra], ignore_index=True)


def _derive(study: Study, data: pd.DataFrame) -> pd.DataFrame:
    groups = study.spec.get("age_groups")
    if groups:
        age = data[groups["column"]].astype("Float64")
        data["age_group"] = pd.cut(
            age.astype(float), bins=[*groups["breaks"], np.inf], right=False, labels=groups["labels"]
        )
    strata = study.design.get("strata")
    if strata:
        stratum = data[strata[0]].astype(str)
        for column in strata[1:]:
            stratum = stratum + "-" + data[column].astype(str)
        data["stratum"] = stratum
    return data


def _previous_manifest(study: Study) -> dict | None:
    path = study.processed_dir / "manifest.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def validate(study: Study | str | Path, *, create_key: bool = True) -> ValidationResult:
    """Read, map, de-identify and check every input of a study; write nothing but a new key.

    Returns a :class:`ValidationResult`; ``result.counts()`` accounts for every row.
    """
    study = study if isinstance(study, Study) else load_study(study)
    previous = _previous_manifest(study)
    kpath = key_path(study.id, study.spec["pii"].get("key_file"), study.root)
    key, created = (
        load_or_create_key(kpath, previous.get("key_fingerprint") if previous else None) if create_key else (b"", False)
    )
    parts, reports, rows_in, encodings = [], [], {}, {}
    for spec in study.inputs:
        table = _read_input(spec)
        rows_in[spec.id] = len(table.data)
        encodings[spec.id] = table.encoding
        converted, report = _convert_input(study, spec, table, key)
        converted["_file"] = spec.path.name
        parts.append(converted)
        reports.append(report.assign(_uid=None))
    data = pd.concat(parts, ignore_index=True)
    # give every report line the row's position in `data`
    offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
    report = pd.concat(
        [r.assign(_uid=r["position"] + off) for r, off in zip(reports, offsets, strict=True)], ignore_index=True
    )
    report = _mark_duplicates(study, data, report)

    rejected = data["_reject"] != ""
    reason_lines = report["action"] == "rejected"
    # a row rejected for one reason is not also reported for cell findings or other reasons
    first_reason = report[reason_lines].drop_duplicates("_uid", keep="first")
    keep_lines = ~reason_lines & ~report["_uid"].isin(data.index[rejected])
    report = pd.concat([first_reason, report[keep_lines]]).sort_values(["input", "row", "column"], kind="stable")
    report = report[REPORT_COLUMNS].reset_index(drop=True)
    _blank_pii_values(study, report)
    kept = data.loc[~rejected].drop(columns=["_reject", "_file"]).reset_index(drop=True)
    kept = _derive(study, kept)
    return ValidationResult(study=study, data=kept, report=report, rows_in=rows_in, encodings=encodings,
                            key_fingerprint=fingerprint(key) if key else None, key_created=created)


def _blank_pii_values(study: Study, report: pd.DataFrame) -> None:
    """The report never repeats an identifier: values from PII columns are withheld."""
    pii = report["variable"].isin(list(study.pii))
    report.loc[pii, "value"] = "(withheld: personal identifier)"


def ingest(study: Study | str | Path) -> ValidationResult:
    """Validate, then write ``processed/``: the de-identified Parquet, the report and a manifest."""
    result = validate(study)
    study = result.study
    out = study.processed_dir
    out.mkdir(parents=True, exist_ok=True)
    result.data.to_parquet(out / "responses.parquet", index=False)
    result.report.to_csv(out / "validation_report.csv", index=False, encoding="utf-8")
    (out / "validation_summary.md").write_text(result.summary(), encoding="utf-8")
    manifest = {
        "study": study.id, "software_version": __version__, "key_fingerprint": result.key_fingerprint,
        "inputs": {spec.id: {"file": str(spec.path.relative_to(study.root)), "sha256": _sha256(spec.path),
                             "encoding": result.encodings.get(spec.id)} for spec in study.inputs},
        "counts": result.counts().reset_index(names="input").to_dict(orient="records"),
        "outputs": ["responses.parquet", "validation_report.csv", "validation_summary.md"],
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, default=int) + "\n", encoding="utf-8"
    )
    return result


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_rows_accounted(result: ValidationResult) -> None:
    """Raise if any input's rows in differ from rows kept plus rows rejected."""
    counts = result.counts()
    off = counts[counts["rows_in"] != counts["rows_kept"] + counts["rows_rejected"]]
    if len(off):
        raise ColumnError(f"rows not accounted for in {list(off.index)}: {example_rows(off.index)}")
