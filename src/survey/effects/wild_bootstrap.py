"""Restricted wild cluster bootstrap (WCR) for one coefficient of a (weighted) linear model.

With few clusters (here: 8 districts) cluster-robust t-tests over-reject badly; the restricted
wild cluster bootstrap of Cameron, Gelbach & Miller (2008) keeps close to the nominal level.
For the hypothesis ``beta_j = r``:

1. fit the model with ``beta_j = r`` imposed (restricted estimate ``beta~``, residuals ``u~``);
2. for every draw ``b`` multiply the restricted residuals of cluster ``g`` by ``v_gb``
   (Rademacher: +-1; Webb: +-sqrt(1/2), +-1, +-sqrt(3/2)), refit and compute the CR1 t-statistic
   ``t*_b``;
3. the p-value is the share of draws with ``|t*_b| > |t|``; the confidence interval is the set
   of ``r`` whose p-value exceeds ``1 - level`` (test inversion).

Nothing is refitted: with ``q = (X'X)^{-1} e_j`` everything the bootstrap needs is linear in ``r``
and in the draws, so all B draws are a few (G x G) @ (G x B) matrix products, and a p-value for a
new ``r`` costs O(B) (Roodman, MacKinnon, Nielsen & Webb 2019, "fast and wild"). Weighted least
squares is bootstrapped as OLS on ``sqrt(w)``-scaled data. With G clusters, Rademacher weights
have only ``2^G`` distinct draws (256 for 8 clusters): they are all enumerated whenever
``2^G <= B``. Webb weights (``6^G`` draws) are sampled.

The statistic matches ``wildboottest.WildboottestCL`` (bootstrap type "11": CR1 with the
small-sample factor ``G/(G-1) (N-1)/(N-k)``, which cancels in the p-value) draw for draw.

References
----------
Cameron, A. C., Gelbach, J. B., & Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. *Review of Economics and Statistics*, 90(3), 414-427.
Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors. *Canadian
Journal of Economics*, 56(3), 839-858.
MacKinnon, J. G., & Webb, M. D. (2018). The wild bootstrap for few (treated) clusters.
*Econometrics Journal*, 21(2), 114-135.
Roodman, D., MacKinnon, J. G., Nielsen, M. O., & Webb, M. D. (2019). Fast and wild: Bootstrap
inference in Stata using boottest. *Stata Journal*, 19(1), 4-60.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from survey.errors import ColumnError, ConfigError
from survey.results import Result

WEIGHT_TYPES = ("rademacher", "webb")
_WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def bootstrap_weights(n_clusters: int, weights_type: str, B: int, seed=None) -> tuple[np.ndarray, bool]:
    """Draws of the cluster multipliers, one column per draw: (G x B) and whether enumerated.

    Rademacher draws are enumerated (all ``2^G`` sign vectors) when ``2^G <= B``; otherwise,
    and always for Webb, ``B`` columns are sampled with ``numpy.random.default_rng(seed)``.

    Examples
    --------
    >>> v, enumerated = bootstrap_weights(3, "rademacher", 999)
    >>> v.shape, enumerated
    ((3, 8), True)
    """
    if weights_type not in WEIGHT_TYPES:
        raise ConfigError(f"weights_type: expected one of {', '.join(WEIGHT_TYPES)}, found {weights_type!r}")
    if not isinstance(B, (int, np.integer)) or B < 1:
        raise ConfigError(f"B: expected a positive whole number of bootstrap draws, found {B!r}")
    if weights_type == "rademacher" and 2**n_clusters <= B:
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=n_clusters)))
        return signs.T.copy(), True
    rng = np.random.default_rng(seed)
    if weights_type == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(n_clusters, B)), False
    return rng.choice(_WEBB_POINTS, size=(n_clusters, B)), False


@dataclass(frozen=True)
class WildBootstrapResult(Result):
    """Outcome of a wild cluster bootstrap test of one coefficient.

    Attributes
    ----------
    term : str
    estimate, se : float
        OLS/WLS estimate and its CR1 standard error (the studentising SE).
    t_stat : float
        ``(estimate - null) / se``.
    null : float
    p_value : float
        Share of bootstrap draws with ``|t*| > |t|`` (symmetric, two-sided).
    ci_low, ci_high : float
        Test-inversion interval at ``level`` (NaN with a note when the search fails).
    weights_type : str
    draws : int
        Number of bootstrap draws used (``2^G`` when enumerated).
    enumerated : bool
    n_clusters : int
    level : float
    note : str
    """

    term: str
    estimate: float
    se: float
    t_stat: float
    null: float
    p_value: float
    ci_low: float
    ci_high: float
    weights_type: str
    draws: int
    enumerated: bool
    n_clusters: int
    level: float
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row with every attribute."""
        return pd.DataFrame([self.__dict__])

    def title(self) -> str:
        how = "all draws enumerated" if self.enumerated else "sampled draws"
        return f"Wild cluster bootstrap (WCR, {self.weights_type}, {self.draws} {how}, {self.n_clusters} clusters)"

    def summary(self) -> str:
        return (
            f"{self.title()}\n"
            f"{self.term}: estimate {self.estimate:.6g}, CR1 se {self.se:.6g}, t {self.t_stat:.4g}, "
            f"p {self.p_value:.4g}; {int(self.level * 100)}% CI [{self.ci_low:.6g}, {self.ci_high:.6g}]"
            + (f"\nnote: {self.note}" if self.note else "")
        )

    def __repr__(self) -> str:
        return self.summary()


class WildClusterBootstrap:
    """Everything the WCR test of one coefficient needs, precomputed once.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, k)
    y : numpy.ndarray, shape (n,)
    cluster : array-like, shape (n,)
        Cluster label of every row (any hashable values).
    column : int
        Position of the tested coefficient in ``X``.
    weights : numpy.ndarray, optional
        Regression weights (WLS); rows are scaled by ``sqrt(w)``. Rows with weight 0 drop out.
    cells : survey.effects.cells.Cells, optional
        The distinct rows of ``X`` (:func:`survey.effects.cells.distinct_rows`, e.g. a svyglm
        fit's ``extra["cells"]``): X'X and the per-cluster sums are then made from the cells,
        the same sums added in another order (agrees with the row path to ~1e-13).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, cluster, column: int, weights: np.ndarray | None = None,
                 cells=None):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ConfigError(f"X and y: expected shapes (n, k) and (n,), found {X.shape} and {y.shape}")
        if not 0 <= column < X.shape[1]:
            raise ConfigError(f"column: expected a position between 0 and {X.shape[1] - 1}, found {column}")
        codes, labels = pd.factorize(pd.Series(np.asarray(cluster)), sort=True, use_na_sentinel=True)
        if (codes < 0).any():
            raise ColumnError(f"cluster: expected a label for every row, found {int((codes < 0).sum())} missing")
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
        keep = w > 0
        G = int(codes[keep].max()) + 1 if keep.any() else 0
        if G < 2:
            raise ConfigError(f"cluster: expected at least 2 clusters for a cluster bootstrap, found {G}")
        n, k = int(keep.sum()), X.shape[1]
        self.n, self.k, self.G, self.column = n, k, G, column
        self.labels = np.asarray(labels)
        if cells is None:
            sums = _row_sums(X, y, codes, w if weights is not None else None, G)
        else:
            sums = _cell_sums(cells, y, codes, w, keep, G)

        xtx_inv = np.linalg.inv(sums.xtx)
        beta = xtx_inv @ sums.xty
        q = xtx_inv[:, column]                       # (X'X)^{-1} e_j
        self.beta_hat = beta
        self.ssc = G / (G - 1) * (n - 1) / (n - k)
        # unrestricted CR1 variance of beta_j
        scores_hat = sums.cluster_scores(beta)                                 # G x k
        self.se = float(np.sqrt(self.ssc * np.sum((scores_hat @ q) ** 2)))

        # restricted estimate beta~(r) = b0 + r b1
        b1 = q / q[column]
        b0 = beta - b1 * beta[column]
        xty_g = sums.xty_g                                                     # G x k
        xtxb0_g = sums.cluster_xtx_times(b0)
        a_g = sums.cluster_xtx_times(q)                                        # rows: Xg'Xg q
        s0 = xty_g - xtxb0_g                                                   # scores s_g(r) = s0 + r s1
        s1 = -a_g / q[column]
        self._C0, self._C1 = s0 @ q, s1 @ q                                    # C_g = q' s_g
        self._H0 = a_g @ xtx_inv @ s0.T                                        # H[g,h] = a_g' (X'X)^-1 s_h
        self._H1 = a_g @ xtx_inv @ s1.T
        self._draws: dict = {}

    @property
    def estimate(self) -> float:
        return float(self.beta_hat[self.column])

    def t_stat(self, null: float = 0.0) -> float:
        return (self.estimate - null) / self.se

    def _prepare(self, v: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per-draw pieces, linear in r: numerator N0 + r N1, sum of squares P0 + 2r P01 + r^2 P1."""
        m0 = np.diag(self._C0) - self._H0
        m1 = np.diag(self._C1) - self._H1
        z0, z1 = m0 @ v, m1 @ v
        return (self._C0 @ v, self._C1 @ v, np.sum(z0 * z0, axis=0), np.sum(z0 * z1, axis=0),
                np.sum(z1 * z1, axis=0))

    def bootstrap_t(self, v: np.ndarray, null: float = 0.0) -> np.ndarray:
        """Bootstrap t-statistics ``t*_b`` for the draws ``v`` (G x B) under ``beta_j = null``."""
        n0, n1, p0, p01, p1 = self._prepare(v)
        return self._t_star((n0, n1, p0, p01, p1), null)

    def _t_star(self, parts, r: float) -> np.ndarray:
        n0, n1, p0, p01, p1 = parts
        ss = np.maximum(p0 + 2 * r * p01 + r * r * p1, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (n0 + r * n1) / np.sqrt(self.ssc * ss)

    def _p_value(self, parts, r: float) -> float:
        t = abs(self.t_stat(r))
        t_star = np.abs(self._t_star(parts, r))
        # |t*| equal to |t| (the draws v = +-1 reproduce the sample) do not count as exceeding
        return float(np.mean(t_star > t * (1 + 1e-10) + 1e-12))

    def test(
        self,
        weights_type: str = "rademacher",
        B: int = 9999,
        null: float = 0.0,
        level: float = 0.95,
        seed=None,
        term: str | None = None,
        v: np.ndarray | None = None,
    ) -> WildBootstrapResult:
        """p-value for ``beta_j = null`` and the test-inversion interval at ``level``.

        Parameters
        ----------
        weights_type : {"rademacher", "webb"}
        B : int, default 9999
            Draws (Rademacher: all ``2^G`` when that is at most ``B``).
        null : float, default 0
        level : float, default 0.95
        seed : int or numpy Generator, optional
        term : str, optional
            Name shown in the result.
        v : numpy.ndarray (G x B), optional
            Own draws (e.g. to reproduce another program's); overrides ``weights_type``/``B``.
        """
        if not 0 < level < 1:
            raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
        if v is None:
            v, enumerated = bootstrap_weights(self.G, weights_type, B, seed)
        else:
            v = np.asarray(v, dtype=float)
            if v.ndim != 2 or v.shape[0] != self.G:
                raise ConfigError(f"v: expected a ({self.G} x B) array of draws, found shape {v.shape}")
            enumerated = False
        parts = self._prepare(v)
        p = self._p_value(parts, null)
        low, high, note = self._interval(parts, 1 - level)
        return WildBootstrapResult(
            term=term or f"column {self.column}",
            estimate=self.estimate,
            se=self.se,
            t_stat=self.t_stat(null),
            null=null,
            p_value=p,
            ci_low=low,
            ci_high=high,
            weights_type=weights_type,
            draws=v.shape[1],
            enumerated=enumerated,
            n_clusters=self.G,
            level=level,
            note=note,
        )

    def _interval(self, parts, alpha: float) -> tuple[float, float, str]:
        """Endpoints where the p-value falls to ``alpha``, by bracketing and bisection."""
        estimate, se = self.estimate, self.se
        if not se > 0:
            return np.nan, np.nan, "CR1 standard error is 0: no bootstrap interval"
        draws = parts[0].size
        if alpha < 2.0 / draws:
            return np.nan, np.nan, (f"{draws} bootstrap draws cannot resolve a p-value of {alpha:g}: "
                                    "no interval")
        ends = []
        for direction in (-1.0, 1.0):
            inner = estimate  # p = 1 at the estimate
            step = se * stats.norm.ppf(1 - alpha / 2)
            outer = estimate + direction * step
            expansions = 0
            while self._p_value(parts, outer) > alpha:
                inner, outer = outer, estimate + direction * step * 2 ** (expansions + 1)
                expansions += 1
                if expansions > 60:
                    return np.nan, np.nan, "the bootstrap p-value stays above alpha: interval unbounded"
            for _ in range(200):  # bisection on the step function p(r) - alpha
                middle = (inner + outer) / 2
                if self._p_value(parts, middle) > alpha:
                    inner = middle
                else:
                    outer = middle
                if abs(outer - inner) <= 1e-12 * max(1.0, abs(estimate), se):
                    break
            ends.append((inner + outer) / 2)
        return float(ends[0]), float(ends[1]), ""


class _RowSums:
    """X'X, X'y and per-cluster sums from the ``sqrt(w)``-scaled rows (the reference computation)."""

    def __init__(self, X, y, codes, G):
        n = len(y)
        self.X, self.y = X, y
        self.to_cluster = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n))
        self.xtx = X.T @ X
        self.xty = X.T @ y
        self.xty_g = np.asarray(self.to_cluster @ (X * y[:, None]))

    def cluster_scores(self, beta):
        """Per cluster: sum_i x_i (y_i - x_i'beta)."""
        u = self.y - self.X @ beta
        return np.asarray(self.to_cluster @ (self.X * u[:, None]))

    def cluster_xtx_times(self, b):
        """Per cluster: X_g'X_g b."""
        return np.asarray(self.to_cluster @ (self.X * (self.X @ b)[:, None]))


def _row_sums(X, y, codes, w, G) -> _RowSums:
    if w is not None:
        keep = w > 0
        root = np.sqrt(w[keep])
        X, y, codes = X[keep] * root[:, None], y[keep] * root, codes[keep]
    return _RowSums(X, y, codes, G)


class _CellSums:
    """The same sums from the distinct rows of X (:mod:`survey.effects.cells`): for weighted rows
    ``sum_i w_i f(x_i) = sum_c f(x_c) W_c``, per cluster through a (clusters x cells) matrix."""

    def __init__(self, cells, y, codes, w, keep, G):
        of_row, w, y, codes = cells.of_row[keep], w[keep], y[keep], codes[keep]
        m = cells.n_cells
        self.Xc, self.of_row, self.w, self.y, self.codes, self.G = cells.X, of_row, w, y, codes, G
        self.weight_g = sp.csr_matrix((w, (codes, of_row)), shape=(G, m))
        W = np.bincount(of_row, weights=w, minlength=m)
        Wy = np.bincount(of_row, weights=w * y, minlength=m)
        self.xtx = self.Xc.T @ (self.Xc * W[:, None])
        self.xty = self.Xc.T @ Wy
        self.xty_g = np.asarray(sp.csr_matrix((w * y, (codes, of_row)), shape=(G, m)) @ self.Xc)

    def cluster_scores(self, beta):
        u = self.w * (self.y - (self.Xc @ beta)[self.of_row])
        return np.asarray(sp.csr_matrix((u, (self.codes, self.of_row)), shape=self.weight_g.shape) @ self.Xc)

    def cluster_xtx_times(self, b):
        return np.asarray(self.weight_g @ (self.Xc * (self.Xc @ b)[:, None]))


def _cell_sums(cells, y, codes, w, keep, G) -> _CellSums:
    if len(cells.of_row) != len(y):
        raise ConfigError(f"cells: expected the cell of each of the {len(y)} rows, found {len(cells.of_row)}")
    return _CellSums(cells, y, codes, w, keep, G)


def wild_cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    cluster,
    column: int,
    *,
    weights: np.ndarray | None = None,
    weights_type: str = "rademacher",
    B: int = 9999,
    null: float = 0.0,
    level: float = 0.95,
    seed=None,
    term: str | None = None,
) -> WildBootstrapResult:
    """Restricted wild cluster bootstrap p-value and test-inversion CI for one coefficient.

    Parameters
    ----------
    X, y : arrays
        Model matrix and response of a linear model (weighted with ``weights``).
    cluster : array-like
        Cluster label of every row (e.g. district).
    column : int
        Position of the coefficient in ``X``.
    weights : array, optional
        WLS weights (e.g. survey weights); the model is bootstrapped as OLS on
        ``sqrt(w)``-scaled rows.
    weights_type : {"rademacher", "webb"}, default "rademacher"
    B : int, default 9999
    null : float, default 0
    level : float, default 0.95
    seed : optional
    term : str, optional

    Returns
    -------
    WildBootstrapResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(8), 50)
    >>> x = (g < 4).astype(float)
    >>> y = 0.5 * x + rng.normal(size=8)[g] + rng.normal(size=400)
    >>> X = np.column_stack([np.ones(400), x])
    >>> r = wild_cluster_bootstrap(X, y, g, 1, weights_type="rademacher")
    >>> r.draws, r.enumerated
    (256, True)

    The R equivalent is ``fwildclusterboot::boottest(lm(y ~ x), param="x", clustid="g",
    B=9999, type="rademacher")``; Stata: ``boottest x, cluster(g) weight(rademacher)``.
    """
    boot = WildClusterBootstrap(X, y, cluster, column, weights=weights)
    return boot.test(weights_type=weights_type, B=B, null=null, level=level, seed=seed, term=term)
