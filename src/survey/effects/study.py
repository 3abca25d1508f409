"""The study step: the pilot programme's effect on the key indicators, one table per study.

``pilot_effects(study)`` reads ``processed/scored.parquet``, marks pilot districts and the waves
after the pilot start (:mod:`survey.effects.pilot_schedule`), and estimates the effect by
difference-in-differences for the outcomes the study's analysis choices name
(``analysis.effects`` in study.yaml):

* ``indicators`` — 0/1 key indicators (LPM and logistic models; default: every indicator), and
* ``scores`` — score columns estimated as means (linear model),

with district and wave fixed effects and the declared ``covariates`` (categorical). Every
estimate comes with design-based, CR1 (by district) and wild-cluster-bootstrap (Rademacher,
Webb) inference, plus a mixed model. The table is written to ``study.paths.pilot_effects``.
It needs a pilot and waves before and after its start (capability ``effects``).

Columns: indicator, outcome, model (``did_lpm``, ``did_linear``, ``did_logit_ame``,
``did_logit_or``, ``did_mixed``), method (``design``, ``cr1``, ``wcr_rademacher``,
``wcr_webb``, ``mixed``), term, estimate, se, ci_low, ci_high, p_value, df, n, n_clusters,
n_treated_clusters, draws, note.

Example
-------
>>> from survey.effects.study import pilot_effects
>>> result = pilot_effects("data/demo/study.yaml")     # doctest: +SKIP
>>> print(result.summary())                             # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from survey.effects.did import did
from survey.effects.mixed import did_mixed
from survey.effects.model_frame import shared_model_matrices
from survey.effects.pilot_schedule import pilot_schedule, post_waves
from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError, InputFileError
from survey.outputs import require_manifest, write_csv, write_manifest
from survey.study import Study, load_study

PILOT, POST, TREATED = "pilot", "post", "treated"
COLUMNS = ["indicator", "outcome", "model", "method", "term", "estimate", "se", "ci_low", "ci_high", "p_value",
           "df", "n", "n_clusters", "n_treated_clusters", "draws", "primary", "note"]
#: With at least this many districts (clusters), the automatic primary interval is the wild cluster bootstrap.
MIN_CLUSTERS_FOR_BOOTSTRAP = 6
#: The models whose interval is the verdict's (linear probability model for 0/1 outcomes, linear for scores).
PRIMARY_MODELS = ("did_lpm", "did_linear")


def primary_interval(study: Study, n_clusters: int) -> str:
    """The interval a verdict uses: ``analysis.effects.primary_interval``, declared before the results.

    ``auto`` (the default): the wild cluster bootstrap with Webb weights when there are at least
    :data:`MIN_CLUSTERS_FOR_BOOTSTRAP` districts, else the design-based interval (with fewer
    clusters the bootstrap has too few distinct draws to give an interval; Webb 2014,
    MacKinnon & Webb 2018).
    """
    declared = study.config.analysis.effects.primary_interval
    if declared != "auto":
        return declared
    return "wcr_webb" if n_clusters >= MIN_CLUSTERS_FOR_BOOTSTRAP else "design"


def scored_responses(study: Study) -> pd.DataFrame:
    """``processed/scored.parquet`` of the study (a one-line error says how to make it)."""
    path = study.paths.scored
    if not path.is_file():
        raise InputFileError(f"{path}: not found; run `survey score {study.config_file}` first")
    paths = study.paths
    require_manifest(paths.processed, paths.scoring_manifest.name, (paths.scored.name,),
                     f"run `survey score {study.config_file}` again")
    return pd.read_parquet(path)


def did_data(study: Study, scored: pd.DataFrame | None = None, wave: str = "wave") -> pd.DataFrame:
    """Scored responses with 0/1 columns ``pilot``, ``post`` (wave after the start) and ``treated``.

    Raises
    ------
    ColumnError
        The wave or district column is missing, or a pilot district has no respondents.
    """
    data = scored_responses(study) if scored is None else scored
    district = study.district_column
    for column in (wave, district):
        if column not in data.columns:
            raise ColumnError(f"column {column!r}: not found in the scored responses")
    schedule = pilot_schedule(study)
    present = set(map(str, pd.unique(data[district])))
    absent = [d for d in schedule.districts if d not in present]
    if absent:
        raise ColumnError(
            f"district column {district!r}: expected respondents in pilot districts {absent} "
            f"(pilots from {schedule.source}), found none; districts present: {sorted(present)[:10]}"
        )
    codes = data[district].astype(str)
    pilot = codes.isin(schedule.districts).to_numpy()
    post = np.zeros(len(data), dtype=bool)
    for code in schedule.districts:  # one pass per pilot district (a handful), not per row
        after = post_waves(data, schedule.starts[code], wave=wave)
        rows = (codes == code).to_numpy()
        post |= rows & data[wave].map(after).fillna(False).to_numpy(dtype=bool)
    # comparison districts: 'post' is any wave after the earliest start
    first = min(schedule.starts.values(), key=lambda s: (s if isinstance(s, int) else s.year))
    after_first = post_waves(data, first, wave=wave)
    post = np.where(pilot, post, data[wave].map(after_first).fillna(False).to_numpy(dtype=bool))
    out = data.copy()
    out[PILOT] = pilot.astype(int)
    out[POST] = post.astype(int)
    out[TREATED] = (pilot & post).astype(int)
    if out[TREATED].sum() == 0:
        raise ColumnError(
            f"column {wave!r}: no wave was fielded after the pilot start in a pilot district "
            f"(pilots from {schedule.source}: {schedule.starts}); a DiD needs data after the start"
        )
    out.attrs["pilot_source"] = schedule.source
    return out


def _targets(study: Study, indicators: Sequence[str], scores: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(table name, column, binary) of every outcome to estimate."""
    known = {i.id: i.column for i in study.indicators}
    missing = [i for i in indicators if i not in known]
    if missing:
        raise ConfigError(
            f"{study.config_file}: indicators: expected ids {missing} for the pilot-effect table, "
            f"found only {sorted(known)}"
        )
    return [(i, known[i], True) for i in indicators] + [(name, column, False) for name, column in scores.items()]


def pilot_effects(
    study: Study | str | Path,
    *,
    indicators: Sequence[str] | None = None,
    scores: dict[str, str] | None = None,
    covariates: Sequence[str] | None = None,
    B: int = 9999,
    seed: int = 20230901,
    mixed: bool | None = None,
    finite_population_correction: bool = False,
    level: float | None = None,
    write: bool = True,
    output: str | Path | None = None,
) -> EffectResult:
    """Estimate the pilot's effect on the study's key indicators; write ``pilot_effects.csv``.

    Parameters
    ----------
    study : Study or path to study.yaml
    indicators : sequence of str, optional
        Ids of 0/1 indicators (default: ``analysis.effects.indicators``, else every indicator).
    scores : dict, optional
        Table name -> score column estimated with a linear model (default:
        ``analysis.effects.scores``).
    covariates : sequence of str, optional
        Categorical covariates, columns of the scored data (default: ``analysis.effects.covariates``).
    B : int, default 9999
        Wild-bootstrap draws (Rademacher: all 2^8 = 256 for 8 districts).
    seed : int
        Seed of the Webb draws (the table is reproducible).
    mixed : bool, optional
        Also fit the mixed model (unweighted REML; the slowest part, ~10 s per outcome on 50
        districts). Default: ``analysis.effects.mixed`` (true unless the study says otherwise).
    finite_population_correction : bool, default False
        Use the study's FPC (and second stage, ``design.ssu``) in the design-based SEs. Off by
        default: the pilot effect is an analytic (model) quantity, for which the
        with-replacement ultimate-cluster variance is the usual, slightly conservative choice
        (Korn & Graubard 1999). With a first-stage FPC and no second stage, strata whose PSUs
        were all taken would contribute no variance at all (as in R), although communities
        and households inside them were sampled.
    level : float, optional
        Confidence level (default: ``analysis.level``, 0.95).
    write : bool, default True
    output : path, optional
        Where to write the CSV (default ``study.paths.pilot_effects``).

    Returns
    -------
    EffectResult
        ``table`` with the columns listed in the module docstring; ``extra["path"]`` the CSV.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    can = study.capabilities()["effects"]
    if not can:
        raise ConfigError(f"{study.config_file}: effects: {can.reason}")
    choices = study.config.analysis
    if indicators is None:
        indicators = choices.effects.indicators or [i.id for i in study.indicators]
    scores = dict(choices.effects.scores) if scores is None else scores
    covariates = list(choices.effects.covariates) if covariates is None else list(covariates)
    level = choices.level if level is None else level
    mixed = choices.effects.mixed if mixed is None else mixed
    targets = _targets(study, indicators, scores)
    data = did_data(study)
    from survey.estimation.prevalence import survey_design

    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise ColumnError(f"covariate columns {missing}: not found in the scored responses")
    terms = [f"C({c})" for c in covariates]
    settings = study.design if finite_population_correction else study.design.model_copy(update={"fpc": None})
    design = survey_design(data, settings)
    district = study.district_column
    parts = []
    common = dict(treated=TREATED, unit=district, time="wave", covariates=terms, B=B, seed=seed, level=level)
    with shared_model_matrices():  # every svyglm below has the same right-hand side: one patsy evaluation
        for name, column, binary in targets:
            if column not in data.columns:
                raise ColumnError(f"indicator {name!r}: score column {column!r} not found in the scored responses")
            parts.append(did(design, column, model="linear", **common).table.assign(indicator=name))
            if binary:
                parts.append(did(design, column, model="logit", methods=("design", "cr1"), **common)
                             .table.assign(indicator=name))
            if mixed:
                parts.append(did_mixed(design, column, treated=TREATED, group=PILOT, unit=district, time="wave",
                                       psu=study.design.psu, covariates=terms, level=level)
                             .table.assign(indicator=name, n_treated_clusters=np.nan, draws=np.nan))
    table = pd.concat(parts, ignore_index=True)
    primary = primary_interval(study, int(table["n_clusters"].max()))
    table["primary"] = table["model"].isin(PRIMARY_MODELS) & (table["method"] == primary)
    table = table[COLUMNS]
    description = (
        f"Pilot effects in {study.id}: difference-in-differences, pilots from "
        f"{data.attrs.get('pilot_source')}; design: strata wave x {' x '.join(settings.strata)}, "
        f"PSU {settings.psu}"
        + (
            f", FPC {settings.fpc}" + (f" with second stage {settings.ssu}" if settings.ssu else "")
            if finite_population_correction and settings.fpc
            else ", with replacement (no FPC)"
        )
        + "; "
        f"{int(level * 100)}% CI; primary interval {primary}"
    )
    result = EffectResult(table=table, description=description)
    if write:
        path = Path(output) if output else study.paths.pilot_effects
        write_csv(path, table, float_format="%.10g")
        if output is None:
            write_manifest(path.parent, [path.name], {"step": "effects", "study": study.id},
                           name=study.paths.effects_manifest.name)
        result.extra["path"] = path
    return result


def load_effects(study: Study | str | Path) -> EffectResult:
    """The last effects table, read back from ``reports/<study>/tables/pilot_effects.csv``."""
    if not isinstance(study, Study):
        study = load_study(study)
    path = study.paths.pilot_effects
    if not path.is_file():
        raise InputFileError(f"{path}: not found; run `survey effects {study.config_file}`")
    table = pd.read_csv(path, dtype={"note": object}, keep_default_na=False, na_values=[""])
    return EffectResult(table=table[COLUMNS], description=f"Pilot effects in {study.id} (read from {path.name})",
                        extra={"path": path})


def pilot_trends(study: Study | str | Path, indicator: str | int = 0):
    """The parallel-trends picture: an indicator's design-weighted share by pilot/comparison group and wave.

    ``indicator`` is an indicator id, or a position in the study's effect outcomes
    (``analysis.effects.indicators``, else every indicator). Returns the matplotlib figure, or
    :class:`~survey.results.Skipped` for a study without a pilot and waves around its start.
    R: ``svyby(~y, ~pilot+wave, design, svymean)``.
    """
    from survey.effects.plots import group_means, plot_group_means
    from survey.estimation.prevalence import survey_design
    from survey.results import Skipped

    if not isinstance(study, Study):
        study = load_study(study)
    can = study.capabilities()["effects"]
    if not can:
        return Skipped(can.reason)
    if isinstance(indicator, int):
        outcomes = study.config.analysis.effects.indicators or [i.id for i in study.indicators]
        if indicator >= len(outcomes):
            return Skipped(f"the study has {len(outcomes)} effect outcome(s), not {indicator + 1}")
        indicator = outcomes[indicator]
    entry = study.indicator(indicator)
    data = did_data(study)
    design = survey_design(data, study.design.model_copy(update={"fpc": None}))
    means = group_means(design, entry.column, group=PILOT, time="wave", level=study.config.analysis.level)
    start = min(pilot_schedule(study).starts.values(), key=lambda s: (s if isinstance(s, int) else s.year))
    x_start = start + 0.5 if isinstance(start, int) else start.year + (start.dayofyear - 1) / 365.25
    return plot_group_means(means, group=PILOT, time="wave", start=x_start, title=entry.label.en, ylabel="share")


def service_its(study: Study | str | Path, measure: str | None = None) -> EffectResult:
    """Interrupted time series of a monthly service measure in each pilot district, around its start.

    Reads ``services.monthly`` (``district``, ``month`` YYYY-MM and measures); ``measure``
    defaults to the table's first measure column. Returns
    :class:`~survey.results.Skipped` when the study has no pilot or no monthly service table.
    """
    from survey.effects.its import interrupted_time_series
    from survey.results import Skipped

    if not isinstance(study, Study):
        study = load_study(study)
    if not study.capabilities()["pilot"]:
        return Skipped(study.capabilities()["pilot"].reason)
    services = study.config.services
    if services is None or not services.monthly:
        return Skipped("no monthly service table declared (`services.monthly`)")
    monthly = pd.read_csv(study.path(services.monthly), dtype={"district": str})
    measures = [c for c in monthly.columns if c not in ("district", "month")]
    measure = measure or (measures[0] if measures else None)
    if measure not in monthly.columns:
        raise ColumnError(f"{services.monthly}: expected a measure column {measure!r}, found {measures}")
    schedule = pilot_schedule(study)
    starts = {pd.Timestamp(f"{s}-01-01") if isinstance(s, int) else s for s in schedule.starts.values()}
    if len(starts) > 1:
        return Skipped("the pilot districts started at different dates: fit the series one district at a time")
    start = next(iter(starts)).strftime("%Y-%m")
    pilots = monthly[monthly["district"].isin(schedule.districts)]
    return interrupted_time_series(pilots, measure, "month", start, by="district")
