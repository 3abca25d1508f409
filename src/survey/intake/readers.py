"""Readers for survey exports: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK), XLSX, SPSS .sav, Parquet.

Every reader returns the cells as text (missing where empty) so that nothing is converted
silently: the intake step decides, column by column, what each value means and records what
it could not interpret. CSV encodings are detected by strict decoding, never guessed: a
byte-order mark means UTF-8 with BOM; otherwise the file must decode as UTF-8 or, failing
that, as GB18030 (a superset of GBK and GB2312). A file that decodes as neither is an error.

Example
-------
>>> from survey.intake.readers import read_table
>>> table = read_table("data/demo/raw/wave2024_platform_export.csv")   # doctest: +SKIP
>>> table.encoding                                                     # doctest: +SKIP
'gb18030'
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survey.errors import InputFileError

BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """An export as read: text cells, plus what the file said about itself.

    ``duplicate_headers`` maps a header that the file has more than once to the (1-based)
    positions of its columns; the later ones are renamed ``header (2)``, ``header (3)``... so
    that nothing is dropped, and intake refuses a study that maps such a header.
    """

    path: Path
    data: pd.DataFrame
    encoding: str | None = None
    value_labels: dict[str, dict] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)
    duplicate_headers: dict[str, list[int]] = field(default_factory=dict)


def _with_header(path: Path, grid: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[int]]]:
    """Use the first row of a header-less grid as the column names, keeping duplicates apart."""
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        raise InputFileError(f"{path}: expected a header row and data rows, found an empty table; "
                             "export the survey again")
    headers = [_header_text(value, i) for i, value in enumerate(grid.iloc[0].tolist())]
    frame = grid.iloc[1:].reset_index(drop=True)
    frame.columns = _unique(headers)
    return frame, _duplicates(headers)


def _header_text(value, position: int) -> str:
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return f"(column {position + 1})"
    return _code_text(value) if isinstance(value, float) else str(value)


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        out.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return out


def _duplicates(headers: list[str]) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for i, header in enumerate(headers, start=1):
        positions.setdefault(header, []).append(i)
    return {h: p for h, p in positions.items() if len(p) > 1}


def _no_rows(path: Path, frame: pd.DataFrame) -> None:
    if len(frame) == 0:
        raise InputFileError(f"{path}: expected data rows below the header, found none; "
                             "check that the export holds the answers, or remove the input from study.yaml")


def detect_encoding(raw: bytes, path: Path) -> str:
    """Return 'utf-8-sig', 'utf-8' or 'gb18030', by strict decoding; raise if none fits."""
    if raw.startswith(BOM):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            raw.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            raise InputFileError(
                f"{path}: cannot decode: expected UTF-8, UTF-8 with BOM or GB18030/GBK text, found bytes "
                f"{raw[utf8_error.start:utf8_error.start + 4]!r} at byte {utf8_error.start} that fit none; "
                "set `encoding:` for this input in study.yaml"
            ) from None


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as Python str, None where empty; integral floats lose their '.0'."""
    out = {}
    for column in frame.columns:
        series = frame[column]
        text = pd.Series(None, index=series.index, dtype=object)
        present = series.notna().to_numpy()
        if pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype=float, na_value=float("nan"))
            whole = present & (values % 1 == 0)
            text[whole] = values[whole].astype("int64").astype(str)
            text[present & ~whole] = values[present & ~whole].astype(str)
        elif pd.api.types.is_datetime64_any_dtype(series):
            text[present] = series[present].dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()
        elif pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
            # typed columns (Parquet): each distinct value written once (numpy's digits are str()'s)
            kind = "int64" if pd.api.types.is_integer_dtype(series) else bool
            codes, uniques = pd.factorize(series[present].to_numpy(dtype=kind))
            cells = text.to_numpy(dtype=object, copy=True)  # missing cells as the other branches leave them
            cells[present] = np.asarray(uniques).astype(str).astype(object)[codes]
            out[str(column)] = pd.Series(cells, index=series.index, dtype=object)
            continue
        elif pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
            text[present] = series[present].to_numpy(dtype=object)
        else:
            values = series[present]
            floats = values.map(type).eq(float)  # Excel stores whole numbers as floats in object columns
            values = values.where(~floats, values[floats].map(_code_text))
            text[present] = values.astype(str).to_numpy()
        out[str(column)] = text.where(text != "", None)
    return pd.DataFrame(out, index=frame.index, dtype=object)


def read_csv(path: Path, encoding: str = "auto") -> RawTable:
    raw = _read_bytes(path)
    if not raw.strip():
        raise InputFileError(f"{path}: the file is empty ({len(raw)} bytes); export the survey again")
    if encoding == "auto":
        encoding = detect_encoding(raw, path)
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(f"{path}: cannot decode as {encoding}: {' '.join(str(exc).split())}; "
                             "set `encoding:` for this input in study.yaml") from None
    try:
        grid = pd.read_csv(io.StringIO(text), dtype=str, header=None, keep_default_na=False, na_filter=False)
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file holds no table (only blank lines); export the survey again") from None
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path}: not a well-formed CSV file: {str(exc).strip().splitlines()[0]}") from None
    frame, duplicates = _with_header(path, grid)
    _no_rows(path, frame)
    return RawTable(path=path, data=_as_text(frame), encoding=encoding, duplicate_headers=duplicates)


def read_xlsx(path: Path, sheet: str | int = 0) -> RawTable:
    """An .xlsx sheet read with calamine, every cell as text the way the CSV reader gives it.

    Cells are converted once, column by column (whole-number floats lose their '.0', dates are
    written ``YYYY-MM-DD HH:MM:SS``), rather than through pandas' per-cell Excel conversion.
    """
    from python_calamine import CalamineWorkbook

    _read_bytes(path, probe=True)
    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise _sheet_not_found(path, sheet)
            table = book.get_sheet_by_index(sheet)
        else:
            if sheet not in names:
                raise _sheet_not_found(path, sheet)
            table = book.get_sheet_by_name(sheet)
        rows = table.to_python(skip_empty_area=False)
    except InputFileError:
        raise
    except Exception as exc:  # calamine raises its own error types for damaged or renamed files
        raise _not_excel(path, exc) from None
    width = max((len(row) for row in rows), default=0)
    grid = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object)
    frame, duplicates = _with_header(path, grid)
    _no_rows(path, frame)
    text = {column: _column_text(frame[column].to_numpy(dtype=object)) for column in frame.columns}
    return RawTable(path=path, data=pd.DataFrame(text, index=frame.index, dtype=object),
                    duplicate_headers=duplicates)


def _sheet_not_found(path: Path, sheet) -> InputFileError:
    return InputFileError(f"{path}: sheet {sheet!r} not found; set `sheet:` for this input in "
                          "study.yaml to a sheet name or number")


def _column_text(cells: np.ndarray) -> np.ndarray:
    """:func:`_cell_text` of every cell of one column, as ``Series.map(_cell_text)`` gives it.

    Text cells are kept (empty text is missing); every other distinct value of each Python type is
    converted once (grouped by exact type, so ``True``, ``1`` and ``1.0``, which compare equal, stay
    apart). Missing cells are NaN when the column has any text, else None: what pandas makes of the
    mapped column (text with missing values becomes a string column, and that an ``object`` one).
    """
    if pd.api.types.infer_dtype(cells, skipna=False) == "string":  # only text: the common case, no conversion
        out = cells.copy()
        empty = cells == ""
        out[empty] = np.nan if not empty.all() else None
        return out
    out = np.empty(len(cells), dtype=object)
    types = np.fromiter(map(type, cells), dtype=object, count=len(cells))
    text = np.equal(types, str)  # exactly str; a subclass of str goes the general way (its cells stay as they are)
    words = cells[text]
    out[text] = np.where(words == "", None, words)
    other = np.flatnonzero(~text)
    kinds, found = pd.factorize(types[other])
    for kind in range(len(found)):
        where = other[kinds == kind]
        values = cells[where]
        gaps = pd.isna(values)  # None, NaN, NaT: one by one (factorize would make them one missing value)
        out[where[gaps]] = [_cell_text(value) for value in values[gaps]]
        where, values = where[~gaps], values[~gaps]
        codes, uniques = pd.factorize(values)
        converted = np.empty(len(uniques), dtype=object)
        converted[:] = [_cell_text(value) for value in uniques]
        out[where] = converted[codes]
    missing = pd.isna(out)  # None: empty text and what _cell_text finds empty
    out[missing] = np.nan if (~missing).any() else None
    return out


def _cell_text(value) -> str | None:
    """One Excel cell as text: None when empty; whole-number floats without '.0'; dates as pandas writes them."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return _code_text(value)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta) and not isinstance(value, bool):
        return str(pd.Timestamp(value)) if isinstance(value, datetime.date) else str(value)
    return str(value)


def _not_excel(path: Path, exc: Exception) -> InputFileError:
    reason = " ".join(str(exc).split())[:120] or type(exc).__name__
    return InputFileError(f"{path}: not a readable Excel .xlsx file ({reason}); open and save it again in Excel, "
                          "or export the survey again (a CSV export also works)")


def _read_bytes(path: Path, probe: bool = False) -> bytes:
    """The file's bytes (or, with ``probe``, a check that it can be opened and is not empty)."""
    try:
        if probe:
            with path.open("rb") as handle:
                head = handle.read(8)
            if not head:
                raise InputFileError(f"{path}: the file is empty (0 bytes); export the survey again")
            return head
        return path.read_bytes()
    except PermissionError:
        raise InputFileError(f"{path}: permission denied: cannot read the file; check its permissions") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: expected a file, found a folder") from None


def read_sav(path: Path) -> RawTable:
    """SPSS .sav: codes as stored, with the value labels and variable labels kept alongside."""
    import pyreadstat

    _read_bytes(path, probe=True)
    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError types
        raise InputFileError(f"{path}: not a readable SPSS file: {' '.join(str(exc).split())[:120]}; "
                             "save it again in SPSS or export the survey again") from None
    _no_rows(path, frame)
    labels = {
        var: {_code_text(k): str(v) for k, v in mapping.items()} for var, mapping in meta.variable_value_labels.items()
    }
    return RawTable(path=path, data=_as_text(frame), value_labels=labels,
                    variable_labels=dict(zip(meta.column_names, meta.column_labels, strict=True)))


def _code_text(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def read_parquet(path: Path) -> RawTable:
    _read_bytes(path, probe=True)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow's errors for damaged files
        raise InputFileError(f"{path}: not a readable Parquet file: {' '.join(str(exc).split())[:120]}") from None
    headers = [str(c) for c in frame.columns]
    frame.columns = _unique(headers)
    _no_rows(path, frame)
    return RawTable(path=path, data=_as_text(frame), duplicate_headers=_duplicates(headers))


def read_table(
    path: str | Path, format: str | None = None, *, encoding: str = "auto", sheet: str | int = 0, hint: str = ""
) -> RawTable:
    """Read an export of any supported format; ``format`` defaults to the file's extension.

    ``hint`` ends the message when the file is missing (e.g. which setting names it).
    """
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{path}: expected a file, found a folder{hint}")
    if not path.is_file():
        raise InputFileError(f"{path}: input file not found{hint}")
    fmt = format or {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xlsm": "xlsx", "sav": "sav", "zsav": "sav",
                     "parquet": "parquet"}.get(path.suffix.lower().lstrip("."))
    if fmt == "csv":
        return read_csv(path, encoding)
    if fmt == "xlsx":
        return read_xlsx(path, sheet)
    if fmt == "sav":
        return read_sav(path)
    if fmt == "parquet":
        return read_parquet(path)
    raise InputFileError(f"{path}: unsupported format {fmt or path.suffix!r}: expected csv, xlsx, sav or parquet")
