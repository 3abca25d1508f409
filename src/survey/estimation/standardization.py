"""Direct standardisation: rates as if every domain had the age (and sex) mix of a standard.

:func:`standardize` re-weights the design so that, within each domain of ``over`` (e.g.
wave x district), the weighted share of each ``by`` cell (age group) equals its share in a
standard population, keeping the domain's weighted total. It is a post-stratification to the
cells ``by x over``, so the standard errors of every estimate on the returned design are
design-based with the standardisation accounted for, as R's ``svystandardize``.

Standard populations ship with the package (:func:`standard_population`:
``who_world_standard_2001``, ``china_2020_census``; see ``survey/reference_data/README.md``)
in 5-year age groups; :func:`aggregate_standard` sums them into a survey's adult age groups.

References
----------
Ahmad, O. B. et al. (2001). Age standardization of rates: a new WHO standard. GPE Discussion
Paper Series No. 31, World Health Organization.
Lumley, T. (2010). *Complex Surveys*, section 7.2 (standardisation as post-stratification).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from survey.errors import ColumnError, ConfigError
from survey.estimation.calibration import CalibrationStep
from survey.estimation.design import Design
from survey.estimation.grouping import group_rows
from survey.estimation.weighting import _as_list, _poststratify_weights, match_cells

SHIPPED = ("who_world_standard_2001", "china_2020_census")
STANDARD_COLUMNS = ("age_group", "age_low", "age_high", "population")


def standard_population(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """A standard population in 5-year age groups, with its metadata in ``attrs``.

    Parameters
    ----------
    name : str
        A shipped data set (``who_world_standard_2001``, ``china_2020_census``) or the path of
        a CSV with the columns ``age_group, age_low, age_high, population`` (relative to
        ``root``, e.g. a study folder).
    root : path, optional

    Returns
    -------
    DataFrame
        Columns ``age_group``, ``age_low``, ``age_high`` (NaN for an open group),
        ``population``; ``attrs["metadata"]`` holds the YAML header (source, licence, status).

    Examples
    --------
    >>> who = standard_population("who_world_standard_2001")
    >>> int(who["population"].sum()), who.attrs["metadata"]["status"]
    (100035, 'published values')
    """
    if name in SHIPPED:
        folder = resources.files("survey.reference_data")
        table = pd.read_csv(folder.joinpath(f"{name}.csv"))
        metadata = yaml.load(folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8"),
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    else:
        path = Path(root or ".") / name
        if not path.is_file():
            raise ConfigError(
                f"standard_population: expected one of {', '.join(SHIPPED)} or a CSV file, found {name!r}"
            )
        table = pd.read_csv(path)
        metadata = {"id": name, "source": str(path)}
    missing = [c for c in STANDARD_COLUMNS if c not in table.columns]
    if missing:
        raise ColumnError(f"standard population {name!r}: expected columns {', '.join(missing)}")
    table.attrs["metadata"] = metadata
    return table


def aggregate_standard(
    standard: pd.DataFrame, breaks: Sequence[float], labels: Sequence[str], column: str = "population"
) -> pd.DataFrame:
    """Sum a 5-year standard into the survey's age groups (uniform spread within a group).

    Target group ``k`` covers ages ``[breaks[k], breaks[k+1])``, the last one is open. A source
    group ``[low, high]`` (whole years) contributes the fraction of its years that fall in
    the target group, e.g. 18-19 takes 2/5 of 15-19. Ages below ``breaks[0]`` are left out;
    an open source group (e.g. 100+) goes wholly to the target group holding its lower bound.

    Examples
    --------
    >>> who = standard_population("who_world_standard_2001")
    >>> aggregate_standard(who, [18, 30, 45, 60, 75], ["18-29", "30-44", "45-59", "60-74", "75+"]).values.tolist()
    [['18-29', 19538.0], ['30-44', 21350.0], ['45-59', 15960.0], ['60-74', 8890.0], ['75+', 3065.0]]
    """
    if len(breaks) != len(labels):
        raise ConfigError(
            f"age groups: expected one label per break, found {len(breaks)} breaks and {len(labels)} labels"
        )
    if list(breaks) != sorted(breaks):
        raise ConfigError(f"age groups: expected increasing breaks, found {list(breaks)}")
    low = standard["age_low"].to_numpy(dtype=float)
    high = pd.to_numeric(standard["age_high"], errors="coerce").to_numpy(dtype=float)
    counts = standard[column].to_numpy(dtype=float)
    starts = np.asarray(breaks, dtype=float)
    ends = np.append(starts[1:], np.inf)
    open_group = np.isnan(high)
    width = np.where(open_group, 1.0, high - low + 1)
    # years of each source group inside each target group: overlap of [low, high+1) and [start, end)
    overlap = np.clip(
        np.minimum(np.where(open_group, low + 1, high + 1)[:, None], ends[None, :])
        - np.maximum(low[:, None], starts[None, :]),
        0,
        None,
    )
    totals = (counts[:, None] * overlap / width[:, None]).sum(axis=0)
    return pd.DataFrame({"age_group": list(labels), column: totals})


def standardize(
    design: Design,
    by: str | Sequence[str],
    population: pd.DataFrame,
    *,
    over: str | Sequence[str] | None = None,
    count: str = "population",
    excluding_missing: str | Sequence[str] | None = None,
    name: str = "standardised_weight",
) -> Design:
    """Re-weight the design to a standard population's ``by`` distribution within ``over``.

    For every cell ``b`` of ``by`` and ``o`` of ``over`` the target weight total is
    ``share_b x W_o``: the standard's share of ``b`` (among the ``by`` cells of the sample)
    times the sample's weighted total of ``o``. The design is post-stratified to these totals
    (cells without sample are left out), so a mean or proportion by ``over`` on the returned
    design is the directly standardised rate, with a design-based SE.

    Parameters
    ----------
    design : Design
    by : str or list of str
        Standardisation variables, e.g. ``"age_group"`` or ``["age_group", "sex"]``.
    population : DataFrame
        Standard population: the ``by`` columns and ``count``. Cells of the standard that the
        sample does not have are ignored (the shares are taken among the sample's cells;
        with several ``by`` columns, among all combinations of their levels in the sample).
    over : str or list of str, optional
        Domains to standardise within (e.g. ``["wave", "district"]``); default: whole sample.
    count : str, default "population"
    excluding_missing : str or list of str, optional
        Leave out rows where any of these columns is missing before computing the margins
        (e.g. the outcome, for an indicator defined in a sub-population): their weight
        becomes 0 and they take no part in the standardisation, as R's ``excluding.missing``
        (which drops them). On a design that is already calibrated R keeps such rows in the
        new post-stratification with weight 0 (and gives them a residual); here they stay
        out of it.
    name : str, default "standardised_weight"

    Returns
    -------
    Design

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1., 1, 1, 1], "p": [1, 2, 3, 4], "age": ["young", "old", "old", "old"],
    ...                    "y": [1, 0, 0, 1]})
    >>> std = pd.DataFrame({"age": ["young", "old"], "population": [50, 50]})
    >>> d = standardize(Design(df, weight="w", psu="p"), "age", std)
    >>> d.weights().tolist()
    [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]

    R: ``svystandardize(design, by=~age, over=~1, population=c(old=50, young=50))``
    (population in the order of ``svytable(~age, design)``).
    """
    by = _as_list(by)
    over = _as_list(over) if over is not None else []
    data = design.data
    for column in [*by, *over]:
        if column not in data.columns:
            raise ColumnError(f"standardize: column {column!r} not found in the data")
    weights = design.weights()
    excluded = np.zeros(len(data), dtype=bool)
    if excluding_missing is not None:
        for column in _as_list(excluding_missing):
            if column not in data.columns:
                raise ColumnError(f"standardize: excluding_missing column {column!r} not found in the data")
            excluded |= data[column].isna().to_numpy()
    kept = ~excluded
    weights = np.where(kept, weights, 0.0)
    kept_data = data[kept]

    # the standard's shares among the by-cells of the sample (all combinations of levels present)
    levels = [pd.unique(kept_data[c].dropna()) for c in by]
    cross = pd.MultiIndex.from_product(levels, names=by).to_frame(index=False)
    cell_of_cross, standard = match_cells(cross, population, by, count, "standardize: standard population")
    absent = cell_of_cross < 0
    if absent.any():
        shown = ", ".join(f"{c}={cross.loc[absent, c].iloc[0]!r}" for c in by)
        raise ColumnError(f"standardize: the standard population has no row for the sample's cell {shown}")
    share = standard[count].to_numpy(dtype=float)[cell_of_cross]
    share = share / share.sum()

    # the sample's weighted total of each over-cell
    if over:
        over_groups = group_rows([kept_data[c] for c in over])
        over_totals = over_groups.sum(weights[kept])
        over_values = kept_data[over].iloc[over_groups.first].reset_index(drop=True)
    else:
        over_totals = np.array([weights.sum()])
        over_values = pd.DataFrame(index=[0])
    target = cross.loc[np.repeat(np.arange(len(cross)), len(over_values))].reset_index(drop=True)
    for column in over:
        target[column] = np.tile(over_values[column].to_numpy(), len(cross))
    target[count] = np.repeat(share, len(over_values)) * np.tile(over_totals, len(cross))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cells without sample are expected here
        new, margin = _poststratify_weights(
            data, weights, [*by, *over], target, count, True, "standardize", exclude=excluded
        )
    source = population.attrs.get("metadata", {}).get("id", "a standard population")
    within = f" within {' x '.join(over)}" if over else ""
    step = CalibrationStep("poststratify", (margin,), f"standardised by {' x '.join(by)}{within} to {source}")
    return design.with_calibration(np.where(kept, new, 0.0), step, name=name)
