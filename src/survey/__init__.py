"""survey: a research workspace for population mental-health surveys.

The data flow, one sub-package a step: intake (read, map, de-identify, validate) -> scoring
(instruments as data, reliability) -> estimation (design, domains, weighting, publication
rules) -> effects -> reports. The verbs below are importable from here (``survey.proportion``);
each loads its module on first use, so ``import survey`` stays fast.

============== ========================================================= ==========================
verb           what it does                                              R
============== ========================================================= ==========================
load_study     read and check a study.yaml: a Study                      —
validate       read, map, de-identify and check the exports; write none  —
ingest         validate, then write the de-identified processed data     —
score          score instruments for every respondent (a DataFrame)      —
reliability    alpha (CI), omega total, floor/ceiling, overall and by    ``psych::alpha``, ``omega``
               group
Design         the survey design: weights, strata, clusters, FPC         ``svydesign``
study_design   a study's design over its scored responses                ``svydesign``
estimate       the statistic that fits the outcome, by domain            ``svyby``
proportion     proportion of a 0/1 outcome by domain                     ``svyciprop``
mean           weighted mean by domain                                   ``svymean``
total          weighted total by domain                                  ``svytotal``
ratio          ratio of two totals by domain                             ``svyratio``
rake           rake the weights to population margins                    ``rake``
standardize    directly standardise to a standard population             ``svystandardize``
svyglm         survey-weighted GLM with design-based SEs                 ``svyglm``
did            difference-in-differences, design/CR1/wild bootstrap      ``svyglm``, ``boottest``
report         the district reports and index page of a study            —
steps          the step registry: ``steps.result(study, "estimate")``    —
Result         the base of every result: to_frame(), summary(), HTML     —
Skipped        what a step returns when the study cannot have it         —
============== ========================================================= ==========================

Estimators and models take one calling convention,
``verb(design, outcome_or_formula, *, by=, level=, ci_method=)``; passing a file name or a
DataFrame where a design belongs is a one-line error saying how to build one. Also here:
``Study``, ``read_table`` (read any export), ``load_instrument``, ``score_study`` (the scoring
step). The sub-packages (``survey.estimation``, ``survey.effects``, ...) hold the rest.

Example
-------
>>> import pandas as pd, survey
>>> df = pd.DataFrame({"w": [10., 12, 8, 9], "h": [1, 1, 2, 2], "p": [1, 2, 1, 2], "y": [0, 1, 1, 1]})
>>> design = survey.Design(df, weight="w", strata="h", psu="p", nest=True)
>>> round(float(survey.proportion(design, "y").to_frame().loc[0, "estimate"]), 4)
0.7436

R: ``svyciprop(~y, svydesign(id=~p, strata=~h, weights=~w, nest=TRUE, data=df))``.
"""

from __future__ import annotations

__version__ = "0.1.0"

#: name -> (module, attribute): the verbs, in the order of the table above, then the other names
_LAZY = {
    "load_study": ("survey.study", "load_study"),
    "validate": ("survey.intake", "validate"),
    "ingest": ("survey.intake", "ingest"),
    "score": ("survey.scoring", "score"),
    "reliability": ("survey.scoring.reliability", "reliability"),
    "Design": ("survey.estimation", "Design"),
    "study_design": ("survey.estimation.study", "study_design"),
    "estimate": ("survey.estimation", "estimate"),
    "proportion": ("survey.estimation", "proportion"),
    "mean": ("survey.estimation", "mean"),
    "total": ("survey.estimation", "total"),
    "ratio": ("survey.estimation", "ratio"),
    "rake": ("survey.estimation", "rake"),
    "standardize": ("survey.estimation", "standardize"),
    "svyglm": ("survey.effects", "svyglm"),
    "did": ("survey.effects", "did"),
    "report": ("survey.pipeline.report", "report"),
    "steps": ("survey.pipeline.steps", None),
    "Result": ("survey.results", "Result"),
    "Skipped": ("survey.results", "Skipped"),
    "Study": ("survey.study", "Study"),
    "read_table": ("survey.intake.readers", "read_table"),
    "load_instrument": ("survey.instruments", "load_instrument"),
    "score_study": ("survey.scoring.study", "score_study"),
}

#: The sub-packages, one per step (listed by ``dir(survey)`` too, for completion).
_SUBPACKAGES = ("demo", "effects", "errors", "estimation", "init", "instruments", "intake", "pipeline", "reports",
                "results", "scoring", "study")


def __getattr__(name: str):
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'survey' has no attribute {name!r}")
    import importlib

    module_name, attribute = target
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBPACKAGES})


__all__ = ["__version__", *_LAZY]
