"""The pinned environment: requirements/lock.txt, requirements/base.in and environment.yml agree."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _base() -> list[str]:
    lines = (ROOT / "requirements" / "base.in").read_text().splitlines()
    return [line.strip().lower() for line in lines if line.strip() and not line.startswith("#")]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines():
        if "==" in line:
            name, version = line.strip().split("==")
            pins[re.sub(r"[-_.]+", "-", name.lower())] = version
    return pins


def test_every_top_level_dependency_is_pinned():
    lock = _lock()
    missing = [name for name in _base() if re.sub(r"[-_.]+", "-", name) not in lock]
    assert missing == []


def test_environment_yml_lists_the_same_packages_and_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = dict(entry.split("==") for entry in pip)
    lock = _lock()
    assert sorted(n.lower() for n in listed) == sorted(_base())
    for name, version in listed.items():
        assert lock[re.sub(r"[-_.]+", "-", name.lower())] == version, name


def test_lock_pins_everything_exactly():
    lines = [l for l in (ROOT / "requirements" / "lock.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines and all("==" in l for l in lines)
