"""Fixtures of the bad-input suite: a fresh copy of the mini study for every test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mini_study import MiniStudy, make_mini_study


@pytest.fixture(scope="session")
def mini_template(tmp_path_factory) -> Path:
    return make_mini_study(tmp_path_factory.mktemp("mini-template") / "mini").root


@pytest.fixture
def mini(mini_template, tmp_path) -> MiniStudy:
    """A private copy of the mini study (config, districts, raw export), nothing processed yet."""
    target = tmp_path / "mini"
    shutil.copytree(mini_template, target)
    return MiniStudy(target)
