"""Pipeline step 3, estimation: prevalence of the key indicators, city and by district."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from survey.study import Study


def run(study: Study | str | Path, echo: Callable[[str], None] = print) -> Study:
    """Estimate crude, raked and standardised prevalence; print the city table and the outputs."""
    from survey.estimation.study import prevalence_tables

    tables = prevalence_tables(study)
    prevalence = tables.prevalence
    echo(f"[estimate] {tables.study.id}: {prevalence['indicator'].nunique()} indicators x "
         f"{prevalence['wave'].nunique()} waves x {prevalence['district'].nunique()} areas x "
         f"{prevalence['method'].nunique()} methods; {int((prevalence['flag'] == 'suppress').sum())} suppressed")
    for line in tables.summary().splitlines():
        echo(f"           {line}")
    for path in tables.paths:
        echo(f"  {path}")
    return tables.study
