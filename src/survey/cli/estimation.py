"""Commands of the estimation step: ``survey estimate`` and ``survey prevalence``."""

from __future__ import annotations

from pathlib import Path

import typer

from survey.cli.app import STUDY_HELP, app
from survey.cli.plain_params import PlainCommand

STATS = ("proportion", "mean", "total", "median", "quantile")
CIS = ("logit", "beta", "wilson", "likelihood", "asin")
QUANTILE_CIS = ("mean", "beta", "xlogit", "asin")
ENGINES = ("pandas", "dask")
REPTYPES = ("JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap", "successive-difference", "JK2", "other")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def _is_study(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml") or (path.is_dir() and (path / "study.yaml").is_file())


@app.command(cls=PlainCommand)
def estimate(
    data: Path = typer.Argument(..., help="A data file intake reads (CSV, Parquet, XLSX, SAV) or a study.yaml."),
    outcome: str = typer.Option(..., "--outcome", help="Outcome column (0/1 for a proportion)."),
    stat: str = typer.Option(None, "--stat", help="proportion, mean, total, median or quantile (default: "
                             "proportion for a 0/1 outcome, mean otherwise)."),
    q: str = typer.Option(None, "--q", help="With --stat quantile: probabilities, comma-separated (e.g. 0.25,0.75)."),
    qrule: str = typer.Option("math", "--qrule", help="Quantile rule (R svyquantile qrule): math, school, "
                              "shahvaish, hf1 ... hf9."),
    by: str = typer.Option(None, "--by", help="Domain columns, comma-separated (e.g. district,sex)."),
    weight: str = typer.Option(None, "--weight", help="Weight column (a study: its design weight)."),
    strata: str = typer.Option(None, "--strata", help="Stratum column (optional)."),
    psu: str = typer.Option(None, "--psu", help="PSU column(s), comma-separated by stage (optional: without "
                            "it each row is its own PSU)."),
    fpc: str = typer.Option(None, "--fpc", help="FPC column(s): population sizes, or fractions <= 1 (optional)."),
    lonely_psu: str = typer.Option("fail", "--lonely-psu", help="fail, remove, certainty, adjust or average."),
    nest: bool = typer.Option(False, "--nest", help="PSU codes repeat across strata (R nest=TRUE, as NHANES); "
                              "without it a PSU code in two strata is an error."),
    ci: str = typer.Option("logit", "--ci", help="Interval for proportions: logit, beta, wilson, likelihood or "
                           "asin; for medians and quantiles (Woodruff): mean (default), beta, xlogit or asin."),
    repweights: str = typer.Option(None, "--repweights", help="Replicate weight columns: a prefix (every column "
                                   "starting with it) or a comma-separated list; then --weight is the full-sample "
                                   "weight and --strata/--psu/--fpc are not used."),
    reptype: str = typer.Option(None, "--reptype", help="Replicate type: JK1, JKn, BRR, Fay, bootstrap, "
                                "subbootstrap, successive-difference, JK2 or other."),
    scale: float = typer.Option(None, "--scale", help="Variance scale of the replicates (default as R's "
                                "svrepdesign for the type)."),
    rscales: str = typer.Option(None, "--rscales", help="Per-replicate scales: one number or a comma-separated "
                                "list (JKn: (n_h - 1)/n_h)."),
    rho: float = typer.Option(None, "--rho", help="Fay's coefficient (--reptype Fay)."),
    mse: bool = typer.Option(False, "--mse", help="Centre the replicate variance at the full-sample estimate "
                             "(R mse=TRUE; default: at the replicates' mean, R's default)."),
    output: Path = typer.Option(None, "-o", "--output", help="Write the table to this CSV file."),
    na: list[str] = typer.Option(None, "--na", help="Text that means a missing value in the file, repeatable "
                                 "(R's write.csv writes NA: --na NA; SAS/Stata: --na .). Empty cells are missing "
                                 "already."),
    engine: str = typer.Option("pandas", "--engine", help="pandas (in memory) or dask (DATA a Parquet file, a "
                               "folder or a glob of partitions, summed per PSU on Dask workers)."),
    scheduler: str = typer.Option(None, "--scheduler", help="With --engine dask: a Dask scheduler's address "
                                  "(tcp://host:8786), or synchronous/threads/processes; default a local "
                                  "cluster with one worker per core."),
) -> None:
    """Estimate a proportion, mean, total, median or quantiles by domain with design-based SE, CI and df.

    Rows with a missing outcome are left out as R's na.rm=TRUE does (they stay in the design).
    With a study.yaml, its processed/scored.parquet and its design are used (strata = wave x
    the design strata, PSUs nested, FPC) unless --weight/--strata/--psu/--fpc are given.
    Parquet and CSV are read in their own types, only the columns named; DATA may also be a
    folder or a glob of Parquet partitions. --engine dask gives the same table from Dask workers.
    With --repweights and --reptype the variance comes from the replicate weights in the file
    (R svrepdesign with combined weights: the columns are analysis weights).
    """
    from survey.estimation.cli_table import estimate_table

    if stat is not None and stat not in STATS:
        raise typer.BadParameter(f"expected one of {', '.join(STATS)}, found {stat!r}", param_hint="--stat")
    probabilities = None
    if stat in ("median", "quantile"):
        ci = "mean" if ci == "logit" else ci
        if ci not in QUANTILE_CIS:
            raise typer.BadParameter(f"for --stat {stat}: expected one of {', '.join(QUANTILE_CIS)}, found {ci!r}",
                                     param_hint="--ci")
        if stat == "quantile":
            if not q:
                raise typer.BadParameter("--stat quantile needs --q, e.g. --q 0.25,0.75", param_hint="--q")
            try:
                probabilities = [float(v) for v in _split(q)]
            except ValueError:
                raise typer.BadParameter(f"expected numbers between 0 and 1, found {q!r}", param_hint="--q") from None
        else:
            probabilities = [0.5]
    elif ci not in CIS:
        raise typer.BadParameter(f"expected one of {', '.join(CIS)}, found {ci!r}", param_hint="--ci")
    elif q is not None:
        raise typer.BadParameter("--q goes with --stat quantile", param_hint="--q")
    if engine not in ENGINES:
        raise typer.BadParameter(f"expected one of {', '.join(ENGINES)}, found {engine!r}", param_hint="--engine")
    if scheduler is not None and engine != "dask":
        raise typer.BadParameter("a scheduler is for --engine dask", param_hint="--scheduler")
    replicates = None
    if repweights is not None or reptype is not None:
        if repweights is None or reptype is None:
            raise typer.BadParameter("replicate weights need both --repweights and --reptype",
                                     param_hint="--repweights/--reptype")
        if reptype not in REPTYPES:
            raise typer.BadParameter(f"expected one of {', '.join(REPTYPES)}, found {reptype!r}",
                                     param_hint="--reptype")
        if strata or psu or fpc:
            raise typer.BadParameter("a replicate design takes no --strata, --psu or --fpc: the replicate "
                                     "weights carry the design", param_hint="--repweights")
        names = _split(repweights)
        try:
            scales = [float(v) for v in _split(rscales)] or None
        except ValueError:
            raise typer.BadParameter(f"expected numbers, found {rscales!r}", param_hint="--rscales") from None
        replicates = {"repweights": names[0] if len(names) == 1 else names, "type": reptype, "scale": scale,
                      "rscales": scales, "rho": rho, "mse": mse}
    table = estimate_table(
        data, outcome, stat=stat, by=_split(by), weight=weight, strata=strata, psu=_split(psu),
        fpc=_split(fpc), lonely_psu=lonely_psu, ci_method=ci, nest=nest, study=_is_study(data), na=na or (),
        q=probabilities, qrule=qrule, engine=engine, scheduler=scheduler, replicates=replicates,
    )
    if output is None:
        typer.echo(table.to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        return
    from survey.outputs import write_csv

    write_csv(output, table)
    typer.echo(f"{len(table)} rows written to {output}")


@app.command()
def prevalence(study: Path = typer.Argument(..., help=STUDY_HELP)) -> None:
    """Crude, raked and age-standardised prevalence of the study's key indicators (as the study supports)."""
    from survey.pipeline import steps

    steps.run(study, ["estimate"], echo=typer.echo)
