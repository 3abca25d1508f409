"""The table ``survey estimate`` writes: one call from a file (or a study) to flagged estimates.

Columns: the ``by`` columns, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``deff``,
``n``, ``n_weighted``, ``flag`` and ``flag_reason``. Flags follow the NCHS 2017 standards for
proportions, the NCHS rule for counts for totals, and the older NCHS rule (n >= 30, RSE < 30%)
for means (see :mod:`survey.estimation.publication`). Medians and quantiles (``stat="median"`` or
``"quantile"``) get ``q``, ``estimate``, ``se``, ``ci_low``, ``ci_high`` (Woodruff), ``df``, ``n`` and
``note``: the publication rules are for proportions, counts and means, so quantiles carry no flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError, SurveyError
from survey.estimation.design import Design
from survey.estimation.estimators import estimate
from survey.estimation.publication import apply_rules

QUANTILE_COLUMNS = ["q", "estimate", "se", "ci_low", "ci_high", "df", "n", "note"]
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


def _wanted(outcome: str, weight: str, strata: str | None, psu: Sequence[str], fpc: Sequence[str],
            by: Sequence[str]) -> list[tuple[str, str]]:
    """(role, column) pairs in the order the design checks them."""
    return ([("weight", weight)] + ([("strata", strata)] if strata else []) + [("psu", c) for c in psu]
            + [("fpc", c) for c in fpc] + [("by", c) for c in by] + [("outcome", outcome)])


def _file_data(path: Path, columns: list[tuple[str, str]], codes: list[str]) -> pd.DataFrame:
    """The named columns, typed, from Parquet/CSV files (one, a folder or a glob); other formats as text."""
    from survey.intake.typed import CSV, PARQUET, partition_files, read_columns

    files = partition_files(path)
    if all(f.suffix.lower() in PARQUET + CSV for f in files):
        return read_columns(path, columns, text=codes)
    from survey.intake.readers import read_table

    return read_table(path).data


def _numbered_across(error: SurveyError, path: Path, count: int) -> SurveyError:
    if count < 2 or " row" not in str(error):
        return error
    return type(error)(f"{error} (rows numbered from 0 across the {count} files of {path}, in name order)")


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
    na: Sequence[str] = (),
    q: Sequence[float] | None = None,
    qrule: str = "math",
    engine: str = "pandas",
    scheduler: str | None = None,
    replicates: dict | None = None,
) -> pd.DataFrame:
    """Read ``path`` (a data file, a folder or glob of Parquet partitions, or a study when ``study``)
    and return the flagged table.

    ``engine="dask"`` sums per PSU on Dask (``scheduler``: an address such as ``tcp://host:8786``,
    ``synchronous``/``threads``/``processes``, or None for a local cluster with one worker per
    core) and finishes in this process: the pandas engine's table to rounding (about 1e-15).

    Examples
    --------
    ``survey estimate survey.csv --outcome depressed --by district --weight w --strata h --psu p``
    is ``estimate_table("survey.csv", "depressed", by=["district"], weight="w", strata="h",
    psu=["p"])``; R: ``svyby(~depressed, ~district, svydesign(id=~p, strata=~h, weights=~w,
    data=d), svyciprop, vartype=c("se","ci"))``. ``replicates`` (keyword arguments of
    :class:`~survey.estimation.ReplicateDesign`: ``repweights``, ``type``, ``scale``, ``rscales``,
    ``rho``, ``mse``) makes a replicate design from the file's columns instead (R ``svrepdesign``).

    ``na`` lists the texts that mean a missing value in the file (``--na NA --na .``; R:
    ``read.csv(na.strings = c("NA", "."))``); other text in the outcome, weight or FPC columns
    is an error naming the file, column and rows.
    """
    path = Path(path)
    if study and na:
        raise ConfigError(f"--na: applies to data files; a study declares its markers as `missing_values` "
                          f"under its inputs in {path.name}")
    settings = dict(nest=nest, lonely_psu=lonely_psu)
    if replicates is not None and (study or engine != "pandas" or stat in ("median", "quantile")):
        raise ConfigError("--repweights: replicate designs are estimated from a data file, in memory, for means, "
                          "proportions, totals and ratios")
    if engine == "dask" and (na or stat in ("median", "quantile")):
        raise ConfigError("--engine dask: estimates means, proportions, totals and ratios of files without "
                          "missing-value markers; use the pandas engine for --na, medians and quantiles")
    if study:
        if engine != "pandas":
            raise ConfigError(f"--engine {engine}: a study's scored data is estimated in memory; give a Parquet "
                              "file, folder or glob of partitions for the Dask engine")
        data, defaults = _study_data(path)
        if weight is None and strata is None and not psu and not fpc:
            weight, strata, psu, fpc = defaults["weight"], defaults["strata"], defaults["psu"], defaults["fpc"]
            settings["nest"] = True
            if lonely_psu == "fail":
                settings["lonely_psu"] = defaults["lonely_psu"]
        weight = weight or defaults["weight"]
        if stat in ("median", "quantile"):
            return _quantiles(data, outcome, q, qrule, by, weight, strata, psu, fpc, ci_method, settings)
        result = _estimate(data, outcome, stat, by, weight, strata, psu, fpc, ci_method, settings)
    else:
        from survey.intake.markers import blank_markers, check_numbers
        from survey.intake.typed import partition_files

        files = partition_files(path)
        if weight is None:
            raise ConfigError(f"--weight: expected the weight column of {path.name}, found none given")
        columns = _wanted(outcome, weight, strata, psu, fpc, by)
        codes = [c for role, c in columns if role in ("strata", "psu", "by")]
        try:
            if engine == "dask":
                result = _estimate_on_dask(path, columns, outcome, stat, by, weight, strata, psu, fpc, ci_method,
                                           settings, scheduler)
            elif replicates is not None:
                result = _estimate_replicates(path, na, outcome, stat, by, weight, ci_method, replicates)
            else:
                data = blank_markers(_file_data(path, columns, codes), na)
                check_numbers(data, [outcome, weight, *fpc], path=path, markers=na)
                if stat in ("median", "quantile"):
                    return _quantiles(data, outcome, q, qrule, by, weight, strata, psu, fpc, ci_method, settings)
                result = _estimate(data, outcome, stat, by, weight, strata, psu, fpc, ci_method, settings)
        except SurveyError as error:
            raise _numbered_across(error, path, len(files)) from None
    flagged = apply_rules(result.to_frame(), RULES[result.stat])
    return flagged[[*result.by, *COLUMNS]]


def _estimate(data, outcome, stat, by, weight, strata, psu, fpc, ci_method, settings):
    design = Design(data, weight=weight, strata=strata, psu=list(psu) or None, fpc=list(fpc) or None, **settings)
    # ci_method (--ci) names the interval for proportions; means and totals get estimate +/- t_df se
    return estimate(design, outcome, stat=stat, by=list(by) or None, ci_method=ci_method)


def _estimate_replicates(path, na, outcome, stat, by, weight, ci_method, replicates):
    from survey.estimation.replicates import ReplicateDesign
    from survey.intake.markers import blank_markers, check_numbers
    from survey.intake.readers import read_table

    data = blank_markers(read_table(path).data, na)  # every column: replicate weights may be named by a prefix
    check_numbers(data, [outcome, weight], path=path, markers=na)
    design = ReplicateDesign(data, weight=weight, **replicates)
    # ci_method (--ci) names the interval for proportions; means and totals get estimate +/- t_df se
    return estimate(design, outcome, stat=stat, by=list(by) or None, ci_method=ci_method)


def _quantiles(data, outcome, q, qrule, by, weight, strata, psu, fpc, ci_method, settings) -> pd.DataFrame:
    from survey.estimation.quantiles import quantile

    design = Design(data, weight=weight, strata=strata, psu=list(psu) or None, fpc=list(fpc) or None, **settings)
    result = quantile(design, outcome, q=list(q or [0.5]), by=list(by) or None, ci_method=ci_method, qrule=qrule)
    return result.to_frame()[[*result.by, *QUANTILE_COLUMNS]]


def _estimate_on_dask(path, columns, outcome, stat, by, weight, strata, psu, fpc, ci_method, settings, scheduler):
    from survey.estimation import dask_engine

    frame = dask_engine.read_parquet_partitions(path, columns)
    design = dask_engine.DaskDesign(frame, weight=weight, strata=strata, psu=list(psu) or None,
                                    fpc=list(fpc) or None, **settings)
    with dask_engine.scheduler_for(scheduler) as chosen:
        return dask_engine.estimate(design, outcome, stat=stat, by=list(by) or None, ci_method=ci_method,
                                    scheduler=chosen)
