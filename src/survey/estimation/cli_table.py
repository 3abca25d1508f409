"""The table ``survey estimate`` writes: one call from a file (or a study) to flagged estimates.

Columns: the ``by`` columns, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``deff``,
``n``, ``n_weighted``, ``flag`` and ``flag_reason``. Flags follow the NCHS 2017 standards for
proportions, the NCHS rule for counts for totals, and the older NCHS rule (n >= 30, RSE < 30%)
for means (see :mod:`survey.estimation.publication`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError
from survey.estimation.design import Design
from survey.estimation.estimators import estimate
from survey.estimation.publication import apply_rules

COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "deff", "n", "n_weighted", "flag", "flag_reason"]
RULES = {"proportion": "nchs2017", "total": "nchs_counts", "mean": "nchs_legacy"}


def _study_data(path: Path) -> tuple[pd.DataFrame, dict]:
    from survey.errors import InputFileError
    from survey.estimation.prevalence import STRATUM_KEY, survey_design
    from survey.study import load_study

    study = load_study(path)
    scored = study.paths.scored
    if not scored.is_file():
        raise InputFileError(f"{scored}: not found; run `survey score {study.config_file}` first")
    data = pd.read_parquet(scored)
    design = survey_design(data, study.design)
    defaults = {"weight": design.weight, "strata": STRATUM_KEY, "psu": list(design.psu),
                "fpc": list(design.fpc), "nest": True, "lonely_psu": study.design.lonely_psu}
    return design.data, defaults


def estimate_table(
    path: str | Path,
    outcome: str,
    *,
    stat: str | None = None,
    by: Sequence[str] = (),
    weight: str | None = None,
    strata: str | None = None,
    psu: Sequence[str] = (),
    fpc: Sequence[str] = (),
    lonely_psu: str = "fail",
    ci_method: str = "logit",
    nest: bool = False,
    study: bool = False,
    replicates: dict | None = None,
) -> pd.DataFrame:
    """Read ``path`` (a data file, or a study when ``study``) and return the flagged table.

    Examples
    --------
    ``survey estimate survey.csv --outcome depressed --by district --weight w --strata h --psu p``
    is ``estimate_table("survey.csv", "depressed", by=["district"], weight="w", strata="h",
    psu=["p"])``; R: ``svyby(~depressed, ~district, svydesign(id=~p, strata=~h, weights=~w,
    data=d), svyciprop, vartype=c("se","ci"))``. ``replicates`` (keyword arguments of
    :class:`~survey.estimation.ReplicateDesign`: ``repweights``, ``type``, ``scale``, ``rscales``,
    ``rho``, ``mse``) makes a replicate design from the file's columns instead (R ``svrepdesign``).
    """
    path = Path(path)
    if study:
        data, defaults = _study_data(path)
        if weight is None and strata is None and not psu and not fpc:
            weight, strata, psu, fpc = defaults["weight"], defaults["strata"], defaults["psu"], defaults["fpc"]
            nest = True
            if lonely_psu == "fail":
                lonely_psu = defaults["lonely_psu"]
        weight = weight or defaults["weight"]
    else:
        from survey.intake.readers import read_table

        data = read_table(path).data
        if weight is None:
            raise ConfigError(f"--weight: expected the weight column of {path.name}, found none given")
    if replicates is not None:
        from survey.estimation.replicates import ReplicateDesign

        if weight is None:
            raise ConfigError("--weight: expected the full-sample weight column, found none given")
        design = ReplicateDesign(data, weight=weight, **replicates)
    else:
        design = Design(data, weight=weight, strata=strata, psu=list(psu) or None, fpc=list(fpc) or None,
                        nest=nest, lonely_psu=lonely_psu)
    # ci_method (--ci) names the interval for proportions; means and totals get estimate +/- t_df se
    result = estimate(design, outcome, stat=stat, by=list(by) or None, ci_method=ci_method)
    flagged = apply_rules(result.to_frame(), RULES[result.stat])
    return flagged[[*result.by, *COLUMNS]]
