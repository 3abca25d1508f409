"""The auxiliary variables of a calibration as R's ``model.matrix`` builds them.

:func:`model_matrix` reads a one-sided formula such as ``"~stype + sch.wide"`` or
``"~stype * api99 - 1"`` and returns the matrix and its column names exactly as R names them
(``(Intercept)``, ``stypeH``, ``sch.wideYes``, ``stypeH:api99``), so population totals can be
given as R takes them, by name. Coding follows R's rules:

* a numeric column is one column; any other column (text, category, boolean) is a factor
  whose levels are the categories of a pandas ``Categorical`` or else the sorted values
  (booleans are ``FALSE``/``TRUE``); ``categorical=`` makes numeric columns factors;
* a factor is coded by treatment contrasts (the first level dropped) when the term without it
  is in the model (the intercept counts as the empty term), else by one indicator per level;
  without an intercept the first factor is coded by indicators;
* ``a*b`` is ``a + b + a:b``; terms are ordered by their number of variables, and within an
  interaction the first variable's levels vary fastest and variables keep their order of first
  appearance in the formula.

Functions of columns (``factor()``, ``I()``, ``log()``) are not parsed: make a column.

Example
-------
>>> df = pd.DataFrame({"stype": ["E", "H", "M", "E"], "api99": [600., 550, 700, 640]})
>>> X, names = model_matrix(df, "~stype + api99")
>>> names
['(Intercept)', 'stypeH', 'stypeM', 'api99']

R: ``colnames(model.matrix(~stype + api99, df))``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows

_TERM = re.compile(r"^[^\s+*:~()]+$")


def parse_formula(formula: str | Sequence[str]) -> tuple[bool, list[tuple[str, ...]]]:
    """The intercept flag and the terms (tuples of column names, R's order) of a formula.

    A list of column names means their main effects with an intercept.

    Examples
    --------
    >>> parse_formula("~a*b - 1")
    (False, [('a',), ('b',), ('a', 'b')])
    """
    if not isinstance(formula, str):
        formula = " + ".join(formula)
    text = formula.strip()
    if text.startswith("~"):
        text = text[1:]
    if "~" in text:
        raise ConfigError(f"formula {formula!r}: expected a one-sided formula such as '~stype + api99'")
    intercept = True
    terms: list[tuple[str, ...]] = []
    order: dict[str, int] = {}
    for sign, part in re.findall(r"([+-]?)\s*([^+-]+)", text.replace(" ", "")):
        if part in ("0", "1"):
            intercept = (part == "1") != (sign == "-")
            continue
        if sign == "-":
            raise ConfigError(f"formula {formula!r}: only '- 1' can be subtracted, found '- {part}'")
        if "*" in part:
            factors = part.split("*")
            expanded = [tuple(c for i, c in enumerate(factors) if mask >> i & 1)
                        for mask in range(1, 2 ** len(factors))]
        else:
            expanded = [tuple(part.split(":"))]
        for term in expanded:
            for name in term:
                if not _TERM.match(name):
                    raise ConfigError(
                        f"formula {formula!r}: {name!r} is not a column name (functions such as factor() or "
                        "log() are not read; make a column)"
                    )
                order.setdefault(name, len(order))
            term = tuple(sorted(dict.fromkeys(term), key=order.__getitem__))
            if term not in terms:
                terms.append(term)
    if not terms and not intercept:
        raise ConfigError(f"formula {formula!r}: no terms")
    terms.sort(key=len)
    return intercept, terms


def _levels(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    return sorted(pd.unique(values.dropna()))


def _level_name(level) -> str:
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


def model_matrix(
    data: pd.DataFrame, formula: str | Sequence[str], *, categorical: Sequence[str] = ()
) -> tuple[np.ndarray, list[str]]:
    """The model matrix of a one-sided formula and R's names of its columns.

    Parameters
    ----------
    data : DataFrame
    formula : str or list of str
        E.g. ``"~stype + sch.wide"``, ``"~stype*api99"``, ``"~api99 - 1"``.
    categorical : list of str
        Numeric columns to code as factors.

    Returns
    -------
    (numpy.ndarray, list of str)

    Raises
    ------
    ColumnError
        A column not in the data, or with missing values (R would drop those rows and the
        calibration could not match the design's rows).
    """
    intercept, terms = parse_formula(formula)
    variables = list(dict.fromkeys(v for term in terms for v in term))
    codes: dict[str, tuple[np.ndarray, list[str]] | None] = {}
    for name in variables:
        if name not in data.columns:
            raise ColumnError(f"calibration formula: column {name!r} not found in the data")
        column = data[name]
        missing = column.isna().to_numpy()
        if missing.any():
            raise ColumnError(
                f"calibration variable {name!r}: expected no missing values, found {int(missing.sum())} in "
                f"{example_rows(data.index[missing])}"
            )
        numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
        if numeric and name not in categorical:
            codes[name] = None
        else:
            levels = _levels(column)
            index = pd.Index(levels).get_indexer(column)
            codes[name] = (index, [f"{name}{_level_name(v)}" for v in levels])
    n = len(data)
    columns: list[np.ndarray] = [np.ones(n)] if intercept else []
    names: list[str] = ["(Intercept)"] if intercept else []
    present: set[tuple[str, ...]] = {()} if intercept else set()
    for term in terms:
        parts: list[tuple[np.ndarray, list[str]]] = []
        for name in term:
            rest = tuple(v for v in term if v != name)
            if codes[name] is None:
                parts.append((data[name].to_numpy(dtype=float)[:, None], [name]))
                continue
            index, labels = codes[name]
            full = np.zeros((n, len(labels)))
            full[np.arange(n), index] = 1.0
            if rest in present:
                parts.append((full[:, 1:], labels[1:]))
            else:
                parts.append((full, labels))
                if not rest:
                    present.add(())
        block, block_names = parts[0]
        for values, labels in parts[1:]:
            # the earlier variables vary fastest
            block = (values[:, :, None] * block[:, None, :]).reshape(n, -1)
            block_names = [f"{a}:{b}" for b in labels for a in block_names]
        columns.append(block)
        names += block_names
        present.add(term)
    matrix = np.column_stack(columns) if columns else np.zeros((n, 0))
    return matrix, names
