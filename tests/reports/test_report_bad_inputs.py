"""Reports under bad input: a district without data, an interrupted build, identifiers planted in the data."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from survey.reports.runner import default_notebook, plan_reports


def test_a_district_without_respondents_is_refused_in_one_line(report_data):
    sample = report_data.sample[report_data.sample["district"] != "shimen"]
    plan = plan_reports(dataclasses.replace(report_data, sample=sample), "all", wave=2024,
                        notebook=default_notebook())
    [refused] = plan.refused
    assert refused.district == "shimen" and refused.status == "failed"
    assert "no respondents in wave 2024" in refused.error and "\n" not in refused.error
    assert "shimen" not in plan.districts_to_run


def _complete(path: Path) -> bool:
    """A report file that is whole: JSON that parses, HTML that ends."""
    data = path.read_bytes()
    if path.suffix in (".json", ".ipynb"):
        try:
            json.loads(data)
        except ValueError:
            return False
        return True
    return data.rstrip().endswith(b"</html>")


@pytest.mark.slow
def test_killed_report_leaves_previous_or_complete_files_and_the_next_run_succeeds(built_reports, report_study,
                                                                                   tmp_path):
    from survey.reports.runner import build_reports
    from survey.study import load_study

    root = tmp_path / "demo"
    shutil.copytree(report_study.root, root)
    study = load_study(root / "study.yaml")
    folder = study.reports_dir / "linjiang"
    watched = [folder / "report.html", folder / "report.ipynb", folder / "manifest.json", study.reports_dir /
               "index.html"]
    previous = {p: p.read_bytes() for p in watched}
    code = "import sys; from survey.cli import main; sys.argv[0] = 'survey'; main()"
    rng = np.random.default_rng(7)
    points = [(None, ".report.ipynb."), (None, ".report.html."), (None, ".index.html."),
              *[(float(t), None) for t in rng.uniform(2, 15, 2)]]
    killed = 0
    for after, pattern in points:
        process = subprocess.Popen([sys.executable, "-c", code, "report", str(study.config_file), "--district",
                                    "linjiang", "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        start = time.monotonic()
        while process.poll() is None:
            if after is not None and time.monotonic() - start >= after:
                break
            if pattern and any(pattern in e.name for d in (folder, study.reports_dir) for e in os.scandir(d)):
                break
            time.sleep(0.001)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the command and the kernel it started
            killed += 1
        process.wait()
        for path in watched:
            assert not path.exists() or path.read_bytes() == previous[path] or _complete(path), (pattern, path)
    assert killed >= 3  # at least the moments it writes
    run = build_reports(study, "linjiang", force=True, progress=False, echo=lambda line: None)
    assert run.ok and Path(run.outcomes[0].html).is_file()
    assert all(_complete(p) for p in watched)


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
#: Columns of the demo's 2024 export: the identifier columns and fields meant for something else.
TARGETS = ["联系电话", "身份证号码", "答卷编号", "提交时间", "年龄", "街道乡镇编号", "权重", "孕产期", "PHQ9_3",
           "NMHL_J2"]


def _id_number(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


@pytest.mark.slow
def test_planted_identifiers_reach_no_district_report_or_notebook(report_study, tmp_path):
    """The expensive variant of tests/badinput's property test: through every step to one district's report."""
    import re
    import unicodedata

    import pandas as pd
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from survey.effects.study import pilot_effects
    from survey.estimation.study import prevalence_tables
    from survey.intake import ingest
    from survey.reports.runner import build_reports
    from survey.scoring.study import score_study

    numbers = st.one_of(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
                        st.from_regex(r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-2][1-8][0-9]{3}",
                                      fullmatch=True).map(_id_number))
    styles = st.sampled_from(["{}", "电话{}", "full-width"])
    plants = st.lists(st.tuples(numbers, styles, st.sampled_from(TARGETS), st.integers(0, 500)), min_size=3,
                      max_size=8)

    @settings(max_examples=1, deadline=None)
    @given(planted=plants)
    def run(planted):
        root = tmp_path / "demo"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(report_study.root, root, ignore=shutil.ignore_patterns("processed", "reports"))
        export = root / "raw" / "wave2024_platform_export.csv"
        frame = pd.read_csv(export, dtype=str, keep_default_na=False, encoding="gb18030")
        for number, style, column, row in planted:
            frame.loc[row, column] = number.translate(FULL_WIDTH) if style == "full-width" else style.format(number)
        export.write_bytes(frame.to_csv(index=False).encode("gb18030"))
        result = ingest(root / "study.yaml")
        study = result.study
        score_study(study)
        prevalence_tables(study)
        pilot_effects(study, indicators=("literacy",), scores={}, mixed=False, B=99)
        built = build_reports(study, "linjiang", progress=False, echo=lambda line: None)
        assert built.ok, built.failure_lines()
        texts = []
        for path in (p for p in root.rglob("*") if p.is_file() and "raw" not in p.parts):
            if path.suffix == ".parquet":
                frame = pd.read_parquet(path)
                texts += [str(v) for c in frame.columns for v in pd.unique(frame[c].astype(str))]
            elif path.suffix in (".csv", ".md", ".json", ".html", ".ipynb", ".txt"):
                texts += path.read_text(encoding="utf-8").splitlines()
        digits = [re.sub(r"[^0-9Xx]", "", unicodedata.normalize("NFKC", t)) for t in texts]
        for number, *_ in planted:
            assert not any(number in d for d in digits), number

    run()
