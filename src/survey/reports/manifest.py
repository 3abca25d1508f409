"""Which district reports a rerun must redo: a small JSON manifest per district folder.

A report is redone when its input hash changed or its last run failed. The hash covers
everything the report depends on: the district's (and the city's) rows of every input table
(:meth:`~survey.reports.inputs.DistrictData.digest`), the parameters, the notebook file, the
study configuration and district table, the package version and the report package's own code
and wording files.

Example
-------
>>> needs_run(folder, digest)       # doctest: +SKIP
False
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import survey
from survey import outputs
from survey.study.paths import REPORT_HTML, REPORT_NOTEBOOK
from survey.study.paths import REPORT_MANIFEST as MANIFEST

__all__ = ["MANIFEST", "REPORT_HTML", "REPORT_NOTEBOOK", "input_hash", "needs_run", "read_manifest", "write_manifest"]
PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def package_digest() -> str:
    """SHA-256 of the report package's code and wording files (``survey/reports/*.py|yaml``)."""
    sha = hashlib.sha256(survey.__version__.encode())
    for path in sorted(PACKAGE_DIR.glob("*")):
        if path.suffix in (".py", ".yaml"):
            sha.update(path.name.encode())
            sha.update(path.read_bytes())
    return sha.hexdigest()


def input_hash(*, data_digest: str, parameters: dict, files: list[Path]) -> str:
    """One hash over the district's data digest, the parameters, the files' bytes and the package."""
    sha = hashlib.sha256()
    sha.update(data_digest.encode())
    sha.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    for path in files:
        sha.update(str(path.name).encode())
        sha.update(path.read_bytes() if path.is_file() else b"<missing>")
    sha.update(package_digest().encode())
    return sha.hexdigest()


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def write_manifest(folder: Path, *, district: str, digest: str, parameters: dict, status: str,
                   error: str = "", seconds: float | None = None, timings: dict[str, float] | None = None,
                   links: Sequence[Sequence[str]] = (), files: list[str] | None = None) -> Path:
    """Write the district's manifest (atomically, after the files it describes: their SHA-256)."""
    record = {"district": district, "status": status, "input_hash": digest, "parameters": parameters,
              "software_version": survey.__version__, "error": error,
              "seconds": None if seconds is None else round(seconds, 2),
              "timings": {part: round(value, 2) for part, value in (timings or {}).items()},
              "links": [list(link) for link in links]}
    if files is None:
        return outputs.write_json(Path(folder) / MANIFEST, record)
    return outputs.write_manifest(folder, files, record, name=MANIFEST)


def needs_run(folder: Path, digest: str) -> bool:
    """True unless the folder holds a successful report built from exactly these inputs (and unchanged since)."""
    record = read_manifest(folder)
    if not (record.get("status") == "ok" and record.get("input_hash") == digest
            and (Path(folder) / REPORT_HTML).is_file()):
        return True
    return "files" in record and not outputs.check_manifest(folder, MANIFEST).ok
