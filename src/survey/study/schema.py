"""The JSON Schema of study.yaml, generated from the model (:mod:`survey.study.model`).

``schema.json`` beside this module is for editors and other tools (e.g. a YAML language
server); the workspace itself validates with the model. Regenerate after changing the model:
``python -m survey.study.schema`` (a test checks that the committed file is current).
"""

from __future__ import annotations

import json
from pathlib import Path

from survey.study.model import StudyConfig

SCHEMA_FILE = Path(__file__).with_name("schema.json")


def json_schema() -> dict:
    """The model's JSON Schema (draft 2020-12), with the file's keys as written (e.g. ``zh-CN``)."""
    schema = StudyConfig.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "study.yaml", **schema}


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main() -> None:
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
