"""Replications, seeds, executors, and a store that keeps finished replications.

Replication ``r`` of a run with seed ``s`` uses seed ``s + r``. Two scenarios run with the
same seed therefore share, replication by replication, the same population and the same
random draws for every decision the scenarios do not change (common random numbers), so
their difference is estimated precisely with few replications. Seeds are 0 to 2**32 - 1,
so ``seed + reps - 1`` must stay within that range.

Replications are independent tasks and go through a ``concurrent.futures`` executor: a
local process pool by default (``workers``), or any executor passed in, such as
``dask.distributed.Client(...).get_executor()``. Workers of the local pool exit when the
process that started them dies (Linux: ``PR_SET_PDEATHSIG``; elsewhere a watchdog thread),
and ignore Ctrl-C, which the parent handles: it stops the pool and keeps what finished.

With a ``store`` folder, each finished replication is written there at once (atomically),
as plain arrays with a checksum (see :class:`ReplicationStore`), under a key made of the
resolved scenario, the number of households and the engine's source code. A run that is
interrupted keeps what it finished; run again with the same store, it computes only the
missing replications. A changed scenario or model never reuses stale results.

Arguments are checked before anything is allocated (:func:`check_run_args`): whole
numbers in range, and a population that fits in the machine's memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import numbers
import os
import signal
import sys
import threading
import warnings
import zipfile
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from sim.engine import Model
from sim.parameters import GROUPS, POPULATION
from sim.population_file import data_digest
from sim.results import Results
from sim.scenario import Scenario

_SOURCE = Path(__file__).resolve().parent

#: Most replications one run accepts (a larger sweep is several runs).
MAX_REPS = 100_000
#: Largest seed: replication seeds ``seed .. seed + reps - 1`` must not pass it.
MAX_SEED = 2**32 - 1
#: Peak memory per simulated person, bytes: 287-301 measured by benchmarks/bench_engine.py
#: (README, "Speed and memory"), rounded up for pandas frames and the recorder.
BYTES_PER_PERSON = 400
#: Memory per row of monthly results kept for the whole run, bytes: about 1,100 measured
#: (111 columns, month and group as text, the annual rows), held twice while the
#: replications are combined.
RESULT_BYTES_PER_ROW = 2_200


class RunArgumentError(ValueError):
    """An argument of a run is refused: names the argument, the value and what is allowed."""

    def __init__(self, arg: str, value, problem: str, allowed: str):
        self.arg, self.value, self.problem, self.allowed = arg, value, problem, allowed
        super().__init__(self.message(arg))

    def message(self, name: str) -> str:
        """The one-line message with the argument called ``name`` (e.g. ``--households``)."""
        return f"{name}: value {self.value!r} {self.problem}; allowed: {self.allowed}"


def _whole(arg: str, value, low: int, high: int, allowed: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RunArgumentError(arg, value, "is not a whole number", allowed)
    if not low <= value <= high:
        raise RunArgumentError(arg, value, "is out of range", allowed)
    return int(value)


def available_memory() -> int | None:
    """Bytes of memory available to a new process (Linux MemAvailable, else physical)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def mean_household_size(scenario: Scenario) -> float:
    """Mean persons per household of the scenario's size distribution (6 = 6 or more)."""
    shares = scenario.params["population"]["household_size"]
    return sum(int(size) * share for size, share in shares.items())


def check_run_args(scenario: Scenario, reps=1, seed=0, households=None, workers=None,
                   memory: int | None = None) -> None:
    """Refuse arguments that are not whole numbers in range, or a run that cannot fit.

    Memory is estimated as households x mean household size x :data:`BYTES_PER_PERSON`
    for each replication running at once, and replications x months x groups x
    :data:`RESULT_BYTES_PER_ROW` for the results kept, against ``memory`` bytes
    (default: what the machine has available now). Raises :class:`RunArgumentError`
    before any allocation.
    """
    cap = int(POPULATION.children["households"].high)
    reps = _whole("reps", reps, 1, MAX_REPS, f"a whole number from 1 to {MAX_REPS:,}")
    _whole("seed", seed, 0, MAX_SEED, f"a whole number from 0 to {MAX_SEED}")
    if seed + reps - 1 > MAX_SEED:
        raise RunArgumentError("seed", seed, f"with {reps} replications passes the largest "
                               f"seed {MAX_SEED}", f"at most {MAX_SEED - reps + 1} with "
                               f"{reps} replications")
    if workers is not None:
        workers = _whole("workers", workers, 1, 1024, "a whole number from 1 to 1024")
    if households is not None:
        _whole("households", households, 1, cap, f"a whole number from 1 to {cap:,} "
               "(population.households in the scenario schema)")
    pop = scenario.params["population"]
    if pop["from"] and households not in (None, pop["households"]):
        raise RunArgumentError("households", households, f"differs from the "
                               f"{pop['households']:,} households of the population file "
                               f"{Path(pop['from']).name}", "leave it out (a weighted file "
                               "expands to population.expand_to)")
    n = households if households is not None else scenario.params["population"]["households"]
    at_once = min(workers or 1, reps)
    need = n * mean_household_size(scenario) * BYTES_PER_PERSON * at_once
    memory = available_memory() if memory is None else memory
    rows = reps * scenario.timeline.n_months * (len(GROUPS) + 1)  # monthly rows kept
    kept = rows * RESULT_BYTES_PER_ROW
    if memory is not None and kept > memory:
        fits = max(1, int(memory / (kept / reps)))
        raise RunArgumentError("reps", reps, f"keep about {kept / 2**30:,.1f} GiB of monthly "
                               f"results but {memory / 2**30:,.1f} GiB are available",
                               f"at most about {fits:,} replications of this scenario here "
                               "(or several runs)")
    if memory is not None and need > memory:
        fits = int(memory / (mean_household_size(scenario) * BYTES_PER_PERSON * at_once))
        raise RunArgumentError("households", n, f"needs about {need / 2**30:,.1f} GiB "
                               f"({at_once} replication(s) at once) but "
                               f"{memory / 2**30:,.1f} GiB are available",
                               f"at most about {fits:,} households here")


class _Progress:
    """One progress bar for a whole run: replications x months, wherever they run."""

    def __init__(self, total_months: int, reps: int, name: str):
        import warnings

        with warnings.catch_warnings():  # tqdm.auto warns in notebooks without ipywidgets
            warnings.simplefilter("ignore")
            from tqdm.auto import tqdm

            tty = sys.stderr.isatty()
            self.bar = tqdm(total=total_months, desc=name[:40], unit="month",
                            mininterval=0.2 if tty else 30.0, delay=1.0, leave=False,
                            file=sys.stderr)
        self.reps, self.done = reps, 0

    def update(self, n: int = 1) -> None:
        """Months simulated."""
        self.bar.update(n)

    def finished(self) -> None:
        """One more replication finished."""
        self.done += 1
        self.bar.set_postfix_str(f"{self.done}/{self.reps} replications", refresh=False)

    def close(self) -> None:
        """Remove the bar."""
        self.bar.close()


def run_one(scenario: Scenario, seed: int = 0, households: int | None = None,
            progress=False) -> Results:
    """One replication.

    ``progress`` is True (a bar of its own), False, or an object with ``update(months)``
    (the overall bar of :func:`run`).
    """
    check_run_args(scenario, 1, seed, households)
    return _simulate(scenario, seed, households, progress)


def _simulate(scenario: Scenario, seed: int, households: int | None, progress) -> Results:
    """One replication, arguments already checked."""
    model = Model(scenario, seed=seed, households=households)
    bar = None
    if progress is True:
        bar = _Progress(model.timeline.n_months, 1, scenario.name)
    try:
        return model.run(progress=bar if progress is True else (progress or None))
    finally:
        model.close()  # its memory is freed now, not at the next cycle collection
        if bar is not None:
            bar.close()


# ---- the local process pool ------------------------------------------------------------
_PROGRESS_QUEUE = None


class _QueueProgress:
    """In a worker: sends each simulated month to the parent's progress bar."""

    def __init__(self, queue):
        self.queue = queue

    def update(self, n: int = 1) -> None:
        """Report ``n`` months."""
        self.queue.put(n)


def _exit_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` dies, so no worker outlives its run."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl
                    os._exit(1)
                return
        except (OSError, AttributeError):  # pragma: no cover - no usable libc
            pass

    def watch():  # pragma: no cover - not Linux
        import time

        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watchdog").start()


def _worker_init(parent_pid: int, queue) -> None:
    """Pool worker set-up: exit with the parent, leave Ctrl-C to it, report progress."""
    global _PROGRESS_QUEUE
    _exit_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _PROGRESS_QUEUE = queue


def _task(args) -> Results:
    scenario, seed, households = args
    progress = _QueueProgress(_PROGRESS_QUEUE) if _PROGRESS_QUEUE is not None else None
    return _simulate(scenario, seed, households, progress)


class _Relay:
    """In the parent: a thread moving the workers' month counts to the progress bar."""

    def __init__(self, queue, progress: _Progress):
        self.queue, self.progress = queue, progress
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._forward, daemon=True,
                                       name="progress-relay")
        self.thread.start()

    def _forward(self) -> None:
        import queue as queue_module

        while not self.stop.is_set():
            try:
                n = self.queue.get(timeout=0.2)
            except queue_module.Empty:
                continue
            except (OSError, EOFError, ValueError):  # the queue was closed
                return
            if n is None:
                return
            self.progress.update(n)

    def close(self, interrupted: bool) -> None:
        """After a normal end, deliver every count; after an interruption, just stop.

        A worker ended mid-write may have left the queue unusable, so an interrupted run
        neither writes to it nor waits for its feeder thread.
        """
        if interrupted:
            self.stop.set()
            self.queue.cancel_join_thread()
            self.thread.join(timeout=5)
        else:  # every worker has exited, so its counts are all ahead of the sentinel
            self.queue.put(None)
            self.thread.join(timeout=120)
        self.queue.close()


def _local_pool(workers: int, progress: _Progress | None):
    """A process pool whose workers exit with this process; with a progress relay."""
    import multiprocessing

    ctx = multiprocessing.get_context()
    queue = ctx.Queue() if progress is not None else None
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(), queue))
    relay = _Relay(queue, progress) if queue is not None else None
    return pool, relay


def local_executor(workers: int) -> ProcessPoolExecutor:
    """The runner's local process pool for other tasks (calibration): ``workers`` processes.

    Its workers exit with this process and leave Ctrl-C to it, as a run's do. Use it in a
    ``with`` block (or call ``shutdown``) so that the processes end with the work.
    """
    _whole("workers", workers, 1, 1024, "a whole number from 1 to 1024")
    pool, _ = _local_pool(workers, None)
    return pool


def _stop_pool(pool: ProcessPoolExecutor, interrupted: bool) -> None:
    """Shut the pool down; after an interruption, end its workers at once."""
    if interrupted:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
    else:
        pool.shutdown(cancel_futures=True)


def run(scenario: Scenario, reps: int = 1, seed: int = 0, households: int | None = None,
        workers: int | None = None, executor: Executor | None = None,
        progress: bool = False, store: str | Path | None = None) -> Results:
    """Run ``reps`` replications (seeds ``seed``..``seed+reps-1``) and combine them.

    ``workers`` > 1 runs them in a local process pool; ``executor`` uses any
    ``concurrent.futures`` executor instead (e.g. a Dask client's). ``store`` keeps each
    finished replication on disk and reuses those already there. ``progress`` shows one
    bar for the whole run (replications x months). Bad arguments raise
    :class:`RunArgumentError` (a ValueError) before anything is simulated.
    """
    check_run_args(scenario, reps, seed, households, workers if executor is None else None)
    seeds = [seed + r for r in range(reps)]
    keeper = ReplicationStore(store, scenario, households) if store else None
    done = {s: keeper.load(s) for s in seeds} if keeper else {}
    done = {s: r for s, r in done.items() if r is not None}
    todo = [s for s in seeds if s not in done]
    months = scenario.timeline.n_months
    bar = _Progress(len(todo) * months, reps, scenario.name) if progress and todo else None
    if bar is not None:
        bar.done = len(done)
    try:
        if executor is None and (workers or 1) <= 1:
            for s in todo:
                done[s] = run_one(scenario, s, households, progress=bar or False)
                if keeper:
                    keeper.save(s, done[s])
                if bar is not None:
                    bar.finished()
        elif todo:
            _run_pool(scenario, todo, households, workers, executor, bar, keeper, done)
    finally:
        if bar is not None:
            bar.close()
    return Results.combine([done[s] for s in seeds])


def _run_pool(scenario, todo, households, workers, executor, bar, keeper, done) -> None:
    """Run the seeds ``todo`` on an executor, keeping each result as it finishes."""
    own = executor is None
    relay = None
    if own:
        n = min(workers or os.cpu_count() or 1, len(todo))
        pool, relay = _local_pool(n, bar)
    else:
        pool = executor
    interrupted = True
    try:
        futures = {pool.submit(_task, (scenario, s, households)): s for s in todo}
        for future in as_completed(futures):
            s = futures[future]
            done[s] = future.result()
            if keeper:
                keeper.save(s, done[s])
            if bar is not None:
                if not own:  # a remote executor reports whole replications only
                    bar.update(scenario.timeline.n_months)
                bar.finished()
        interrupted = False
    finally:
        if own:
            _stop_pool(pool, interrupted)
            if relay is not None:
                relay.close(interrupted)


def source_digest() -> str:
    """A digest of the engine's source code (so a changed model invalidates stored runs)."""
    h = hashlib.sha256()
    for path in sorted(_SOURCE.rglob("*.py")):
        h.update(path.relative_to(_SOURCE).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


#: Frames of a Results kept in a store file, in this order.
_FRAMES = ("monthly", "annual", "summary", "events", "summary_by_rep", "clusters")
_STORE_FORMAT = 2


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _frame_arrays(name: str, frame: pd.DataFrame, arrays: dict) -> list[dict]:
    """Put a frame's columns into ``arrays`` as plain numpy data; return their layout.

    Numbers and booleans are stored as they are; every other column as unicode text with
    a mask of missing values, so that nothing in the file needs unpickling.
    """
    layout = []
    for i, col in enumerate(frame.columns):
        series = frame[col]
        key = f"{name}__{i}"
        values = series.to_numpy() if series.dtype.kind in "biuf" else None
        if values is not None and values.dtype != object:
            arrays[key] = values
            layout.append({"name": str(col), "dtype": str(series.dtype)})
        else:
            missing = series.isna().to_numpy()
            arrays[key] = np.asarray(series.where(~missing, "").astype(str).to_numpy(),
                                     dtype=str)
            arrays[key + "__na"] = missing
            layout.append({"name": str(col), "dtype": str(series.dtype), "text": True})
    return layout


def _frame_from_arrays(name: str, layout: list[dict], data) -> pd.DataFrame:
    columns = {}
    for i, col in enumerate(layout):
        key = f"{name}__{i}"
        values = data[key]
        if col.get("text"):
            obj = values.astype(object)
            obj[data[key + "__na"]] = None
            columns[col["name"]] = pd.Series(obj, dtype=col["dtype"])
        else:
            columns[col["name"]] = pd.Series(values, dtype=col["dtype"])
    return pd.DataFrame(columns)


def results_to_npz(results: Results, path: Path) -> None:
    """Write one replication as an ``.npz`` of plain arrays (no pickled objects)."""
    arrays: dict[str, np.ndarray] = {}
    layout = {name: _frame_arrays(name, getattr(results, name), arrays) for name in _FRAMES}
    header = {"format": _STORE_FORMAT, "frames": layout, "meta": results.meta}
    arrays["__header__"] = np.array(json.dumps(header, default=_json_number))
    if any(a.dtype == object for a in arrays.values()):  # would be pickled: never
        raise TypeError("an object column cannot be stored as plain data")
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def results_from_npz(path: Path) -> Results:
    """Read a replication written by :func:`results_to_npz`; never unpickles anything."""
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["__header__"]))
        if header.get("format") != _STORE_FORMAT:
            raise ValueError(f"store format {header.get('format')!r}")
        frames = {name: _frame_from_arrays(name, header["frames"][name], data)
                  for name in _FRAMES}
    return Results(frames["monthly"], frames["annual"], frames["summary"], header["meta"],
                   frames["events"], frames["summary_by_rep"], frames["clusters"])


def _json_number(value):
    """JSON for numpy scalars and arrays in ``meta``; anything else as its text."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    return str(value)


def _same(a: Results, b: Results) -> bool:
    """Whether two replications hold identical frames (dtypes included) and meta."""
    return a.meta == b.meta and all(getattr(a, n).equals(getattr(b, n)) for n in _FRAMES)


def _reraise_interrupt(exc: BaseException) -> None:
    """Raise the Ctrl-C or termination that ``exc`` was raised while handling, if any.

    Ctrl-C while ``np.savez`` writes makes the zip file's close raise ValueError ("Can't
    close the ZIP file while there is an open writing handle"), which replaces the
    KeyboardInterrupt: caught as a failed write, it would let the run go on.
    """
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, (KeyboardInterrupt, SystemExit)):
            raise seen
        seen = seen.__context__


class ReplicationStore:
    """Finished replications of one (scenario, households, model) on disk, one file each.

    Each replication is an ``.npz`` file of plain arrays (``<key>-seed<N>.npz``); the
    folder's ``manifest.json`` records the sha256 of every file written. A file is loaded
    only if the manifest holds it and its checksum matches, and only with pickling off, so
    a changed, truncated or planted file is recomputed (and overwritten), never executed.
    """

    MANIFEST = "manifest.json"

    def __init__(self, folder: str | Path, scenario: Scenario, households: int | None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        key = hashlib.sha256()
        key.update(scenario.to_json().encode())
        key.update(repr(households).encode())
        key.update(source_digest().encode())
        key.update(data_digest(scenario.params).encode())  # a changed population file
        self.key = key.hexdigest()[:16]

    def path(self, seed: int) -> Path:
        """Where the replication with this seed is kept."""
        return self.folder / f"{self.key}-seed{seed}.npz"

    def _manifest(self) -> dict[str, str]:
        """File name -> sha256 of the files this store wrote (empty if unreadable)."""
        try:
            data = json.loads((self.folder / self.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            return {}
        return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}

    def has(self, seed: int) -> bool:
        """Whether a verified replication with this seed is stored."""
        path = self.path(seed)
        expected = self._manifest().get(path.name)
        try:
            return expected is not None and path.is_file() and _sha256(path) == expected
        except OSError:
            return False

    def load(self, seed: int) -> Results | None:
        """The stored replication, or None if absent, unlisted, changed or unreadable."""
        if not self.has(seed):
            return None
        try:
            return results_from_npz(self.path(seed))
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
            return None

    def save(self, seed: int, results: Results) -> None:
        """Write atomically, then record the file's checksum in the manifest.

        The file is read back first: a replication that would not come back identical
        (a column type the format does not keep) is not stored, with a warning, so that a
        resumed run never differs from an uninterrupted one.
        """
        path = self.path(seed)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            results_to_npz(results, tmp)
            kept = _same(results_from_npz(tmp), results)
        except (TypeError, ValueError, KeyError) as exc:
            tmp.unlink(missing_ok=True)
            _reraise_interrupt(exc)
            kept = False
        if not kept:
            tmp.unlink(missing_ok=True)
            warnings.warn(f"replication with seed {seed} does not survive the store's "
                          "round trip; it is not kept (a resumed run recomputes it)",
                          RuntimeWarning, stacklevel=2)
            return
        digest = _sha256(tmp)
        os.replace(tmp, path)
        with _locked(self.folder / ".manifest.lock"):
            files = self._manifest()
            files[path.name] = digest
            self._write_manifest(files)

    def _write_manifest(self, files: dict[str, str]) -> None:
        text = json.dumps({"format": _STORE_FORMAT, "files": files}, indent=1, sort_keys=True)
        tmp = self.folder / f".{self.MANIFEST}.{os.getpid()}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.folder / self.MANIFEST)

    def count(self) -> int:
        """Verified replications stored under this key."""
        names = self._manifest()
        return sum(1 for name in names if name.startswith(f"{self.key}-seed")
                   and self.has(int(name[len(self.key) + 5:-4])))

    def prune(self, keep_seeds) -> None:
        """Remove every other file: other keys, other seeds, stray or planted files."""
        keep = {self.path(s).name for s in keep_seeds}
        with _locked(self.folder / ".manifest.lock"):
            for path in self.folder.iterdir():
                if path.name in keep or path.name in (self.MANIFEST, ".manifest.lock"):
                    continue
                if path.is_file() or path.is_symlink():
                    path.unlink()
            files = {k: v for k, v in self._manifest().items() if k in keep}
            self._write_manifest(files)


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive advisory lock on ``path`` (POSIX; a no-op elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
