"""Running independent simulations on both cores (or on a Dask cluster), results in input order."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence, TypeVar

from engine.util.cluster import active_cluster

J = TypeVar("J")
R = TypeVar("R")

DEFAULT_WORKERS = 2
"""The reference machine has two cores; more workers than cores only adds overhead."""


def workers_for(requested: int | None) -> int:
    """The worker count to use: the one asked for, else two (or fewer on a smaller machine)."""
    return requested if requested is not None else min(DEFAULT_WORKERS, os.cpu_count() or 1)


def run_all(
    fn: Callable[[J], R],
    jobs: Sequence[J],
    *,
    workers: int | None = None,
    min_jobs: int = 3,
    chunksize: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """``[fn(job) for job in jobs]``, in processes when there are ``min_jobs`` jobs or more.

    ``fn`` must be a module-level function (it is pickled). Results come back in
    the order of ``jobs`` whatever the workers' timing, so output built from them
    is deterministic; ``progress(done, total)`` is called after each one (after
    each batch on a cluster).

    Inside :func:`engine.util.cluster.use_cluster` the jobs run on that Dask
    cluster instead, in batches of at most ``chunksize``; ``workers=1`` (run
    here, in this process) and fewer than ``min_jobs`` jobs still run locally.
    """
    count = workers_for(workers)
    cluster = active_cluster()
    if cluster is not None and workers != 1 and len(jobs) >= min_jobs:
        return cluster.map(fn, jobs, chunksize=chunksize, progress=progress)
    results: list[R] = []
    if count > 1 and len(jobs) >= min_jobs:
        with ProcessPoolExecutor(max_workers=min(count, len(jobs))) as pool:
            for result in pool.map(fn, jobs, chunksize=max(1, chunksize)):
                results.append(result)
                if progress:
                    progress(len(results), len(jobs))
    else:
        for job in jobs:
            results.append(fn(job))
            if progress:
                progress(len(results), len(jobs))
    return results
