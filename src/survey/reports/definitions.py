"""What each indicator is, where its cut-off comes from, and which rates and population figures a report uses.

Read from the study and its instrument files, never written for one study:

* :func:`indicator_definitions` — for every indicator, the instrument and the rule that makes its
  0/1 column (a cut-off on a score, e.g. PHQ-9 total >= 10, or a criterion over several scores),
  with the value the study scores with (an override included) and the instrument's citation;
  ``screen`` says whether it is a questionnaire cut-off (a screen-positive rate, not a diagnosis);
* :func:`standard_population_facts` — the standard population's title, source and status.

Example
-------
>>> indicator_definitions(study, "zh")[["indicator", "rule", "citation"]]     # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from survey.errors import ConfigError
from survey.instruments.consistency import score_definitions
from survey.scoring.rules import compile_plan
from survey.study import Study

COMPARISONS = {"at_least": "≥", "at_most": "≤"}


def _number(value: float) -> str:
    return f"{value:g}"


def _score_label(definition: dict, name: str, lang: str) -> str:
    label = definition.get("label") or {}
    return str(label.get("zh-CN" if lang == "zh" else "en") or label.get("en") or name)


def _instrument_name(instrument, lang: str) -> str:
    return str(instrument.name.get("zh-CN" if lang == "zh" else "en") or instrument.name.get("en") or instrument.id)


def _rule_of(instrument, options: dict, column: str, lang: str) -> tuple[str, bool] | None:
    """The rule making ``column`` in words (``PHQ-9 总分 ≥ 10``) and whether it is a cut-off; None if not this one's."""
    plan = compile_plan(instrument, options)
    definitions = score_definitions(instrument.scoring)
    for score in plan.scores:
        for cutoff in score.cutoffs:
            if cutoff.column == column:
                sign, value = ("≥", cutoff.at_least) if cutoff.at_least is not None else ("≤", cutoff.at_most)
                return f"{_score_label(definitions[score.name], score.name, lang)} {sign} {_number(value)}", True
    names = [s.name for s in plan.scores]
    joiner = " 且 " if lang == "zh" else " and "
    for criterion in plan.criteria:
        if criterion.column == column:
            parts = [f"{_score_label(definitions[names[i]], names[i], lang)} {COMPARISONS[way]} {_number(value)}"
                     for i, way, value in criterion.conditions]
            return joiner.join(parts), False
    return None


def indicator_definitions(study: Study, lang: str) -> pd.DataFrame:
    """Per indicator: instrument, rule (with the study's value), whether it is a screen, and the citation.

    Columns: indicator, instrument, instrument_name, rule, screen (bool; False for criteria and
    for columns no instrument makes), citation.
    """
    rows = []
    for indicator in study.indicators:
        found = None
        for instrument_id, instrument in study.instruments.items():
            if instrument.scoring is None:
                continue
            try:
                found = _rule_of(instrument, study.instrument_options(instrument_id), indicator.column, lang)
            except ConfigError:
                found = None
            if found:
                rows.append({"indicator": indicator.id, "instrument": instrument_id,
                             "instrument_name": _instrument_name(instrument, lang), "rule": found[0],
                             "screen": found[1], "citation": str(instrument.source.get("citation", ""))})
                break
        if not found:
            rows.append({"indicator": indicator.id, "instrument": "", "instrument_name": "", "rule": indicator.column,
                         "screen": False, "citation": ""})
    return pd.DataFrame(rows, columns=["indicator", "instrument", "instrument_name", "rule", "screen", "citation"])


def standard_population_facts(study: Study) -> dict | None:
    """The standard population's id, title, source and status (None without standardisation)."""
    if not study.capabilities()["standardisation"]:
        return None
    from survey.estimation.standardization import standard_population

    metadata = standard_population(study.config.standard_population, root=study.root).attrs.get("metadata", {})
    status = str(metadata.get("status", "")).strip()
    return {"id": str(metadata.get("id", study.config.standard_population)),
            "title": str(metadata.get("title", study.config.standard_population)).strip(),
            "source": " ".join(str(metadata.get("source", "")).split()),
            "status": status, "approximate": "APPROXIMATE" in status.upper() or "NOT VERIFIED" in status.upper()}
