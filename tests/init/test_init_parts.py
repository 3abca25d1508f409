"""The pieces of `survey init`: headers, column profiles, item matching, code bases, identifiers, TODOs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from survey.errors import ConfigError
from survey.init import draft_study, fill_todos
from survey.init.columns import recognise
from survey.init.headers import parse_header
from survey.init.items import header_pattern, match_instruments
from survey.init.profile import profile_column
from survey.study import load_study

ROOT = Path(__file__).resolve().parents[2]


def _cols(headers, values):
    pairs = enumerate(zip(headers, values, strict=True))
    return [profile_column(h, i, pd.Series(v, dtype=object)) for i, (h, v) in pairs]


@pytest.mark.parametrize("text, number, stem, sub", [
    ("12、在过去两周里，…(对做事缺乏兴趣或乐趣)", 12, "在过去两周里，…", "对做事缺乏兴趣或乐趣"),
    ("第7题(感到紧张)", 7, "", "感到紧张"),
    ("3、您的性别：", 3, "您的性别：", None),
    ("PHQ9_1", None, "PHQ9_1", None),
    ("自定义字段", None, "自定义字段", None),
])
def test_headers_split_into_number_stem_and_sub_question(text, number, stem, sub):
    header = parse_header(text)
    assert (header.number, header.stem, header.sub) == (number, stem, sub)


def test_profile_finds_marks_codes_and_identifiers_without_keeping_them():
    col = profile_column("x", 0, pd.Series(["1", "2", "(跳过)", "-3", None, "4"], dtype=object))
    assert col.marks == ("(跳过)", "-3") and col.counts == {1: 1, 2: 1, 4: 1} and col.codes
    phones = profile_column("备用", 1, pd.Series(["13812345678", "13912345678", None], dtype=object))
    assert phones.identifier == "phone" and phones.labels == ()
    text = profile_column("t", 2, pd.Series(["-3 度", "好"], dtype=object))
    assert text.marks == () and not text.numeric


PHQ = [f"PHQ9_{n}" for n in range(1, 10)]


@pytest.mark.parametrize("values, base", [
    (["0", "1", "2", "3"], 0),          # the instrument's own codes
    (["1", "2", "3", "4"], 1),          # options numbered from 1
    (["1", "2", "2", "3"], None),       # cannot tell: left to the user
])
def test_code_base_is_read_from_the_codes_used(values, base):
    [match] = match_instruments(_cols(PHQ, [values] * 9), ["phq9"])
    assert match.answers == "codes" and match.code_base == base and match.method == "item ids"


def test_who5_numbered_from_one_means_its_first_listed_option():
    headers = [f"WHO-5第{n}题" for n in range(1, 6)]
    [match] = match_instruments(_cols(headers, [["1", "6", "3"]] * 5), ["who5"])
    assert match.method == "numbered headers" and match.code_base == 1 and header_pattern(match) == "WHO-5第{n}题"


def test_text_answers_match_the_label_sets_and_unknown_labels_are_listed():
    values = [["完全不会", "好几天", "几乎每天", "每天都这样"]] + [["好几天", "几乎每天"]] * 8
    [match] = match_instruments(_cols([f"PHQ-9第{n}题" for n in range(1, 10)], values), ["phq9"])
    assert match.answers == "labels" and match.unknown_labels == ["每天都这样"]


def test_question_texts_find_the_instrument_in_order():
    subs = ["对平常感兴趣的事也打不起精神", "情绪低落，觉得前途无望", "睡不着或者睡得过多", "总觉得累",
            "胃口差或吃得过多", "觉得自己失败", "难以集中注意力", "说话变得迟缓或坐立不安", "有伤害自己的念头"]
    headers = ["1、您的性别："] + [f"{n + 2}、最近两周，…({s})" for n, s in enumerate(subs)]
    values = [["1", "2"]] + [["1", "4", "2"]] * 9
    [match] = match_instruments(_cols(headers, values), ["phq9", "gad7"])
    assert match.instrument.id == "phq9" and match.method == "question text" and match.code_base == 1
    assert match.headers["phq9_1"] == headers[1] and match.headers["phq9_9"] == headers[-1]
    assert header_pattern(match) is None


def test_patterns_are_derived_for_suffixed_item_ids():
    from survey.instruments import load_instrument

    nmhl = load_instrument("nmhl")
    headers = [i.replace("_", "") for i in nmhl.item_ids]
    [match] = match_instruments(_cols(headers, [["1", "2", "3"]] * len(headers)), ["nmhl"])
    assert header_pattern(match) == "nmhl{suffix}"


@pytest.mark.parametrize("header, kind, variable", [
    ("序号", "platform", "respondent_id"), ("所用时间", "skip", None), ("来自IP", "pii", "ip"),
    ("5、您的姓名：", "pii", "name"), ("身份证号码", "pii", "id_number"), ("联系电话", "pii", "phone"),
    ("3、您所在的区县：", "variable", "district"), ("层内街道乡镇数", "unknown", None),
    ("街道乡镇编号", "variable", "street"), ("4、您的年龄段：", "unknown", None),
])
def test_common_headers_are_recognised(header, kind, variable):
    found = recognise(profile_column(header, 0, pd.Series(["1", "2"], dtype=object)))
    assert (found.kind, found.variable) == (kind, variable)


def test_identifier_content_under_an_innocent_header_goes_to_pii():
    column = profile_column("备注2", 0, pd.Series([f"1390000{n:04d}" for n in range(50)], dtype=object))
    found = recognise(column)
    assert found.kind == "pii" and not found.decided


def test_category_values_outside_the_usual_levels_are_flagged_for_review():
    found = recognise(profile_column("文化程度", 0, pd.Series(["1", "2", "6"], dtype=object)))
    assert not found.decided and "value(s) not among the usual levels" in "; ".join(found.notes)


def test_fill_todos_replaces_deletes_and_refuses_unknown_ids():
    text = "a: 1\n  # TODO(x): say x\n# TODO(y): optional\n# TODO(z): later\n"
    filled, left = fill_todos(text, {"x": "x: 2\nx2: 3", "y": ""})
    assert filled == "a: 1\n  x: 2\n  x2: 3\n# TODO(z): later\n" and left == ["z"]
    with pytest.raises(ConfigError, match="found 'q'"):
        fill_todos(text, {"q": "1"})


@pytest.fixture(scope="module")
def demo_draft(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_init") / "study.yaml"
    return draft_study([ROOT / "data" / "demo" / "raw" / "wave2024_platform_export.csv"], out, study_id="demo")


def test_demo_csv_draft_uses_patterns_and_the_instruments_own_codes(demo_draft):
    spec = demo_draft.inputs[0]
    assert spec.answers == "codes" and spec.code_base is None and spec.missing_values == ()
    assert spec.items == {"phq9": "PHQ9_{n}", "gad7": "GAD7_{n}", "isi": "ISI_{n}", "nmhl": "NMHL_{SUFFIX}",
                          "ad8": "AD8_{n}", "epds": "EPDS_{n}"}
    assert {k: (a, d) for k, (a, d, _) in demo_draft.pii.items()} == {
        "name": ("drop", False), "phone": ("drop", False), "id_number": ("pseudonymise", False)}
    assert "pii.id_number" in demo_draft.todo_ids and "design.psu" in demo_draft.todo_ids


def test_demo_csv_draft_filled_maps_the_items_as_the_hand_written_demo(demo_draft):
    answers = {"title": "title: {en: Demo, zh-CN: 演示}", "waves": "waves: [2024]",
               "districts": "districts: " + (ROOT / "data" / "demo" / "districts.csv").as_posix(),
               "inputs.wave2024_platform_export.wave": "wave: 2024",
               "inputs.wave2024_platform_export.columns.10": "层内街道乡镇数: stratum_psus",
               "variables": "stratum_psus: {type: integer, min: 1}",
               "design.strata": "strata: [district, urban_rural]", "design.psu": "psu: street",
               "design.weight": "weight: weight", "pii.name": "name: drop", "pii.phone": "phone: drop",
               "pii.id_number": "id_number: pseudonymise",
               "duplicates": "duplicates: {key: [id_number], order_by: submitted_at}"}
    nmhl = load_study(ROOT / "data" / "demo" / "study.yaml").instrument_options("nmhl")  # no export shows a key
    answers["instruments.nmhl"] = "\n".join(f"{k}: {v}" for k, v in nmhl.items())
    text, left = fill_todos(demo_draft.text, answers)
    assert left == ["city"]
    demo_draft.out.write_text(text, encoding="utf-8")
    ours = load_study(demo_draft.out).inputs[0].columns
    theirs = {s.id: s for s in load_study(ROOT / "data" / "demo" / "study.yaml").inputs}["wave2024"].columns
    items = {h: v for h, v in theirs.items() if v.split("_")[0] in ("phq9", "gad7", "isi", "nmhl", "ad8", "epds")}
    assert {h: v for h, v in ours.items() if h in items} == items and len(items) == 77
