"""Synthetic data with a known effect: to test the DiD estimators and measure CI coverage.

:func:`simulate_did` draws repeated cross-sections of respondents in districts (some of them
treated from a given wave on), with district effects, district x wave shocks (what makes
respondents of one district in one wave correlated, and what cluster-robust inference has to
capture), PSU effects within districts and survey weights unrelated to the outcome.

:func:`coverage` repeats the draw and counts how often each method's 95% CI contains the true
effect: the check behind ``docs/effects.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.effects.cluster_robust import cr1_covariance
from survey.effects.wild_bootstrap import WildClusterBootstrap, bootstrap_weights


def simulate_did(
    seed: int = 0,
    *,
    n_districts: int = 8,
    n_treated: int = 4,
    waves: tuple[int, ...] = (2023, 2024),
    first_treated_wave: int | None = None,
    n_per_cell: int = 200,
    psus_per_cell: int = 5,
    effect: float = 0.0,
    district_sd: float = 0.5,
    shock_sd: float = 0.15,
    psu_sd: float = 0.1,
    noise_sd: float = 1.0,
    weight_sd: float = 0.4,
    binary: bool = False,
) -> pd.DataFrame:
    """Respondent-level repeated cross-sections with a known treatment effect.

    Outcome ``y = a_d + c_t + effect * treated + s_dt + e_p + x * 0.3 + noise`` (``s_dt`` the
    district x wave shock, ``e_p`` a PSU effect); with ``binary=True``, ``y`` is 1 when that
    latent value exceeds 0.8 (the effect is then on the latent scale). Weights are lognormal
    with log-SD ``weight_sd``, independent of the outcome.

    Returns
    -------
    DataFrame
        district, wave, pilot (0/1), post (0/1), treated (0/1), psu (unique), stratum
        (district x wave), weight, x (a covariate), y.

    Examples
    --------
    >>> simulate_did(seed=1).groupby("treated").size().to_dict()
    {0: 2400, 1: 800}
    """
    rng = np.random.default_rng(seed)
    waves = tuple(waves)
    first = waves[-1] if first_treated_wave is None else first_treated_wave
    G, T = n_districts, len(waves)
    district = np.repeat(np.arange(G), T * n_per_cell)
    wave_index = np.tile(np.repeat(np.arange(T), n_per_cell), G)
    wave = np.asarray(waves)[wave_index]
    pilot = (district < n_treated).astype(int)
    post = (wave >= first).astype(int)
    treated = pilot * post
    cell = district * T + wave_index
    psu_in_cell = rng.integers(0, psus_per_cell, size=district.size)
    psu = cell * psus_per_cell + psu_in_cell
    district_effect = rng.normal(0, district_sd, G)
    wave_effect = np.linspace(0, 0.2, T)
    shock = rng.normal(0, shock_sd, G * T)
    psu_effect = rng.normal(0, psu_sd, G * T * psus_per_cell)
    x = rng.normal(size=district.size)
    latent = (district_effect[district] + wave_effect[wave_index] + effect * treated + shock[cell]
              + psu_effect[psu] + 0.3 * x + rng.normal(0, noise_sd, district.size))
    y = (latent > 0.8).astype(float) if binary else latent
    weight = rng.lognormal(0, weight_sd, district.size) * 100
    return pd.DataFrame({
        "district": np.char.add("d", district.astype(str)), "wave": wave, "pilot": pilot, "post": post,
        "treated": treated, "psu": psu, "stratum": cell, "weight": weight, "x": x, "y": y,
    })


def coverage(
    replicates: int = 200,
    *,
    effect: float = 0.2,
    B: int = 9999,
    level: float = 0.95,
    seed: int = 2024,
    **simulate,
) -> pd.DataFrame:
    """Share of replicates whose CI contains ``effect``: CR1 (t, G-1 df), WCR Rademacher and Webb.

    The weighted regression is ``y ~ treated + district + wave + x``, clustered by district.

    Returns
    -------
    DataFrame
        One row per method: method, coverage, mc_se (Monte Carlo SE of the coverage),
        mean_width, rejects_zero (share of replicates rejecting H0: effect = 0 at 1 - level, i.e.
        power when ``effect != 0``), replicates.
    """
    from scipy import stats

    hits = {m: [] for m in ("cr1", "cr1_normal", "wcr_rademacher", "wcr_webb")}
    widths = {m: [] for m in hits}
    reject = {m: [] for m in hits}
    for r in range(replicates):
        data = simulate_did(seed=seed * 100_000 + r, effect=effect, **simulate)
        X = np.column_stack([
            np.ones(len(data)), data["treated"].to_numpy(float),
            pd.get_dummies(data["district"], drop_first=True, dtype=float).to_numpy(),
            pd.get_dummies(data["wave"], drop_first=True, dtype=float).to_numpy(),
            data["x"].to_numpy(),
        ])
        y, w, g = data["y"].to_numpy(), data["weight"].to_numpy(), data["district"].to_numpy()
        boot = WildClusterBootstrap(X, y, g, 1, weights=w)
        xtx_inv = np.linalg.inv((X * w[:, None]).T @ X)
        influence = (X * (w * (y - X @ boot.beta_hat))[:, None]) @ xtx_inv
        cov, G = cr1_covariance(influence, g)
        se = np.sqrt(cov[1, 1])
        est = boot.estimate
        for name, q in (("cr1", stats.t.ppf(0.5 + level / 2, G - 1)), ("cr1_normal", stats.norm.ppf(0.5 + level / 2))):
            low, high = est - q * se, est + q * se
            hits[name].append(low <= effect <= high)
            widths[name].append(high - low)
            reject[name].append(abs(est / se) > q)
        for kind in ("rademacher", "webb"):
            v, _ = bootstrap_weights(boot.G, kind, B, seed=seed + r)
            result = boot.test(v=v, level=level)
            name = f"wcr_{kind}"
            hits[name].append(result.ci_low <= effect <= result.ci_high)
            widths[name].append(result.ci_high - result.ci_low)
            reject[name].append(result.p_value < 1 - level)
    rows = []
    for name in hits:
        c = float(np.mean(hits[name]))
        rows.append({"method": name, "coverage": c, "mc_se": float(np.sqrt(c * (1 - c) / replicates)),
                     "mean_width": float(np.nanmean(widths[name])),
                     "rejects_zero": float(np.mean(reject[name])), "replicates": replicates})
    return pd.DataFrame(rows)
