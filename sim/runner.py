"""Replications, seeds and executors.

Replication ``r`` of a run with seed ``s`` uses seed ``s + r``. Two scenarios run with the
same seed therefore share, replication by replication, the same population and the same
random draws for every decision the scenarios do not change (common random numbers), so
their difference is estimated precisely with few replications.

Replications are independent tasks and go through a ``concurrent.futures`` executor: a
local process pool by default (``workers``), or any executor passed in, such as
``dask.distributed.Client(...).get_executor()``.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, ProcessPoolExecutor

from sim.engine import Model
from sim.results import Results
from sim.scenario import Scenario


def run_one(scenario: Scenario, seed: int = 0, households: int | None = None,
            progress: bool = False) -> Results:
    """One replication."""
    model = Model(scenario, seed=seed, households=households)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=model.timeline.n_months, desc=scenario.name, unit="month",
                   delay=2.0, leave=False)
    try:
        return model.run(progress=bar)
    finally:
        if bar is not None:
            bar.close()


def _task(args) -> Results:
    scenario, seed, households = args
    return run_one(scenario, seed, households)


def run(scenario: Scenario, reps: int = 1, seed: int = 0, households: int | None = None,
        workers: int | None = None, executor: Executor | None = None,
        progress: bool = False) -> Results:
    """Run ``reps`` replications (seeds ``seed``..``seed+reps-1``) and combine them.

    ``workers`` > 1 runs them in a local process pool; ``executor`` uses any
    ``concurrent.futures`` executor instead (e.g. a Dask client's).
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    seeds = [seed + r for r in range(reps)]
    if executor is None and (workers or 1) <= 1:
        runs = [run_one(scenario, s, households, progress=progress) for s in seeds]
    else:
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=min(workers or os.cpu_count() or 1,
                                                             reps))
        try:
            runs = list(pool.map(_task, [(scenario, s, households) for s in seeds]))
        finally:
            if own:
                pool.shutdown()
    return Results.combine(runs)
