"""papermill runs notebooks in one reused kernel: each run starts clean, modules stay imported."""

from __future__ import annotations

import json

import nbformat
import papermill

from survey.reports.engine import WarmKernel, register_engine
from survey.reports.runner import choose_kernel
from survey.reports.worker import KERNEL_ARGUMENTS


def _notebook(path, *cells):
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("value = 0", metadata={"tags": ["parameters"]}),
                  *[nbformat.v4.new_code_cell(source) for source in cells]]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(book, path)
    return path


def _outputs(path) -> list[str]:
    book = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(o.get("text", "")) for c in book["cells"] for o in c.get("outputs", [])]


def test_each_notebook_runs_clean_in_the_same_kernel(tmp_path):
    kernel_name = choose_kernel()[0]
    notebook = _notebook(tmp_path / "probe.ipynb",
                         "import sys, os\nprint('left', 'left_over' in globals())\nleft_over = value",
                         "print('pid', os.getpid(), 'warm', 'json' in sys.modules)")
    kernel = WarmKernel(kernel_name, warm_up="import json", extra_arguments=KERNEL_ARGUMENTS)
    try:
        runs = []
        for value in (1, 2):
            kernel.reset()
            out = tmp_path / f"run{value}.ipynb"
            papermill.execute_notebook(str(notebook), str(out), parameters={"value": value}, kernel_name=kernel_name,
                                       engine_name=register_engine(), warm_kernel=kernel, progress_bar=False)
            runs.append(_outputs(out))
            book = json.loads(out.read_text(encoding="utf-8"))
            counts = [c.get("execution_count") for c in book["cells"] if c["cell_type"] == "code"]
            assert counts == [1, 2, 3, 4], counts  # papermill's injected parameters cell, then the notebook's
        assert runs[0][0] == runs[1][0] == "left False\n"  # the first run's variables are gone
        assert runs[0][1] == runs[1][1] and runs[0][1].endswith("warm True\n")  # one kernel, warmed up once
        assert kernel.runs == 2 and kernel.alive()
    finally:
        kernel.shutdown()
    assert not kernel.alive()
