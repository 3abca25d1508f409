"""Validate and ingest a study's exports into one de-identified table.

``validate(study)`` reads every input, maps columns and answers to the workspace's codes,
removes personal identifiers and checks every row, returning a :class:`ValidationResult`
(nothing is written). ``ingest(study)`` does the same and writes
``data/<study>/processed/``: ``responses.parquet``, ``validation_report.csv`` (one line per
row and column touched, with the reason), ``validation_summary.md``, the study identifier
and, last, ``manifest.json`` with the SHA-256 of each file. Each file is written under a
temporary name, read back to check that it holds no personal identifier, and only then
renamed into place (:mod:`survey.outputs`).

Accounting: for every input, rows in = rows kept + rows rejected, and every rejected row
has one reason. Cell-level findings (missing items, out-of-range codes, trimmed white space)
are reported for kept rows.

Intake stops (:class:`~survey.intake.checks.IntakeStopped`, carrying the result) when an
input's every row is rejected or too many of an instrument's answers are set missing
(``intake.max_set_missing_share``); see :mod:`survey.intake.checks`.

Example
-------
>>> from survey.intake import validate
>>> result = validate("data/demo/study.yaml")          # doctest: +SKIP
>>> result.counts().loc["wave2023", "rows_rejected"]    # doctest: +SKIP
23
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from survey import __version__
from survey.errors import ColumnError, ConfigError, example_rows
from survey.intake.checks import IntakeStopped, stop_reasons
from survey.intake.convert import REPORT_COLUMNS, convert_input, read_input
from survey.intake.deidentify import (
    fingerprint,
    key_path,
    load_or_create_key,
    new_identifier,
    read_identifier,
    read_key,
)
from survey.intake.identifiers import check_written, raw_identifier_values
from survey.intake.result import ValidationResult
from survey.outputs import atomic_path, ensure_folder, read_manifest, sha256_of, write_json, write_manifest
from survey.study import Study, load_study

__all__ = ["ValidationResult", "check_rows_accounted", "ingest", "load_result", "outputs", "validate"]



def outputs(study: Study) -> list[Path]:
    """The files ingest writes in ``processed/`` (the manifest describes them and is written last)."""
    paths = study.paths
    return [paths.responses, paths.validation_report, paths.validation_summary, paths.study_identifier]


def _mark_duplicates(study: Study, data: pd.DataFrame, report: pd.DataFrame) -> pd.DataFrame:
    """Later submissions of the same person (same key columns, same wave) are rejected."""
    rules = study.config.duplicates
    if not rules:
        return report
    keys = [f"{k}_key" if k in study.pii else k for k in rules.key]
    absent = [k for k, column in zip(rules.key, keys, strict=True) if column not in data.columns]
    if absent:
        raise ConfigError(f"{study.config_file}: duplicates.key: {absent[0]!r} is mapped in no input; map it "
                          "under the inputs' columns or remove it from the key")
    unmapped = [spec.id for spec in study.inputs
                if not set(rules.key) <= set(spec.columns.values())]
    if unmapped:
        raise ConfigError(f"{study.config_file}: duplicates.key: input {unmapped[0]!r} maps no column to "
                          f"{', '.join(rules.key)}; its rows could not be checked for duplicates: map the column "
                          "or remove it from the key")
    group = ["wave", *keys] if "wave" in data else keys
    candidates = data[(data["_reject"] == "") & data[keys].notna().all(axis=1)]
    order = [rules.order_by] if rules.order_by else []
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
            "column": ",".join(rules.key),
            "variable": ",".join(rules.key),
            "issue": "duplicate_submission",
            "action": "rejected",
            "value": "same person as " + first.loc[dup, "source"] + " row " + first.loc[dup, "source_row"].astype(str),
            "_uid": dup,
        }
    )
    return pd.concat([report, extra], ignore_index=True)


def _derive(study: Study, data: pd.DataFrame) -> pd.DataFrame:
    groups = study.config.age_groups
    if groups:
        age = data[groups.column].astype("Float64")
        data["age_group"] = pd.cut(
            age.astype(float), bins=[*groups.breaks, np.inf], right=False, labels=list(groups.labels)
        )
    strata = study.design.strata
    if strata:
        stratum = data[strata[0]].astype(str)
        for column in strata[1:]:
            stratum = stratum + "-" + data[column].astype(str)
        data["stratum"] = stratum
    return data


def _study_key(study: Study, *, create: bool) -> tuple[bytes, bool, str | None, str | None]:
    """(key, created, fingerprint, study identifier) for this study's processed data.

    With ``create`` (ingest) a missing key is created for a new study; without it (validate)
    a new study gets a key that lives only for this run, and nothing is written.
    """
    processed = study.processed_dir
    record = read_identifier(processed)
    previous = read_manifest(processed) or {}
    configured = study.config.pii.key_file
    if record:
        identifier, expected = record["identifier"], record.get("key_fingerprint")
    elif previous.get("key_fingerprint"):  # processed data from before study identifiers: <id>.key
        identifier, expected = None, previous["key_fingerprint"]
    else:
        identifier, expected = None, None
    if expected is None and record is None:
        identifier = new_identifier()
        path = key_path(study.id, configured, study.root, identifier)
        if not create:
            if configured and path.is_file():
                key = read_key(path)
                return key, False, fingerprint(key), identifier
            return secrets.token_bytes(32), False, None, None
        key, created = load_or_create_key(path, None)
        return key, created, fingerprint(key), identifier
    path = key_path(study.id, configured, study.root, identifier)
    key, created = load_or_create_key(path, expected)
    return key, created, fingerprint(key), identifier


def validate(study: Study | str | Path, *, create_key: bool = False, stop: bool = True) -> ValidationResult:
    """Read, map, de-identify and check every input of a study; write nothing.

    Returns a :class:`ValidationResult`; ``result.counts()`` accounts for every row. With
    ``stop`` (the default) raises :class:`IntakeStopped` when an input's every row was rejected
    or too many answers were set missing. ``create_key`` creates the study's key if it has
    none (ingest does; validate alone uses a key that lives only for the run).
    """
    study = study if isinstance(study, Study) else load_study(study)
    key, created, key_fingerprint, identifier = _study_key(study, create=create_key)
    parts, reports, rows_in, encodings, answered, pii_raw, other_raw = [], [], {}, {}, {}, [], []
    for spec in study.inputs:
        table = read_input(spec)
        rows_in[spec.id] = len(table.data)
        encodings[spec.id] = table.encoding
        for column, variable in spec.columns.items():
            (pii_raw if variable in study.pii else other_raw).append(table.data[column])
        other_raw.append(pd.Series(list(table.data.columns) + [spec.path.name], dtype=object))
        converted, report, cells = convert_input(study, spec, table, key)
        converted["_file"] = spec.path.name
        parts.append(converted)
        reports.append(report.assign(_uid=None))
        answered.update({(spec.id, instrument): value for instrument, value in cells.items()})
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
    leaked = sorted(set(kept.columns) & set(study.pii))
    if leaked:  # by construction this cannot happen; if it ever does, stop rather than write it
        raise ColumnError(f"personal identifier column {leaked[0]!r} reached the processed data; report this bug")
    result = ValidationResult(study=study, data=kept, report=report, rows_in=rows_in, encodings=encodings,
                              key_fingerprint=key_fingerprint, key_created=created, answered_cells=answered,
                              study_identifier=identifier,
                              _raw_identifiers=raw_identifier_values(pii_raw, other_raw))
    if stop:
        reasons = stop_reasons(result)
        if reasons:
            more = f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else ""
            raise IntakeStopped(reasons[0] + more, result)
    return result


def _blank_pii_values(study: Study, report: pd.DataFrame) -> None:
    """The report never repeats an identifier: values from PII columns are withheld."""
    pii = report["variable"].isin(list(study.pii))
    report.loc[pii, "value"] = "(withheld: personal identifier)"


def ingest(study: Study | str | Path) -> ValidationResult:
    """Validate, then write ``processed/``: the de-identified parquet, the report, the identifier, a manifest.

    Every file is written to a temporary name and read back: only when none holds a personal
    identifier are they renamed into place, and the manifest (with their SHA-256) comes last.
    """
    result = validate(study, create_key=True)
    study = result.study
    out = ensure_folder(study.processed_dir)
    identifier = {"study": study.id, "identifier": result.study_identifier,
                  "key_fingerprint": result.key_fingerprint}
    paths = study.paths
    with atomic_path(paths.responses) as responses, \
            atomic_path(paths.validation_report) as report, \
            atomic_path(paths.validation_summary) as summary:
        result.data.to_parquet(responses, index=False)
        result.report.to_csv(report, index=False, encoding="utf-8")
        check_written({paths.responses.name: responses, paths.validation_report.name: report},
                      result._raw_identifiers)
        result.identifiers_checked = True
        summary.write_text(result.summary(), encoding="utf-8")
        check_written({paths.validation_summary.name: summary}, result._raw_identifiers)
    written = [p.name for p in (paths.responses, paths.validation_report, paths.validation_summary)]
    if result.study_identifier:
        write_json(paths.study_identifier, identifier)
        written.append(paths.study_identifier.name)
    manifest = {
        "study": study.id, "study_identifier": result.study_identifier, "software_version": __version__,
        "key_fingerprint": result.key_fingerprint,
        "inputs": {spec.id: {"file": _relative(spec.path, study.root), "sha256": sha256_of(spec.path),
                             "encoding": result.encodings.get(spec.id)} for spec in study.inputs},
        "counts": result.counts().reset_index(names="input").to_dict(orient="records"),
        "outputs": written,
    }
    write_manifest(out, written, manifest)
    return result


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def check_rows_accounted(result: ValidationResult) -> None:
    """Raise if any input's rows in differ from rows kept plus rows rejected."""
    counts = result.counts()
    off = counts[counts["rows_in"] != counts["rows_kept"] + counts["rows_rejected"]]
    if len(off):
        raise ColumnError(f"rows not accounted for in {list(off.index)}: {example_rows(off.index)}")


def load_result(study: Study | str | Path) -> ValidationResult:
    """The last ingest's result, read back from ``processed/`` (what ``ingest`` returned then)."""
    from survey.errors import InputFileError

    study = study if isinstance(study, Study) else load_study(study)
    paths = study.paths
    missing = [p for p in (paths.responses, paths.validation_report, paths.intake_manifest) if not p.is_file()]
    if missing:
        raise InputFileError(f"{missing[0]}: not found; run `survey ingest {study.config_file}`")
    manifest = json.loads(paths.intake_manifest.read_text(encoding="utf-8"))
    rows_in = {r["input"]: int(r["rows_in"]) for r in manifest["counts"] if r["input"] != "total"}
    encodings = {name: entry.get("encoding") for name, entry in manifest["inputs"].items()}
    report = pd.read_csv(paths.validation_report, dtype={"respondent_id": object, "value": object},
                         keep_default_na=False, na_values=[""])
    return ValidationResult(study=study, data=pd.read_parquet(paths.responses), report=report, rows_in=rows_in,
                            encodings=encodings, key_fingerprint=manifest.get("key_fingerprint"),
                            identifiers_checked=True, study_identifier=manifest.get("study_identifier"))
