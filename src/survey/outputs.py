"""Atomic outputs and the manifests that describe them.

Every file a step writes under ``data/<study>/processed/`` and ``reports/<study>/`` is
written to a temporary name in the same folder and renamed into place (``os.replace``), so
a reader, or a run killed half-way, only ever sees the previous complete file or the new
complete one, never a part. A step writes its manifest last: the SHA-256 of each file it
describes. :func:`check_manifest` compares a folder with its manifest, so the next step can
rerun what is stale or say so in one line instead of reading a mismatched set of files.

Example
-------
>>> with atomic_path(folder / "table.csv") as tmp:          # doctest: +SKIP
...     frame.to_csv(tmp, index=False)
>>> write_manifest(folder, ["table.csv"], {"step": "x"})    # doctest: +SKIP
>>> check_manifest(folder).ok                               # doctest: +SKIP
True
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from survey.errors import SurveyError

MANIFEST = "manifest.json"


class OutputError(SurveyError):
    """An output cannot be written (permissions, a full disk, a name too long)."""


def _reason(error: OSError) -> str:
    if error.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return (error.strerror or type(error).__name__).lower()


def ensure_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents); a one-line OutputError when that is not possible."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"{folder}: cannot create the output folder: {_reason(error)}; "
                          "choose a writable place or fix the folder's permissions") from None
    return folder


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed to ``path`` when the block succeeds, removed if it fails."""
    path = Path(path)
    ensure_folder(path.parent)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=f".tmp{path.suffix[:16]}", dir=path.parent)
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {_reason(error)}; make {path.parent} writable") from None
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write: {_reason(error)}; make {path.parent} writable "
                          "or free some space") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))


def write_json(path: str | Path, record: Any) -> Path:
    return write_text(path, json.dumps(record, ensure_ascii=False, indent=1, default=_json_default) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame, **options) -> Path:
    options.setdefault("index", False)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, **options)
    return Path(path)


def write_parquet(path: str | Path, frame: pd.DataFrame, **options) -> Path:
    options.setdefault("index", False)
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, **options)
    return Path(path)


def write_excel(path: str | Path, frame: pd.DataFrame, **options) -> Path:
    """``frame.to_excel`` to ``path`` atomically, with xlsxwriter by default.

    xlsxwriter assembles the workbook in memory (its ``in_memory`` option) instead of writing
    each of its parts to a temporary file first: the same file, without a dozen files made and
    removed per workbook.
    """
    options.setdefault("index", False)
    options.setdefault("engine", "xlsxwriter")
    if options["engine"] == "xlsxwriter":
        engine_options = dict(options.get("engine_kwargs") or {})
        engine_options["options"] = {"in_memory": True, **engine_options.get("options", {})}
        options["engine_kwargs"] = engine_options
    with atomic_path(path) as tmp:
        frame.to_excel(tmp, **options)
    return Path(path)


def save_figure(path: str | Path, figure, **options) -> Path:
    """``figure.savefig`` to ``path`` atomically (the format comes from the path's suffix).

    An SVG's element ids are salted with the file's name instead of random numbers, so that the same
    figure gives the same bytes (matplotlib's ``svg.hashsalt``).
    """
    import matplotlib

    path = Path(path)
    options.setdefault("format", path.suffix.lstrip(".") or "png")
    salt = {"svg.hashsalt": path.name} if options["format"] == "svg" and not matplotlib.rcParams["svg.hashsalt"] else {}
    with atomic_path(path) as tmp, matplotlib.rc_context(salt):
        figure.savefig(tmp, **options)
    return path


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def sha256_of(path: str | Path) -> str:
    sha = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def write_manifest(folder: str | Path, files: Iterable[str], record: dict | None = None,
                   name: str = MANIFEST) -> Path:
    """Write ``folder/name`` last: ``record`` plus ``files`` -> SHA-256 and size of each (names relative)."""
    folder = Path(folder)
    described = {}
    for relative in files:
        path = folder / relative
        described[str(relative)] = {"sha256": sha256_of(path), "bytes": path.stat().st_size}
    return write_json(folder / name, {**(record or {}), "files": described})


def read_manifest(folder: str | Path, name: str = MANIFEST) -> dict | None:
    """The manifest as a dict; None when there is none or it cannot be read (damaged, or half-written)."""
    path = Path(folder) / name
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


@dataclass
class ManifestCheck:
    """How a folder compares with its manifest: ``ok``, or the problems (one line each)."""

    folder: Path
    name: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line: that the folder matches, or the first problem and how many more."""
        if self.ok:
            return f"{self.folder / self.name}: every file matches the manifest"
        more = f" (+{len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{self.folder / self.name}: {self.problems[0]}{more}"


def check_manifest(folder: str | Path, name: str = MANIFEST, expect: Iterable[str] = ()) -> ManifestCheck:
    """Compare the files of ``folder`` with ``folder/name``: missing, changed or undescribed files are problems.

    ``expect`` lists files the manifest must describe (so an older manifest without them is stale).
    Never raises for a damaged folder or manifest: the problems say what is wrong.
    """
    folder = Path(folder)
    check = ManifestCheck(folder, name)
    record = read_manifest(folder, name)
    if record is None:
        state = "missing" if not (folder / name).exists() else "unreadable"
        check.problems.append(f"manifest {state}; rerun the step that writes {folder}")
        return check
    files = record.get("files")
    if not isinstance(files, dict):
        check.problems.append("manifest records no file hashes (written by an older version); rerun the step")
        return check
    for relative in expect:
        if relative not in files:
            check.problems.append(f"{relative} is not described by the manifest; rerun the step")
    for relative, entry in files.items():
        path = folder / relative
        if not path.is_file():
            check.problems.append(f"{relative} is missing; rerun the step that writes it")
            continue
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        if not expected or sha256_of(path) != expected:
            check.problems.append(f"{relative} does not match the manifest (changed or left half-written "
                                  "by an interrupted run); rerun the step that writes it")
    return check


class StaleOutputError(SurveyError):
    """A step's outputs do not match their manifest: the step must run again."""


def require_manifest(folder: str | Path, name: str, expect: Iterable[str], fix: str) -> None:
    """Raise StaleOutputError (one line, ending with ``fix``) unless ``folder`` matches its manifest."""
    check = check_manifest(folder, name, expect)
    if not check.ok:
        raise StaleOutputError(f"{check.summary()}; {fix}")
