"""Difference-in-differences for repeated cross-sections, survey-weighted, with few-cluster inference.

The model (two-way fixed effects, one row per respondent):

    g(E[y_idt]) = a_d + c_t + tau * treated_dt + x_idt' b

with ``a_d`` unit (district) fixed effects, ``c_t`` period (wave) fixed effects, ``treated`` = 1
for pilot units after the start, and covariates ``x``. ``g`` is the identity (linear; for a
0/1 outcome the linear probability model, LPM) or the logit. Fitted by weighted least squares
or weighted logistic regression with the survey weights.

Inference, one row per method in the result:

* ``design`` — design-based SE (strata, PSUs, FPC; :func:`~survey.effects.svyglm`), t with
  ``degf + 1 - p`` df: sampling variability only, for the population's DiD.
* ``cr1`` — cluster-robust SE by unit (CR1), t with ``G - 1`` df: also unit x period shocks.
  With 8 districts it is known to be too narrow (Cameron, Gelbach & Miller 2008).
* ``wcr_rademacher``, ``wcr_webb`` — restricted wild cluster bootstrap by unit
  (:mod:`survey.effects.wild_bootstrap`): p-value and test-inversion CI; linear models only.

For the logistic model the table gives the average marginal effect on the treated on the
probability scale (``did_logit_ame``, :mod:`survey.effects.marginal_effects`) and the odds
ratio ``exp(tau)`` with its CI (``did_logit_or``).

R equivalent (linear, design-based): ``svyglm(y ~ treated + factor(district) + factor(wave) +
..., design=d)``; CR1: ``lmtest::coeftest(lm(..., weights=w), sandwich::vcovCL(fit,
cluster=~district, type="HC1"))``; wild bootstrap: ``fwildclusterboot::boottest(fit,
param="treated", clustid="district", type="webb")``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from survey.effects.cluster_robust import cluster_codes, cr1_covariance
from survey.effects.design_variance import design_covariance, design_units
from survey.effects.glm import svyglm
from survey.effects.marginal_effects import average_marginal_effect
from survey.effects.model_frame import ModelFrame
from survey.effects.results import EffectResult, ModelResult
from survey.effects.wild_bootstrap import WildClusterBootstrap
from survey.errors import ColumnError, ConfigError, example_rows
from survey.estimation import Design
from survey.estimation.design import require_design

METHODS = ("design", "cr1", "wcr_rademacher", "wcr_webb")
MODELS = ("linear", "logit")
BOOTSTRAP_NOTE = "se: CR1 (studentises the bootstrap t); p-value and CI from the bootstrap distribution, no df"
TABLE_COLUMNS = ["outcome", "model", "method", "term", "estimate", "se", "ci_low", "ci_high", "p_value",
                 "df", "n", "n_clusters", "n_treated_clusters", "draws", "note"]


def did_formula(outcome: str, treated: str | Sequence[str], unit: str, time: str,
                covariates: Sequence[str] = ()) -> str:
    """``outcome ~ treated + C(unit) + C(time) + covariates`` (patsy syntax).

    Examples
    --------
    >>> did_formula("y", "treated", "district", "wave", ["C(sex)"])
    'y ~ treated + C(district) + C(wave) + C(sex)'
    """
    terms = [treated] if isinstance(treated, str) else list(treated)
    terms += [f"C({unit})", f"C({time})", *covariates]
    return f"{outcome} ~ " + " + ".join(terms)


def _check_columns(data: pd.DataFrame, columns: dict[str, str]) -> None:
    for role, column in columns.items():
        if column not in data.columns:
            raise ColumnError(
                f"{role} column {column!r}: not found in the data (columns: "
                f"{', '.join(map(str, list(data.columns)[:12]))}{' ...' if data.shape[1] > 12 else ''})"
            )


def _check_treated(data: pd.DataFrame, treated: str) -> None:
    values = pd.to_numeric(data[treated], errors="coerce")
    bad = ~values.isin([0, 1]) & data[treated].notna()
    if bad.any():
        raise ColumnError(
            f"treated column {treated!r}: expected 0/1 (treated unit after the start), found "
            f"{data[treated][bad].iloc[0]!r} in {example_rows(data.index[bad.to_numpy()])}"
        )
    if values.nunique() < 2:
        raise ColumnError(f"treated column {treated!r}: expected both 0 and 1, found only {values.dropna().unique()}")


def _t_interval(estimate: float, se: float, df: float, level: float) -> tuple[float, float, float]:
    q = stats.t.ppf(0.5 + level / 2, df) if np.isfinite(df) else stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = estimate / se
    p = 2 * (stats.t.sf(abs(t), df) if np.isfinite(df) else stats.norm.sf(abs(t)))
    return estimate - q * se, estimate + q * se, p


def _row(outcome, model, method, term, estimate, se, low, high, p, df, n, G, G1, draws=np.nan, note=""):
    return {"outcome": outcome, "model": model, "method": method, "term": term, "estimate": estimate,
            "se": se, "ci_low": low, "ci_high": high, "p_value": p, "df": df, "n": n, "n_clusters": G,
            "n_treated_clusters": G1, "draws": draws, "note": note}


def few_treated_note(n_treated: int, n_clusters: int) -> str:
    """A warning for the table when very few clusters are treated (or untreated)."""
    small = min(n_treated, n_clusters - n_treated)
    if small <= 2:
        return (f"only {small} of {n_clusters} clusters on one side of the comparison: cluster-robust SEs "
                "are too small and the wild bootstrap conservative or uninformative (MacKinnon & Webb 2018)")
    return ""


def did(
    design: Design,
    outcome: str,
    *,
    treated: str,
    unit: str,
    time: str,
    covariates: Sequence[str] = (),
    model: str = "linear",
    methods: Sequence[str] = METHODS,
    B: int = 9999,
    seed: int | None = 20230901,
    level: float = 0.95,
) -> EffectResult:
    """Difference-in-differences effect of ``treated`` on ``outcome``, survey-weighted.

    Parameters
    ----------
    design : survey.estimation.Design
        Sample design over the pooled waves (strata should include the wave: the waves are
        separate samples).
    outcome : str
        0/1 indicator (LPM or logit) or a score (linear).
    treated : str
        0/1 column: unit is a pilot unit and the row's period is after the pilot start.
    unit : str
        Unit column (district): fixed effects and the clusters of ``cr1``/``wcr_*``.
    time : str
        Period column (wave): fixed effects.
    covariates : sequence of str
        Extra formula terms, e.g. ``["C(sex)", "C(age_group)"]``.
    model : {"linear", "logit"}, default "linear"
    methods : sequence of {"design", "cr1", "wcr_rademacher", "wcr_webb"}
        Wild-bootstrap methods apply to the linear model only.
    B : int, default 9999
        Bootstrap draws (Rademacher draws are enumerated when ``2^G <= B``).
    seed : int, optional
        Seed of the sampled bootstrap draws (the default makes tables reproducible).
    level : float, default 0.95

    Returns
    -------
    EffectResult
        ``table`` columns: outcome, model (``did_lpm``, ``did_linear``, ``did_logit_ame``,
        ``did_logit_or``), method, term, estimate, se, ci_low, ci_high, p_value, df, n,
        n_clusters, n_treated_clusters, draws, note. ``models`` holds the fitted
        :class:`~survey.effects.results.ModelResult` (design-based and CR1).

    Examples
    --------
    >>> from survey.effects.simulation import simulate_did
    >>> data = simulate_did(seed=1, effect=0.3)
    >>> d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    >>> r = did(d, "y", treated="treated", unit="district", time="wave", B=999)
    >>> r.to_frame()["method"].tolist()
    ['design', 'cr1', 'wcr_rademacher', 'wcr_webb']

    R (the design-based row): ``svyglm(y ~ treated + factor(district) + factor(wave), design=d)``;
    the CR1 and wild-bootstrap calls are in the module docstring.
    """
    design = require_design(design, caller="did", second=outcome)
    if model not in MODELS:
        raise ConfigError(f"model: expected one of {', '.join(MODELS)}, found {model!r}")
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"methods: expected some of {', '.join(METHODS)}, found {unknown}")
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    data = design.data
    _check_columns(data, {"outcome": outcome, "treated": treated, "unit": unit, "time": time})
    _check_treated(data, treated)
    formula = did_formula(outcome, treated, unit, time, covariates)
    family = "gaussian" if model == "linear" else "binomial"
    fit = svyglm(design, formula, family=family)
    frame: ModelFrame = fit.extra["frame"]
    w = fit.extra["weights"]
    j = frame.column(treated)
    params = fit.params.to_numpy()
    influence = fit.extra["influence"]
    clusters = data[unit].to_numpy()[frame.rows]
    codes, labels = cluster_codes(clusters)
    G = len(labels)
    G1 = int(len(np.unique(codes[frame.X[:, j] == 1])))
    note = few_treated_note(G1, G)
    binary = bool(np.isin(frame.y, (0.0, 1.0)).all())
    n = frame.n

    rows = []
    cr1_cov, _ = cr1_covariance(influence, clusters, n_params=len(params))
    if model == "linear":
        name = "did_lpm" if binary else "did_linear"
        estimate = float(params[j])
        for method in methods:
            if method == "design":
                se = float(np.sqrt(fit.cov.iloc[j, j]))
                low, high, p = _t_interval(estimate, se, fit.df, level)
                rows.append(_row(outcome, name, method, treated, estimate, se, low, high, p,
                                 fit.df, n, G, G1, note=""))
            elif method == "cr1":
                se = float(np.sqrt(cr1_cov[j, j]))
                low, high, p = _t_interval(estimate, se, G - 1, level)
                rows.append(_row(outcome, name, method, treated, estimate, se, low, high, p, G - 1, n, G, G1,
                                 note=note))
        wcr = [m for m in methods if m.startswith("wcr_")]
        if wcr:
            boot = WildClusterBootstrap(frame.X, frame.y, clusters, j, weights=w, cells=fit.extra["cells"])
            for method in wcr:
                result = boot.test(weights_type=method.removeprefix("wcr_"), B=B, level=level, seed=seed,
                                   term=treated)
                rows.append(_row(outcome, name, method, treated, result.estimate, result.se, result.ci_low,
                                 result.ci_high, result.p_value, np.nan, n, G, G1, draws=result.draws,
                                 note="; ".join(x for x in (BOOTSTRAP_NOTE, note,
                                                            result.note) if x)))
    else:
        beta = float(params[j])
        ame, ame_influence = average_marginal_effect(frame.X, params, w, j, influence)
        full = np.zeros((len(data), 1))
        full[frame.rows, 0] = ame_influence
        model_weights = np.zeros(len(data))
        model_weights[frame.rows] = design.weights()[frame.rows]
        units = design_units(design.with_weights(model_weights, name="_model_weight"))
        ame_var_design = float(design_covariance(units, full)[0, 0])
        ame_var_cr1 = float(cr1_covariance(np.column_stack([influence, ame_influence]), clusters,
                                           n_params=len(params))[0][-1, -1])
        for method in methods:
            if method == "design":
                variances, df = (float(fit.cov.iloc[j, j]), ame_var_design), fit.df
                method_note = ""
            elif method == "cr1":
                variances, df = (float(cr1_cov[j, j]), ame_var_cr1), G - 1
                method_note = note
            else:
                rows.append(_row(outcome, "did_logit_ame", method, treated, np.nan, np.nan, np.nan, np.nan,
                                 np.nan, np.nan, n, G, G1,
                                 note="wild cluster bootstrap is implemented for linear models only; "
                                      "see the LPM rows"))
                continue
            se_beta, se_ame = np.sqrt(variances[0]), np.sqrt(variances[1])
            low, high, p = _t_interval(ame, se_ame, df, level)
            rows.append(_row(outcome, "did_logit_ame", method, treated, ame, se_ame, low, high, p, df, n, G, G1,
                             note=method_note))
            low, high, p = _t_interval(beta, se_beta, df, level)
            rows.append(_row(outcome, "did_logit_or", method, treated, float(np.exp(beta)), np.nan,
                             float(np.exp(low)), float(np.exp(high)), p, df, n, G, G1,
                             note="; ".join(x for x in (f"log odds ratio {beta:.6g} (se {se_beta:.6g}); "
                                                        "CI = exp(CI of the log odds ratio)", method_note) if x)))
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    description = (f"Difference-in-differences ({model}) of {outcome}: {formula}; {n} rows, {G} clusters "
                   f"of {unit} ({G1} treated); {int(level * 100)}% CI")
    names = fit.params.index
    cr1_result = ModelResult(params=fit.params, cov=pd.DataFrame(cr1_cov, index=names, columns=names),
                             df=float(G - 1), method=f"CR1 by {unit}", description=fit.description, n=n,
                             level=level)
    return EffectResult(table=table, description=description, models={"design": fit, "cr1": cr1_result},
                        extra={"formula": formula, "unit": unit, "time": time, "treated": treated})
