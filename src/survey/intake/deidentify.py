"""Removal of personal identifiers: drop them, or replace them by a keyed hash.

Pseudonyms are HMAC-SHA256 of the normalised identifier under a study key of 32 random
bytes. The key lives outside the repository (``survey.paths.key_dir()``, or ``pii.key_file``
in study.yaml), is created on the first ingest, and is required afterwards: without it the
same person would get a different pseudonym, so a missing key is an error once processed
data exist.

Keys are tied to the study, not only to its id: the first ingest draws a random study
identifier, stores it beside the processed data (``processed/study_identifier.json``, with
the key's fingerprint) and names the key ``<id>-<identifier>.key``. Two different studies
that are both called ``demo`` therefore never share a key without saying so (by pointing
``pii.key_file`` at the same file). Processed data from before this scheme keep their
``<id>.key``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import KeyFileError
from survey.paths import key_dir
from survey.study.paths import STUDY_IDENTIFIER

IDENTIFIER_FILE = STUDY_IDENTIFIER


def key_path(study_id: str, configured: str | None = None, root: Path | None = None,
             identifier: str | None = None) -> Path:
    """Where the study's key is: ``pii.key_file`` if set, else ``<key dir>/<id>-<identifier>.key``."""
    if configured:
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else (root or Path.cwd()) / path
    return key_dir() / (f"{study_id}-{identifier}.key" if identifier else f"{study_id}.key")


def new_identifier() -> str:
    """A random study identifier (16 hex digits)."""
    return secrets.token_hex(8)


def read_identifier(processed: Path) -> dict | None:
    """``processed/study_identifier.json`` (study id, identifier, key fingerprint), or None."""
    import json

    path = Path(processed) / IDENTIFIER_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = None
    if not isinstance(record, dict) or not isinstance(record.get("identifier"), str):
        raise KeyFileError(f"{path}: expected the study identifier written by intake, found unreadable content; "
                           "restore it from a backup, or delete the processed folder to start over")
    return record


def read_key(path: Path) -> bytes:
    """The key in ``path`` (64 hex digits); a damaged file is a one-line KeyFileError."""
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (UnicodeDecodeError, ValueError):
        key = b""
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read the pseudonymisation key: {error.strerror}") from None
    if len(key) != 32:
        raise KeyFileError(f"{path}: not a valid pseudonymisation key (expected 64 hexadecimal digits); "
                           "restore the key file from your backup, or delete the processed folder to start over")
    return key


def fingerprint(key: bytes) -> str:
    """A short public digest of the key, recorded in the manifest to detect a changed key."""
    return hashlib.sha256(b"survey-key-fingerprint" + key).hexdigest()[:16]


def load_or_create_key(path: Path, expected_fingerprint: str | None) -> tuple[bytes, bool]:
    """Return (key, created). Create the key only when no earlier output depends on one."""
    if path.is_file():
        key = read_key(path)
        if expected_fingerprint and fingerprint(key) != expected_fingerprint:
            raise KeyFileError(
                f"{path}: pseudonymisation key does not match the one used for the existing processed data "
                f"(fingerprint {fingerprint(key)}, expected {expected_fingerprint}); restore the original key "
                "or delete the processed folder to start over")
        return key, False
    if expected_fingerprint:
        raise KeyFileError(
            f"{path}: pseudonymisation key not found, but the processed data were made with key "
            f"{expected_fingerprint}; "
            "restore the key file (set SURVEY_KEY_DIR if it lives elsewhere) or delete the processed folder "
            "to start over"
        )
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(key.hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)  # complete or absent, and never over an existing key
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as error:
        raise KeyFileError(f"{path}: cannot create the pseudonymisation key: {error.strerror}; set "
                           "SURVEY_KEY_DIR or pii.key_file to a writable folder outside the repository") from None
    return key, True


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed hash (HMAC-SHA256, first 20 hex digits) of each identifier; missing stays missing.

    Identifiers are normalised first (white space removed, upper case) so that '11010...x'
    and '11010...X ' get the same pseudonym.
    """
    present = values.notna().to_numpy()
    normalised = values[present].astype(str).str.replace(r"\s+", "", regex=True).str.upper()
    unique, inverse = np.unique(normalised.to_numpy(dtype=str), return_inverse=True)
    digests = np.array(
        [hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:20] for u in unique], dtype=object
    )
    out = pd.Series(None, index=values.index, dtype=object)
    out[present] = digests[inverse] if unique.size else []
    return out
