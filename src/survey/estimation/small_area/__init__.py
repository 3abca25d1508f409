"""Small-area (county) estimation: an area-level Fay–Herriot model on direct county estimates.

* :func:`fay_herriot` — the model on a table of direct estimates and a covariate table
  (REML/ML; arcsine, logit or no transform; analytic or bootstrap MSE; benchmarking);
* :func:`small_area_table` — a study's county table: direct where it passes the publication rule,
  else the model estimate, marked as such (``analysis.small_area`` in study.yaml);
* :func:`direct_versus_model` — the figure.

Example
-------
>>> from survey.estimation.small_area import fay_herriot
>>> fh = fay_herriot(direct, covariates, variables=["urban_share"], seed=1)    # doctest: +SKIP
>>> fh.summary()                                                                # doctest: +SKIP
"""

from survey.estimation.small_area.benchmark import benchmark_estimates
from survey.estimation.small_area.model import SmallAreaResult, fay_herriot
from survey.estimation.small_area.plots import direct_versus_model
from survey.estimation.small_area.settings import FitOptions, fit_options, indicator_ids, read_covariates

__all__ = ["FitOptions", "SmallAreaResult", "benchmark_estimates", "direct_versus_model", "fay_herriot",
           "fit_options", "indicator_ids", "read_covariates"]
