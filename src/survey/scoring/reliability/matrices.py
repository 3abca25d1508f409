"""Item matrices and correlation building blocks shared by alpha and omega (vectorised over respondents)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from survey.errors import ColumnError, example_rows

MissingPolicy = Literal["pairwise", "listwise"]
CIMethod = Literal["feldt", "duhachek"]
MISSING_POLICIES = ("pairwise", "listwise")
CI_METHODS: tuple[CIMethod, ...] = ("feldt", "duhachek")

# ---------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------


def _item_matrix(
    items: pd.DataFrame, *, missing: str, min_items: int, caller: str
) -> tuple[np.ndarray, list[str]]:
    """Check the items and return them as a float array (rows: respondents kept)."""
    if not isinstance(items, pd.DataFrame):
        raise ColumnError(f"{caller}: expected a DataFrame of item columns, found {type(items).__name__}")
    if missing not in MISSING_POLICIES:
        raise ColumnError(
            f"{caller}: missing must be one of {', '.join(MISSING_POLICIES)}; found {missing!r}"
        )
    names = [str(c) for c in items.columns]
    duplicated = sorted({c for c in names if names.count(c) > 1})
    if duplicated:
        raise ColumnError(f"{caller}: item columns must be unique; found duplicates {', '.join(duplicated)}")
    if len(names) < min_items:
        raise ColumnError(
            f"{caller}: needs at least {min_items} item columns; found {len(names)}"
            f" ({', '.join(names) or 'none'})"
        )
    bad_type = [
        str(c) for c in items.columns
        if not (pd.api.types.is_numeric_dtype(items[c]) and not pd.api.types.is_complex_dtype(items[c]))
    ]
    if bad_type:
        first = items[bad_type[0]]
        converted = pd.to_numeric(first, errors="coerce")
        bad_rows = first.index[converted.isna() & first.notna()]
        detail = (
            f"; e.g. column {bad_type[0]} at {example_rows(bad_rows)}" if len(bad_rows)
            else f" (column {bad_type[0]} holds numbers stored as {first.dtype}; convert with pd.to_numeric)"
        )
        raise ColumnError(
            f"{caller}: item columns must be numeric; non-numeric columns "
            f"{', '.join(bad_type)}{detail}"
        )
    x = items.to_numpy(dtype=float, na_value=np.nan)
    infinite = ~np.isfinite(x) & ~np.isnan(x)
    if infinite.any():
        cols = [names[j] for j in np.flatnonzero(infinite.any(axis=0))]
        raise ColumnError(
            f"{caller}: item columns hold infinite values: {', '.join(cols)} at "
            f"{example_rows(items.index[infinite.any(axis=1)])}"
        )
    answered = ~np.isnan(x)
    keep = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    x = x[keep]
    if x.shape[0] < 2:
        rule = "with every item answered" if missing == "listwise" else "with at least one item answered"
        raise ColumnError(
            f"{caller}: needs at least 2 respondents {rule} in {', '.join(names)}; found {x.shape[0]}"
        )
    observed = ~np.isnan(x)
    spread = np.nanmax(x, axis=0) - np.nanmin(x, axis=0)
    constant = [names[j] for j in range(len(names)) if observed[:, j].sum() < 2 or spread[j] == 0]
    if constant:
        raise ColumnError(
            f"{caller}: items without variance (constant or fewer than 2 answers): "
            f"{', '.join(constant)}; drop them or check the data"
        )
    return x, names


# ---------------------------------------------------------------------------------------
# correlation building blocks (vectorised over respondents)
# ---------------------------------------------------------------------------------------


def _pair_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sums over the respondents who answered both items of every pair.

    Returns (count, sum_i, sum_sq_i, cross, column_means); ``sum_i[i, j]`` sums item i over
    the respondents who answered i and j. Items are centred on their own means first, which
    leaves covariances unchanged and avoids cancellation.
    """
    observed = ~np.isnan(x)
    mask = observed.astype(float)
    centre = np.nanmean(x, axis=0)
    xc = np.where(observed, x - centre, 0.0)
    count = mask.T @ mask
    sum_i = xc.T @ mask
    sum_sq_i = (xc * xc).T @ mask
    cross = xc.T @ xc
    return count, sum_i, sum_sq_i, cross, centre


def _check_pair_counts(count: np.ndarray, names: Sequence[str], caller: str) -> None:
    few = np.argwhere(np.triu(count < 2, k=1))
    if len(few):
        i, j = few[0]
        raise ColumnError(
            f"{caller}: items {names[i]} and {names[j]} are answered together by "
            f"{int(count[i, j])} respondent(s); pairwise covariances need at least 2"
            + (f" (+{len(few) - 1} more pairs)" if len(few) > 1 else "")
        )


def _pairwise_cov(x: np.ndarray, names: Sequence[str], caller: str) -> np.ndarray:
    """``cov(x, use = "pairwise")``: each covariance from the respondents answering both."""
    count, sum_i, _, cross, _ = _pair_sums(x)
    _check_pair_counts(count, names, caller)
    return (cross - sum_i * sum_i.T / count) / (count - 1.0)


def _pairwise_cor(x: np.ndarray, names: Sequence[str], caller: str) -> np.ndarray:
    """``cor(x, use = "pairwise")``: means and sds also from each pair's respondents."""
    count, sum_i, sum_sq_i, cross, _ = _pair_sums(x)
    _check_pair_counts(count, names, caller)
    cov = (cross - sum_i * sum_i.T / count) / (count - 1.0)
    spread = sum_sq_i - sum_i**2 / count
    # a constant item leaves rounding residue of order eps * sum of squares, not exact zero
    constant = spread <= 64 * np.finfo(float).eps * sum_sq_i
    var_in_pair = spread / (count - 1.0)
    denom = var_in_pair * var_in_pair.T
    flat = np.argwhere(np.triu(constant | constant.T, k=1))
    if len(flat):
        i, j = flat[0]
        raise ColumnError(
            f"{caller}: items {names[i]} and {names[j]} have no variance among the respondents "
            "who answered both; their correlation is undefined"
        )
    r = cov / np.sqrt(denom)
    np.fill_diagonal(r, 1.0)
    return r


def _cov_to_cor(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    return c / np.outer(sd, sd)


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations as ``psych::smc``: 1 - 1/diag(pseudo-inverse), in [0, 1]."""
    inverse = np.linalg.pinv(r, rtol=np.sqrt(np.finfo(float).eps))
    return np.clip(1.0 - 1.0 / np.diag(inverse), 0.0, 1.0)

