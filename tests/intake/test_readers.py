"""Readers: encodings are detected, not guessed; formats keep what they know."""

import datetime

import numpy as np
import pandas as pd
import pytest

from survey.errors import InputFileError
from survey.intake.readers import detect_encoding, read_parquet, read_table

TEXT = "姓名,答案\n张三,好几天\n李四, 几乎每天 \n"


@pytest.mark.parametrize("encoding, expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                 ("gb18030", "gb18030"), ("gbk", "gb18030")])
def test_csv_encodings_are_detected(tmp_path, encoding, expected):
    path = tmp_path / "export.csv"
    path.write_bytes(TEXT.encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert list(table.data.columns) == ["姓名", "答案"]
    assert table.data["答案"].tolist() == ["好几天", " 几乎每天 "]


def test_undecodable_bytes_name_the_file_and_offset(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes("a,b\n".encode() + b"\xff\xfe\x80\x80\n")
    with pytest.raises(InputFileError) as err:
        read_table(path)
    message = str(err.value)
    assert "broken.csv" in message and "byte 4" in message and "\n" not in message


def test_detect_encoding_prefers_bom():
    assert detect_encoding(b"\xef\xbb\xbfa", None) == "utf-8-sig"


def test_empty_cells_become_none_and_numbers_keep_their_text(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,\n2.5,x\n", encoding="utf-8")
    data = read_table(path).data
    assert data["a"].tolist() == ["1", "2.5"]
    assert data["b"].isna().tolist() == [True, False] and data["b"][1] == "x"


def test_xlsx_parquet_round_trip(tmp_path):
    frame = pd.DataFrame({"编号": [1, 2], "答案": ["好几天", None], "权重": [1.5, 2.0]})
    frame.to_excel(tmp_path / "x.xlsx", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    for name in ("x.xlsx", "x.parquet"):
        data = read_table(tmp_path / name).data
        assert data["编号"].tolist() == ["1", "2"]
        assert data["答案"][0] == "好几天" and pd.isna(data["答案"][1])
        assert data["权重"].tolist() == ["1.5", "2"]


def test_sav_keeps_value_labels(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"q1": [1.0, 2.0, None]})
    pyreadstat.write_sav(frame, tmp_path / "x.sav", variable_value_labels={"q1": {1.0: "完全不会", 2.0: "好几天"}},
                         column_labels={"q1": "PHQ-9第1题"})
    table = read_table(tmp_path / "x.sav")
    assert table.data["q1"][:2].tolist() == ["1", "2"] and pd.isna(table.data["q1"][2])
    assert table.value_labels["q1"] == {"1": "完全不会", "2": "好几天"}
    assert table.variable_labels["q1"] == "PHQ-9第1题"


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputFileError, match="not found"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.dta").write_text("x")
    with pytest.raises(InputFileError, match="unsupported format"):
        read_table(tmp_path / "x.dta")


def test_typed_parquet_columns_become_the_text_str_gives(tmp_path):
    """Integer and boolean columns take the per-distinct-value route; the text is str() of each cell."""
    import numpy as np

    rng = np.random.default_rng(14)
    n = 500
    frame = pd.DataFrame({
        "codes": rng.integers(-3, 5, n), "ids": rng.integers(-10**15, 10**15, n),
        "small": rng.integers(0, 200, n).astype(np.uint8), "flag": rng.random(n) < 0.5,
        "nullable": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 9, n)), dtype="Int64"),
        "maybe": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.5), dtype="boolean"),
        "text": pd.Series(np.where(rng.random(n) < 0.1, None, rng.choice(["a", "", "中文"], n)), dtype="str"),
    })
    frame.to_parquet(tmp_path / "typed.parquet")
    got = read_parquet(tmp_path / "typed.parquet").data
    for column in frame.columns:
        expected = [None if pd.isna(v) or v == "" else str(v) for v in frame[column].astype(object)]
        assert [None if pd.isna(v) else v for v in got[column]] == expected, column


def _cells_as_mapped(column: list) -> list:
    """What ``Series.map(_cell_text)`` in an ``object`` frame makes of a column: (type, value) per cell."""
    from survey.intake.readers import _cell_text

    mapped = pd.DataFrame({"x": pd.Series(column, dtype=object).map(_cell_text)}, dtype=object)["x"]
    return [(type(v).__name__, v if v == v else "NaN") for v in mapped]


@pytest.mark.parametrize("column", [
    [None, None, ""], ["", ""], ["a", None, ""], ["a", "b"], [1.0, 2.5, None, float("nan")],
    [True, 1, 1.0, "1", None], [False, 0, -0.0, 0.0, 1e20], [pd.NaT, float("nan"), 2.0, None],
    [datetime.datetime(2024, 1, 1, 9, 30), datetime.date(2024, 1, 2), ""],
    [datetime.time(9, 30), datetime.timedelta(hours=1), 3],
])
def test_excel_cells_as_text_column_at_once_as_cell_by_cell(column):
    from survey.intake.readers import _column_text

    converted = _column_text(np.array(column, dtype=object))
    framed = pd.DataFrame({"x": converted}, dtype=object)["x"]
    assert [(type(v).__name__, v if v == v else "NaN") for v in framed] == _cells_as_mapped(column)
