"""Model matrices from a formula, with the rows a model leaves out recorded, never hidden.

Every model in :mod:`survey.effects` starts here: the formula (R/patsy syntax, e.g.
``"y ~ treated + C(district) + C(wave)"``) is evaluated on the data, rows with a missing value
in any variable the formula uses are left out of the fit, and the positions of the rows kept
are returned so that weights, strata, PSUs and clusters line up with the model rows. Factors
use treatment coding with the first (sorted) level as reference, as R's default contrasts do.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows


@dataclass(frozen=True)
class ModelFrame:
    """The response, the model matrix and which data rows they come from.

    Attributes
    ----------
    y : numpy.ndarray, shape (n,)
    X : numpy.ndarray, shape (n, k)
    names : list of str
        Column names of ``X`` (patsy names: ``Intercept``, ``C(sex)[T.2.0]``, ...).
    rows : numpy.ndarray of int
        Positions (0-based, in the data given) of the rows used.
    n_data : int
        Rows in the data given (used + left out for a missing value).
    outcome : str
        Left-hand side of the formula.
    formula : str
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    rows: np.ndarray
    n_data: int
    outcome: str
    formula: str

    @property
    def n(self) -> int:
        return len(self.y)

    def column(self, name: str) -> int:
        """Position of model-matrix column ``name`` (a one-line error lists the columns)."""
        if name not in self.names:
            raise ConfigError(
                f"term {name!r}: not a column of the model matrix of {self.formula!r} "
                f"(columns: {', '.join(self.names[:12])}{' ...' if len(self.names) > 12 else ''})"
            )
        return self.names.index(name)


def plain_columns(data: pd.DataFrame, categorical: Sequence[str] = ()) -> pd.DataFrame:
    """A copy patsy can read: nullable numbers as float with NaN, strings as objects.

    Columns in ``categorical`` (and text columns) become pandas Categoricals with sorted
    levels: patsy codes those in one vectorised step instead of value by value.
    """
    out = {}
    for column in data.columns:
        series = data[column]
        dtype = series.dtype
        if (column in categorical or pd.api.types.is_string_dtype(dtype)
                                      or pd.api.types.is_object_dtype(dtype)) and not isinstance(
            dtype, pd.CategoricalDtype
        ):
            values = series.astype("float64") if pd.api.types.is_numeric_dtype(dtype) else series
            levels = sorted(pd.unique(values.dropna()))
            out[column] = pd.Categorical(values, categories=levels)
        elif isinstance(dtype, pd.CategoricalDtype):
            out[column] = series
        elif pd.api.types.is_bool_dtype(dtype):
            out[column] = series.astype("float64") if series.isna().any() else series.astype(bool)
        elif pd.api.types.is_numeric_dtype(dtype):
            out[column] = series.astype("float64")
        elif pd.api.types.is_string_dtype(dtype):
            out[column] = series.astype(object).where(series.notna(), None)
        else:
            out[column] = series
    return pd.DataFrame(out, index=pd.RangeIndex(len(data)))


#: While :func:`shared_model_matrices` is active: (id of the data, right-hand side) -> (data, matrix of the
#: rows complete on the right-hand side). The data are held so that their id cannot be reused.
_SHARED: ContextVar[dict | None] = ContextVar("shared_model_matrices", default=None)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


@contextmanager
def shared_model_matrices() -> Iterator[None]:
    """Within this block, formulas with the same right-hand side on the same data build its matrix once.

    The model matrix of ``y ~ terms`` on the rows complete in ``y`` and ``terms`` is the matrix
    of ``~ terms`` (rows complete in ``terms``) restricted to the rows where ``y`` is present:
    factor levels come from the whole column (:func:`plain_columns`), so they do not depend on
    which rows a model drops. Several models of different outcomes on the same terms (the
    pilot-effects table) then share one patsy evaluation. Only plain numeric outcome columns
    take the shared path; the data must not change inside the block.

    Example
    -------
    >>> with shared_model_matrices():                       # doctest: +SKIP
    ...     a = model_frame("y1 ~ C(g) + x", data)
    ...     b = model_frame("y2 ~ C(g) + x", data)          # the matrix of ~ C(g) + x is reused
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared_frame(formula: str, outcome: str, data: pd.DataFrame, cache: dict) -> ModelFrame | None:
    """The model frame from a shared right-hand-side matrix, or None where the shared path does not apply."""
    import patsy

    lhs, rhs = (part.strip() for part in formula.split("~", 1))
    series = data[outcome]
    if (lhs != outcome or not _NAME.fullmatch(outcome) or outcome in set(_NAME.findall(rhs))
            or not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)):
        return None
    key = (id(data), rhs)
    if key not in cache:
        used = formula_variables(rhs, data.columns)
        factors = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", rhs))
        plain = plain_columns(data[used], categorical=[c for c in used if c in factors])
        short, rename = categorical_shortcut(rhs, plain)
        try:
            X = patsy.dmatrix(short, plain, return_type="dataframe", NA_action="drop")
        except patsy.PatsyError:
            return None  # the usual path says what is wrong
        cache[key] = (data, X.index.to_numpy(dtype=np.int64), X.to_numpy(dtype=float), [rename(c) for c in X.columns])
    _, complete, X, names = cache[key]
    y = series.to_numpy(dtype=float, na_value=np.nan)[complete]
    present = ~np.isnan(y)
    if not present.any():
        return None
    return ModelFrame(y=y[present], X=X[present], names=names, rows=complete[present], n_data=len(data),
                      outcome=outcome, formula=formula)


_BARE_C = re.compile(r"\bC\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)")


def categorical_shortcut(formula: str, plain: pd.DataFrame) -> tuple[str, Callable[[str], str]]:
    """``formula`` with ``C(x)`` written ``x`` where ``x`` is already a pandas Categorical, and the renaming back.

    patsy codes a Categorical column from its codes, but ``C()`` of one goes value by value
    (one Python call per row and factor). The two spellings give the same columns; only the
    names differ (``x[T.a]`` for ``C(x)[T.a]``), and the returned function renames them back.
    """
    names = []
    for name in dict.fromkeys(_BARE_C.findall(formula)):
        if name not in plain.columns or not isinstance(plain[name].dtype, pd.CategoricalDtype):
            continue
        rest = re.sub(rf"\bC\(\s*{re.escape(name)}\s*\)", " ", formula)
        if re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_.])", rest):
            continue  # also used bare: leave it as written
        names.append(name)
    if not names:
        return formula, lambda column: column
    short = formula
    for name in names:
        short = re.sub(rf"\bC\(\s*{re.escape(name)}\s*\)", name, short)
    back = re.compile(r"(^|:)(" + "|".join(re.escape(n) for n in names) + r")\[")
    return short, lambda column: back.sub(lambda m: f"{m.group(1)}C({m.group(2)})[", column)


def formula_variables(formula: str, columns) -> list[str]:
    """Data columns a formula names (to check they exist and to copy only those)."""
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", formula))
    return [c for c in columns if c in names]


def model_frame(formula: str, data: pd.DataFrame) -> ModelFrame:
    """Evaluate ``formula`` on ``data``; rows with a missing model variable are left out.

    Parameters
    ----------
    formula : str
        ``"outcome ~ terms"`` in patsy syntax (as R's ``lm``/``glm`` formulas).
    data : DataFrame

    Returns
    -------
    ModelFrame

    Raises
    ------
    ColumnError
        A variable of the formula is not a column, or no row is complete.
    ConfigError
        The formula has no ``~`` or cannot be evaluated.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1., 2, None, 4], "g": ["a", "b", "a", "b"]})
    >>> mf = model_frame("y ~ C(g)", df)
    >>> mf.names, mf.rows.tolist()
    (['Intercept', 'C(g)[T.b]'], [0, 1, 3])
    """
    import patsy

    if not isinstance(formula, str) or "~" not in formula:
        raise ConfigError(f"formula: expected 'outcome ~ terms', found {formula!r}")
    outcome = formula.split("~", 1)[0].strip()
    quoted = re.fullmatch(r"""Q\(\s*["'](.+)["']\s*\)""", outcome)  # Q("api.stu"): a name patsy cannot parse
    outcome = quoted.group(1) if quoted else outcome
    if outcome not in data.columns:
        raise ColumnError(
            f"outcome column {outcome!r}: not found in the data (columns: "
            f"{', '.join(map(str, list(data.columns)[:12]))}{' ...' if data.shape[1] > 12 else ''})"
        )
    cache = _SHARED.get()
    if cache is not None:
        shared = _shared_frame(formula, outcome, data, cache)
        if shared is not None:
            return shared
    used = formula_variables(formula, data.columns)
    factors = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", formula))
    plain = plain_columns(data[used], categorical=[c for c in used if c in factors and c != outcome])
    lhs, rhs = formula.split("~", 1)
    short, rename = categorical_shortcut(rhs, plain)
    try:
        try:
            y, X = patsy.dmatrices(f"{lhs}~{short}", plain, return_type="dataframe", NA_action="drop")
        except patsy.PatsyError:
            if short == rhs:
                raise
            rename = lambda column: column  # noqa: E731 - as written, for patsy's own message
            y, X = patsy.dmatrices(formula, plain, return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as error:
        message = str(error).splitlines()[0]
        raise ConfigError(f"formula {formula!r}: cannot be evaluated on the data: {message}") from None
    if len(X) == 0:
        raise ColumnError(
            f"formula {formula!r}: no row has all of {', '.join(used)} present "
            f"({len(data)} rows, all with a missing value)"
        )
    if y.shape[1] != 1:
        raise ConfigError(f"formula {formula!r}: expected one outcome column, found {y.shape[1]}")
    rows = X.index.to_numpy(dtype=np.int64)
    return ModelFrame(
        y=y.iloc[:, 0].to_numpy(dtype=float),
        X=X.to_numpy(dtype=float),
        names=[rename(c) for c in X.columns],
        rows=rows,
        n_data=len(data),
        outcome=outcome,
        formula=formula,
    )


def _rank(A: np.ndarray, m_rows: int) -> int:
    """numpy's ``matrix_rank`` of a matrix with ``m_rows`` rows whose Gram matrix is ``A'A`` (tolerance
    ``S.max() * max(m_rows, N) * eps``, as for the matrix itself)."""
    if A.size == 0:
        return 0
    S = np.linalg.svd(A, compute_uv=False)
    return int(np.count_nonzero(S > S.max() * max(m_rows, A.shape[1]) * np.finfo(S.dtype).eps))


def _clearly_full_rank(B: np.ndarray) -> bool:
    """True when the eigenvalues of ``B'B`` show a smallest singular value above 1e-3 of the largest.

    That is ~1e6 times numpy's rank tolerance (``S.max() * max(M, N) * eps``, ~2e-10 of the largest
    for a million rows), and the eigenvalues' own rounding (~``M * eps`` of the largest eigenvalue,
    ~2e-10 for a million rows) is far below the 1e-6 they are compared with, so the SVD would
    find full rank too; anything less clear-cut goes to the SVD, as before.
    """
    if B.shape[0] < B.shape[1] or B.shape[1] == 0:
        return False
    eigenvalues = np.linalg.eigvalsh(B.T @ B)
    return bool(eigenvalues[0] > 1e-6 * eigenvalues[-1] > 0)


def check_full_rank(frame: ModelFrame, weights: np.ndarray | None = None, cells=None) -> None:
    """Raise when model-matrix columns are collinear (R would report them as NA: aliased).

    A one-line error names the columns that are linear combinations of the others. With
    ``cells`` (:func:`survey.effects.cells.distinct_rows` of ``frame.X``) the singular values
    come from the distinct rows scaled by the square root of their weight totals: the same
    Gram matrix as the weighted rows, so the same singular values, at a fraction of the cost.
    """
    if cells is None:
        X = frame.X if weights is None else frame.X * np.sqrt(weights)[:, None]
        X = X[np.any(X != 0, axis=1)] if len(X) > 0 else X
        m_rows = len(X)
    else:
        w = np.ones(frame.n) if weights is None else weights
        totals = cells.sums(w)
        nonzero = np.any(cells.X != 0, axis=1) & (totals > 0)
        m_rows = int(np.count_nonzero(nonzero[cells.of_row] & (w > 0)))
        X = (cells.X * np.sqrt(totals)[:, None])[nonzero]
        if _clearly_full_rank(X):
            return
    if _rank(X, m_rows) == X.shape[1]:
        return
    # find the aliased columns: those that do not raise the rank when added in order
    aliased, kept = [], []
    for j, name in enumerate(frame.names):
        trial = kept + [j]
        if _rank(X[:, trial], m_rows) == len(trial):
            kept = trial
        else:
            aliased.append(name)
    raise ConfigError(
        f"formula {frame.formula!r}: expected linearly independent terms, found aliased columns "
        f"{', '.join(aliased[:6])}{' ...' if len(aliased) > 6 else ''} (R would estimate them as NA); "
        "drop the terms or a fixed effect they duplicate"
    )


def binary_outcome(frame: ModelFrame, data: pd.DataFrame) -> None:
    """Raise unless the outcome only takes the values 0 and 1 (for binomial models)."""
    bad = ~np.isin(frame.y, (0.0, 1.0))
    if bad.any():
        labels = data.index.to_numpy()[frame.rows[bad]]
        raise ColumnError(
            f"outcome column {frame.outcome!r}: expected 0/1 for a binomial model, found "
            f"{frame.y[bad][0]:g} in {example_rows(labels)}"
        )
