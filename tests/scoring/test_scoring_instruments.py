"""The instrument files: they load, their scoring blocks are fully specified and consistent,
and the loader's public API is unchanged."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from scoring_helpers import OVERRIDES, random_answers

from survey.errors import ConfigError
from survey.instruments import Instrument, available_instruments, load_instrument, normalise_label, read_instrument_file
from survey.instruments.consistency import output_columns
from survey.scoring import score
from survey.scoring.rules import compile_plan

ALL = available_instruments()
SHIPPED = {"phq9", "phq2", "gad7", "gad2", "isi", "ad8", "epds", "nmhl", "gds15", "k10", "k6", "who5", "mhls",
           "zung_sds", "zung_sas"}


def test_the_library_ships_every_instrument_of_the_brief():
    assert SHIPPED <= set(ALL)


@pytest.mark.parametrize("instrument_id", ALL)
def test_every_instrument_loads_compiles_and_cites_its_rules(instrument_id):
    instrument = load_instrument(instrument_id)
    assert instrument.scoring is not None
    compile_plan(instrument, OVERRIDES.get(instrument_id))

    def walk(node, path):
        if isinstance(node, dict):
            if {"rule", "missing"} <= set(node) or {"levels"} <= set(node) or {"at_least", "en"} <= set(node) \
                    or {"at_most", "en"} <= set(node) or {"item", "score_at_least"} <= set(node):
                assert "source" in node, f"{instrument_id}: {path} has no source"
            if "missing" in node:
                assert len(node["missing"]["source"]) > 5, f"{instrument_id}: {path}.missing has no source"
            for key, value in node.items():
                walk(value, f"{path}.{key}")
    walk(instrument.scoring, "scoring")


@pytest.mark.parametrize("instrument_id", ALL)
def test_output_columns_are_what_score_writes(instrument_id):
    df = random_answers([instrument_id], 5, seed=1)
    out = score(df, [instrument_id], overrides=OVERRIDES)
    assert list(out.columns) == output_columns(load_instrument(instrument_id))


def test_public_api_of_the_loader_is_unchanged():
    phq9 = load_instrument("phq9")
    assert isinstance(phq9, Instrument)
    assert phq9.item_ids[:2] == ["phq9_1", "phq9_2"]
    assert phq9.codes("phq9_1") == [0, 1, 2, 3]
    assert phq9.label_map("phq9_1")["好几天"] == 1
    assert phq9.label("phq9_1", 3) == "几乎每天"
    assert phq9.label("phq9_1", 3, language="en") == "Nearly every day"
    assert [o.code for o in phq9.options("phq9_9")] == [0, 1, 2, 3]
    assert normalise_label(" 好几 天\u3000") == "好几天"
    ad8 = load_instrument("ad8")
    assert {o.code: o.score for o in ad8.options("ad8_1")} == {1: 1.0, 0: 0.0, 9: 0.0}
    assert load_instrument("nmhl").item("nmhl_j14").key == "false"


def _write(tmp_path: Path, spec: dict, name: str = "custom") -> Path:
    spec = {**spec, "id": name}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path


def _spec(instrument_id: str) -> dict:
    return copy.deepcopy(load_instrument(instrument_id).spec)


def test_a_study_can_ship_its_own_instrument_file(tmp_path):
    spec = _spec("k6")                         # a K6 export in the 1-5 convention
    for option in spec["response_sets"]["frequency_30d_0_4"]:
        option["code"] += 1
    spec["scoring"]["total"]["add"] = -6
    spec["id"] = "k6"
    (tmp_path / "k6.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    own = load_instrument("k6", search_dirs=(tmp_path,))
    df = random_answers(["k6"], 50, seed=3, blank=0)
    shifted = df.copy()
    shifted[own.item_ids] += 1
    assert score(shifted, [own])["k6_total"].tolist() == score(df, ["k6"])["k6_total"].tolist()


@pytest.mark.parametrize("change, message", [
    (lambda s: s["scoring"].update(extra=1), "unexpected key"),
    (lambda s: s["scoring"]["total"].update(rule="median"), "expected one of"),
    (lambda s: s["scoring"]["total"].pop("missing"), "missing"),
    (lambda s: s["scoring"]["total"]["missing"].pop("source"), "source"),
    (lambda s: s["scoring"]["total"]["missing"].update(rule="complete_case", max_missing=2), "max_missing"),
    (lambda s: s["scoring"]["total"]["cutoffs"]["positive"].update(at_most=3), "positive"),
    (lambda s: s["scoring"]["total"].update(rounding="bankers"), "expected one of"),
    (lambda s: s["scoring"]["total"].update(range=[0, 26]), "expected [0, 27]"),
    (lambda s: s["scoring"]["total"]["bands"]["levels"][1].update(min=6), "contiguous"),
    (lambda s: s["scoring"]["total"]["bands"]["levels"][-1].update(max=25), "covering"),
    (lambda s: s["scoring"]["subscales"]["phq2"].update(items=["phq9_1", "phq9_99"]), "phq9_99"),
    (lambda s: s["scoring"]["subscales"]["phq2"]["missing"].update(rule="prorate", max_missing=2), "fewer than"),
    (lambda s: s["scoring"]["flags"]["selfharm"].update(item="phq9_10"), "phq9_10"),
    (lambda s: s["scoring"].update(subscales={"total": s["scoring"]["subscales"]["phq2"]}), "distinct score names"),
    (lambda s: s["scoring"].update(item_rules={"reverse": {"items": ["phq9_1"], "source": "x"}}), "source"),
    (lambda s: s.update(eligibility={"rules": [{"column": "age"}], "source": "study"}), "eligibility"),
])
def test_bad_scoring_blocks_fail_when_the_file_is_read(tmp_path, change, message):
    spec = _spec("phq9")
    change(spec)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        read_instrument_file(_write(tmp_path, spec))


def test_parts_must_not_overlap_and_criteria_must_name_scores(tmp_path):
    spec = _spec("nmhl")
    spec["scoring"]["parts"]["vignettes"]["items"] = ["nmhl_s1", *spec["scoring"]["parts"]["vignettes"]["items"][1:]]
    with pytest.raises(ConfigError, match="disjoint parts"):
        read_instrument_file(_write(tmp_path, spec))
    spec = _spec("nmhl")
    spec["scoring"]["criteria"]["adequate"]["all_of"][0]["score"] = "knowledge"
    with pytest.raises(ConfigError, match="knowledge"):
        read_instrument_file(_write(tmp_path, spec))


def test_an_item_cannot_be_under_two_item_rules(tmp_path):
    spec = _spec("nmhl")
    spec["scoring"]["item_rules"]["reverse"] = {"items": ["nmhl_va1"], "source": "a test"}
    with pytest.raises(ConfigError, match="one item rule"):
        read_instrument_file(_write(tmp_path, spec))


def test_a_published_key_must_name_a_code(tmp_path):
    spec = _spec("nmhl")
    spec["items"][13]["key"] = "maybe"
    with pytest.raises(ConfigError, match="maybe"):
        read_instrument_file(_write(tmp_path, spec))
