"""Benchmark: district reports (papermill per district) for 8 and 50 districts, with 1 and 2 jobs.

Issue 6 asks how long ``survey report`` takes for the demo's 8 districts and for a 50-district
study, with 1 and 2 worker processes. There is no 50-district demo, so one is built in a
temporary folder by cloning the demo's districts: district ``k`` (1..50) copies every
respondent, population margin and service row of demo district ``k mod 8`` under a new code
(``d01``..``d50``) and name, so each clone has the sample size, strata and PSUs of its source
(133,000 respondents in all). Intake and scoring are not rerun: the demo's scored data are
cloned, and only the estimation and effects steps (shared work, timed separately) run on the
clone. Reports are then built with ``force=True`` (every district rebuilt) and timed from the
call to ``build_reports`` to its return (shared-step check, loading inputs, notebooks, HTML,
index). Medians over ``--repeats`` runs for 8 districts; 50-district runs are long, so
``--repeats-50`` (default 1).

Run:  .venv/bin/python benchmarks/bench_reports.py [--repeats 3] [--repeats-50 1] [--jobs 1,2]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd

from survey.paths import demo_study_file


def scored_demo(folder: Path) -> Path:
    """A private copy of the demo study, ingested and scored (keys in a temporary folder)."""
    from survey.intake import ingest
    from survey.scoring.study import score_study

    target = folder / "demo"
    shutil.copytree(demo_study_file().parent, target, ignore=shutil.ignore_patterns("processed", "interim"))
    ingest(target / "study.yaml")
    score_study(target / "study.yaml")
    return target


def cloned_study(source: Path, folder: Path, n_districts: int) -> Path:
    """A study of ``n_districts`` districts cloned from the scored study at ``source`` (see module doc)."""
    target = folder / f"clone{n_districts}"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("processed", "reports"))
    districts = pd.read_csv(source / "districts.csv", dtype={"code": str})
    codes = list(districts["code"])
    clones = pd.DataFrame({"_k": range(n_districts)})
    clones["_source"] = [codes[k % len(codes)] for k in clones["_k"]]
    clones["_code"] = [f"d{k + 1:02d}" for k in clones["_k"]]
    table = clones.merge(districts, left_on="_source", right_on="code").rename(columns={"_k": "k"})
    table["code"] = table["_code"]
    table["number"] = table["k"] + 1
    table["name_zh"] = [f"示例{k + 1:02d}{'县' if kind == 'county' else '区'}"
                        for k, kind in zip(table["k"], table["kind"], strict=True)]
    table["name_en"] = [f"Example {k + 1:02d} {'County' if kind == 'county' else 'District'}"
                        for k, kind in zip(table["k"], table["kind"], strict=True)]
    table[["code", "number", "name_zh", "name_en", "kind"]].to_csv(target / "districts.csv", index=False)

    def clone_rows(frame: pd.DataFrame, column: str = "district") -> pd.DataFrame:
        joined = clones.merge(frame, left_on="_source", right_on=column)
        return joined.assign(**{column: joined["_code"]}).drop(columns=["_source", "_code"])

    margins = pd.read_csv(source / "population_margins.csv", dtype={"district": str})
    clone_rows(margins).drop(columns="_k").to_csv(target / "population_margins.csv", index=False)
    for name in ("service_indicators.csv", "service_monthly.csv"):
        rows = pd.read_csv(source / "raw" / name, dtype={"district": str})
        clone_rows(rows).drop(columns="_k").to_csv(target / "raw" / name, index=False)

    (target / "processed").mkdir()
    for name in ("responses.parquet", "scored.parquet"):
        rows = clone_rows(pd.read_parquet(source / "processed" / name))
        # only clone 0 of each source keeps its rows' positions in the validation report
        rows["source_row"] = rows["source_row"] + (rows["_k"] // len(codes)) * 1_000_000
        rows["respondent_id"] = rows["respondent_id"].astype(str) + "-" + rows["_k"].astype(str)
        if "stratum" in rows:
            rows["stratum"] = rows["district"] + "-" + rows["urban_rural"].astype(str)
        rows.drop(columns="_k").to_parquet(target / "processed" / name, index=False)
    (target / "truth.json").unlink(missing_ok=True)  # the demo's truth names the demo's districts
    for name in ("validation_report.csv", "validation_summary.md", "manifest.json"):
        shutil.copy2(source / "processed" / name, target / "processed" / name)
    # inputs first, then intake's outputs, then scoring's: nothing upstream looks stale
    now = time.time()
    for path in target.rglob("*"):
        os.utime(path, (now - 30, now - 30))
    for name in ("responses.parquet", "validation_report.csv", "validation_summary.md", "manifest.json"):
        os.utime(target / "processed" / name, (now - 20, now - 20))
    os.utime(target / "processed" / "scored.parquet", (now - 10, now - 10))
    return target


def time_builds(study_file: Path, jobs: int, repeats: int) -> list[float]:
    from survey.reports.runner import build_reports

    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        run = build_reports(study_file, "all", jobs=jobs, force=True, progress=False, echo=lambda line: None)
        seconds.append(time.perf_counter() - start)
        if not run.ok:
            raise SystemExit("\n".join(run.failure_lines()))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per setting with 8 districts")
    parser.add_argument("--repeats-50", type=int, default=1, help="runs per setting with 50 districts")
    parser.add_argument("--jobs", default="1,2", help="worker counts to time, comma-separated")
    parser.add_argument("--districts", default="8,50", help="study sizes to time, comma-separated")
    args = parser.parse_args()
    from survey.pipeline import steps
    from survey.reports.runner import choose_kernel
    from survey.study import load_study

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        folder = Path(tmp)
        os.environ["SURVEY_KEY_DIR"] = str(folder / "keys")
        demo = scored_demo(folder)
        print(f"python {platform.python_version()}, {os.cpu_count()} cores, kernel {choose_kernel()[0]}")
        print("| districts | respondents | jobs | median (s) | runs (s) | per report (s) |")
        print("|---|---|---|---|---|---|")
        notes = []
        for n in [int(x) for x in args.districts.split(",")]:
            study_dir = demo if n == 8 else cloned_study(demo, folder, n)
            study = load_study(study_dir / "study.yaml")
            start = time.perf_counter()
            ran = steps.ensure(study, steps.SHARED, echo=lambda line: None)
            notes.append(f"{n} districts: shared steps {', '.join(ran)} took {time.perf_counter() - start:.1f} s")
            respondents = len(pd.read_parquet(study.processed_dir / "scored.parquet", columns=["wave"]))
            for jobs in [int(x) for x in args.jobs.split(",")]:
                runs = time_builds(study.config_file, jobs, args.repeats if n == 8 else args.repeats_50)
                median = statistics.median(runs)
                print(f"| {n} | {respondents:,} | {jobs} | {median:.1f} | {', '.join(f'{s:.1f}' for s in runs)} "
                      f"| {median / n:.2f} |", flush=True)
        for note in notes:
            print(note)


if __name__ == "__main__":
    main()
