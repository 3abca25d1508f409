"""A study.yaml that says two things, or names what it does not have: one line naming the key, exit 2."""

from __future__ import annotations

import pytest
from mini_study import assert_one_line_error


def _text(old: str, new: str):
    """Change the YAML text itself (for what a parsed dict cannot hold: duplicated keys, syntax)."""
    def change(study):
        text = study.yaml.read_text(encoding="utf-8")
        assert old in text
        study.yaml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return change


def _edit(function):
    return lambda study: study.edit(function)


def _second_input(**changes):
    def change(config):
        config["inputs"].append({**config["inputs"][0], **changes})
    return change


CASES = {
    "design twice": (_text("district_column:", "design: {weight: weight}\ndistrict_column:"),
                     ["study.yaml (line", "'design' given twice", "first on line"]),
    "variable twice": (_text("  sex:", "  age: {type: integer}\n  sex:"), ["'age' given twice"]),
    "column header twice": (_text("  性别: sex", "  性别: sex\n    性别: sex"), ["'性别' given twice"]),
    "yaml syntax": (_text("district_column: district", "district_column: [district"), ["study.yaml", "line"]),
    "empty study.yaml": (lambda s: s.yaml.write_text("", encoding="utf-8"), ["study.yaml", "(top level)"]),
    "not utf-8": (lambda s: s.yaml.write_bytes(s.yaml.read_text(encoding="utf-8").encode("gb18030")),
                  ["study.yaml", "UTF-8"]),
    "pii also a variable": (_edit(lambda c: c["pii"]["columns"].update(comments="drop")),
                            ["pii.columns.comments", "variables.comments"]),
    "pseudonymised id also a variable": (_edit(lambda c: c["variables"].update(id_number={"type": "text"})),
                                         ["pii.columns.id_number", "variables.id_number"]),
    "two headers one variable": (_edit(lambda c: c["inputs"][0]["columns"].update({"提交答卷时间": "age"})),
                                 ["inputs[export].columns", "'提交答卷时间'", "'年龄'", "'age'"]),
    "input id twice": (_edit(_second_input(file="raw/other.csv")), ["inputs", "'export'", "2 inputs"]),
    "file twice": (_edit(_second_input(id="again")), ["inputs[again].file", "inputs[export].file", "twice"]),
    "file twice by another path": (_edit(_second_input(id="again", file="raw/../raw/export.csv")),
                                   ["inputs[again].file", "twice"]),
    "wave not in waves": (_edit(lambda c: c["inputs"][0].update(wave=2025)), ["inputs[export].wave", "2025"]),
    "no wave in a two-wave study": (_edit(lambda c: (c.update(waves=[2023, 2024]), c["inputs"][0].pop("wave"))),
                                    ["inputs[export].wave", "found none"]),
    "duplicates key unknown": (_edit(lambda c: c["duplicates"].update(key=["passport"])),
                               ["duplicates.key", "'passport'"]),
    "duplicates key dropped": (_edit(lambda c: c["duplicates"].update(key=["phone"])),
                               ["duplicates.key", "pii.columns.phone: drop"]),
    "duplicates order_by unknown": (_edit(lambda c: c["duplicates"].update(order_by="when")),
                                    ["duplicates.order_by", "'when'"]),
    "age group labels and breaks": (_edit(lambda c: c["age_groups"].update(labels=["18-44", "45+"])),
                                    ["age_groups.labels", "expected 3 labels"]),
    "age group breaks not increasing": (_edit(lambda c: c["age_groups"].update(breaks=[18, 65, 45])),
                                        ["age_groups.breaks"]),
    "age group column unknown": (_edit(lambda c: c["age_groups"].update(column="years")), ["age_groups.column"]),
    "margins variable unknown": (_edit(lambda c: c.update(margins={"file": "m.csv", "variables": ["income"]})),
                                 ["margins.variables", "'income'"]),
    "unknown top-level key": (_edit(lambda c: c.update(desing={"weight": "weight"})), ["unexpected key", "desing"]),
    "weight of the wrong type": (_edit(lambda c: c["design"].update(weight=3)), ["design.weight"]),
    "psu not a variable": (_edit(lambda c: c["design"].update(psu="street")), ["design.psu", "'street'"]),
    "district column not a variable": (_edit(lambda c: c.update(district_column="county")), ["district_column"]),
    "header mapped to nothing declared": (_edit(lambda c: c["inputs"][0]["columns"].update({"性别": "gender"})),
                                          ["inputs[export].columns", "gender"]),
    "category without levels": (_edit(lambda c: c["variables"]["sex"].pop("levels")), ["variables.sex"]),
    "unknown instrument": (_edit(lambda c: c["instruments"].update(phq99={})), ["instrument 'phq99'"]),
    "coding set for a study's instrument": (_edit(lambda c: c["instruments"].update(gad7={"coding": "kessler_1_5"})),
                                            ["instruments.gad7.coding", "code_base: 1"]),
    "share above one": (_edit(lambda c: c.update(intake={"max_set_missing_share": 5})),
                        ["intake.max_set_missing_share"]),
    "unknown free-text rule": (_edit(lambda c: c["pii"].update(free_text="hide")), ["pii.free_text"]),
    "unknown answers kind": (_edit(lambda c: c["inputs"][0].update(answers="numbers")), ["inputs.0.answers"]),
}


@pytest.mark.parametrize("case", CASES)
def test_contradictory_or_unknown_configuration(mini, case):
    change, names = CASES[case]
    change(mini)
    assert_one_line_error(mini.ingest(), *names)
    assert not mini.processed.exists()


def test_missing_study_file_is_one_line(mini):
    assert_one_line_error(mini.run("validate", str(mini.root / "nope.yaml")), "nope.yaml", "not found")


def test_duplicated_design_no_longer_drops_the_strata(mini):
    """The defect of the issue: the second `design:` block silently won and the SE came out too small."""
    text = mini.yaml.read_text(encoding="utf-8") + "design: {weight: weight}\n"
    mini.yaml.write_text(text, encoding="utf-8")
    from survey.errors import ConfigError
    from survey.study import load_study

    with pytest.raises(ConfigError, match=r"line \d+\): key 'design' given twice"):
        load_study(mini.yaml)
