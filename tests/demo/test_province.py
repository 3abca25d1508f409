"""survey generate-demo --districts N: the demo city at 8, a fictional province of N counties otherwise."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.demo import province
from survey.demo.generate import _write_services, generate, load_params
from survey.study import load_study

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SEED = load_params()["seed"]


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_districts_8_is_the_committed_demo_byte_for_byte(tmp_path, cli):
    assert cli("generate-demo", tmp_path / "demo", "--districts", 8).returncode == 0
    made = _digests(tmp_path / "demo")
    # the committed files: not the hand-written study.yaml, nor intake's outputs of a local `make demo`
    committed = {name: digest for name, digest in _digests(DEMO).items()
                 if name != "study.yaml" and not name.startswith(("processed/", "interim/"))}
    assert made == committed  # every generated file, and no study.yaml over the hand-written one


def test_the_demo_citys_service_tables_are_the_committed_bytes(tmp_path):
    # a fast part of the byte-for-byte check: the service tables depend on the parameters and seed only
    _write_services(load_params(), tmp_path, SEED)
    for name in ("service_indicators.csv", "service_monthly.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / "raw" / name).read_bytes()


@pytest.fixture(scope="module")
def hundred():
    return province.province_params(load_params(), 100, SEED)


def test_county_names_are_generated_unique_and_not_the_demo_citys(hundred):
    counties = hundred["districts"]
    assert len(counties) == 100
    for key in ("code", "zh-CN", "en", "region", "number"):
        assert len({c[key] for c in counties}) == 100, key
    demo_names = {d["zh-CN"] for d in load_params()["districts"]}
    assert not demo_names & {c["zh-CN"] for c in counties}
    assert all(len(c["zh-CN"]) == 4 and c["zh-CN"][-1] in "县区" for c in counties)
    assert all(c["code"].isascii() and c["code"].isalpha() for c in counties)
    assert hundred["city"]["zh-CN"].endswith("省")


def test_county_samples_range_from_about_150_to_3000(hundred):
    planned = np.array([(c["psus_sampled"]["major"] + c["psus_sampled"]["minor"]) * 2 * c["households_per_community"]
                        * 0.8 for c in hundred["districts"]])
    assert 120 < planned.min() < 200 and 2700 < planned.max() < 3300
    assert (planned < 400).sum() >= 10  # enough small counties to fail the publication rule somewhere
    assert all(c["psus_sampled"]["minor"] >= 2 for c in hundred["districts"])  # no lonely PSU by design


def test_pilots_spss_counties_and_planted_problems_scale_with_the_province(hundred):
    assert 10 <= sum(c["pilot"] for c in hundred["districts"]) <= 30
    codes = {c["code"] for c in hundred["districts"]}
    assert set(hundred["export"]["sav_districts_2024"]) <= codes
    assert hundred["planted"]["wave2023"]["duplicates"] == round(15 * 100 / 8)


def test_latent_offsets_follow_the_covariates(hundred):
    counties = pd.DataFrame(hundred["districts"])
    assert np.corrcoef(1 - counties["urban_share"], counties["dep"])[0, 1] > 0.5
    assert np.corrcoef(np.log(counties["counsellors_per_10k"]), counties["lit"])[0, 1] > 0.2


def test_the_provinces_study_yaml_loads(tmp_path, hundred):
    pd.DataFrame([{"code": c["code"], "number": c["number"], "name_zh": c["zh-CN"], "name_en": c["en"],
                   "kind": c["kind"]} for c in hundred["districts"]]).to_csv(tmp_path / "districts.csv", index=False)
    path = province.write_study(tmp_path, hundred, small_area=False)
    study = load_study(path)
    assert study.id == "province"
    assert list(study.config.pilot.districts) == [c["code"] for c in hundred["districts"] if c["pilot"]]
    assert "100" in study.config.title.en


def test_too_many_counties_is_one_line(cli):
    result = cli("generate-demo", "/nonexistent/never", "--districts", 100000)
    assert result.returncode == 2 and "at most" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_small_province_end_to_end(tmp_path):
    truth = generate(tmp_path, districts=3)
    districts = pd.read_csv(tmp_path / "districts.csv")
    covariates = pd.read_csv(tmp_path / province.COVARIATES_FILE)
    assert list(covariates["code"]) == list(districts["code"])
    assert covariates["share_aged_60plus"].between(0.05, 0.6).all()
    sizes = truth["sample"]["2023"]["by_district"]
    assert min(sizes.values()) < 250 and max(sizes.values()) > 2000
    assert set(truth["county_offsets"]) == set(districts["code"])
    load_study(tmp_path / "study.yaml")
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["seed"] == SEED


def test_survey_demo_refuses_an_unknown_language_in_one_line(cli):
    result = cli("demo", DEMO / "study.yaml", "--lang", "fr")
    assert result.returncode == 2 and "expected zh or en" in result.stderr and "Traceback" not in result.stderr
