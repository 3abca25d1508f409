"""One district's report, built in a worker process: notebook, web page, PDF, manifest.

:func:`render_district` is what each worker runs per district:

1. papermill executes ``notebooks/district_report.ipynb`` with the district's parameters, in the
   worker's own kernel, started once and reused for every district the worker builds
   (:mod:`survey.reports.engine`; a kernel that failed is replaced);
2. the executed notebook becomes a self-contained HTML page (:mod:`survey.reports.webpage`);
3. the page is printed to ``report.pdf`` (A4) by the worker's headless Chromium, also started
   once (:class:`survey.reports.browser.PdfPrinter`);
4. the district's manifest records the outcome (:mod:`survey.reports.manifest`).

:func:`start_worker` prepares a worker process: it starts the kernel (importing the report
package in it) and the browser while the main process is still busy, and makes sure both are
closed when the worker exits. The module imports little, so a worker starts quickly.

Example
-------
>>> outcome = render_district(job)    # doctest: +SKIP  (normally in a worker process)
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from survey.errors import SurveyError
from survey.outputs import atomic_path, ensure_folder, write_bytes, write_text
from survey.study.paths import REPORT_HTML, REPORT_NOTEBOOK, REPORT_PDF

#: The kernels stay quiet: their start-up and shutdown notes would interleave with the progress bar
#: (a failing cell still fails the run, with its error, through papermill).
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
#: What a new kernel imports before its first notebook (the notebook's own first cell imports the same).
#: Then everything loaded so far (modules, fonts) is moved out of the garbage collector's sight
#: (``gc.freeze``): it stays for the kernel's life, and without it each full collection (one per
#: district at least: the reset collects) walks these objects again.
WARM_UP = ("import survey.reports.content, survey.reports.section, xlsxwriter\n"
           "from survey.reports.figures import warm_up as _warm_up; _warm_up(); del _warm_up\n"
           "import gc as _gc; _gc.collect(); _gc.freeze(); del _gc\n")


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
    #: navigation links: (text, relative href, target language or "")
    links: tuple[tuple[str, str, str], ...] = ()
    font_base: str = ""
    pdf: bool = True
    #: False: only make the page and PDF again from the executed notebook already there (new links)
    execute: bool = True

    @property
    def parameters(self) -> dict:
        """The notebook's parameters (the inputs file is a hand-off within one build, not recorded)."""
        return {"study": self.study_file, "district": self.district, "wave": self.wave, "lang": self.lang,
                "output_dir": self.output_dir, "run_missing_steps": False}


@dataclass
class DistrictOutcome:
    """What happened to one district: ``built``, ``relinked`` (page and PDF only), ``skipped`` or ``failed``."""

    district: str
    slug: str
    status: str
    error: str = ""
    seconds: float = 0.0
    html: str = ""
    pdf: str = ""
    #: seconds per part of the build: kernel (reset, or start), notebook, page, pdf
    timings: dict[str, float] = field(default_factory=dict)


def one_line(error: BaseException) -> str:
    """An exception as one line: its name and the first line of its message."""
    from survey.masking import mask_text

    name = getattr(error, "ename", None) or type(error).__name__
    message = str(getattr(error, "evalue", None) or error).strip().splitlines()
    return str(mask_text(f"{name}: {message[0] if message else ''}".strip()))


class WorkerState:
    """The worker's kernel and browser, started once and kept for every district it builds."""

    def __init__(self) -> None:
        self._kernel = None
        self._printer = None

    def kernel(self, name: str):
        from survey.reports.engine import WarmKernel

        if self._kernel is not None and (self._kernel.kernel_name != name or not self._kernel.alive()):
            self.discard_kernel()
        if self._kernel is None:
            self._kernel = WarmKernel(name, extra_arguments=KERNEL_ARGUMENTS, warm_up=WARM_UP)
        return self._kernel

    def discard_kernel(self) -> None:
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            try:
                kernel.shutdown()
            except Exception:  # a dead kernel may not shut down cleanly; the next run starts a new one
                pass

    def printer(self):
        from survey.reports.browser import PdfPrinter

        if self._printer is None:
            self._printer = PdfPrinter()
        return self._printer

    def close(self) -> None:
        self.discard_kernel()
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # the browser may already be gone at exit
                pass


_STATE = WorkerState()


def _light_nbformat() -> None:
    """Let papermill's nbformat import without rfc3987-syntax, which builds a grammar at import (about 2.5 s).

    nbformat imports jsonschema, whose format checkers import rfc3987-syntax when it is installed
    (jupyter-server's dependencies install it); nothing a report does checks IRI formats, so a
    worker process marks the module absent and validates notebooks with fastjsonschema.
    """
    os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)


def start_worker(kernel: str, pdf: bool = True) -> None:
    """Initialise a spawned worker process: start its kernel (warming it up) and its browser; close both at exit."""
    from multiprocessing import util

    _light_nbformat()
    util.Finalize(_STATE, _STATE.close, exitpriority=10)
    try:
        _STATE.kernel(kernel).warm_up()  # the kernel imports the report package while the browser starts
        if pdf:
            _STATE.printer().start()
        from survey.reports.webpage import warm_up

        warm_up()
    except Exception:  # reported by the first district this worker builds, as its own failure
        _STATE.close()


def worker_ready() -> bool:
    """Nothing: a task that makes the pool start a worker (which then starts its kernel and browser)."""
    return True


def close_worker() -> None:
    """Shut down this process's kernel and browser (a build run in the main process calls it at the end)."""
    _STATE.close()


def render_district(job: DistrictJob) -> DistrictOutcome:
    """Run the notebook for one district, convert it to HTML and print the PDF.

    Never raises: a failure is returned as an outcome with a one-line error, and recorded in
    the district's manifest; the executed notebook (with the failing cell) stays for inspection.
    """
    import papermill

    from survey.reports.engine import register_engine
    from survey.reports.manifest import write_manifest
    from survey.reports.webpage import Link, notebook_to_html

    start = time.perf_counter()
    timings: dict[str, float] = {}
    folder = Path(job.output_dir)
    html_path, pdf_path, executed = folder / REPORT_HTML, folder / REPORT_PDF, folder / REPORT_NOTEBOOK
    try:
        ensure_folder(folder)
        if job.execute or not executed.is_file():
            kernel = _STATE.kernel(job.kernel)
            kernel.reset()
            timings["kernel"] = time.perf_counter() - start
            # the executed notebook, the page and the PDF are written under temporary names and renamed
            # when complete: an interrupted run leaves the previous report or none, never half of one
            with atomic_path(executed) as notebook_tmp:
                try:
                    papermill.execute_notebook(job.notebook, str(notebook_tmp), parameters={
                                               **job.parameters, "inputs_file": job.inputs_file},
                                               kernel_name=job.kernel, engine_name=register_engine(),
                                               warm_kernel=kernel, progress_bar=False, log_output=False,
                                               request_save_on_cell_execute=False, execution_timeout=job.timeout)
                except Exception:
                    if notebook_tmp.is_file() and notebook_tmp.stat().st_size:  # the failed run, for inspection
                        write_bytes(executed, notebook_tmp.read_bytes())
                    raise
            timings["notebook"] = time.perf_counter() - start - sum(timings.values())
        links = [Link(*link) for link in job.links]
        page = notebook_to_html(executed, lang=job.lang, title=job.title, links=links,
                                font_base=Path(job.font_base) if job.font_base else None)
        write_text(html_path, page)
        timings["page"] = time.perf_counter() - start - sum(timings.values())
        if job.pdf:
            _STATE.printer().print_pdf(html_path, pdf_path)
            timings["pdf"] = time.perf_counter() - start - sum(timings.values())
        else:
            pdf_path.unlink(missing_ok=True)  # a PDF of an earlier build would not match the page
    except Exception as error:  # any failure of this district only: recorded, the others go on
        _STATE.discard_kernel()
        html_path.unlink(missing_ok=True)
        pdf_path.unlink(missing_ok=True)
        seconds = time.perf_counter() - start
        message = one_line(error)
        try:
            write_manifest(folder, district=job.district, digest=job.digest, parameters=job.parameters,
                           status="failed", error=message, seconds=seconds, links=job.links)
        except SurveyError:
            pass  # the folder itself cannot be written: the outcome still names the district and the error
        return DistrictOutcome(job.district, job.slug, "failed", message, seconds)
    seconds = time.perf_counter() - start
    write_manifest(folder, district=job.district, digest=job.digest, parameters=job.parameters, status="ok",
                   seconds=seconds, timings=timings, links=job.links,
                   files=[REPORT_HTML, REPORT_NOTEBOOK, *([REPORT_PDF] if job.pdf else [])])
    return DistrictOutcome(job.district, job.slug, "built" if job.execute else "relinked", seconds=seconds,
                           html=str(html_path),
                           pdf=str(pdf_path) if job.pdf else "", timings=timings)
