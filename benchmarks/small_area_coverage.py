"""Fay–Herriot estimates of 100 simulated counties against the truth: the tables and figure of docs/small-area.md.

Scenario of ``survey.estimation.small_area.simulation`` (100 counties, 10 of them unsampled, samples
log-uniform on 150-3000, design effects 1.2-2.5, a logit-linear truth in two covariates with a county
effect of SD 0.25). For each transform (REML; arcsine also ML): MSE against the truth and its ratio to
the direct estimates', coverage of estimate +/- 1.96 root-MSE, and estimated over actual MSE. The
arcsine row is also the slow test ``tests/small_area/test_small_area_simulation.py``. The figure is
one replication's direct against model estimates.

Run:  .venv/bin/python benchmarks/small_area_coverage.py [--replicates 300] [--boot 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from survey.estimation.small_area import fay_herriot  # noqa: E402
from survey.estimation.small_area.simulation import VARIABLES, coverage, simulate_counties  # noqa: E402

FIGURE = Path(__file__).resolve().parents[1] / "docs" / "figures" / "small-area-direct-vs-model.png"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=300)
    parser.add_argument("--boot", type=int, default=200)
    args = parser.parse_args()
    rows = []
    for transform, method in (("arcsine", "reml"), ("logit", "reml"), ("none", "reml"), ("arcsine", "ml")):
        start = time.perf_counter()
        summary, _ = coverage(args.replicates, transform=transform, method=method, n_boot=args.boot, seed=2026)
        rows.append(summary.assign(seconds=round(time.perf_counter() - start, 1)))
        print(f"{transform} {method}: {rows[-1]['seconds'].iloc[0]} s", flush=True)
    out = pd.concat(rows)
    print(out.to_markdown(index=False, floatfmt=".4f") if hasattr(out, "to_markdown") else out.to_string())
    direct, covariates, _ = simulate_counties(100, seed=2026, unsampled=10)
    fig = fay_herriot(direct, covariates, variables=VARIABLES, seed=2026).plot()
    fig.axes[0].set_title("100 simulated counties (10 unsampled), arcsine REML")
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=110, bbox_inches="tight")
    print(f"wrote {FIGURE}")


if __name__ == "__main__":
    main()
