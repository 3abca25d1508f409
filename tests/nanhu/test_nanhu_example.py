"""The second example study (data/nanhu): its generator, and the study through validate, ingest, score, estimate."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from survey.demo.nanhu import generate

NANHU = Path(__file__).resolve().parents[2] / "data" / "nanhu"
GENERATED = ("raw/nanhu_2025_wjx_numeric.xlsx", "districts.csv", "truth.json")
INDICATORS = ("phq9_positive", "gad7_positive", "isi_positive", "who5_poor_wellbeing", "who5_likely_depression")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_committed_files_are_the_generators_output_byte_for_byte(tmp_path):
    truth = generate(tmp_path)
    assert {f: _sha(tmp_path / f) for f in GENERATED} == {f: _sha(NANHU / f) for f in GENERATED}
    assert truth["sample"]["2025"]["respondents"] == 1417 and len(truth["prevalence"]["2025"]) == 6


def test_truth_records_every_planted_problem():
    planted = json.loads((NANHU / "truth.json").read_text(encoding="utf-8"))["planted"]
    assert planted["missing_items"] == planted["blank_items"] + planted["skipped_items"] + planted["minus3_items"]
    assert planted["rows_in_export"] == 1417 + planted["duplicates"]
    assert {"phone_in_comments", "id_in_comments", "impossible_ages"} <= set(planted)


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    target = tmp_path_factory.mktemp("nanhu") / "nanhu"
    shutil.copytree(NANHU, target, ignore=shutil.ignore_patterns("processed"))
    return target


def _survey(monkeypatch, *args):
    from survey.cli import main

    monkeypatch.setattr(sys, "argv", ["survey", *map(str, args)])
    main()  # a SurveyError or usage error would exit non-zero


@pytest.fixture(scope="module")
def pipeline(study_dir):
    monkeypatch = pytest.MonkeyPatch()
    try:
        for step in ("validate", "ingest", "score"):
            _survey(monkeypatch, step, study_dir / "study.yaml")
        tables = {}
        for indicator in INDICATORS:
            for by in ("district", None):
                out = study_dir / "est" / f"{indicator}_{by}.csv"
                _survey(monkeypatch, "estimate", study_dir / "study.yaml", "--outcome", indicator, "-o", out,
                        *(["--by", by] if by else []))
                tables[indicator, by] = out
    finally:
        monkeypatch.undo()
    return tables


def test_validation_finds_exactly_the_planted_problems(study_dir, pipeline):
    import pandas as pd

    planted = json.loads((study_dir / "truth.json").read_text(encoding="utf-8"))["planted"]
    report = pd.read_csv(study_dir / "processed" / "validation_report.csv")
    found = report.groupby("issue").size().to_dict()
    assert found == {"duplicate_submission": planted["duplicates"], "age_out_of_range": planted["impossible_ages"],
                     "missing_item": planted["blank_items"],
                     "missing_value_marker": planted["skipped_items"] + planted["minus3_items"],
                     "identifier_in_text": planted["phone_in_comments"] + planted["id_in_comments"]}
    assert set(report.loc[report["issue"] == "identifier_in_text", "action"]) == {"masked"}
    manifest = json.loads((study_dir / "processed" / "manifest.json").read_text(encoding="utf-8"))
    total = next(c for c in manifest["counts"] if c["input"] == "total")
    assert total["rows_in"] == planted["rows_in_export"] == total["rows_kept"] + total["rows_rejected"]


def test_no_identifier_reaches_the_processed_data(study_dir, pipeline):
    import pandas as pd

    from survey.intake.readers import read_table

    raw = read_table(study_dir / "raw" / "nanhu_2025_wjx_numeric.xlsx").data
    phones = set(raw["8、您的手机号码（仅用于核实答卷，不会对外公开）："].dropna())
    scored = pd.read_parquet(study_dir / "processed" / "scored.parquet")
    assert "phone" not in scored and "ip" not in scored and "phone_key" in scored
    cells = set(scored.astype(str).to_numpy().ravel())
    assert not phones & cells
    typed = scored["comments"].dropna()
    assert typed.str.contains(r"\*{4}").sum() == 5 and not typed.str.contains(r"1[3-9]\d{9}|\d{17}[\dXx]").any()


def test_estimated_prevalences_cover_the_truth(study_dir, pipeline):
    import pandas as pd

    truth = json.loads((study_dir / "truth.json").read_text(encoding="utf-8"))["prevalence"]["2025"]
    covered = total = 0
    for indicator in INDICATORS:
        table = pd.read_csv(pipeline[indicator, "district"])
        assert len(table) == 5
        for row in table.itertuples():
            total += 1
            covered += row.ci_low <= truth[row.district][indicator] <= row.ci_high
        city = pd.read_csv(pipeline[indicator, None]).iloc[0]
        assert city.ci_low <= truth["city"][indicator] <= city.ci_high, indicator
    # 95% intervals: 22 of the 25 district intervals cover the finite-population truth with the committed seed
    assert total == 25 and covered >= 20
