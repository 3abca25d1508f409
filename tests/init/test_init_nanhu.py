"""`survey init` on the 南湖市 example: the draft, with only its TODO lines filled, is the committed study."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from survey.errors import ConfigError
from survey.init import answer_lines, draft_study, fill_todos, read_answers, todo_ids
from survey.study import load_study

ROOT = Path(__file__).resolve().parents[2]
NANHU = ROOT / "data" / "nanhu"
ANSWERS = Path(__file__).with_name("nanhu_answers.yaml")
PHONE_OR_ID = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?![\dXx])")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The raw export and district table of the example, without its study.yaml."""
    target = tmp_path_factory.mktemp("nanhu_init") / "nanhu"
    (target / "raw").mkdir(parents=True)
    shutil.copy(NANHU / "raw" / "nanhu_2025_wjx_numeric.xlsx", target / "raw")
    shutil.copy(NANHU / "districts.csv", target)
    return target


@pytest.fixture(scope="module")
def draft(folder):
    return draft_study([folder / "raw" / "nanhu_2025_wjx_numeric.xlsx"], folder / "study.yaml")


def _comparable(study) -> dict:
    """Everything a loaded study holds, with paths relative to its folder."""
    spec = study.config.model_dump(exclude={"inputs"})
    spec["inputs"] = [dict(i.config.model_dump(exclude={"columns", "items", "file"}), columns=dict(i.columns),
                           path=i.path.relative_to(study.root).as_posix(), format=i.format,
                           code_maps=dict(i.code_maps)) for i in study.inputs]
    spec["instrument_files"] = {k: v.path for k, v in study.instruments.items()}
    return spec


def test_filled_draft_is_the_committed_study(folder, draft):
    answers = read_answers(ANSWERS)
    text, left = fill_todos(draft.text, answers)
    assert left == [] and todo_ids(text) == []
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    filled, committed = load_study(folder / "study.yaml"), load_study(NANHU / "study.yaml")
    assert _comparable(filled) == _comparable(committed)
    # what the user had to write, against 439 hand-written lines of data/demo/study.yaml
    assert answer_lines(answers) == len(draft.todo_ids) == 12
    assert len(text.splitlines()) > 100


def test_filled_draft_validates_like_the_committed_study(folder, draft):
    from survey.intake import validate

    (folder / "study.yaml").write_text(fill_todos(draft.text, read_answers(ANSWERS))[0], encoding="utf-8")
    ours = validate(folder / "study.yaml", create_key=False)
    # the committed study as a fresh copy: its processed data, if a run made some, belong to another key
    committed = folder.parent / "committed"
    shutil.copytree(NANHU, committed, ignore=shutil.ignore_patterns("processed"))
    assert ours.issue_counts() == validate(committed / "study.yaml", create_key=False).issue_counts()


def test_the_draft_matches_every_item_by_question_text_and_flags_one_based_codes(draft):
    assert [m.instrument.id for m in draft.instruments] == ["phq9", "gad7", "isi", "who5"]
    assert all(m.method == "question text" and m.complete for m in draft.instruments)
    spec = draft.inputs[0]
    assert spec.answers == "codes" and spec.code_base == 1
    assert spec.missing_values == ("(跳过)", "-3")
    assert "code_base: 1  # options numbered from 1 in the instrument's order: phq9 1-4, gad7 1-4, isi 1-5, " \
           "who5 1-6" in draft.text
    assert draft.pii == {"ip": ("drop", True, "来自IP"),
                         "phone": ("drop", False, "8、您的手机号码（仅用于核实答卷，不会对外公开）：")}


def test_the_draft_asks_rather_than_guesses(draft):
    assert draft.todo_ids == ["title", "city", "waves", "districts", "inputs.nanhu_2025_wjx_numeric.wave",
                              "inputs.nanhu_2025_wjx_numeric.columns.7", "variables", "design.strata",
                              "design.psu", "design.weight", "pii.phone", "duplicates"]
    assert "phone" not in draft.variables and "ip" not in draft.variables
    # left unanswered, the identifier is neither a variable nor under pii: the study does not load
    answers = {k: v for k, v in read_answers(ANSWERS).items() if k != "pii.phone"}
    unfilled = draft.out.parent / "unfilled.yaml"
    unfilled.write_text(fill_todos(draft.text, answers)[0], encoding="utf-8")
    with pytest.raises(ConfigError, match=r"columns: expected variables declared .* found \['phone'\]"):
        load_study(unfilled)


def test_no_phone_or_id_number_reaches_the_draft_or_the_terminal(draft):
    assert not PHONE_OR_ID.search(draft.text)
    assert not PHONE_OR_ID.search(draft.summary())


def test_cli_writes_the_draft_and_refuses_to_overwrite(folder, monkeypatch, capsys):
    from survey.cli import main

    out = folder / "cli" / "study.yaml"
    argv = ["survey", "init", str(folder / "raw" / "nanhu_2025_wjx_numeric.xlsx"), "--out", str(out), "--id", "nanhu",
            "--answers", str(ANSWERS)]
    monkeypatch.setattr(sys, "argv", argv)
    main()
    printed = capsys.readouterr().out
    assert "wrote" in printed and "0 TODO line(s) left" in printed and not PHONE_OR_ID.search(printed)
    assert todo_ids(out.read_text(encoding="utf-8")) == []
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert "exists" in error and "--force" in error and len(error.strip().splitlines()) == 1
