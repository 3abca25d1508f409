"""Removal of personal identifiers: drop them, or replace them by a keyed hash.

Pseudonyms are HMAC-SHA256 of the normalised identifier under a study key of 32 random
bytes. The key lives outside the repository (``survey.paths.key_dir()``, or ``pii.key_file``
in study.yaml), is created on the first ingest, and is required afterwards: without it the
same person would get a different pseudonym, so a missing key is an error once processed
data exist.
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


def key_path(study_id: str, configured: str | None = None, root: Path | None = None) -> Path:
    if configured:
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else (root or Path.cwd()) / path
    return key_dir() / f"{study_id}.key"


def fingerprint(key: bytes) -> str:
    """A short public digest of the key, recorded in the manifest to detect a changed key."""
    return hashlib.sha256(b"survey-key-fingerprint" + key).hexdigest()[:16]


def load_or_create_key(path: Path, expected_fingerprint: str | None) -> tuple[bytes, bool]:
    """Return (key, created). Create the key only when no earlier output depends on one."""
    if path.is_file():
        key = bytes.fromhex(path.read_text().strip())
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
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
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
