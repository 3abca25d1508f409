"""The research notebooks are checked by nbval (`make test` runs them): only cells marked
``# NBVAL_CHECK_OUTPUT`` compare their stored outputs. These tests show that the check bites."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESEARCH = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
MARK = "# NBVAL_CHECK_OUTPUT"


def test_the_four_research_notebooks_are_there_in_order():
    assert [p.name[:2] for p in RESEARCH] == ["01", "02", "03", "04"][: len(RESEARCH)]
    assert len(RESEARCH) >= 2


@pytest.mark.parametrize("path", RESEARCH, ids=lambda p: p.name)
def test_each_notebook_checks_key_results_and_stores_outputs(path):
    book = nbformat.read(path, as_version=4)
    checked = [c for c in book.cells if c.cell_type == "code" and c.source.startswith(MARK)]
    assert checked, f"{path.name}: no cell marked {MARK}"
    assert all(c.outputs for c in checked), f"{path.name}: a checked cell has no stored output"
    assert not any(o.output_type == "error" for c in book.cells if c.cell_type == "code" for o in c.outputs)


def _run_nbval(book: nbformat.NotebookNode, folder: Path) -> subprocess.CompletedProcess:
    target = folder / "check.ipynb"
    nbformat.write(book, target)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", "-c", "/dev/null", "--rootdir", str(folder), str(target)],
                          capture_output=True, text=True, cwd=folder, check=False)


@pytest.mark.slow
def test_changing_a_checked_number_makes_nbval_fail(tmp_path):
    """nbval inside pytest (about 20 s): `make test-slow` runs it."""
    book = nbformat.read(ROOT / "notebooks" / "02-scoring-and-reliability.ipynb", as_version=4)
    setup = next(c for c in book.cells if c.cell_type == "code")
    example = next(c for c in book.cells if c.cell_type == "code" and c.source.startswith(MARK)
                   and "survey.score(examples" in c.source)
    small = nbformat.v4.new_notebook(cells=[setup, example], metadata=book.metadata)
    assert _run_nbval(small, tmp_path).returncode == 0

    data = example.outputs[0]["data"]
    assert "18.0" in data["text/plain"]
    for kind in ("text/plain", "text/html"):  # the stored total of the first respondent, 18 -> 19
        data[kind] = data[kind].replace("18.0", "19.0", 1)
    run = _run_nbval(small, tmp_path)
    assert run.returncode != 0
    assert "Cell outputs differ" in run.stdout and "19.0" in run.stdout, run.stdout[-3000:]
