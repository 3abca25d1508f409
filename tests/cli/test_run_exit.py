"""``survey`` (``survey.cli.run``) ends the process without Python's finalisation: exit codes, piped
output and exit handlers must be exactly as with an ordinary exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import atexit, pathlib, sys
from survey import cli
marker, code = pathlib.Path(sys.argv[1]), sys.argv[2]
atexit.register(marker.write_text, "exit handlers ran")
def main():
    print("x" * 200_000, end="")  # more than a pipe's buffer: all of it must arrive
    print("to stderr", file=sys.stderr, end="")
    if code != "none":
        sys.exit(int(code) if code.isdigit() else code)
cli.main = main
cli.run()
"""


@pytest.mark.parametrize(("code", "status"), [("none", 0), ("0", 0), ("2", 2), ("130", 130), ("stopped", 1)])
def test_run_keeps_exit_status_output_and_exit_handlers(tmp_path, code, status):
    marker = tmp_path / "marker"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(marker), code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == status
    assert done.stdout == "x" * 200_000
    assert done.stderr.startswith("to stderr")
    if code == "stopped":  # a text exit code is printed, as Python does
        assert done.stderr.rstrip().endswith("stopped")
    assert marker.read_text() == "exit handlers ran"


def test_the_survey_program_is_run():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "survey"]
    assert script.value == "survey.cli:run"
