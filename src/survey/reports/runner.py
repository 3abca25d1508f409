"""Build every district's report: shared work once, then papermill per district in parallel.

:func:`build_reports` does the orchestration only (what a report says is in
:mod:`survey.reports.content`):

1. runs the shared steps whose outputs are missing or stale (intake, scoring, estimation,
   effects, as the study supports them; :mod:`survey.pipeline.steps`) and loads their outputs once;
2. hashes each district's inputs and skips the districts whose last report succeeded with the
   same hash (:mod:`survey.reports.manifest`);
3. runs ``notebooks/district_report.ipynb`` for each remaining district with papermill in
   ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`, spawned), with
   a tqdm progress bar. Each worker keeps one kernel and one headless Chromium for all the
   districts it builds, and for each converts the executed notebook to a self-contained HTML
   page and prints it to ``report.pdf`` (:mod:`survey.reports.worker`);
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
from survey.pipeline import steps
from survey.reports.index import language_root
from survey.reports.inputs import ReportData
from survey.reports.manifest import REPORT_HTML, input_hash, needs_run, read_manifest, write_manifest
from survey.reports.pagetext import page_text
from survey.reports.text import LABEL_DIR, LANGUAGES, check_language, text
from survey.reports.worker import (
    DistrictJob,
    DistrictOutcome,
    close_worker,
    one_line,
    render_district,
    start_worker,
    worker_ready,
)
from survey.results import Result
from survey.study import Study, load_study
from survey.study.paths import INDEX_HTML, REPORT_PDF, slug_of

__all__ = ["DistrictJob", "DistrictOutcome", "ReportBuildError", "ReportPlan", "ReportRun", "build_reports",
           "choose_kernel", "default_notebook", "plan_reports", "render_district", "resolve_districts"]

PREFERRED_KERNEL = "survey"
FALLBACK_KERNEL = "python3"
NOTEBOOK_NAME = "district_report.ipynb"


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


def other_language(lang: str) -> str:
    return next(other for other in LANGUAGES if other != lang)


def district_links(reports_dir: Path, slug: str, lang: str, pdf: bool = True) -> tuple[tuple[str, str, str], ...]:
    """A district page's navigation: the index, the same district in the other language (if built), the PDF."""
    other = other_language(lang)
    links = [(page_text("nav.back", lang), f"../{INDEX_HTML}", "")]
    page = language_root(reports_dir, other) / slug / REPORT_HTML
    if page.is_file():
        href = os.path.relpath(page, language_root(reports_dir, lang) / slug)
        links.append((page_text("nav.other_language", lang), Path(href).as_posix(), other))
    if pdf:
        links.append((page_text("nav.pdf", lang), REPORT_PDF, ""))
    return tuple(links)


def font_characters(study: Study) -> str:
    """Every character the study's pages are likely to use.

    The wording files, the reference populations' descriptions, the study file, its instruments' files
    (names, citations) and the district table.
    """
    from survey.paths import REFERENCE_DATA_DIR

    parts = [path.read_text(encoding="utf-8") for folder in (LABEL_DIR, REFERENCE_DATA_DIR)
             for path in sorted(folder.glob("*.yaml"))]
    parts.append(study.config_file.read_text(encoding="utf-8"))
    parts += [instrument.path.read_text(encoding="utf-8") for instrument in study.instruments.values()
              if instrument.path is not None and instrument.path.is_file()]
    if study.config.districts is not None and study.path(study.config.districts).is_file():
        parts.append(study.path(study.config.districts).read_text(encoding="utf-8"))
    return "".join(parts)


@dataclass
class ReportRun(Result):
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
        """One row per district: district, slug, status, error, seconds, html, pdf."""
        return pd.DataFrame([asdict(o) for o in self.outcomes],
                            columns=["district", "slug", "status", "error", "seconds", "html", "pdf"])

    def failure_lines(self) -> list[str]:
        """One line per failed district: its name and its error."""
        return [f"district {o.district!r} failed: {o.error}" for o in self.failures]

    def summary(self, failures: bool = True) -> str:
        """Counts built/(relinked/)skipped/failed, steps run, (each failure,) and the index page."""
        counts = self.to_frame()["status"].value_counts()
        parts = [f"{counts.get(s, 0)} {s}" for s in ("built", "skipped", "failed")]
        if counts.get("relinked", 0):
            parts.insert(1, f"{counts['relinked']} relinked")
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
    """Which districts a build runs (``to_run``), only re-pages (``relink``) and skips as unchanged (``skipped``).

    A district whose inputs are unchanged but whose page needs other links (its other-language
    twin now exists) is *relinked*: its page and PDF are made again from the executed notebook
    it already has, without running it.
    """

    to_run: list[DistrictJob]
    skipped: list[DistrictOutcome]
    relink: list[DistrictJob] = field(default_factory=list)
    #: districts refused before any work, with the reason (a district without respondents in the wave)
    refused: list[DistrictOutcome] = field(default_factory=list)

    @property
    def districts_to_run(self) -> list[str]:
        return [job.district for job in self.to_run]


def plan_reports(data: ReportData, districts: str | Sequence[str] | None = "all", *, lang: str = "zh",
                 wave: int, force: bool = False, notebook: Path, kernel: str = PREFERRED_KERNEL,
                 timeout: int = 600, pdf: bool = True) -> ReportPlan:
    """Hash each district's inputs and decide what to run: changed, failed, new or forced districts.

    The hash (:func:`~survey.reports.manifest.input_hash`) covers the district's and the city's
    rows of every input table, the parameters, the notebook, the study configuration and the
    district table, and the report package's version, code and wording. A district with the same
    hash whose page's links changed (or whose PDF is missing) is relinked, not rerun.
    """
    study = data.study
    root = language_root(study.reports_dir, lang)
    names = study.districts().set_index("code")["name_zh" if lang == "zh" else "name_en"].to_dict()
    shared_files = [Path(notebook), study.config_file]
    if study.config.districts is not None:
        shared_files.append(study.path(study.config.districts))
    to_run, skipped, relink, refused = [], [], [], []
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
        links = district_links(study.reports_dir, slug, lang, pdf=pdf)
        parameters = {"district": district, "wave": wave, "lang": lang, "study": study_place}
        data_digest = data.district_digests()[district] if district in names else "unknown district"
        digest = input_hash(data_digest=data_digest, parameters=parameters, files=shared_files)
        title = text("title", lang, district=names.get(district, district), wave=wave)
        job = DistrictJob(str(study.config_file), district, slug, title, wave, lang, str(folder), str(notebook),
                          kernel, digest, timeout, links=links, pdf=pdf)
        if force or district not in names or needs_run(folder, digest):
            to_run.append(job)
        elif [list(link) for link in links] != read_manifest(folder).get("links", []) or \
                (pdf and not (folder / REPORT_PDF).is_file()):
            relink.append(dataclasses.replace(job, execute=False))
        else:
            skipped.append(DistrictOutcome(district, slug, "skipped", html=str(folder / REPORT_HTML),
                                           pdf=str(folder / REPORT_PDF) if pdf else ""))
    return ReportPlan(to_run, skipped, relink, refused)


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
    pdf: bool = True,
) -> ReportRun:
    """Build the district reports of a study (HTML and PDF) and its index page.

    Parameters
    ----------
    study : Study or path
    districts : "all", a comma-separated string or a list of names
        District codes or names (Chinese or English); default every district.
    jobs : int, default 1
        Worker processes building reports at once (each keeps one kernel and one browser).
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
    pdf : bool, default True
        Also print each page to ``report.pdf`` (A4) with Debian's Chromium.

    Returns
    -------
    ReportRun
        ``.ok`` is False when any district failed; ``.failure_lines()`` names each with its error.
    """
    from survey.reports.fonts import base_font
    from survey.reports.index import prepare_index, write_index

    started = time.perf_counter()
    lang = check_language(lang)
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs: expected a whole number of at least 1, found {jobs!r}")
    study = study if isinstance(study, Study) else load_study(study)
    notebook = Path(notebook) if notebook else default_notebook()
    if not notebook.is_file():
        raise InputFileError(f"{notebook}: expected the district report notebook, found no file")
    if pdf:
        from survey.reports.browser import chromium_path

        chromium_path()  # a one-line error now, not one per district
    steps_run = steps.ensure(study, steps.SHARED, echo=lambda line: echo(f"[report] {line}"))
    kernel, kernel_note = choose_kernel()
    if kernel_note:
        echo(f"[report] {kernel_note}")
    root = language_root(study.reports_dir, lang)
    candidates = resolve_districts(study, districts)
    workers = min(jobs, len(candidates))
    likely = force or any(_incomplete(root / slug_of(code), pdf) for code in candidates)
    # workers start their kernel and browser while this process loads the inputs and plans
    pool = _start_pool(workers, kernel, pdf) if workers > 1 and likely else None
    try:
        data = ReportData.load(study)
        waves = sorted(int(w) for w in (study.waves or data.prevalence["wave"].unique()))
        wave = int(wave) if wave else waves[-1]
        if wave not in waves:
            raise ConfigError(f"wave: expected one of {', '.join(map(str, waves))}, found {wave!r}")
        plan = plan_reports(data, districts, lang=lang, wave=wave, force=force, notebook=notebook, kernel=kernel,
                            timeout=timeout, pdf=pdf)
        font = str(base_font(font_characters(study)))
        prepared: list = []
        with tempfile.TemporaryDirectory(prefix="survey-report-") as handoff:
            inputs_file = str(data.write(Path(handoff) / "inputs.pickle"))
            to_run = [dataclasses.replace(job, inputs_file=inputs_file, font_base=font)
                      for job in plan.to_run + plan.relink]
            outcomes = plan.skipped + plan.refused + _run_jobs(
                to_run, jobs, progress, kernel=kernel, pdf=pdf, pool=pool,
                meanwhile=lambda: prepared.append(prepare_index(data, lang=lang, root=root, wave=wave)))
    finally:
        if pool is not None:  # the workers close their kernel and browser while the index is written
            pool.shutdown(wait=False)
    for outcome in plan.refused:
        folder = root / outcome.slug
        (folder / REPORT_HTML).unlink(missing_ok=True)
        (folder / REPORT_PDF).unlink(missing_ok=True)
        write_manifest(folder, district=outcome.district, digest="", parameters={}, status="failed",
                       error=outcome.error)
    outcomes.sort(key=lambda o: candidates.index(o.district) if o.district in candidates else len(candidates))
    index = write_index(data, lang=lang, root=root, wave=wave, font_base=Path(font),
                        prepared=prepared[0] if prepared else None)
    _link_other_language(data, districts, lang=other_language(lang), wave=wave, notebook=notebook, kernel=kernel,
                         pdf=pdf, font=font, echo=echo)
    return ReportRun(study=study, lang=lang, outcomes=outcomes, index=index, steps_run=steps_run, kernel=kernel,
                     kernel_note=kernel_note, seconds=time.perf_counter() - started)


def _incomplete(folder: Path, pdf: bool) -> bool:
    """True when a district folder holds no successful report (a build will surely run it)."""
    return read_manifest(folder).get("status") != "ok" or not (folder / REPORT_HTML).is_file() or \
        (pdf and not (folder / REPORT_PDF).is_file())


def _start_pool(workers: int, kernel: str, pdf: bool) -> ProcessPoolExecutor:
    """``workers`` spawned worker processes, started now (each starts its kernel and browser)."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=start_worker, initargs=(kernel, pdf))
    for _ in range(workers):  # a task each: the pool spawns its workers when tasks arrive
        pool.submit(worker_ready)
    return pool


def _link_other_language(data: ReportData, districts, *, lang: str, wave: int, notebook: Path, kernel: str,
                         pdf: bool, font: str, echo: Callable[[str], None]) -> None:
    """Give the other language's pages (and index) the link to the pages just built, where they lack it.

    Only pages whose inputs are unchanged are relinked (page and PDF again from their executed
    notebook, no kernel); pages that need a new run are left for that language's own build.
    """
    from survey.reports.index import write_index

    root = language_root(data.study.reports_dir, lang)
    if not root.is_dir():
        return
    plan = plan_reports(data, districts, lang=lang, wave=wave, notebook=notebook, kernel=kernel, pdf=pdf)
    jobs = [dataclasses.replace(job, font_base=font) for job in plan.relink]
    failed = [o for o in _run_jobs(jobs, 1, False, kernel=kernel, pdf=pdf) if o.status == "failed"]
    for outcome in failed:
        echo(f"[report] relinking the {lang} page of {outcome.district!r} failed: {outcome.error}")
    index = root / INDEX_HTML
    if index.is_file():
        other_index = language_root(data.study.reports_dir, other_language(lang)) / INDEX_HTML
        href = Path(os.path.relpath(other_index, root)).as_posix()
        if other_index.is_file() and f'href="{href}"' not in index.read_text(encoding="utf-8"):
            write_index(data, lang=lang, root=root, wave=wave, font_base=Path(font))


def _run_jobs(jobs_to_run: list[DistrictJob], jobs: int, progress: bool, *, kernel: str, pdf: bool,
              pool: ProcessPoolExecutor | None = None,
              meanwhile: Callable[[], object] | None = None) -> list[DistrictOutcome]:
    """Build the reports here (one job) or in worker processes (:mod:`.worker`): ``pool``, or a new one.

    ``meanwhile`` runs in this process while the workers build (the index's slow part).
    """
    from tqdm import tqdm

    if not jobs_to_run:
        if meanwhile is not None:
            meanwhile()
        return []
    bar = tqdm(total=len(jobs_to_run), desc="district reports", unit="report", disable=not progress, leave=True)
    outcomes = []
    try:
        if pool is None and (jobs == 1 or len(jobs_to_run) == 1):  # here, a kernel and a browser kept for the build
            try:
                for job in jobs_to_run:
                    outcomes.append(render_district(job))
                    bar.update()
            finally:
                close_worker()
            if meanwhile is not None:
                meanwhile()
        else:
            own = pool is None
            if own:
                pool = ProcessPoolExecutor(max_workers=min(jobs, len(jobs_to_run)),
                                           mp_context=multiprocessing.get_context("spawn"),
                                           initializer=start_worker, initargs=(kernel, pdf))
            try:
                futures = {pool.submit(render_district, job): job for job in jobs_to_run}
                if meanwhile is not None:
                    meanwhile()
                for future in as_completed(futures):
                    job = futures[future]
                    try:
                        outcomes.append(future.result())
                    except Exception as error:  # the worker process itself died
                        outcomes.append(DistrictOutcome(job.district, job.slug, "failed", one_line(error)))
                    bar.update()
            finally:
                if own:
                    pool.shutdown(wait=False)
    finally:
        bar.close()
    return outcomes
