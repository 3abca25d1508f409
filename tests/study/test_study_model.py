"""The typed study model: one parse of study.yaml, one-line errors naming the key, the model is the schema."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

from survey.errors import ConfigError
from survey.study import load_study
from survey.study import model as m
from survey.study.schema import SCHEMA_FILE, schema_text

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
SRC = ROOT / "src" / "survey"


def _demo_with(tmp_path, edit):
    spec = yaml.safe_load((DEMO / "study.yaml").read_text(encoding="utf-8"))
    edit(spec)
    (tmp_path / "districts.csv").write_bytes((DEMO / "districts.csv").read_bytes())
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_the_demo_loads_into_typed_frozen_objects():
    study = load_study(DEMO / "study.yaml")
    assert study.design.strata == ("district", "urban_rural") and study.design.n_stages == 2
    assert study.indicator("literacy").targets == {"2022": 0.20, "2030": 0.30}
    assert study.config.pilot.districts == ("linjiang", "qingshan", "yunxi")
    assert study.config.analysis.effects.covariates == ("sex", "age_group", "education", "urban_rural")
    assert study.waves == (2023, 2024)
    with pytest.raises(Exception, match="frozen"):
        study.design.weight = "other"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda s: s["design"].update(weight=3), "design.weight: expected a value of type string, found 3"),
    (lambda s: s["design"].pop("weight"), "design: expected a key 'weight', found none"),
    (lambda s: s.update(desing={}), "(top level): unexpected key(s): 'desing'"),
    (lambda s: s["design"].update(lonely_psu="drop"), "design.lonely_psu: expected one of 'fail', 'remove'"),
    (lambda s: s["inputs"][0].update(id="Wave 1"), "inputs.0.id: expected text matching"),
    (lambda s: s["age_groups"].update(labels=["18-29", "30+"]), "age_groups.labels: expected 5 labels, one per break"),
    (lambda s: s["pilot"].update(start_column="pilot_start_year"), "pilot: expected either `districts` and"),
    (lambda s: s["indicators"][0]["targets"].update({"2030": 30}), "indicators.0.targets.2030: expected a number <= 1"),
    (lambda s: s["instruments"].update(epds={"cutof": 13}), "instruments.epds.cutof: expected one of"),
    (lambda s: s.update(publication={"rules": "nchs2017", "settings": {"min_effective": 20}}),
     "publication: expected settings of rule set 'nchs2017'"),
    (lambda s: s["analysis"]["effects"].update(indicators=["literacy", "happiness"]),
     "analysis.effects.indicators: expected indicator ids"),
    (lambda s: s.update(truth="truth.json"), "(top level): unexpected key(s): 'truth'"),
    (lambda s: s["variables"]["sex"].pop("levels"), "variables.sex: expected `levels` or `levels_from`"),
])
def test_a_bad_configuration_is_one_line_naming_the_key(tmp_path, edit, message):
    with pytest.raises(ConfigError) as error:
        load_study(_demo_with(tmp_path, edit))
    text = str(error.value)
    assert message in text and "\n" not in text, text
    assert text.startswith(str(tmp_path / "study.yaml"))


def test_the_committed_json_schema_is_the_models():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), "run `python -m survey.study.schema`"
    schema = json.loads(schema_text())
    assert {"inputs", "design", "pilot", "analysis", "subgroups", "publication"} <= set(schema["properties"])
    assert "truth" not in schema["properties"]


def _models(root=m.StudyConfig, seen=None):
    seen = seen if seen is not None else {}
    seen[root.__name__] = root
    for field in root.model_fields.values():
        for candidate in _types(field.annotation):
            if isinstance(candidate, type) and issubclass(candidate, m.Model) and candidate.__name__ not in seen:
                _models(candidate, seen)
    return seen


def _types(annotation):
    yield annotation
    for argument in getattr(annotation, "__args__", ()) or ():
        yield from _types(argument)
    for argument in getattr(annotation, "__metadata__", ()) or ():
        yield from _types(argument)


#: Fields read other than by attribute name, with where.
READ_OTHERWISE = {
    "Text.zh": "Text.get(lang)",
    "Level.en": "Level.label() and intake's level lookup (model_dump)",
    "Level.zh": "Level.label() and intake's level lookup (model_dump)",
    "Level.aliases": "intake's level lookup (model_dump)",
    "Level.code": "intake's level lookup (model_dump)",
}


def test_every_key_the_model_allows_is_read_by_the_code():
    """The model is the schema; a key nothing reads would be accepted and silently ignored."""
    attributes = set()
    for path in SRC.rglob("*.py"):
        if path.name in ("model.py",) and path.parent.name == "study":
            continue
        attributes |= {node.attr for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                       if isinstance(node, ast.Attribute)}
    unread = [f"{name}.{field}" for name, model in _models().items() for field in model.model_fields
              if field not in attributes and f"{name}.{field}" not in READ_OTHERWISE]
    assert unread == []
