"""Build every district's report: shared work once, then papermill per district in parallel.

:func:`build_reports` does the orchestration only (what a report says is in
:mod:`survey.reports.content`):

1. runs the shared steps whose outputs are missing or stale (intake, scoring, estimation,
   effects, as the study supports them; :mod:`survey.pipeline.steps`) and loads their outputs once;
2. hashes each district's inputs and skips the districts whose last report succeeded with the
   same hash (:mod:`survey.reports.manifest`);
3. runs ``notebooks/district_report.ipynb`` for each remaining district with papermill in
   ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`, spawned), with
   a tqdm progress bar; each worker also converts its executed notebook to a self-contained
   HTML page (:mod:`survey.reports.webpage`);
4. writes the city's index page (:mod:`survey.reports.index`).

A district whose run fails does not stop the others; its executed notebook (with the error)
is kept for inspection, its manifest records the error, and the result names it.

Example
-------
>>> run = build_reports("data/demo/study.yaml", jobs=2)      # doctest: +SKIP
>>> print(run.summary())                                    # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError, InputFileError, SurveyError
from survey.masking import mask_text
from survey.outputs import atomic_path, ensure_folder, write_bytes, write_text
from survey.pipeline import steps
from survey.reports.index import language_root, slug_of, write_index
from survey.reports.inputs import ReportData
from survey.reports.manifest import (
    REPORT_HTML,
    REPORT_NOTEBOOK,
    input_hash,
    needs_run,
    write_manifest,
)
from survey.reports.text import check_language, text
from survey.study import Study, load_study

PREFERRED_KERNEL = "survey"
FALLBACK_KERNEL = "python3"
NOTEBOOK_NAME = "district_report.ipynb"
#: The kernels stay quiet: their start-up and shutdown notes would interleave with the progress bar
#: (a failing cell still fails the run, with its error, through papermill).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]


class ReportBuildError(SurveyError):
    """One or more district reports failed (the others were built)."""


def default_notebook() -> Path:
    """``notebooks/district_report.ipynb`` of the workspace."""
    from survey.paths import project_root

    return project_root() / "notebooks" / NOTEBOOK_NAME


def choose_kernel() -> tuple[str, str]:
    """The Jupyter kernel to run reports with, and a note when it is not the project's own.

    ``survey`` (registered by ``make setup`` with ``ipykernel install --sys-prefix``) if present,
    else ``python3``.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if PREFERRED_KERNEL in specs:
        return PREFERRED_KERNEL, ""
    if FALLBACK_KERNEL in specs:
        return FALLBACK_KERNEL, (f"kernel {PREFERRED_KERNEL!r} is not registered (make setup registers it); "
                                 f"using {FALLBACK_KERNEL!r}")
    raise ConfigError(f"Jupyter kernel: expected {PREFERRED_KERNEL!r} or {FALLBACK_KERNEL!r}, "
                      f"found {', '.join(sorted(specs)) or 'none'}; run `make setup`")


@dataclass(frozen=True)
class DistrictJob:
    """Everything a worker needs to build one district's report (plain values: it is pickled)."""

    study_file: str
    district: str
    slug: str
    title: str
    wave: int
    lang: str
    output_dir: str
    notebook: str
    kernel: str
    digest: str
    timeout: int
    inputs_file: str = ""

    @property
    def parameters(self) -> dict:
        """The notebook's parameters (the inputs file is a hand-off within one build, not recorded)."""
        return {"study": self.study_file, "district": self.district, "wave": self.wave, "lang": self.lang,
                "output_dir": self.output_dir, "run_missing_steps": False}


@dataclass
class DistrictOutcome:
    """What happened to one district: ``built``, ``skipped`` (unchanged) or ``failed`` (with the error)."""

    district: str
    slug: str
    status: str
    error: str = ""
    seconds: float = 0.0
    html: str = ""


def _one_line(error: BaseException) -> str:
    name = getattr(error, "ename", None) or type(error).__name__
    message = str(getattr(error, "evalue", None) or error).strip().splitlines()
    return str(mask_text(f"{name}: {message[0] if message else ''}".strip()))


def render_district(job: DistrictJob) -> DistrictOutcome:
    """Run the notebook for one district and convert it to HTML (in a worker process).

    Never raises: a failure is returned as an outcome with a one-line error, and recorded in
    the district's manifest; the executed notebook (with the failing cell) stays for inspection.
    """
    import papermill

    from survey.reports.webpage import notebook_to_html

    start = time.perf_counter()
    folder = Path(job.output_dir)
    html_path = folder / REPORT_HTML
    executed = folder / REPORT_NOTEBOOK
    try:
        ensure_folder(folder)
        # the executed notebook and the page are written under temporary names and renamed when
        # complete: an interrupted run leaves the previous report or none, never half of one
        with atomic_path(executed) as notebook_tmp:
            try:
                papermill.execute_notebook(job.notebook, str(notebook_tmp), parameters={
                                           **job.parameters, "inputs_file": job.inputs_file},
                                           kernel_name=job.kernel, progress_bar=False, log_output=False,
                                           request_save_on_cell_execute=False, cwd=str(folder),
                                           execution_timeout=job.timeout, extra_arguments=KERNEL_ARGUMENTS)
            except Exception:
                if notebook_tmp.is_file() and notebook_tmp.stat().st_size:  # the failed run, for inspection
                    write_bytes(executed, notebook_tmp.read_bytes())
                raise
        write_text(html_path, notebook_to_html(executed, lang=job.lang, title=job.title))
    except Exception as error:  # any failure of this district only: recorded, the others go on
        html_path.unlink(missing_ok=True)
        seconds = time.perf_counter() - start
        message = _one_line(error)
        try:
            write_manifest(folder, district=job.district, digest=job.digest, parameters=job.parameters,
                           status="failed", error=message, seconds=seconds)
        except SurveyError:
            pass  # the folder itself cannot be written: the outcome still names the district and the error
        return DistrictOutcome(job.district, job.slug, "failed", message, seconds)
    seconds = time.perf_counter() - start
    write_manifest(folder, district=job.district, digest=job.digest, parameters=job.parameters, status="ok",
                   seconds=seconds, files=[REPORT_HTML, REPORT_NOTEBOOK])
    return DistrictOutcome(job.district, job.slug, "built", seconds=seconds, html=str(html_path))


@dataclass
class ReportRun:
    """The result of :func:`build_reports`: one outcome per district, the index page, what ran."""

    study: Study
    lang: str
    outcomes: list[DistrictOutcome]
    index: Path | None
    steps_run: list[str] = field(default_factory=list)
    kernel: str = PREFERRED_KERNEL
    kernel_note: str = ""
    seconds: float = 0.0

    @property
    def failures(self) -> list[DistrictOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_frame(self) -> pd.DataFrame:
        """One row per district: district, slug, status, error, seconds, html."""
        return pd.DataFrame([asdict(o) for o in self.outcomes],
                            columns=["district", "slug", "status", "error", "seconds", "html"])

    def failure_lines(self) -> list[str]:
        """One line per failed district: its name and its error."""
        return [f"district {o.district!r} failed: {o.error}" for o in self.failures]

    def summary(self, failures: bool = True) -> str:
        """Counts built/skipped/failed, steps run, (each failure,) and the index page."""
        counts = self.to_frame()["status"].value_counts()
        parts = [f"{counts.get(s, 0)} {s}" for s in ("built", "skipped", "failed")]
        lines = [f"{self.study.id} ({self.lang}): {len(self.outcomes)} district reports: {', '.join(parts)} "
                 f"in {self.seconds:.1f} s (kernel {self.kernel})"]
        if self.steps_run:
            lines.append(f"shared steps run first: {', '.join(self.steps_run)}")
        if failures:
            lines += self.failure_lines()
        if self.index:
            lines.append(f"index: {self.index}")
        return "\n".join(lines)


def resolve_districts(study: Study, districts: str | Sequence[str] | None) -> list[str]:
    """District codes from ``all``/None, or names: a code, a Chinese or an English name each.

    Names that match no district are kept as given: their report fails, with an error that
    lists the known districts, and the others are built.
    """
    table = study.districts()
    if districts is None or districts == "all" or (not isinstance(districts, str) and list(districts) == ["all"]):
        return list(table["code"])
    names = [d.strip() for d in districts.split(",")] if isinstance(districts, str) else [str(d) for d in districts]
    lookup = {}
    for column in ("name_en", "name_zh", "code"):
        lookup.update({str(k).casefold(): code for k, code in zip(table[column], table["code"], strict=True)})
    return list(dict.fromkeys(lookup.get(n.casefold(), n) for n in names if n))


@dataclass
class ReportPlan:
    """Which districts a build runs (``to_run``) and which it skips as unchanged (``skipped``)."""

    to_run: list[DistrictJob]
    skipped: list[DistrictOutcome]
    #: districts refused before any work, with the reason (a district without respondents in the wave)
    refused: list[DistrictOutcome] = field(default_factory=list)

    @property
    def districts_to_run(self) -> list[str]:
        return [job.district for job in self.to_run]


def plan_reports(data: ReportData, districts: str | Sequence[str] | None = "all", *, lang: str = "zh",
                 wave: int, force: bool = False, notebook: Path, kernel: str = PREFERRED_KERNEL,
                 timeout: int = 600) -> ReportPlan:
    """Hash each district's inputs and decide what to run: changed, failed, new or forced districts.

    The hash (:func:`~survey.reports.manifest.input_hash`) covers the district's and the city's
    rows of every input table, the parameters, the notebook, the study configuration and the
    district table, and the report package's version, code and wording.
    """
    study = data.study
    root = language_root(study.reports_dir, lang)
    names = study.districts().set_index("code")["name_zh" if lang == "zh" else "name_en"].to_dict()
    shared_files = [Path(notebook), study.config_file]
    if study.config.districts is not None:
        shared_files.append(study.path(study.config.districts))
    to_run, skipped, refused = [], [], []
    sample = data.sample[data.sample["wave"] == wave]
    with_data = set(sample.loc[sample["respondents"] > 0, "district"].astype(str))
    # the study by its place relative to the reports, so a study moved or copied with its reports is unchanged
    study_place = os.path.relpath(study.config_file, root)
    for district in resolve_districts(study, districts):
        slug = slug_of(district)
        folder = root / slug
        if district in names and district not in with_data:
            message = (f"district {district!r} is in {study.config.districts or 'the district table'} but has "
                       f"no respondents in wave {wave} of processed/scored.parquet; check the district column "
                       "of the inputs, or remove the district from the table")
            refused.append(DistrictOutcome(district, slug, "failed", message))
            continue
        parameters = {"district": district, "wave": wave, "lang": lang, "study": study_place}
        data_digest = data.for_district(district).digest() if district in names else "unknown district"
        digest = input_hash(data_digest=data_digest, parameters=parameters, files=shared_files)
        if not force and district in names and not needs_run(folder, digest):
            skipped.append(DistrictOutcome(district, slug, "skipped", html=str(folder / REPORT_HTML)))
            continue
        title = text("title", lang, district=names.get(district, district), wave=wave)
        to_run.append(DistrictJob(str(study.config_file), district, slug, title, wave, lang, str(folder),
                                  str(notebook), kernel, digest, timeout))
    return ReportPlan(to_run, skipped, refused)


def build_reports(
    study: Study | str | Path,
    districts: str | Sequence[str] | None = "all",
    *,
    jobs: int = 1,
    lang: str = "zh",
    wave: int | None = None,
    force: bool = False,
    progress: bool = True,
    echo: Callable[[str], None] = print,
    notebook: str | Path | None = None,
    timeout: int = 600,
) -> ReportRun:
    """Build the district reports of a study and its index page.

    Parameters
    ----------
    study : Study or path
    districts : "all", a comma-separated string or a list of names
        District codes or names (Chinese or English); default every district.
    jobs : int, default 1
        Worker processes running notebooks at once (1: run in this process).
    lang : {"zh", "en"}
        Chinese reports go to ``reports/<study>/``, English ones to ``reports/<study>/en/``.
    wave : int, optional
        Survey round; default the latest.
    force : bool, default False
        Rebuild every district even if its inputs are unchanged.
    progress : bool, default True
        Show a tqdm progress bar (on stderr).
    echo : callable
        Where to print the steps run and notes.
    notebook : path, optional
        The report notebook; default ``notebooks/district_report.ipynb``.
    timeout : int, default 600
        Seconds a notebook cell may run.

    Returns
    -------
    ReportRun
        ``.ok`` is False when any district failed; ``.failure_lines()`` names each with its error.
    """
    started = time.perf_counter()
    lang = check_language(lang)
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs: expected a whole number of at least 1, found {jobs!r}")
    study = study if isinstance(study, Study) else load_study(study)
    notebook = Path(notebook) if notebook else default_notebook()
    if not notebook.is_file():
        raise InputFileError(f"{notebook}: expected the district report notebook, found no file")
    steps_run = steps.ensure(study, steps.SHARED, echo=lambda line: echo(f"[report] {line}"))
    data = ReportData.load(study)
    waves = sorted(int(w) for w in (study.waves or data.prevalence["wave"].unique()))
    wave = int(wave) if wave else waves[-1]
    if wave not in waves:
        raise ConfigError(f"wave: expected one of {', '.join(map(str, waves))}, found {wave!r}")
    kernel, kernel_note = choose_kernel()
    if kernel_note:
        echo(f"[report] {kernel_note}")

    plan = plan_reports(data, districts, lang=lang, wave=wave, force=force, notebook=notebook, kernel=kernel,
                        timeout=timeout)
    root = language_root(study.reports_dir, lang)
    with tempfile.TemporaryDirectory(prefix="survey-report-") as handoff:
        inputs_file = str(data.write(Path(handoff) / "inputs.pickle"))
        to_run = [dataclasses.replace(job, inputs_file=inputs_file) for job in plan.to_run]
        outcomes = plan.skipped + plan.refused + _run_jobs(to_run, jobs, progress)
    for outcome in plan.refused:
        folder = root / outcome.slug
        (folder / REPORT_HTML).unlink(missing_ok=True)
        write_manifest(folder, district=outcome.district, digest="", parameters={}, status="failed",
                       error=outcome.error)
    order = {d: i for i, d in enumerate(resolve_districts(study, districts))}
    outcomes.sort(key=lambda o: order.get(o.district, len(order)))
    index = write_index(data, lang=lang, root=root, wave=wave)
    return ReportRun(study=study, lang=lang, outcomes=outcomes, index=index, steps_run=steps_run, kernel=kernel,
                     kernel_note=kernel_note, seconds=time.perf_counter() - started)


def _run_jobs(jobs_to_run: list[DistrictJob], jobs: int, progress: bool) -> list[DistrictOutcome]:
    from tqdm import tqdm

    if not jobs_to_run:
        return []
    bar = tqdm(total=len(jobs_to_run), desc="district reports", unit="report", disable=not progress, leave=True)
    outcomes = []
    try:
        if jobs == 1 or len(jobs_to_run) == 1:
            for job in jobs_to_run:
                outcomes.append(render_district(job))
                bar.update()
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=min(jobs, len(jobs_to_run)), mp_context=context) as pool:
                futures = {pool.submit(render_district, job): job for job in jobs_to_run}
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        outcomes.append(future.result())
                    except Exception as error:  # the worker process itself died
                        outcomes.append(DistrictOutcome(job.district, job.slug, "failed", _one_line(error)))
                    bar.update()
    finally:
        bar.close()
    return outcomes
