"""What an input's answer codes mean: ``code_base``, ``code_maps`` and ``missing_values``.

Online platforms (问卷星, 腾讯问卷) export numbered answers in two ways: the instrument's own
codes, or each item's options numbered 1..n in the order the questionnaire shows them
("按序号"). A study says which, per input of ``answers: codes``:

* ``code_base: 0`` (the default): the codes are the instrument's own;
* ``code_base: 1``: position k of the item's response set (in the order the instrument file
  lists the options) is exported as k. WHO-5 lists its options from 5 down to 0, so there
  export code 1 means instrument code 5;
* ``code_maps: {<response set>: {<export code>: <instrument code>}}`` overrides that for the
  items using one response set. The key is a response set id of the instrument files
  (``frequency_2w`` applies to every instrument of the study with that set), or
  ``<instrument>.<set>`` for one instrument only.

``missing_values`` lists cell texts that mean "no answer" in any column of the input
(``"(跳过)"``, ``"(空)"``, ``-3``); intake treats them as blank and counts them.

Example
-------
>>> from survey.instruments import load_instrument
>>> who5 = load_instrument("who5")
>>> export_codes(1, {}, who5, "who5_1")
{1: 5, 2: 4, 3: 3, 4: 2, 5: 1, 6: 0}
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from survey.errors import ConfigError

if TYPE_CHECKING:
    from survey.instruments import Instrument
    from survey.study import Study


def code_maps_of(input_id: str, code_maps: dict, *, where: Path | str) -> dict[str, dict[int, int]]:
    """An input's ``code_maps`` with whole-number export codes (YAML may give them as text)."""
    maps = {}
    for set_id, table in code_maps.items():
        converted = {}
        for export, code in table.items():
            try:
                number = float(str(export).strip())
            except ValueError:
                number = float("nan")
            if not number.is_integer():
                raise ConfigError(f"{where}: inputs[{input_id}].code_maps.{set_id}: expected whole-number "
                                  f"export codes, found {str(export)[:40]!r}")
            converted[int(number)] = int(code)
        maps[str(set_id)] = converted
    return maps


def _map_for(code_maps: dict[str, dict[int, int]], instrument: Instrument, set_id: str) -> dict[int, int] | None:
    return code_maps.get(f"{instrument.id}.{set_id}", code_maps.get(set_id))


def export_codes(code_base: int | None, code_maps: dict[str, dict[int, int]], instrument: Instrument,
                 item: str) -> dict[int, int] | None:
    """Export code -> instrument code for one item, or None when the export uses the instrument's own codes."""
    set_id = instrument.item(item).responses
    declared = _map_for(code_maps, instrument, set_id)
    if declared is not None:
        return dict(declared)
    if code_base == 1:
        return {position: option.code for position, option in enumerate(instrument.options(item), start=1)}
    return None


def check_answer_codes(study: Study) -> None:
    """Raise ConfigError when an input's code_base/code_maps cannot apply to the study's instruments."""
    where = study.config_file
    sets: dict[str, list[Instrument]] = {}
    for instrument in study.instruments.values():
        for set_id in {item.responses for item in instrument.items}:
            sets.setdefault(set_id, []).append(instrument)
            sets.setdefault(f"{instrument.id}.{set_id}", []).append(instrument)
    for spec in study.inputs:
        key = f"inputs[{spec.id}]"
        if spec.answers != "codes":
            for name in ("code_base", "code_maps"):
                if getattr(spec, name):
                    raise ConfigError(f"{where}: {key}.{name}: applies to `answers: codes` inputs only, "
                                      f"found `answers: {spec.answers}`; remove it or set `answers: codes`")
        for set_id, table in spec.code_maps.items():
            users = sets.get(set_id)
            if not users:
                known = sorted(s for s in sets if "." not in s)
                raise ConfigError(f"{where}: {key}.code_maps.{set_id}: expected a response set of the study's "
                                  f"instruments ({', '.join(known)}), or <instrument>.<set>, found {set_id!r}")
            for instrument in users:
                if "." not in set_id and f"{instrument.id}.{set_id}" in spec.code_maps:
                    continue
                valid = {option.code for option in instrument.response_sets[set_id.split(".")[-1]]}
                wrong = sorted(set(table.values()) - valid)
                if wrong:
                    raise ConfigError(
                        f"{where}: {key}.code_maps.{set_id}: expected instrument codes {sorted(valid)} of "
                        f"{instrument.id}, found {wrong}" + ("" if "." in set_id else
                                                              f"; use `{instrument.id}.{set_id}` to map one "
                                                              "instrument's set only"))
