"""GREG calibration (R ``calibrate``): weights that reproduce known totals of auxiliary variables.

:func:`calibrate` multiplies each weight ``w_i`` by a factor ``g_i = F(x_i' eta)`` chosen so that
the calibrated weights reproduce the population totals of the auxiliary variables ``x``
(model-matrix columns: an intercept, factor contrasts, numeric columns, interactions):
``sum_i w_i g_i x_i = T_x``. The distance ``F`` is

* ``linear``: ``g = 1 + x'eta`` (the GREG estimator; one solve, ``eta = (X'WX)^-1 (T_x - X'w)``
  when unbounded, as R's ``regcalibrate``);
* ``raking``: ``g = exp(x'eta)`` (for categorical ``x``, the raking ratio weights);
* ``logit``: ``g`` between the bounds ``L < 1 < U`` on a logistic curve.

Bounds ``L <= g <= U`` truncate ``g`` (linear, raking) and are required for logit; with
``bounds_const=True`` they bound the calibrated weights ``w g`` instead of ``g``. The factors are
found by R's Newton iteration (``survey:::grake``), with R's stopping rule
``max |misfit| / (1 + |T_x|) < epsilon``, step halving, the Moore-Penrose inverse and R's
rescaling of the weights when every total is more than 20 times its sample estimate.

The variance (R ``svyrecvar``) replaces each statistic's influence values ``z`` by their
residuals from a weighted regression on the auxiliaries: ``z_i - g_i w_i x_i' b`` with
``b = (X' W X)^-1 X' (z / g)`` (``W``: the weights before calibration). That is what
:mod:`survey.estimation.calibration` does for every recorded :class:`GregStep`, so every
estimator (means, totals, ratios, proportions, domains, contrasts, quantiles, ``svyglm``,
``rao_scott``) carries the calibration into its standard error.

``rake()`` in :mod:`survey.estimation.weighting` is R's ``rake``: iterative post-stratification
with the variance of ten backfitting sweeps. ``calibrate(calfun="raking")`` on the same margins
gives the same weights at convergence but the GREG variance (as R's ``calibrate``); the two
standard errors differ slightly, as they do in R.

Replicate designs re-calibrate each replicate's weights: :func:`calibration_weights` maps one
weight vector to the calibrated one (pure NumPy), for any vector of weights.

References
----------
Deville, J.-C. and Särndal, C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87,
376-382. Lumley, T. (2010). *Complex Surveys*, chapter 7. Wiley.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation.design import Design, require_design
from survey.estimation.model_matrix import model_matrix

CALFUNS = ("linear", "raking", "logit")
_RESCALE_THRESHOLD = 20  # R grake: SOMETHRESHOLD


class CalibrationWarning(UserWarning):
    """The calibration did not converge (with ``force=True``), or weights were trimmed."""


@dataclass(frozen=True, eq=False)
class GregStep:
    """A GREG calibration as its variance needs it (R's ``greg_calibration`` record).

    Residuals of influence values ``z``: ``z - weights * (matrix @ b)`` with
    ``b = pinv(gram) @ matrix' (ratio * z)``.
    """

    matrix: np.ndarray  # n x p auxiliaries
    weights: np.ndarray  # g * w
    ratio: np.ndarray  # 1 / g (1 / (g sigma2) for the unbounded linear case with a variance)
    gram: np.ndarray  # X' diag(w / sigma2) X
    names: tuple
    description: str
    kind: str = "greg"

    def solve(self, numerator: np.ndarray) -> np.ndarray:
        """``pinv(gram) @ numerator``, with the columns scaled to unit diagonal first."""
        diagonal = np.diag(self.gram)
        scale = np.where(diagonal > 0, 1 / np.sqrt(np.where(diagonal > 0, diagonal, 1)), 0.0)
        inverse = np.linalg.pinv(self.gram * scale[:, None] * scale[None, :], rcond=1e-14, hermitian=True)
        return scale[:, None] * (inverse @ (scale[:, None] * numerator))


@dataclass(frozen=True)
class CalibrationFit:
    """Result of :func:`calibration_weights`: the factors ``g``, new weights and the variance record."""

    g: np.ndarray
    weights: np.ndarray
    step: GregStep
    iterations: int
    misfit: float


# ------------------------------------------------------------------ distances (R cal.linear, ...)
def _fm1(calfun: str, u, lower, upper):
    if calfun == "linear":
        return np.minimum(np.maximum(u + 1, lower), upper) - 1
    if calfun == "raking":
        with np.errstate(over="ignore"):
            return np.minimum(np.maximum(np.exp(u), lower), upper) - 1
    a = (upper - lower) / ((upper - 1) * (1 - lower))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        return (lower * (upper - 1) + upper * (1 - lower) * e) / (upper - 1 + (1 - lower) * e) - 1


def _df(calfun: str, u, lower, upper):
    inside = (u < upper - 1) & (u > lower - 1)
    if calfun == "linear":
        return inside.astype(float)
    if calfun == "raking":
        with np.errstate(over="ignore"):
            return np.where(inside, np.exp(u), 0.0)
    a = (upper - lower) / ((upper - 1) * (1 - lower))
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(a * u)
        denominator = upper - 1 + (1 - lower) * e
        return (upper * (1 - lower) * e * a / denominator
                - (lower * (upper - 1) + upper * (1 - lower) * e) * ((1 - lower) * e * a) / denominator**2)


def calibration_weights(
    matrix: np.ndarray,
    weights: np.ndarray,
    population: np.ndarray,
    *,
    calfun: str = "linear",
    bounds: tuple = (-np.inf, np.inf),
    bounds_const: bool = False,
    variance: np.ndarray | None = None,
    max_iterations: int = 50,
    epsilon: float = 1e-7,
    force: bool = False,
    trim: tuple | None = None,
    names: Sequence[str] = (),
    description: str = "calibrated",
) -> CalibrationFit:
    """Calibrate one weight vector to the totals ``population`` of the columns of ``matrix``.

    The array form of :func:`calibrate` (the same arguments, R's ``calibrate`` names in
    brackets): ``matrix`` the auxiliaries (n x p), ``weights`` the weights to calibrate (n),
    ``population`` the p totals. For replicate designs call it once per replicate column.

    Parameters
    ----------
    calfun : {"linear", "raking", "logit"}
    bounds : (lower, upper)
        Bounds on ``g`` (or on the weights with ``bounds_const``); finite for logit.
    bounds_const : bool
        [``bounds.const``] the bounds are for ``w g``.
    variance : numpy.ndarray, optional
        Per-row variances ``sigma2`` of the calibration model (R ``variance``): the distance
        becomes ``x'eta / sigma2``.
    max_iterations, epsilon : [``maxit``, ``epsilon``]
    force : bool
        Keep the weights of a calibration that did not converge (with a warning) instead of
        failing.
    trim : (lower, upper), optional
        Trim ``g`` to these bounds afterwards and share what was cut over the other rows in
        proportion to their weights (R ``trim``).

    Returns
    -------
    CalibrationFit

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0., 0, 1, 1]])
    >>> calibration_weights(X, np.full(4, 10.), np.array([50., 30])).weights.tolist()
    [10.0, 10.0, 15.0, 15.0]
    """
    if calfun not in CALFUNS:
        raise ConfigError(f"calfun: expected one of {', '.join(CALFUNS)}, found {calfun!r}")
    X = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    population = np.asarray(population, dtype=float)
    n, p = X.shape
    if population.shape != (p,):
        raise ConfigError(f"population: expected {p} totals (one per auxiliary column), found {population.size}")
    lower, upper = (float(b) for b in bounds)
    if lower > upper:
        raise ConfigError(f"bounds: expected lower <= upper, found {lower} > {upper}")
    if calfun == "logit" and not (np.isfinite(lower) and np.isfinite(upper)):
        raise ConfigError("calfun='logit': expected finite bounds, e.g. bounds=(0.5, 2)")
    if calfun == "logit" and not lower < 1 < upper:
        raise ConfigError(f"calfun='logit': expected bounds around 1, found ({lower}, {upper})")
    sigma2 = np.ones(n) if variance is None else np.asarray(variance, dtype=float)
    if sigma2.shape != (n,) or not np.all(np.isfinite(sigma2) & (sigma2 > 0)):
        raise ConfigError("variance: expected one positive, finite value per row")
    names = tuple(names) or tuple(f"x{j + 1}" for j in range(p))

    sample_total = X.T @ w
    if calfun == "linear" and lower == -np.inf and upper == np.inf:
        # R regcalibrate: one solve
        gram = (X * (w / sigma2)[:, None]).T @ X
        try:
            eta = np.linalg.solve(gram, population - sample_total)
        except np.linalg.LinAlgError:
            raise ConfigError(
                f"calibrate: the auxiliary columns are collinear in the sample ({', '.join(names)}); "
                "drop one (R's solve() stops here too)"
            ) from None
        g = 1 + X @ eta / sigma2
        step = GregStep(X, g * w, 1 / (g * sigma2), gram, names, description)
        return CalibrationFit(g=g, weights=g * w, step=step, iterations=1, misfit=0.0)

    if bounds_const:
        lower_b = np.where(w > 0, lower / np.where(w > 0, w, 1), lower)
        upper_b = np.where(w > 0, upper / np.where(w > 0, w, 1), upper)
    else:
        lower_b, upper_b = lower, upper
    ww = w
    scales = population / sample_total
    scale = None
    with np.errstate(invalid="ignore"):
        if np.nanmin(scales) > _RESCALE_THRESHOLD:
            scale = float(np.mean(scales))
            ww = w * scale
            sample_total = sample_total * scale
            if np.isfinite([lower, upper]).any():
                warnings.warn(f"calibrate: bounds apply after rescaling the weights by {scale:.3g} (as in R)",
                              CalibrationWarning, stacklevel=2)
    root = np.sqrt(sigma2)
    eta = np.zeros(p)

    def state(eta):
        xeta = X @ eta / sigma2
        return xeta, 1 + _fm1(calfun, xeta, lower_b, upper_b), _df(calfun, xeta, lower_b, upper_b)

    def misfit_of(xeta):
        return population - sample_total - X.T @ (ww * _fm1(calfun, xeta, lower_b, upper_b))

    xeta, g, deriv = state(eta)
    iteration = 1
    achieved = None
    while True:
        tmat = (X * (ww / root * deriv)[:, None]).T @ (X / root[:, None])
        step_eta = np.linalg.pinv(tmat, rcond=256 * np.finfo(float).eps) @ misfit_of(xeta)
        eta = eta + step_eta
        xeta, g, deriv = state(eta)
        while iteration < max_iterations and not (np.isfinite(g).all() and np.isfinite(deriv).all()):
            iteration += 1
            step_eta = step_eta / 2
            eta = eta - step_eta
            xeta, g, deriv = state(eta)
        relative = np.abs(misfit_of(xeta)) / (1 + np.abs(population))
        if np.all(relative < epsilon):
            break
        iteration += 1
        if iteration > max_iterations:
            achieved = float(np.max(relative))
            break
    if scale is not None:
        g = g * scale
    if trim is not None:
        low, high = (float(t) for t in trim)
        trimmed = np.clip(g, low, high)
        outside = (g < low) | (g > high)
        if outside.any():
            trimmed[~outside] += float(np.sum((g - trimmed) * w)) / float(np.sum(w[~outside]))
            g = trimmed
            achieved = None
            warnings.warn(f"calibrate: {int(outside.sum())} weights were trimmed", CalibrationWarning, stacklevel=2)
    if achieved is not None:
        message = (f"calibrate: not converged after {max_iterations} iterations (largest relative misfit "
                   f"{achieved:.3g} >= epsilon {epsilon:g})")
        if not force:
            raise ConfigError(message + "; the totals may be out of reach within the bounds: widen the bounds, "
                              "raise max_iterations, or pass force=True to keep these weights")
        warnings.warn(message + "; weights kept (force=True)", CalibrationWarning, stacklevel=2)
    gram = (X * w[:, None]).T @ X
    step = GregStep(X, g * w, 1 / g, gram, names, description)
    return CalibrationFit(g=g, weights=g * w, step=step, iterations=iteration, misfit=achieved or 0.0)


def _population_vector(population, names: list[str], matrix: np.ndarray, weights: np.ndarray):
    """The totals in the model matrix's column order (R's names), dropping R's empty columns."""
    if isinstance(population, pd.DataFrame):
        if population.shape[1] != 2:
            raise ConfigError("population: expected a mapping name -> total, or a table of two columns (name, total)")
        population = dict(zip(population.iloc[:, 0].astype(str), population.iloc[:, 1], strict=True))
    if isinstance(population, pd.Series):
        population = population.to_dict()
    if not isinstance(population, Mapping):
        raise ConfigError(
            "population: expected totals by column name as R's model.matrix names them, e.g. "
            "{'(Intercept)': 6194, 'stypeH': 755, 'stypeM': 1018}"
        )
    given = {str(k): v for k, v in population.items()}
    missing = [c for c in names if c not in given]
    extra = [c for c in given if c not in names]
    if missing or extra:
        raise ConfigError(
            "population: expected totals for the model-matrix columns "
            f"{', '.join(names)}; missing {', '.join(missing) or 'none'}, unknown {', '.join(extra) or 'none'}"
        )
    totals = pd.to_numeric(pd.Series([given[c] for c in names], index=names), errors="coerce")
    if totals.isna().any():
        bad = totals.index[totals.isna()][0]
        raise ConfigError(f"population: total of {bad!r}: expected a number, found {given[bad]!r}")
    totals = totals.to_numpy(dtype=float)
    # R: a column with sample total 0, all zeros and population total 0 is dropped
    empty = (matrix.T @ weights == 0) & (totals == 0) & ~matrix.any(axis=0)
    keep = ~empty
    return totals[keep], [c for c, k in zip(names, keep, strict=True) if k], keep


def calibrate(
    design: Design,
    formula: str | Sequence[str],
    population,
    *,
    calfun: str = "linear",
    bounds: tuple = (-np.inf, np.inf),
    bounds_const: bool = False,
    variance: str | None = None,
    categorical: Sequence[str] = (),
    max_iterations: int = 50,
    epsilon: float = 1e-7,
    force: bool = False,
    trim: tuple | None = None,
    name: str = "calibrated_weight",
) -> Design:
    """Calibrate the design's weights to population totals of auxiliary variables (GREG).

    Parameters
    ----------
    design : Design
    formula : str or list of str
        The auxiliaries, one-sided: ``"~stype + sch.wide"``, ``"~stype + api99"``, ``"~a*b"``,
        ``"~x - 1"`` (see :mod:`survey.estimation.model_matrix`).
    population : mapping, Series or two-column DataFrame
        Population total of every model-matrix column, by R's column name (``(Intercept)``
        is the population size, ``stypeH`` the number of units with ``stype == "H"``, ...).
    calfun : {"linear", "raking", "logit"}, default "linear"
    bounds : (lower, upper), default no bounds
        Bounds on the factors ``g`` (finite ones required for logit).
    bounds_const : bool, default False
        The bounds are for the calibrated weights instead (R ``bounds.const``).
    variance : str, optional
        Column of per-row variances of the calibration model (R ``variance=``), e.g. the
        auxiliary itself for the ratio estimator ``calibrate(d, "~x - 1", {"x": T}, variance="x")``.
    categorical : list of str
        Numeric columns to code as factors.
    max_iterations, epsilon, force, trim :
        See :func:`calibration_weights`.
    name : str
        Column for the calibrated weights.

    Returns
    -------
    Design
        With the calibrated weights and the calibration recorded, so every estimator's
        standard error uses the calibration residuals, as R's do.

    Raises
    ------
    ColumnError
        Missing auxiliary values, or weights 0 (R's calibrated variance is NaN then).
    ConfigError
        Totals that do not match the model-matrix columns, collinear auxiliaries, a calibration
        that does not converge (unless ``force``), bad bounds.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [10., 10, 10, 10], "p": [1, 2, 3, 4], "sex": ["f", "m", "f", "m"],
    ...                    "y": [1., 2, 3, 4]})
    >>> d = calibrate(Design(df, weight="w", psu="p"), "~sex", {"(Intercept)": 50, "sexm": 30})
    >>> d.weights().tolist()
    [10.0, 15.0, 10.0, 15.0]

    R: ``calibrate(design, ~sex, c(`(Intercept)`=50, sexm=30))``.
    """
    design = require_design(design, caller="calibrate", second=formula)
    data = design.data
    weights = design.weights()
    zero = weights == 0
    if zero.any():
        raise ColumnError(
            f"calibrate: weight column {design.weight!r}: expected positive weights, found 0 in "
            f"{example_rows(data.index[zero])}; drop those rows (R's calibrated variance is NaN then)"
        )
    matrix, names = model_matrix(data, formula, categorical=categorical)
    totals, names, keep = _population_vector(population, names, matrix, weights)
    matrix = matrix[:, keep]
    sigma2 = None
    if variance is not None:
        if variance not in data.columns:
            raise ColumnError(f"calibrate: variance column {variance!r} not found in the data")
        sigma2 = pd.to_numeric(data[variance], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(sigma2) | (sigma2 <= 0)
        if bad.any():
            raise ColumnError(
                f"calibrate: variance column {variance!r}: expected positive numbers, found "
                f"{data[variance].to_numpy()[bad][0]!r} in {example_rows(data.index[bad])}"
            )
    shown = formula if isinstance(formula, str) else " + ".join(formula)
    described = f"calibrated ({calfun}) to totals of {shown.strip().lstrip('~').strip()}"
    if np.isfinite(np.asarray(bounds, dtype=float)).any():
        described += f", bounds {tuple(float(b) for b in bounds)}{' on the weights' if bounds_const else ''}"
    fit = calibration_weights(
        matrix, weights, totals, calfun=calfun, bounds=bounds, bounds_const=bounds_const, variance=sigma2,
        max_iterations=max_iterations, epsilon=epsilon, force=force, trim=trim, names=names,
        description=described,
    )
    if not np.all(np.isfinite(fit.weights)):
        raise ConfigError("calibrate: the calibrated weights are not finite; check the population totals")
    negative = fit.weights < 0
    if negative.any():
        raise ConfigError(
            f"calibrate: {int(negative.sum())} calibrated weights are negative, e.g. "
            f"{example_rows(data.index[negative])}; "
            "bound them (bounds=(0, np.inf) or tighter) or use calfun='raking'"
        )
    return design.with_calibration(fit.weights, fit.step, name=name)
