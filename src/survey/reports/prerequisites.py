"""The work every district report shares, done once: intake, scoring, estimation, effects.

Each step has input files and output files. A step runs when one of its outputs is missing,
older than one of its inputs (the rule ``make`` uses), or does not match the step's manifest
(changed, or left half-written by an interrupted run); steps run in order, so a step that
reruns makes the later steps' outputs stale in turn. The district reports only read the
outputs; no worker process ever runs a step.

Example
-------
>>> stale_steps(study)                         # doctest: +SKIP
['estimation', 'effects']
>>> ensure_shared_outputs(study, echo=print)   # doctest: +SKIP
[report] running estimation (reports/demo/tables/prevalence.csv missing)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from survey.errors import ConfigError, InputFileError
from survey.outputs import check_manifest
from survey.study import Study


@dataclass(frozen=True)
class SharedStep:
    """A pipeline step the reports depend on: its files and how to run it."""

    name: str
    inputs: Callable[[Study], list[Path]]
    outputs: Callable[[Study], list[Path]]
    function: str  # "module:function", called with the study
    manifest: str = ""  # the step's manifest, beside its first output: it must describe every output

    def run(self, study: Study) -> None:
        module_name, function_name = self.function.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name and module_name.startswith(error.name):
                raise ConfigError(f"report step {self.name}: expected the module {module_name} to run it, "
                                  "found none in this installation") from None
            raise
        getattr(module, function_name)(study)
        missing = [str(p) for p in self.outputs(study) if not p.is_file()]
        if missing:
            raise InputFileError(f"report step {self.name}: expected {', '.join(missing)} after running "
                                 f"{self.function}, found no such file")

    def why_stale(self, study: Study) -> str | None:
        """Why the step must run (an output missing or older than an input), or None if up to date."""
        outputs = self.outputs(study)
        missing = [p for p in outputs if not p.is_file()]
        if missing:
            return f"{missing[0]} missing"
        if self.manifest:
            folder = outputs[0].parent
            check = check_manifest(folder, self.manifest, [str(p.relative_to(folder)) for p in outputs])
            if not check.ok:
                return f"{self.manifest}: {check.problems[0].split(';')[0]}"
        oldest = min(outputs, key=lambda p: p.stat().st_mtime)
        newer = [p for p in self.inputs(study) if p.is_file() and p.stat().st_mtime > oldest.stat().st_mtime]
        if newer:
            return f"{newer[0].name} is newer than {oldest.name}"
        return None


def _config(study: Study) -> list[Path]:
    return [study.config_file]


def _intake_inputs(study: Study) -> list[Path]:
    files = [*_config(study), *(spec.path for spec in study.inputs)]
    if "districts" in study.spec:
        files.append(study.path(study.spec["districts"]))
    return files


def _processed(*names: str) -> Callable[[Study], list[Path]]:
    return lambda study: [study.processed_dir / name for name in names]


def _tables(*names: str) -> Callable[[Study], list[Path]]:
    return lambda study: [study.reports_dir / "tables" / name for name in names]


def _estimation_inputs(study: Study) -> list[Path]:
    files = [*_config(study), study.processed_dir / "scored.parquet"]
    margins = (study.spec.get("margins") or {}).get("file")
    if margins:
        files.append(study.path(margins))
    return files


def _effects_inputs(study: Study) -> list[Path]:
    files = [*_config(study), study.processed_dir / "scored.parquet"]
    for relative in (study.spec.get("services") or {}).values():
        files.append(study.path(relative))
    return files


STEPS = (
    SharedStep("intake", _intake_inputs,
               _processed("responses.parquet", "validation_report.csv"), "survey.intake:ingest", "manifest.json"),
    SharedStep("scoring", lambda s: [*_config(s), s.processed_dir / "responses.parquet"],
               _processed("scored.parquet"), "survey.scoring.study:score_study", "scoring_manifest.json"),
    SharedStep("estimation", _estimation_inputs,
               _tables("prevalence.csv", "prevalence_subgroups.csv", "prevalence_change.csv"),
               "survey.estimation.study:prevalence_tables", "estimation_manifest.json"),
    SharedStep("effects", _effects_inputs, _tables("pilot_effects.csv"), "survey.effects.study:pilot_effects",
               "effects_manifest.json"),
)


def stale_steps(study: Study) -> list[str]:
    """Names of the steps whose outputs are missing or older than their inputs (before any runs)."""
    return [step.name for step in STEPS if step.why_stale(study)]


def ensure_shared_outputs(study: Study, echo: Callable[[str], None] = print) -> list[str]:
    """Run, in order, every shared step whose outputs are missing or stale; return their names."""
    ran = []
    for step in STEPS:
        reason = step.why_stale(study)
        if reason is None:
            continue
        echo(f"[report] running {step.name} ({reason})")
        step.run(study)
        ran.append(step.name)
    return ran
