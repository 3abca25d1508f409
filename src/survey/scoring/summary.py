"""How many respondents each instrument could score, and how."""

from __future__ import annotations

import pandas as pd

from survey.errors import ColumnError
from survey.instruments import Instrument
from survey.scoring.engine import STATUSES


def score_summary(scored: pd.DataFrame, instrument: str | Instrument) -> pd.DataFrame:
    """Count respondents by scoring status for one instrument.

    Parameters
    ----------
    scored : pandas.DataFrame
        The output of ``survey.scoring.score``.
    instrument : str or Instrument
        Which instrument (its ``<id>_status`` column is counted).

    Returns
    -------
    pandas.DataFrame
        One row per status in the fixed order complete, prorated, not_scorable,
        not_eligible, invalid (zero counts included), with columns ``status``, ``n`` and
        ``percent`` (of all rows), and a last row ``total``.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.scoring import score, score_summary
    >>> answers = pd.DataFrame({f"gad7_{i}": [1, 2, None] for i in range(1, 8)})
    >>> score_summary(score(answers, ["gad7"]), "gad7")["n"].tolist()
    [2, 0, 1, 0, 0, 3]
    """
    instrument_id = instrument.id if isinstance(instrument, Instrument) else str(instrument)
    column = f"{instrument_id}_status"
    if column not in scored.columns:
        found = [c for c in scored.columns if str(c).endswith("_status")]
        raise ColumnError(
            f"score_summary: expected a column {column!r} from survey.scoring.score, found status columns {found}"
        )
    counts = scored[column].value_counts(sort=False).reindex(list(STATUSES), fill_value=0)
    total = int(counts.sum())
    table = pd.DataFrame({"status": [*STATUSES, "total"], "n": [*(int(c) for c in counts), total]})
    table["percent"] = (100.0 * table["n"] / total) if total else 0.0
    return table
