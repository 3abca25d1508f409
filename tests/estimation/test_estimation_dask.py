"""The Dask engine gives the pandas engine's table: on the synchronous scheduler, on a LocalCluster, from the CLI."""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest
from estimation_samples import synthetic_sample

import survey.estimation as est
from survey.errors import ColumnError, ConfigError, InputFileError

dd = pytest.importorskip("dask.dataframe")
from survey.estimation import dask_engine  # noqa: E402  (after the skip when dask is absent)

NUMERIC = ["estimate", "se", "ci_low", "ci_high", "deff", "n_weighted", "cv"]
DESIGNS = {
    "one_stage_fpc": dict(weight="weight", strata="stratum", psu="psu", nest=True, fpc="n_psu"),
    "two_stage": dict(weight="weight", strata="stratum", psu=["psu", "ssu"], nest=True, fpc=["n_psu", "n_ssu"]),
    "rows_as_psus": dict(weight="weight", strata="stratum"),
}
STATS = [("proportion", "y", None, "logit"), ("mean", "score", None, "mean"), ("total", "score", None, "mean"),
         ("ratio", "score", "size", "mean")]


def agree(dask_table: pd.DataFrame, pandas_table: pd.DataFrame, by) -> None:
    """Estimates and SEs (and the rest) to 1e-12 relative; counts, df and notes exactly."""
    # Dask may hold text as pyarrow strings (missing: pd.NA); the values must be the same
    assert dask_table[by].astype(object).values.tolist() == pandas_table[by].astype(object).values.tolist()
    np.testing.assert_allclose(dask_table[NUMERIC].to_numpy(float), pandas_table[NUMERIC].to_numpy(float),
                               rtol=1e-12, atol=0)
    assert (dask_table["n"] == pandas_table["n"]).all() and (dask_table["df"] == pandas_table["df"]).all()
    assert (dask_table["note"] == pandas_table["note"]).all()


@pytest.mark.parametrize("design_name", sorted(DESIGNS))
@pytest.mark.parametrize(("stat", "outcome", "denominator", "ci"), STATS)
def test_synchronous_scheduler_gives_the_pandas_table(design_name, stat, outcome, denominator, ci):
    data = synthetic_sample()
    by = ["district", "sex"]
    expected = est.estimate(est.Design(data, **DESIGNS[design_name]), outcome, stat=stat, by=by,
                            denominator=denominator, ci_method=ci).to_frame()
    design = dask_engine.DaskDesign(dd.from_pandas(data, npartitions=4, sort=False), **DESIGNS[design_name])
    got = dask_engine.estimate(design, outcome, stat=stat, by=by, denominator=denominator, ci_method=ci,
                               scheduler="synchronous").to_frame()
    agree(got, expected, by)


def test_local_cluster_gives_the_pandas_table():
    from distributed import Client, LocalCluster

    data = synthetic_sample(seed=11, n=5000)
    settings = DESIGNS["one_stage_fpc"]
    expected = est.proportion(est.Design(data, **settings), "y", by=["district"]).to_frame()
    frame = dd.from_pandas(data, npartitions=5, sort=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        got = dask_engine.estimate(dask_engine.DaskDesign(frame, **settings), "y", by=["district"],
                                   scheduler=client).to_frame()
    agree(got, expected, ["district"])


def test_more_partitions_than_one_tree_level():
    data = synthetic_sample(seed=3, n=2000)
    settings = DESIGNS["one_stage_fpc"]
    expected = est.mean(est.Design(data, **settings), "score", by="sex").to_frame()
    frame = dd.from_pandas(data, npartitions=3 * dask_engine.SPLIT_EVERY + 1, sort=False)
    got = dask_engine.estimate(dask_engine.DaskDesign(frame, **settings), "score", by="sex",
                               scheduler="synchronous").to_frame()
    agree(got, expected, ["sex"])


def test_design_checks_run_on_the_combined_sums_and_rows_on_each_partition():
    data = synthetic_sample()
    data.loc[data.stratum == 3, "psu"] = 1  # stratum 3 keeps a single PSU
    frame = dd.from_pandas(data, npartitions=3, sort=False)
    design = dask_engine.DaskDesign(frame, weight="weight", strata="stratum", psu="psu", nest=True)
    with pytest.raises(ConfigError, match="single PSU"):
        dask_engine.estimate(design, "y", scheduler="synchronous")
    data = synthetic_sample()
    data.loc[[5, 2500], "weight"] = -1.0
    design = dask_engine.DaskDesign(dd.from_pandas(data, npartitions=3, sort=False), weight="weight",
                                    strata="stratum", psu="psu", nest=True)
    with pytest.raises(ColumnError, match="negative values in row"):
        dask_engine.estimate(design, "y", scheduler="synchronous")


def test_wrong_inputs_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="expected a dask.dataframe.DataFrame"):
        dask_engine.DaskDesign(synthetic_sample(), weight="weight")
    frame = dd.from_pandas(synthetic_sample(), npartitions=2)
    with pytest.raises(ColumnError, match="weight column 'nope': not found"):
        dask_engine.DaskDesign(frame, weight="nope")
    (tmp_path / "a.csv").write_text("w,y\n1,0\n")
    with pytest.raises(InputFileError, match="--engine dask reads Parquet"):
        dask_engine.read_parquet_partitions(tmp_path / "a.csv", [("weight", "w")])


def write_parts(folder, data: pd.DataFrame, parts: int = 3) -> None:
    folder.mkdir()
    for k, chunk in enumerate(np.array_split(np.arange(len(data)), parts)):
        data.iloc[chunk].to_parquet(folder / f"part.{k}.parquet", index=False)


CLI_DESIGN = ["--weight", "weight", "--strata", "stratum", "--psu", "psu", "--nest", "--fpc", "n_psu"]


def test_cli_dask_and_pandas_engines_give_the_same_table_from_a_folder_and_a_glob(tmp_path, cli):
    data = synthetic_sample(seed=5)
    write_parts(tmp_path / "parts", data)
    tables = {}
    for engine, source in (("pandas", tmp_path / "parts"), ("dask", tmp_path / "parts"),
                           ("glob", f"{tmp_path}/parts/part.*.parquet")):
        out = tmp_path / f"{engine}.csv"
        extra = ["--engine", "dask", "--scheduler", "synchronous"] if engine != "pandas" else []
        run = cli("estimate", source, "--outcome", "y", "--by", "district,sex", *CLI_DESIGN, *extra, "-o", out)
        assert run.returncode == 0, run.stderr
        tables[engine] = pd.read_csv(out)
    expected = est.proportion(est.Design(data, weight="weight", strata="stratum", psu="psu", nest=True,
                                         fpc="n_psu"), "y", by=["district", "sex"]).to_frame()
    pandas_table = tables["pandas"]
    np.testing.assert_allclose(pandas_table[["estimate", "se"]], expected[["estimate", "se"]], rtol=1e-12)
    for engine in ("dask", "glob"):
        numeric = ["estimate", "se", "ci_low", "ci_high", "deff", "n_weighted"]
        np.testing.assert_allclose(tables[engine][numeric], pandas_table[numeric], rtol=1e-12)
        assert tables[engine][["n", "df", "flag"]].equals(pandas_table[["n", "df", "flag"]])


@pytest.mark.slow
def test_cli_dask_default_local_cluster(tmp_path, cli, survey_command):
    """The default scheduler: a LocalCluster with one worker process per core, started and stopped by the command.

    Slow (two clusters of worker processes start); the fast tests use an in-process LocalCluster.
    """
    data = synthetic_sample(seed=9, n=1500)
    write_parts(tmp_path / "parts", data, parts=2)
    out = tmp_path / "dask.csv"
    run = cli("estimate", tmp_path / "parts", "--outcome", "score", "--by", "sex", *CLI_DESIGN, "--engine", "dask",
              "-o", out)
    assert run.returncode == 0, run.stderr
    expected = est.mean(est.Design(data, weight="weight", strata="stratum", psu="psu", nest=True, fpc="n_psu"),
                        "score", by="sex").to_frame()
    np.testing.assert_allclose(pd.read_csv(out)[["estimate", "se"]], expected[["estimate", "se"]], rtol=1e-12)
    data.loc[[3], "weight"] = -1.0  # an error raised in a worker process: one line, no worker log on the terminal
    (tmp_path / "parts" / "part.0.parquet").unlink()
    data.iloc[:750].to_parquet(tmp_path / "parts" / "part.0.parquet", index=False)
    command = [survey_command, "estimate", tmp_path / "parts", "--outcome", "score", *CLI_DESIGN, "--engine", "dask"]
    run = subprocess.run(list(map(str, command)), capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "error: weight column 'weight': expected finite weights >= 0, found negative values in row 3 "
        f"(rows numbered from 0 across the 2 files of {tmp_path / 'parts'}, in name order)"]


def test_cli_dask_bad_input_is_one_line(tmp_path, cli):
    data = synthetic_sample(seed=5)
    data.loc[[4, 1990], "weight"] = np.nan
    write_parts(tmp_path / "parts", data)
    sync = ["--engine", "dask", "--scheduler", "synchronous"]
    run = cli("estimate", tmp_path / "parts", "--outcome", "y", *CLI_DESIGN, *sync)
    assert run.returncode == 2
    assert run.stderr.strip().startswith("error: weight column 'weight': expected finite weights >= 0, found "
                                         "missing values in row"), run.stderr
    assert "rows numbered from 0 across the 3 files" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    run = cli("estimate", tmp_path / "parts", "--outcome", "nope", *CLI_DESIGN, *sync)
    assert run.returncode == 2 and "outcome column 'nope': not found in the data (part.0.parquet" in run.stderr
    run = cli("estimate", tmp_path / "parts", "--outcome", "y", *CLI_DESIGN, "--scheduler", "synchronous")
    assert run.returncode == 2 and "--scheduler" in run.stderr
    run = cli("estimate", f"{tmp_path}/nothing*.parquet", "--outcome", "y", *CLI_DESIGN, *sync)
    assert run.returncode == 2 and "no file matches the pattern" in run.stderr
