"""The study step on the demo: pilot_effects.csv, its pipeline step and the `survey effects` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from survey.effects.results import EffectResult
from survey.effects.study import COLUMNS, did_data, pilot_effects

MIXED_CALLS = []


def _stub_mixed(design, outcome, **options):
    """Stands in for did_mixed (several seconds per outcome on the demo; tested on synthetic data)."""
    MIXED_CALLS.append((outcome, options["unit"], options["psu"], tuple(options["covariates"])))
    return EffectResult(table=pd.DataFrame([{
        "outcome": outcome, "model": "did_mixed", "method": "mixed", "term": "treated", "estimate": 0.0,
        "se": 1.0, "ci_low": -2.0, "ci_high": 2.0, "p_value": 1.0, "df": np.inf, "n": len(design.data),
        "n_clusters": 8, "note": "stub"}]), description="stub")


@pytest.fixture(scope="module")
def effects_study(demo_pipeline, copy_study, tmp_path_factory):
    """A copy of the built demo: this module's effects run writes its own table."""
    return copy_study(demo_pipeline.root, tmp_path_factory.mktemp("effects") / "demo")


@pytest.fixture(scope="module")
def demo_effects(effects_study):
    import survey.effects.study as step

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(step, "did_mixed", _stub_mixed)
        return pilot_effects(effects_study, B=999)


def test_table_shape_and_file(demo_effects, effects_study):
    table = demo_effects.to_frame()
    assert list(table.columns) == COLUMNS
    path = effects_study.reports_dir / "tables" / "pilot_effects.csv"
    assert demo_effects.extra["path"] == path and path.is_file()
    written = pd.read_csv(path)
    assert list(written.columns) == COLUMNS and len(written) == len(table)
    assert set(table["indicator"]) == {"literacy", "depression", "phq9_mean"}
    models = table.groupby("indicator")["model"].unique().map(set).to_dict()
    assert models["literacy"] == {"did_lpm", "did_logit_ame", "did_logit_or", "did_mixed"}
    assert models["phq9_mean"] == {"did_linear", "did_mixed"}
    assert set(table["method"]) == {"design", "cr1", "wcr_rademacher", "wcr_webb", "mixed"}
    assert (table["n_clusters"] == 8).all()
    assert (table.loc[table["method"] != "mixed", "n_treated_clusters"] == 3).all()
    covariates = ("C(sex)", "C(age_group)", "C(education)", "C(urban_rural)")
    assert MIXED_CALLS == [(column, "district", "psu", covariates)
                           for column in ("nmhl_adequate", "phq9_positive", "phq9_total")]


def test_design_based_cis_contain_the_generators_att(demo_effects, demo_scored):
    from survey.demo.checks import effects_with_truth, read_truth

    truth = json.loads((demo_scored.study.root / "truth.json").read_text())["pilot_effect"]
    table = effects_with_truth(demo_effects.to_frame(), read_truth(demo_scored.study))
    rows = table[(table["method"] == "design") & table["model"].isin(["did_lpm", "did_logit_ame"])]
    for indicator, key in (("literacy", "literacy_adequate"), ("depression", "depression_phq9_ge10")):
        for row in rows[rows["indicator"] == indicator].itertuples():
            assert row.truth == pytest.approx(truth[key]["att"])
            assert row.ci_low <= row.truth <= row.ci_high, (indicator, row.model)
            assert row.covers
    # odds ratios have no truth on their scale
    assert table.loc[table["model"] == "did_logit_or", "truth"].isna().all()


def test_did_data_marks_pilots_after_the_start(demo_scored):
    data = did_data(demo_scored.study, demo_scored.scored)
    cells = data.groupby(["district", "wave"])["treated"].max().unstack()
    assert cells[2023].sum() == 0
    assert sorted(cells.index[cells[2024] == 1]) == ["linjiang", "qingshan", "yunxi"]
    assert data.attrs["pilot_source"] == "study configuration (pilot)"


def test_pipeline_step_and_command(demo_effects, demo_scored, tmp_path, monkeypatch):
    """The command is a thin wrapper: check the wiring with the module fixture's result."""
    from typer.testing import CliRunner

    import survey.cli.effects  # noqa: F401  (registers the command; the lead wires it into survey.cli)
    import survey.effects.study as step
    from survey.cli.app import app

    calls = []

    def fake(study, **options):
        calls.append(options)
        table = demo_effects.to_frame()
        table.to_csv(options["output"], index=False)
        return type(demo_effects)(table=table, description=demo_effects.description, extra={"path": options["output"]})

    monkeypatch.setattr(step, "pilot_effects", fake)
    out = tmp_path / "effects.csv"
    result = CliRunner().invoke(app, ["effects", str(demo_scored.study.config_file), "-o", str(out),
                                      "--draws", "199", "--no-mixed"])
    assert result.exit_code == 0, result.output
    assert calls == [{"output": out, "B": 199, "mixed": False, "finite_population_correction": False}]
    assert out.is_file() and "literacy" in result.output and f"wrote {out}" in result.output
    assert "truth" not in out.read_text()  # the demo's truth is the demo checks' business, not the table's


def test_command_leaves_the_mixed_model_to_the_study_unless_told(demo_scored, monkeypatch):
    """`survey effects` without --mixed/--no-mixed passes mixed=None: the study's analysis.effects.mixed decides."""
    from typer.testing import CliRunner

    from survey.cli import app
    from survey.pipeline import steps

    seen = []
    monkeypatch.setattr(steps, "run", lambda study, names, echo, options: seen.append(options["effects"]) or {})
    result = CliRunner().invoke(app, ["effects", str(demo_scored.study.config_file)])
    assert result.exit_code == 0, result.output
    assert seen[0]["mixed"] is None
