"""Pipeline step 1, intake: validate and ingest, and check the planted problems against the truth file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

TRUTH_KEYS = {"duplicates": "duplicate_submission", "impossible_ages": "age_out_of_range",
              "missing_items": "missing_item", "whitespace_labels": "whitespace_trimmed",
              "out_of_range_codes": "code_out_of_range"}


def planted_vs_found(result, truth_file: Path) -> list[tuple[str, int, int]]:
    """(problem, planted per the truth file, found by validation) for each planted problem."""
    truth = json.loads(Path(truth_file).read_text(encoding="utf-8"))["planted"]["total"]
    found = result.issue_counts()
    return [(name, int(truth[name]), int(found.get(issue, 0))) for name, issue in TRUTH_KEYS.items()]


def run(study_file: Path, echo: Callable[[str], None] = print):
    """Validate and ingest the study; print counts, the planted-vs-found check and the outputs."""
    from survey.intake import ingest

    result = ingest(study_file)
    study = result.study
    counts = result.counts().loc["total"]
    echo(f"[intake] {study.id}: {counts.rows_in} rows in, {counts.rows_kept} kept, {counts.rows_rejected} rejected")
    if result.key_created:
        echo("[intake] created a new pseudonymisation key outside the repository (see README: keys)")
    truth = study.spec.get("truth")
    if truth:
        for name, planted, found in planted_vs_found(result, study.path(truth)):
            echo(
                f"[check]  {name:<20} planted {planted:>4}  found {found:>4}  "
                f"{'ok' if planted == found else 'MISMATCH'}"
            )
    out = study.processed_dir
    for name in ("responses.parquet", "validation_report.csv", "validation_summary.md", "manifest.json"):
        echo(f"  {out / name}")
    return study
