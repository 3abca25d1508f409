"""Result objects: the numbers for code (``to_frame()``), a table for people (``summary()``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from survey.results import Result


@dataclass(frozen=True, eq=False)
class EstimateResult(Result):
    """Domain estimates of one statistic.

    Attributes
    ----------
    table : DataFrame
        One row per domain: the ``by`` columns, then ``estimate``, ``se``, ``ci_low``,
        ``ci_high``, ``df``, ``deff``, ``n`` (rows used), ``n_weighted`` (sum of their
        weights), ``cv`` (se / estimate), ``ci_method`` and ``note`` (why a value is missing).
    stat, outcome, denominator, by, level, df_rule, deff_rule :
        How the table was computed.
    design : str
        One-line description of the design.
    """

    table: pd.DataFrame
    stat: str
    outcome: str
    by: tuple[str, ...]
    level: float
    ci_method: str
    df_rule: str
    deff_rule: str | None
    design: str
    denominator: str | None = None
    covariance: pd.DataFrame | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table.copy()

    def title(self) -> str:
        """What was estimated and how, in one line."""
        what = self.outcome if self.denominator is None else f"{self.outcome} / {self.denominator}"
        return (
            f"{self.stat} of {what}"
            + (f" by {', '.join(self.by)}" if self.by else "")
            + f"; {int(self.level * 100)}% CI: {self.ci_method}; df: {self.df_rule}"
            + (f"; deff: {self.deff_rule}" if self.deff_rule else "")
        )

    def summary(self, digits: int = 4) -> str:
        """A readable table with a header saying what was estimated and how."""
        header = self.title() + f"\n{self.design}"
        shown = self.table.drop(columns=["ci_method"])
        if not shown["note"].astype(bool).any():
            shown = shown.drop(columns=["note"])
        return header + "\n" + shown.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}")

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class ComparisonResult(Result):
    """A test or a contrast: a tidy table of statistics plus a description."""

    table: pd.DataFrame
    description: str

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table.copy()

    def title(self) -> str:
        return self.description

    def summary(self, digits: int = 4) -> str:
        """The description, then the table."""
        return self.description + "\n" + self.table.to_string(
            index=False, float_format=lambda v: f"{v:.{digits}g}"
        )

    def __repr__(self) -> str:
        return self.summary()
