"""Typed reading for estimation: only the columns asked for, each in the type the file stores.

Intake reads exports as text so that it can decide, and record, what every cell means. A
one-off estimate (``survey estimate FILE``) needs none of that: it reads only the design,
domain and outcome columns, Parquet in its stored types and CSV with numbers parsed once.
The numbers are those of the text route: a number's text parses to the same float either
way, and a cell that is not a number still reaches the design's check as text.

* Parquet: the columns as stored (booleans, integers, floats, strings, categories).
* CSV (UTF-8, UTF-8 with BOM or GB18030, detected as :mod:`survey.intake.readers` does):
  empty cells are missing (and only they: "NA" stays text, so the design check names it);
  ``text`` columns (codes: strata, PSUs, domains) are kept as text, so "01" and "1" stay two
  codes; the others are parsed as numbers where every cell is one.
* A folder (its ``*.parquet`` files, sub-folders included) or a glob of partitions:
  :func:`partition_files` lists them, in natural name order (``part.2`` before ``part.10``).

Example
-------
>>> frame = read_columns("survey.parquet", ["weight", "psu", "y"])          # doctest: +SKIP
>>> files = partition_files("exports/2026/*.parquet")                      # doctest: +SKIP
"""

from __future__ import annotations

import glob
import io
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from survey.errors import ColumnError, InputFileError

PARQUET = (".parquet", ".parq", ".pq")
CSV = (".csv", ".txt")
_GLOB = re.compile(r"[*?\[]")


def _natural(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def partition_files(path: str | Path) -> list[Path]:
    """The files behind ``path``: the file itself, a folder's Parquet files, or a glob's matches.

    Examples
    --------
    >>> partition_files("data/parts")                # doctest: +SKIP
    [PosixPath('data/parts/part.0.parquet'), PosixPath('data/parts/part.1.parquet')]
    """
    text = str(path)
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted((p for p in path.rglob("*") if p.suffix.lower() in PARQUET and p.is_file()), key=_natural)
        if not files:
            raise InputFileError(f"{path}: expected Parquet files (*.parquet) in the folder, found none")
        return files
    if _GLOB.search(text):
        files = sorted((Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file()), key=_natural)
        if not files:
            raise InputFileError(f"{text}: no file matches the pattern")
        return files
    raise InputFileError(f"{path}: input file not found")


def _missing(path: Path, available: Sequence[str], wanted: Sequence[tuple[str, str]]) -> None:
    """Raise for the first (role, column) not among ``available``, as the design check words it."""
    names = set(available)
    for role, column in wanted:
        if column not in names:
            shown = ", ".join(map(str, list(available)[:12])) + (" ..." if len(available) > 12 else "")
            raise ColumnError(f"{role} column {column!r}: not found in the data ({path.name}; columns: {shown})")


def read_file_columns(path: Path, columns: Sequence[tuple[str, str]], *, text: Sequence[str] = ()) -> pd.DataFrame:
    """One file's ``columns`` (pairs of role and column name, e.g. ``("weight", "w")``), typed.

    ``text`` names the CSV columns to keep as text (codes). Row labels are the file's data rows
    from 0, as the intake readers number them in messages.
    """
    path = Path(path)
    names = list(dict.fromkeys(column for _, column in columns))
    suffix = path.suffix.lower()
    if suffix in PARQUET:
        return _parquet(path, names, columns)
    if suffix in CSV:
        return _csv(path, names, columns, text)
    raise InputFileError(f"{path}: unsupported format {path.suffix!r} for typed reading: expected csv or parquet")


def read_columns(path: str | Path, columns: Sequence[tuple[str, str]], *, text: Sequence[str] = ()) -> pd.DataFrame:
    """``columns`` of a file, folder or glob of partitions, in one DataFrame (rows numbered from 0)."""
    files = partition_files(path)
    frames = [read_file_columns(file, columns, text=text) for file in files]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _parquet(path: Path, names: list[str], columns: Sequence[tuple[str, str]]) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        available = pq.read_schema(path).names
    except Exception as exc:  # pyarrow's errors for damaged files
        raise InputFileError(f"{path}: not a readable Parquet file: {' '.join(str(exc).split())[:120]}") from None
    _missing(path, [n for n in available if not n.startswith("__index_level_")], columns)
    try:
        frame = pq.read_table(path, columns=names).to_pandas()
    except Exception as exc:
        raise InputFileError(f"{path}: not a readable Parquet file: {' '.join(str(exc).split())[:120]}") from None
    if len(frame) == 0:
        raise InputFileError(f"{path}: expected data rows, found none")
    return frame.reset_index(drop=True)


def _csv(path: Path, names: list[str], columns: Sequence[tuple[str, str]], text: Sequence[str]) -> pd.DataFrame:
    from survey.intake.readers import _read_bytes, detect_encoding

    raw = _read_bytes(path)
    if not raw.strip():
        raise InputFileError(f"{path}: the file is empty ({len(raw)} bytes); export the survey again")
    encoding = detect_encoding(raw, path)
    try:
        header = pd.read_csv(io.BytesIO(raw), encoding=encoding, header=None, nrows=1, dtype=str,
                             keep_default_na=False).iloc[0].tolist()
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        raise InputFileError(f"{path}: not a well-formed CSV file: {str(exc).strip().splitlines()[0]}") from None
    _missing(path, header, columns)
    repeated = sorted({n for n in names if header.count(n) > 1})
    if repeated:
        raise ColumnError(f"column {repeated[0]!r}: appears {header.count(repeated[0])} times in the header of "
                          f"{path.name}; rename the copies")
    try:
        frame = pd.read_csv(io.BytesIO(raw), encoding=encoding, usecols=names,
                            dtype={n: str for n in names if n in set(text)}, keep_default_na=False,
                            na_values=[""])
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path}: not a well-formed CSV file: {str(exc).strip().splitlines()[0]}") from None
    if len(frame) == 0:
        raise InputFileError(f"{path}: expected data rows below the header, found none")
    return frame[names]
