"""Shared test set-up: keys in a temporary folder, the demo study built once, the CLI in-process.

``demo_pipeline`` is the demo study taken through every shared step once per session (intake,
scoring, prevalence tables, pilot effects) in a private copy. Under pytest-xdist the first worker
that needs it builds it, in a folder every worker of the session shares (a file lock keeps the
others waiting), and the others load the build. It is read only: at the end of the session each
worker checks that no file of it changed, so no test can depend on another test's writes. A test
that changes data asks for ``writable_copy`` and works on its own copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI results reproduce.
settings.register_profile("reproducible", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("reproducible")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


#: Session builds worth making once, with the test files that read them. Under ``pytest -n 2 --dist loadfile``
#: (``make test``) each worker builds the session fixtures it uses, so these files run together on one worker.
SHARED_BUILDS = {
    "built_reports": ("tests/reports/test_report_build.py", "tests/reports/test_browser.py",
                      "tests/reports/test_report_bad_inputs.py"),
}
#: Files that take much longer than most (seconds of CPU on one worker): each starts first within its group, so
#: that no worker is left running one of them alone at the end of ``make test``. Order only, never correctness.
LONG_FILES = ("tests/reports/test_report_sections.py", "tests/scoring/test_scoring_properties.py",
              "tests/estimation/test_estimation_quantiles.py", "tests/estimation/test_estimation_reference.py")
_SHARED_FILES = {file: name for name, files in SHARED_BUILDS.items() for file in files}


def _file(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _uses_demo_pipeline(items) -> set[str]:
    return {_file(item.nodeid) for item in items if "demo_pipeline" in getattr(item, "fixturenames", ())}


def pytest_collection_modifyitems(config, items):
    """Skip the slow tests unless --runslow; run the files of a shared build first (under xdist they are one
    unit of work, and the longest, so it should not start last), then the files that do not need
    ``demo_pipeline`` (under xdist the other worker runs them while the first one builds it), then the rest."""
    skip = pytest.mark.skip(reason="slow: run with `make test-slow`")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip)
        for name in SHARED_BUILDS:
            if name in getattr(item, "fixturenames", ()) and _SHARED_FILES.get(_file(item.nodeid)) != name:
                raise pytest.UsageError(f"{item.nodeid} reads the session build {name}: add its file to "
                                        "SHARED_BUILDS in tests/conftest.py, so that it runs on the worker that has it")
    need_pipeline = _uses_demo_pipeline(items)
    items.sort(key=lambda item: (_file(item.nodeid) not in _SHARED_FILES, _file(item.nodeid) in need_pipeline,
                                 _file(item.nodeid) not in LONG_FILES))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (xdist's unit of work is a test file: module fixtures and nbval's kernel for a
    notebook are made once) with the files of each shared build as one unit, in collection order.

    xdist's own ``--dist loadgroup`` does this with marks, but with pytest 9.2 it silently stops grouping
    (pytest-dev/pytest-xdist#1386), which would split a notebook's cells over two kernels.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedBuildScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = _file(nodeid)
            return _SHARED_FILES.get(file, file)

    config.option.loadscopereorder = False  # collection order: the shared builds first
    return SharedBuildScheduling(config, log)


def _test_keys(tmp_path_factory) -> str:
    return str(tmp_path_factory.getbasetemp() / "keys")


@pytest.fixture(autouse=True)
def _key_dir(tmp_path_factory, monkeypatch):
    """Pseudonymisation keys never touch the user's real key folder during tests."""
    monkeypatch.setenv("SURVEY_KEY_DIR", _test_keys(tmp_path_factory))


@dataclass(frozen=True)
class DemoPipeline:
    """The demo study after every shared step, in a private folder (read only)."""

    root: Path
    ingested: object  # survey.intake.ValidationResult
    scored: object    # survey.scoring.study.StudyScores
    tables: object    # survey.estimation.study.PrevalenceTables
    effects: object   # survey.effects.results.EffectResult

    @property
    def study(self):
        return self.ingested.study


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _session_folder(tmp_path_factory) -> Path:
    """A folder that every process of this test session shares: under pytest-xdist the parent of the
    workers' base folders (made by the controlling process, one per session), else the base folder."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on ``path`` (created if missing) across processes."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build_demo_pipeline(folder: Path) -> None:
    """Build the demo pipeline in ``folder/demo`` (keys in ``folder/keys``) and store its results and the
    digests of its files in ``folder/built.pickle``, written last (whole or absent)."""
    from survey.effects.study import pilot_effects
    from survey.estimation.study import prevalence_tables
    from survey.intake import ingest
    from survey.scoring.study import score_study

    root = folder / "demo"
    shutil.rmtree(root, ignore_errors=True)  # what a build that failed half-way left
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("processed", "interim"))
    with pytest.MonkeyPatch.context() as patch:  # session fixtures are built before the function-level one
        patch.setenv("SURVEY_KEY_DIR", str(folder / "keys"))
        ingested = ingest(root / "study.yaml")
        scored = score_study(ingested.study)
        tables = prevalence_tables(ingested.study)
        effects = pilot_effects(ingested.study, B=999, mixed=False)
    built = {"ingested": ingested, "scored": scored, "tables": tables, "effects": effects}
    partial = folder / "built.pickle.partial"
    partial.write_bytes(pickle.dumps((built, _digests(root)), protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, folder / "built.pickle")


@pytest.fixture(scope="session")
def demo_pipeline(tmp_path_factory) -> DemoPipeline:
    """The demo study ingested, scored, estimated (prevalence) and with its pilot effects, built once per session.

    The effects run without the mixed model and with 999 bootstrap draws (a few seconds instead
    of about a minute); the tables are the real steps' outputs. The first process that asks builds
    it (the others wait on the lock) and every process loads the stored results, so each worker has
    its own objects; the study's key is copied into the worker's key folder (a re-ingest of a copy needs it).
    """
    folder = _session_folder(tmp_path_factory) / "demo_pipeline"
    with _locked(folder.with_name("demo_pipeline.lock")):
        if not (folder / "built.pickle").is_file():
            folder.mkdir(exist_ok=True)
            _build_demo_pipeline(folder)
        parts, before = pickle.loads((folder / "built.pickle").read_bytes())
    keys = Path(_test_keys(tmp_path_factory))
    keys.mkdir(parents=True, exist_ok=True)
    for key in (folder / "keys").iterdir():
        if not (keys / key.name).exists():
            shutil.copy2(key, keys / key.name)
    root = folder / "demo"
    assert _digests(root) == before, "the read-only demo_pipeline changed before this worker loaded it"
    yield DemoPipeline(root=root, **parts)
    after = _digests(root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"a test changed the read-only demo_pipeline (use writable_copy): {changed[:10]}"


def _copy_study(root: Path, target: Path):
    from survey.study import load_study

    shutil.copytree(root, target)
    return load_study(target / "study.yaml")


@pytest.fixture(scope="session")
def copy_study():
    """``copy_study(root, target)``: copy a study folder with its outputs (mtimes kept, so nothing
    looks stale) and return the copy's Study."""
    return _copy_study


@pytest.fixture
def writable_copy(demo_pipeline, tmp_path):
    """A function that copies the built demo (outputs and their mtimes kept) and returns the copy's Study."""
    return lambda name="demo": _copy_study(demo_pipeline.root, tmp_path / name)


@pytest.fixture(scope="session")
def demo_copy(demo_pipeline) -> Path:
    """The built demo's folder (read only)."""
    return demo_pipeline.root


@pytest.fixture(scope="session")
def demo_ingested(demo_pipeline):
    return demo_pipeline.ingested


@pytest.fixture(scope="session")
def demo_scored(demo_pipeline):
    return demo_pipeline.scored


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run the ``survey`` command line in this process: returns (exit code, stdout, stderr)."""
    from survey.cli import main

    def run(*args):
        monkeypatch.setattr(sys, "argv", ["survey", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = exit_.code
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def survey_command() -> Path:
    """The installed ``survey`` console script (for the few tests of the command as a user runs it)."""
    found = Path(sys.executable).with_name("survey")
    assert found.is_file() and os.access(found, os.X_OK), f"expected the console script at {found}"
    return found
