"""Weighted GLMs fitted on the distinct rows ("cells") of the model matrix.

A model matrix made of factors (district and wave fixed effects, categorical covariates) has
far fewer distinct rows than respondents: 180,000 respondents of a 100-county province fall in
about 20,000 cells. For a canonical link (identity, logit, log) the weighted likelihood depends
on the rows of a cell only through the cell's row ``x_c``, its weight total ``W_c = sum w_i``
and its weighted outcome total ``sum w_i y_i``:

    score(beta) = sum_c x_c (sum_{i in c} w_i y_i - W_c mu_c),   A = sum_c W_c V(mu_c) x_c x_c'

so the fit on cells is the same estimator as the fit on rows, at a fraction of the cost.
Newton's method (= IRLS for a canonical link) is run on the cells, in increment form
``beta <- beta + A^{-1} score(beta)``: at convergence the score is zero to rounding, whatever
the accuracy of the solve. Each row's influence value ``x_i' A^{-1} w_i (y_i - mu_i)`` is the
cell's ``x_c' A^{-1}`` times the row's weighted residual.

Numbers agree with statsmodels' GLM (IRLS with a final pseudo-inverse step, R's ``glm``) to
rounding, not bit for bit: sums over cells add in a different order (tested: 1e-12 relative
on coefficients and design-based and CR1 standard errors).

Example
-------
>>> X = np.array([[1., 0], [1, 0], [1, 1], [1, 1]])
>>> cells = distinct_rows(X)
>>> cells.X.tolist(), cells.of_row.tolist()
([[1.0, 0.0], [1.0, 1.0]], [0, 0, 1, 1])
>>> fit = fit_on_cells(cells, np.array([1., 3, 2, 6]), np.ones(4), "gaussian")
>>> fit.params.tolist()
[2.0, 2.0]

R: ``glm(y ~ x, weights=w)`` gives the same coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit

from survey.errors import ConfigError

_CANONICAL = ("gaussian", "binomial", "poisson")


@dataclass(frozen=True)
class Cells:
    """The distinct rows of a model matrix and the cell of every row.

    Attributes
    ----------
    X : numpy.ndarray, shape (m, k)
        The distinct rows, in order of first appearance.
    of_row : numpy.ndarray of int, shape (n,)
        Cell of every row of the matrix (``X[of_row]`` is the matrix, exactly).
    """

    X: np.ndarray
    of_row: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.X)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Per-cell totals of one value per row."""
        return np.bincount(self.of_row, weights=values, minlength=self.n_cells)

    def by_cluster(self, codes: np.ndarray, values: np.ndarray, n_clusters: int) -> sp.csr_matrix:
        """(clusters x cells) totals of one value per row: ``M @ f(X)`` is ``sum_i f(x_i) value_i`` per cluster."""
        return sp.csr_matrix((values, (codes, self.of_row)), shape=(n_clusters, self.n_cells))


def distinct_rows(X: np.ndarray) -> Cells:
    """Group the rows of ``X`` into cells of identical rows.

    Rows are keyed by a fixed random projection (cells numbered in order of first appearance)
    and the grouping is then checked element for element: rows in one cell are always
    identical. (Were two different rows ever to share a key, every row becomes its own cell:
    slower, never wrong.)
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    if n == 0:
        return Cells(X=X, of_row=np.zeros(0, dtype=np.int64))
    keys = X @ np.random.default_rng(20231).uniform(1.0, 2.0, size=k)
    codes, _ = pd.factorize(keys)
    codes = codes.astype(np.int64)
    _, first = np.unique(codes, return_index=True)
    unique = X[first]
    identical = all(np.array_equal(unique[codes[s:s + 50_000]], X[s:s + 50_000]) for s in range(0, n, 50_000))
    if not identical:
        return Cells(X=X.copy(), of_row=np.arange(n, dtype=np.int64))
    return Cells(X=unique, of_row=codes)


def _mean_function(family: str):
    """Inverse link and variance function of a canonical-link family."""
    if family == "gaussian":
        return (lambda eta: eta), (lambda mu: np.ones_like(mu))
    if family == "binomial":
        return expit, (lambda mu: mu * (1 - mu))
    if family == "poisson":
        return np.exp, (lambda mu: mu)
    raise ConfigError(f"family: expected one of {', '.join(_CANONICAL)}, found {family!r}")


def gram(Xc: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``Xc' diag(weights) Xc`` for weights >= 0 (as ``B'B`` with ``B = sqrt(weights) Xc``: BLAS's symmetric
    product, half the work)."""
    B = Xc * np.sqrt(weights)[:, None]
    return B.T @ B


def _start(family: str, mean_y: np.ndarray, overall: float) -> np.ndarray:
    """Linear predictor of the first IRLS step (statsmodels' start, ``mu = (y + mean(y)) / 2``, per cell)."""
    mu = (mean_y + overall) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        if family == "binomial":
            return np.log(mu / (1 - mu))
        if family == "poisson":
            return np.log(mu)
    return mu


@dataclass(frozen=True)
class CellFit:
    """A weighted GLM fitted on cells: coefficients, information, fitted means per cell, iterations."""

    params: np.ndarray
    information: np.ndarray
    mu: np.ndarray
    iterations: int
    converged: bool


def fit_on_cells(cells: Cells, y: np.ndarray, weights: np.ndarray, family: str, *, tol: float = 1e-13,
                 maxiter: int = 200) -> CellFit:
    """Weighted maximum likelihood of a canonical-link GLM (identity, logit, log) on cells.

    The first step is an IRLS step from statsmodels' starting means; then Newton increments
    until successive coefficients agree to ``tol`` (absolute and relative, statsmodels'
    ``tol_criterion="params"``). ``converged`` is False when ``maxiter`` steps do not get there
    or a coefficient is not finite.
    """
    inverse_link, variance = _mean_function(family)
    W = cells.sums(weights)
    Wy = cells.sums(weights * y)
    Xc = cells.X
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = _start(family, Wy / W, float(Wy.sum() / W.sum()))
        mu = inverse_link(eta)
        v = variance(mu)
        working = eta + (Wy / W - mu) / v
    if not (np.all(np.isfinite(working)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        k = Xc.shape[1]
        return CellFit(np.full(k, np.nan), np.full((k, k), np.nan), mu, 0, False)
    A = gram(Xc, W * v)
    try:
        beta = np.linalg.solve(A, Xc.T @ (W * v * working))
    except np.linalg.LinAlgError:
        k = Xc.shape[1]
        return CellFit(np.full(k, np.nan), np.full((k, k), np.nan), mu, 1, False)
    converged, iterations = False, 1
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(2, maxiter + 1):
            iterations = step
            mu = inverse_link(Xc @ beta)
            if family != "gaussian":  # the gaussian information does not depend on beta
                A = gram(Xc, W * variance(mu))
            try:
                new = beta + np.linalg.solve(A, Xc.T @ (Wy - W * mu))
            except np.linalg.LinAlgError:  # information singular to working precision: separation
                break
            if not np.all(np.isfinite(new)):
                beta = new
                break
            done = np.allclose(new, beta, atol=tol, rtol=tol)
            beta = new
            if done:
                converged = True
                break
        mu = inverse_link(Xc @ beta)
        information = A if family == "gaussian" else gram(Xc, W * variance(mu))
    return CellFit(params=beta, information=information, mu=mu, iterations=iterations,
                   converged=converged and bool(np.all(np.isfinite(beta))))


def cell_influence(cells: Cells, fit: CellFit, y: np.ndarray, weights: np.ndarray,
                   a_inv: np.ndarray) -> np.ndarray:
    """Influence values of the coefficients, one row per model row: ``x_i' A^{-1} w_i (y_i - mu_i)``."""
    residual = weights * (y - fit.mu[cells.of_row])
    return (cells.X @ a_inv)[cells.of_row] * residual[:, None]
