"""Tested comparisons behind every "higher", "lower", "rose" and "fell" a report says.

:func:`tested_comparisons` runs once per study (in :meth:`~survey.reports.inputs.ReportData.load`):

* ``districts`` — each district against the rest of the city, per wave and indicator, on the
  study's comparison rate (``study.comparison_rate``: crude, raked or standardised), with the
  covariance from the full design (:func:`survey.estimation.contrasts.versus_rest`);
* ``subgroups`` — each level of each subgroup variable against the rest of its district, per
  wave and indicator, on the crude rate (the rate of the subgroup tables);
* ``change`` — each district's change between consecutive waves from the estimation step's
  change table (independent samples), tested at the study's level;
* ``trends`` — with a pilot: the pilot districts together and the comparison districts
  together, per wave, on the comparison rate (the before/after chart).

Every test is at ``analysis.level`` (two-sided, t with the design's degrees of freedom for
the contrasts); ``direction`` is ``higher``/``lower`` (``increase``/``decrease`` for change)
only when the difference is significant and the estimate is published, ``no_difference``
when it is not significant, ``untested`` when there is nothing to test (suppressed or not
applicable). The districts' own estimates must equal the prevalence table's (same design, same
numbers), or loading stops with a one-line error: a stale table never meets a fresh test.

For the standardised rate, the rest of the city is the other districts' standardised rates
combined by their weighted sizes (each district standardised within itself, as in the table).

Example
-------
>>> tests = tested_comparisons(study, scored, prevalence, change)     # doctest: +SKIP
>>> tests.districts.query("district == 'beitang' and wave == 2024")    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

import survey.estimation as est
from survey.errors import ColumnError
from survey.estimation import prevalence as prev
from survey.estimation.contrasts import versus_rest
from survey.study import Study

CITY = "city"
#: Column marking pilot districts in the trends' design (a name of ours, never a study's).
PILOT_GROUP = "report_pilot_group"
#: How far a contrast's own district estimate may be from the prevalence table's.
TOLERANCE = 1e-8
CONTRAST_COLUMNS = ["estimate_domain", "estimate_rest", "estimate", "se", "ci_low", "ci_high", "p_value"]


@dataclass
class TestedComparisons:
    """The comparisons a report's sentences are built from (tidy tables; see the module docstring)."""

    level: float
    method: str
    districts: pd.DataFrame = field(repr=False)
    subgroups: pd.DataFrame = field(repr=False)
    change: pd.DataFrame = field(repr=False)
    trends: pd.DataFrame = field(repr=False)

    @property
    def alpha(self) -> float:
        return round(1 - self.level, 10)


def scored_columns(study: Study) -> list[str]:
    """The scored columns the comparisons need: design, wave, district, indicators, margins, subgroups."""
    config = study.config
    wanted = [study.district_column, "wave", *study.design.columns(), *(i.column for i in study.indicators),
              *config.subgroups]
    if config.margins is not None:
        wanted += list(config.margins.variables)
    if config.age_groups is not None:
        wanted.append("age_group")
    return list(dict.fromkeys(wanted))


class _Designs:
    """The design of each rate: crude, raked (the estimation step's raking), standardised (per indicator)."""

    def __init__(self, study: Study, scored: pd.DataFrame):
        self.study = study
        self.district = study.district_column
        self.crude = prev.survey_design(scored, study.design)
        self._raked = None
        self._standard = None

    def raked(self) -> est.Design:
        if self._raked is None:
            from survey.estimation.study import RAKING_EPSILON, RAKING_MAX_ITERATIONS

            margins = self.study.config.margins
            table = pd.read_csv(self.study.path(margins.file), dtype={"district": str})
            self._raked = prev.rake_design(self.crude, table, margins.variables, epsilon=RAKING_EPSILON,
                                           max_iterations=RAKING_MAX_ITERATIONS)
        return self._raked

    def standardised(self, column: str, over: list[str]) -> est.Design:
        if self._standard is None:
            from survey.estimation.study import standard_for_study

            self._standard = standard_for_study(self.study)
        standard, by = self._standard
        return est.standardize(self.crude, by, standard, over=over, excluding_missing=column)

    def mark_pilots(self, pilots: list[str]) -> None:
        """Add the pilot/comparison group column to the designs' data (rows are the same in each)."""
        group = np.where(self.crude.data[self.district].astype(str).isin(pilots), "pilot", "comparison")
        for design in (self.crude, self._raked):
            if design is not None:
                design.data[PILOT_GROUP] = group

    def of(self, method: str, column: str, over: list[str]) -> est.Design:
        if method == "raked":
            return self.raked()
        if method == "standardised":
            return self.standardised(column, over)
        return self.crude


def _direction(difference: pd.Series, p_value: pd.Series, alpha: float, testable: pd.Series,
               up: str = "higher", down: str = "lower") -> np.ndarray:
    significant = p_value.lt(alpha) & testable
    return np.where(~testable | p_value.isna(), "untested",
                    np.where(significant & difference.gt(0), up,
                             np.where(significant & difference.lt(0), down, "no_difference")))


def _check_same_numbers(contrasts: pd.DataFrame, table: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    """Join the table's flag, reason and n; stop if the table's estimates are not the contrasts' own."""
    shown = table[[*keys, "estimate", "n", "flag", "flag_reason"]].rename(columns={"estimate": "table_estimate"})
    joined = contrasts.merge(shown, on=keys, how="left")
    gap = (joined["estimate_domain"] - joined["table_estimate"]).abs()
    bad = gap > TOLERANCE
    if bad.any():
        row = joined[bad].iloc[0]
        where = ", ".join(f"{k}={row[k]}" for k in keys)
        raise ColumnError(f"{what}: estimate {row['table_estimate']:.6g} for {where} is not the scored data's "
                          f"{row['estimate_domain']:.6g}; the table is out of date: run `survey prevalence` again")
    return joined.drop(columns=["table_estimate"])


def district_contrasts(study: Study, designs: _Designs, prevalence: pd.DataFrame, level: float,
                       method: str) -> pd.DataFrame:
    """Each district against the rest of the city, per wave and indicator, on ``method``."""
    parts = []
    for indicator in study.indicators:
        design = designs.of(method, indicator.column, ["wave", designs.district])
        if design.data[indicator.column].notna().sum() == 0:
            continue
        table = versus_rest(design, indicator.column, designs.district, within="wave", level=level,
                            ci_method="mean").to_frame()
        parts.append(table.rename(columns={designs.district: "district"}).assign(indicator=indicator.id,
                                                                                method=method))
    columns = ["wave", "district", "indicator", "method", *CONTRAST_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=[*columns, "n", "flag", "flag_reason", "direction"])
    contrasts = pd.concat(parts, ignore_index=True)[columns]
    contrasts["district"] = contrasts["district"].astype(str)
    rows = prevalence[prevalence["method"] == method]
    joined = _check_same_numbers(contrasts, rows, ["wave", "district", "indicator", "method"], "prevalence table")
    testable = joined["flag"].ne("suppress") & joined["n"].gt(0)
    joined["direction"] = _direction(joined["estimate"], joined["p_value"], 1 - level, testable)
    return joined


def subgroup_contrasts(study: Study, designs: _Designs, subgroups: pd.DataFrame, level: float) -> pd.DataFrame:
    """Each level of each subgroup variable against the rest of its district (crude), per wave and indicator."""
    from survey.reports.inputs import _level_key

    parts = []
    design = designs.crude
    for variable in study.config.subgroups:
        if variable not in design.data.columns:
            continue
        for indicator in study.indicators:
            if design.data[indicator.column].notna().sum() == 0:
                continue
            table = versus_rest(design, indicator.column, variable, within=["wave", designs.district], level=level,
                                ci_method="mean").to_frame()
            parts.append(table.rename(columns={variable: "level", designs.district: "district"})
                         .assign(variable=variable, indicator=indicator.id, method="crude"))
    columns = ["wave", "district", "variable", "level", "indicator", "method", *CONTRAST_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=[*columns, "n", "flag", "flag_reason", "direction"])
    contrasts = pd.concat(parts, ignore_index=True)[columns]
    contrasts["district"] = contrasts["district"].astype(str)
    contrasts["level"] = contrasts["level"].map(_level_key)
    rows = subgroups[subgroups["district"] != CITY]
    joined = _check_same_numbers(contrasts, rows, ["wave", "district", "variable", "level", "indicator"],
                                 "subgroup table")
    testable = joined["flag"].ne("suppress") & joined["n"].gt(0)
    joined["direction"] = _direction(joined["estimate"], joined["p_value"], 1 - level, testable)
    return joined


def change_tests(change: pd.DataFrame, level: float) -> pd.DataFrame:
    """The change table tested at ``level``: CI at that level, direction increase/decrease/no_difference."""
    if change.empty:
        return change.assign(direction=pd.Series(dtype=object))
    out = change.copy()
    z = stats.norm.ppf(1 - (1 - level) / 2)
    out["ci_low"], out["ci_high"] = out["estimate"] - z * out["se"], out["estimate"] + z * out["se"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["p_value"] = 2 * stats.norm.sf(np.abs(out["estimate"] / out["se"]))
    testable = out["flag"].ne("suppress") if "flag" in out else pd.Series(True, index=out.index)
    testable &= out["se"].gt(0)
    out["direction"] = _direction(out["estimate"], out["p_value"], 1 - level, testable, "increase", "decrease")
    return out


def pilot_trends(study: Study, designs: _Designs, pilots: list[str], method: str, level: float) -> pd.DataFrame:
    """Per wave: the pilot districts together and the comparison districts together, on ``method``."""
    columns = ["wave", "group", "indicator", "method", "estimate", "ci_low", "ci_high", "n"]
    if not pilots:
        return pd.DataFrame(columns=columns)
    if method == "raked":
        designs.raked()
    designs.mark_pilots(pilots)
    wanted = study.config.analysis.effects.indicators or [i.id for i in study.indicators]
    parts = []
    for indicator in (i for i in study.indicators if i.id in wanted):
        design = designs.of(method, indicator.column, ["wave", PILOT_GROUP])
        table = est.proportion(design, indicator.column, by=["wave", PILOT_GROUP]).to_frame()
        parts.append(table.rename(columns={PILOT_GROUP: "group"}).assign(indicator=indicator.id, method=method))
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def tested_comparisons(study: Study, scored: pd.DataFrame, prevalence: pd.DataFrame, subgroups: pd.DataFrame,
                       change: pd.DataFrame, pilots: list[str] | None = None) -> TestedComparisons:
    """Every tested comparison of the study's reports (see the module docstring)."""
    level = study.config.analysis.level
    method = study.comparison_rate
    designs = _Designs(study, scored)
    districts = district_contrasts(study, designs, prevalence, level, method)
    groups = subgroup_contrasts(study, designs, subgroups, level) if study.config.subgroups else \
        subgroup_contrasts(study, designs, subgroups.iloc[0:0], level)
    moved = change_tests(change, level)
    trends = pilot_trends(study, designs, list(pilots or []), method, level)
    return TestedComparisons(level=level, method=method, districts=districts, subgroups=groups, change=moved,
                             trends=trends)
