"""Broken, empty, renamed or missing files: one line naming the file and what to do, exit 2."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from mini_study import assert_one_line_error


def _write(name: str, data: bytes, *, answers: str | None = None):
    """Point the input at a new file ``raw/<name>`` holding ``data``."""
    def change(study):
        (study.root / "raw" / name).write_bytes(data)
        study.edit(lambda c: c["inputs"][0].update(file=f"raw/{name}", **({"answers": answers} if answers else {})))
    return change


def _xlsx_bytes(study) -> bytes:
    buffer = io.BytesIO()
    study.frame().to_excel(buffer, index=False)
    return buffer.getvalue()


def _xlsx(transform, name="export.xlsx"):
    def change(study):
        _write(name, transform(_xlsx_bytes(study)))(study)
    return change


def _flip(data: bytes) -> bytes:
    rng = np.random.default_rng(3)
    mutable = bytearray(data)
    for position in rng.integers(len(data) // 4, len(data), 40):
        mutable[position] ^= 0xFF
    return bytes(mutable)


def _csv_text(text: str, encoding="utf-8"):
    return lambda study: study.export.write_bytes(text.encode(encoding))


def _districts(text: str | None):
    def change(study):
        path = study.root / "districts.csv"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
    return change


def _extra_column(study, header: str) -> None:
    frame = study.frame()
    frame["__extra__"] = "30"
    study.export.write_bytes(frame.to_csv(index=False).replace("__extra__", header).encode("gb18030"))


HEADER = ",".join(["序号", "提交答卷时间", "姓名", "手机号码", "身份证号", "所在区县", "街道编号", "权重", "性别",
                   "年龄", "其他意见", *[f"Q{i}" for i in range(1, 17)]])
CASES = {
    "0-byte csv": (_csv_text(""), ["export.csv", "empty"]),
    "blank-lines csv": (_csv_text("\n\n  \n"), ["export.csv", "empty"]),
    "headers-only csv": (_csv_text(HEADER + "\n"), ["export.csv", "data rows"]),
    "undecodable csv": (lambda s: s.export.write_bytes(HEADER.encode() + b"\n\xff\xfe\x80\x81,\n"),
                        ["export.csv", "cannot decode", "encoding"]),
    "ragged csv": (lambda s: s.export.write_bytes(s.export.read_bytes() + ",".join(["x"] * 40).encode() + b"\n"),
                   ["export.csv", "not a well-formed CSV"]),
    "input file missing": (lambda s: s.export.unlink(), ["export.csv", "not found"]),
    "input is a folder": (lambda s: (s.export.unlink(), s.export.mkdir()), ["export.csv", "folder"]),
    "0-byte xlsx": (_write("export.xlsx", b""), ["export.xlsx", "empty"]),
    "truncated xlsx": (_xlsx(lambda data: data[: len(data) // 2]), ["export.xlsx", "not a readable Excel"]),
    "random-byte xlsx": (_write("export.xlsx", np.random.default_rng(1).bytes(4000)),
                         ["export.xlsx", "not a readable Excel"]),
    "csv renamed to xlsx": (lambda s: _write("export.xlsx", s.export.read_bytes())(s),
                            ["export.xlsx", "not a readable Excel"]),
    "bit-flipped xlsx": (_xlsx(_flip), ["export.xlsx", "not a readable Excel"]),
    "xlsx without the sheet": (lambda s: (_xlsx(lambda d: d)(s), s.edit(lambda c: c["inputs"][0].update(sheet="答卷"))),
                               ["export.xlsx", "sheet '答卷' not found", "sheet:"]),
    "random-byte sav": (_write("export.sav", np.random.default_rng(2).bytes(3000), answers="value_labels"),
                        ["export.sav", "not a readable SPSS file"]),
    "random-byte parquet": (_write("export.parquet", np.random.default_rng(4).bytes(3000)),
                            ["export.parquet", "not a readable Parquet file"]),
    "unknown extension": (_write("export.dta", b"x"), ["export.dta", "format"]),
    "duplicate mapped header": (lambda s: _extra_column(s, "年龄"),
                                ["export.csv", "'年龄'", "appears 2 times", "columns 10, 28"]),
    "mapped header missing": (lambda s: s.export.write_bytes(
        s.export.read_bytes().replace("年龄".encode("gb18030"), "岁数".encode("gb18030"), 1)),
        ["export.csv", "'年龄'", "not found"]),
    "districts.csv missing": (_districts(None), ["districts.csv", "districts", "found no file"]),
    "districts.csv empty": (_districts(""), ["districts.csv"]),
    "districts.csv without code": (_districts("id,name_zh,name_en\n1,东城区,Dongcheng\n"), ["districts.csv", "'code'"]),
    "300-character district code": (_districts("code,number,name_zh,name_en\n" + "d" * 300 + ",1,东城区,Dongcheng\n"),
                                    ["districts.csv", "column 'code'", "at most 64", "row 2"]),
    "district code twice": (_districts("code,name_zh,name_en\na,甲,A\na,乙,B\n"), ["districts.csv", "distinct"]),
    "district code empty": (_districts("code,name_zh,name_en\n,甲,A\n"), ["districts.csv", "row 2"]),
    "district number not a number": (_districts("code,number,name_zh,name_en\na,x,甲,A\n"),
                                     ["districts.csv", "column 'number'"]),
}


@pytest.mark.parametrize("case", CASES)
def test_broken_or_missing_file(mini, case):
    change, names = CASES[case]
    change(mini)
    assert_one_line_error(mini.ingest(), *names)
    assert not (mini.processed / "responses.parquet").exists()


def test_duplicate_headers_that_are_not_mapped_are_harmless(mini):
    frame = mini.frame()
    frame["备注"] = "a"
    frame["备注 "] = "b"
    text = frame.to_csv(index=False).replace("备注 ", "备注")
    mini.export.write_bytes(text.encode("gb18030"))
    assert mini.ingest().status == 0


def test_headers_only_xlsx_is_one_line(mini):
    buffer = io.BytesIO()
    mini.frame().iloc[:0].to_excel(buffer, index=False)
    _write("export.xlsx", buffer.getvalue())(mini)
    assert_one_line_error(mini.ingest(), "export.xlsx", "data rows")


def test_unknown_labels_and_codes_name_file_column_and_rows(mini):
    frame = mini.frame()
    frame.loc[[4, 9], "所在区县"] = "南区"
    mini.write_frame(frame)
    assert_one_line_error(mini.ingest(), "export.csv", "'所在区县'", "南区", "rows 6, 11")
    frame = mini.frame()
    frame["所在区县"] = pd.Series(frame["所在区县"])
    frame.loc[[4, 9], "所在区县"] = "东城区"
    frame.loc[3, "Q5"] = "A"
    mini.write_frame(frame)
    assert_one_line_error(mini.ingest(), "export.csv", "'Q5'", "'A'", "row 5")
