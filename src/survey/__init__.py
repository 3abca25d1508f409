"""survey: a research workspace for population mental-health surveys.

The data flow, one sub-package a step:

intake (read, map, de-identify, validate) -> scoring (instruments as data, reliability)
-> estimation (design, domains, weighting, publication rules) -> effects -> reporting.

The most used functions are importable from here; heavy modules load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load_study": "survey.study",
    "Study": "survey.study",
    "validate": "survey.intake",
    "ingest": "survey.intake",
    "read_table": "survey.intake.readers",
    "load_instrument": "survey.instruments",
    "score": "survey.scoring",
    "score_study": "survey.scoring.study",
    "reliability": "survey.scoring.reliability",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'survey' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["__version__", *_LAZY]
