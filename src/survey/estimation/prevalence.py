"""Prevalence of 0/1 indicators by wave and district: crude, raked and standardised.

The DataFrame-level half of :func:`survey.estimation.study.prevalence_tables` (which adds the
study configuration and the files). Every function takes data and settings and returns a
tidy DataFrame, so the same code is checked against R on the exported demo data
(``tests/reference/survey_estimates.R``).

Conventions
-----------
* Waves are independent samples: the design's strata are wave x the study's strata (e.g.
  wave x district x urban/rural), PSUs are nested in strata, the FPC is per stratum.
* ``crude``: the design weights. ``raked``: weights raked, within each wave, to the
  population margins district x sex and district x age group (the first margin variable
  crossed with each of the others). ``standardised``: directly standardised by age group (and
  sex when the standard population has sexes) to the standard population, within wave (city
  rows) or wave x district (district rows), leaving out rows where the indicator is missing
  (R ``svystandardize(..., excluding.missing=~indicator)``).
* A missing indicator means the respondent is outside the indicator's population (e.g. the
  dementia screen below 60): such rows stay in the design but outside the domain (R
  ``na.rm=TRUE``).
* Intervals: logit (R ``svyciprop``), df = PSUs - strata of the domain.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

import survey.estimation as est
from survey.errors import ColumnError, ConfigError
from survey.estimation.publication import apply_rules
from survey.study.model import Design

METHODS = ("crude", "raked", "standardised")
CITY = "city"
STRATUM_KEY = "_design_stratum"
TABLE_COLUMNS = ["wave", "district", "indicator", "method", "estimate", "se", "ci_low", "ci_high", "df",
                 "deff", "n", "n_weighted", "cv", "flag", "flag_reason"]
SUBGROUP_VARIABLES = ("sex", "age_group", "urban_rural", "education")


#: Column holding an infinite population size for the second stage (sampled with replacement).
SSU_FPC = "_fpc_ssu"


def survey_design(data: pd.DataFrame, design: Design | Mapping, wave: str = "wave") -> est.Design:
    """The study's design over all waves: strata = wave x design strata, PSUs nested.

    Parameters
    ----------
    data : DataFrame
        Respondents with the design columns and ``wave``.
    design : survey.study.model.Design (or a mapping with its keys)
        ``strata`` (list of columns), ``psu``, optional ``ssu`` (second-stage units within
        PSUs), ``weight``, optional ``fpc`` (first stage) and ``lonely_psu``: the study
        configuration's ``design`` (``study.design``). With ``ssu`` and ``fpc`` the second stage counts as
        sampled with replacement (R: an infinite second-stage population size), so a stratum
        whose PSUs were all taken still has the variance between its second-stage units.

    R: ``svydesign(id=~psu+ssu, strata=~interaction(wave, district, urban_rural),
    fpc=~stratum_psus+Inf, weights=~weight, nest=TRUE, data=data)``; without ``ssu``,
    ``id=~psu, fpc=~stratum_psus``.
    """
    if isinstance(design, Mapping):
        design = Design.model_validate(design)
    strata = [wave, *design.strata]
    for column in strata:
        if column not in data.columns:
            raise ColumnError(f"design strata: column {column!r} not found in the data")
    key = data[strata[0]].astype(str)
    for column in strata[1:]:
        key = key + ":" + data[column].astype(str)
    frame = data.assign(**{STRATUM_KEY: key.to_numpy()})
    psu, ssu, fpc = design.psu, design.ssu, design.fpc
    stages = [c for c in (psu, ssu) if c]
    fpcs = None
    if fpc:
        fpcs = [fpc]
        if ssu:
            frame[SSU_FPC] = np.inf
            fpcs.append(SSU_FPC)
    return est.Design(
        frame,
        weight=design.weight,
        strata=STRATUM_KEY,
        psu=stages or None,
        fpc=fpcs,
        nest=True,
        lonely_psu=design.lonely_psu,
    )


def raking_margins(margins: pd.DataFrame, variables: Sequence[str], wave: str = "wave",
                   count: str = "population") -> list[tuple[list[str], pd.DataFrame]]:
    """Margins to rake to: the first variable crossed with each other one, within wave.

    ``variables=["district", "sex", "age_group"]`` gives district x sex and district x age
    group (each within wave when the table has a ``wave`` column), so every district's sex and
    age totals are matched.
    """
    variables = list(variables)
    if len(variables) < 2:
        raise ConfigError(f"margins.variables: expected at least two variables, found {variables}")
    prefix = [wave] if wave in margins.columns else []
    sets = [[*prefix, variables[0], other] for other in variables[1:]]
    return est.margins_from_table(margins, sets, count=count)


def rake_design(design: est.Design, margins: pd.DataFrame, variables: Sequence[str], *,
                epsilon: float = 1e-8, max_iterations: int = 50, wave: str = "wave") -> est.Design:
    """The design raked to :func:`raking_margins` of the population table.

    R: ``rake(design, list(~wave+district+sex, ~wave+district+age_group), list(m1, m2),
    control=list(epsilon=1e-8, maxit=50))``.
    """
    return est.rake(design, raking_margins(margins, variables, wave=wave), epsilon=epsilon,
                    max_iterations=max_iterations)


def _tidy(result: est.EstimateResult, indicator: str, method: str, district: str | None) -> pd.DataFrame:
    table = result.to_frame()
    if district is None:
        table.insert(1, "district", CITY)
    else:
        table = table.rename(columns={district: "district"})
        table["district"] = table["district"].astype(str)
    table.insert(2, "indicator", indicator)
    table.insert(3, "method", method)
    return table


def indicator_estimates(
    design: est.Design,
    indicator: str,
    column: str,
    *,
    raked: est.Design | None = None,
    standard: pd.DataFrame | None = None,
    standard_by: Sequence[str] = ("age_group",),
    district: str = "district",
    wave: str = "wave",
    ci_method: str = "logit",
) -> pd.DataFrame:
    """Crude, raked and standardised prevalence of one 0/1 column, city and by district.

    Returns
    -------
    DataFrame
        One row per wave x (city, districts) x method: ``wave, district, indicator, method``
        and the estimate columns of :class:`~survey.estimation.EstimateResult`.
    """
    if column not in design.data.columns:
        raise ColumnError(f"indicator {indicator!r}: column {column!r} not found in the scored data")
    levels = [([wave], None), ([wave, district], district)]
    parts = []
    for by, name in levels:
        parts.append(_tidy(est.proportion(design, column, by=by, ci_method=ci_method), indicator, "crude", name))
    if raked is not None:
        for by, name in levels:
            parts.append(_tidy(est.proportion(raked, column, by=by, ci_method=ci_method), indicator, "raked", name))
    if standard is not None:
        for by, name in levels:
            standardised = est.standardize(design, list(standard_by), standard, over=by, excluding_missing=column)
            estimates = est.proportion(standardised, column, by=by, ci_method=ci_method)
            parts.append(_tidy(estimates, indicator, "standardised", name))
    return pd.concat(parts, ignore_index=True)


def subgroup_estimates(
    design: est.Design,
    indicator: str,
    column: str,
    variables: Sequence[str] = SUBGROUP_VARIABLES,
    *,
    district: str = "district",
    wave: str = "wave",
    ci_method: str = "logit",
) -> pd.DataFrame:
    """Crude prevalence by wave x (city, district) x one subgroup variable at a time."""
    parts = []
    for variable in variables:
        if variable not in design.data.columns:
            raise ColumnError(f"subgroups: column {variable!r} not found in the scored data")
        for by, name in (([wave, variable], None), ([wave, district, variable], district)):
            table = _tidy(est.proportion(design, column, by=by, ci_method=ci_method), indicator, "crude", name)
            table.insert(4, "group_variable", variable)
            table.insert(5, "group_value", table.pop(variable).astype(str))
            parts.append(table)
    return pd.concat(parts, ignore_index=True)


def with_flags(table: pd.DataFrame, rules: str = "nchs2017", **settings) -> pd.DataFrame:
    """The table with publication ``flag`` and ``flag_reason`` (see :mod:`.publication`)."""
    flagged = apply_rules(table, rules, **settings)
    p, se = flagged["estimate"].to_numpy(dtype=float), flagged["se"].to_numpy(dtype=float)
    no_variance = (se == 0) & (p > 0) & (p < 1) & (flagged["flag"] != "suppress").to_numpy()
    if no_variance.any():
        reason = ("SE 0: every PSU of the domain's strata was taken and the design has one stage "
                  "(declare the next stage in design.ssu): statistical review")
        flagged.loc[no_variance, "flag"] = "review"
        flagged.loc[no_variance, "flag_reason"] = flagged.loc[no_variance, "flag_reason"] + "; " + reason
    return flagged.drop(columns=[c for c in ("n_effective", "kg_low", "kg_high", "kg_width") if c in flagged])


def wave_changes(table: pd.DataFrame, level: float = 0.95, wave: str = "wave") -> pd.DataFrame:
    """Change between consecutive waves per district, indicator and method.

    Waves are independent samples, so ``var(later - earlier) = se_later^2 + se_earlier^2``;
    the interval is ``difference +/- z se`` (normal) and the p-value two-sided. When the table
    has publication flags, the change is flagged ``suppress`` if either wave's estimate is, else
    ``review`` if either is, else ``present`` (``flag_reason`` says which wave).
    """
    keys = ["district", "indicator", "method"]
    keys += [c for c in ("group_variable", "group_value") if c in table.columns]
    waves = sorted(table[wave].unique())
    if len(waves) < 2:
        return pd.DataFrame(columns=[*keys, "wave_from", "wave_to", "estimate_from", "estimate_to",
                                     "difference", "se", "ci_low", "ci_high", "p_value"])
    z = stats.norm.ppf(1 - (1 - level) / 2)
    parts = []
    for earlier, later in itertools.pairwise(waves):
        carried = ["estimate", "se", *(["flag"] if "flag" in table.columns else [])]
        a = table[table[wave] == earlier].set_index(keys)[carried]
        b = table[table[wave] == later].set_index(keys)[carried]
        joined = a.merge(b, left_index=True, right_index=True, suffixes=("_from", "_to"), how="inner")
        difference = joined["estimate_to"] - joined["estimate_from"]
        se = np.sqrt(joined["se_to"] ** 2 + joined["se_from"] ** 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            p_value = 2 * stats.norm.sf(np.abs(difference / se))
        part = pd.DataFrame({
            "wave_from": earlier, "wave_to": later,
            "estimate_from": joined["estimate_from"], "estimate_to": joined["estimate_to"],
            "difference": difference, "se": se, "ci_low": difference - z * se, "ci_high": difference + z * se,
            "p_value": p_value,
        })
        if "flag" in table.columns:
            part["flag"], part["flag_reason"] = _change_flags(joined, earlier, later)
        parts.append(part.reset_index())
    return pd.concat(parts, ignore_index=True)


def _change_flags(joined: pd.DataFrame, earlier, later) -> tuple[np.ndarray, np.ndarray]:
    flag = np.full(len(joined), "present", dtype=object)
    reason = np.full(len(joined), "both waves presentable", dtype=object)
    for level in ("review", "suppress"):  # the worse flag wins
        hit_from = (joined["flag_from"] == level).to_numpy()
        hit_to = (joined["flag_to"] == level).to_numpy()
        hit = hit_from | hit_to
        flag[hit] = level
        which = np.where(hit_from & hit_to, f"{earlier} and {later}", np.where(hit_from, str(earlier), str(later)))
        reason[hit] = np.char.add(f"estimate {level}: wave ", which[hit].astype(str))
    return flag, reason
