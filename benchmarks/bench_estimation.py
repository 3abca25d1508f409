"""Benchmark: a 200-domain proportion table on 1,000,000 rows against R survey and svy.

Issue 4's target: 1,000,000 rows, 20 strata, 2,000 PSUs, a binary outcome and 200 domains
(district x sex x age group) estimated with design-based SEs and logit CIs in at most 0.5 s,
side by side in the same run with R's ``svyby`` (survey package, via Rscript; the data is
read before the clock starts, and the time is measured inside R) and the ``svy`` Python
package when a Python that has it is given (``--svy-python``; it is not a dependency of the
workspace, so it lives in a throwaway virtual environment). The three must agree before
their times are compared. Medians over ``--repeats`` runs (the machine is shared and noisy).

What is timed
-------------
* this package: ``Design(...)`` plus ``proportion(design, "y", by=[district, sex, age_group])``
  (estimate, SE, logit CI, df, deff, n, weighted N, CV per domain), from a DataFrame in memory;
* R: ``svyby(~y, ~district+sex+age_group, d, svymean, deff=TRUE)`` (``d`` built before the
  clock; the design build is timed separately), R's fastest route to the same SEs;
  ``--r-ciprop`` also times ``svyby(..., svyciprop, vartype=c("se","ci"))`` once;
* svy: ``Sample(...)`` plus ``sample.estimation.prop("y", by=[...])`` (logit CIs).

Whole-process mode (``--whole-process``, issue 14): the same data written once to Parquet, then
``survey estimate data.parquet --outcome y --by district,sex,age_group ... -o out.csv`` as a
process (start-up, imports, reading, design, table with flags, CSV) against a script run by
svy's Python that does the same (imports, ``polars.read_parquet``, ``Sample``, ``prop``, CSV),
alternating, wall time from the parent; the two CSVs must agree first.

Run:  .venv/bin/python benchmarks/bench_estimation.py [--n 1000000] [--repeats 5]
          [--r-repeats 3] [--svy-python /tmp/svyvenv/bin/python] [--write-docs]
      .venv/bin/python benchmarks/bench_estimation.py --whole-process [--repeats 5] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import survey.estimation as est

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Estimation (issue 4)"
WHOLE_HEADING = "## Estimation as a whole process (issue 14)"
BY = ["district", "sex", "age_group"]

R_SCRIPT = textwrap.dedent(
    """
    suppressPackageStartupMessages(library(survey))
    args <- commandArgs(trailingOnly = TRUE)
    data <- read.csv(args[1])
    repeats <- as.integer(args[3])
    t0 <- proc.time()[["elapsed"]]
    d <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, data = data)
    build <- proc.time()[["elapsed"]] - t0
    times <- numeric(repeats)
    for (i in seq_len(repeats)) {
      t0 <- proc.time()[["elapsed"]]
      tab <- svyby(~y, ~district + sex + age_group, d, svymean, deff = TRUE)
      times[i] <- proc.time()[["elapsed"]] - t0
    }
    ciprop <- NA
    if (args[4] == "yes") {
      t0 <- proc.time()[["elapsed"]]
      tab2 <- svyby(~y, ~district + sex + age_group, d, svyciprop, vartype = c("se", "ci"))
      ciprop <- proc.time()[["elapsed"]] - t0
    }
    out <- data.frame(district = tab$district, sex = tab$sex, age_group = tab$age_group,
                      estimate = sprintf("%.17g", coef(tab)), se = sprintf("%.17g", SE(tab)))
    write.csv(out, args[2], row.names = FALSE)
    cat(sprintf('{"build": %.6f, "times": [%s], "ciprop": %s, "version": "%s", "r": "%s"}\\n', build,
                paste(sprintf("%.6f", times), collapse = ", "), ifelse(is.na(ciprop), "null", sprintf("%.6f", ciprop)),
                as.character(packageVersion("survey")), R.version$version.string))
    """
)

SVY_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, statistics
    import polars as pl, svy
    data = pl.read_parquet(sys.argv[1])
    repeats = int(sys.argv[3])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt="weight"))
        result = sample.estimation.prop("y", by=["district", "sex", "age_group"], ci_method="logit")
        times.append(time.perf_counter() - start)
    table = result.to_polars().filter(pl.col("y") == 1.0)
    table.select(["district", "sex", "age_group", "est", "se"]).write_csv(sys.argv[2])
    import importlib.metadata as md
    print(json.dumps({"times": times, "version": md.version("svy")}))
    """
)


SVY_PROCESS_SCRIPT = textwrap.dedent(
    """
    import sys
    import polars as pl, svy
    data = pl.read_parquet(sys.argv[1])
    sample = svy.Sample(data, svy.Design(stratum="stratum", psu="psu", wgt="weight"))
    result = sample.estimation.prop("y", by=["district", "sex", "age_group"], ci_method="logit")
    table = result.to_polars().filter(pl.col("y") == 1.0)
    table.select(["district", "sex", "age_group", "est", "se"]).write_csv(sys.argv[2])
    """
)


def make_data(n: int, strata: int, psus: int, seed: int = 20261123) -> pd.DataFrame:
    """Stratified cluster sample: PSUs nested in strata (codes unique), 10 districts x 2 sexes x 10 ages."""
    rng = np.random.default_rng(seed)
    per_stratum = psus // strata
    psu = rng.integers(0, psus, n)
    stratum = psu // per_stratum
    district = stratum * 10 // strata  # 10 districts, each two strata (urban/rural)
    sex = rng.integers(1, 3, n)
    age_group = rng.integers(1, 11, n)
    psu_effect = rng.normal(0, 0.3, psus)[psu]
    logit = -1.6 + 0.05 * district + 0.2 * (sex == 2) + 0.04 * age_group + psu_effect
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    weight = rng.uniform(0.5, 1.5, psus)[psu] * rng.uniform(80, 120, n)
    return pd.DataFrame({"stratum": stratum, "psu": psu, "weight": weight, "district": district,
                         "sex": sex, "age_group": age_group, "y": y})


def timed(fn, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def ours(data: pd.DataFrame) -> pd.DataFrame:
    design = est.Design(data, weight="weight", strata="stratum", psu="psu")
    return est.proportion(design, "y", by=BY).to_frame()


def agreement(a: pd.DataFrame, b: pd.DataFrame, columns: dict[str, str]) -> float:
    """Largest relative difference of matching domains' estimates and SEs."""
    merged = a.merge(b, on=BY, suffixes=("", "_peer"))
    if len(merged) != len(a):
        raise SystemExit(f"domains differ: {len(a)} here, {len(b)} in the peer, {len(merged)} shared")
    worst = 0.0
    for ours_column, peer_column in columns.items():
        x, y = merged[ours_column].to_numpy(float), merged[peer_column].to_numpy(float)
        worst = max(worst, float(np.max(np.abs(x - y) / np.abs(y))))
    return worst


def run_r(data: pd.DataFrame, folder: Path, repeats: int, ciprop: bool) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    csv, script, result = folder / "data.csv", folder / "bench.R", folder / "r_result.csv"
    data.to_csv(csv, index=False)
    script.write_text(R_SCRIPT)
    run = subprocess.run(["Rscript", str(script), str(csv), str(result), str(repeats), "yes" if ciprop else "no"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        print("R failed:", run.stderr[-2000:], file=sys.stderr)
        return None
    info = json.loads(run.stdout.strip().splitlines()[-1])
    info["table"] = pd.read_csv(result)
    return info


def run_svy(python: str | None, data: pd.DataFrame, folder: Path, repeats: int) -> dict | None:
    if not python or not Path(python).exists():
        return None
    parquet, script, result = folder / "data.parquet", folder / "bench_svy.py", folder / "svy_result.csv"
    data.to_parquet(parquet)
    script.write_text(SVY_SCRIPT)
    run = subprocess.run([python, str(script), str(parquet), str(result), str(repeats)], capture_output=True, text=True)
    if run.returncode != 0:
        print("svy failed:", run.stderr[-2000:], file=sys.stderr)
        return None
    info = json.loads(run.stdout.strip().splitlines()[-1])
    info["table"] = pd.read_csv(result)
    return info


def describe(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})"


def write_docs(section: str, heading: str = HEADING) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find(heading)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {run.stderr[-2000:]}")
    return elapsed


def whole_process(args) -> None:
    """``survey estimate`` as a process against svy's whole process, on one Parquet file."""
    survey_exe = str(Path(sys.executable).with_name("survey"))
    if not Path(args.svy_python).exists():
        raise SystemExit(f"--whole-process needs svy: {args.svy_python} not found "
                         "(python3 -m venv /tmp/svyvenv && /tmp/svyvenv/bin/pip install 'svy==0.35.*')")
    data = make_data(args.n, args.strata, args.psus)
    n_domains = data.groupby(BY).ngroups
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parquet, ours_csv, svy_csv, script = (folder / "data.parquet", folder / "ours.csv", folder / "svy.csv",
                                              folder / "svy_process.py")
        data.to_parquet(parquet)
        script.write_text(SVY_PROCESS_SCRIPT)
        ours_cmd = [survey_exe, "estimate", str(parquet), "--outcome", "y", "--by", ",".join(BY), "--weight",
                    "weight", "--strata", "stratum", "--psu", "psu", "-o", str(ours_csv)]
        svy_cmd = [args.svy_python, str(script), str(parquet), str(svy_csv)]
        wall(ours_cmd), wall(svy_cmd)  # warm the file cache and byte-code caches for both
        ours_times, svy_times = [], []
        for _ in range(args.repeats):
            ours_times.append(wall(ours_cmd))
            svy_times.append(wall(svy_cmd))
        table = pd.read_csv(ours_csv)
        peer = pd.read_csv(svy_csv).rename(columns={"est": "estimate_peer", "se": "se_peer"})
        diff = agreement(table, peer, {"estimate": "estimate_peer", "se": "se_peer"})
        svy_version = subprocess.run([args.svy_python, "-c", "import importlib.metadata as m; print(m.version('svy'))"],
                                     capture_output=True, text=True).stdout.strip()
    ours_median, svy_median = statistics.median(ours_times), statistics.median(svy_times)
    ratio = svy_median / ours_median
    print(f"{args.n} rows, {n_domains} domains, whole processes ({args.repeats} alternating runs)")
    print(f"survey estimate: {describe(ours_times)}")
    print(f"svy {svy_version}: {describe(svy_times)}; {ratio:.1f}x; max rel. difference {diff:.1e}")
    if args.write_docs:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        section = f"""{WHOLE_HEADING}

`benchmarks/bench_estimation.py --whole-process`: the data of the section above ({args.n:,} rows,
{args.strata} strata, {args.psus:,} PSUs, {n_domains} domains) written once to one Parquet file; each tool then
runs as a whole process, timed from the parent (wall clock: start-up, imports, reading the file,
the design, the table, writing a CSV). This package: `survey estimate data.parquet --outcome y --by
district,sex,age_group --weight weight --strata stratum --psu psu -o out.csv` (the flagged table:
logit CIs, df, deff, NCHS flags). svy {svy_version}: a script run by `/tmp/svyvenv/bin/python` that imports
polars and svy, reads the file with `polars.read_parquet`, builds `Sample(...)`, runs
`estimation.prop("y", by=[...], ci_method="logit")` and writes a CSV. One warm-up run each, then
{args.repeats} runs alternating between the two. The tables agree first (max rel. diff. of estimates and SEs).

Run on {date.today().isoformat()} ({platform.machine()}, 2 shared cores, Python {platform.python_version()}); load
average {load} (1/5/15 min) at the end:

| what | median | runs | svy / this |
|---|---|---|---|
| `survey estimate` (this package) | {describe(ours_times)} | {args.repeats} | 1x |
| svy {svy_version} whole process | {describe(svy_times)} | {args.repeats} | {ratio:.1f}x |

Max rel. difference of estimates and SEs: {diff:.1e}. Target: svy's whole process at least 10x this
package's ({"met" if ratio >= 10 else "NOT met"}: {ratio:.1f}x).

Command: `.venv/bin/python benchmarks/bench_estimation.py --whole-process --n {args.n} --repeats {args.repeats} \
--write-docs`.
"""
        write_docs(section, WHOLE_HEADING)
        print(f"wrote {DOCS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--strata", type=int, default=20)
    parser.add_argument("--psus", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--r-repeats", type=int, default=3)
    parser.add_argument("--r-ciprop", action="store_true", help="also time R's svyby(..., svyciprop) once")
    parser.add_argument("--no-r", action="store_true")
    parser.add_argument("--svy-python", default="/tmp/svyvenv/bin/python",
                        help="a Python with the svy package (skipped when absent)")
    parser.add_argument("--svy-repeats", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true", help=f"write the results under {HEADING!r} in {DOCS}")
    parser.add_argument("--whole-process", action="store_true",
                        help="time `survey estimate` and svy as whole processes on one Parquet file")
    args = parser.parse_args()
    if args.whole_process:
        whole_process(args)
        return

    data = make_data(args.n, args.strata, args.psus)
    n_domains = data.groupby(BY).ngroups
    ours(data.iloc[:10_000])  # warm up imports and caches
    times, table = timed(lambda: ours(data), args.repeats)
    design_times, design = timed(lambda: est.Design(data, weight="weight", strata="stratum", psu="psu"), args.repeats)
    estimate_times, _ = timed(lambda: est.proportion(design, "y", by=BY), args.repeats)
    median = statistics.median(times)
    print(f"{args.n} rows, {args.strata} strata, {args.psus} PSUs, {n_domains} domains")
    print(f"survey.estimation  Design + proportion: {describe(times)}  (Design {describe(design_times)}; "
          f"proportion {describe(estimate_times)})")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        r = None if args.no_r else run_r(data, folder, args.r_repeats, args.r_ciprop)
        svy = run_svy(args.svy_python, data, folder, args.svy_repeats)

    rows = [
        ("survey.estimation (this package): Design + proportion, logit CI", describe(times), args.repeats, "1x", "")
    ]
    if r is not None:
        r_median = statistics.median(r["times"])
        diff = agreement(table, r["table"], {"estimate": "estimate_peer", "se": "se_peer"})
        print(f"R survey {r['version']} svyby(svymean): {describe(r['times'])}; design build {r['build']:.2f} s; "
              f"{r_median / median:.0f}x slower; max rel. difference {diff:.1e}")
        rows.append((f"R survey {r['version']}: `svyby(~y, ~district+sex+age_group, d, svymean, deff=TRUE)`",
                     describe(r["times"]), len(r["times"]), f"{r_median / median:.0f}x", f"{diff:.1e}"))
        if r["ciprop"] is not None:
            print(f"R svyby(svyciprop): {r['ciprop']:.1f} s")
            rows.append(("R: `svyby(..., svyciprop, vartype=c('se','ci'))`", f"{r['ciprop']:.1f} s", 1,
                         f"{r['ciprop'] / median:.0f}x", ""))
    if svy is not None:
        svy_median = statistics.median(svy["times"])
        peer = svy["table"].rename(columns={"est": "estimate_peer", "se": "se_peer"})
        diff = agreement(table, peer, {"estimate": "estimate_peer", "se": "se_peer"})
        print(f"svy {svy['version']} prop: {describe(svy['times'])}; {svy_median / median:.0f}x slower; "
              f"max rel. difference {diff:.1e}")
        rows.append((f"svy {svy['version']} (Python): `Sample(...).estimation.prop('y', by=[...])`",
                     describe(svy["times"]), len(svy["times"]), f"{svy_median / median:.0f}x", f"{diff:.1e}"))
    else:
        print("svy: not available (give --svy-python with a Python that has it)")

    if args.write_docs:
        r_build = (f"R's `svydesign()` on the same data, not included in R's times, takes {r['build']:.1f} s.\n\n"
                   if r is not None else "")
        table_md = "\n".join(f"| {what} | {t} | {runs} | {ratio} | {diff} |" for what, t, runs, ratio, diff in rows)
        command = (f".venv/bin/python benchmarks/bench_estimation.py --n {args.n} --repeats {args.repeats} "
                   f"--r-repeats {args.r_repeats}{' --r-ciprop' if args.r_ciprop else ''} --write-docs")
        section = f"""{HEADING}

`benchmarks/bench_estimation.py`: {args.n:,} rows, {args.strata} strata, {args.psus:,} PSUs (nested in
strata), weights varying by PSU and row, a binary outcome, {n_domains} domains (10 districts x 2 sexes x
10 age groups); each domain's proportion with linearised SE, logit CI, df, deff, n, weighted N and CV.
Peers run in the same invocation on the same data: R's survey package through Rscript (data read
before the clock, time measured inside R) and the `svy` package from a throwaway virtual environment
(`python3 -m venv /tmp/svyvenv && /tmp/svyvenv/bin/pip install svy`; not a workspace dependency). The
estimates and SEs must agree before times are compared (column "max rel. diff.", against this package).

Run on {date.today().isoformat()} ({platform.machine()}, 2 shared cores, Python {platform.python_version()},
pandas {pd.__version__}, NumPy {np.__version__}), while other jobs were running on the machine:

| what | median | runs | time vs this package | max rel. diff. |
|---|---|---|---|---|
{table_md}

Target: at most 0.5 s for this package ({"met" if median <= 0.5 else "NOT met"}: {median:.3f} s). Within it,
building the `Design` (checks, grouping rows into PSUs) takes {statistics.median(design_times):.3f} s and the
domain table {statistics.median(estimate_times):.3f} s.

{r_build}Command: `{command}`.
"""
        write_docs(section)
        print(f"wrote {DOCS}")


if __name__ == "__main__":
    main()
