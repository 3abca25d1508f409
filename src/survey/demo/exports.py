"""Write the demo sample the way real survey platforms and field teams export it.

* 2023: an online-platform Excel export: Chinese headers, text answers, label variants.
* 2024: a GB18030-encoded CSV with numeric codes (six districts).
* 2024: an SPSS .sav from two county CDCs, answers coded 1..k with value labels.

Each export gets fake personal identifiers (name, mobile, 18-digit resident ID) and the
mess seen in practice: duplicate submissions, impossible ages, missing items, stray white
space in answer labels and out-of-range codes. What was planted is returned for the truth
file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from survey.instruments import Instrument

EDUCATION_ZH = {1: "小学及以下", 2: "初中", 3: "高中/中专", 4: "大专", 5: "本科及以上"}
OCCUPATION_ZH = {
    1: "农林牧渔",
    2: "工人",
    3: "商业服务业",
    4: "专业技术人员/公务员",
    5: "学生",
    6: "离退休",
    7: "无业/其他",
}
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.array(list("10X98765432"))
WHITESPACE_VARIANTS = (" {} ", "{} ", " {}", "{}\u3000", "\u3000{}", "{}\u00a0")


@dataclass
class Planted:
    """What an export file was given on purpose, counted on the rows intake should keep."""

    duplicates: int = 0
    impossible_ages: int = 0
    missing_items: int = 0
    whitespace_labels: int = 0
    out_of_range_codes: int = 0
    cells: list[dict] = field(default_factory=list)


def fake_identifiers(
    sample: pd.DataFrame, params: dict, field_dates: pd.Series, rng: np.random.Generator
) -> pd.DataFrame:
    """Names, mobile numbers and valid-looking resident ID numbers (fictional region codes 99xxxx)."""
    n = len(sample)
    names = params["names"]
    surname = np.array(list(names["surnames"]))[rng.integers(0, len(names["surnames"]), n)]
    given_chars = np.array(list(names["given"]))
    two = rng.random(n) < 0.7
    given = given_chars[rng.integers(0, given_chars.size, n)]
    given2 = np.where(two, given_chars[rng.integers(0, given_chars.size, n)], "")
    name = pd.Series(surname).str.cat([pd.Series(given), pd.Series(given2)])
    prefixes = np.array(["135", "136", "138", "139", "150", "151", "158", "177", "186", "188", "199"])
    mobile = pd.Series(prefixes[rng.integers(0, prefixes.size, n)]).str.cat(
        pd.Series(rng.integers(0, 10**8, n)).astype(str).str.zfill(8))
    region = sample["district"].map({d["code"]: d["region"] for d in params["districts"]}).to_numpy()
    birth = (field_dates.dt.normalize().to_numpy()
             - pd.to_timedelta(sample["age"].to_numpy() * 365.25 + rng.integers(1, 364, n), unit="D"))
    birth = pd.Series(pd.DatetimeIndex(birth).strftime("%Y%m%d"))
    sex_digit = np.where(
        sample["female"].to_numpy() == 1, rng.choice([0, 2, 4, 6, 8], n), rng.choice([1, 3, 5, 7, 9], n)
    )
    order = pd.Series(rng.integers(0, 100, n)).astype(str).str.zfill(2) + pd.Series(sex_digit).astype(str)
    body = pd.Series(region).str.cat([birth, order])
    clash = body.duplicated().to_numpy()
    while clash.any():  # resident ID numbers are unique: redraw the serial digits of any repeat
        redraw = pd.Series(rng.integers(0, 100, clash.sum())).astype(str).str.zfill(2).to_numpy()
        body[clash] = body[clash].str[:14] + redraw + body[clash].str[16:]
        clash = body.duplicated().to_numpy()
    digits = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8).reshape(n, 17).astype(int) - ord("0")
    check = ID_CHECK[(digits * ID_WEIGHTS).sum(axis=1) % 11]
    return pd.DataFrame({"name": name, "mobile": mobile, "id_number": body + check})


def field_times(n: int, wave: dict, rng: np.random.Generator) -> pd.Series:
    start = pd.Timestamp(wave["field_start"]) + pd.Timedelta(hours=8)
    minutes = rng.integers(0, wave["field_days"] * 24 * 60, n)
    minutes = (minutes // (24 * 60)) * 24 * 60 + (minutes % (24 * 60)) % (14 * 60)  # 08:00-22:00
    return pd.Series(start + pd.to_timedelta(np.sort(minutes), unit="min"))


def plant(table: pd.DataFrame, plan: dict, item_cols: list[str], age_col: str, time_col: str,
          id_col: str, make_id, rng: np.random.Generator, *, bad_code, whitespace: bool,
          blank) -> tuple[pd.DataFrame, Planted]:
    """Plant the mess on disjoint rows; copies for duplicates come last so they are rejected."""
    planted = Planted()
    n = len(table)
    order = rng.permutation(n)
    k_dup, k_age = plan["duplicates"], plan["impossible_ages"]
    dup_rows, age_rows, rest = order[:k_dup], order[k_dup:k_dup + k_age], order[k_dup + k_age:]
    table = table.copy()

    ages = rng.choice([0, 2, 7, 121, 150, 199, 999, -1], k_age)
    table.iloc[age_rows, table.columns.get_loc(age_col)] = ages
    planted.impossible_ages = k_age

    def answered_cells(count: int) -> list[tuple[int, str]]:
        cells: set[tuple[int, str]] = set()
        while len(cells) < count:
            row = int(rng.choice(rest))
            col = item_cols[int(rng.integers(0, len(item_cols)))]
            if not _is_blank(table.iat[row, table.columns.get_loc(col)]) and (row, col) not in cells:
                cells.add((row, col))
        return sorted(cells)

    used: set[tuple[int, str]] = set()
    for kind, count in (("missing_items", plan["missing_items"]), ("out_of_range_codes", plan["out_of_range_codes"]),
                        ("whitespace_labels", plan["whitespace_labels"] if whitespace else 0)):
        cells = [c for c in answered_cells(count + len(used)) if c not in used][:count]
        while len(cells) < count:  # rare: collisions with cells already used
            extra = [c for c in answered_cells(1) if c not in used and c not in cells]
            cells += extra
        for row, col in cells:
            j = table.columns.get_loc(col)
            if kind == "missing_items":
                table.iat[row, j] = blank
            elif kind == "out_of_range_codes":
                table.iat[row, j] = bad_code(col)
            else:
                table.iat[row, j] = WHITESPACE_VARIANTS[int(rng.integers(0, len(WHITESPACE_VARIANTS)))].format(
                    table.iat[row, j]
                )
            planted.cells.append({"kind": kind, "row": int(row), "column": col})
            used.add((row, col))
        setattr(planted, kind, len(cells))

    copies = table.iloc[np.sort(dup_rows)].copy()
    copies[time_col] = copies[time_col] + pd.to_timedelta(rng.integers(5, 600, k_dup), unit="min")
    copies[id_col] = [make_id(i) for i in range(n, n + k_dup)]
    planted.duplicates = k_dup
    table = pd.concat([table, copies], ignore_index=True)
    return table, planted


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == "" or value is pd.NA


def item_label(instrument: Instrument, item: str, codes: np.ndarray, rng: np.random.Generator,
               variant_share: float = 0.12) -> np.ndarray:
    """Text answers as a platform exports them: the standard Chinese label, sometimes a variant."""
    out = np.full(codes.size, "", dtype=object)
    for option in instrument.options(item):
        mask = codes == option.code
        labels = option.labels_zh
        out[mask] = labels[0]
        if len(labels) > 1:
            use_variant = mask & (rng.random(codes.size) < variant_share)
            out[use_variant] = np.array(labels[1:], dtype=object)[rng.integers(0, len(labels) - 1, use_variant.sum())]
    return out


def normalise_xlsx(path: Path) -> None:
    """Fix the workbook's timestamps so that the same seed writes the same bytes."""
    import zipfile

    fixed = (2024, 1, 1, 0, 0, 0)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re

                data = re.sub(
                    rb"<dcterms:(created|modified)([^>]*)>[^<]*<", rb"<dcterms:\1\2>2024-01-01T00:00:00Z<", data
                )
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=fixed), data, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(path)
