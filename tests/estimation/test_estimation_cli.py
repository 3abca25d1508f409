"""`survey estimate` end to end: once through the console script as a user runs it, in-process for the rest."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"


def test_estimate_writes_the_tidy_table_and_matches_r(tmp_path, survey_command):
    """The installed console script, in a subprocess as a user runs it."""
    out = tmp_path / "est.csv"
    command = [survey_command, "estimate", FIXTURES / "data_apiclus1.csv", "--outcome", "sch_wide_yes",
               "--by", "stype", "--weight", "pw", "--psu", "dnum", "--fpc", "fpc", "-o", out]
    run = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["stype", "estimate", "se", "ci_low", "ci_high", "df", "deff", "n",
                                   "n_weighted", "flag", "flag_reason"]
    reference = pd.read_csv(FIXTURES / "estimates.csv").query("case == 'clus1_prop_sw_logit_by_stype'")
    np.testing.assert_allclose(table[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
                               reference[["estimate", "se", "ci_low", "ci_high"]].to_numpy(), rtol=1e-8)
    assert table.loc[table["stype"] == "H", "flag"].item() == "suppress"


def test_estimate_mean_by_two_columns_with_strata_and_nesting(tmp_path, cli):
    out = tmp_path / "nh.csv"
    run = cli("estimate", FIXTURES / "data_nhanes.csv", "--outcome", "HI_CHOL", "--stat", "mean",
                 "--by", "race,agecat", "--weight", "WTMEC2YR", "--strata", "SDMVSTRA", "--psu", "SDMVPSU",
                 "--nest", "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    reference = pd.read_csv(FIXTURES / "estimates.csv").query("case == 'nh_mean_chol_by_race_agecat'")
    assert len(table) == len(reference)
    np.testing.assert_allclose(np.sort(table["se"]), np.sort(reference["se"]), rtol=1e-8)


def test_estimate_reads_other_formats_and_prints_without_output(tmp_path, cli):
    data = pd.read_csv(FIXTURES / "data_apistrat.csv")
    data.to_parquet(tmp_path / "strat.parquet")
    run = cli("estimate", tmp_path / "strat.parquet", "--outcome", "api00", "--weight", "pw",
                 "--strata", "stype", "--fpc", "fpc")
    assert run.returncode == 0, run.stderr
    expected = est.mean(est.Design(data, weight="pw", strata="stype", fpc="fpc"), "api00").to_frame()
    assert f"{expected['estimate'].item():.6g}" in run.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--weight", "nope"], "error: weight column 'nope': not found in the data"),
        (
            ["--weight", "pw", "--stat", "proportion"],
            "error: outcome column 'api00': stat='proportion' needs values 0/1",
        ),
        ([], "error: --weight: expected the weight column of data_apistrat.csv"),
    ],
)
def test_bad_input_is_one_line(change, message, cli):
    run = cli("estimate", FIXTURES / "data_apistrat.csv", "--outcome", "api00", "--strata", "stype", *change)
    assert run.returncode == 2
    assert run.stderr.strip().startswith(message), run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_bad_design_names_column_and_rows(tmp_path, cli):
    data = pd.read_csv(FIXTURES / "data_apistrat.csv")
    data.loc[[3, 7], "pw"] = -1
    data.to_csv(tmp_path / "bad.csv", index=False)
    run = cli("estimate", tmp_path / "bad.csv", "--outcome", "api00", "--weight", "pw", "--strata", "stype")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "error: weight column 'pw': expected finite weights >= 0, found negative values in rows 3, 7"
    )
    one_psu = data.assign(pw=1.0, lonely=np.where(data.index < 199, "a", "b"))
    one_psu.to_csv(tmp_path / "lonely.csv", index=False)
    run = cli("estimate", tmp_path / "lonely.csv", "--outcome", "api00", "--weight", "pw", "--strata", "lonely",
                 "--lonely-psu", "fail")
    assert run.returncode == 2
    assert "lonely_psu='fail': stratum 'b' of 'lonely' has a single PSU" in run.stderr


def test_estimate_on_a_study_uses_its_scored_data_and_design(demo_scored, tmp_path, cli):
    out = tmp_path / "study.csv"
    run = cli("estimate", demo_scored.study.config_file, "--outcome", "phq9_positive", "--by", "wave", "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    reference = pd.read_csv(FIXTURES / "estimates.csv").query("case == 'demo_crude_depression_city'")
    np.testing.assert_allclose(table["estimate"], reference["estimate"], rtol=1e-8)
    np.testing.assert_allclose(table["se"], reference["se"], rtol=1e-8)
