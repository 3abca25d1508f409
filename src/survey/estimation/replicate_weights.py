"""Replicate weights made from a linearisation design: R's ``as.svrepdesign()``.

:func:`as_replicate` turns a :class:`~survey.estimation.Design` into a
:class:`~survey.estimation.replicates.ReplicateDesign`. Replicates are built at the first stage
(PSUs within strata), as R does; later-stage FPCs are dropped (R warns the same way).

``JK1`` (unstratified designs): replicate ``j`` deletes PSU ``j`` and multiplies the others by
``n/(n-1)``; ``scale = f (n-1)/n`` with ``f = 1 - n/N`` from the FPC (1 without).
``JKn`` (stratified): one replicate per PSU (stratum by stratum, in order of appearance),
deleting it and multiplying the rest of its stratum by ``n_h/(n_h-1)``; ``rscales = f_h
(n_h-1)/n_h``. A stratum whose FPC says every PSU was taken contributes no replicates (R
``survey.drop.replicates``); a stratum with one PSU follows the design's ``lonely_psu`` policy
as R's ``jknweights`` does (``fail`` raises; ``remove``, ``certainty`` leave it out; ``average``
leaves it out and scales up by PSUs / replicates; ``adjust`` adds one replicate).
``BRR`` and ``Fay`` (two PSUs in every stratum): replicate ``r`` multiplies the first PSU of
stratum ``h`` (in the order of the data) by ``2 - rho`` and the second by ``rho`` when entry
``(h + 1, r)`` of the Hadamard matrix equals its first entry, and the other way round when it
does not (for a matrix passed as ``hadamard=``, the other way round, exactly as R treats its
``hadamard.matrix=``); strata are taken in sorted order (as text) and ``rho = 0`` is BRR.
``scale = 1 / (R (1 - rho)^2)``. The Hadamard matrix is Sylvester's of the smallest order
2^k above the number of strata, which is what R's ``hadamard()`` returns for 1-3 and 8-15
strata (checked in the fixtures); for other counts R picks another matrix, so pass R's
(``hadamard=`` a +/-1 or 0/1 matrix) to reproduce its replicates exactly.
``bootstrap`` (Canty and Davison 1999, R ``bootweights``): in every stratum ``n_h`` PSUs drawn
with replacement (with an FPC: ``n_h`` drawn without replacement from ``N_h`` copies of the PSUs,
as R); the multiplier is the number of draws; ``scale = m / ((m - 1)(R - 1))`` with ``m`` the
harmonic mean of ``n_h``.
``subbootstrap`` (Rao and Wu 1988, R ``subbootweights``): ``n_h - 1`` draws with replacement,
multiplier ``draws n_h/(n_h - 1)``; ``scale = 1 / (R - 1)``; needs two PSUs in every stratum.
Random draws use ``numpy.random.default_rng(seed)``: not R's generator, so bootstrap
replicates equal R's only when R's weights are read in (``ReplicateDesign(..., repweights=)``).

References
----------
Rao, J. N. K. and Wu, C. F. J. (1988). Resampling inference with complex survey data. *JASA* 83, 231-241.
Canty, A. J. and Davison, A. C. (1999). Resampling-based variance estimation for labour force
surveys. *The Statistician* 48, 379-391.
Wolter, K. M. (2007). *Introduction to Variance Estimation*, 2nd ed. Springer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from survey.errors import ConfigError
from survey.estimation.design import Design, require_design
from survey.estimation.replicates import ReplicateDesign, ReplicateWarning

TYPES = ("auto", "JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap")


def sylvester(order: int) -> np.ndarray:
    """Sylvester's Hadamard matrix of the smallest order 2^k >= ``order`` (entries +/-1)."""
    h = np.ones((1, 1))
    while h.shape[0] < order:
        h = np.block([[h, h], [h, -h]])
    return h


def _first_stage(design: Design):
    """PSU index of every row, stratum index of every PSU, stratum labels and the first-stage f per stratum."""
    structure = design.structure
    stage = structure.stages[0]
    psu_of_row = structure.psu_of_finest[design.finest_unit_of_row]
    stratum_of_psu = stage.group_of_unit
    return psu_of_row, stratum_of_psu, stage


def _psu_order(psu_of_row: np.ndarray, n_psu: int) -> np.ndarray:
    """Rank of every PSU by its first row in the data (R's ``unique(psu)`` order)."""
    first = np.full(n_psu, len(psu_of_row), dtype=np.int64)
    np.minimum.at(first, psu_of_row, np.arange(len(psu_of_row)))
    rank = np.empty(n_psu, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(n_psu)
    return rank


def _jackknife(design: Design, kind: str):
    psu_of_row, stratum_of_psu, stage = _first_stage(design)
    n_psu = len(stratum_of_psu)
    n_h = stage.n_units[stratum_of_psu]
    f_h = stage.f[stratum_of_psu]
    if kind == "JK1":
        if stage.n_groups > 1:
            raise ConfigError("type='JK1': the design is stratified; use type='JKn' (R: can't use JK1 for a "
                              "stratified design)")
        if len(np.unique(stage.f)) > 1:
            raise ConfigError("type='JK1': expected one FPC for the whole sample, found several")
    order = _psu_order(psu_of_row, n_psu)
    # replicates stratum by stratum (strata in order of appearance), PSUs in order of appearance
    stratum_first = np.full(stage.n_groups, n_psu, dtype=np.int64)
    np.minimum.at(stratum_first, stratum_of_psu, order)
    psu_in_rank = np.lexsort((order, stratum_first[stratum_of_psu]))
    lonely = n_h == 1
    certain = stage.certain[stratum_of_psu]
    keep = ~certain
    policy = design.lonely_psu
    if kind == "JKn" and (lonely & keep).any():
        if policy == "fail":
            raise ConfigError("type='JKn': a stratum has only one PSU (lonely_psu='fail'); choose a lonely_psu policy")
        if policy in ("remove", "certainty", "average"):
            keep &= ~lonely
    deleted = psu_in_rank[keep[psu_in_rank]]
    multipliers = np.ones((n_psu, len(deleted)))
    same_stratum = stratum_of_psu[:, None] == stratum_of_psu[deleted][None, :]
    factor = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
    multipliers = np.where(same_stratum, factor[:, None], 1.0)
    multipliers[deleted, np.arange(len(deleted))] = 0.0
    rscales = f_h[deleted] * (n_h[deleted] - 1) / n_h[deleted]
    scale = 1.0
    adjust = lonely[deleted]
    if adjust.any():  # lonely_psu="adjust": the stratum's replicate deletes it and reweights all others
        n_strata = stage.n_groups
        for j in np.flatnonzero(adjust):
            column = np.where(stratum_of_psu == stratum_of_psu[deleted[j]], 0.0, n_strata / (n_strata - 1))
            multipliers[:, j] = column
        rscales = np.where(adjust, (n_strata - 1) / n_strata, rscales)
    if kind == "JKn" and policy == "average" and len(deleted) < n_psu:
        scale = n_psu / len(deleted)
    if len(deleted) == 0:
        raise ConfigError("replicate weights: every stratum was sampled completely (you have the whole population)")
    if kind == "JK1":
        scale, rscales = float(rscales[0]), np.ones(len(deleted))
    return multipliers[psu_of_row], scale, rscales


def _brr(design: Design, rho: float, hadamard):
    psu_of_row, stratum_of_psu, stage = _first_stage(design)
    n_h = stage.n_units
    if (n_h != 2).any():
        bad = stage.group_labels[np.flatnonzero(n_h != 2)[0]]
        raise ConfigError(f"type='BRR'/'Fay': expected two PSUs in every stratum, found {int(n_h[n_h != 2][0])} "
                          f"in stratum {bad!r}; use JKn or bootstrap (R's brrweights would split or fail)")
    n_strata = stage.n_groups
    labels = pd.Series([str(v) for v in stage.group_labels])
    stratum_rank = np.empty(n_strata, dtype=np.int64)
    stratum_rank[np.argsort(labels.to_numpy(), kind="stable")] = np.arange(n_strata)
    if hadamard is None:
        h = sylvester(n_strata + 1)
    else:
        h = np.asarray(hadamard, dtype=float)
        if h.ndim != 2 or h.shape[0] < n_strata + 1 or len(np.unique(h)) != 2:
            raise ConfigError(f"hadamard: expected a two-valued matrix with at least {n_strata + 1} rows, "
                              f"found shape {h.shape}")
        values = np.unique(h)
        check = np.where(h == h.flat[0], 1.0, -1.0)
        if not np.allclose(check.T @ check, h.shape[0] * np.eye(h.shape[1])) or not values.size == 2:
            raise ConfigError("hadamard: the matrix is not a Hadamard matrix (columns not orthogonal)")
    # stratum x replicate: the first PSU gets 2 - rho. R's brrweights gives it 2 - rho where its own
    # hadamard() (0/1, first entry 1) has a 1, but where a hadamard.matrix= given has its second value
    same = h[1:n_strata + 1] == h.flat[0]
    flips = same if hadamard is None else ~same
    n_psu = len(stratum_of_psu)
    order = _psu_order(psu_of_row, n_psu)
    first_rank = np.full(n_strata, n_psu, dtype=np.int64)
    np.minimum.at(first_rank, stratum_of_psu, order)
    is_first = order == first_rank[stratum_of_psu]
    flip = flips[stratum_rank[stratum_of_psu]]
    first_gets_more = np.where(is_first[:, None], flip, ~flip)
    multipliers = np.where(first_gets_more, 2 - rho, rho)
    n_rep = h.shape[1]
    return multipliers[psu_of_row], 1 / (n_rep * (1 - rho) ** 2), np.ones(n_rep)


def _bootstrap(design: Design, replicates: int, seed, rao_wu: bool):
    psu_of_row, stratum_of_psu, stage = _first_stage(design)
    rng = np.random.default_rng(seed)
    n_psu = len(stratum_of_psu)
    counts = np.zeros((n_psu, replicates))
    for g in range(stage.n_groups):  # one draw per stratum, vectorised over replicates
        members = np.flatnonzero(stratum_of_psu == g)
        n = len(members)
        if rao_wu:
            if n < 2:
                raise ConfigError(f"type='subbootstrap': stratum {stage.group_labels[g]!r} has one PSU; "
                                  "Rao-Wu resampling needs two or more in every stratum")
            draws = rng.integers(0, n, size=(replicates, n - 1))
            scale_up = n / (n - 1)
        elif stage.f[g] < 1 and not stage.certain[g]:
            population = int(round(n / (1 - stage.f[g])))
            draws = rng.permuted(np.tile(np.resize(np.arange(n), population), (replicates, 1)), axis=1)[:, :n]
            scale_up = 1.0
        else:
            draws = rng.integers(0, n, size=(replicates, n))
            scale_up = 1.0
        tallies = np.zeros((replicates, n))
        np.add.at(tallies, (np.repeat(np.arange(replicates), draws.shape[1]), draws.ravel()), 1.0)
        counts[members] = tallies.T * scale_up
    if rao_wu:
        scale = 1 / (replicates - 1)
    else:
        m = 1 / np.mean(1 / stage.n_units)
        scale = m / ((m - 1) * (replicates - 1))
    return counts[psu_of_row], scale, np.ones(replicates)


def as_replicate(design: Design, type: str = "auto", *, rho: float = 0.0, replicates: int = 50, seed=None,
                 mse: bool = False, hadamard=None) -> ReplicateDesign:
    """Replicate weights from a linearisation design (R ``as.svrepdesign``).

    Parameters
    ----------
    design : Design
        Without calibration (calibrate the replicate design instead, as in R).
    type : {"auto", "JK1", "JKn", "BRR", "Fay", "bootstrap", "subbootstrap"}, default "auto"
        ``auto``: JK1 without strata, JKn with them (R's default).
    rho : float, default 0
        Fay's coefficient for ``type="Fay"`` (R ``fay.rho``).
    replicates : int, default 50
        Number of bootstrap replicates.
    seed : int or numpy Generator, optional
        For the bootstrap draws.
    mse : bool, default False
        R ``mse=`` (variance centred at the full-sample estimate).
    hadamard : array-like, optional
        A Hadamard matrix for BRR/Fay (R ``hadamard.matrix=``); default Sylvester's.

    Returns
    -------
    ReplicateDesign
        Analysis weights = multiplier x the design's weight.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [2., 2, 2, 2], "p": [1, 2, 3, 4], "y": [1., 2, 3, 4]})
    >>> r = as_replicate(Design(df, weight="w", psu="p"), "JK1")
    >>> r.n_replicates, round(r.scale, 4)
    (4, 0.75)

    R: ``as.svrepdesign(svydesign(id=~p, weights=~w, data=df), type="JK1")``.
    """
    design = require_design(design, caller="as_replicate")
    if type not in TYPES:
        raise ConfigError(f"type: expected one of {', '.join(TYPES)}, found {type!r}")
    if design.calibration:
        raise ConfigError("as_replicate: the design is calibrated; make replicates from the design before "
                          "calibration and calibrate the replicate design (as R does)")
    structure = design.structure
    stratified = structure.stages[0].n_groups > 1
    if type == "auto":
        type = "JKn" if stratified else "JK1"
    if type in ("JKn", "BRR", "Fay") and not stratified:
        raise ConfigError(f"type={type!r}: the design has no strata; use 'JK1' or 'bootstrap'")
    if len(structure.stages) > 1 or (design.fpc and len(design.fpc) > 1):
        warnings.warn("as_replicate: finite population corrections after the first stage are dropped (as R)",
                      ReplicateWarning, stacklevel=2)
    if type in ("BRR", "Fay") and design.fpc:
        warnings.warn("as_replicate: the finite population correction is dropped for BRR/Fay (as R)",
                      ReplicateWarning, stacklevel=2)
    if type == "Fay" and not 0 < rho < 1:
        raise ConfigError(f"type='Fay': expected 0 < rho < 1, found {rho!r}")
    if type in ("JK1", "JKn"):
        multipliers, scale, rscales = _jackknife(design, type)
    elif type in ("BRR", "Fay"):
        multipliers, scale, rscales = _brr(design, rho if type == "Fay" else 0.0, hadamard)
    else:
        if replicates < 2:
            raise ConfigError(f"replicates: expected at least 2, found {replicates}")
        multipliers, scale, rscales = _bootstrap(design, replicates, seed, rao_wu=type == "subbootstrap")
    analysis = multipliers * design.weights()[:, None]
    return ReplicateDesign.from_arrays(design.data, design.weight, analysis, type=type, scale=scale,
                                       rscales=rscales, mse=mse, rho=rho if type == "Fay" else None)
