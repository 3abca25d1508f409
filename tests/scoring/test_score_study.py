"""Scoring the whole demo study: nothing dropped, the study's choices applied, files written."""

from __future__ import annotations

import pandas as pd

from survey.scoring.study import outputs


def test_every_respondent_is_kept_with_a_status(demo_ingested, demo_scored):
    responses = pd.read_parquet(demo_ingested.study.processed_dir / "responses.parquet")
    assert len(demo_scored.scored) == len(responses)
    status = demo_scored.status
    totals = status[status["status"] == "total"].set_index("instrument")["n"]
    assert (totals == len(responses)).all()
    assert set(totals.index) == set(demo_scored.study.config.instruments)


def test_eligibility_follows_age_and_perinatal_status(demo_scored):
    scored = demo_scored.scored
    assert (scored.loc[scored["age"] < 60, "ad8_status"] == "not_eligible").all()
    assert scored.loc[scored["ad8_status"] == "not_eligible", "ad8_positive"].isna().all()
    assert (scored.loc[scored["sex"] != scored["sex"].max(), "epds_status"] == "not_eligible").sum() > 0


def test_reverse_keyed_epds_items_give_a_coherent_scale(demo_scored):
    overall = demo_scored.reliability.query("scope == 'overall'").set_index("instrument")
    # without reverse keying of items 3 and 5-10 alpha of the demo's EPDS falls to about 0.24
    assert overall.loc["epds", "alpha"] > 0.8
    assert overall.loc["phq9", "alpha"] > 0.7
    by_district = demo_scored.reliability.query("scope == 'group' and instrument == 'phq9'")
    assert len(by_district) == 8


def test_outputs_are_written_and_carry_no_identifiers(demo_scored):
    files = outputs(demo_scored.study)
    assert [p.name for p in files] == ["scored.parquet", "scoring_summary.csv", "reliability.csv",
                                       "reliability_items.csv"]
    assert all(p.is_file() and p.parent == demo_scored.study.processed_dir for p in files)
    scored = pd.read_parquet(demo_scored.study.paths.scored)
    assert not {"name", "phone", "id_number"} & set(scored.columns)


def test_score_command_prints_statuses(writable_copy, cli):
    run = cli("score", writable_copy().config_file)
    assert run.returncode == 0, run.stderr
    assert "[scoring] status" in run.stdout and "phq9" in run.stdout
