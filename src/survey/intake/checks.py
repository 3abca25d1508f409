"""Checks that stop intake rather than let wrong numbers through.

* :func:`check_shifted_codes`: an ``answers: codes`` input that declares neither ``code_base``
  nor ``code_maps``, in which no answer to an instrument uses an item's lowest code while some
  use a code above the item's highest, was almost surely exported with options numbered from
  1: scoring it would be silently wrong, so intake stops and names the fix.
* :func:`stop_reasons`: an input whose every row was rejected, or an instrument of an input
  with more than ``intake.max_set_missing_share`` of its answered cells set missing (out of
  range, or an identifier in an answer field), stops intake after the findings are counted.
  Answers the study declared as no answer (``missing_values``) do not count.

Example
-------
>>> check_shifted_codes(numbers, instrument, spec, columns, rows, where)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from survey.errors import ColumnError, SurveyError, example_rows

if TYPE_CHECKING:
    from survey.study import Study

#: Default of ``intake.max_set_missing_share``.
MAX_SET_MISSING_SHARE = 0.05
#: Issues whose cells count as "set missing" against the share.
SET_MISSING_ISSUES = ("code_out_of_range", "identifier_in_field")


class IntakeStopped(SurveyError):
    """Intake found what it cannot pass on (see the message); ``result`` holds every finding."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


def check_shifted_codes(numbers: dict[str, pd.Series], codes: dict[str, list[int]], *, instrument: str,
                        input_id: str, file: str, columns: dict[str, str], rows: pd.Series) -> None:
    """Raise ColumnError when no item uses its lowest code and some use one above their highest.

    ``numbers`` maps each item to its parsed export codes; ``codes`` to the instrument's valid codes.
    """
    if not numbers:
        return
    lowest_used = False
    above = np.zeros(len(rows), bool)
    above_count, example_column = 0, None
    for item, values in numbers.items():
        valid = codes[item]
        lowest_used |= bool((values == min(valid)).any())
        high = (values > max(valid)).to_numpy(dtype=bool, na_value=False)
        if high.any() and example_column is None:
            example_column = columns[item]
        above_count += int(high.sum())
        above |= high
    if lowest_used or not above_count:
        return
    lows = sorted({min(c) for c in codes.values()})
    highs = sorted({max(c) for c in codes.values()})
    raise ColumnError(
        f"{file}: the {instrument} answers look shifted: no answer uses the lowest code "
        f"{'/'.join(map(str, lows))} and {above_count} use codes above the highest {'/'.join(map(str, highs))} "
        f"(e.g. column {example_column!r}, {example_rows(rows[above])}); if the export numbers options from 1, "
        f"set `code_base: 1` for input {input_id!r} in study.yaml, or give `code_maps`; if these are the "
        "instrument's own codes, set `code_base: 0`")


def max_set_missing_share(study: Study) -> float:
    return float(study.config.intake.max_set_missing_share)


def stop_reasons(result) -> list[str]:
    """One line per reason intake must stop (empty when none)."""
    study = result.study
    reasons = []
    counts = result.counts()
    files = {spec.id: spec.path.name for spec in study.inputs}
    report = result.report
    for spec in study.inputs:
        row = counts.loc[spec.id]
        if row.rows_in and row.rows_kept == 0:
            reasons.append(f"{files[spec.id]}: every row ({row.rows_in}) was rejected; most common reason "
                           f"{_main_reason(report, spec.id)}: check the column mapping of input {spec.id!r}")
    limit = max_set_missing_share(study)
    for (input_id, instrument), (bad, cells, column) in result.set_missing_cells().items():
        if cells and bad / cells > limit:
            reasons.append(f"{files[input_id]}: {bad} of {cells} answered {instrument} cells "
                           f"({bad / cells:.1%}) were set missing (out of range or not an answer; e.g. column "
                           f"{column!r}), more than intake.max_set_missing_share = {limit:g}; check the input's "
                           "code_base/code_maps/missing_values, or raise the share in study.yaml")
    return reasons


def _main_reason(report: pd.DataFrame, input_id: str) -> str:
    rejected = report[(report["input"] == input_id) & (report["action"] == "rejected")]
    if rejected.empty:
        return "unknown"
    top = rejected.groupby(["issue", "column"]).size().sort_values(ascending=False)
    (issue, column), _ = next(iter(top.items()))
    return f"{issue} (column {column!r})"
