"""Fixtures of the bad-input suite: a fresh copy of the mini study for every test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mini_study import MiniStudy, accounted, make_mini_study


@pytest.fixture(scope="session")
def mini_template(tmp_path_factory) -> Path:
    return make_mini_study(tmp_path_factory.mktemp("mini-template") / "mini").root


@pytest.fixture
def mini(mini_template, tmp_path):
    """A private copy of the mini study (config, districts, raw export), nothing processed yet.

    After the test, whatever intake left in place as complete (its files match its manifest)
    must account for every row: rows in = kept + rejected.
    """
    from survey.outputs import check_manifest

    target = tmp_path / "mini"
    shutil.copytree(mini_template, target)
    study = MiniStudy(target)
    yield study
    if (study.processed / "manifest.json").is_file() and check_manifest(study.processed).ok:
        accounted(study)


@pytest.fixture(autouse=True)
def _log_dir(tmp_path, monkeypatch):
    """Logs of unexpected errors go to the test's folder, never the user's."""
    monkeypatch.setenv("SURVEY_LOG_DIR", str(tmp_path / "logs"))
