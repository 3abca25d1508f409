"""A small synthetic 问卷星-style study for the bad-input suite: built in a temporary folder.

Three districts, 240 respondents, one GB18030 CSV export with numeric codes (PHQ-9, GAD-7),
a free-text comments column, names, mobile numbers and resident ID numbers. Every test gets
its own copy and changes one thing (the configuration, a cell, a file) before running the
command it tests in-process.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

N = 240
DISTRICTS = pd.DataFrame({
    "code": ["dongcheng", "xicheng", "beishan"],
    "number": [1, 2, 3],
    "name_zh": ["东城区", "西城区", "北山县"],
    "name_en": ["Dongcheng District", "Xicheng District", "Beishan County"],
})
PHQ = [f"phq9_{i}" for i in range(1, 10)]
GAD = [f"gad7_{i}" for i in range(1, 8)]
COLUMNS = {
    "序号": "respondent_id", "提交答卷时间": "submitted_at", "姓名": "name", "手机号码": "phone",
    "身份证号": "id_number", "所在区县": "district", "街道编号": "psu", "权重": "weight", "性别": "sex",
    "年龄": "age", "其他意见": "comments",
    **{f"Q{i}": item for i, item in enumerate(PHQ + GAD, start=1)},
}


def id_number(rng: np.random.Generator, n: int) -> np.ndarray:
    """Well-formed (but fictional) 18-character resident ID numbers: area, birth date, sequence, check."""
    area = rng.choice(["110105", "310104", "440305", "510107"], n)
    year = rng.integers(1940, 2005, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    seq = rng.integers(100, 999, n)
    body = [f"{a}{y:04d}{m:02d}{d:02d}{s:03d}" for a, y, m, d, s in zip(area, year, month, day, seq, strict=True)]
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"
    return np.array([b + check[sum(int(c) * w for c, w in zip(b, weights, strict=True)) % 11] for b in body])


def phone_number(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(["135", "139", "158", "186", "177"], n)
    return np.array([f"{p}{x:08d}" for p, x in zip(prefix, rng.integers(0, 10**8, n), strict=True)])


def export_frame(seed: int = 7) -> pd.DataFrame:
    """The export as the platform writes it: Chinese headers, numeric answer codes, free text."""
    rng = np.random.default_rng(seed)
    district = rng.choice(DISTRICTS["code"], N)
    severity = rng.gamma(1.2, 0.6, N)
    answers = np.clip(np.round(severity[:, None] + rng.normal(0, 0.6, (N, len(PHQ) + len(GAD)))), 0, 3)
    comments = np.where(rng.random(N) < 0.5, None, rng.choice(["无", "没有意见", "希望多开展心理讲座", "很好"], N))
    frame = pd.DataFrame({
        "序号": np.arange(1, N + 1),
        "提交答卷时间": pd.Timestamp("2024-05-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, N), unit="s"),
        "姓名": rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"], N),
        "手机号码": phone_number(rng, N),
        "身份证号": id_number(rng, N),
        "所在区县": pd.Series(district).map(dict(zip(DISTRICTS["code"], DISTRICTS["name_zh"], strict=True))),
        "街道编号": rng.integers(1, 5, N),
        "权重": np.round(rng.uniform(50, 150, N), 3),
        "性别": rng.integers(1, 3, N),
        "年龄": rng.integers(18, 90, N),
        "其他意见": comments,
    })
    for i in range(len(PHQ) + len(GAD)):
        frame[f"Q{i + 1}"] = answers[:, i].astype(int)
    frame["提交答卷时间"] = frame["提交答卷时间"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame


def study_config() -> dict:
    return {
        "id": "mini",
        "title": {"en": "Mini survey (synthetic)", "zh-CN": "小型调查（合成）"},
        "waves": [2024],
        "districts": "districts.csv",
        "inputs": [{"id": "export", "file": "raw/export.csv", "wave": 2024, "answers": "codes",
                    "columns": dict(COLUMNS)}],
        "variables": {
            "respondent_id": {"type": "text", "required": True},
            "submitted_at": {"type": "datetime"},
            "district": {"type": "category", "levels_from": "districts", "required": True},
            "psu": {"type": "integer", "min": 1, "required": True},
            "weight": {"type": "number", "min": 0.000001, "invalid": "reject", "required": True},
            "sex": {"type": "category", "levels": [{"code": 1, "en": ["male"], "zh-CN": ["男"]},
                                                   {"code": 2, "en": ["female"], "zh-CN": ["女"]}]},
            "age": {"type": "integer", "min": 18, "max": 110, "invalid": "reject", "required": True},
            "comments": {"type": "text"},
        },
        "instruments": {"phq9": {}, "gad7": {}},
        "design": {"strata": ["district"], "psu": "psu", "weight": "weight"},
        "district_column": "district",
        "pii": {"columns": {"name": "drop", "phone": "drop", "id_number": "pseudonymise"}},
        "duplicates": {"key": ["id_number"], "order_by": "submitted_at"},
        "age_groups": {"column": "age", "breaks": [18, 45, 65], "labels": ["18-44", "45-64", "65+"]},
        "indicators": [{"id": "depression", "column": "phq9_positive",
                        "label": {"en": "Depressive symptoms", "zh-CN": "抑郁症状检出率"}}],
    }


@dataclass
class Run:
    """What one command did: its exit status and what it printed."""

    status: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@dataclass
class MiniStudy:
    """One private copy of the mini study."""

    root: Path

    @property
    def yaml(self) -> Path:
        return self.root / "study.yaml"

    @property
    def export(self) -> Path:
        return self.root / "raw" / "export.csv"

    @property
    def processed(self) -> Path:
        return self.root / "processed"

    def config(self) -> dict:
        return yaml.safe_load(self.yaml.read_text(encoding="utf-8"))

    def write_config(self, config: dict) -> None:
        self.yaml.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def edit(self, change) -> MiniStudy:
        """Apply ``change(config)`` (in place) to study.yaml."""
        config = self.config()
        change(config)
        self.write_config(config)
        return self

    def frame(self) -> pd.DataFrame:
        return pd.read_csv(self.export, dtype=str, keep_default_na=False, encoding="gb18030")

    def write_frame(self, frame: pd.DataFrame, path: Path | None = None, encoding: str = "gb18030") -> None:
        path = path or self.export
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(frame.to_csv(index=False).encode(encoding))

    def run(self, *args: str) -> Run:
        return run_cli(*args)

    def ingest(self) -> Run:
        return run_cli("ingest", str(self.yaml))


def make_mini_study(folder: Path, seed: int = 7) -> MiniStudy:
    folder.mkdir(parents=True, exist_ok=True)
    study = MiniStudy(folder)
    DISTRICTS.to_csv(folder / "districts.csv", index=False)
    study.write_frame(export_frame(seed))
    study.write_config(study_config())
    return study


def run_cli(*args: str) -> Run:
    """Run ``survey ARGS`` in this process, as the console script does; capture status and output."""
    from survey.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["survey", *args]
    status = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as stop:
                status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        sys.argv = argv
    return Run(status, out.getvalue(), err.getvalue())


def assert_one_line_error(run: Run, *names: str, status: int = 2) -> str:
    """The command failed with ``status``, printing one ``error:`` line naming each of ``names``, no traceback."""
    assert run.status == status, (run.status, run.out[-2000:], run.err[-2000:])
    assert "Traceback" not in run.out + run.err, run.err
    assert len(run.error_lines) == 1, run.err
    [line] = run.error_lines
    assert line.startswith("error: "), line
    for name in names:
        assert name in line, (name, line)
    return line


def accounted(study: MiniStudy) -> None:
    """Rows in = kept + rejected for every input, in the written outputs (the manifest and the files)."""
    import json

    manifest = json.loads((study.processed / "manifest.json").read_text(encoding="utf-8"))
    for row in manifest["counts"]:
        assert row["rows_in"] == row["rows_kept"] + row["rows_rejected"], row
    data = pd.read_parquet(study.processed / "responses.parquet")
    report = pd.read_csv(study.processed / "validation_report.csv")
    total = next(r for r in manifest["counts"] if r["input"] == "total")
    assert len(data) == total["rows_kept"]
    assert (report["action"] == "rejected").sum() == total["rows_rejected"]
