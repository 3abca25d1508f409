"""The estimation step on the demo study: prevalence tables, files, truth check, R export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from survey.demo.reference_export import export_frame
from survey.estimation import prevalence as prev
from survey.estimation.study import outputs

FIXTURES = Path(__file__).resolve().parents[1] / "reference" / "fixtures" / "survey"


@pytest.fixture(scope="module")
def tables(demo_pipeline):
    return demo_pipeline.tables


def test_writes_the_three_tables(tables):
    folder = tables.study.reports_dir / "tables"
    assert tables.paths == outputs(tables.study)
    assert [p.name for p in tables.paths] == ["prevalence.csv", "prevalence_subgroups.csv", "prevalence_change.csv"]
    written = pd.read_csv(folder / "prevalence.csv")
    assert list(written.columns) == prev.TABLE_COLUMNS
    assert len(written) == len(tables.prevalence)


def test_every_indicator_wave_area_and_method(tables):
    t = tables.to_frame()
    study = tables.study
    districts = set(study.districts()["code"])
    assert set(t["indicator"]) == {i.id for i in study.indicators}
    assert set(t["method"]) == set(prev.METHODS)
    assert set(t["district"]) == districts | {"city"}
    assert set(t["wave"]) == {2023, 2024}
    counts = t.groupby(["indicator", "method"]).size()
    assert (counts == 2 * (len(districts) + 1)).all()
    assert t["flag"].isin(["present", "footnote", "review", "suppress"]).all()
    assert t["flag_reason"].str.len().gt(0).all()
    ok = t["se"] > 0
    assert ((t.loc[ok, "ci_low"] < t.loc[ok, "estimate"]) & (t.loc[ok, "estimate"] < t.loc[ok, "ci_high"])).all()


def test_raked_weights_hit_the_population_margins(demo_scored):
    study = demo_scored.study
    data = demo_scored.scored
    design = prev.survey_design(data, study.design)
    margins = pd.read_csv(study.path(study.config.margins.file))
    raked = prev.rake_design(design, margins, study.config.margins.variables)
    w = pd.Series(raked.weights(), index=raked.data.index)
    got = w.groupby([data["wave"], data["district"], data["age_group"].astype(str)]).sum()
    want = margins.groupby(["wave", "district", "age_group"])["population"].sum()
    np.testing.assert_allclose(got.loc[want.index].to_numpy(), want.to_numpy(), rtol=1e-7)


def test_two_stage_demo_design_gives_every_district_a_variance(tables):
    t = tables.to_frame()
    inside = (t["estimate"] > 0) & (t["estimate"] < 1)
    # streets/towns all taken in half the strata; the communities below them still vary
    assert (t.loc[inside, "se"] > 0).all()
    assert not any("took every PSU" in note for note in tables.notes)


def test_zero_se_rows_are_sent_to_review():
    rows = pd.DataFrame({"estimate": [0.2, 0.2], "se": [0.0, 0.02], "ci_low": [0.2, 0.16], "ci_high": [0.2, 0.24],
                         "df": [10, 10], "deff": [0.0, 1.2], "n": [1200, 1200], "n_weighted": [2e5, 2e5]})
    flagged = prev.with_flags(rows)
    assert flagged["flag"].tolist()[0] == "review"
    assert "SE 0" in flagged["flag_reason"].iloc[0] and "SE 0" not in flagged["flag_reason"].iloc[1]


def test_subgroups_and_change(tables):
    sub = tables.subgroups
    assert set(sub["group_variable"]) == set(prev.SUBGROUP_VARIABLES)
    assert {"flag", "flag_reason", "group_value"} <= set(sub.columns)
    change = tables.change
    row = change.query("district == 'city' and indicator == 'depression' and method == 'crude'").iloc[0]
    t = tables.to_frame().query("district == 'city' and indicator == 'depression' and method == 'crude'")
    a, b = t.set_index("wave").loc[2023], t.set_index("wave").loc[2024]
    assert row["difference"] == pytest.approx(b["estimate"] - a["estimate"])
    assert row["se"] == pytest.approx(np.hypot(a["se"], b["se"]))


def test_the_demos_truth_check_and_the_summary(tables):
    from survey.demo import checks

    table = tables.prevalence
    truth = checks.prevalence_coverage(table[table["method"] != "standardised"], checks.read_truth(tables.study))
    assert set(truth["method"]) == {"crude", "raked"}
    assert len(truth) == 2 * 6 * 2 * 9
    assert truth["covered"].mean() > 0.9
    assert checks.coverage_summary(truth).startswith("95% CIs containing the true prevalence (truth.json): crude ")
    assert "crude prevalence, city" in tables.summary()


def test_reference_export_matches_the_committed_demo_data(demo_scored):
    exported = export_frame(demo_scored.scored, demo_scored.study)
    committed = pd.read_csv(FIXTURES / "data_demo.csv")
    assert list(exported.columns) == list(committed.columns)
    assert "respondent_id" not in committed.columns and "id_number_key" not in committed.columns
    for column in committed.columns:
        got = exported[column]
        if pd.api.types.is_numeric_dtype(committed[column]):
            np.testing.assert_array_equal(got.to_numpy(dtype=float, na_value=np.nan),
                                          committed[column].to_numpy(dtype=float), err_msg=column)
        else:
            assert got.astype(str).tolist() == committed[column].astype(str).tolist(), column


def test_the_step_prints_the_city_table_of_each_method(tables, monkeypatch):
    import survey.estimation.study as step
    from survey.pipeline import steps

    monkeypatch.setattr(step, "prevalence_tables", lambda study: tables)
    lines = []
    results = steps.run(tables.study, ["estimate"], echo=lines.append)
    assert results["estimate"] is tables
    text = "\n".join(lines)
    for method in ("crude", "raked", "standardised"):
        assert f"[estimate] {method} prevalence, city, % (95% CI):" in text
    assert "APPROXIMATE" in text  # the standard population's status note
