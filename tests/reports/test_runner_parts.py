"""The runner's small parts: kernel choice, district names, folder names, the manifest rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from survey.errors import ConfigError
from survey.reports import runner
from survey.reports.browser import screenshot_name
from survey.reports.index import language_root, slug_of
from survey.reports.manifest import input_hash, needs_run, write_manifest
from survey.study import load_study

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "study.yaml"


class _Specs:
    def __init__(self, names):
        self.names = names

    def find_kernel_specs(self):
        return {name: f"/kernels/{name}" for name in self.names}


@pytest.mark.parametrize("registered, expected, note", [
    (["python3", "survey"], "survey", ""),
    (["python3"], "python3", "kernel 'survey' is not registered"),
])
def test_the_project_kernel_is_preferred_and_a_fallback_is_announced(monkeypatch, registered, expected, note):
    import jupyter_client.kernelspec

    monkeypatch.setattr(jupyter_client.kernelspec, "KernelSpecManager", lambda: _Specs(registered))
    kernel, message = runner.choose_kernel()
    assert kernel == expected and note in message and bool(message) == bool(note)


def test_no_kernel_at_all_is_a_one_line_error(monkeypatch):
    import jupyter_client.kernelspec

    monkeypatch.setattr(jupyter_client.kernelspec, "KernelSpecManager", lambda: _Specs(["ir"]))
    with pytest.raises(ConfigError, match=r"expected 'survey' or 'python3', found ir; run `make setup`"):
        runner.choose_kernel()


def test_districts_are_named_by_code_chinese_or_english_name():
    study = load_study(DEMO)
    assert runner.resolve_districts(study, "all") == list(study.districts()["code"])
    assert runner.resolve_districts(study, "临江区, Wanghu District,shimen,nowhere") == [
        "linjiang", "wanghu", "shimen", "nowhere"]
    assert runner.resolve_districts(study, ["yunxi", "云溪县"]) == ["yunxi"]


def test_folder_names():
    assert slug_of("linjiang") == "linjiang"
    assert slug_of("Shi Men/2") == "shi-men-2"
    assert slug_of("临江区").startswith("district-") and slug_of("en") == "district-en"
    assert language_root(Path("reports/demo"), "zh") == Path("reports/demo")
    assert language_root(Path("reports/demo"), "en") == Path("reports/demo/en")
    assert screenshot_name(Path("/r/demo/en/linjiang/report.html"), Path("/r/demo")) == "en-linjiang-report.png"
    assert screenshot_name(Path("/r/demo/index.html")) == "demo-index.png"


def test_a_report_is_redone_unless_it_succeeded_with_the_same_inputs(tmp_path):
    digest = input_hash(data_digest="rows", parameters={"lang": "zh"}, files=[DEMO])
    assert digest != input_hash(data_digest="rows", parameters={"lang": "en"}, files=[DEMO])
    assert needs_run(tmp_path, digest)  # nothing built yet
    write_manifest(tmp_path, district="x", digest=digest, parameters={}, status="ok")
    assert needs_run(tmp_path, digest)  # no page
    (tmp_path / "report.html").write_text("<html></html>", encoding="utf-8")
    assert not needs_run(tmp_path, digest)
    assert needs_run(tmp_path, "another digest")
    write_manifest(tmp_path, district="x", digest=digest, parameters={}, status="failed", error="E: boom")
    assert needs_run(tmp_path, digest)
    assert json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))["error"] == "E: boom"


def test_bad_jobs_and_language_fail_before_any_work():
    with pytest.raises(ConfigError, match="jobs: expected a whole number of at least 1, found 0"):
        runner.build_reports(DEMO, jobs=0)
    with pytest.raises(ConfigError, match="lang: expected one of zh, en, found 'fr'"):
        runner.build_reports(DEMO, lang="fr")
