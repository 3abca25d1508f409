"""Every path the workspace uses, derived from one place.

The project root is the folder holding ``pyproject.toml`` (found from this file when the
package is installed editable, or from the working directory). Studies live in
``data/<study>/`` with ``raw/`` (immutable exports), ``processed/`` (regenerated) and
``study.yaml``; generated reports go to ``reports/<study>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTRUMENTS_DIR = PACKAGE_DIR / "instruments"
REFERENCE_DATA_DIR = PACKAGE_DIR / "reference_data"


def project_root() -> Path:
    """The workspace root: ``$SURVEY_PROJECT_ROOT``, else the nearest folder with a pyproject.toml."""
    env = os.environ.get("SURVEY_PROJECT_ROOT")
    if env:
        return Path(env).resolve()
    for start in (PACKAGE_DIR, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if (folder / "pyproject.toml").is_file() and (folder / "data").is_dir():
                return folder
    return Path.cwd().resolve()


def data_dir() -> Path:
    return project_root() / "data"


def reports_dir() -> Path:
    return project_root() / "reports"


def demo_study_file() -> Path:
    return data_dir() / "demo" / "study.yaml"


def key_dir() -> Path:
    """Where pseudonymisation keys live: outside the repository, never in git.

    ``$SURVEY_KEY_DIR`` if set, else ``~/.config/survey-workspace/keys``.
    """
    env = os.environ.get("SURVEY_KEY_DIR")
    if env:
        return Path(env).expanduser().resolve()
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "survey-workspace" / "keys"
