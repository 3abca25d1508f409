"""Check that a speed change left every output table the same: compare two copies of a study's outputs.

Every CSV and Parquet file under BEFORE (recursively) must exist under AFTER with the same
content: CSV files byte for byte; Parquet files byte for byte or, failing that, as data frames
with exactly equal values, dtypes and column order (pyarrow may write different metadata).
Files only in AFTER are listed too. Exit status 1 when anything differs.

Typical use (issue 14: ``make demo``'s outputs before and after a change)::

    make demo && cp -r data/demo/processed /tmp/before/processed && cp -r reports/demo /tmp/before/reports
    # ... change the code ...
    make demo && .venv/bin/python benchmarks/compare_outputs.py /tmp/before \\
        --after processed=data/demo/processed --after reports=reports/demo

Run:  .venv/bin/python benchmarks/compare_outputs.py BEFORE AFTER
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

PATTERNS = ("*.csv", "*.parquet")


def tables(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for pattern in PATTERNS for p in sorted(folder.rglob(pattern))}


def same(before: Path, after: Path, ignore: tuple[str, ...] = ()) -> str | None:
    """None when the two files hold the same table, else what differs (one line)."""
    if before.read_bytes() == after.read_bytes():
        return None
    if before.suffix == ".csv":
        return "bytes differ"
    a, b = pd.read_parquet(before), pd.read_parquet(after)
    a, b = a.drop(columns=[c for c in ignore if c in a]), b.drop(columns=[c for c in ignore if c in b])
    if list(a.columns) != list(b.columns):
        return f"columns differ: {sorted(set(a.columns) ^ set(b.columns))[:5]}"
    if a.shape != b.shape:
        return f"shape {a.shape} -> {b.shape}"
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError as error:
        return " ".join(str(error).split())[:200]
    return None


def compare(before: dict[str, Path], after: dict[str, Path], ignore: tuple[str, ...] = ()) -> list[str]:
    problems = [f"{name}: missing after" for name in before if name not in after]
    problems += [f"{name}: new after" for name in after if name not in before]
    for name in sorted(set(before) & set(after)):
        why = same(before[name], after[name], ignore)
        if why:
            problems.append(f"{name}: {why}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path, nargs="?")
    parser.add_argument("--after", dest="parts", action="append", default=[],
                        help="PREFIX=FOLDER: compare BEFORE/PREFIX with FOLDER (repeatable)")
    parser.add_argument("--ignore-column", action="append", default=[],
                        help="a Parquet column left out (e.g. id_number_key: pseudonyms depend on each study "
                        "copy's own secret key, which lives outside git)")
    args = parser.parse_args(argv)
    pairs = [(args.before / p.split("=", 1)[0], Path(p.split("=", 1)[1])) for p in args.parts]
    if args.after is not None:
        pairs.append((args.before, args.after))
    problems, count = [], 0
    for before, after in pairs:
        found = tables(before)
        count += len(found)
        problems += [f"{before}: {line}" for line in compare(found, tables(after), tuple(args.ignore_column))]
    for line in problems:
        print(line)
    print(f"{count} tables compared, {len(problems)} differences")
    return 1 if problems or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
