"""Reliability of a multi-item scale, computed the way R's psych package computes it.

* :func:`cronbach_alpha` — raw and standardised alpha, Guttman's lambda 6, average and
  median inter-item correlation, signal/noise, the asymptotic standard error (``ase``), the
  Feldt and Duhachek confidence intervals, and the item statistics of ``psych::alpha()``
  (``item.stats`` and ``alpha.drop``).
* :func:`item_statistics` — only the item table.
* :func:`omega_total` — McDonald's omega total from a one-factor minres solution, as
  ``psych::omega(x, nfactors = 1)`` computes ``omega.tot``.
* :func:`omega` — omega hierarchical and omega total with k group factors by Schmid–Leiman,
  as ``psych::omega(x, nfactors = k)`` (minres, oblimin, flip; module ``factor``).
* :func:`floor_ceiling` — share of respondents at the lowest / highest possible sum score.
* :func:`reliability` — all of the above for a scale, overall and by group (for example by
  district), as a :class:`ReliabilityResult` with ``summary()``, ``to_frame()`` and
  ``item_stats``.

Items must already be keyed: reverse-keyed items are reversed by the caller (the scoring
step does it from the instrument file) before they reach this module. That is the
equivalent of ``psych::alpha(x, keys = ...)``.

Missing data
------------
``missing="pairwise"`` (the default, as in psych) computes every covariance from the
respondents who answered both items (``cov(x, use = "pairwise")``); ``missing="listwise"``
first keeps only respondents who answered every item (``psych::alpha(na.omit(x))``).
Respondents who answered none of the items carry no information about the scale; psych
counts them in ``n`` (used by ``ase`` and the Feldt interval). ``empty_rows="drop"`` (the
default) leaves them out and says so (a :class:`ReliabilityWarning` from
:func:`cronbach_alpha`, a note in :func:`reliability`'s table); ``empty_rows="count"``
reproduces psych. Everything agrees with psych 2.2.9 to 1e-6 or better; see
``tests/reference/psych_reliability.R``, ``tests/scoring/test_reliability_psych.py`` and
``tests/scoring/test_omega_psych.py``.

Modules: ``matrices`` (input checks, pairwise covariances), ``alpha``, ``omega_one`` (one
factor, fitted exactly), ``factor`` and ``omega`` (several factors, psych's steps),
``floor_ceiling``, ``table`` (:func:`reliability`).

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika, 16, 297-334.
Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and precise
    confidence interval estimate. Journal of Applied Psychology, 89, 792-808.
Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient
    alpha. Applied Psychological Measurement, 11, 93-103.
McDonald, R. P. (1999). Test theory: a unified treatment. Erlbaum.
Revelle, W. (2022). psych: Procedures for Psychological, Psychometric, and Personality
    Research. R package version 2.2.9.
"""

from __future__ import annotations

from survey.scoring.reliability.alpha import (
    EMPTY_ROWS,
    PSYCH_NAMES,
    AlphaResult,
    ReliabilityWarning,
    cronbach_alpha,
    item_statistics,
)
from survey.scoring.reliability.floor_ceiling import FloorCeiling, floor_ceiling
from survey.scoring.reliability.matrices import CI_METHODS, MISSING_POLICIES, _pairwise_cor, _pairwise_cov  # noqa: F401 (used by tests)
from survey.scoring.reliability.omega import HierarchicalOmegaResult, omega
from survey.scoring.reliability.omega_one import OmegaResult, omega_total
from survey.scoring.reliability.table import _FRAME_COLUMNS, ReliabilityResult, reliability  # noqa: F401

__all__ = [
    "CI_METHODS",
    "EMPTY_ROWS",
    "MISSING_POLICIES",
    "AlphaResult",
    "FloorCeiling",
    "HierarchicalOmegaResult",
    "OmegaResult",
    "ReliabilityResult",
    "ReliabilityWarning",
    "PSYCH_NAMES",
    "cronbach_alpha",
    "floor_ceiling",
    "item_statistics",
    "omega",
    "omega_total",
    "reliability",
]
