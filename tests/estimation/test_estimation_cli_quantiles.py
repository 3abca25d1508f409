"""`survey estimate --stat median` and `--stat quantile --q` on a CSV (in-process), against R's svyquantile."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"
DESIGN = ["--weight", "pw", "--psu", "dnum", "--fpc", "fpc"]


def _reference(case: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "quantiles.csv").query("case == @case")


def test_median_by_domain_on_a_csv_matches_svyquantile(tmp_path, cli):
    out = tmp_path / "median.csv"
    run = cli("estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "api00", "--stat", "median", "--by", "stype",
              *DESIGN, "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["stype", "q", "estimate", "se", "ci_low", "ci_high", "df", "n", "note"]
    reference = _reference("clus1_math_mean_bystype").query("p == 0.5")
    np.testing.assert_allclose(table[["estimate", "ci_low", "ci_high", "se"]].to_numpy(dtype=float),
                               reference[["quantile", "ci_low", "ci_high", "se"]].to_numpy(dtype=float),
                               rtol=1e-8, equal_nan=True)


def test_quantiles_with_a_rule_and_an_interval_type_print_the_table(cli):
    run = cli("estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "api00", "--stat", "quantile",
              "--q", "0.25,0.5,0.75", "--qrule", "math", "--ci", "xlogit", *DESIGN)
    assert run.returncode == 0, run.stderr
    reference = _reference("clus1_math_xlogit")
    for value in reference["ci_low"]:
        assert f"{value:.6g}" in run.stdout


def test_quantile_options_are_checked_in_one_line(cli):
    run = cli("estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "api00", "--stat", "quantile", *DESIGN)
    assert run.returncode != 0 and "--q" in run.stderr
    run = cli("estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "api00", "--stat", "median", "--ci",
              "wilson", *DESIGN)
    assert run.returncode != 0 and "xlogit" in run.stderr
    run = cli("estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "api00", "--stat", "median", "--qrule",
              "hf12", *DESIGN)
    assert run.returncode != 0 and "qrule" in run.stderr and "Traceback" not in run.stderr
