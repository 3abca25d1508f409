"""Result objects of the effect analyses: ``to_frame()`` for code, ``summary()`` for people.

* :class:`ModelResult` — a fitted model: coefficients with SE, CI, df, p-values, the
  covariance matrix and how it was computed.
* :class:`EffectResult` — a tidy table of effects (one row per outcome x model x inference
  method, or per test), with a description and any notes.

Columns shared by every effect table: ``estimate``, ``se``, ``ci_low``, ``ci_high``,
``p_value`` and ``method`` (how the SE/CI/p-value were obtained). Missing values in them are
never silent: the ``note`` column says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from survey.results import Result


def _format(table: pd.DataFrame, digits: int) -> str:
    shown = table.copy()
    if "note" in shown.columns and not shown["note"].astype(bool).any():
        shown = shown.drop(columns=["note"])
    return shown.to_string(index=False, float_format=lambda v: f"{v:.{digits}g}")


@dataclass(frozen=True, eq=False)
class ModelResult(Result):
    """Coefficients of a fitted model with their covariance.

    Attributes
    ----------
    params : Series
        Coefficients by model-matrix column name.
    cov : DataFrame
        Covariance matrix of ``params`` (design-based, cluster-robust, ... see ``method``).
    df : float
        Degrees of freedom of the t reference distribution (``inf``: normal).
    method : str
        How ``cov`` was computed, e.g. ``"design (linearisation)"`` or ``"CR1 by district"``.
    description : str
        Model, family, outcome and data in one line.
    n : int
        Rows used in the fit.
    level : float
        Level of the intervals in :meth:`to_frame`.
    extra : dict
        Other numbers a caller may want (e.g. ``degf`` of the design, the statsmodels fit).
    """

    params: pd.Series
    cov: pd.DataFrame
    df: float
    method: str
    description: str
    n: int
    level: float = 0.95
    extra: dict = field(default_factory=dict, repr=False)

    @property
    def bse(self) -> pd.Series:
        """Standard errors."""
        return pd.Series(np.sqrt(np.diag(self.cov.to_numpy())), index=self.params.index)

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Wald intervals ``estimate +/- t_{df} se`` (normal quantile when ``df`` is inf)."""
        level = self.level if level is None else level
        q = stats.t.ppf(0.5 + level / 2, self.df) if np.isfinite(self.df) else stats.norm.ppf(0.5 + level / 2)
        se = self.bse
        return pd.DataFrame({"ci_low": self.params - q * se, "ci_high": self.params + q * se})

    def to_frame(self, level: float | None = None) -> pd.DataFrame:
        """One row per coefficient: term, estimate, se, statistic, df, p_value, ci_low, ci_high, method."""
        se = self.bse
        with np.errstate(invalid="ignore", divide="ignore"):
            statistic = self.params / se
        if np.isfinite(self.df):
            p = 2 * stats.t.sf(np.abs(statistic), self.df)
        else:
            p = 2 * stats.norm.sf(np.abs(statistic))
        ci = self.conf_int(level)
        return pd.DataFrame(
            {
                "term": self.params.index,
                "estimate": self.params.to_numpy(),
                "se": se.to_numpy(),
                "statistic": statistic.to_numpy(),
                "df": self.df,
                "p_value": p,
                "ci_low": ci["ci_low"].to_numpy(),
                "ci_high": ci["ci_high"].to_numpy(),
                "method": self.method,
            }
        )

    def title(self) -> str:
        return self.description

    def summary(self, digits: int = 4) -> str:
        """The coefficient table under a header saying what was fitted and how."""
        header = f"{self.description}\n{self.n} rows; SE: {self.method}; df {self.df:g}; {int(self.level * 100)}% CI"
        return header + "\n" + _format(self.to_frame().drop(columns=["method"]), digits)

    def __repr__(self) -> str:
        return self.summary()


@dataclass(frozen=True, eq=False)
class EffectResult(Result):
    """A tidy table of effect estimates or test results, with what produced them.

    Attributes
    ----------
    table : DataFrame
        Columns depend on the analysis; effect tables have at least ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``p_value`` and ``method``.
    description : str
        One line: the analysis, the outcome, the data.
    models : dict
        The fitted :class:`ModelResult` objects behind the table, by name.
    extra : dict
        Further numbers (group means for plots, bootstrap draws counts, ...).
    """

    table: pd.DataFrame
    description: str
    models: dict = field(default_factory=dict, repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self.table.copy()

    def title(self) -> str:
        return self.description

    def summary(self, digits: int = 4) -> str:
        """The table under its description, numbers to ``digits`` significant digits."""
        return self.description + "\n" + _format(self.table, digits)

    def __repr__(self) -> str:
        return self.summary()
