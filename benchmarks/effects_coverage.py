"""Coverage of 95% CIs for a difference-in-differences with 8 districts: the table in docs/effects.md.

Scenarios of ``survey.effects.simulation.simulate_did`` (district and wave effects, district x
wave shocks, PSU effects, lognormal weights, 200 respondents per district and wave, true effect
0.2): 4, 3 and 2 of the 8 districts treated. Methods: CR1 with t(G-1) and with normal critical
values ("naive"), restricted wild cluster bootstrap with Rademacher (all 256 draws) and Webb
weights (test-inversion CIs). The 4-treated scenario is also the slow test
``tests/effects/test_effects_simulation.py``.

Run:  .venv/bin/python benchmarks/effects_coverage.py [--replicates 1000] [--draws 9999]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from survey.effects.simulation import coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=9999)
    args = parser.parse_args()
    rows = []
    for treated in (4, 3, 2):
        start = time.perf_counter()
        table = coverage(args.replicates, effect=0.2, B=args.draws, seed=2024, n_treated=treated)
        seconds = time.perf_counter() - start
        rows.append(table.assign(treated=treated, seconds=round(seconds, 1)))
        print(f"{treated} of 8 treated: {seconds:.1f} s", flush=True)
    out = pd.concat(rows)[["treated", "method", "coverage", "mc_se", "mean_width", "rejects_zero", "seconds"]]
    print(out.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
