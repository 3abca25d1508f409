"""The notebook-facing API: the verbs at the top level, one result base, one calling convention, clear errors."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey
from survey import effects, estimation
from survey.errors import ArgumentError, SurveyError
from survey.results import Result, Skipped

SRC = Path(survey.__file__).resolve().parent

VERBS = ("load_study", "validate", "ingest", "score", "reliability", "Design", "study_design", "estimate",
         "proportion", "mean", "total", "ratio", "rake", "standardize", "svyglm", "did", "report", "steps")
#: verbs that compute a statistic: their docstring gives the matching R call
STATISTICAL = ("reliability", "Design", "study_design", "estimate", "proportion", "mean", "total", "ratio", "rake",
               "standardize", "svyglm", "did")
DESIGN_MESSAGE = ("design: expected a survey.Design (build one with survey.Design(data, weight=..., ...)), "
                  "found str 'data.csv'")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 240
    return pd.DataFrame({
        "w": rng.uniform(0.5, 2.0, n), "h": np.repeat([1, 2, 3], n // 3), "p": np.repeat(np.arange(24), n // 24),
        "sex": rng.choice(["f", "m"], n), "y": rng.integers(0, 2, n), "x": rng.normal(size=n),
        "size": rng.uniform(1, 3, n),
    })


@pytest.fixture(scope="module")
def design(sample):
    return survey.Design(sample, weight="w", strata="h", psu="p", nest=True)


# ---- the top level ---------------------------------------------------------------------------------


def test_dir_lists_the_verbs_and_all_agrees():
    listed = dir(survey)
    assert set(VERBS) <= set(listed)
    assert set(survey.__all__) <= set(listed)
    extra = set(listed) - set(survey.__all__)
    assert extra == set(survey._SUBPACKAGES), extra  # the rest of dir() is the sub-packages
    for name in extra:
        assert (SRC / name).is_dir() or (SRC / f"{name}.py").is_file()


@pytest.mark.parametrize("name", [n for n in survey.__all__ if n != "__version__"])
def test_every_name_resolves_and_is_in_the_table(name):
    assert getattr(survey, name) is not None
    assert f"\n{name} " in survey.__doc__ or f"``{name}``" in survey.__doc__


@pytest.mark.parametrize("name", VERBS)
def test_each_verb_says_what_with_an_example(name):
    doc = inspect.getdoc(getattr(survey, name)) or ""
    assert len(doc.splitlines()[0]) > 10, f"{name}: no one-line description"
    assert ">>>" in doc, f"{name}: no example"
    if name in STATISTICAL:
        assert "R:" in doc or "R::" in doc or "R (" in doc or "The R equivalent" in doc, f"{name}: no R call"


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'proprotion'"):
        survey.proprotion  # noqa: B018


def test_import_survey_stays_light():
    code = "import sys, survey; dir(survey); print(sorted(m for m in ('pandas', 'numpy', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_report_hands_its_options_to_the_runner(monkeypatch):
    import survey.reports.runner as runner

    calls = []
    monkeypatch.setattr(runner, "build_reports", lambda *args, **kwargs: calls.append((args, kwargs)) or "run")
    assert survey.report("study.yaml", "dongcheng", lang="en", jobs=2, force=True) == "run"
    assert calls == [(("study.yaml", "dongcheng"), {"lang": "en", "jobs": 2, "force": True})]


# ---- one calling convention ------------------------------------------------------------------------

def _estimators():
    return {
        "estimate": estimation.estimate, "proportion": estimation.proportion, "mean": estimation.mean,
        "total": estimation.total, "ratio": estimation.ratio, "domain_difference": estimation.domain_difference,
        "domain_covariance": estimation.domain_covariance, "psu_totals": estimation.psu_totals,
        "svyglm": effects.svyglm, "did": effects.did, "did_mixed": effects.did_mixed,
        "event_study": effects.event_study, "group_means": effects.group_means,
    }


@pytest.mark.parametrize("name", list(_estimators()))
def test_estimators_take_design_then_outcome_or_formula(name):
    parameters = list(inspect.signature(_estimators()[name]).parameters.values())
    assert parameters[0].name == "design"
    assert parameters[1].name in ("outcome", "formula")
    for p in parameters:
        if p.name in ("by", "level", "ci_method", "family", "subset", "stat"):
            assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}: {p.name} should be keyword-only"


@pytest.mark.parametrize("name", ["rake", "standardize", "poststratify", "trim_weights", "rao_scott"])
def test_weighting_and_tests_take_the_design_first(name):
    assert next(iter(inspect.signature(getattr(estimation, name)).parameters)) == "design"


def test_no_public_function_calls_its_interval_ci():
    from survey.scoring import reliability as rel

    functions = [getattr(estimation, n) for n in estimation.__all__] + [getattr(effects, n) for n in effects.__all__]
    functions += [rel.reliability, rel.cronbach_alpha]
    for function in functions:
        if inspect.isfunction(function):
            assert "ci" not in inspect.signature(function).parameters, function.__name__
    reliability = inspect.signature(rel.reliability).parameters
    assert all(reliability[p].kind is inspect.Parameter.KEYWORD_ONLY for p in ("by", "level", "ci_method"))


def test_the_verbs_agree_with_the_functions_they_name(design):
    direct = estimation.proportion(design, "y", by="sex").to_frame()
    pd.testing.assert_frame_equal(survey.proportion(design, "y", by="sex").to_frame(), direct)
    chosen = survey.estimate(design, "y", by="sex")
    assert chosen.stat == "proportion"
    pd.testing.assert_frame_equal(chosen.to_frame(), direct)
    assert survey.estimate(design, "x", ci_method="normal").to_frame().loc[0, "ci_method"] == "normal"


# ---- a clear error for a string or a DataFrame where a Design belongs -----------------------------


def test_string_for_design_is_one_clear_line():
    with pytest.raises(ArgumentError) as caught:
        survey.proportion("data.csv", "y")
    assert str(caught.value) == DESIGN_MESSAGE
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, SurveyError)


def _calls(sample, design):
    margins = [("sex", pd.DataFrame({"sex": ["f", "m"], "population": [500, 500]}))]
    standard = pd.DataFrame({"sex": ["f", "m"], "population": [50, 50]})
    return {
        "estimate": lambda d: survey.estimate(d, "y"),
        "proportion": lambda d: survey.proportion(d, "y"),
        "mean": lambda d: survey.mean(d, "x"),
        "total": lambda d: survey.total(d, "y"),
        "ratio": lambda d: survey.ratio(d, "y", "size"),
        "rake": lambda d: survey.rake(d, margins),
        "standardize": lambda d: survey.standardize(d, "sex", standard),
        "svyglm": lambda d: survey.svyglm(d, "y ~ x"),
        "did": lambda d: survey.did(d, "y", treated="y", unit="h", time="sex"),
        "did_mixed": lambda d: effects.did_mixed(d, "y", treated="y", group="y", unit="h", time="sex"),
        "domain_difference": lambda d: estimation.domain_difference(d, "y", by="sex", first="f", second="m"),
        "rao_scott": lambda d: estimation.rao_scott(d, "sex", "y"),
        "trim_weights": lambda d: estimation.trim_weights(d, upper=2),
        "poststratify": lambda d: estimation.poststratify(d, "sex", margins[0][1]),
    }


@pytest.mark.parametrize("name", list(_calls(None, None)))
@pytest.mark.parametrize("wrong", ["data.csv", Path("data.csv"), "frame"])
def test_every_design_function_refuses_a_file_name_or_a_frame(name, wrong, sample, design):
    wrong = sample if wrong == "frame" else wrong
    with pytest.raises(ArgumentError) as caught:
        _calls(sample, design)[name](wrong)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("design: expected a survey.Design (build one with survey.Design(data, weight=")
    if isinstance(wrong, pd.DataFrame):
        assert message.endswith(f"found DataFrame ({len(sample)} rows x {sample.shape[1]} columns)")
    else:
        assert f"found {type(wrong).__name__} 'data.csv'" in message


def test_the_old_svyglm_order_is_named(design):
    with pytest.raises(ArgumentError, match=r"found str 'y ~ x'; the design comes first: svyglm\(design, 'y ~ x'"):
        survey.svyglm("y ~ x", design)


def test_a_study_file_points_to_the_study_design():
    with pytest.raises(ArgumentError, match=r"for a study's design use survey\.study_design\(study\)$"):
        survey.mean("data/demo/study.yaml", "phq9_total")


def test_a_long_or_identifying_text_is_cut_and_masked():
    with pytest.raises(ArgumentError) as caught:
        survey.mean("13512345000 " + "x" * 100, "y")
    message = str(caught.value)
    assert "13512345000" not in message and "135****5000" in message and message.endswith("...'")


# ---- one result base -----------------------------------------------------------------------------


def _classes_with_to_frame() -> dict[str, list[str]]:
    """Every class in the package that defines to_frame(), with the names of its bases."""
    found = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(item, ast.FunctionDef) and item.name == "to_frame" for item in node.body):
                found[f"{path.relative_to(SRC)}:{node.name}"] = [ast.unparse(base) for base in node.bases]
    return found


def test_every_class_with_to_frame_derives_from_result():
    classes = _classes_with_to_frame()
    assert len(classes) >= 15
    not_results = {name: bases for name, bases in classes.items() if "Result" not in bases
                   and not name.endswith("results.py:Result")}
    assert not not_results


def _results(sample, design, demo_pipeline):
    from survey.effects import wild_cluster_bootstrap
    from survey.scoring.reliability import cronbach_alpha, floor_ceiling, omega_total

    items = pd.DataFrame({f"q{i}": (sample["x"] + np.random.default_rng(i).normal(size=len(sample))).round()
                          for i in range(1, 5)})
    X = np.column_stack([np.ones(len(sample)), sample["x"]])
    return [
        survey.proportion(design, "y", by="sex"),
        estimation.domain_difference(design, "y", by="sex", first="f", second="m"),
        estimation.rao_scott(design, "sex", "y"),
        survey.svyglm(design, "y ~ x"),
        wild_cluster_bootstrap(X, sample["y"].to_numpy(float), sample["h"].to_numpy(), 1, B=99, seed=1),
        cronbach_alpha(items),
        omega_total(items),
        floor_ceiling(items, (-20, 20)),
        survey.reliability(items.assign(sex=sample["sex"]), list(items), by="sex"),
        demo_pipeline.ingested,
        demo_pipeline.scored,
        demo_pipeline.tables,
        demo_pipeline.effects,
        Skipped("no pilot programme declared (`pilot:`)"),
    ]


def test_every_result_has_the_base_and_renders_html(sample, design, demo_pipeline):
    results = _results(sample, design, demo_pipeline)
    assert {type(r).__name__ for r in results} == {
        "EstimateResult", "ComparisonResult", "ModelResult", "EffectResult", "WildBootstrapResult", "AlphaResult",
        "OmegaResult", "FloorCeiling", "ReliabilityResult", "ValidationResult", "StudyScores", "PrevalenceTables",
        "Skipped"}
    for result in results:
        assert isinstance(result, Result), type(result).__name__
        assert isinstance(result.to_frame(), pd.DataFrame)
        assert isinstance(result.summary(), str) and result.summary()
        page = result._repr_html_()
        assert page.startswith("<") and ("<table" in page or type(result) is Skipped), type(result).__name__


def test_the_notebook_view_is_short_and_free_of_identifiers(demo_pipeline):
    validation = demo_pipeline.ingested
    page = validation._repr_html_()
    assert "Validation of study" in page and "rows in" in page
    assert page.count("<tr") <= len(validation.findings()) + 2  # the findings, not every cell of the report
    from survey.masking import IDENTIFIER

    assert not IDENTIFIER.search(page)
    assert demo_pipeline.scored._repr_html_().count("<tr") < 20  # the overview, not the scored data


def test_html_escapes_what_came_from_data_or_configuration():
    from survey.effects.results import EffectResult

    shown = EffectResult(table=pd.DataFrame({"district": ["<b>东城区</b>"], "estimate": [0.1]}),
                         description="effects in <script>alert(1)</script>")._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown and "&lt;b&gt;东城区" in shown
    assert "<script>" not in Skipped("<script>")._repr_html_()


def test_report_run_and_study_draft_are_results(demo_pipeline):
    from survey.init.draft import Column, InputDraft, StudyDraft
    from survey.reports.runner import DistrictOutcome, ReportRun

    run = ReportRun(study=demo_pipeline.study, lang="en", outcomes=[DistrictOutcome("d1", "d1", "built")], index=None)
    draft = StudyDraft(id="s", out=Path("s.yaml"), inputs=[InputDraft(
        id="export", file="export.csv", answers="codes", columns=[Column("性别", "sex"), Column("备注", todo="notes")],
        items={}, matches=[])], variables={}, variable_notes={}, variable_todos={}, pii={}, instruments=[])
    for result in (run, draft):
        assert isinstance(result, Result) and "<table" in result._repr_html_()
    assert draft.to_frame()["variable"].isna().tolist() == [False, True]


def test_study_design_reproduces_the_prevalence_table(demo_pipeline):
    from survey.estimation.prevalence import CITY

    study = demo_pipeline.study
    indicator = study.indicators[0]
    city = survey.proportion(survey.study_design(study), indicator.column, by="wave").to_frame()
    table = demo_pipeline.tables.prevalence
    expected = table[(table["district"] == CITY) & (table["method"] == "crude")
                     & (table["indicator"] == indicator.id)].sort_values("wave")
    np.testing.assert_allclose(city["estimate"], expected["estimate"], rtol=1e-12)
    np.testing.assert_allclose(city["se"], expected["se"], rtol=1e-12)
