"""The estimate step writes the small-area table for a study declaring `analysis.small_area`, and nothing for
one that does not; bad covariate tables are one-line errors naming the file, column and rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from survey.errors import ColumnError, ConfigError
from survey.estimation.small_area.study import COLUMNS
from survey.pipeline import steps
from survey.study import load_study

_spec = importlib.util.spec_from_file_location("small_study_conftest", Path(__file__).with_name("conftest.py"))
_conftest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_conftest)

DISTRICTS = 8


@pytest.fixture
def county_study(tmp_path):
    """The small study with 8 sampled districts (four of them small) and a ninth, unsampled one in the
    covariate table."""
    path = _conftest.write_small_study(tmp_path / "counties", districts=DISTRICTS, communities=6, per_community=40)
    folder = path.parent
    export = pd.read_csv(folder / "raw" / "export.csv")
    small = export["area"].isin(["d5", "d6", "d7", "d8"]) & (export.index % 5 != 0)
    export[~small].to_csv(folder / "raw" / "export.csv", index=False)
    table = pd.read_csv(folder / "districts.csv")
    extra = pd.DataFrame({"code": ["d9"], "number": [9], "name_zh": ["第9区"], "name_en": ["District 9"]})
    pd.concat([table, extra]).to_csv(folder / "districts.csv", index=False)
    rng = np.random.default_rng(3)
    pd.DataFrame({"code": [f"d{k}" for k in range(1, DISTRICTS + 2)], "urban": rng.uniform(0, 1, DISTRICTS + 1),
                  "adults": rng.integers(20_000, 90_000, DISTRICTS + 1)}).to_csv(folder / "counties.csv",
                                                                                 index=False)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["analysis"] = {"small_area": {"covariates": "counties.csv", "variables": ["urban"],
                                         "population": "adults", "mse_bootstrap": 40}}
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _edit(path, **small_area):
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["analysis"]["small_area"].update(small_area)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_estimate_step_writes_the_small_area_table(county_study):
    study = load_study(county_study)
    tables = steps.result(study, "estimate")  # runs intake and scoring first
    assert study.paths.small_area in tables.paths and study.paths.small_area_diagnostics in tables.paths
    written = pd.read_csv(study.paths.small_area, dtype={"district": str})
    assert list(written.columns) == COLUMNS
    assert len(written) == 2 * (DISTRICTS + 1)  # two indicators, one wave, 9 districts
    prevalence = tables.prevalence[(tables.prevalence["method"] == "crude") & (tables.prevalence["district"] != "city")]
    merged = written.merge(prevalence, on=["district", "indicator", "wave"], how="left")
    sampled = merged["district"] != "d9"
    np.testing.assert_allclose(merged.loc[sampled, "direct"], merged.loc[sampled, "estimate"])
    np.testing.assert_allclose(merged.loc[sampled, "direct_se"], merged.loc[sampled, "se"])
    direct = merged["published_source"] == "direct"
    assert direct.any() and (merged["published_source"] == "model").any()
    assert (merged.loc[direct, "flag"] != "suppress").all()
    assert (merged.loc[~direct & sampled, "flag"] == "suppress").all()
    np.testing.assert_allclose(merged.loc[direct, "published"], merged.loc[direct, "direct"])
    np.testing.assert_allclose(merged.loc[~direct, "published"], merged.loc[~direct, "model"])
    d9 = written[written["district"] == "d9"]
    assert d9["synthetic"].all() and (d9["published_source"] == "synthetic").all() and d9["direct"].isna().all()
    assert written["model"].between(0, 1).all() and (written["gamma"].between(0, 1)).all()
    # benchmarked (ratio, the default) to the study's overall direct estimate with the declared populations
    adults = pd.read_csv(county_study.parent / "counties.csv", dtype={"code": str}).set_index("code")["adults"]
    city = tables.prevalence[(tables.prevalence["method"] == "crude") & (tables.prevalence["district"] == "city")]
    for indicator, part in written.groupby("indicator"):
        overall = city.loc[city["indicator"] == indicator, "estimate"].iloc[0]
        weights = adults.reindex(part["district"]).to_numpy()
        assert (part["model"] * weights).sum() / weights.sum() == pytest.approx(overall, abs=1e-10)
    diagnostics = pd.read_csv(study.paths.small_area_diagnostics)
    assert len(diagnostics) == 2 and diagnostics["converged"].all() and (diagnostics["areas_synthetic"] >= 1).all()
    assert any("small-area model" in n for n in tables.notes)
    again = steps.result(study, "estimate")  # read back from the files
    pd.testing.assert_frame_equal(again.small_area, written.assign(direct_flag=written["direct_flag"].fillna("")))
    assert steps.stale(study) == []


def test_a_study_without_small_area_gets_no_table(small_study):
    study = load_study(small_study)
    result = steps.result(study, "estimate")
    assert result.small_area is None and not study.paths.small_area.exists()
    assert not study.paths.small_area_diagnostics.exists()


def test_bad_covariate_tables_are_one_line_errors(county_study):
    folder = county_study.parent
    table = pd.read_csv(folder / "counties.csv", dtype=str)
    table.loc[3, "urban"] = "n/a"
    table.to_csv(folder / "counties.csv", index=False)
    study = load_study(county_study)
    with pytest.raises(ColumnError) as error:
        steps.result(study, "estimate")
    assert str(error.value) == f"{folder / 'counties.csv'}: column 'urban': expected numbers for every district, " \
                               "found 'n/a' in row 5"
    table.loc[3, "urban"] = "0.5"
    table.iloc[:-2].to_csv(folder / "counties.csv", index=False)  # d8 (sampled) has no covariates
    with pytest.raises(ColumnError, match=r"counties.csv: depression, wave 2025: covariates: expected a row for every "
                                          r"area with a direct estimate, found none for \['d8'\]"):
        steps.step("estimate").run(load_study(county_study))


def test_the_configuration_is_checked_at_load(county_study):
    _edit(county_study, indicators=["stress"])
    with pytest.raises(ConfigError, match=r"analysis.small_area.indicators: expected indicator ids"):
        load_study(county_study)
    _edit(county_study, indicators=None, covariates="missing.csv")
    with pytest.raises(ConfigError, match="found no file 'missing.csv'"):
        load_study(county_study)
    _edit(county_study, covariates="counties.csv", variables=[])
    with pytest.raises(ConfigError, match="variables"):
        load_study(county_study)
