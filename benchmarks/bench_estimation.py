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

Run:  .venv/bin/python benchmarks/bench_estimation.py [--n 1000000] [--repeats 5]
          [--r-repeats 3] [--svy-python /tmp/svyvenv/bin/python] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
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


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find(HEADING)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(HEADING))
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


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
    args = parser.parse_args()

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
