"""Score a whole study: every instrument its configuration lists, with reliability by district.

``score_study(study)`` reads the de-identified responses written by intake, scores them with
the study's choices (answer keys, cut-offs) and writes, under ``data/<study>/processed/``:

* ``scored.parquet`` — the responses with every instrument's status, totals, bands and flags;
* ``scoring_summary.csv`` — respondents per instrument and scoring status;
* ``reliability.csv`` and ``reliability_items.csv`` — Cronbach's alpha (CI), omega total,
  floor and ceiling shares, overall and by district; item–rest correlations and alpha if
  item deleted;
* ``scoring_manifest.json`` — last, the SHA-256 of each of these files.

It reads the responses only when they match intake's manifest (else a one-line error says to
run ``survey ingest`` again); every file is written atomically (:mod:`survey.outputs`).

Example
-------
>>> from survey.scoring.study import score_study
>>> result = score_study("data/demo/study.yaml")      # doctest: +SKIP
>>> result.summary()                                   # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from survey import __version__
from survey.instruments import Instrument
from survey.instruments.points import option_points
from survey.outputs import require_manifest, sha256_of, write_csv, write_manifest, write_parquet
from survey.scoring.engine import score
from survey.scoring.reliability import reliability
from survey.scoring.summary import score_summary
from survey.study import Study, load_study


def outputs(study: Study) -> list[Path]:
    """The files this step writes (in ``processed/``); its manifest (written last) describes them."""
    paths = study.paths
    return [paths.scored, paths.scoring_summary, paths.reliability, paths.reliability_items]


@dataclass
class StudyScores:
    """Scores of every respondent and what went into them."""

    study: Study
    scored: pd.DataFrame = field(repr=False)
    status: pd.DataFrame = field(repr=False)
    reliability: pd.DataFrame = field(repr=False)
    item_stats: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.scored

    def summary(self) -> str:
        wide = self.status.pivot(index="instrument", columns="status", values="n")
        overall = self.reliability[self.reliability["scope"] == "overall"].set_index("instrument")
        wide["alpha"] = overall["alpha"].round(3)
        wide["omega_total"] = overall["omega_total"].round(3)
        order = ["complete", "prorated", "not_scorable", "not_eligible", "invalid", "total", "alpha", "omega_total"]
        return wide[[c for c in order if c in wide.columns]].to_string()


def plot_totals(scores: StudyScores, instrument: str | None = None):
    """Distribution of an instrument's total score by wave, as percent of respondents scored.

    Default: the study's first instrument with a total. Returns the matplotlib figure, or
    :class:`~survey.results.Skipped` when no instrument has a total.
    """
    import matplotlib.pyplot as plt

    from survey.results import Skipped

    candidates = [i for i in scores.study.instruments if f"{i}_total" in scores.scored.columns]
    instrument = instrument or (candidates[0] if candidates else None)
    if instrument is None:
        return Skipped("no instrument of the study has a total score")
    column = f"{instrument}_total"
    data = scores.scored
    waves = sorted(data["wave"].dropna().unique()) if "wave" in data else [None]
    fig, axes = plt.subplots(1, len(waves), figsize=(4.5 * len(waves), 3.2), sharey=True, squeeze=False)
    for ax, wave in zip(axes[0], waves, strict=True):
        values = (data[column] if wave is None else data.loc[data["wave"] == wave, column]).dropna()
        shares = values.round().value_counts(normalize=True).sort_index() * 100
        ax.bar(shares.index, shares.to_numpy(), width=0.9)
        ax.set_title(f"wave {wave}" if wave is not None else "")
        ax.set_xlabel(f"{scores.study.instruments[instrument].name.get('en', instrument)}: total")
    axes[0][0].set_ylabel("percent of respondents scored")
    fig.tight_layout()
    return fig


def study_instruments(study: Study) -> list[Instrument]:
    """The study's instruments (its own file beside study.yaml first, else the library's), in its order."""
    return list(study.instruments.values())


def item_points(df: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Each item's points (reverse keying applied) for the items that make up the total."""
    rules = (instrument.scoring or {}).get("item_rules") or {}
    reverse = set((rules.get("reverse") or {}).get("items", ()))
    return pd.DataFrame({
        item: pd.to_numeric(df[item], errors="coerce").map(option_points(instrument, item, reverse=item in reverse))
        for item in instrument.item_ids if item in df.columns
    }, index=df.index)


def _reliability_tables(responses: pd.DataFrame, scored: pd.DataFrame, instruments: list[Instrument],
                        district: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables, items = [], []
    for instrument in instruments:
        total = (instrument.scoring or {}).get("total") or {}
        if total.get("rule") not in ("sum", "mean") or len(instrument.item_ids) < 2:
            continue
        eligible = scored[f"{instrument.id}_status"].isin(["complete", "prorated", "not_scorable"]).to_numpy()
        points = item_points(responses.loc[eligible], instrument)
        points[district] = responses.loc[eligible, district]
        low, high = total.get("range", [None, None])
        result = reliability(points, instrument.item_ids, by=district, group_errors="record",
                             score_range=(low, high) if low is not None else None)
        tables.append(result.to_frame().assign(instrument=instrument.id))
        items.append(result.item_stats.assign(instrument=instrument.id))
    table = pd.concat(tables, ignore_index=True)
    item_table = pd.concat(items, ignore_index=True)
    front = ["instrument", district, "scope"]
    return (table[front + [c for c in table.columns if c not in front]],
            item_table[front + [c for c in item_table.columns if c not in front]])


def score_study(study: Study | str | Path, *, write: bool = True) -> StudyScores:
    """Score every instrument of a study, and measure reliability overall and by district.

    Reads ``processed/responses.parquet`` (running intake first when it is missing) and, with
    ``write=True``, writes the files :func:`outputs` lists. Rows are never dropped: a
    respondent an instrument cannot score gets a status saying why.
    """
    if not isinstance(study, Study):
        study = load_study(study)
    source = study.paths.responses
    if not source.is_file():
        from survey.intake import ingest

        ingest(study.config_file)
    require_manifest(study.processed_dir, study.paths.intake_manifest.name, (source.name,),
                     f"run `survey ingest {study.config_file}` again")
    responses = pd.read_parquet(source)
    instruments = study_instruments(study)
    overrides = {i.id: study.instrument_options(i.id) for i in instruments}
    scores = score(responses, instruments, overrides=overrides)
    scored = pd.concat([responses, scores], axis=1)
    status = pd.concat(
        [score_summary(scores, i).assign(instrument=i.id) for i in instruments], ignore_index=True
    )[["instrument", "status", "n", "percent"]]
    rel, item_stats = _reliability_tables(responses, scores, instruments, study.district_column)
    result = StudyScores(study=study, scored=scored, status=status, reliability=rel, item_stats=item_stats)
    if write:
        paths = study.paths
        write_parquet(paths.scored, scored)
        write_csv(paths.scoring_summary, status)
        write_csv(paths.reliability, rel)
        write_csv(paths.reliability_items, item_stats)
        write_manifest(paths.processed, [p.name for p in outputs(study)],
                       {"step": "scoring", "study": study.id, "software_version": __version__,
                        "responses_sha256": sha256_of(source)}, name=paths.scoring_manifest.name)
    return result


def load_scores(study: Study | str | Path) -> StudyScores:
    """The last scoring's result, read back from ``processed/``."""
    from survey.errors import InputFileError

    study = study if isinstance(study, Study) else load_study(study)
    paths = study.paths
    missing = [p for p in outputs(study) if not p.is_file()]
    if missing:
        raise InputFileError(f"{missing[0]}: not found; run `survey score {study.config_file}`")
    return StudyScores(study=study, scored=pd.read_parquet(paths.scored), status=pd.read_csv(paths.scoring_summary),
                       reliability=pd.read_csv(paths.reliability), item_stats=pd.read_csv(paths.reliability_items))
