"""Replicate designs: the CLI on an R-exported file, synthetic checks with known answers, errors."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey.estimation as est
from survey.errors import ArgumentError, ColumnError, ConfigError
from survey.estimation.replicates import matrix_rank

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"


@pytest.fixture(scope="module")
def clus1_file(tmp_path_factory) -> Path:
    """apiclus1 with the JK1 replicate weights R made, as one CSV a user would get."""
    data = pd.read_csv(FIXTURES / "data_replicates_apiclus1.csv").drop(columns=["pw"])
    weights = pd.read_csv(FIXTURES / "replicates_weights_clus1_jk1.csv")
    path = tmp_path_factory.mktemp("rep") / "clus1_jk1.csv"
    pd.concat([data, weights], axis=1).to_csv(path, index=False)
    return path


def _r(design: str, case: str) -> pd.DataFrame:
    table = pd.read_csv(FIXTURES / "replicates_estimates.csv")
    return table[(table["design"] == design) & (table["case"] == case)].reset_index(drop=True)


def test_cli_estimate_with_replicate_weights_gives_r_numbers(tmp_path, cli, clus1_file):
    out = tmp_path / "est.csv"
    run = cli("estimate", clus1_file, "--outcome", "api00", "--by", "stype", "--weight", "pw", "--repweights", "rep",
              "--reptype", "JK1", "--scale", "0.91483927785116681", "-o", out)
    assert run.returncode == 0, run.stderr
    table = pd.read_csv(out)
    reference = _r("clus1_jk1", "mean_api00_by_stype")
    np.testing.assert_allclose(table[["estimate", "se", "ci_low", "ci_high", "df"]].to_numpy(),
                               reference[["estimate", "se", "ci_low", "ci_high", "df"]].to_numpy(), rtol=1e-8)


def test_cli_proportion_with_mse_and_rscales(tmp_path, cli, clus1_file):
    out = tmp_path / "p.csv"
    rscales = ",".join(f"{v:.17g}" for v in np.linspace(0.5, 1.5, 15))
    run = cli("estimate", clus1_file, "--outcome", "sch_wide_yes", "--weight", "pw", "--repweights", "rep",
              "--reptype", "other", "--scale", "0.4", "--rscales", rscales, "--mse", "-o", out)
    assert run.returncode == 0, run.stderr
    reference = _r("clus1_other", "ciprop_logit_schwide")
    np.testing.assert_allclose(pd.read_csv(out)[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
                               reference[["estimate", "se", "ci_low", "ci_high"]].to_numpy(), rtol=1e-8)


@pytest.mark.parametrize(("args", "message"), [
    (["--repweights", "rep"], "need both --repweights and --reptype"),
    (["--repweights", "rep", "--reptype", "JK9"], "expected one of JK1"),
    (["--repweights", "zz", "--reptype", "JK1", "--scale", "1"], "no column starts with 'zz'"),
    (["--repweights", "rep", "--reptype", "JK1", "--psu", "dnum"], "takes no --strata, --psu or --fpc"),
    (["--repweights", "rep", "--reptype", "JKn"], "expected rscales"),
])
def test_cli_replicate_errors_are_one_line(cli, clus1_file, args, message):
    run = cli("estimate", clus1_file, "--outcome", "api00", "--weight", "pw", *args)
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


# ---- synthetic data with known answers ------------------------------------------------------------


def _population_sample(seed: int, n_strata: int = 6, n_psu: int = 8, per_psu: int = 20):
    rng = np.random.default_rng(seed)
    rows = n_strata * n_psu * per_psu
    stratum = np.repeat(np.arange(n_strata), n_psu * per_psu)
    psu = np.repeat(np.arange(n_strata * n_psu), per_psu)
    effect = rng.normal(0, 0.8, n_strata * n_psu)[psu]
    y = (rng.normal(size=rows) + effect + stratum * 0.3 > 0.5).astype(float)
    w = rng.uniform(5, 15, n_strata * n_psu)[psu]
    return pd.DataFrame({"h": stratum, "p": psu, "w": w, "y": y, "x": rng.uniform(1, 3, rows),
                         "g": rng.integers(0, 2, rows)})


def test_linear_statistics_jackknife_equals_linearisation():
    """For a total, JKn's variance equals the linearisation variance exactly (with replacement)."""
    data = _population_sample(1)
    design = est.Design(data, weight="w", strata="h", psu="p")
    jkn = est.as_replicate(design, "JKn")
    for variant in (design, jkn):
        assert est.total(variant, "y").to_frame().loc[0, "estimate"] == pytest.approx(
            est.total(design, "y").to_frame().loc[0, "estimate"], rel=1e-12)
    assert est.total(jkn, "y").to_frame().loc[0, "se"] == pytest.approx(
        est.total(design, "y").to_frame().loc[0, "se"], rel=1e-10)


def test_brr_total_equals_linearisation_with_two_psus_per_stratum():
    data = _population_sample(2, n_strata=7, n_psu=2)
    design = est.Design(data, weight="w", strata="h", psu="p")
    for kind, rho in (("BRR", 0.0), ("Fay", 0.5)):
        replicate = est.as_replicate(design, kind, rho=rho)
        assert replicate.n_replicates == 8
        assert est.total(replicate, "y", by="g").to_frame()["se"].to_numpy() == pytest.approx(
            est.total(design, "y", by="g").to_frame()["se"].to_numpy(), rel=1e-10)


def test_bootstrap_variance_is_unbiased_for_the_linearisation_variance():
    """Averaged over bootstrap replicates, Canty-Davison and Rao-Wu give the with-replacement variance."""
    data = _population_sample(3)
    design = est.Design(data, weight="w", strata="h", psu="p")
    target = est.total(design, "y").to_frame().loc[0, "se"] ** 2
    for kind in ("bootstrap", "subbootstrap"):
        boot = est.as_replicate(design, kind, replicates=4000, seed=11)
        ratio = est.total(boot, "y").to_frame().loc[0, "se"] ** 2 / target
        # Rao-Wu is unbiased; Canty-Davison's scale m/(m-1) makes it unbiased too (n_h equal here)
        assert ratio == pytest.approx(1.0, abs=0.08), kind
    again = est.as_replicate(design, "bootstrap", replicates=20, seed=11)
    np.testing.assert_array_equal(again.replicate_weights(),
                                  est.as_replicate(design, "bootstrap", replicates=20, seed=11).replicate_weights())


@pytest.mark.slow
def test_replicate_intervals_cover_a_known_mean():
    """Simulated samples of a finite population: the JKn 95% interval covers the true mean."""
    rng = np.random.default_rng(5)
    n_strata, n_psu = 4, 30
    population = rng.normal(10, 3, size=(n_strata, n_psu * 5, 8))  # strata x PSUs x elements
    truth = population.mean()
    covered = 0
    runs = 200
    for _ in range(runs):
        picks = np.stack([rng.choice(n_psu * 5, n_psu, replace=False) for _ in range(n_strata)])
        values = np.take_along_axis(population, picks[:, :, None], axis=1)
        data = pd.DataFrame({"h": np.repeat(np.arange(n_strata), n_psu * 8),
                             "p": np.repeat(np.arange(n_strata * n_psu), 8),
                             "y": values.ravel(), "w": 5.0})
        design = est.as_replicate(est.Design(data, weight="w", strata="h", psu="p"), "JKn")
        row = est.mean(design, "y").to_frame().loc[0]
        covered += row.ci_low <= truth <= row.ci_high
    assert 0.88 <= covered / runs <= 1.0


def test_calibrate_replicates_applies_a_function_to_every_column():
    data = _population_sample(4)
    design = est.as_replicate(est.Design(data, weight="w", strata="h", psu="p"), "JKn")
    scaled = est.calibrate_replicates(design, lambda weights: weights * (1000 / weights.sum(axis=0)), "total 1000")
    np.testing.assert_allclose(scaled.all_weights().sum(axis=0), 1000)
    assert "total 1000" in est.mean(scaled, "y").design
    # a total calibrated to a constant has no replicate variance
    assert est.total(scaled, "w").to_frame().loc[0, "estimate"] != 0
    ones = data.assign(one=1.0)
    assert est.total(est.calibrate_replicates(
        est.as_replicate(est.Design(ones, weight="w", strata="h", psu="p"), "JKn"),
        lambda weights: weights * (1000 / weights.sum(axis=0)), "n"), "one").to_frame().loc[0, "se"] == pytest.approx(
        0, abs=1e-9)


def test_poststratified_replicates_give_exact_cell_totals_in_every_replicate():
    data = _population_sample(6)
    design = est.as_replicate(est.Design(data, weight="w", strata="h", psu="p"), "JKn")
    population = pd.DataFrame({"g": [0, 1], "population": [600.0, 400.0]})
    calibrated = est.poststratify(design, "g", population)
    totals = pd.DataFrame(calibrated.all_weights()).groupby(data["g"].to_numpy()).sum()
    np.testing.assert_allclose(totals.to_numpy(), np.array([[600.0], [400.0]]).repeat(totals.shape[1], axis=1))


def test_nan_replicates_are_left_out_with_a_warning():
    data = pd.DataFrame({"w": [1.0] * 4, "y": [1.0, 2, 3, 4], "d": ["a", "a", "b", "b"]})
    reps = pd.DataFrame({"r1": [0, 0, 2, 2], "r2": [2, 2, 0, 0], "r3": [1.0, 1, 1, 1]})
    design = est.ReplicateDesign(pd.concat([data, reps], axis=1), weight="w", repweights="r", type="other",
                                 scale=1, rscales=1)
    with pytest.warns(est.ReplicateWarning, match="discarded"):
        table = est.mean(design, "y", by="d").to_frame()
    # domain a: replicates r2 and r3 give 1.5 and 1.5 (r1 deletes it): variance 0
    assert table.loc[0, "se"] == 0


def test_rank_follows_r_column_order_rule():
    a = np.array([[1.0, 2, 1], [1, 2, 0], [1, 2, 1]])
    assert matrix_rank(a) == 2
    assert matrix_rank(np.zeros((3, 2))) == 0


# ---- errors -----------------------------------------------------------------------------------------


def test_replicate_design_errors():
    data = pd.DataFrame({"w": [1.0, 1], "r1": [0.0, 2], "r2": [2.0, None], "y": [1.0, 2]})
    with pytest.raises(ColumnError, match=r"replicate weight column 'r2': expected finite weights, found missing"):
        est.ReplicateDesign(data, weight="w", repweights="r", type="JK1", scale=0.5)
    with pytest.raises(ConfigError, match="expected rho"):
        est.ReplicateDesign(data.fillna(0), weight="w", repweights="r", type="Fay")
    with pytest.raises(ConfigError, match="type: expected one of"):
        est.ReplicateDesign(data.fillna(0), weight="w", repweights="r", type="jackknife")
    with pytest.raises(ConfigError, match="rscales: expected one value per replicate"):
        est.ReplicateDesign(data.fillna(0), weight="w", repweights=["r1", "r2"], type="other", scale=1,
                            rscales=[1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", est.ReplicateWarning)
        design = est.ReplicateDesign(data.fillna(0), weight="w", repweights="r", type="JK1")
    with pytest.raises(ArgumentError, match="rao_scott: not available for a replicate-weight design"):
        est.rao_scott(design, "y", "y")


def test_as_replicate_refuses_what_r_refuses():
    data = _population_sample(7, n_strata=3, n_psu=3)
    stratified = est.Design(data, weight="w", strata="h", psu="p")
    with pytest.raises(ConfigError, match="stratified; use type='JKn'"):
        est.as_replicate(stratified, "JK1")
    with pytest.raises(ConfigError, match="expected two PSUs in every stratum"):
        est.as_replicate(stratified, "BRR")
    with pytest.raises(ConfigError, match="no strata"):
        est.as_replicate(est.Design(data, weight="w", psu="p"), "JKn")
    lonely = data[~((data["h"] == 0) & (data["p"] != 0))]  # stratum 0 keeps one PSU
    removed = est.as_replicate(est.Design(lonely, weight="w", strata="h", psu="p", lonely_psu="remove"), "JKn")
    adjusted = est.as_replicate(est.Design(lonely, weight="w", strata="h", psu="p", lonely_psu="adjust"), "JKn")
    assert (removed.n_replicates, adjusted.n_replicates) == (6, 7)
