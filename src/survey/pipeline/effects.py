"""Pipeline step, effects: the pilot's difference-in-differences effect on the key indicators."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from survey.study import Study, load_study


def run(study: Study | str | Path, echo: Callable[[str], None] = print, *, output: Path | None = None,
        B: int = 9999, mixed: bool = True, finite_population_correction: bool = False) -> Study:
    """Estimate the pilot effects, print the main rows (and truth coverage) and the output path."""
    from survey.effects.study import pilot_effects

    if not isinstance(study, Study):
        study = load_study(study)
    result = pilot_effects(study, output=output, B=B, mixed=mixed,
                           finite_population_correction=finite_population_correction)
    table = result.table
    echo(f"[effects] {study.id}: {result.description}")
    shown = table[table["model"].isin(["did_lpm", "did_linear"])]
    for row in shown.itertuples():
        truth = "" if row.truth != row.truth else f"  truth {row.truth:+.4f} {'inside' if row.covers else 'OUTSIDE'}"
        echo(f"          {row.indicator:<11} {row.method:<15} {row.estimate:+.4f} "
             f"[{row.ci_low:+.4f}, {row.ci_high:+.4f}] p={row.p_value:.3f}{truth}")
    echo(f"  {result.extra['path']}")
    return study
