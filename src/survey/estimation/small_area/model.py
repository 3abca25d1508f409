"""County estimates of a proportion from a Fay–Herriot model on direct estimates and county covariates.

:func:`fay_herriot` takes a table of direct estimates (one row per area: estimate and its design
SE) and a covariate table (one row per area, possibly more areas than were sampled), fits the
area-level model on the chosen scale (:mod:`~survey.estimation.small_area.transforms`) by REML or
ML (:mod:`~survey.estimation.small_area.fitting`), and returns per area the model estimate
with its MSE, the shrinkage factor and whether the estimate is synthetic (no usable direct one).

* MSE: Prasad–Rao with the Datta–Lahiri terms for REML/ML on the proportion scale
  (``transform="none"``); a seeded parametric bootstrap (González-Manteiga, Lombardía, Molina,
  Morales & Santamaría 2008; Rao & Molina 2015, section 6.2.4) of the bias-corrected estimates on
  the arcsine and logit scales.
* Benchmarking (optional) to the province's direct estimate with population shares
  (:mod:`~survey.estimation.small_area.benchmark`).

Example
-------
>>> direct = pd.DataFrame({"district": ["a", "b", ...], "estimate": [...], "se": [...]})   # doctest: +SKIP
>>> cov = pd.DataFrame({"district": ["a", "b", ...], "urban": [...]})                        # doctest: +SKIP
>>> fh = fay_herriot(direct, cov, variables=["urban"], transform="arcsine", seed=1)          # doctest: +SKIP
>>> fh.to_frame()[["district", "direct", "model", "model_mse_root", "gamma", "synthetic"]]  # doctest: +SKIP

R: ``emdi::fh(fixed = y ~ urban, vardir = "var", combined_data = d, domains = "district",
method = "reml", transformation = "arcsin", backtransformation = "bc", eff_smpsize = "n_eff",
MSE = TRUE, mse_type = "boot")``; untransformed: ``sae::mseFH(y ~ urban, var, method = "REML")``.

References
----------
González-Manteiga, W., Lombardía, M. J., Molina, I., Morales, D. & Santamaría, L. (2008). Analytic
and bootstrap approximations of prediction errors under a multivariate Fay–Herriot model.
*Computational Statistics & Data Analysis* 52, 5242-5252.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from survey.errors import ArgumentError, ColumnError
from survey.estimation.small_area import fitting as fh
from survey.estimation.small_area import transforms as tr
from survey.estimation.small_area.benchmark import BENCHMARKS, benchmark_estimates
from survey.results import Result

#: The columns of :meth:`SmallAreaResult.to_frame` (``area`` named as the ``area`` argument).
COLUMNS = ["area", "direct", "direct_se", "n_eff", "model", "model_mse_root", "model_cv", "gamma", "synthetic",
           "residual", "model_unbenchmarked"]


@dataclass
class SmallAreaResult(Result):
    """A fitted Fay–Herriot model: per-area estimates, coefficients and diagnostics."""

    table: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    fit: fh.Fit = field(repr=False)
    transform: str = "arcsine"
    mse_method: str = "analytic"
    benchmark: str = "none"
    area: str = "area"
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per area: direct, direct_se, n_eff, model, model_mse_root, model_cv, gamma, synthetic, ..."""
        return self.table.copy()

    def diagnostics(self) -> pd.DataFrame:
        """One row: sigma_u^2 (on the model's scale) with its SE, log-likelihood, AIC, BIC, iterations,
        convergence, the areas fitted and synthetic, and the standardised residuals' mean and SD."""
        fit, table = self.fit, self.table
        k = len(fit.beta) + 1
        m = int((~table["synthetic"]).sum())
        resid = table.loc[~table["synthetic"], "residual"]
        return pd.DataFrame([{
            "method": fit.method, "transform": self.transform, "sigma2_u": fit.sigma2,
            "sigma2_u_se": float(np.sqrt(fit.sigma2_var)), "loglik": fit.loglik, "aic": -2 * fit.loglik + 2 * k,
            "bic": -2 * fit.loglik + k * np.log(m), "iterations": fit.iterations, "converged": fit.converged,
            "areas_fitted": m, "areas_synthetic": int(table["synthetic"].sum()),
            "residual_mean": float(resid.mean()), "residual_sd": float(resid.std(ddof=1)),
            "mean_gamma": float(table.loc[~table["synthetic"], "gamma"].mean()), "mse": self.mse_method,
            "benchmark": self.benchmark,
        }])

    def title(self) -> str:
        d = self.diagnostics().iloc[0]
        return (f"Fay–Herriot ({self.fit.method.upper()}, {self.transform} scale): {d['areas_fitted']} areas fitted, "
                f"{d['areas_synthetic']} synthetic, sigma2_u = {self.fit.sigma2:.4g}")

    def summary(self) -> str:
        lines = [self.title(), self.coefficients.to_string(index=False), "",
                 self.table[[self.area, "direct", "direct_se", "model", "model_mse_root", "gamma", "synthetic"]]
                 .to_string(index=False), *self.notes]
        return "\n".join(lines)

    def plot(self, ax=None, scale: float = 100.0):
        """Direct against model estimates (percent), points sized by shrinkage; synthetic areas on the axis."""
        import matplotlib.pyplot as plt

        from survey.estimation.small_area.plots import direct_versus_model

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 5))
        return direct_versus_model(self.table, ax=ax, scale=scale)


def _design_matrix(covariates: pd.DataFrame, variables) -> np.ndarray:
    values = covariates[list(variables)].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(covariates)), values])


def _join(direct, covariates, area, estimate, se, variables):
    for name, frame, needed in (("direct", direct, [area, estimate, se]), ("covariates", covariates,
                                                                         [area, *variables])):
        absent = [c for c in needed if c not in frame.columns]
        if absent:
            raise ColumnError(f"fay_herriot: {name}: expected columns {needed}, found no {absent[0]!r}")
        if frame[area].duplicated().any():
            raise ColumnError(f"fay_herriot: {name}: expected one row per {area}, found "
                              f"{frame.loc[frame[area].duplicated(), area].astype(str).head(3).tolist()} repeated")
    unknown = sorted(set(direct[area].astype(str)) - set(covariates[area].astype(str)))
    if unknown:
        raise ColumnError(f"fay_herriot: covariates: expected a row for every area with a direct estimate, "
                          f"found none for {unknown[:5]}")
    merged = covariates[[area, *variables]].assign(**{area: covariates[area].astype(str)}).merge(
        direct[[area, estimate, se]].assign(**{area: direct[area].astype(str)}), on=area, how="left")
    bad = merged[list(variables)].isna().any(axis=1)
    if bad.any():
        raise ColumnError(f"fay_herriot: covariates: expected numbers, found missing values for areas "
                          f"{merged.loc[bad, area].head(5).tolist()}")
    return merged


def fay_herriot(direct: pd.DataFrame, covariates: pd.DataFrame, *, variables, area: str = "district",
                estimate: str = "estimate", se: str = "se", transform: str = "arcsine", method: str = "reml",
                n_boot: int = 200, seed: int = 20261202, benchmark: str = "none", province: float | None = None,
                shares: pd.Series | None = None) -> SmallAreaResult:
    """Fay–Herriot estimates of a proportion for every area of ``covariates``; see the module docstring.

    Parameters
    ----------
    direct : one row per sampled area: ``area``, ``estimate`` (a proportion) and its design ``se``.
    covariates : one row per area (sampled or not): ``area`` and the numeric ``variables``.
    transform : ``arcsine`` (default), ``logit`` or ``none``.
    method : ``reml`` (default) or ``ml``.
    n_boot, seed : parametric bootstrap replicates and seed (transformed scales only).
    benchmark : ``none`` (default), ``ratio`` or ``raking``, to ``province`` (the province's direct
        estimate) with ``shares`` (population per area, indexed by area; normalised over those given).

    Areas whose direct estimate has no usable variance (missing, 0, or p of 0 or 1 on a transformed
    scale) are estimated synthetically and flagged ``synthetic``, like areas without a sample.
    """
    if transform not in tr.TRANSFORMS:
        raise ArgumentError(f"fay_herriot: transform: expected one of {tr.TRANSFORMS}, found {transform!r}")
    if benchmark not in BENCHMARKS:
        raise ArgumentError(f"fay_herriot: benchmark: expected one of {BENCHMARKS}, found {benchmark!r}")
    variables = list(variables)
    merged = _join(direct, covariates, area, estimate, se, variables)
    p, s = merged[estimate].to_numpy(float), merged[se].to_numpy(float)
    y, d, n_eff = tr.forward(p, s ** 2, transform)
    used = np.isfinite(y) & np.isfinite(d) & (d > 0)
    notes = []
    unusable = merged.loc[np.isfinite(p) & ~used, area].tolist()
    if unusable:
        notes.append(f"{len(unusable)} areas with a direct estimate but no usable variance on the {transform} scale "
                     f"(e.g. {unusable[:3]}): estimated synthetically")
    x = _design_matrix(merged, variables)
    fit = fh.fit_fay_herriot(y[used], d[used], x[used], method)
    if not fit.converged:
        notes.append(f"Fisher scoring did not converge in {fh.MAX_ITERATIONS} iterations")
    if fit.sigma2 == 0:
        notes.append("sigma2_u estimated as 0: the model estimates are the regression (synthetic) ones")
    theta = x @ fit.beta
    gamma = np.zeros(len(merged))
    gamma[used] = fit.sigma2 / (fit.sigma2 + d[used])
    theta[used] = gamma[used] * y[used] + (1 - gamma[used]) * theta[used]
    s2 = np.where(used, gamma * np.where(used, d, 0), fit.sigma2)
    model = tr.back(theta, s2, transform)
    if transform == "none":
        mse = fh.mse_synthetic(fit, x)
        mse[used] = fh.mse_analytic(fit, d[used], x[used], d[used], x[used])[0]
        mse_method = "analytic (Prasad–Rao, Datta–Lahiri)"
    else:
        mse = _bootstrap_mse(fit, y, d, x, used, transform, n_boot, seed)
        mse_method = f"parametric bootstrap ({n_boot} replicates, seed {seed})"
    outside = int(((model < 0) | (model > 1)).sum())
    if outside:
        notes.append(f"{outside} model estimates outside [0, 1]: the untransformed model is linear; for proportions "
                     "use transform='arcsine' or 'logit'")
    unbenchmarked = model.copy()
    if benchmark != "none":
        model, mse = _benchmarked(model, mse, merged[area], province, shares, benchmark, notes)
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.where(used, (y - x @ fit.beta) / np.sqrt(fit.sigma2 + np.where(used, d, np.nan)), np.nan)
        table = pd.DataFrame({
            "area": merged[area].to_numpy(), "direct": p, "direct_se": s, "n_eff": n_eff, "model": model,
            "model_mse_root": np.sqrt(mse), "model_cv": np.sqrt(mse) / model, "gamma": gamma, "synthetic": ~used,
            "residual": residual, "model_unbenchmarked": unbenchmarked,
        })
    names = ["(intercept)", *variables]
    se_beta = np.sqrt(np.diag(fit.cov_beta))
    coefficients = pd.DataFrame({"term": names, "estimate": fit.beta, "se": se_beta, "z": fit.beta / se_beta})
    return SmallAreaResult(table=table.rename(columns={"area": area}) if area != "area" else table,
                           coefficients=coefficients, fit=fit, transform=transform, mse_method=mse_method,
                           benchmark=benchmark, area=area, notes=notes)


def _benchmarked(model, mse, areas, province, shares, how, notes):
    if province is None or shares is None:
        raise ArgumentError(f"fay_herriot: benchmark={how!r} needs province= and shares=")
    w = pd.Series(shares, dtype=float).reindex(areas.to_numpy()).to_numpy()
    has = np.isfinite(w) & (w > 0)
    if not has.any():
        raise ArgumentError("fay_herriot: shares: expected population shares for at least one area")
    bench = benchmark_estimates(model[has], w[has], float(province), how, apply_to=model)
    if not has.all():
        notes.append(f"benchmark: {int((~has).sum())} areas without a population share adjusted by the same "
                     f"{'factor' if how == 'ratio' else 'odds factor'}")
    notes.append(f"benchmarked ({how}) to the overall direct estimate {province:.4f}; "
                 "MSE approximated as mse + (benchmarked - model)^2")
    return bench, mse + (bench - model) ** 2


def _bootstrap_mse(fit, y, d, x, used, transform, n_boot, seed):
    """Parametric bootstrap MSE of the bias-corrected estimates, all areas (sampled and synthetic)."""
    rng = np.random.default_rng(seed)
    m = len(y)
    mean = x @ fit.beta
    theta_star = mean[:, None] + rng.standard_normal((m, n_boot)) * np.sqrt(fit.sigma2)
    true_p = tr.proportion_of(theta_star, transform)
    e = rng.standard_normal((int(used.sum()), n_boot)) * np.sqrt(d[used])[:, None]
    y_star = theta_star[used] + e
    start = np.full(n_boot, max(fit.sigma2, 1e-3 * float(np.median(d[used]))))
    a, beta, _, _, _ = fh.fit_many(y_star, d[used], x[used], fit.method, start=start)
    synthetic = x @ beta.T                                      # (m, B)
    gamma = a[None, :] / (a[None, :] + d[used][:, None])
    est_theta = synthetic.copy()
    est_theta[used] = gamma * y_star + (1 - gamma) * synthetic[used]
    s2 = np.broadcast_to(a[None, :], (m, n_boot)).copy()
    s2[used] = gamma * d[used][:, None]
    estimate = tr.back(est_theta, s2, transform)
    return ((estimate - true_p) ** 2).mean(axis=1)
