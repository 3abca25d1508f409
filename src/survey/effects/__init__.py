"""Program-effect analyses: did a district pilot raise literacy and lower symptoms?

* :func:`svyglm` — survey-weighted GLM (gaussian, binomial, poisson) with design-based SEs,
  agreeing with R's ``survey::svyglm``.
* :func:`did` — difference-in-differences for repeated cross-sections (LPM/linear and
  logistic with average marginal effect and odds ratio), with design-based, CR1 and
  wild-cluster-bootstrap (Rademacher, Webb) inference; :func:`event_study` for more than two
  waves; :func:`did_mixed` — the same as a random-intercept model.
* :func:`wild_cluster_bootstrap` — restricted wild cluster bootstrap p-value and
  test-inversion CI for one coefficient of a weighted linear model.
* :func:`prepost_continuous`, :func:`prepost_binary` — pre/post comparisons for panels
  (paired t, Wilcoxon, McNemar) with effect sizes and CIs.
* :func:`interrupted_time_series` — segmented regression with Newey–West SEs.
* :func:`group_means`, :func:`plot_group_means`, :func:`plot_event_study` — parallel-trends
  and event-study figures.
* :func:`survey.effects.study.pilot_effects` — the study step (``pilot_effects.csv``).
"""

from __future__ import annotations

from survey.effects.did import did
from survey.effects.event_study import event_study
from survey.effects.glm import svyglm
from survey.effects.its import interrupted_time_series
from survey.effects.mixed import did_mixed
from survey.effects.panel import prepost_binary, prepost_continuous
from survey.effects.plots import group_means, plot_event_study, plot_group_means
from survey.effects.results import EffectResult, ModelResult
from survey.effects.wild_bootstrap import WildBootstrapResult, wild_cluster_bootstrap

__all__ = [
    "EffectResult",
    "ModelResult",
    "WildBootstrapResult",
    "did",
    "did_mixed",
    "event_study",
    "group_means",
    "interrupted_time_series",
    "plot_event_study",
    "plot_group_means",
    "prepost_binary",
    "prepost_continuous",
    "svyglm",
    "wild_cluster_bootstrap",
]
