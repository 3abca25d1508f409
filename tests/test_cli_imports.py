"""The command line loads heavy modules only when a command needs them (a check of laziness, not of time).

Each case runs in a fresh interpreter (the test process has loaded everything already) and
lists ``sys.modules`` at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

#: modules no command needs to start, or to show its help (pydantic: typer 0.29 converts values with it, except
#: in survey.cli.plain_params' commands and group)
HEAVY = ("scipy", "statsmodels", "matplotlib", "jsonschema", "fastjsonschema", "nbformat", "nbconvert",
         "papermill", "jupyter_client", "IPython", "dask", "distributed", "patsy", "pandas", "pydantic")
#: modules `survey estimate` on a Parquet file has no use for (it needs scipy.special's ufuncs for quantiles,
#: not the package's array-API start-up: see survey.estimation.special_functions)
NOT_FOR_ESTIMATE = ("statsmodels", "matplotlib", "jsonschema", "fastjsonschema", "nbformat", "papermill",
                    "jupyter_client", "IPython", "dask", "distributed", "patsy", "python_calamine", "pyreadstat",
                    "scipy.stats", "yaml", "survey.study", "pydantic", "typer._adapters", "scipy.sparse",
                    "scipy._lib._array_api", "scipy._lib.array_api_compat", "numpy.f2py",
                    "survey.estimation.calibration")


def loaded_after(code: str, tmp_path) -> set[str]:
    listing = tmp_path / "modules.json"
    script = textwrap.dedent(code) + textwrap.dedent(f"""
        import json, sys
        with open({str(listing)!r}, "w") as handle:
            json.dump(sorted(sys.modules), handle)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return set(json.loads(listing.read_text()))


def heavy_among(modules: set[str], names) -> list[str]:
    return sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in names))


def run_cli(*args: str) -> str:
    return f"""
        import sys
        sys.argv = ["survey", *{list(args)!r}]
        from survey.cli import main
        try:
            main()
        except SystemExit as stop:
            assert stop.code in (0, None), stop.code
    """


def test_importing_the_cli_loads_no_heavy_module(tmp_path):
    assert heavy_among(loaded_after("import survey.cli", tmp_path), HEAVY) == []


@pytest.mark.parametrize("command", [["--help"], ["estimate", "--help"]])
def test_help_loads_no_heavy_module(command, tmp_path):
    assert heavy_among(loaded_after(run_cli(*command), tmp_path), HEAVY) == []


def test_estimate_on_parquet_loads_only_what_it_needs(tmp_path):
    data = pd.DataFrame({"w": [1.0, 2, 3, 4] * 5, "p": [1, 1, 2, 2] * 5, "y": [0, 1, 1, 0] * 5})
    data.to_parquet(tmp_path / "d.parquet")
    command = ["estimate", str(tmp_path / "d.parquet"), "--outcome", "y", "--weight", "w", "--psu", "p",
               "-o", str(tmp_path / "out.csv")]
    loaded = loaded_after(run_cli(*command), tmp_path)
    assert (tmp_path / "out.csv").is_file()
    assert heavy_among(loaded, NOT_FOR_ESTIMATE) == []
    assert "survey.estimation.chisq" not in loaded and "survey.intake.readers" not in loaded
    assert "scipy.special" not in loaded and "scipy.special._ufuncs" in loaded
