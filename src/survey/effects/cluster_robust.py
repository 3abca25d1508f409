"""Cluster-robust (CR1) covariance from per-row influence values.

For an M-estimator with influence values ``h_i = U_i A^{-1}`` (``U_i`` the weighted score
contribution, ``A`` the weighted information), the cluster-robust covariance is

    V_CR1 = c * sum_g (sum_{i in g} h_i)(sum_{i in g} h_i)',   c = G/(G-1) * (N-1)/(N-K)

(Liang & Zeger 1986; the small-sample factor ``c`` is Stata's and statsmodels' default for
``cov_type="cluster"``, and the one the wild bootstrap studentises with). It is what
``statsmodels`` returns for ``WLS(...).fit(cov_type="cluster")`` and
``GLM(..., var_weights=w).fit(cov_type="cluster")`` (checked in the tests); it is written out
here only because derived quantities (an average marginal effect) need the same sums with
extra influence columns. Inference uses t with ``G - 1`` degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from survey.errors import ColumnError, ConfigError


def cluster_codes(cluster) -> tuple[np.ndarray, np.ndarray]:
    """Integer code (0..G-1, sorted labels) of every row and the labels."""
    codes, labels = pd.factorize(pd.Series(np.asarray(cluster)), sort=True, use_na_sentinel=True)
    if (codes < 0).any():
        raise ColumnError(f"cluster: expected a label for every model row, found {int((codes < 0).sum())} missing")
    return codes.astype(np.int64), np.asarray(labels)


def cr1_covariance(influence: np.ndarray, cluster, n_params: int | None = None) -> tuple[np.ndarray, int]:
    """CR1 covariance of the totals of ``influence`` (rows x statistics) by cluster.

    Parameters
    ----------
    influence : numpy.ndarray, shape (n, m)
        Influence values of the model rows (rows with weight 0 contribute 0).
    cluster : array-like, shape (n,)
    n_params : int, optional
        ``K`` of the small-sample factor (default: the number of columns).

    Returns
    -------
    (numpy.ndarray (m x m), int G)

    Examples
    --------
    >>> h = np.array([[1.], [-1.], [2.], [-2.]])
    >>> cov, G = cr1_covariance(h, [1, 1, 2, 2])
    >>> G, float(cov[0, 0])
    (2, 0.0)
    """
    influence = np.asarray(influence, dtype=float)
    if influence.ndim == 1:
        influence = influence[:, None]
    codes, _ = cluster_codes(cluster)
    n, m = influence.shape
    G = int(codes.max()) + 1
    if G < 2:
        raise ConfigError(f"cluster: expected at least 2 clusters for a cluster-robust SE, found {G}")
    k = m if n_params is None else n_params
    if n <= k:
        raise ConfigError(f"cluster-robust SE: expected more rows ({n}) than parameters ({k})")
    to_cluster = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(G, n))
    totals = np.asarray(to_cluster @ influence)
    factor = G / (G - 1) * (n - 1) / (n - k)
    return factor * totals.T @ totals, G
