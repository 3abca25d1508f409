"""Shared test set-up: keys in a temporary folder, paths to the demo study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI results reproduce.
settings.register_profile("reproducible", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("reproducible")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with `make test-slow`")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _key_dir(tmp_path_factory, monkeypatch):
    """Pseudonymisation keys never touch the user's real key folder during tests."""
    monkeypatch.setenv("SURVEY_KEY_DIR", str(tmp_path_factory.getbasetemp() / "keys"))


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory) -> Path:
    """A private copy of the demo study (config, reference tables, raw exports), without outputs."""
    target = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("processed", "interim"))
    return target


@pytest.fixture(scope="session")
def demo_ingested(demo_copy):
    """The private demo copy after intake (processed/responses.parquet and the report)."""
    from survey.intake import ingest

    return ingest(demo_copy / "study.yaml")


@pytest.fixture(scope="session")
def demo_scored(demo_ingested):
    """The private demo copy after intake and scoring (processed/scored.parquet)."""
    from survey.scoring.study import score_study

    return score_study(demo_ingested.study)
