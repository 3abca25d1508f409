"""One Jupyter kernel per worker process, reused for every district it runs: a papermill engine.

papermill starts a new kernel for every notebook it runs (its users' main complaint: papermill
issues #583 and #326); for a short report notebook that start-up and the imports in the fresh
kernel are most of the time. :class:`WarmKernel` starts one kernel and imports the report
package in it once; :class:`WarmKernelEngine` is a papermill engine that runs each notebook in
that kernel, so papermill still parameterises, executes and records every notebook as usual.

Each run starts clean: :meth:`WarmKernel.reset` empties the kernel's namespace and starts a new
history session (IPython's ``reset(new_session=True)``; the execution count starts again at 1),
so one district's variables never reach the next. Imported modules stay loaded — that is the
point. A kernel that failed a run, timed out
or died is shut down and the next run gets a fresh one.

Example
-------
>>> kernel = WarmKernel("survey", warm_up="import survey.reports.content")   # doctest: +SKIP
>>> papermill.execute_notebook(nb, out, parameters=..., engine_name=ENGINE_NAME, warm_kernel=kernel)  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
import time

from survey.errors import SurveyError

ENGINE_NAME = "survey-warm-kernel"
#: Run (silently) before every notebook: a clean namespace and execution count, modules kept.
RESET_CODE = "get_ipython().reset(new_session=True)\n"


class KernelError(SurveyError):
    """The report kernel could not be started or did not answer."""


class WarmKernel:
    """A started kernel and its client, kept for many notebooks (see the module's docstring)."""

    def __init__(self, kernel_name: str, *, extra_arguments: list[str] | None = None, warm_up: str = "",
                 startup_timeout: float = 120):
        from jupyter_client.manager import KernelManager

        self.kernel_name = kernel_name
        self.startup_timeout = startup_timeout
        self.runs = 0
        self.km = KernelManager(kernel_name=kernel_name)
        self._cwd = tempfile.TemporaryDirectory(prefix="survey-kernel-")
        self.km.start_kernel(cwd=self._cwd.name, extra_arguments=list(extra_arguments or []))
        self.kc = self.km.client()
        self.kc.start_channels()
        self._warm_up_code = warm_up
        self._warm_up: str | None = None
        self._answered = False

    def alive(self) -> bool:
        return bool(self.km.has_kernel and self.km.is_alive())

    def _wait(self, msg_id: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelError(f"kernel {self.kernel_name!r}: no answer within {timeout:.0f} s")
            try:
                reply = self.kc.get_shell_msg(timeout=remaining)
            except Exception:  # queue.Empty: the kernel is silent
                if not self.alive():
                    raise KernelError(f"kernel {self.kernel_name!r} died") from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply["content"]

    def warm_up(self) -> None:
        """Wait until the kernel answers, then send the warm-up code (without waiting for it to finish)."""
        if not self._answered:
            self.kc.wait_for_ready(timeout=self.startup_timeout)  # reads (and drops) shell replies: before any run
            self._answered = True
            if self._warm_up_code:
                self._warm_up = self.kc.execute(self._warm_up_code, silent=True, store_history=False)

    def ready(self) -> None:
        """Wait until the kernel answers and the warm-up code has run (its error, if any, is raised)."""
        self.warm_up()
        if self._warm_up is not None:
            content = self._wait(self._warm_up, self.startup_timeout)
            self._warm_up = None
            if content.get("status") != "ok":
                raise KernelError(f"kernel {self.kernel_name!r}: warm-up failed: {content.get('ename')}: "
                                  f"{content.get('evalue')}")

    def run(self, code: str, timeout: float = 60) -> dict:
        """Run ``code`` silently (no output, no history); its reply."""
        return self._wait(self.kc.execute(code, silent=True, store_history=False), timeout)

    def reset(self) -> None:
        """Empty the namespace and restart the execution count before the next notebook."""
        self.ready()
        content = self.run(RESET_CODE)
        if content.get("status") != "ok":
            raise KernelError(f"kernel {self.kernel_name!r}: reset failed: {content.get('evalue')}")

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self._cwd.cleanup()


def _engine():
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, running in a :class:`WarmKernel` instead of a new kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, warm_kernel=None,
                                     **kwargs):
            if warm_kernel is None:
                raise KernelError(f"papermill engine {ENGINE_NAME!r}: expected warm_kernel=, found none")
            client = PapermillNotebookClient(nb_man, km=warm_kernel.km, timeout=execution_timeout,
                                             startup_timeout=start_timeout, kernel_name=kernel_name,
                                             log_output=log_output, stdout_file=stdout_file,
                                             stderr_file=stderr_file)
            client.kc = warm_kernel.kc  # the kernel's own client: nbclient neither starts nor stops one
            warm_kernel.runs += 1
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
    return WarmKernelEngine


_REGISTERED: list = []


def register_engine() -> str:
    """Register :class:`WarmKernelEngine` with papermill (once per process); its name."""
    if not _REGISTERED:
        _REGISTERED.append(_engine())
    return ENGINE_NAME
