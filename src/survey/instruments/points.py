"""Points an item's response codes earn: the one place that applies a response set's scores
and reverse keying.

An option scores its ``score`` when the file gives one (e.g. AD8 "don't know" = 0), else its
code. A reverse-keyed item turns every option *without* its own ``score`` around: it scores
``lowest + highest - ordinary score``, where lowest and highest are taken over those options
(0-3 becomes 3-0, 1-5 becomes 5-1); options with their own ``score`` keep it.

Example
-------
>>> from survey.instruments import load_instrument
>>> from survey.instruments.points import option_points
>>> option_points(load_instrument("epds"), "epds_10", reverse=True)
{0: 3.0, 1: 2.0, 2: 1.0, 3: 0.0}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from survey.instruments import Instrument


def _raw_options(instrument: Instrument, item_id: str) -> list[dict]:
    return instrument.spec["response_sets"][instrument.item(item_id).responses]


def option_points(instrument: Instrument, item_id: str, *, reverse: bool = False) -> dict[int, float]:
    """Response code -> points for one item, forward or reverse-keyed."""
    options = _raw_options(instrument, item_id)
    ordinary = [float(o["code"]) for o in options if "score" not in o]
    low, high = (min(ordinary), max(ordinary)) if ordinary else (0.0, 0.0)
    points = {}
    for option in options:
        if "score" in option:
            points[int(option["code"])] = float(option["score"])
        else:
            code = float(option["code"])
            points[int(option["code"])] = low + high - code if reverse else code
    return points


def correct_answer_points(instrument: Instrument, item_id: str, key_code: int, points: float) -> dict[int, float]:
    """Response code -> points for a right/wrong item: ``points`` for the key, 0 otherwise."""
    return {int(o["code"]): (float(points) if int(o["code"]) == key_code else 0.0)
            for o in _raw_options(instrument, item_id)}
