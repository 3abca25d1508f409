"""The study's district table (``districts:`` in study.yaml): read once, checked, one-line errors.

The table has one row per district with ``code`` (the value the data and report folders use),
``name_zh`` and ``name_en``, and optionally ``number`` (a numeric alias that exports may use).
Codes must be present, distinct and short enough to name a folder.

Example
-------
>>> read_districts(Path("data/demo/districts.csv"), key="districts")["code"].tolist()[:2]  # doctest: +SKIP
['linjiang', 'wanghu']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from survey.errors import ColumnError, InputFileError, example_rows
from survey.masking import shown

REQUIRED = ("code", "name_zh", "name_en")
#: Longest district code: it names a report folder, and file systems allow 255 bytes per name.
MAX_CODE_LENGTH = 64


def read_districts(path: Path, *, key: str = "districts") -> pd.DataFrame:
    """The district table at ``path``, checked; errors name the file, the column and the rows.

    Read once per version of the file (its size and modification time), then copied.
    """
    if not path.is_file():
        return _read_checked(path, None, None, key)
    stat = path.stat()
    return _read_checked(path, stat.st_mtime_ns, stat.st_size, key).copy()


@lru_cache(maxsize=16)
def _read_checked(path: Path, mtime_ns: int | None, size: int | None, key: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(f"{path}: {key}: expected the district table (CSV with columns "
                             f"{', '.join(REQUIRED)}), found no file; create it or correct `{key}` in study.yaml")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise InputFileError(f"{path}: expected UTF-8 or GB18030 text, found bytes that fit neither; "
                                 "save the district table as UTF-8") from None
    import io

    try:
        table = pd.read_csv(io.StringIO(text), dtype={"code": str, "name_zh": str, "name_en": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "empty file"
        raise InputFileError(f"{path}: expected a CSV district table with columns {', '.join(REQUIRED)}, "
                             f"found {first}") from None
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ColumnError(f"{path}: expected columns {', '.join(REQUIRED)}, column {missing[0]!r} not found; "
                          f"the file has: {', '.join(table.columns[:8])}")
    table["code"] = table["code"].fillna("").str.strip()
    rows = pd.Series(range(2, len(table) + 2))
    empty = (table["code"] == "").to_numpy()
    if empty.any():
        raise ColumnError(f"{path}: column 'code': expected a code for every district, found none in "
                          f"{example_rows(rows[empty])}")
    long = (table["code"].str.len() > MAX_CODE_LENGTH).to_numpy()
    if long.any():
        raise ColumnError(f"{path}: column 'code': expected codes of at most {MAX_CODE_LENGTH} characters "
                          f"(they name report folders), found {int(table['code'][long].str.len().max())} "
                          f"characters in {example_rows(rows[long])}; use a shorter code")
    twice = table["code"].duplicated(keep=False).to_numpy()
    if twice.any():
        raise ColumnError(f"{path}: column 'code': expected distinct codes, found {shown(table['code'][twice])} "
                          f"more than once in {example_rows(rows[twice])}")
    if "number" in table.columns:
        numbers = pd.to_numeric(table["number"], errors="coerce")
        bad = (numbers.isna() | (numbers % 1 != 0)).to_numpy() & table["number"].notna().to_numpy()
        if bad.any():
            raise ColumnError(f"{path}: column 'number': expected whole numbers, found "
                              f"{shown(table['number'][bad])} in {example_rows(rows[bad])}")
        table["number"] = numbers.astype("Int64")
    return table
