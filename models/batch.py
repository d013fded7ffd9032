"""Batches: packages x replications (x posterior draws) in one long tidy table.

A *package* is a name and a dict of dotted overrides applied to a base scenario, e.g.
``{"no contracts": {"policies.contracts.enabled": False}}``; an empty dict is the base
itself, and a :class:`~sim.scenario.Scenario` in place of the dict is run as it is (to batch
different scenarios or calendars). :func:`run_batch` runs every package with the same seeds
(replication ``r`` uses seed ``seed + r`` in every package: common random numbers) and, when
posterior draws are given, for every draw (a dict of overrides applied before the package's
own). It returns a :class:`Batch` whose :attr:`Batch.table` has one row per

    sample, draw, rep, seed, package, group, indicator, value, unit

built from each run's summary (group ``all``) and, for the indicators in ``annual``, from its
annual frame by target group (indicator ``<name>_<year>``). Every count and sum of money in
the table is scaled to the area (``population.represents_households``); rates are not
scaled. :attr:`Batch.clusters` keeps each run's window counts by household cluster (the
units of within-run intervals, ``models.effects``). The batch adds
``formerly_poor_households_<period>`` (the denominator of the cumulative rates) and
``returned_illness_households_<period>`` (return to poverty due to illness over the reported
period, households: the cumulative rate times that denominator).

Each run is a task on a ``concurrent.futures`` executor: serial by default, a local process
pool with ``workers`` > 1, or any executor passed in (see :func:`executor_for` for Dask).
With ``store``, each task calls :func:`sim.runner.run` with ``store=<store>/<package key>``,
so every finished run is kept at once by the runner's own store and a batch started again
with the same store computes only what is missing. The store must be a folder every worker
can reach (true for a local pool and a local Dask cluster). A run that fails is recorded in
:attr:`Batch.failures` with its package, draw and seed; the others are kept.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.intervals import t_quantile
from sim.scenario import Scenario, load_scenario, parse_overrides

#: Annual indicators taken by target group by default (flows and rates of return to poverty).
ANNUAL_DEFAULT = ("formerly_poor_households_start", "returned_households",
                  "returned_illness_households", "new_poor_illness_households",
                  "return_rate", "return_illness_rate", "new_poor_illness_rate",
                  "oop_yuan", "assistance_yuan")
#: Columns of :attr:`Batch.table`, in order.
COLUMNS = ["sample", "draw", "rep", "seed", "package", "group", "indicator", "value", "unit"]
#: What the cumulative-rate indicators of a run are called: ``<base>_<start>_<end>``.
CUMULATIVE = "_cumulative"

CHANCE = "chance only: 95% CI of the mean across replications (t-interval)"


@dataclass(frozen=True)
class Failure:
    """A run that raised: which package, draw and seed, and the error (one line)."""

    package: str
    draw: int
    seed: int
    error: str

    def __str__(self) -> str:
        return f"package {self.package!r}, draw {self.draw}, seed {self.seed}: {self.error}"


@dataclass(frozen=True)
class Batch:
    """The long table of a batch, its packages, seeds and failed runs."""

    base: str
    packages: dict[str, dict[str, Any] | Scenario]
    seeds: tuple[int, ...]
    draws: int
    table: pd.DataFrame = field(repr=False)
    failures: tuple[Failure, ...] = ()
    #: each run's window counts by household cluster (``sim.results.WINDOW_CLUSTERS``):
    #: ``sample, package, cluster`` and the counts (households of the run, not scaled),
    #: the units of within-run intervals (``models.effects``)
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """The long tidy table (a copy)."""
        return self.table.copy()

    @property
    def reps(self) -> int:
        """Replications per package and draw."""
        return len(self.seeds)

    @property
    def indicators(self) -> list[str]:
        """Indicator names in the table (group ``all``)."""
        return list(dict.fromkeys(self.table.loc[self.table["group"] == "all", "indicator"]))

    def resolve(self, indicator: str | None, kind: str = "return_illness_rate") -> str:
        """An indicator name in the table; ``None`` means ``<kind>_cumulative``.

        The cumulative indicators cover the reported window, whatever it is
        (``return_illness_rate_cumulative``; the window is in their unit).
        """
        names = self.indicators
        if indicator is None:
            indicator = kind + CUMULATIVE
            if indicator not in names:
                raise KeyError(f"no cumulative {kind!r} indicator in the batch")
            return indicator
        if indicator not in names:
            close = [n for n in names if n.startswith(indicator.split("_")[0])][:8]
            raise KeyError(f"no indicator {indicator!r} in the batch"
                           + (f"; similar: {', '.join(close)}" if close else ""))
        return indicator

    def wide(self, indicator: str | None = None, group: str = "all") -> pd.DataFrame:
        """One indicator: rows are samples, columns packages (in batch order)."""
        name = self.resolve(indicator)
        t = self.table[(self.table["indicator"] == name) & (self.table["group"] == group)]
        w = t.pivot(index="sample", columns="package", values="value")
        return w[[p for p in self.packages if p in w.columns]]

    def summary(self, indicators: Sequence[str] | None = None, group: str = "all",
                alpha: float = 0.05) -> pd.DataFrame:
        """Mean by package, with a CI of the mean and the range across samples, each named.

        ``ci_lo, ci_hi``: chance only, the (1 - alpha) t-interval of the mean across
        samples. ``range_lo, range_hi``: the alpha/2 to 1 - alpha/2 quantiles of the
        samples (where single runs fall, not how well the mean is known).
        """
        t = self.table[self.table["group"] == group]
        if indicators is not None:
            t = t[t["indicator"].isin([self.resolve(i) for i in indicators])]
        g = t.groupby(["package", "indicator", "unit"], sort=False)["value"]
        n = g.count()
        mean, sd = g.mean(), g.std(ddof=1)
        half = t_quantile(1 - alpha / 2, (n - 1).clip(lower=1)) * sd / np.sqrt(n)
        half[n < 2] = np.nan
        out = pd.DataFrame({"n": n, "mean": mean, "ci_lo": mean - half, "ci_hi": mean + half,
                            "range_lo": g.quantile(alpha / 2),
                            "range_hi": g.quantile(1 - alpha / 2)}).reset_index()
        return out

    def __repr__(self) -> str:
        return (f"<Batch {self.base}: {len(self.packages)} package(s) x {self.draws} draw(s) "
                f"x {self.reps} replication(s), {len(self.failures)} failure(s)>")


@dataclass(frozen=True)
class PackageFile:
    """A TOML file of packages and measures (see ``scenarios/packages/example.toml``)."""

    path: Path
    description: str
    base: str | None
    comparator: str | None
    packages: dict[str, dict[str, Any]]
    measures: dict[str, Any]


def load_packages(path: str | Path) -> PackageFile:
    """Read a packages file; a bare name is looked up in ``scenarios/packages/``.

    Tables: ``description``, ``base`` (scenario), ``comparator`` (a package name),
    ``[every_package]`` (overrides under every package's own), ``[packages.<name>]`` (dotted
    keys, quoted) and ``[measures]`` (``name = "switch"`` or ``name = {overrides}``).
    """
    import tomllib

    from sim.scenario import SCENARIO_DIR

    p = Path(path)
    for c in (p, SCENARIO_DIR / "packages" / f"{p}.toml"):
        if c.is_file():
            p = c
            break
    else:
        known = ", ".join(sorted(q.stem for q in (SCENARIO_DIR / "packages").glob("*.toml")))
        raise ValueError(f"{path}: no such packages file (a .toml path, or one of: {known})")
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{p}: not valid TOML ({exc})") from None
    allowed = {"description", "base", "comparator", "every_package", "packages", "measures"}
    extra = set(raw) - allowed
    if extra:
        raise ValueError(f"{p}: unknown table(s) {sorted(extra)}; allowed: {sorted(allowed)}")
    common = raw.get("every_package", {})
    packages = {name: {**common, **(over or {})} for name, over in
                raw.get("packages", {}).items()}
    comparator = raw.get("comparator")
    if comparator is not None and comparator not in packages:
        raise ValueError(f"{p}: comparator {comparator!r} is not one of its packages")
    return PackageFile(p, raw.get("description", ""), raw.get("base"), comparator, packages,
                       dict(raw.get("measures", {})))


def package_key(name: str) -> str:
    """A folder name for a package's stored runs: a slug plus a short hash of the name."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:40] or "package"
    return f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"


def normalise_packages(packages) -> dict[str, dict[str, Any]]:
    """Packages as {name: {dotted key: value}}; accepts dicts or 'k=v' lists as values."""
    if isinstance(packages, Mapping):
        items = packages.items()
    else:
        items = [(p, {}) if isinstance(p, str) else p for p in packages]
    out: dict[str, dict[str, Any]] = {}
    for name, overrides in items:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a package needs a non-empty name, got {name!r}")
        if name in out:
            raise ValueError(f"package {name!r} is given twice")
        out[name] = (overrides if isinstance(overrides, Scenario)
                     else dict(parse_overrides(overrides or {}, f"package {name!r}")))
    if not out:
        raise ValueError("a batch needs at least one package")
    return out


def build_scenarios(base: Scenario, packages: dict[str, dict[str, Any]],
                    draws: Sequence[Mapping[str, Any]] | None = None
                    ) -> dict[tuple[str, int], Scenario]:
    """Every (package, draw) scenario, validated before anything runs."""
    out = {}
    for d, draw in enumerate(draws or [{}]):
        def drawn(scn: Scenario, d=d, draw=draw) -> Scenario:
            return scn.with_overrides(dict(draw), source=f"draw {d}",
                                      name=f"{scn.name}{{draw {d}}}" if draw else None)

        with_draw = drawn(base)
        for name, overrides in packages.items():
            if isinstance(overrides, Scenario):  # a whole scenario as a package
                out[name, d] = drawn(overrides)
            else:
                out[name, d] = with_draw.with_overrides(
                    overrides, source=f"package {name!r}", name=f"{with_draw.name}[{name}]")
    return out


def run_batch(base: Scenario | str | Path | None, packages, reps: int = 5, seed: int = 0,
              households: int | None = None, draws: Sequence[Mapping[str, Any]] | None = None,
              executor: Executor | None = None, workers: int | None = None,
              store: str | Path | None = None, annual: Sequence[str] = ANNUAL_DEFAULT,
              progress: bool = False) -> Batch:
    """Run every package (x draw) for ``reps`` replications with common random numbers.

    ``base`` is a :class:`~sim.scenario.Scenario`, a scenario file or name (``None``: the
    default). ``draws`` are posterior draws, each a dict of overrides; the samples of the
    table are then (draw, rep) pairs, numbered ``sample = draw * reps + rep``. See the
    module docstring for the table, the store and failures.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if households is not None and households < 1:
        raise ValueError(f"households must be at least 1, got {households}")
    if not isinstance(base, Scenario):
        base = load_scenario(base)
    pkgs = normalise_packages(packages)
    draws = list(draws) if draws else None
    scenarios = build_scenarios(base, pkgs, draws)
    seeds = tuple(seed + r for r in range(reps))
    tasks = [(name, d, r, s) for (name, d) in scenarios for r, s in enumerate(seeds)]
    root = Path(store) if store is not None else None

    def args(task):
        name, d, r, s = task
        folder = None
        if root is not None:
            folder = root / package_key(name) / (f"draw{d}" if draws else "")
        return (scenarios[name, d], s, households, folder, tuple(annual))

    parts: dict[tuple, pd.DataFrame] = {}
    failures: list[Failure] = []
    bar = _bar(len(tasks), progress)
    own = executor is None and (workers or 1) > 1
    pool = executor or (ProcessPoolExecutor(max_workers=min(workers, len(tasks))) if own
                        else None)
    try:
        if pool is None:
            for task in tasks:
                try:
                    parts[task] = run_task(args(task))
                except Exception as exc:  # noqa: BLE001 - a failed run must not stop the batch
                    failures.append(Failure(task[0], task[1], task[3], _one_line(exc)))
                bar.update()
        else:
            futures = {pool.submit(run_task, args(t)): t for t in tasks}
            for future in as_completed(futures):
                task = futures[future]
                try:
                    parts[task] = future.result()
                except Exception as exc:  # noqa: BLE001
                    failures.append(Failure(task[0], task[1], task[3], _one_line(exc)))
                bar.update()
    finally:
        bar.close()
        if own:
            pool.shutdown(cancel_futures=True)
    frames, cluster_frames = [], []
    for task in tasks:  # batch order, whatever order the runs finished in
        if task in parts:
            name, d, r, s = task
            rows, clusters = parts[task]
            frames.append(rows.assign(sample=d * reps + r, draw=d, rep=r, seed=s,
                                      package=name))
            cluster_frames.append(clusters.drop(columns="rep", errors="ignore").assign(
                sample=d * reps + r, package=name))
    table = (pd.concat(frames, ignore_index=True)[COLUMNS] if frames
             else pd.DataFrame(columns=COLUMNS))
    clusters = (pd.concat(cluster_frames, ignore_index=True) if cluster_frames
                else pd.DataFrame())
    failures.sort(key=lambda f: (list(pkgs).index(f.package), f.draw, f.seed))
    return Batch(base.name, pkgs, seeds, len(draws) if draws else 1, table, tuple(failures),
                 clusters)


def run_task(args) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One run's tidy rows and its window counts by household cluster.

    Module-level, so that process pools and Dask can send it to a worker.
    """
    from sim.runner import run

    scenario, seed, households, folder, annual = args
    res = run(scenario, reps=1, seed=seed, households=households, store=folder)
    return tidy(res, annual), res.clusters


def tidy(res, annual: Sequence[str] = ANNUAL_DEFAULT) -> pd.DataFrame:
    """One run's rows: group, indicator, value, unit (counts and money scaled to the area)."""
    s = res.summary
    rows = [pd.DataFrame({"group": "all", "indicator": s["indicator"], "value": s["value"],
                          "unit": s["unit"]})]
    scale = res.meta["scale"]
    a = res.annual
    first = a["year"].min()
    fp0 = float(a.loc[(a["year"] == first) & (a["group"] == "all"),
                      "formerly_poor_households_start"].iloc[0]) * scale
    name = "return_illness_rate" + CUMULATIVE
    if name in set(s["indicator"]):
        rate = float(s.loc[s["indicator"] == name, "value"].iloc[0])
        extra = pd.DataFrame({
            "group": "all",
            "indicator": ["formerly_poor_households" + CUMULATIVE,
                          "returned_illness_households" + CUMULATIVE],
            "value": [fp0, rate * fp0],
            "unit": ["households at the start (scaled to the area)",
                     "households (scaled to the area)"]})
        rows.append(extra)
    known = set(s["indicator"])
    for col in annual:
        if col not in a:
            raise KeyError(f"no annual indicator {col!r}")
        is_rate = col.endswith("_rate")
        unit = ("per household-year of the denominator" if is_rate
                else ("yuan (scaled to the area)" if col.endswith("_yuan")
                      else "households (scaled to the area)"))
        part = pd.DataFrame({"group": a["group"].to_numpy(),
                             "indicator": [f"{col}_{int(y)}" for y in a["year"]],
                             "value": a[col].to_numpy(dtype=float) * (1.0 if is_rate
                                                                      else scale),
                             "unit": unit})
        part = part[~((part["group"] == "all") & part["indicator"].isin(known))]
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def executor_for(scheduler: str | None = None, workers: int = 1,
                 processes: bool = True) -> Executor:
    """An executor for a batch; use it in a ``with`` block so that it is shut down.

    ``None``: a local process pool of ``workers`` processes (the default). ``"local"``: a
    Dask ``LocalCluster`` of ``workers`` workers with one thread each (``processes=False``
    keeps them as threads of this process, for tests). Any other text: the address of a
    running Dask scheduler (``tcp://host:8786``); its client's ``get_executor()`` is used.
    Leaving the ``with`` block closes the client and a cluster started here.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if scheduler is None:
        return ProcessPoolExecutor(max_workers=workers)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise ValueError(f"--scheduler needs dask[distributed] ({exc})") from None
    if scheduler == "local":
        import dask

        with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environ()}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                   processes=processes, dashboard_address=None)
        return DaskExecutor(Client(cluster), cluster)
    try:
        return DaskExecutor(Client(scheduler, timeout="10s"))
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None


def worker_environ() -> dict:
    """Dask's environment for new worker processes, without ``MALLOC_TRIM_THRESHOLD_``.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which fixes glibc's
    threshold for memory maps: every array above 128 KiB is then mapped and unmapped
    afresh instead of reusing freed memory, and the engine's monthly temporaries make a
    run 2.3 times slower (100,000 households: 13.2 s against 5.7 s in one process,
    measured here). Workers of a local cluster start without it; workers started by hand
    for ``--scheduler ADDRESS`` should be too (README, "Batches on Dask").
    """
    import dask

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {})
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environ


class DaskExecutor(Executor):
    """A Dask client's ``concurrent.futures`` executor that also closes its client.

    Submitting goes to ``Client.get_executor()`` unchanged; only shutdown is added, so
    that a client (and a ``LocalCluster`` started for it) does not outlive the batch.
    """

    def __init__(self, client, cluster=None):
        self.client, self.cluster = client, cluster
        self._executor = client.get_executor()

    def submit(self, fn, /, *args, **kwargs):
        """Submit to the Dask cluster; returns a ``concurrent.futures.Future``."""
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Close the client and the cluster started for it."""
        self._executor.shutdown(wait=wait)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _one_line(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}".replace("\n", " ")


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool):
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="runs", unit="run", delay=2.0, leave=False)
