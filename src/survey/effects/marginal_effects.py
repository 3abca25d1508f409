"""Average marginal effect of a 0/1 regressor in a logistic model, with its influence values.

For the rows ``T`` where the regressor ``d`` equals 1 (for a DiD: pilot districts after the
start), the average effect on the probability scale is

    AME = sum_{i in T} w_i [ L(eta_i) - L(eta_i - beta_d) ] / sum_{i in T} w_i

(``L`` the logistic function): each treated respondent's predicted probability with and
without the treatment, averaged with the survey weights — the logistic model's estimate of the
average effect on the treated. Its influence value for row ``i`` combines the coefficients'
influence (delta method, gradient ``g``) with the averaging over the sample:

    h_i = g' h_beta_i + 1{i in T} w_i (delta_i - AME) / sum_T w

so design-based and cluster-robust SEs follow from the same sums as the coefficients'
("unconditional" SEs, as Stata's ``margins, vce(unconditional)`` after ``svy: logit``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def average_marginal_effect(X: np.ndarray, params: np.ndarray, weights: np.ndarray, column: int,
                            influence_beta: np.ndarray) -> tuple[float, np.ndarray]:
    """AME of 0/1 column ``column`` over the rows where it is 1, and its per-row influence.

    Parameters
    ----------
    X : numpy.ndarray (n x k)
        Model matrix of the fitted logistic model.
    params : numpy.ndarray (k,)
    weights : numpy.ndarray (n,)
        Survey weights of the model rows (any scale).
    column : int
        Position of the 0/1 regressor.
    influence_beta : numpy.ndarray (n x k)
        Influence values of the coefficients (``U A^{-1}``).

    Returns
    -------
    (float, numpy.ndarray (n,))

    Examples
    --------
    >>> X = np.array([[1., 1], [1, 1], [1, 0], [1, 0]])
    >>> ame, h = average_marginal_effect(X, np.array([0., np.log(3)]), np.ones(4), 1, np.zeros((4, 2)))
    >>> round(ame, 4)
    0.25
    """
    treated = X[:, column] == 1
    eta = X[treated] @ params
    w = weights[treated]
    p1 = expit(eta)
    p0 = expit(eta - params[column])
    delta = p1 - p0
    total = w.sum()
    ame = float(np.sum(w * delta) / total)
    x1 = X[treated]
    x0 = x1.copy()
    x0[:, column] = 0.0
    gradient = ((w * p1 * (1 - p1)) @ x1 - (w * p0 * (1 - p0)) @ x0) / total
    influence = influence_beta @ gradient
    influence[treated] += w * (delta - ame) / total
    return ame, influence
