"""Benchmark: the vectorised wild cluster bootstrap against wildboottest 0.3.2 on the demo's size.

21,000 respondents, 8 clusters, 20 regressors, weighted; Webb weights with B = 9,999 draws.
``survey.effects.wild_bootstrap`` computes the p-value *and* the test-inversion CI;
``wildboottest`` (numba) computes the p-value only (it has no CI and no weights: it gets the
sqrt(w)-scaled rows). Both get the same draws. Medians of ``--repeats`` runs; the first
wildboottest run (numba compilation) is reported separately.

Run:  .venv/bin/python benchmarks/bench_wild_bootstrap.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from survey.effects.wild_bootstrap import WildClusterBootstrap, bootstrap_weights


def problem(n=21_000, k=20, G=8, seed=1):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, G, n)
    X = np.column_stack([np.ones(n), (g < 3).astype(float), rng.normal(size=(n, k - 2))])
    y = X @ rng.normal(size=k) * 0.1 + rng.normal(size=G)[g] * 0.2 + rng.normal(size=n)
    return X, y, g, rng.lognormal(0, 0.4, n)


def ours(X, y, g, w, v):
    boot = WildClusterBootstrap(X, y, g, 1, weights=w)
    return boot.test(v=v)


def theirs(X, y, g, w, v):
    from wildboottest.wildboottest import WildboottestCL

    root = np.sqrt(w)
    R = np.zeros(X.shape[1])
    R[1] = 1
    wb = WildboottestCL(X=X * root[:, None], Y=y * root, cluster=g, R=R, B=v.shape[1], seed=1)
    wb.get_scores(bootstrap_type="11", impose_null=True)
    wb.v, wb.B = v, v.shape[1]
    for step in (wb.get_numer, wb.get_denom, wb.get_tboot, wb.get_vcov, wb.get_tstat, wb.get_pvalue):
        step()
    return wb.pvalue


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X, y, g, w = problem()
    v, _ = bootstrap_weights(8, "webb", 9999, seed=3)
    first, _ = timed(theirs, X, y, g, w, v)
    a = [timed(ours, X, y, g, w, v) for _ in range(args.repeats)]
    b = [timed(theirs, X, y, g, w, v) for _ in range(args.repeats)]
    print(f"survey.effects (p-value + CI): median {statistics.median(t for t, _ in a):.3f} s; "
          f"p = {a[0][1].p_value:.4f}, CI [{a[0][1].ci_low:.4f}, {a[0][1].ci_high:.4f}]")
    print(f"wildboottest (p-value only):   median {statistics.median(t for t, _ in b):.3f} s "
          f"(first run with numba compilation {first:.2f} s); p = {b[0][1]:.4f}")


if __name__ == "__main__":
    main()
