"""The study pipeline: one registry of steps (:mod:`survey.pipeline.steps`) for the CLI, ``make demo``,
``survey report`` and the notebooks."""

from __future__ import annotations

from survey.pipeline.steps import NAMES, SHARED, STEPS, Step, ensure, result, run, stale, step

__all__ = ["NAMES", "SHARED", "STEPS", "Step", "ensure", "result", "run", "stale", "step"]
