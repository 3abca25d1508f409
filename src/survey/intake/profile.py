"""Who is in the sample: counts and shares by group, unweighted and weighted, and item missingness.

These are the first tables a researcher looks at after intake (notebook 01): does the sample
look like the population once weighted, and which questionnaires lost answers.

Example
-------
>>> import pandas as pd
>>> from survey.intake.profile import sample_profile
>>> df = pd.DataFrame({"sex": ["f", "f", "m"], "w": [1.0, 1.0, 2.0]})
>>> table = sample_profile(df, "sex", weight="w")
>>> table[["sex", "n", "percent", "weighted_percent"]].to_dict("records")[0]
{'sex': 'f', 'n': 2, 'percent': 66.7, 'weighted_percent': 50.0}
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from survey.errors import ColumnError
from survey.instruments import Instrument, load_instrument


def _columns(df: pd.DataFrame, names: Sequence[str], caller: str) -> None:
    absent = [c for c in names if c not in df.columns]
    if absent:
        raise ColumnError(
            f"{caller}: columns not in the data: {', '.join(absent)}; found {', '.join(map(str, df.columns[:12]))}…"
        )


def sample_profile(df: pd.DataFrame, variables: str | Sequence[str], *, weight: str | None = None,
                   within: str | Sequence[str] = (), decimals: int = 1) -> pd.DataFrame:
    """Respondents per level of ``variables``: n, percent and (with ``weight``) weighted percent.

    Percentages are taken within each combination of ``within`` (e.g. per wave). A missing
    value is its own level, shown as ``<NA>``, so the counts always add up to the rows.

    Returns a tidy DataFrame: the ``within`` and ``variables`` columns, ``n``, ``percent`` and,
    with a weight, ``weighted_n`` and ``weighted_percent``.
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    within = [within] if isinstance(within, str) else list(within)
    _columns(df, [*within, *variables, *([weight] if weight else [])], "sample_profile")
    keys = [*within, *variables]
    grouped = df.assign(_w=df[weight] if weight else 1.0).groupby(keys, dropna=False, observed=True, sort=True)
    table = grouped.agg(n=("_w", "size"), weighted_n=("_w", "sum")).reset_index()
    share = (lambda col: table[col] / table.groupby(within)[col].transform("sum")) if within else (
        lambda col: table[col] / table[col].sum())
    table["percent"] = (100 * share("n")).round(decimals)
    if weight:
        table["weighted_percent"] = (100 * share("weighted_n")).round(decimals)
        table["weighted_n"] = table["weighted_n"].round(0)
        return table[[*keys, "n", "percent", "weighted_n", "weighted_percent"]]
    return table[[*keys, "n", "percent"]]


def item_missingness(df: pd.DataFrame, instruments: Sequence[str | Instrument], *,
                     within: str | Sequence[str] = (), decimals: int = 2) -> pd.DataFrame:
    """Per instrument: respondents with every item blank, some items blank, none blank.

    Respondents an instrument does not apply to (e.g. AD8 under 60) have every item blank; the
    scoring status (``survey.score``) tells them apart from refusals.
    """
    within = [within] if isinstance(within, str) else list(within)
    _columns(df, within, "item_missingness")
    rows = []
    for entry in instruments:
        instrument = entry if isinstance(entry, Instrument) else load_instrument(entry)
        _columns(df, instrument.item_ids, f"item_missingness ({instrument.id})")
        blanks = df[instrument.item_ids].isna().sum(axis=1)
        k = len(instrument.item_ids)
        kind = pd.Series("none blank", index=df.index).mask(blanks > 0, "some blank").mask(blanks == k, "all blank")
        frame = df[within].assign(instrument=instrument.id, missing=kind)
        rows.append(frame.groupby([*within, "instrument", "missing"], observed=True).size().rename("n"))
    table = pd.concat(rows).unstack("missing", fill_value=0).reset_index()
    for col in ("none blank", "some blank", "all blank"):
        if col not in table:
            table[col] = 0
    table["percent_some_blank"] = (
        100 * table["some blank"] / table[["none blank", "some blank", "all blank"]].sum(axis=1)
    ).round(decimals)
    table.columns.name = None
    return table[[*within, "instrument", "none blank", "some blank", "all blank", "percent_some_blank"]]
