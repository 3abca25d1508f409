"""The demo generator is deterministic, and the committed demo files are its output."""

import hashlib
import json
from pathlib import Path

import pytest

from survey.demo.generate import generate

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


def _digests(folder):
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_seed_same_bytes(tmp_path):
    first = generate(tmp_path / "a", scale=0.03)
    second = generate(tmp_path / "b", scale=0.03)
    assert first == second
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    assert generate(tmp_path / "c", seed=7, scale=0.03)["prevalence"] != first["prevalence"]


def test_truth_file_has_the_pilot_effect_and_planted_counts():
    truth = json.loads((DEMO / "truth.json").read_text(encoding="utf-8"))
    assert set(truth["pilot_effect"]) >= {"literacy_adequate", "depression_phq9_ge10"}
    assert truth["pilot_effect"]["literacy_adequate"]["att"] > 0 > truth["pilot_effect"]["depression_phq9_ge10"]["att"]
    assert len(truth["prevalence"]["2023"]) == 9  # eight districts and the city
    assert truth["planted"]["total"]["duplicates"] == sum(truth["planted"][k]["duplicates"] for k in
                                                          ("wave2023", "wave2024", "wave2024_counties"))


@pytest.mark.slow
def test_committed_demo_files_are_the_generators_output(tmp_path):
    generate(tmp_path)
    committed = _digests(DEMO / "raw")
    assert _digests(tmp_path / "raw") == committed
    assert json.loads((tmp_path / "truth.json").read_text()) == json.loads((DEMO / "truth.json").read_text())
