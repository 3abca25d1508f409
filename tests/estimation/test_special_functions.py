"""The intervals' special functions are scipy.special's own ufuncs, however they were loaded."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import scipy.special

from survey.estimation import special_functions


def run_fresh(code: str) -> str:
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_the_functions_are_scipy_specials_own_objects():
    for name in special_functions.NAMES:
        assert getattr(special_functions, name) is getattr(scipy.special, name)


def test_loaded_alone_then_scipy_special_and_stats_work_with_the_same_objects():
    out = run_fresh("""
        import sys
        from survey.estimation import special_functions as f
        assert "scipy.special" not in sys.modules, "the package start-up ran"
        assert "scipy._lib._array_api" not in sys.modules
        from scipy import special
        import scipy.stats
        assert special.stdtrit is f.stdtrit and special.betaincinv is f.betaincinv
        assert special.logit is f.logit and special.expit is f.expit
        assert scipy.stats.t.ppf(0.975, 198) == f.stdtrit(198.0, 0.975)
        print(repr(float(f.stdtrit(198.0, 0.975))), repr(float(f.betaincinv(3.0, 5.0, 0.025))))
    """)
    assert out == f"{float(scipy.special.stdtrit(198.0, 0.975))!r} {float(scipy.special.betaincinv(3.0, 5.0, 0.025))!r}"


def test_with_other_threads_it_imports_scipy_special_as_usual():
    run_fresh("""
        import sys, threading
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        try:
            from survey.estimation import special_functions as f
        finally:
            stop.set()
            worker.join()
        assert "scipy.special" in sys.modules
        assert f.stdtrit is sys.modules["scipy.special"].stdtrit
    """)


def test_values_on_a_grid_equal_scipy_stats():
    from scipy import stats

    df = np.array([1.0, 2.5, 9, 30, 198, 1e4])
    q = np.array([0.6, 0.9, 0.975, 0.995])
    np.testing.assert_array_equal(special_functions.stdtrit(df[:, None], q), stats.t.ppf(q, df[:, None]))
    a, b = np.meshgrid([0.5, 3, 40.2], [1, 7.5, 300])
    np.testing.assert_array_equal(special_functions.betaincinv(a, b, 0.025), stats.beta.ppf(0.025, a, b))
