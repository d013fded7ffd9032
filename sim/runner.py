"""Replications, seeds, executors, and a store that keeps finished replications.

Replication ``r`` of a run with seed ``s`` uses seed ``s + r``. Two scenarios run with the
same seed therefore share, replication by replication, the same population and the same
random draws for every decision the scenarios do not change (common random numbers), so
their difference is estimated precisely with few replications.

Replications are independent tasks and go through a ``concurrent.futures`` executor: a
local process pool by default (``workers``), or any executor passed in, such as
``dask.distributed.Client(...).get_executor()``.

With a ``store`` folder, each finished replication is written there at once (atomically),
under a key made of the resolved scenario, the number of households and the engine's
source code. A run that is interrupted keeps what it finished; run again with the same
store, it computes only the missing replications. A changed scenario or model never
reuses stale results.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

from sim.engine import Model
from sim.results import Results
from sim.scenario import Scenario

_SOURCE = Path(__file__).resolve().parent


def run_one(scenario: Scenario, seed: int = 0, households: int | None = None,
            progress: bool = False) -> Results:
    """One replication."""
    if households is not None and households < 1:
        raise ValueError(f"households must be at least 1, got {households}")
    model = Model(scenario, seed=seed, households=households)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=model.timeline.n_months, desc=scenario.name[:40], unit="month",
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
        progress: bool = False, store: str | Path | None = None) -> Results:
    """Run ``reps`` replications (seeds ``seed``..``seed+reps-1``) and combine them.

    ``workers`` > 1 runs them in a local process pool; ``executor`` uses any
    ``concurrent.futures`` executor instead (e.g. a Dask client's). ``store`` keeps each
    finished replication on disk and reuses those already there.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    seeds = [seed + r for r in range(reps)]
    keeper = ReplicationStore(store, scenario, households) if store else None
    done = {s: keeper.load(s) for s in seeds} if keeper else {}
    done = {s: r for s, r in done.items() if r is not None}
    todo = [s for s in seeds if s not in done]
    if executor is None and (workers or 1) <= 1:
        for s in todo:
            done[s] = run_one(scenario, s, households, progress=progress)
            if keeper:
                keeper.save(s, done[s])
    elif todo:
        own = executor is None
        pool = executor or ProcessPoolExecutor(max_workers=min(workers or os.cpu_count() or 1,
                                                             len(todo)))
        try:
            futures = {pool.submit(_task, (scenario, s, households)): s for s in todo}
            for future in as_completed(futures):
                s = futures[future]
                done[s] = future.result()
                if keeper:
                    keeper.save(s, done[s])
        finally:
            if own:
                pool.shutdown(cancel_futures=True)
    return Results.combine([done[s] for s in seeds])


def source_digest() -> str:
    """A digest of the engine's source code (so a changed model invalidates stored runs)."""
    h = hashlib.sha256()
    for path in sorted(_SOURCE.rglob("*.py")):
        h.update(path.relative_to(_SOURCE).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


class ReplicationStore:
    """Finished replications of one (scenario, households, model) on disk, one file each."""

    def __init__(self, folder: str | Path, scenario: Scenario, households: int | None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256()
        key.update(scenario.to_json().encode())
        key.update(repr(households).encode())
        key.update(source_digest().encode())
        self.key = key.hexdigest()[:16]

    def path(self, seed: int) -> Path:
        """Where the replication with this seed is kept."""
        return self.folder / f"{self.key}-seed{seed}.pkl"

    def load(self, seed: int) -> Results | None:
        """The stored replication, or None (also for an unreadable file)."""
        path = self.path(seed)
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None

    def save(self, seed: int, results: Results) -> None:
        """Write atomically: a half-written file never looks finished."""
        tmp = self.path(seed).with_suffix(".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.path(seed))

    def count(self) -> int:
        """Replications stored under this key."""
        return len(list(self.folder.glob(f"{self.key}-seed*.pkl")))
