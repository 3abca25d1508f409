"""Floor and ceiling shares of a sum score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ColumnError, example_rows
from survey.results import Result

# ---------------------------------------------------------------------------------------
# floor and ceiling
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloorCeiling(Result):
    """Shares of complete respondents at the lowest and highest possible sum score."""

    floor_share: float
    ceiling_share: float
    n_scored: int
    score_range: tuple[float, float]

    def to_frame(self) -> pd.DataFrame:
        """One row: floor_share, ceiling_share, n_scored, score_low, score_high."""
        return pd.DataFrame([{"floor_share": self.floor_share, "ceiling_share": self.ceiling_share,
                              "n_scored": self.n_scored, "score_low": self.score_range[0],
                              "score_high": self.score_range[1]}])

    def title(self) -> str:
        return f"Floor and ceiling shares of {self.n_scored} complete sum scores in {list(self.score_range)}"


def _check_score_range(score_range: object) -> tuple[float, float]:
    try:
        if isinstance(score_range, (str, bytes)):
            raise TypeError
        low, high = (float(v) for v in score_range)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ColumnError(
            f"score_range must be two numbers (lowest, highest possible total); found {score_range!r}"
        ) from None
    if not low < high:
        raise ColumnError(f"score_range must have lowest < highest; found {score_range!r}")
    return low, high


def floor_ceiling(items: pd.DataFrame, score_range: tuple[float, float]) -> FloorCeiling:
    """Share of respondents whose sum score is the lowest / highest possible.

    Parameters
    ----------
    items : DataFrame
        Keyed numeric item columns. Only respondents who answered every item are scored.
    score_range : (low, high)
        The possible range of the sum of the items (e.g. ``(0, 27)`` for the PHQ-9).

    Returns
    -------
    FloorCeiling
        ``floor_share``, ``ceiling_share`` (fractions of ``n_scored``), ``n_scored``.

    Raises
    ------
    ColumnError
        If a sum score falls outside ``score_range`` (wrong range, or unreversed items).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"q1": [0, 3, 1, 0], "q2": [0, 3, 2, None]})
    >>> fc = floor_ceiling(items, (0, 6))
    >>> fc.floor_share, fc.ceiling_share, fc.n_scored
    (0.3333333333333333, 0.3333333333333333, 3)

    R: ``tot <- rowSums(items); tot <- tot[!is.na(tot)]; mean(tot == 0); mean(tot == 6)``.
    """
    low, high = _check_score_range(score_range)
    x, names = _floor_ceiling_items(items)
    complete = ~np.isnan(x).any(axis=1)
    totals = x[complete].sum(axis=1)
    index = items.index[complete]
    outside = (totals < low) | (totals > high)
    if outside.any():
        raise ColumnError(
            f"floor_ceiling: sum of {', '.join(names)} falls outside score_range "
            f"{low:g}-{high:g} (found {totals[outside].min():g}-{totals[outside].max():g}) at "
            f"{example_rows(index[outside])}; check the range and the reverse-keyed items"
        )
    if not len(totals):
        raise ColumnError(f"floor_ceiling: no respondent answered every item of {', '.join(names)}")
    return FloorCeiling(
        floor_share=float(np.mean(totals == low)),
        ceiling_share=float(np.mean(totals == high)),
        n_scored=int(len(totals)),
        score_range=(low, high),
    )


def _floor_ceiling_items(items: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Type checks only (constant items are fine for a floor/ceiling count)."""
    if not isinstance(items, pd.DataFrame) or items.shape[1] == 0:
        raise ColumnError("floor_ceiling: expected a DataFrame with at least one item column")
    bad = [str(c) for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
    if bad:
        raise ColumnError(
            f"floor_ceiling: item columns must be numeric; non-numeric columns {', '.join(bad)}"
        )
    return items.to_numpy(dtype=float, na_value=np.nan), [str(c) for c in items.columns]

