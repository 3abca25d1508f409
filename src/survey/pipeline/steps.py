"""The step registry: every step of a study's pipeline, once, with its inputs, outputs and ``run``.

======== ============================================== ===========================
step     what it does                                   needs
======== ============================================== ===========================
intake   read, map, de-identify, validate the exports   —
scoring  every instrument, reliability by district      —
estimate prevalence tables (crude, raked, standardised)  —
effects  the pilot programme's effect (DiD)             capability ``effects``
reports  one report per district, and the index         —
======== ============================================== ===========================

A step is *stale* when one of its outputs is missing or older than one of its inputs (the
rule ``make`` uses); a step whose capability the study lacks is *skipped*, with the
capability's one-line reason. The command line (``survey ingest|score|prevalence|effects|
report``), ``make demo`` (``survey demo``), ``survey report``'s check of the shared steps and
the notebooks (:func:`result`) all go through this registry.

Example
-------
>>> from survey.pipeline import steps
>>> steps.stale(study)                          # doctest: +SKIP
['estimate', 'effects']
>>> scores = steps.result(study, "scoring")     # doctest: +SKIP  (loads scored.parquet if fresh)
>>> print(scores.summary())                     # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from survey.errors import ConfigError, InputFileError
from survey.outputs import check_manifest
from survey.study import Study, load_study


@dataclass(frozen=True)
class Step:
    """One step: its name, the capability it needs, its files, and where its run and load live."""

    name: str
    summary: str
    inputs: Callable[[Study], list[Path]]
    outputs: Callable[[Study], list[Path]]
    run_function: str                    # "module:function", called as function(study, **options)
    load_function: str | None = None     # "module:function", called as function(study): the result from its outputs
    needs: str | None = None             # a capability name (survey.study.capabilities)
    manifest: Callable[[Study], Path] | None = None  # written last, describing the outputs (survey.outputs)
    output_options: tuple[str, ...] = ()  # options of the run that name its outputs (the reports' language)

    def _call(self, target: str, *args, **kwargs):
        module_name, function_name = target.split(":")
        return getattr(importlib.import_module(module_name), function_name)(*args, **kwargs)

    def skip_reason(self, study: Study) -> str | None:
        """Why the study cannot have this step (one line), or None."""
        if self.needs is None:
            return None
        capability = study.capabilities()[self.needs]
        return None if capability else f"{self.name} skipped: {capability.reason}"

    def why_stale(self, study: Study) -> str | None:
        """Why the step must run (an output missing or older than an input), or None if up to date."""
        outputs = self.outputs(study)
        missing = [p for p in outputs if not p.is_file()]
        if missing:
            return f"{missing[0]} missing"
        if self.manifest is not None:  # changed since, or left half-written by an interrupted run
            manifest = self.manifest(study)
            described = [p.name for p in outputs if p != manifest]
            check = check_manifest(manifest.parent, manifest.name, described)
            if not check.ok:
                return f"{manifest.name}: {check.problems[0].split(';')[0]}"
        oldest = min(outputs, key=lambda p: p.stat().st_mtime)
        newer = [p for p in self.inputs(study) if p.is_file() and p.stat().st_mtime > oldest.stat().st_mtime]
        if newer:
            return f"{newer[0].name} is newer than {oldest.name}"
        return None

    def run(self, study: Study, **options):
        """Run the step; raises ConfigError (one line) when the study cannot have it."""
        reason = self.skip_reason(study)
        if reason:
            raise ConfigError(f"{study.config_file}: {reason}")
        result = self._call(self.run_function, study, **options)
        written_elsewhere = options.get("output") is not None or options.get("write") is False
        named = {key: options[key] for key in self.output_options if key in options}
        missing = [] if written_elsewhere else [str(p) for p in self.outputs(study, **named) if not p.is_file()]
        if missing:
            raise InputFileError(f"step {self.name}: expected {', '.join(missing)} after it ran, found no such file")
        return result

    def load(self, study: Study):
        """The step's result read from its outputs (they must exist and be up to date)."""
        if self.load_function is None:
            raise ConfigError(f"step {self.name}: its result cannot be read back; run it")
        return self._call(self.load_function, study)


def _config(study: Study) -> list[Path]:
    return [study.config_file]


def _intake_inputs(study: Study) -> list[Path]:
    files = [*_config(study), *(spec.path for spec in study.inputs)]
    if study.config.districts is not None:
        files.append(study.path(study.config.districts))
    return files


def _intake_outputs(study: Study) -> list[Path]:
    paths = study.paths
    return [paths.responses, paths.validation_report, paths.validation_summary, paths.intake_manifest]


def _scoring_outputs(study: Study) -> list[Path]:
    from survey.scoring.study import outputs

    return outputs(study)


def _estimation_inputs(study: Study) -> list[Path]:
    files = [*_config(study), study.paths.scored]
    if study.config.margins is not None:
        files.append(study.path(study.config.margins.file))
    if study.config.analysis.small_area is not None:
        files.append(study.path(study.config.analysis.small_area.covariates))
    return files


def _estimation_outputs(study: Study) -> list[Path]:
    from survey.estimation.study import outputs

    return outputs(study)


def _effects_inputs(study: Study) -> list[Path]:
    files = [*_config(study), study.paths.scored]
    services = study.config.services
    for relative in (services.yearly, services.monthly) if services else ():
        if relative:
            files.append(study.path(relative))
    if study.config.districts is not None:
        files.append(study.path(study.config.districts))
    return files


def _reports_inputs(study: Study) -> list[Path]:
    return [*_estimation_outputs(study), study.paths.scored]


def _reports_outputs(study: Study, lang: str = "zh") -> list[Path]:
    return [study.paths.index(lang)]


STEPS: tuple[Step, ...] = (
    Step("intake", "read, map, de-identify and validate the exports", _intake_inputs, _intake_outputs,
         "survey.intake:ingest", "survey.intake.ingest:load_result", manifest=lambda s: s.paths.intake_manifest),
    Step("scoring", "score every instrument, reliability by district", lambda s: [*_config(s), s.paths.responses],
         _scoring_outputs, "survey.scoring.study:score_study", "survey.scoring.study:load_scores",
         manifest=lambda s: s.paths.scoring_manifest),
    Step("estimate", "prevalence tables: crude, raked, standardised", _estimation_inputs, _estimation_outputs,
         "survey.estimation.study:prevalence_tables", "survey.estimation.study:load_tables",
         manifest=lambda s: s.paths.estimation_manifest),
    Step("effects", "the pilot programme's effect (difference-in-differences)", _effects_inputs,
         lambda s: [s.paths.pilot_effects], "survey.effects.study:pilot_effects", "survey.effects.study:load_effects",
         needs="effects", manifest=lambda s: s.paths.effects_manifest),
    Step("reports", "one report per district, and the index page", _reports_inputs, _reports_outputs,
         "survey.reports.runner:build_reports", output_options=("lang",)),
)
NAMES = tuple(step.name for step in STEPS)
#: The steps every district report reads the outputs of.
SHARED = ("intake", "scoring", "estimate", "effects")


def step(name: str) -> Step:
    """The step called ``name`` (one of :data:`NAMES`)."""
    for candidate in STEPS:
        if candidate.name == name:
            return candidate
    raise ConfigError(f"step: expected one of {', '.join(NAMES)}, found {name!r}")


def _study(study: Study | str | Path) -> Study:
    return study if isinstance(study, Study) else load_study(study)


def stale(study: Study | str | Path, names: Sequence[str] = SHARED) -> list[str]:
    """The steps (of ``names``) the study can have whose outputs are missing or out of date, in order.

    A step is also stale when an earlier one is (its inputs are about to change).
    """
    study = _study(study)
    out, earlier = [], False
    for name in names:
        current = step(name)
        if current.skip_reason(study):
            continue
        if earlier or current.why_stale(study):
            out.append(name)
            earlier = True
    return out


def ensure(study: Study | str | Path, names: Sequence[str] = SHARED, echo: Callable[[str], None] = print,
           ) -> list[str]:
    """Run, in order, every step of ``names`` that is stale; say why each ran or was skipped. Returns the ones run."""
    study = _study(study)
    ran = []
    for name in names:
        current = step(name)
        reason = current.skip_reason(study)
        if reason:
            echo(f"[{name}] {reason}")
            continue
        why = current.why_stale(study)
        if why is None and not ran:
            continue
        echo(f"[{name}] running ({why or 'an earlier step ran'})")
        current.run(study)
        ran.append(name)
    return ran


def result(study: Study | str | Path, name: str, *, skip: bool = False):
    """The result of step ``name``: read from its outputs when they are up to date, else (re)computed.

    Earlier steps that are stale run first. This is what notebooks call: on a study whose
    pipeline has run, nothing is recomputed. For a step the study cannot have, raises a
    one-line ConfigError, or with ``skip=True`` returns :class:`~survey.results.Skipped`.
    """
    study = _study(study)
    current = step(name)
    reason = current.skip_reason(study)
    if reason and skip:
        from survey.results import Skipped

        return Skipped(reason)
    if reason:
        raise ConfigError(f"{study.config_file}: {reason}")
    order = NAMES[: NAMES.index(name)]
    before = stale(study, order)
    if before:
        ensure(study, order, echo=lambda line: None)
    if before or current.why_stale(study) or current.load_function is None:
        return current.run(study)
    return current.load(study)


def run(study: Study | str | Path, names: Sequence[str] = NAMES, echo: Callable[[str], None] = print,
        options: dict[str, dict] | None = None, timings: dict[str, float] | None = None) -> dict:
    """Run the steps ``names`` in order (all by default), printing each result's summary.

    Steps the study cannot have are skipped with their reason. ``options`` maps a step name to
    keyword arguments of its run. ``timings``, when given, receives step name -> wall seconds.
    Returns step name -> result.
    """
    import time

    study = _study(study)
    results = {}
    for name in names:
        current = step(name)
        reason = current.skip_reason(study)
        if reason:
            echo(f"[{name}] {reason}")
            continue
        started = time.perf_counter()
        results[name] = current.run(study, **(options or {}).get(name, {}))
        if timings is not None:
            timings[name] = time.perf_counter() - started
        for line in results[name].summary().splitlines():
            echo(f"[{name}] {line}")
    return results
