"""The one base of the workspace's result objects, and what a step or section returns when a study cannot have it.

Every analysis that produces more than one number returns a :class:`Result`: ``to_frame()``
gives the tidy table for code, ``summary()`` the text for people, and a notebook shows a
heading and the table (``_repr_html_``, with every text escaped). :class:`Skipped` is what a
notebook cell or report section gets for a study that cannot support it (no pilot, one wave,
no margins): one sentence saying why.

======================= ============================== ==================================
result                  returned by                    ``to_frame()``
======================= ============================== ==================================
EstimateResult          estimate, proportion, mean,    one row per domain
                        total, ratio
QuantileResult          quantile, median               one row per domain x quantile
ComparisonResult        domain_difference, rao_scott   one row per test or contrast
ModelResult             svyglm                         one row per coefficient
EffectResult            did, event_study, did_mixed,   one row per outcome x model x method
                        interrupted_time_series, ...
WildBootstrapResult     wild_cluster_bootstrap         one row
AlphaResult             cronbach_alpha                 one row
OmegaResult             omega_total                    one row
FloorCeiling            floor_ceiling                  one row
ReliabilityResult       reliability                    one row per group (overall first)
ValidationResult        validate, ingest               one row per finding (cell or row)
StudyScores             the scoring step               the scored responses
PrevalenceTables        the estimation step            the prevalence table (long)
ReportRun               report                         one row per district
StudyDraft              survey init                    one row per header of each export
Skipped                 a step the study cannot have   one row: the reason
======================= ============================== ==================================

Example
-------
>>> Skipped("no pilot programme declared (`pilot:`)")
Skipped: no pilot programme declared (`pilot:`)
>>> isinstance(Skipped("one wave"), Result)
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd


class Result:
    """Base class of every result: ``to_frame()`` (subclasses define it), ``summary()``, ``_repr_html_()``.

    Subclasses may refine what a notebook shows: :meth:`title` (one line above the table,
    default the first line of :meth:`summary`) and :meth:`display_frame` (default
    :meth:`to_frame`; a result whose tidy table is the whole data shows a summary table).
    """

    def to_frame(self) -> pd.DataFrame:
        """The tidy table, for code."""
        raise NotImplementedError(f"{type(self).__name__} defines no to_frame()")

    def summary(self) -> str:
        """A readable text, for people (default: the table)."""
        return self.to_frame().to_string(index=False)

    def title(self) -> str:
        """One line saying what the result is (the heading a notebook shows; default: the summary's first)."""
        lines = self.summary().splitlines()
        return lines[0] if lines else type(self).__name__

    def display_frame(self) -> pd.DataFrame:
        """The table a notebook shows (default: :meth:`to_frame`)."""
        return self.to_frame()

    def _repr_html_(self) -> str:
        table = self.display_frame()
        return (f'<div class="survey-result"><p><strong>{html.escape(self.title())}</strong></p>'
                f"{table.to_html(escape=True, max_rows=60, max_cols=30, notebook=True)}</div>")


@dataclass(frozen=True)
class Skipped(Result):
    """Something the study cannot support, and in one sentence why (falsy; shows as that sentence)."""

    reason: str

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Skipped: {self.reason}"

    def _repr_html_(self) -> str:
        return f"<p><em>Skipped: {html.escape(self.reason)}</em></p>"

    def title(self) -> str:
        return repr(self)

    def summary(self) -> str:
        return repr(self)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"skipped": [self.reason]})
