"""Difference-in-differences as a linear mixed model: random intercepts for district and PSU.

    y_idpt = b0 + b1 pilot_d + c_t + tau * treated_dt + x' b + u_d + v_p + e_i

with ``u_d`` a random intercept per district, ``v_p`` one per PSU nested in its district, and
fixed wave effects ``c_t`` (statsmodels ``MixedLM``, REML). The pilot main effect replaces the
district fixed effects of :func:`~survey.effects.did`. The model is **unweighted**
(``MixedLM`` takes no sampling weights) and its SEs are model-based with a normal reference:
with 8 districts the district variance is poorly determined, so read it beside the
design-based and wild-bootstrap rows, not instead of them.

R equivalent: ``lme4::lmer(y ~ treated + pilot + factor(wave) + ... + (1 | district/psu))``.

References
----------
Bates, D., Maechler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models
using lme4. *Journal of Statistical Software*, 67(1).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from survey.effects.model_frame import formula_variables, plain_columns
from survey.effects.results import EffectResult
from survey.errors import ColumnError, ConfigError
from survey.estimation.design import Design, require_design


def did_mixed(
    design: Design,
    outcome: str,
    *,
    treated: str,
    group: str,
    unit: str,
    time: str,
    psu: str | None = None,
    covariates: Sequence[str] = (),
    level: float = 0.95,
) -> EffectResult:
    """DiD effect of ``treated`` from a random-intercept model (district, and PSU within it).

    It takes a design, as the other effect analyses do, but uses only its data: the model is
    unweighted (statsmodels' ``MixedLM`` takes no sampling weights) and its random effects,
    not the design's strata and clusters, carry the clustering. Name the PSU column
    (``psu=``) for the PSU level: a design's cluster column is often a derived key.

    Parameters
    ----------
    design : survey.estimation.Design
        Its ``data`` (one row per respondent); weights, strata and FPC are not used.
    outcome : str
    treated : str
        0/1: pilot unit after the start.
    group : str
        0/1: pilot unit (any period).
    unit : str
        District column: the random intercept's groups.
    time : str
        Wave column (fixed effects).
    psu : str, optional
        PSU column; PSU labels are combined with the unit and wave, so codes that repeat
        across districts or waves are different PSUs (each wave is a new sample).
    covariates : sequence of str
        Extra formula terms.
    level : float, default 0.95

    Returns
    -------
    EffectResult
        One row: outcome, model ``did_mixed``, method ``mixed``, term, estimate, se, ci_low,
        ci_high, p_value, df (inf: normal), n, n_clusters, district_variance, psu_variance,
        residual_variance, note.

    Examples
    --------
    >>> from survey.effects.simulation import simulate_did
    >>> data = simulate_did(seed=3, effect=0.3)
    >>> d = Design(data, weight="weight", strata="stratum", psu="psu", nest=True)
    >>> r = did_mixed(d, "y", treated="treated", group="pilot", unit="district", time="wave", psu="psu")
    >>> r.to_frame().loc[0, "model"]
    'did_mixed'
    """
    import statsmodels.formula.api as smf

    data = require_design(design, caller="did_mixed", second=outcome).data
    for role, column in {"outcome": outcome, "treated": treated, "group": group, "unit": unit,
                         "time": time, **({"psu": psu} if psu else {})}.items():
        if column not in data.columns:
            raise ColumnError(f"{role} column {column!r}: not found in the data")
    if not 0 < level < 1:
        raise ConfigError(f"level: expected a number between 0 and 1, found {level!r}")
    terms = " + ".join([treated, group, f"C({time})", *covariates])
    formula = f"_y ~ {terms}"
    columns = sorted({outcome, treated, group, unit, time, *([psu] if psu else [])}
                     | set(formula_variables(" + ".join(covariates), data.columns)))
    factors = set(re.findall(r"C\(\s*([A-Za-z_][A-Za-z0-9_.]*)", " + ".join(covariates))) | {time}
    frame = plain_columns(data[columns], categorical=[c for c in columns if c in factors]).dropna()
    if frame.empty:
        raise ColumnError(f"outcome column {outcome!r}: no complete rows for the mixed model")
    y = frame[outcome].astype(float)
    centre, scale = float(y.mean()), float(y.std())
    if not scale > 0:
        raise ColumnError(f"outcome column {outcome!r}: expected variation, found a constant")
    frame["_y"] = (y - centre) / scale  # REML is scale-equivariant; unit scale helps the optimiser
    frame["_unit"] = frame[unit].astype(str)
    vc = None
    if psu:
        frame["_psu"] = frame[unit].astype(str) + ":" + frame[time].astype(str) + ":" + frame[psu].astype(str)
        vc = {"psu": "0 + C(_psu)"}
    model = smf.mixedlm(formula, frame, groups=frame["_unit"], re_formula="1", vc_formula=vc)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary warnings: a zero variance is reported as such
        fit = model.fit(reml=True, method=["lbfgs"])
    if not fit.converged:
        raise ConfigError(f"mixed model for {outcome!r}: REML did not converge")
    estimate = float(fit.params[treated]) * scale
    se = float(fit.bse[treated]) * scale
    z = stats.norm.ppf(0.5 + level / 2)
    p = float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else np.nan
    district_var = float(fit.cov_re.iloc[0, 0]) * scale**2
    psu_var = float(fit.vcomp[0]) * scale**2 if psu else np.nan
    n_units = frame["_unit"].nunique()
    table = pd.DataFrame([{
        "outcome": outcome, "model": "did_mixed", "method": "mixed", "term": treated,
        "estimate": estimate, "se": se, "ci_low": estimate - z * se, "ci_high": estimate + z * se,
        "p_value": p, "df": np.inf, "n": len(frame), "n_clusters": n_units,
        "district_variance": district_var, "psu_variance": psu_var,
        "residual_variance": float(fit.scale) * scale**2,
        "note": "unweighted (MixedLM takes no survey weights); model-based SE, normal reference",
    }])
    description = (f"Mixed-model DiD of {outcome}: {outcome} ~ {terms} + (1 | {unit}"
                   f"{'/' + psu if psu else ''}), REML; {len(frame)} rows, {n_units} groups")
    return EffectResult(table=table, description=description, extra={"fit": fit})
