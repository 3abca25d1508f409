"""Fill a draft's ``# TODO(<id>): ...`` lines from answers: what the user would type, id by id.

An answer is YAML text (one or more lines) that replaces its TODO line at the line's
indentation; an empty answer deletes the line (an optional key the study does not need). A
TODO without an answer stays as it is. An answer whose id the draft does not have is an
error, so a misspelt id is never silently ignored.

Example
-------
>>> text = "design:\\n  # TODO(design.weight): the design weight\\n  lonely_psu: fail\\n"
>>> print(fill_todos(text, {"design.weight": "weight: w"})[0], end="")
design:
  weight: w
  lonely_psu: fail
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from survey.errors import ConfigError

TODO = re.compile(r"^(?P<indent>\s*)# TODO\((?P<id>[^)]+)\):")


def todo_ids(text: str) -> list[str]:
    return [m.group("id") for line in text.splitlines() if (m := TODO.match(line))]


def fill_todos(text: str, answers: dict[str, str]) -> tuple[str, list[str]]:
    """The text with answered TODO lines replaced, and the ids left unanswered."""
    present = set(todo_ids(text))
    unknown = sorted(set(answers) - present)
    if unknown:
        raise ConfigError(f"answers: expected TODO ids of the draft ({', '.join(sorted(present))}), "
                          f"found {unknown[0]!r}")
    out, left = [], []
    for line in text.splitlines():
        match = TODO.match(line)
        if not match:
            out.append(line)
            continue
        todo = match.group("id")
        if todo not in answers:
            out.append(line)
            left.append(todo)
            continue
        answer = str(answers[todo] or "").rstrip("\n")
        out.extend(match.group("indent") + part for part in answer.splitlines())
    return "\n".join(out) + "\n", left


def read_answers(path: str | Path) -> dict[str, str]:
    """Answers from a YAML file: ``<TODO id>: <the YAML text to write there>``."""
    path = Path(path)
    try:
        answers = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the answers: {exc}") from None
    if not isinstance(answers, dict):
        raise ConfigError(f"{path}: expected a mapping of TODO id -> text, found {type(answers).__name__}")
    return {str(k): "" if v is None else str(v) for k, v in answers.items()}


def answer_lines(answers: dict[str, str]) -> int:
    """How many lines the answers write: what the user had to type."""
    return sum(len(str(v).strip("\n").splitlines()) for v in answers.values() if str(v).strip())
