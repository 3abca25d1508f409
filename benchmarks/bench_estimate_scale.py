"""Benchmark: `survey estimate` on 1M and 10M rows, pandas engine against the Dask engine.

The data are those of ``bench_estimation.py`` (20 strata, 2,000 PSUs, 200 domains: 10 districts
x 2 sexes x 10 age groups, a binary outcome), written as Parquet partitions of 1,000,000 rows:
partition k is drawn with its own seed and its PSU codes offset by k x 2,000 (pooled rounds or
counties, PSUs nested in the same 20 strata), so 10 partitions hold 10,000,000 rows in 20,000 PSUs.
Each case runs ``survey estimate FOLDER --outcome y --by district,sex,age_group --weight weight
--strata stratum --psu psu -o out.csv`` as a process, with ``--engine pandas`` (all partitions
read into one DataFrame) or ``--engine dask`` (a LocalCluster with one worker process per core,
one partition per file, per-PSU sums on the workers, the kernel in the parent).

Time: wall clock from the parent. Memory: the whole process tree's resident set (the command and
every descendant: Dask's nanny and worker processes), sampled from /proc through psutil every
20 ms; "peak RSS" is the largest sum seen (the per-process peaks are not simultaneous, so their
sum would overstate it). The two engines' tables must agree to 1e-12 relative first.

Run:  .venv/bin/python benchmarks/bench_estimate_scale.py [--sizes 1,10] [--repeats 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

from bench_estimation import BY, DOCS, make_data, write_docs

HEADING = "## Estimation at scale: pandas and Dask engines (issue 14)"
ROWS_PER_PART = 1_000_000
PSUS = 2_000


def write_partitions(folder: Path, parts: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(parts):
        data = make_data(ROWS_PER_PART, 20, PSUS, seed=20261202 + k)
        data["psu"] += k * PSUS
        data.to_parquet(folder / f"part.{k}.parquet", index=False)


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_sampled(command: list[str]) -> tuple[float, int]:
    """Wall time and peak resident memory of the process tree of ``command``."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    process = psutil.Process(child.pid)
    peak = [0]

    def sample() -> None:
        while child.poll() is None:
            try:
                peak[0] = max(peak[0], tree_rss(process))
            except psutil.Error:
                pass
            time.sleep(0.02)

    thread = threading.Thread(target=sample)
    thread.start()
    _, err = child.communicate()
    elapsed = time.perf_counter() - start
    thread.join()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {err[-2000:]}")
    return elapsed, peak[0]


def agreement(a: pd.DataFrame, b: pd.DataFrame) -> float:
    merged = a.merge(b, on=BY, suffixes=("", "_b"))
    assert len(merged) == len(a) == len(b), "the engines give different domains"
    worst = 0.0
    for column in ("estimate", "se", "ci_low", "ci_high", "deff", "n_weighted"):
        x, y = merged[column].to_numpy(float), merged[f"{column}_b"].to_numpy(float)
        worst = max(worst, float(np.nanmax(np.abs(x - y) / np.abs(y))))
    assert (merged["df"] == merged["df_b"]).all() and (merged["n"] == merged["n_b"]).all()
    assert (merged["flag"].fillna("") == merged["flag_b"].fillna("")).all()
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="numbers of 1M-row partitions, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    survey_exe = str(Path(sys.executable).with_name("survey"))
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for parts in sizes:
            folder = Path(tmp) / f"parts{parts}"
            write_partitions(folder, parts)
            tables, results = {}, {}
            for engine in ("pandas", "dask"):
                out = Path(tmp) / f"{engine}{parts}.csv"
                command = [survey_exe, "estimate", str(folder), "--engine", engine, "--outcome", "y", "--by",
                           ",".join(BY), "--weight", "weight", "--strata", "stratum", "--psu", "psu", "-o", str(out)]
                runs = [run_sampled(command) for _ in range(args.repeats)]
                results[engine] = runs
                tables[engine] = pd.read_csv(out)
                times = [t for t, _ in runs]
                peak = max(m for _, m in runs)
                print(f"{parts * ROWS_PER_PART:>11,} rows  {engine:6}  median {statistics.median(times):6.2f} s "
                      f"(min {min(times):.2f}, max {max(times):.2f})  peak RSS {peak / 2**30:.2f} GiB", flush=True)
            diff = agreement(tables["dask"], tables["pandas"])
            print(f"{parts * ROWS_PER_PART:>11,} rows  dask vs pandas: max rel. difference {diff:.1e}")
            for engine, runs in results.items():
                times = [t for t, _ in runs]
                rows.append((parts, engine, statistics.median(times), min(times), max(times),
                             max(m for _, m in runs), diff))
    if args.write_docs:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        memory = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
        lines = "\n".join(
            f"| {parts * ROWS_PER_PART:,} ({parts} x 1M) | {engine} | {median:.2f} s (min {low:.2f}, max {high:.2f}) "
            f"| {peak / 2**30:.2f} GiB | {diff:.1e} |"
            for parts, engine, median, low, high, peak, diff in rows
        )
        growth = []
        for engine in ("pandas", "dask"):
            by_size = {parts: (median, peak) for parts, e, median, _, _, peak, _ in rows if e == engine}
            if len(by_size) >= 2:
                small, large = min(by_size), max(by_size)
                growth.append(f"{engine}: time x{by_size[large][0] / by_size[small][0]:.1f}, peak memory "
                              f"x{by_size[large][1] / by_size[small][1]:.1f} for x{large // small} rows")
        section = f"""{HEADING}

`benchmarks/bench_estimate_scale.py`: `survey estimate FOLDER --engine pandas|dask --outcome y --by
district,sex,age_group --weight weight --strata stratum --psu psu -o out.csv` as a process, on a folder of
Parquet partitions of 1,000,000 rows each (the data of the sections above; partition k drawn with its own seed,
its PSU codes offset so that 10 partitions hold 20,000 PSUs in 20 strata; 200 domains). pandas: every partition
read (only the 7 columns named) into one DataFrame in the process. Dask: a `distributed.LocalCluster` started by
the command with one worker process per core (2 here), one partition per file, per-(domain, stratum, PSU) sums on
the workers added up in a tree, then the same kernel (SE, df, CI, deff, flags) in the command's process. Time is
wall clock from the parent, including Python start-up and, for Dask, starting and stopping the cluster. Peak RSS
is the largest sum of resident memory over the command and all its descendants (nanny and worker processes),
sampled from /proc with psutil every 20 ms, the largest over the runs. "max rel. diff.": the Dask table against
the pandas table (estimates, SEs, CIs, deff, weighted N; df, n and flags equal).

Run on {date.today().isoformat()} ({platform.machine()}, 2 shared cores, {memory},
Python {platform.python_version()}); load average {load} (1/5/15 min) at the end, other engineers' jobs running:

| rows | engine | median of {args.repeats} | peak RSS, process tree | max rel. diff. |
|---|---|---|---|---|
{lines}

Growth from the smallest to the largest size: {"; ".join(growth) or "(one size only)"}.

Command: `.venv/bin/python benchmarks/bench_estimate_scale.py --sizes {args.sizes} --repeats {args.repeats} \\
--write-docs`.
"""
        write_docs(section, HEADING)
        print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
