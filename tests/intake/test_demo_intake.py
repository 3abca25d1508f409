"""The demo study end to end through intake: counts equal the truth file, nothing lost, nothing leaked."""

import json
import re

import pandas as pd
import pyreadstat
import pytest

from survey.demo.checks import PLANTED_ISSUES as TRUTH_KEYS
from survey.errors import ColumnError, ConfigError, KeyFileError
from survey.intake import validate
from survey.study import load_study


@pytest.fixture(scope="module")
def ingested(demo_ingested):
    return demo_ingested


@pytest.fixture(scope="module")
def truth(demo_copy):
    return json.loads((demo_copy / "truth.json").read_text(encoding="utf-8"))


def test_planted_problems_are_found_with_the_truth_files_counts(ingested, truth):
    counts = ingested.counts()
    for input_id in ("wave2023", "wave2024", "wave2024_counties"):
        for planted, issue in TRUTH_KEYS.items():
            found = int(counts.loc[input_id, issue]) if issue in counts else 0
            assert found == truth["planted"][input_id][planted], (input_id, planted)


def test_every_row_is_kept_or_rejected_with_one_reason(ingested):
    counts = ingested.counts()
    assert (counts["rows_in"] == counts["rows_kept"] + counts["rows_rejected"]).all()
    rejected = ingested.report[ingested.report["action"] == "rejected"]
    assert not rejected.duplicated(["input", "row"]).any()
    assert len(ingested.data) == counts.loc["total", "rows_kept"]


def test_kept_rows_match_the_generated_sample(ingested, truth):
    """Kept = respondents drawn - those whose age was made impossible (duplicates are extra copies)."""
    by_wave = ingested.data.groupby("wave").size()
    inputs = {"2023": ["wave2023"], "2024": ["wave2024", "wave2024_counties"]}
    for wave, info in truth["sample"].items():
        impossible = sum(truth["planted"][i]["impossible_ages"] for i in inputs[wave])
        assert by_wave[int(wave)] == info["respondents"] - impossible


def test_sav_answers_are_mapped_through_value_labels(ingested):
    counties = ingested.data[ingested.data["source"] == "wave2024_counties"]
    assert set(counties["district"]) == {"shimen", "liuhe"}
    assert counties["phq9_1"].dropna().between(0, 3).all()
    assert counties["phq9_1"].dropna().eq(0).mean() > 0.5  # most people: "not at all"


def test_label_variants_and_codes_agree_across_exports(ingested):
    data = ingested.data
    for item in ("phq9_2", "isi_4", "nmhl_j14", "nmhl_vb3", "ad8_3"):
        shares = data.groupby("wave")[item].apply(lambda s: s.dropna().value_counts(normalize=True).sort_index())
        assert shares.index.get_level_values(1).isin(list(range(0, 10))).all()
    assert set(data["urban_rural"].dropna().unique()) == {1, 2}
    assert data["weight"].gt(0).all()


def _digit_windows(blob: bytes) -> set[bytes]:
    """Every 11- and 18-character window of every run of 11 or more digits (an ID may end in X)."""
    windows = set()
    for run in re.findall(rb"\d{11,}[Xx]?", blob):
        for n in (11, 18):
            windows.update(run[i:i + n] for i in range(len(run) - n + 1))
    return windows


def test_no_identifier_reaches_any_processed_output(ingested, demo_copy):
    frames = [
        pd.read_excel(demo_copy / "raw" / "wave2023_platform_export.xlsx", dtype=str, engine="calamine")[
            ["姓名", "手机号码", "身份证号"]
        ].set_axis(["name", "phone", "id"], axis=1),
        pd.read_csv(demo_copy / "raw" / "wave2024_platform_export.csv", encoding="gb18030", dtype=str)[
            ["姓名", "联系电话", "身份证号码"]
        ].set_axis(["name", "phone", "id"], axis=1),
        pyreadstat.read_sav(demo_copy / "raw" / "wave2024_county_cdc.sav")[0][["xm", "dh", "sfz"]].set_axis(
            ["name", "phone", "id"], axis=1
        ),
    ]
    pii = pd.concat(frames)
    out = demo_copy / "processed"
    parquet = pd.read_parquet(out / "responses.parquet")
    text_cells = set(parquet.select_dtypes(exclude="number").astype(str).stack().unique())
    for column in ("phone", "id", "name"):
        assert not set(pii[column].dropna()) & text_cells, column
    # every phone and ID number, searched in every byte of every output (two-character names may
    # occur inside other text by chance, so names are checked in the cells only)
    numbers = {v.encode() for v in pd.concat([pii["phone"], pii["id"]]).dropna()}
    assert len(numbers) > 1000
    for path in out.iterdir():
        hits = numbers & _digit_windows(path.read_bytes())
        assert not hits, (path.name, len(hits))
    assert {"name", "phone", "id_number"}.isdisjoint(parquet.columns)
    assert parquet["id_number_key"].str.fullmatch(r"[0-9a-f]{20}").all()


def test_outputs_written(ingested, demo_copy):
    out = demo_copy / "processed"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["wave2024"]["encoding"] == "gb18030"
    assert len(manifest["key_fingerprint"]) == 16
    report = pd.read_csv(out / "validation_report.csv")
    assert list(report.columns) == [
        "input",
        "file",
        "row",
        "respondent_id",
        "column",
        "variable",
        "issue",
        "action",
        "value",
    ]
    assert (
        "Accounting: rows in = rows kept + rows rejected for every input: yes"
        in (out / "validation_summary.md").read_text()
    )


def test_missing_key_after_ingest_is_a_clear_error(ingested, demo_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("SURVEY_KEY_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(KeyFileError, match="key not found"):
        validate(demo_copy / "study.yaml")


def _study_with(demo_copy, tmp_path, edit):
    import shutil

    import yaml

    target = tmp_path / "study"
    shutil.copytree(demo_copy, target, ignore=shutil.ignore_patterns("processed"))
    spec = yaml.safe_load((target / "study.yaml").read_text(encoding="utf-8"))
    edit(spec)
    spec["inputs"] = [i for i in spec["inputs"] if i["id"] == "wave2024_counties"]  # the smallest export: fast
    (target / "study.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return target / "study.yaml"


def test_schema_error_names_key_expected_and_found(demo_copy, tmp_path):
    def edit(spec):
        spec["design"]["weight"] = 3
    with pytest.raises(ConfigError) as err:
        load_study(_study_with(demo_copy, tmp_path, edit))
    assert "design.weight: expected a value of type string, found 3" in str(err.value)


def test_missing_column_is_one_line_naming_file_and_column(demo_copy, tmp_path):
    def edit(spec):
        spec["inputs"][2]["columns"]["nianling"] = spec["inputs"][2]["columns"].pop("nl")
    with pytest.raises(ColumnError) as err:
        validate(_study_with(demo_copy, tmp_path, edit))
    message = str(err.value)
    assert "wave2024_county_cdc.sav" in message and "'nianling'" in message and "\n" not in message


def test_unknown_label_is_an_error_with_example_rows(demo_copy, tmp_path):
    def edit(spec):
        spec["variables"]["sex"]["levels"] = [{"code": 1, "zh-CN": ["男"]}]  # 女 no longer known
    with pytest.raises(ColumnError) as err:
        validate(_study_with(demo_copy, tmp_path, edit))
    message = str(err.value)
    assert "'xb'" in message and "女" in message and "rows " in message
