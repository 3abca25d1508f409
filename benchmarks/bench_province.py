"""Benchmark: a province of 100 counties from raw exports to county reports (issue 14).

``survey generate-demo OUT --districts N`` writes the synthetic province once (timed); then,
``--repeats`` times, a fresh copy of it (no processed data, no reports) goes through
``survey demo OUT/study.yaml --lang zh`` as a whole process: intake, scoring, estimation
(crude, raked, standardised), effects, and the Chinese county reports with the index. The
command prints its wall time by step (``[time] ...``, from the step registry); this script
reports the median of each step over the runs, the whole process's wall time, and the
machine's load (``uptime``) before and after each run, since the machine is shared.

Run:  .venv/bin/python benchmarks/bench_province.py [--districts 100] [--repeats 3] [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SURVEY = Path(sys.executable).with_name("survey")
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## A province of 100 counties (issue 14)"


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def generate(folder: Path, districts: int) -> float:
    started = time.perf_counter()
    subprocess.run([str(SURVEY), "generate-demo", str(folder), "--districts", str(districts)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def one_run(pristine: Path, work: Path) -> dict:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(pristine, work, ignore=shutil.ignore_patterns("processed", "reports"))
    before = load_average()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(SURVEY), "demo", str(work / "study.yaml"), "--lang", "zh"], capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"survey demo failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("[time] "))
    steps = {name: float(sec) for name, sec in re.findall(r"(\w+) ([0-9.]+) s", line) if name != "total"}
    reports = work / "reports"
    return {"wall": wall, "cpu": cpu, "steps": steps, "load_before": before, "load_after": load_average(),
            "html": len(list(reports.rglob("report.html"))) if reports.exists() else 0,
            "pdf": len(list(reports.rglob("*.pdf"))) if reports.exists() else 0,
            "summary": [x for x in done.stdout.splitlines() if x.startswith("[reports] ")][-2:]}


def table(runs: list[dict], generate_seconds: float, districts: int) -> str:
    names = list(runs[0]["steps"])
    lines = ["| step | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | median |",
             "|---|" + "---:|" * (len(runs) + 1)]
    for name in names:
        values = [r["steps"][name] for r in runs]
        lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in values)
                     + f" | **{statistics.median(values):.1f}** |")
    walls = [r["wall"] for r in runs]
    lines.append("| whole `survey demo` process | " + " | ".join(f"{v:.1f}" for v in walls)
                 + f" | **{statistics.median(walls):.1f}** |")
    lines.append("| CPU seconds of the process tree (user + system) | " + " | ".join(f"{r['cpu']:.0f}" for r in runs)
                 + f" | **{statistics.median(r['cpu'] for r in runs):.0f}** |")
    lines.append("| load average before (1, 5, 15 min) | " + " | ".join(r["load_before"] for r in runs) + " | |")
    lines.append("| load average after | " + " | ".join(r["load_after"] for r in runs) + " | |")
    made = "was given (--study)" if generate_seconds != generate_seconds else f"took {generate_seconds:.0f} s (once)"
    head = (f"`survey generate-demo OUT --districts {districts}` {made}; "
            f"then `survey demo OUT/study.yaml --lang zh` on a fresh copy, {len(runs)} runs, seconds of wall "
            f"time (the step registry's timings; reports with 2 jobs). Reports built per run: "
            f"{runs[0]['html']} HTML, {runs[0]['pdf']} PDF.")
    return head + "\n\n" + "\n".join(lines)


def write_docs(text: str) -> None:
    """Replace the section's run (from "**The run.**" to "**What was cut"), or add the section."""
    current = DOCS.read_text(encoding="utf-8")
    start_mark, end_mark = "**The run.** ", "**What was cut"
    if SECTION in current and start_mark in current and end_mark in current:
        start, end = current.index(start_mark), current.index(end_mark)
        current = current[:start] + start_mark + text + "\n\n" + current[end:]
    else:
        current = current.rstrip("\n") + f"\n\n{SECTION}\n\n{start_mark}{text}\n"
    DOCS.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--study", type=Path, help="an already generated province (skips generate-demo)")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-province-") as tmp:
        tmp = Path(tmp)
        if args.study:
            pristine, generate_seconds = args.study, float("nan")
        else:
            pristine = tmp / "province"
            generate_seconds = generate(pristine, args.districts)
        runs = []
        for k in range(args.repeats):
            runs.append(one_run(pristine, tmp / "run" / "province"))
            print(f"run {k + 1}: {runs[-1]['wall']:.1f} s; {runs[-1]['summary']}", file=sys.stderr)
    text = table(runs, generate_seconds, args.districts)
    text += (f"\n\nMachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
             f"`uptime` at the end: {uptime()}.")
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
