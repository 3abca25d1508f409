"""Keys tied to the study, damaged keys and manifests, unwritable outputs: one line, never a traceback."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
from mini_study import MiniStudy, accounted, assert_one_line_error


@pytest.fixture
def ingested(mini):
    run = mini.ingest()
    assert run.status == 0, run.err
    return mini


def _key_dir() -> str:
    return os.environ["SURVEY_KEY_DIR"]


def test_two_studies_with_the_same_id_get_their_own_keys(mini, tmp_path):
    other = MiniStudy(tmp_path / "elsewhere" / "mini")
    shutil.copytree(mini.root, other.root)
    assert mini.ingest().status == 0 and other.ingest().status == 0
    first = json.loads((mini.processed / "study_identifier.json").read_text(encoding="utf-8"))
    second = json.loads((other.processed / "study_identifier.json").read_text(encoding="utf-8"))
    assert first["identifier"] != second["identifier"]
    assert first["key_fingerprint"] != second["key_fingerprint"]
    keys = {p.name for p in os.scandir(_key_dir())}
    assert {f"mini-{first['identifier']}.key", f"mini-{second['identifier']}.key"} <= keys
    ids = [pd.read_parquet(s.processed / "responses.parquet")["id_number_key"] for s in (mini, other)]
    assert not set(ids[0]) & set(ids[1])  # the same people, different pseudonyms: nothing shared silently


def test_reingest_keeps_the_key_and_the_pseudonyms(ingested):
    before = pd.read_parquet(ingested.processed / "responses.parquet")["id_number_key"]
    assert ingested.ingest().status == 0
    after = pd.read_parquet(ingested.processed / "responses.parquet")["id_number_key"]
    assert before.equals(after)


def test_validate_alone_creates_no_key(mini):
    before = set(os.listdir(_key_dir())) if os.path.isdir(_key_dir()) else set()
    assert mini.run("validate", str(mini.yaml)).status == 0
    after = set(os.listdir(_key_dir())) if os.path.isdir(_key_dir()) else set()
    assert before == after and not mini.processed.exists()


def _key_path(study):
    identifier = json.loads((study.processed / "study_identifier.json").read_text(encoding="utf-8"))["identifier"]
    return os.path.join(_key_dir(), f"mini-{identifier}.key")


@pytest.mark.parametrize("damage, names", [
    (lambda path: open(path, "w").write("not hexadecimal at all\n"), ["not a valid pseudonymisation key"]),
    (lambda path: open(path, "w").write("abcd\n"), ["not a valid pseudonymisation key", "64 hexadecimal"]),
    (lambda path: open(path, "wb").write(b"\xff\xfe\x00"), ["not a valid pseudonymisation key"]),
    (lambda path: os.remove(path), ["key not found", "SURVEY_KEY_DIR"]),
    (lambda path: open(path, "w").write("ab" * 32 + "\n"), ["does not match", "fingerprint"]),
])
def test_damaged_missing_or_other_key(ingested, damage, names):
    path = _key_path(ingested)
    os.chmod(path, 0o600)
    damage(path)
    assert_one_line_error(ingested.ingest(), ".key", *names)
    assert_one_line_error(ingested.run("validate", str(ingested.yaml)), *names)


def test_damaged_study_identifier(ingested):
    (ingested.processed / "study_identifier.json").write_text("{", encoding="utf-8")
    assert_one_line_error(ingested.ingest(), "study_identifier.json", "delete the processed folder")


def test_output_folder_that_cannot_be_created(mini):
    mini.processed.write_text("a file where the folder should be", encoding="utf-8")
    assert_one_line_error(mini.ingest(), "processed", "cannot create the output folder")


def test_read_only_output_folder(ingested, monkeypatch):
    """As root a read-only folder is writable, so the refusal the file system would give is simulated."""
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")
    before = (ingested.processed / "responses.parquet").read_bytes()
    monkeypatch.setattr(os, "replace", refuse)
    assert_one_line_error(ingested.ingest(), "processed/", "cannot write", "permission denied")
    monkeypatch.undo()
    assert (ingested.processed / "responses.parquet").read_bytes() == before  # the previous complete file
    assert not [p for p in os.listdir(ingested.processed) if p.endswith(".tmp") or ".tmp." in p]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_for_real(ingested):
    os.chmod(ingested.processed, 0o500)
    try:
        assert_one_line_error(ingested.ingest(), "processed", "cannot write")
    finally:
        os.chmod(ingested.processed, 0o700)


@pytest.mark.parametrize("damage, names", [
    (lambda p: (p / "manifest.json").write_text("{not json", encoding="utf-8"), ["manifest.json", "unreadable"]),
    (lambda p: (p / "manifest.json").unlink(), ["manifest.json", "missing"]),
    (lambda p: (p / "responses.parquet").write_bytes(b""), ["responses.parquet", "does not match"]),
    (lambda p: (p / "responses.parquet").unlink(), ["responses.parquet"]),
    (lambda p: (p / "responses.parquet").write_bytes((p / "responses.parquet").read_bytes()[:-10] + b"0" * 10),
     ["responses.parquet", "does not match"]),
    (lambda p: (p / "manifest.json").write_text(json.dumps({"study": "mini"}), encoding="utf-8"),
     ["manifest.json", "no file hashes"]),
])
def test_the_next_step_says_so_when_intake_outputs_do_not_match_their_manifest(ingested, damage, names):
    damage(ingested.processed)
    if not (ingested.processed / "responses.parquet").exists():
        run = ingested.run("score", str(ingested.yaml))  # no responses: scoring runs intake first
        assert run.status == 0, run.err
        accounted(ingested)
        return
    line = assert_one_line_error(ingested.run("score", str(ingested.yaml)), *names)
    assert "survey ingest" in line


def test_after_a_mismatch_the_rerun_succeeds(ingested):
    (ingested.processed / "responses.parquet").write_bytes(b"")
    assert ingested.ingest().status == 0
    assert ingested.run("score", str(ingested.yaml)).status == 0


def test_manifest_records_the_hash_of_every_output(ingested):
    from survey.outputs import check_manifest, sha256_of

    manifest = json.loads((ingested.processed / "manifest.json").read_text(encoding="utf-8"))
    for name in ("responses.parquet", "validation_report.csv", "validation_summary.md", "study_identifier.json"):
        assert manifest["files"][name]["sha256"] == sha256_of(ingested.processed / name)
    assert check_manifest(ingested.processed).ok
    assert "every file matches" in check_manifest(ingested.processed).summary()
