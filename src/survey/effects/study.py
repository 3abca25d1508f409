"""The study step: the pilot programme's effect on the key indicators, one table per study.

``pilot_effects(study)`` reads ``processed/scored.parquet``, marks pilot districts and the waves
after the pilot start (:mod:`survey.effects.pilot_schedule`), and estimates the effect by
difference-in-differences for

* the study's literacy and depression indicators (0/1: LPM and logistic models), and
* the PHQ-9 total score (linear model),

with district and wave fixed effects and covariates sex, age group, education and urban/rural.
Every estimate comes with design-based, CR1 (by district) and wild-cluster-bootstrap
(Rademacher, Webb) inference, plus a mixed model. The table is written to
``study.reports_dir / "tables" / "pilot_effects.csv"``.

Columns: indicator, outcome, model (``did_lpm``, ``did_linear``, ``did_logit_ame``,
``did_logit_or``, ``did_mixed``), method (``design``, ``cr1``, ``wcr_rademacher``,
``wcr_webb``, ``mixed``), term, estimate, se, ci_low, ci_high, p_value, df, n, n_clusters,
n_treated_clusters, draws, truth (the generator's ATT where the study has a truth file), covers
(whether the CI contains it), note.

Example
-------
>>> from survey.effects.study import pilot_effects
>>> result = pilot_effects("data/demo/study.yaml")     # doctest: +SKIP
>>> print(result.summary())                             # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from survey.effects.did import did
from survey.effects.mixed import did_mixed
from survey.effects.pilot_schedule import pilot_schedule, post_waves
from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError, InputFileError
from survey.outputs import require_manifest, write_csv, write_manifest
from survey.study import Study, load_study

OUTPUT = "pilot_effects.csv"
#: Written last, beside the table: its SHA-256 (:mod:`survey.outputs`).
MANIFEST = "effects_manifest.json"
#: Indicators (ids in the study's ``indicators``) whose pilot effect is estimated.
INDICATORS = ("literacy", "depression")
#: Scores estimated as means: name in the table -> score column.
SCORES = {"phq9_mean": "phq9_total"}
#: Covariates of every model (categorical).
COVARIATES = ("sex", "age_group", "education", "urban_rural")
#: Truth-file keys (``pilot_effect``) of the table's indicators.
TRUTH_KEYS = {"literacy": "literacy_adequate", "depression": "depression_phq9_ge10", "phq9_mean": "phq9_mean"}
PILOT, POST, TREATED = "pilot", "post", "treated"
COLUMNS = ["indicator", "outcome", "model", "method", "term", "estimate", "se", "ci_low", "ci_high", "p_value",
           "df", "n", "n_clusters", "n_treated_clusters", "draws", "truth", "covers", "note"]


def scored_responses(study: Study) -> pd.DataFrame:
    """``processed/scored.parquet`` of the study (a one-line error says how to make it)."""
    path = study.processed_dir / "scored.parquet"
    if not path.is_file():
        raise InputFileError(f"{path}: not found; run `survey score {study.config_file}` first")
    require_manifest(study.processed_dir, "scoring_manifest.json", ("scored.parquet",),
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


def _truth(study: Study) -> dict:
    name = study.spec.get("truth")
    if not name or not study.path(name).is_file():
        return {}
    effects = json.loads(study.path(name).read_text(encoding="utf-8")).get("pilot_effect") or {}
    return {key: effects[truth_key]["att"] for key, truth_key in TRUTH_KEYS.items() if truth_key in effects}


def _targets(study: Study, indicators: Sequence[str], scores: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(table name, column, binary) of every outcome to estimate."""
    known = {i["id"]: i["column"] for i in study.indicators}
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
    indicators: Sequence[str] = INDICATORS,
    scores: dict[str, str] | None = None,
    covariates: Sequence[str] = COVARIATES,
    B: int = 9999,
    seed: int = 20230901,
    mixed: bool = True,
    finite_population_correction: bool = False,
    level: float = 0.95,
    write: bool = True,
    output: str | Path | None = None,
) -> EffectResult:
    """Estimate the pilot's effect on the study's key indicators; write ``pilot_effects.csv``.

    Parameters
    ----------
    study : Study or path to study.yaml
    indicators : sequence of str
        Ids of 0/1 indicators from the study configuration (default literacy, depression).
    scores : dict, optional
        Table name -> score column estimated with a linear model (default
        ``{"phq9_mean": "phq9_total"}``).
    covariates : sequence of str
        Categorical covariates (columns of the scored data).
    B : int, default 9999
        Wild-bootstrap draws (Rademacher: all 2^8 = 256 for 8 districts).
    seed : int
        Seed of the Webb draws (the table is reproducible).
    mixed : bool, default True
        Also fit the mixed model (unweighted REML; the slowest part, ~10 s per outcome).
    finite_population_correction : bool, default False
        Use the study's FPC (and second stage, ``design.ssu``) in the design-based SEs. Off by
        default: the pilot effect is an analytic (model) quantity, for which the
        with-replacement ultimate-cluster variance is the usual, slightly conservative choice
        (Korn & Graubard 1999). With a first-stage FPC and no second stage, strata whose PSUs
        were all taken would contribute no variance at all (as in R), although communities
        and households inside them were sampled.
    level : float, default 0.95
    write : bool, default True
    output : path, optional
        Where to write the CSV (default ``study.reports_dir / "tables" / "pilot_effects.csv"``).

    Returns
    -------
    EffectResult
        ``table`` with the columns listed in the module docstring; ``extra["path"]`` the CSV.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    scores = SCORES if scores is None else scores
    targets = _targets(study, indicators, scores)
    data = did_data(study)
    from survey.estimation.prevalence import survey_design

    missing = [c for c in covariates if c not in data.columns]
    if missing:
        raise ColumnError(f"covariate columns {missing}: not found in the scored responses")
    terms = [f"C({c})" for c in covariates]
    settings = dict(study.design)
    if not finite_population_correction:
        settings.pop("fpc", None)
    design = survey_design(data, settings)
    district = study.district_column
    truth = _truth(study)
    parts = []
    for name, column, binary in targets:
        if column not in data.columns:
            raise ColumnError(f"indicator {name!r}: score column {column!r} not found in the scored responses")
        common = dict(treated=TREATED, unit=district, time="wave", covariates=terms, B=B, seed=seed, level=level)
        parts.append(did(design, column, model="linear", **common).table.assign(indicator=name))
        if binary:
            parts.append(did(design, column, model="logit", methods=("design", "cr1"), **common)
                         .table.assign(indicator=name))
        if mixed:
            parts.append(did_mixed(data, column, treated=TREATED, group=PILOT, unit=district, time="wave",
                                   psu=study.design.get("psu"), covariates=terms, level=level)
                         .table.assign(indicator=name, n_treated_clusters=np.nan, draws=np.nan))
    table = pd.concat(parts, ignore_index=True)
    table["truth"] = table["indicator"].map(truth).where(table["model"] != "did_logit_or")
    table["covers"] = np.where(table["truth"].notna(),
                               (table["ci_low"] <= table["truth"]) & (table["truth"] <= table["ci_high"]), None)
    table = table[COLUMNS]
    description = (
        f"Pilot effects in {study.id}: difference-in-differences, pilots from "
        f"{data.attrs.get('pilot_source')}; design: strata wave x {' x '.join(settings['strata'])}, "
        f"PSU {settings.get('psu')}"
        + (
            f", FPC {settings['fpc']}" + (f" with second stage {settings['ssu']}" if settings.get("ssu") else "")
            if finite_population_correction and settings.get("fpc")
            else ", with replacement (no FPC)"
        )
        + "; "
        f"{int(level * 100)}% CI"
    )
    result = EffectResult(table=table, description=description)
    if write:
        path = Path(output) if output else study.reports_dir / "tables" / OUTPUT
        write_csv(path, table, float_format="%.10g")
        if output is None:
            write_manifest(path.parent, [OUTPUT], {"step": "effects", "study": study.id}, name=MANIFEST)
        result.extra["path"] = path
    return result
