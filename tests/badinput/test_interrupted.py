"""kill -9 during `survey ingest`: every output is the previous complete one or the new complete one, never half.

The command runs in a forked process (``survey.cli.main`` with its arguments, as the console
script runs it, without paying the package's start-up again) and is killed with SIGKILL at
seeded random moments and at the moments it writes (when a temporary file appears in
processed/). The next run
must succeed, and the step after intake must either work or say in one line that intake must
run again.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from mini_study import MiniStudy, export_frame, run_cli

OUTPUTS = ("responses.parquet", "validation_report.csv", "validation_summary.md", "study_identifier.json",
           "manifest.json")


def _hashes(folder: Path) -> dict[str, str | None]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() if (folder / name).is_file() else None
            for name in OUTPUTS}


class _Child:
    """``survey ingest`` in a forked process (this one has the package imported already: no start-up cost)."""

    def __init__(self, study: MiniStudy):
        self.pid = os.fork()
        if self.pid == 0:  # the child: run the command, never return into pytest
            status = 1
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                status = run_cli("ingest", str(study.yaml)).status
            finally:
                os._exit(status)
        self.status = None

    def running(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is None

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _kill_when(study: MiniStudy, *, after: float | None, pattern: str | None) -> bool:
    """Start ingest; kill -9 it after ``after`` seconds, or as soon as a temporary file matching ``pattern`` appears."""
    folder = study.processed
    child = _Child(study)
    start = time.monotonic()
    while child.running():
        if after is not None and time.monotonic() - start >= after:
            break
        if pattern is not None and any(pattern in e.name for e in os.scandir(folder)):
            break
        time.sleep(0.0002)
    if not child.running():
        return False
    child.kill()
    return True


@pytest.fixture
def changing_study(mini):
    """The mini study ingested once (the previous complete outputs), then given a bigger, different export."""
    assert mini.ingest().status == 0
    frame = export_frame(seed=8)
    frame = frame.loc[np.repeat(frame.index, 4)].reset_index(drop=True)  # larger: writing takes a moment
    frame["序号"] = np.arange(1, len(frame) + 1)
    mini.write_frame(frame)
    return mini


WRITING = [{"after": None, "pattern": p} for p in (".responses.parquet.", ".validation_summary.md.", ".manifest.json.")]


@pytest.mark.parametrize("random_points, writing_points", [
    (2, WRITING),
    pytest.param(12, WRITING, marks=pytest.mark.slow),
])
def test_killed_ingest_leaves_previous_or_new_complete_outputs(changing_study, tmp_path, random_points,
                                                                writing_points):
    study = changing_study
    previous = _hashes(study.processed)
    states = []

    rng = np.random.default_rng(20261201)
    kill_points = [{"after": float(t), "pattern": None} for t in rng.uniform(0.05, 1.0, random_points)]
    kill_points += writing_points
    killed = 0
    for point in kill_points:
        killed += _kill_when(study, **point)
        states.append((point, _hashes(study.processed)))
        after = run_cli("score", str(study.yaml))  # the next step works, or says in one line to rerun intake
        assert "Traceback" not in after.err
        assert after.status == 0 or ("survey ingest" in after.err and len(after.error_lines) == 1), after.err
    assert killed >= len(writing_points)  # the writing moments at least
    run = study.ingest()
    assert run.status == 0, run.err
    new = _hashes(study.processed)  # intake is deterministic: the complete new outputs
    assert all(new[n] != previous[n] for n in ("responses.parquet", "manifest.json"))
    for point, state in states:
        for name in OUTPUTS:
            assert state[name] in (previous[name], new[name]), (point, name)
    assert run_cli("score", str(study.yaml)).status == 0
