"""Small-area (county) estimation: an area-level Fay–Herriot model on direct county estimates.

The study declares it under ``analysis.small_area`` (a covariate table and its columns); see
:mod:`survey.estimation.small_area.settings`.
"""

from survey.estimation.small_area.settings import FitOptions, fit_options, indicator_ids, read_covariates

__all__ = ["FitOptions", "fit_options", "indicator_ids", "read_covariates"]
