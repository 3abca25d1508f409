"""Group rows by several key columns at once, without a Python loop over rows.

Every estimator in this package reduces the data to weighted sums per group (domain x PSU,
stratum x PSU, ...). pandas' multi-key ``groupby`` is general but slow on a million rows;
here each key is turned into integer codes once (integers in a small range directly, other
values by hashing with ``pandas.factorize``), the codes are combined into one integer and
the sums are taken with ``numpy.bincount``. Missing key values form their own group (callers
decide what a missing domain means), so no row is dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

_CODE_LIMIT = 2**62


@dataclass(frozen=True)
class Groups:
    """Group index of every row, the number of groups and one row of each group.

    Attributes
    ----------
    index : numpy.ndarray of int64
        ``index[i]`` is the group (0 .. count-1) of row ``i``.
    count : int
        Number of groups.
    first : numpy.ndarray of int64
        The position of one row of each group (a representative, not necessarily the first),
        so ``key[first]`` gives the key values of each group.
    """

    index: np.ndarray
    count: int
    first: np.ndarray

    def sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Per-group sum of ``values`` (per-group row count when ``values`` is None)."""
        if values is None:
            return np.bincount(self.index, minlength=self.count).astype(np.int64)
        return np.bincount(self.index, weights=values, minlength=self.count)


def _codes(key, n: int) -> tuple[np.ndarray, int]:
    """Integer codes 0..cardinality-1 (not necessarily all used) for one key."""
    if isinstance(key, pd.Series):
        if isinstance(key.dtype, pd.CategoricalDtype):
            codes = key.cat.codes.to_numpy().astype(np.int64)
            k = len(key.cat.categories)
            return np.where(codes < 0, k, codes), k + 1  # missing: its own code
        if key.dtype.kind in "iub":
            key = key.to_numpy()
    if isinstance(key, np.ndarray) and key.dtype.kind in "iub" and len(key):
        values = key.astype(np.int64, copy=False)
        low, high = int(values.min()), int(values.max())
        if high - low < max(2 * n, 1 << 16):
            return (values - low if low else values), high - low + 1
    codes, uniques = pd.factorize(key, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), max(len(uniques), 1)


def group_rows(keys: Sequence) -> Groups:
    """Group rows by the combination of ``keys`` (arrays or Series of equal length).

    Examples
    --------
    >>> g = group_rows([np.array([1, 1, 2, 2]), np.array(["a", "b", "a", "a"])])
    >>> g.count, g.index.tolist()
    (3, [0, 1, 2, 2])
    """
    if not keys:
        raise ValueError("group_rows needs at least one key")
    n = len(keys[0])
    combined, span = None, 1
    for key in keys:
        codes, cardinality = _codes(key, n)
        if combined is None:
            combined, span = codes, cardinality
            continue
        if span * cardinality >= _CODE_LIMIT:  # keep the combined code inside int64
            combined, span = _compact(combined)
        combined = combined * cardinality + codes
        span *= cardinality
    if n == 0:
        return Groups(index=combined, count=0, first=np.zeros(0, dtype=np.int64))
    if span <= max(4 * n, 1 << 20):
        present = np.zeros(span, dtype=bool)
        present[combined] = True
        mapping = np.cumsum(present) - 1
        index = mapping[combined]
        count = int(mapping[-1]) + 1
    else:
        index, count = _compact(combined)
    first = np.empty(count, dtype=np.int64)
    first[index] = np.arange(n)  # any row of the group will do
    return Groups(index=index, count=count, first=first)


def _compact(codes: np.ndarray) -> tuple[np.ndarray, int]:
    index, uniques = pd.factorize(codes)
    return index.astype(np.int64, copy=False), max(len(uniques), 1)
