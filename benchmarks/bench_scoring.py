"""Benchmark: vectorised scoring against a row-wise ``DataFrame.apply`` of the same rules.

Issue 3's target: 1,000,000 respondents answering PHQ-9, GAD-7, ISI, the national literacy
questionnaire (36 items) and WHO-5 scored in at most 1.5 s, and at least 50x faster than the
row-wise implementation (``survey.scoring.rowwise``), both measured in the same run.

The row-wise baseline is far too slow for a million rows (minutes), so both are timed on the
same sub-sample of ``--rowwise-n`` respondents and the ratio of per-row times is reported;
the engine is also timed on the full million. Medians over ``--repeats`` runs (the machine
is shared and noisy). Answers are random valid codes with 3% blanks, fixed seed.

Run:  .venv/bin/python benchmarks/bench_scoring.py [--n 1000000] [--rowwise-n 20000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np
import pandas as pd

from survey.instruments import load_instrument
from survey.scoring import score
from survey.scoring.rowwise import score_rowwise

INSTRUMENTS = ["phq9", "gad7", "isi", "nmhl", "who5"]
NMHL_STUDY_CHOICES = {  # the demo study's fictional key for judgement items 1-13
    "key": {f"nmhl_j{i}": ("false" if i in (6, 7, 9, 11) else "true") for i in range(1, 14)},
    "vignette_keys": {**{f"nmhl_va{i}": "agree" for i in range(1, 5)},
                      **{f"nmhl_vb{i}": "agree" for i in range(1, 5)}, "nmhl_vb3": "disagree"},
}
OVERRIDES = {"nmhl": NMHL_STUDY_CHOICES}


def answers(n: int, seed: int = 20261123) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {}
    for instrument_id in INSTRUMENTS:
        instrument = load_instrument(instrument_id)
        for item in instrument.item_ids:
            codes = np.array(instrument.codes(item), dtype=float)
            values = codes[rng.integers(0, len(codes), n)]
            values[rng.random(n) < 0.03] = np.nan
            columns[item] = values
    return pd.DataFrame(columns)


def timed(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rowwise-n", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    full = answers(args.n)
    items = full.shape[1]
    sub = full.iloc[: args.rowwise_n].copy()
    score(sub, INSTRUMENTS, overrides=OVERRIDES)  # warm caches (instrument files, compiled plans)

    engine_full = timed(lambda: score(full, INSTRUMENTS, overrides=OVERRIDES), args.repeats)
    engine_sub = timed(lambda: score(sub, INSTRUMENTS, overrides=OVERRIDES), args.repeats)
    rowwise_sub = timed(lambda: score_rowwise(sub, INSTRUMENTS, overrides=OVERRIDES), max(1, args.repeats // 2))

    # the two implementations must agree before their speeds are compared
    fast = score(sub, INSTRUMENTS, overrides=OVERRIDES)
    slow = score_rowwise(sub, INSTRUMENTS, overrides=OVERRIDES)
    numeric = [
        c for c in fast.columns if pd.api.types.is_numeric_dtype(fast[c]) and not pd.api.types.is_bool_dtype(fast[c])
    ]
    diff = np.nanmax(np.abs(fast[numeric].to_numpy(float) - slow[numeric].to_numpy(float)))

    med = statistics.median
    per_row_engine = med(engine_sub) / len(sub)
    per_row_rowwise = med(rowwise_sub) / len(sub)
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"pandas {pd.__version__}, numpy {np.__version__}")
    print(f"instruments: {', '.join(INSTRUMENTS)} ({items} item columns)")
    print(f"engine, {args.n:,} respondents: median {med(engine_full):.3f} s "
          f"(min {min(engine_full):.3f}, max {max(engine_full):.3f}, {args.repeats} runs)  target <= 1.5 s")
    print(f"engine, {len(sub):,} respondents: median {med(engine_sub) * 1000:.1f} ms")
    print(f"row-wise apply, {len(sub):,} respondents: median {med(rowwise_sub):.2f} s "
          f"(-> about {per_row_rowwise * args.n / 60:.0f} min for {args.n:,})")
    print(
        f"speed-up on the same {len(sub):,} rows: {per_row_rowwise / per_row_engine:.0f}x; "
        f"engine per row at 1M vs row-wise per row: {per_row_rowwise / (med(engine_full) / args.n):.0f}x  target >= 50x"
    )
    print(f"max |engine - row-wise| over numeric score columns: {diff:.1e}")


if __name__ == "__main__":
    main()
