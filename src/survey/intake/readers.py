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

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survey.errors import InputFileError

BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """An export as read: text cells, plus what the file said about itself."""

    path: Path
    data: pd.DataFrame
    encoding: str | None = None
    value_labels: dict[str, dict] = field(default_factory=dict)
    variable_labels: dict[str, str] = field(default_factory=dict)


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
        else:
            values = series[present]
            floats = values.map(type).eq(float)  # Excel stores whole numbers as floats in object columns
            values = values.where(~floats, values[floats].map(_code_text))
            text[present] = values.astype(str).to_numpy()
        out[str(column)] = text.where(text != "", None)
    return pd.DataFrame(out, index=frame.index, dtype=object)


def read_csv(path: Path, encoding: str = "auto") -> RawTable:
    raw = path.read_bytes()
    if encoding == "auto":
        encoding = detect_encoding(raw, path)
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputFileError(f"{path}: cannot decode as {encoding}: {exc}") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{path}: not a well-formed CSV file: {str(exc).splitlines()[0]}") from None
    return RawTable(path=path, data=_as_text(frame), encoding=encoding)


def read_xlsx(path: Path, sheet: str | int = 0) -> RawTable:
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object, na_filter=False, engine="calamine")
    except ValueError as exc:
        raise InputFileError(f"{path}: cannot read sheet {sheet!r}: {exc}") from None
    return RawTable(path=path, data=_as_text(frame.astype(object)))


def read_sav(path: Path) -> RawTable:
    """SPSS .sav: codes as stored, with the value labels and variable labels kept alongside."""
    import pyreadstat

    try:
        frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat raises its own ReadstatError types
        raise InputFileError(f"{path}: not a readable SPSS file: {exc}") from None
    labels = {
        var: {_code_text(k): str(v) for k, v in mapping.items()} for var, mapping in meta.variable_value_labels.items()
    }
    return RawTable(path=path, data=_as_text(frame), value_labels=labels,
                    variable_labels=dict(zip(meta.column_names, meta.column_labels, strict=True)))


def _code_text(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def read_parquet(path: Path) -> RawTable:
    return RawTable(path=path, data=_as_text(pd.read_parquet(path)))


def read_table(
    path: str | Path, format: str | None = None, *, encoding: str = "auto", sheet: str | int = 0
) -> RawTable:
    """Read an export of any supported format; ``format`` defaults to the file's extension."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: input file not found")
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
