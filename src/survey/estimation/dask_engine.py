"""Design-based estimation on a ``dask.dataframe``: one Dask reduction, then the in-memory kernel.

Taylor-linearised totals, means, proportions and ratios need only weighted sums per domain x
stratum x sampling unit (:func:`~survey.estimation.psu_totals`). Here every partition of a Dask
DataFrame is reduced to those sums where it lies (on a worker), the partial tables are added
up in a tree (:func:`~survey.estimation.combine_totals`), and the small result, a few rows per
domain and PSU, goes through :func:`~survey.estimation.finalize` in this process: the same SE,
df, CI, deff, notes and publication flags as the pandas engine. Partitioned float sums differ
from one pass over all rows only in the last bits (about 1e-15 relative).

The design-level checks (a PSU code in two strata, FPC consistency, lonely PSUs) run once on the
combined sums; the row-level checks (weights, missing design values) run on every partition.
Rows are their own PSUs when no ``psu`` is given: their labels must then differ across
partitions (:func:`read_parquet_partitions` numbers rows across files).

Example
-------
>>> import dask.dataframe as dd                                                   # doctest: +SKIP
>>> data = dd.read_parquet("survey_parts/")                                       # doctest: +SKIP
>>> design = DaskDesign(data, weight="w", strata="h", psu="p", nest=True)        # doctest: +SKIP
>>> estimate(design, "depressed", by=["district"], scheduler="synchronous")     # doctest: +SKIP

R has no cluster engine; the numbers are those of ``svyby(~depressed, ~district,
svydesign(id=~p, strata=~h, weights=~w, nest=TRUE, data=d), svyciprop)`` on the whole data.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from survey.errors import ConfigError, InputFileError
from survey.estimation.design import Design, _as_tuple
from survey.estimation.estimators import estimate_from_totals
from survey.estimation.result import EstimateResult
from survey.estimation.totals import _as_list, combine_totals
from survey.estimation.totals import psu_totals as _pandas_totals

#: partial totals tables added up per task of the tree reduction
SPLIT_EVERY = 8
LOCAL_SCHEDULERS = ("synchronous", "threads", "processes")


@dataclass(frozen=True, eq=False)
class DaskDesign:
    """A design over a ``dask.dataframe.DataFrame``: the settings of :class:`~survey.estimation.Design`.

    Parameters are those of :class:`~survey.estimation.Design` (weight, strata, psu, fpc, nest,
    lonely_psu, adjust_domain_lonely); calibration (raking, standardisation) needs the rows
    in one place and is not available here.
    """

    data: object
    weight: str
    strata: str | None = None
    psu: str | Sequence[str] | None = None
    fpc: str | Sequence[str] | None = None
    nest: bool = False
    lonely_psu: str = "fail"
    adjust_domain_lonely: bool = False

    def __post_init__(self) -> None:
        import dask.dataframe as dd

        if not isinstance(self.data, dd.DataFrame):
            raise ConfigError(f"DaskDesign: expected a dask.dataframe.DataFrame as data, found "
                              f"{type(self.data).__name__}")
        object.__setattr__(self, "psu", _as_tuple(self.psu))
        object.__setattr__(self, "fpc", _as_tuple(self.fpc))
        self.template  # noqa: B018  (checks the settings and the columns on the frame's metadata)

    def settings(self) -> dict:
        return {"weight": self.weight, "strata": self.strata, "psu": self.psu, "fpc": self.fpc, "nest": self.nest,
                "lonely_psu": self.lonely_psu, "adjust_domain_lonely": self.adjust_domain_lonely}

    @property
    def template(self) -> Design:
        """A partition design over the frame's (empty) metadata: the settings :func:`finalize` reads."""
        return Design(self.data._meta, partition=True, **self.settings())

    def columns(self, outcome: str | None, by: Sequence[str], denominator: str | None) -> list[str]:
        names = [self.weight, *([self.strata] if self.strata else []), *self.psu, *self.fpc, *by]
        names += [c for c in (outcome, denominator) if c is not None]
        return list(dict.fromkeys(names))


def _partition_totals(frame: pd.DataFrame, settings: dict, outcome, by, denominator) -> pd.DataFrame:
    design = Design(frame, partition=True, **settings)
    return _pandas_totals(design, outcome, by=by, denominator=denominator)


def _add(*parts: pd.DataFrame) -> pd.DataFrame:
    full = [p for p in parts if len(p)] or list(parts[:1])
    return full[0] if len(full) == 1 else combine_totals(full)


def psu_totals(design: DaskDesign, outcome: str | None, *, by: str | Sequence[str] | None = None,
               denominator: str | None = None, scheduler=None) -> pd.DataFrame:
    """:func:`~survey.estimation.psu_totals` of the whole Dask DataFrame, computed as one Dask reduction.

    ``scheduler``: None (Dask's default, or the active ``distributed.Client``), a
    ``distributed.Client``, or one of ``"synchronous"``, ``"threads"``, ``"processes"``.
    Returns the (small) pandas totals table.
    """
    import dask

    if not isinstance(design, DaskDesign):
        raise ConfigError(f"design: expected a DaskDesign, found {type(design).__name__}")
    by = _as_list(by)
    columns = design.columns(outcome, by, denominator)
    missing = [c for c in columns if c not in design.data.columns]
    if missing:
        raise ConfigError(f"column {missing[0]!r}: not found in the data (columns: "
                          f"{', '.join(map(str, list(design.data.columns)[:12]))})")
    parts = design.data[columns].to_delayed()
    settings = design.settings()
    tasks = [dask.delayed(_partition_totals)(part, settings, outcome, by, denominator) for part in parts]
    while len(tasks) > 1:
        tasks = [dask.delayed(_add)(*tasks[i:i + SPLIT_EVERY]) for i in range(0, len(tasks), SPLIT_EVERY)]
    (totals,) = dask.compute(tasks[0], scheduler=scheduler)
    return totals


def estimate(design: DaskDesign, outcome: str, *, stat: str | None = None, by: str | Sequence[str] | None = None,
             level: float = 0.95, ci_method: str | None = None, denominator: str | None = None,
             df: str | int = "domain", deff: str = "wor", scheduler=None) -> EstimateResult:
    """:func:`~survey.estimation.estimate` on a :class:`DaskDesign`: the same table, computed on Dask.

    Examples
    --------
    >>> estimate(DaskDesign(data, weight="w", psu="p"), "y", by="district")   # doctest: +SKIP
    """
    totals = psu_totals(design, outcome, by=by, denominator=denominator, scheduler=scheduler)
    return estimate_from_totals(totals, design.template, outcome, stat=stat, level=level, ci_method=ci_method,
                                df=df, deff=deff)


# ---------------------------------------------------------------- files and schedulers
def _read_part(path: str, start: int, wanted: list[tuple[str, str]]) -> pd.DataFrame:
    from survey.intake.typed import read_file_columns

    frame = read_file_columns(Path(path), wanted)
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def read_parquet_partitions(path: str | Path, columns: Sequence[tuple[str, str]]):
    """A Dask DataFrame over a Parquet file, a folder of them or a glob: one partition per file.

    ``columns`` are (role, name) pairs, checked against every file's schema before anything is
    read (a missing column is a one-line error naming the file). Rows are numbered across the
    files in name order (as the pandas engine numbers the concatenated files), so messages
    about rows and rows-as-PSUs designs mean the same on both engines.
    """
    import dask.dataframe as dd
    import pyarrow.parquet as pq

    from survey.intake.typed import PARQUET, _missing, partition_files

    files = partition_files(path)
    wrong = [f for f in files if f.suffix.lower() not in PARQUET]
    if wrong:
        raise InputFileError(f"{wrong[0]}: --engine dask reads Parquet files (a file, a folder or a glob of "
                             "*.parquet partitions); use --engine pandas for other formats")
    starts, start = [], 0
    for file in files:
        try:
            meta = pq.read_metadata(file)
            schema = pq.read_schema(file)
        except Exception as exc:  # pyarrow's errors for damaged files
            raise InputFileError(f"{file}: not a readable Parquet file: {' '.join(str(exc).split())[:120]}") from None
        _missing(file, schema.names, columns)
        starts.append(start)
        start += meta.num_rows
    names = list(dict.fromkeys(c for _, c in columns))
    meta_frame = pq.read_schema(files[0]).empty_table().select(names).to_pandas().reset_index(drop=True)
    reader = functools.partial(_read_part, wanted=list(columns))
    return dd.from_map(reader, [str(f) for f in files], starts, meta=meta_frame, enforce_metadata=False)


@contextmanager
def scheduler_for(address: str | None):
    """What to pass as ``scheduler=``: a LocalCluster's client (one worker per core) by default,
    a client of the cluster at ``address`` (``tcp://host:8786``), or a local scheduler's name."""
    if address in LOCAL_SCHEDULERS:
        yield address
        return
    import logging

    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"--scheduler: cannot connect to the Dask scheduler at {address!r} "
                              f"({' '.join(str(exc).split())[:120]}); start one with `dask scheduler`") from None
        with client:
            yield client
        return
    workers = os.cpu_count() or 1
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client

