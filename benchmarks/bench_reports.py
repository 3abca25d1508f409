"""Benchmark: district reports of the 8-district demo and of a 5-district study, today's build and this one.

Issue 12 asks that a study's reports build in under 3 s per district with 2 jobs, PDF included,
for the 8-district demo and for a 5-district study. This script builds both with
``build_reports(..., force=True)`` (every district rebuilt) and times each run from a fresh Python
process, as ``survey report`` runs: the shared-step check, loading the inputs once, the
notebooks, pages, PDFs and the index.

Two variants run side by side on the same study folders, alternating build by build (the machine
is shared and its speed drifts):

* ``today``: the code of a git revision (``--baseline``, default: where this branch left ``main``),
  extracted to a temporary folder and put first on ``PYTHONPATH`` (its kernels inherit it);
* ``new``: this working tree.

Both build what ``survey report`` builds by default (HTML and ``report.pdf``), in ``--lang``.

The 5-district study is the demo's first five districts cloned under new codes (every respondent,
margin and service row of each, so each clone has its source's sample); a study folder given with
``--study5`` (e.g. ``data/nanhu``) is used instead. Intake and scoring run once on a private copy
of the demo, then the estimation and effects steps on each study (shared work, not timed).

Per district: ``wall / districts`` is the build's wall time shared out, ``median`` the median
over the districts of each district's own time in its worker (notebook, page, PDF; the
manifest's ``seconds``), ``CPU / districts`` the processor time of the whole build (every process
it started and waited for) shared out — what two free cores would need at least, half of it
each — and ``parts`` the medians of the new build's parts.

Run:  .venv/bin/python benchmarks/bench_reports.py [--repeats 3] [--jobs 2] [--variants today,new]
          [--baseline REV] [--study5 data/nanhu] [--lang zh|en]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from survey.paths import demo_study_file, project_root

RUN = r"""
import json, sys, time
from pathlib import Path
if __name__ == "__main__":
    from survey.reports.runner import build_reports
    study, jobs, notebook, lang = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    start = time.perf_counter()
    run = build_reports(study, "all", jobs=jobs, force=True, progress=False, echo=lambda line: None,
                        notebook=notebook, lang=lang)
    wall = time.perf_counter() - start
    if not run.ok:
        raise SystemExit("\n".join(run.failure_lines()))
    parts = []
    for outcome in run.outcomes:
        record = json.loads((Path(outcome.html).parent / "manifest.json").read_text(encoding="utf-8"))
        parts.append(record.get("timings") or {})
    print(json.dumps({"wall": wall, "seconds": [o.seconds for o in run.outcomes], "parts": parts}))
"""


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
    """A study of ``n_districts`` districts cloned from the scored study at ``source``.

    District ``k`` (1..n) copies every respondent, population margin and service row of source
    district ``k mod 8`` under a new code (``d01``...) and name.
    """
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
    config = yaml.safe_load((target / "study.yaml").read_text(encoding="utf-8"))
    if config.get("pilot"):  # the clones of pilot districts are the pilots
        pilots = set(config["pilot"]["districts"])
        config["pilot"]["districts"] = [code for code, source in zip(clones["_code"], clones["_source"], strict=True)
                                        if source in pilots]
    (target / "study.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")

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
        rows["source_row"] = rows["source_row"] + (rows["_k"] // len(codes)) * 1_000_000
        rows["respondent_id"] = rows["respondent_id"].astype(str) + "-" + rows["_k"].astype(str)
        if "stratum" in rows:
            rows["stratum"] = rows["district"] + "-" + rows["urban_rural"].astype(str)
        rows.drop(columns="_k").to_parquet(target / "processed" / name, index=False)
    (target / "truth.json").unlink(missing_ok=True)  # the demo's truth names the demo's districts
    for name in ("validation_report.csv", "validation_summary.md", "manifest.json"):
        shutil.copy2(source / "processed" / name, target / "processed" / name)
    now = time.time()  # inputs first, then intake's outputs, then scoring's: nothing upstream looks stale
    for path in target.rglob("*"):
        os.utime(path, (now - 30, now - 30))
    for name in ("responses.parquet", "validation_report.csv", "validation_summary.md", "manifest.json"):
        os.utime(target / "processed" / name, (now - 20, now - 20))
    os.utime(target / "processed" / "scored.parquet", (now - 10, now - 10))
    return target


def baseline_tree(revision: str, folder: Path) -> Path:
    """The package and report notebook of ``revision``, extracted under ``folder``; its root."""
    root = folder / f"baseline-{revision.replace('/', '-')}"
    root.mkdir()
    archive = subprocess.run(["git", "-C", str(project_root()), "archive", revision, "src/survey",
                              "notebooks/district_report.ipynb"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    return root


def time_build(study_file: Path, jobs: int, *, tree: Path | None, lang: str = "zh") -> dict:
    """One build in a fresh interpreter: wall seconds, each district's seconds and parts."""
    env = {**os.environ}
    notebook = project_root() / "notebooks" / "district_report.ipynb"
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        notebook = tree / "notebooks" / "district_report.ipynb"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(RUN)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        done = subprocess.run([sys.executable, script.name, str(study_file), str(jobs), str(notebook), lang], env=env,
                              capture_output=True, text=True)
    finally:
        os.unlink(script.name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"build of {study_file} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # CPU of the build and every process it waited for (workers, kernels, browsers)
    result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="builds per study and variant")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--variants", default="today,new", help="today (the baseline revision), new (this tree)")
    parser.add_argument("--baseline", default="", help="git revision of 'today' (default: merge-base of HEAD and main)")
    parser.add_argument("--study5", default="", help="a 5-district study folder instead of the demo's clone")
    parser.add_argument("--lang", default="zh", choices=["zh", "en"], help="report language")
    args = parser.parse_args()
    from survey.pipeline import steps
    from survey.reports.runner import choose_kernel
    from survey.study import load_study

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    baseline = args.baseline or subprocess.run(["git", "-C", str(project_root()), "merge-base", "HEAD", "main"],
                                               check=True, capture_output=True, text=True).stdout.strip()[:12]
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        folder = Path(tmp)
        os.environ["SURVEY_KEY_DIR"] = str(folder / "keys")
        demo = scored_demo(folder)
        if args.study5:
            five = folder / Path(args.study5).name
            shutil.copytree(args.study5, five, ignore=shutil.ignore_patterns("processed", "reports"))
        else:
            five = cloned_study(demo, folder, 5)
        trees = {"today": baseline_tree(baseline, folder) if "today" in variants else None, "new": None}
        load = os.getloadavg()[0]
        print(f"python {platform.python_version()}, {os.cpu_count()} cores, kernel {choose_kernel()[0]}, "
              f"load average {load:.1f} at the start, baseline {baseline}, reports in {args.lang}")
        print("| study | districts | variant | jobs | wall, median (s) | runs (s) | wall / districts (s) "
              "| median per district (s) | CPU / districts (s) | parts (new: kernel, notebook, page, pdf) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for path in (five, demo):
            study = load_study(path / "study.yaml")
            steps.ensure(study, steps.SHARED, echo=lambda line: None)
            n = len(study.districts())
            builds = {variant: [] for variant in variants}
            for _ in range(args.repeats):
                for variant in variants:
                    builds[variant].append(time_build(study.config_file, args.jobs, tree=trees[variant],
                                                      lang=args.lang))
            for variant in variants:
                runs = builds[variant]
                walls = [r["wall"] for r in runs]
                per = statistics.median([s for r in runs for s in r["seconds"]])
                parts = ", ".join(f"{part} {statistics.median([p[part] for r in runs for p in r['parts']]):.2f}"
                                  for part in ("kernel", "notebook", "page", "pdf")
                                  if all(part in p for r in runs for p in r["parts"]))
                cpu = statistics.median([r["cpu"] for r in runs]) / n
                print(f"| {path.name} | {n} | {variant} | {args.jobs} | {statistics.median(walls):.1f} | "
                      f"{', '.join(f'{w:.1f}' for w in walls)} | {statistics.median(walls) / n:.2f} | {per:.2f} | "
                      f"{cpu:.2f} | {parts or '–'} |", flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
