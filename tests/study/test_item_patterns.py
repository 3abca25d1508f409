"""Item patterns in study.yaml: `items: {phq9: "PHQ9_{n}"}` expands into column mappings; `columns` wins."""

from __future__ import annotations

import textwrap

import pytest

from survey.errors import ColumnError, ConfigError
from survey.instruments import load_instrument
from survey.study import load_study
from survey.study.item_patterns import expand_pattern

HEADER = ["id", "qx", "w", *[f"PHQ9_{n}" for n in range(1, 10)], *[f"G{n:02d}" for n in range(1, 8)], "P3_fixed"]


def _study(tmp_path, inputs: str, rows: int = 4):
    lines = [",".join(HEADER)]
    for r in range(rows):
        lines.append(",".join([str(r + 1), "1", "1.5", *["1"] * 16, "2"]))
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "study.yaml").write_text(textwrap.dedent("""\
        id: tiny
        title: {en: Tiny, zh-CN: 小}
        inputs:
          - id: main
            file: export.csv
            answers: codes
        %s
        variables:
          respondent_id: {type: text, required: true}
          district: {type: category, levels: [{code: 1, zh-CN: [一区]}]}
          weight: {type: number}
        instruments: {phq9: {}, gad7: {}}
        design: {weight: weight}
        district_column: district
        pii: {}
        """) % textwrap.indent(textwrap.dedent(inputs), "    "), encoding="utf-8")
    return tmp_path / "study.yaml"


BASE = """\
columns: {id: respondent_id, qx: district, w: weight}
"""


def test_placeholders_expand_in_the_instruments_item_order():
    phq9, nmhl = load_instrument("phq9"), load_instrument("nmhl")
    assert list(expand_pattern("PHQ-9第{n}题", phq9, where="x")) == [f"PHQ-9第{n}题" for n in range(1, 10)]
    assert expand_pattern("Q{n:02d}", phq9, where="x")["Q09"] == "phq9_9"
    assert expand_pattern("{id}", phq9, where="x")["phq9_4"] == "phq9_4"
    sav = expand_pattern("nmhl{suffix}", nmhl, where="x")
    assert sav["nmhlj1"] == "nmhl_j1" and sav["nmhlvb4"] == "nmhl_vb4" and len(sav) == len(nmhl.item_ids)
    assert expand_pattern("NMHL_{SUFFIX}", nmhl, where="x")["NMHL_VA2"] == "nmhl_va2"


def test_load_study_expands_items_next_to_columns(tmp_path):
    study = load_study(_study(tmp_path, BASE + 'items: {phq9: "PHQ9_{n}", gad7: "G{n:02d}"}\n'))
    columns = study.inputs[0].columns
    assert columns["PHQ9_1"] == "phq9_1" and columns["G07"] == "gad7_7" and columns["qx"] == "district"
    assert len(columns) == 3 + 9 + 7
    assert study.inputs[0].column_origin["PHQ9_2"] == "items.phq9 'PHQ9_{n}'"


def test_columns_win_over_a_pattern(tmp_path):
    config = BASE.rstrip("}\n") + ", P3_fixed: phq9_3}\n" + 'items: {phq9: "PHQ9_{n}", gad7: "G{n:02d}"}\n'
    study = load_study(_study(tmp_path, config))
    columns = study.inputs[0].columns
    assert columns["P3_fixed"] == "phq9_3" and "PHQ9_3" not in columns
    assert [v for v in columns.values() if v == "phq9_3"] == ["phq9_3"]
    from survey.intake import validate

    result = validate(study)
    assert (result.data["phq9_3"] == 2).all() and (result.data["phq9_1"] == 1).all()


@pytest.mark.parametrize("items, message", [
    ('{k6: "K6_{n}"}', "items.k6: expected an instrument listed under `instruments`"),
    ('{phq9: "PHQ9"}', "expected a placeholder"),
    ('{phq9: "PHQ9_{m}"}', "found {m}"),
    ('{phq9: "PHQ9_{n", gad7: "G{n}"}', "expected a header pattern"),
    ('{phq9: "X{n}", gad7: "X{n}"}', "'X1' is also produced by items.phq9"),
])
def test_bad_patterns_are_one_line_config_errors(tmp_path, items, message):
    with pytest.raises(ConfigError) as error:
        load_study(_study(tmp_path, BASE + f"items: {items}\n"))
    assert message in str(error.value) and "\n" not in str(error.value)
    assert "study.yaml" in str(error.value)


def test_an_input_needs_columns_or_items(tmp_path):
    with pytest.raises(ConfigError, match="expected `columns` .* `items` .* or both, found neither"):
        load_study(_study(tmp_path, "wave: 1\n"))


def test_a_header_the_pattern_expects_but_the_file_lacks_names_the_pattern(tmp_path):
    from survey.intake import validate

    study = load_study(_study(tmp_path, BASE + 'items: {phq9: "PHQ9_{n}", gad7: "GAD7_{n}"}\n'))
    with pytest.raises(ColumnError) as error:
        validate(study, create_key=False)
    text = str(error.value)
    assert "column 'GAD7_1' (mapped to 'gad7_1' by items.gad7 'GAD7_{n}') not found (+6 more missing)" in text
    assert "\n" not in text


def test_demo_patterns_map_every_item_of_every_export():
    from pathlib import Path

    study = load_study(Path(__file__).resolve().parents[2] / "data" / "demo" / "study.yaml")
    items = {i for inst in study.instruments.values() for i in inst.item_ids}
    for spec in study.inputs:
        assert items <= set(spec.columns.values()), spec.id
    wave2024 = {s.id: s for s in study.inputs}["wave2024"].columns
    assert wave2024["PHQ9_1"] == "phq9_1" and wave2024["NMHL_VB4"] == "nmhl_vb4"
