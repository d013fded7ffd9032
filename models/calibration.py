"""Calibration: fit a scenario's uncertain parameters to observed targets by ABC-SMC (pyabc).

What goes in:

* a scenario whose ``[[calibration.parameters]]`` declare the keys to fit and their priors
  (:mod:`sim.priors`);
* targets (:mod:`models.targets`): observed values of model outputs with their scales.

The model is a function of a parameter draw: ``scenario.with_overrides(draw)`` →
:func:`sim.runner.run_one` → the simulated value of every target. The distance between a
simulation and the observations is the root mean square of the standardised differences,
``sqrt(mean(((simulated - observed) / scale) ** 2))``, with each target's scale its ``sd``
(or its interval, or 10% of the observed value; see :class:`models.targets.Target`), so an
epsilon of 1 means "within one scale unit of every target on average".

The method is ABC-SMC (Toni et al. 2009; Beaumont et al. 2009) through pyabc: a first
population from the prior, then generations with an adaptive tolerance (the median of the
previous generation's distances), weighted particles, and a multivariate normal
perturbation kernel whose covariance adapts to the previous population. Its result is a
weighted sample of the approximate posterior; intervals of it are *credible intervals*.

Randomness and reproducibility
------------------------------
**Each simulation gets its own seed** (``noise="fresh"``, the default), derived from the
fit's seed, the generation and the proposal's index. The simulator is then a stochastic
model, as it is, and ABC accepts a parameter with the probability that *a* realisation of
the model lies within epsilon of the observations: the posterior carries the model's
stochastic variation. The alternative, ``noise="common"``, runs every simulation with the
fit's seed (common random numbers), so the simulator is a deterministic, smoother function
of the parameters and ABC converges in fewer simulations; but its posterior is conditional
on *one* stochastic realisation: if that realisation happens to lie off the middle, every
interval is shifted with it and is too narrow, because the realisation's own noise counts
as information. A small simulated population makes this worse (2,000 households standing
for 2 million carry about 30 times the area's relative noise). Fresh seeds err on the wide
side, common seeds on the narrow and biased side; we take the honest default and keep
``common`` for quick exploration.

The same fit seed gives the same posterior, with any number of workers: proposals are
drawn in this process, each from a generator seeded with (fit seed, generation, proposal
index), and simulated in fixed batches through an executor's ordered ``map``: the built-in
one (``workers`` 1), the runner's local process pool (``workers`` > 1) or any
``concurrent.futures`` executor (``executor``, e.g. a Dask client's); the first
``population_size`` accepted proposals, in proposal order, are the population (see
:mod:`models.abc_sampler`). Each simulation's seed is a function of the same three numbers,
never of which worker ran it or when it finished.

Each simulation runs only up to the last month a target needs
(:meth:`models.targets.Targets.months_needed`); the posterior predictive runs the whole
scenario, for the trajectories of the figures.

Resuming
--------
The pyabc history is an SQLite file (``db``). Because every generation starts by loading
the history (``ABCSMC.load``) and re-seeding, a fit interrupted after generation ``k``
and started again with the same settings continues with generation ``k + 1`` exactly as an
uninterrupted fit would have. A fingerprint of the settings (scenario, targets, priors,
households, population size, seed, noise, the source of the model and of the fit) is kept
beside the database; a changed setting starts afresh (the old history is moved to
``<db>.previous``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import sys
import time
import warnings
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from models import abc_sampler
from models.abc_sampler import OrderedSampler
from models.targets import Targets, load_targets
from sim.engine import Model
from sim.runner import check_run_args, local_executor, run_one, source_digest
from sim.scenario import Scenario, schema
from sim.schema import ScenarioError

#: A parameter is flagged as not identified unless its posterior sd is clearly at most
#: this share of its prior sd (on the log scale for loguniform and lognormal priors):
#: clearly, because the posterior's sd comes from a weighted sample of effective size ESS,
#: with a relative standard error of about sqrt(1 / (2 ESS)) (a normal sample's); the
#: ratio's upper bound, two standard errors up (``sd_ratio_upper``), must be at most this.
#: Without the margin a flat posterior of 30 effective particles fell below 0.8 in about
#: one fit in six.
NOT_IDENTIFIED_SD_RATIO = 0.8
#: A target is flagged as out of reach when its observed value lies outside the range of
#: the posterior predictive draws, or its median standardised residual exceeds this.
OUT_OF_REACH_Z = 3.0


class CalibrationWarning(UserWarning):
    """A fit that finished but should not be trusted as it stands."""


class PoorFitWarning(CalibrationWarning):
    """A target the fitted model cannot reach."""


class NotIdentifiedWarning(CalibrationWarning):
    """A parameter the targets do not inform (posterior about as wide as the prior)."""


# ---- priors ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Prior:
    """The prior of one scenario key (a record of ``[[calibration.parameters]]``)."""

    key: str
    dist: str
    args: dict
    source: str = ""

    @property
    def name(self) -> str:
        """The key as a pyabc parameter name (dots are not safe in its database)."""
        return self.key.replace(".", "__")

    @property
    def log_scale(self) -> bool:
        """Whether spread is compared on the log scale (loguniform, lognormal)."""
        return self.dist in ("loguniform", "lognormal")

    def _scipy_args(self) -> tuple[str, tuple, dict]:
        a = self.args
        if self.dist == "uniform":
            return "uniform", (a["low"], a["high"] - a["low"]), {}
        if self.dist == "loguniform":
            return "loguniform", (a["low"], a["high"]), {}
        if self.dist == "normal":
            lo, hi, mu, sd = a["low"], a["high"], a["mean"], a["sd"]
            return "truncnorm", ((lo - mu) / sd, (hi - mu) / sd), {"loc": mu, "scale": sd}
        if self.dist == "lognormal":
            return "lognorm", (a["log_sd"],), {"loc": 0.0, "scale": a["median"]}
        lo, hi = a["low"], a["high"]
        return "beta", (a["alpha"], a["beta"]), {"loc": lo, "scale": hi - lo}

    def frozen(self):
        """The prior as a frozen scipy distribution (for densities and moments)."""
        name, args, kw = self._scipy_args()
        return getattr(stats, name)(*args, **kw)

    def rv(self):
        """The prior as a pyabc random variable."""
        import pyabc

        name, args, kw = self._scipy_args()
        return pyabc.RV(name, *args, **kw)

    def spread(self, n: int = 20000) -> float:
        """The prior's sd (of the log value for log-scale priors)."""
        if not self.log_scale:
            return float(self.frozen().std())
        draws = self.frozen().rvs(size=n, random_state=np.random.default_rng(0))
        return float(np.std(np.log(draws)))

    def describe(self) -> str:
        """E.g. 'uniform(0.5, 1)'."""
        keys = {"uniform": ("low", "high"), "loguniform": ("low", "high"),
                "normal": ("mean", "sd"), "lognormal": ("median", "log_sd"),
                "beta": ("alpha", "beta")}[self.dist]
        return f"{self.dist}({', '.join(f'{self.args[k]:g}' for k in keys)})"


def priors_of(scenario: Scenario) -> list[Prior]:
    """The priors a scenario declares, with normal priors truncated to the key's range."""
    from sim.priors import node_at

    records = (scenario.params.get("calibration") or {}).get("parameters") or []
    if not records:
        raise ScenarioError(str(scenario.path or scenario.name), "calibration.parameters",
                            "no parameters to fit",
                            "[[calibration.parameters]] records with key, dist, its numbers "
                            "and source (see the README, Calibration)")
    out = []
    sch = schema()
    for rec in records:
        args = {k: rec[k] for k in ("low", "high", "mean", "sd", "median", "log_sd", "alpha",
                                    "beta") if rec.get(k) is not None}
        if rec["dist"] == "normal":
            node = node_at(sch, rec["key"])
            args["low"] = max(args.get("low", -math.inf), node.low)
            args["high"] = min(args.get("high", math.inf), node.high)
        if rec["dist"] == "beta":
            args.setdefault("low", 0.0)
            args.setdefault("high", 1.0)
        out.append(Prior(rec["key"], rec["dist"], args, rec.get("source", "")))
    return out


# ---- the model as pyabc sees it ---------------------------------------------------------
def _fit_seed(seed: int, generation: int) -> int:
    """The seed of numpy's global generator for one generation of a fit."""
    return int(np.random.SeedSequence([seed, generation + 1]).generate_state(1)[0])


class _Simulator:
    """A task ``(parameters, seed)`` → the simulated targets (picklable, for process pools).

    ``parameters`` maps pyabc names to values. Only what the targets need is computed:
    the run is cut after the last month a target needs
    (:meth:`models.targets.Targets.months_needed`), and when every target is monthly only
    the monthly frame is built (``Results.from_run``'s ``monthly_only``). The values at the
    targets are those of the whole run with every frame (tested).
    """

    def __init__(self, scenario: Scenario, targets: Targets, priors: list[Prior],
                 households: int | None):
        self.targets, self.priors, self.households = targets, priors, households
        months = targets.months_needed(scenario)
        self.scenario = (scenario.truncate(months) if months < scenario.timeline.n_reported
                         else scenario)
        self.monthly_only = all(t.frame == "monthly" for t in targets)

    def overrides(self, par) -> dict:
        """The draw as scenario overrides (dotted key → value)."""
        return {p.key: float(par[p.name]) for p in self.priors}

    def __call__(self, task: tuple[dict, int]) -> dict:
        par, seed = task
        scn = self.scenario.with_overrides(self.overrides(par), name=self.scenario.name)
        check_run_args(scn, 1, seed, self.households)
        model = Model(scn, seed=seed, households=self.households)
        try:
            res = model.run(monthly_only=self.monthly_only)
        finally:
            model.close()
        return {"y": self.targets.simulate(res), "seed": seed}


def _evaluated_by_the_sampler(par):
    """ABCSMC's model slot: the fit's :class:`OrderedSampler` simulates, never pyabc."""
    raise RuntimeError("calibration simulations run through models.abc_sampler."
                       "OrderedSampler; pyabc must not call the model itself")


class _Distance:
    """Root mean square of the standardised differences (nan or inf: infinitely far)."""

    def __init__(self, scales: np.ndarray):
        self.scales = np.asarray(scales, float)

    def __call__(self, x: dict, x0: dict) -> float:
        z = (np.asarray(x["y"], float) - np.asarray(x0["y"], float)) / self.scales
        d = float(np.sqrt(np.mean(z**2)))
        return d if math.isfinite(d) else math.inf


def _predict_task(args):
    """One posterior predictive simulation: the target values and their trajectories."""
    scenario, targets, households, overrides, seed = args
    scn = scenario.with_overrides(overrides, name=scenario.name) if overrides else scenario
    res = run_one(scn, seed, households)
    return targets.simulate(res), {t.label: t.trajectory(res) for t in targets}


def _map(fn, tasks: list, executor: Executor | None, workers: int | None) -> list:
    """Run tasks and return their results in task order (see :func:`_ordered_map`)."""
    with _ordered_map(executor, min(workers or 1, len(tasks) or 1)) as map_:
        return list(map_(fn, tasks))


@contextlib.contextmanager
def _ordered_map(executor: Executor | None, workers: int | None):
    """An ordered ``map``: an executor's, the runner's local pool's, or the built-in one.

    The local pool (``workers`` > 1) lives as long as the ``with`` block: a whole fit.
    """
    if executor is not None:
        yield executor.map
    elif (workers or 1) <= 1:
        yield map
    else:
        pool = local_executor(workers)
        finished = False
        try:
            yield pool.map
            finished = True
        finally:  # interrupted: drop the batch's pending simulations, do not wait for them
            pool.shutdown(wait=finished, cancel_futures=True)


# ---- the fit ----------------------------------------------------------------------------
class Calibration:
    """An ABC-SMC fit of a scenario's declared priors to targets (settings only; see fit()).

    ``households`` sets the simulated population (the scenario's own by default);
    ``population_size`` the particles per generation; ``generations`` the number of SMC
    generations after the prior's; ``seed`` the fit's seed; ``noise`` "fresh" (default) or
    "common" (see the module docstring); ``db`` the SQLite file that makes the fit resumable
    (a temporary one by default); ``workers`` (the runner's local processes) or
    ``executor`` (any ``concurrent.futures`` executor) evaluate particles in parallel, with
    the same posterior as one process; ``predictive`` the number of posterior draws
    simulated for the posterior predictive.
    """

    def __init__(self, scenario: Scenario, targets: Targets | str | Path, *,
                 households: int | None = None, population_size: int = 100,
                 generations: int = 4, seed: int = 0, noise: str = "fresh",
                 db: str | Path | None = None, workers: int | None = None,
                 executor: Executor | None = None, predictive: int = 100,
                 min_acceptance_rate: float = 0.0):
        if noise not in ("fresh", "common"):
            raise ValueError(f"noise must be 'fresh' or 'common', got {noise!r}")
        if population_size < 2 or generations < 1 or predictive < 2:
            raise ValueError("population_size >= 2, generations >= 1 and predictive >= 2 "
                             f"are needed, got {population_size}, {generations}, "
                             f"{predictive}")
        self.scenario = scenario
        self.targets = targets if isinstance(targets, Targets) else load_targets(targets)
        self.targets.check_window(scenario)
        self.priors = priors_of(scenario)
        self.households = households
        self.population_size = population_size
        self.generations = generations
        self.seed = seed
        self.noise = noise
        self.db = Path(db) if db else None
        self.workers, self.executor = workers, executor
        self.predictive = predictive
        self.min_acceptance_rate = min_acceptance_rate

    # -- bookkeeping --------------------------------------------------------------------
    def fingerprint(self) -> str:
        """A digest of every setting that changes the fit (not the number of generations)."""
        h = hashlib.sha256()
        for part in (self.scenario.to_json(), self.targets.to_frame().to_json(),
                     repr([(p.key, p.dist, sorted(p.args.items())) for p in self.priors]),
                     repr((self.households, self.population_size, self.seed, self.noise)),
                     source_digest(), *(Path(m.__file__).read_text() for m in
                                        (abc_sampler, sys.modules[__name__]))):
            h.update(part.encode())
        return h.hexdigest()[:16]

    def _simulator(self) -> _Simulator:
        return _Simulator(self.scenario, self.targets, self.priors, self.households)

    def _abc(self, map_):
        import pyabc

        prior = pyabc.Distribution(**{p.name: p.rv() for p in self.priors})
        sampler = OrderedSampler(self._simulator(), self.seed, map_,
                                 common_seed=self.seed if self.noise == "common" else None)
        return pyabc.ABCSMC(_evaluated_by_the_sampler, prior, _Distance(self.targets.scales),
                            population_size=self.population_size,
                            eps=pyabc.QuantileEpsilon(alpha=0.5), sampler=sampler)

    def done_generations(self) -> int:
        """Generations already in the database for these settings (0 if none or stale)."""
        if self.db is None or not self.db.is_file():
            return 0
        meta = self.db.with_suffix(self.db.suffix + ".json")
        try:
            if json.loads(meta.read_text())["fingerprint"] != self.fingerprint():
                return 0
        except (OSError, ValueError, KeyError):
            return 0
        import pyabc

        hist = pyabc.History(f"sqlite:///{self.db}", _id=1)
        return int(hist.max_t) + 1 if hist.n_populations else 0

    # -- fitting ------------------------------------------------------------------------
    def fit(self, progress: bool = False, stop_after: int | None = None) -> CalibrationResult:
        """Run (or resume) the fit and return its result.

        ``stop_after`` ends after that many generations in total, as an interruption
        would (the database keeps them; fit() again resumes).
        """
        import pyabc

        logging.getLogger("ABC").setLevel(logging.WARNING)  # our own progress lines suffice
        started = time.perf_counter()
        tmp = None
        if self.db is None:
            import tempfile

            tmp = tempfile.TemporaryDirectory(prefix="calibration-")
            self.db = Path(tmp.name) / "abc.db"
        self.db.parent.mkdir(parents=True, exist_ok=True)
        done = self.done_generations()
        if done == 0 and self.db.exists():  # another fit's history: keep it aside, start afresh
            os.replace(self.db, self.db.with_suffix(self.db.suffix + ".previous"))
        meta = self.db.with_suffix(self.db.suffix + ".json")
        meta.write_text(json.dumps({"fingerprint": self.fingerprint(),
                                    "scenario": self.scenario.name,
                                    "targets": self.targets.path}, indent=1))
        url = f"sqlite:///{self.db}"
        last = self.generations if stop_after is None else min(stop_after, self.generations)
        with _ordered_map(self.executor, self.workers) as map_:
            for t in range(done, last):
                np.random.seed(_fit_seed(self.seed, t))  # noqa: NPY002 (pyabc's generator)
                abc = self._abc(map_)
                if t == 0:
                    abc.new(url, {"y": self.targets.observed})
                else:
                    abc.load(url, 1)
                abc.run(max_nr_populations=1, min_acceptance_rate=self.min_acceptance_rate)
                if progress:
                    h = pyabc.History(url, _id=1)
                    pops = h.get_all_populations()
                    row = pops[pops["t"] == t].iloc[0]
                    print(f"generation {t}: epsilon {row['epsilon']:.3g}, {row['samples']} "
                          f"simulations", flush=True)
            result = self._result(pyabc.History(url, _id=1), map_)
        result.meta["runtime_s"] = time.perf_counter() - started
        if tmp is not None:
            tmp.cleanup()
            self.db = None
            result.meta["db"] = None
        return result

    def _result(self, hist, map_) -> CalibrationResult:
        pops = hist.get_all_populations()
        gens = []
        for _, row in pops[pops["t"] >= 0].iterrows():
            _, w = hist.get_distribution(m=0, t=int(row["t"]))
            w = np.asarray(w, float) / np.sum(w)
            gens.append({"generation": int(row["t"]), "epsilon": float(row["epsilon"]),
                         "simulations": int(row["samples"]),
                         "accepted": int(row["particles"]),
                         "acceptance_rate": float(row["particles"] / max(row["samples"], 1)),
                         "ess": float(1.0 / np.sum(w**2)),
                         "wall_time_s": float(row["wall_time"] or 0.0)})
        df, w = hist.get_distribution(m=0, t=hist.max_t)
        post = pd.DataFrame({p.key: df[p.name].to_numpy(float) for p in self.priors})
        post["weight"] = np.asarray(w, float) / np.sum(w)
        dist = hist.get_weighted_distances(t=hist.max_t)["distance"].to_numpy(float)
        posterior = Posterior(post, self.scenario.name, [p.key for p in self.priors],
                              {"seed": self.seed, "households": self.households,
                               "noise": self.noise, "targets": self.targets.path,
                               "generations": len(gens),
                               "n_simulations": int(hist.total_nr_simulations)})
        # posterior predictive: draws from the final population, each with a fresh seed
        rng = np.random.default_rng([self.seed, 0x5052])
        idx = rng.choice(len(post), size=self.predictive, p=post["weight"].to_numpy())
        seeds = (np.full(self.predictive, self.seed) if self.noise == "common"
                 else rng.integers(0, 2**31 - 1, size=self.predictive))
        tasks = [(self.scenario, self.targets, self.households,
                  {k: float(post[k].iloc[i]) for k in posterior.keys}, int(s))
                 for i, s in zip(idx, seeds, strict=True)]
        out = list(map_(_predict_task, tasks))
        labels = self.targets.labels
        predictive = pd.DataFrame([y for y, _ in out], columns=labels)
        trajectories = {lab: pd.DataFrame([tr[lab] for _, tr in out]).reset_index(drop=True)
                        for lab in labels}
        meta = {"scenario": self.scenario.name, "seed": self.seed,
                "households": self.households, "population_size": self.population_size,
                "generations": len(gens), "noise": self.noise,
                "n_simulations": int(hist.total_nr_simulations) + self.predictive,
                "fit_simulations": int(hist.total_nr_simulations),
                "predictive_simulations": self.predictive,
                "abc_wall_time_s": float(sum(g["wall_time_s"] for g in gens)),
                "db": str(self.db), "targets": self.targets.path,
                "sampler": "ordered batches: " + ("executor" if self.executor is not None
                                                  else f"{self.workers or 1} process(es)")}
        return CalibrationResult(self.priors, self.targets, posterior, pd.DataFrame(gens),
                                 predictive, trajectories, dist, meta)


def calibrate(scenario: Scenario, targets, **settings) -> CalibrationResult:
    """Fit in one call: ``Calibration(scenario, targets, **settings).fit()``."""
    progress = settings.pop("progress", False)
    return Calibration(scenario, targets, **settings).fit(progress=progress)


# ---- the posterior ----------------------------------------------------------------------
@dataclass
class Posterior:
    """Weighted posterior samples of scenario keys (columns ``keys`` and ``weight``)."""

    samples: pd.DataFrame
    scenario: str
    keys: list[str]
    meta: dict = field(default_factory=dict)

    def draw(self, rng: np.random.Generator) -> dict[str, float]:
        """One parameter set drawn with the weights, as scenario overrides."""
        i = rng.choice(len(self.samples), p=self.weights())
        return {k: float(self.samples[k].iloc[i]) for k in self.keys}

    def weights(self) -> np.ndarray:
        """Normalised weights."""
        w = self.samples["weight"].to_numpy(float)
        return w / w.sum()

    def save(self, path: str | Path) -> list[Path]:
        """Write ``path`` (CSV: keys and weight) and ``path`` with .json (the header)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.samples[[*self.keys, "weight"]].to_csv(path, index=False)
        head = path.with_suffix(".json")
        head.write_text(json.dumps({"scenario": self.scenario, "keys": self.keys,
                                    "samples": path.name, **self.meta}, indent=1,
                                   default=str), encoding="utf-8")
        return [path, head]

    @classmethod
    def load(cls, path: str | Path) -> Posterior:
        """Read a posterior written by :meth:`save` (the CSV; its .json beside it)."""
        path = Path(path)
        head = path.with_suffix(".json")
        for p in (path, head):
            if not p.is_file():
                raise ScenarioError(str(p), "", "file not found",
                                    "a posterior .csv written by `python -m sim calibrate`, "
                                    "with its .json beside it")
        meta = json.loads(head.read_text(encoding="utf-8"))
        samples = pd.read_csv(path)
        missing = [k for k in [*meta["keys"], "weight"] if k not in samples]
        if missing:
            raise ScenarioError(str(path), f"column '{missing[0]}'", "missing column",
                                "the keys named in " + head.name + " and weight")
        if (samples["weight"] < 0).any() or not samples["weight"].sum() > 0:
            raise ScenarioError(str(path), "column 'weight'", "negative or all-zero weights",
                                "weights >= 0 with a positive sum")
        rest = {k: v for k, v in meta.items() if k not in ("scenario", "keys", "samples")}
        return cls(samples, meta["scenario"], list(meta["keys"]), rest)


def load_posterior(path: str | Path) -> Posterior:
    """Read a saved posterior (see :meth:`Posterior.save`)."""
    return Posterior.load(path)


def _run_task(args):
    scenario, overrides, seed, households = args
    return run_one(scenario.with_overrides(overrides, name=scenario.name), seed, households)


def run_posterior(scenario: Scenario, posterior: Posterior | str | Path, reps: int = 10,
                  seed: int = 0, households: int | None = None, workers: int | None = None,
                  executor: Executor | None = None):
    """Replications with parameters drawn from a posterior: intervals carry its uncertainty.

    Replication ``r`` uses seed ``seed + r`` (as :func:`sim.runner.run`, so common random
    numbers still pair scenarios) and one parameter set drawn with
    ``numpy.random.default_rng([seed + r, 1])``: the same seed gives the same draws. The
    result is an ordinary :class:`~sim.results.Results`; its summary's ``lo, hi`` are
    2.5-97.5% across replications, which now mix parameter and stochastic uncertainty;
    ``meta['posterior_draws']`` lists each replication's parameters.
    """
    from sim.results import Results

    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    if post.scenario != scenario.name:
        warnings.warn(f"the posterior was fitted to scenario {post.scenario!r}, used here "
                      f"with {scenario.name!r}", CalibrationWarning, stacklevel=2)
    draws = [post.draw(np.random.default_rng([seed + r, 1])) for r in range(reps)]
    tasks = [(scenario, d, seed + r, households) for r, d in enumerate(draws)]
    runs = _map(_run_task, tasks, executor, workers)
    res = Results.combine(runs)
    res.meta = dict(res.meta, posterior_draws=draws, posterior_scenario=post.scenario,
                    seeds=[seed + r for r in range(reps)])
    return res


def _fit_rows(targets: Targets, predictive: pd.DataFrame) -> pd.DataFrame:
    """Observed vs posterior predictive (median, 95% interval, range, reach) per target."""
    rows = []
    for t in targets:
        y = predictive[t.label].to_numpy(float)
        y = y[np.isfinite(y)]
        if y.size == 0:
            y = np.array([math.nan])
        med = float(np.median(y))
        lo, hi = np.quantile(y, [0.025, 0.975])
        z = (med - t.value) / t.scale
        reach = bool(y.min() <= t.value <= y.max()) and abs(z) <= OUT_OF_REACH_Z
        rows.append({"target": t.label, "date": t.date, "quantity": t.quantity,
                     "group": t.group, "observed": t.value, "scale": t.scale,
                     "median": med, "lower_95": float(lo), "upper_95": float(hi),
                     "min": float(y.min()), "max": float(y.max()),
                     "inside_95": bool(lo <= t.value <= hi), "z": float(z),
                     "reachable": reach, "source": t.source})
    return pd.DataFrame(rows)


def predictive_check(scenario: Scenario, posterior: Posterior | str | Path,
                     targets: Targets | str | Path, draws: int = 100, seed: int = 0,
                     households: int | None = None, workers: int | None = None,
                     executor: Executor | None = None) -> pd.DataFrame:
    """Posterior predictive of targets a fit did not use (validation on held-out data).

    Simulates ``draws`` parameter sets drawn from the posterior (each with its own seed,
    both from ``seed``) and returns, per target, the observed value, the predictive median
    and 95% interval and whether the observation lies inside it (``inside_95``): the
    share of held-out targets inside their intervals is the validation coverage.
    """
    post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    targets = targets if isinstance(targets, Targets) else load_targets(targets, scenario)
    targets.check_window(scenario)
    rng = np.random.default_rng([seed, 0x484F])
    tasks = [(scenario, targets, households, post.draw(rng), int(rng.integers(0, 2**31 - 1)))
             for _ in range(draws)]
    out = _map(_predict_task, tasks, executor, workers)
    return _fit_rows(targets, pd.DataFrame([y for y, _ in out], columns=targets.labels))


# ---- the result -------------------------------------------------------------------------
def _wquantile(x: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    """Weighted quantiles (inverse of the weighted empirical distribution, midpoints)."""
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cum, x)


class CalibrationResult:
    """The outcome of a fit: posterior, posterior predictive, diagnostics and warnings.

    In the statsmodels manner: :meth:`to_frame` (the weighted posterior sample),
    :meth:`summary`, :meth:`conf_int` (weighted *credible* intervals), :meth:`plot`;
    :meth:`fit_table` (each target: observed, posterior predictive median and 95%
    predictive interval), :meth:`diagnostics` (per generation: epsilon, simulations,
    acceptance rate, ESS) and :meth:`parameters` (prior vs posterior, identification).
    Warnings found at construction are issued (``warnings.warn``) and kept in
    :attr:`warnings`.
    """

    interval_kind = "credible interval (weighted quantiles of the ABC-SMC posterior)"

    def __init__(self, priors, targets: Targets, posterior: Posterior, generations,
                 predictive: pd.DataFrame, trajectories: dict, distances: np.ndarray,
                 meta: dict):
        self.priors = list(priors)
        self.targets = targets
        self.posterior = posterior
        self.generations = generations
        self.predictive = predictive
        self.trajectories = trajectories
        self.distances = distances
        self.meta = meta
        self.warnings: list[str] = []
        self._check()

    # -- checks -------------------------------------------------------------------------
    def _check(self) -> None:
        for _, r in self.fit_table().iterrows():
            if not r["reachable"]:
                self._warn(PoorFitWarning(
                    f"target {r['target']} is out of reach: observed {r['observed']:.4g}, "
                    f"posterior predictive median {r['median']:.4g} (range {r['min']:.4g} to "
                    f"{r['max']:.4g}, {r['z']:+.1f} scale units); the model, its priors or "
                    f"the target need another look"))
        for _, r in self.parameters().iterrows():
            if not r["identified"]:
                self._warn(NotIdentifiedWarning(
                    f"parameter {r['key']} is not identified by the targets: posterior sd is "
                    f"{r['sd_ratio']:.0%} of the prior sd (up to {r['sd_ratio_upper']:.0%} "
                    f"allowing for the posterior sample's size); its interval mostly "
                    f"restates the prior"))

    def _warn(self, w: CalibrationWarning) -> None:
        self.warnings.append(f"{type(w).__name__}: {w}")
        warnings.warn(w, stacklevel=4)

    # -- tables ---------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """The weighted posterior sample: one column per key and ``weight`` (sum 1)."""
        return self.posterior.samples.copy()

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Equal-tailed (1 - alpha) credible intervals per key: columns lower, upper."""
        w = self.posterior.weights()
        rows = {k: _wquantile(self.posterior.samples[k], w, [alpha / 2, 1 - alpha / 2])
                for k in self.posterior.keys}
        out = pd.DataFrame(rows, index=["lower", "upper"]).T
        out.attrs["kind"] = f"{1 - alpha:.0%} {self.interval_kind}"
        return out

    def parameters(self) -> pd.DataFrame:
        """Prior vs posterior per key: mean, median, sd, 95% credible interval, sd ratio.

        ``sd_ratio`` is the posterior sd over the prior sd; ``sd_ratio_upper`` adds two
        Monte Carlo standard errors of the weighted sample (see
        :data:`NOT_IDENTIFIED_SD_RATIO`), and ``identified`` says whether it is at most
        that threshold.
        """
        w = self.posterior.weights()
        ci = self.conf_int()
        margin = 1.0 + 2.0 * np.sqrt(0.5 * np.sum(w ** 2) / np.sum(w) ** 2)  # 1/ESS inside
        rows = []
        for p in self.priors:
            x = self.posterior.samples[p.key].to_numpy(float)
            mean = float(np.sum(w * x))
            xs = np.log(x) if p.log_scale else x
            sd = float(np.sqrt(np.sum(w * (xs - np.sum(w * xs)) ** 2)))
            ratio = sd / p.spread()
            rows.append({"key": p.key, "prior": p.describe(), "posterior_mean": mean,
                         "posterior_median": float(_wquantile(x, w, 0.5)),
                         "lower_95": ci.loc[p.key, "lower"], "upper_95": ci.loc[p.key, "upper"],
                         "sd_ratio": ratio, "sd_ratio_upper": ratio * margin,
                         "identified": ratio * margin <= NOT_IDENTIFIED_SD_RATIO,
                         "source": p.source})
        return pd.DataFrame(rows)

    def fit_table(self) -> pd.DataFrame:
        """Each target: observed, posterior predictive median, 95% interval, and reach."""
        return _fit_rows(self.targets, self.predictive)

    def diagnostics(self) -> pd.DataFrame:
        """Per generation: epsilon, simulations, accepted, acceptance rate, ESS, wall time."""
        return self.generations.copy()

    @property
    def ess(self) -> float:
        """Effective sample size of the final population."""
        return float(self.generations["ess"].iloc[-1])

    def summary(self) -> str:
        """A readable account of the fit."""
        m = self.meta
        g = self.generations
        lines = [f"ABC-SMC calibration of {m['scenario']} to {len(self.targets)} target(s) "
                 f"({Path(str(m['targets'])).name})",
                 f"{m['generations']} generation(s) of {m['population_size']} particles, "
                 f"{m['fit_simulations']:,} simulations of "
                 f"{m['households'] or 'the scenario default'} households (+"
                 f"{m['predictive_simulations']} posterior predictive), seed {m['seed']}, "
                 f"noise '{m['noise']}', {m['abc_wall_time_s']:.1f} s of ABC-SMC ("
                 f"{m['runtime_s']:.1f} s in this call, predictive included); final epsilon "
                 f"{g['epsilon'].iloc[-1]:.3g}, ESS {self.ess:.0f}, acceptance "
                 f"{g['acceptance_rate'].iloc[-1]:.1%}",
                 "", "Parameters [95% credible interval]:"]
        par = self.parameters()
        lines.append(par.drop(columns=["source"]).to_string(index=False,
                                                             float_format=lambda v: f"{v:.4g}"))
        lines += ["", "Targets [95% posterior predictive interval]:"]
        fit = self.fit_table()[["target", "observed", "median", "lower_95", "upper_95",
                                "inside_95", "reachable"]]
        lines.append(fit.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        lines += ["", "Generations:", g.to_string(index=False,
                                                  float_format=lambda v: f"{v:.4g}")]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<CalibrationResult {self.meta['scenario']}: {len(self.priors)} "
                f"parameter(s), {len(self.targets)} target(s), {len(self.warnings)} "
                f"warning(s)>")

    # -- figures and files ----------------------------------------------------------------
    def plot(self, kind: str = "fit"):
        """A figure of the fit.

        ``fit``: observed vs simulated; ``marginals``: prior vs posterior; ``pairs``:
        posterior pairs.
        """
        from models import calibration_plots as cp

        makers = {"fit": cp.plot_fit, "marginals": cp.plot_marginals, "pairs": cp.plot_pairs}
        if kind not in makers:
            raise ValueError(f"kind must be one of {', '.join(makers)}, got {kind!r}")
        return makers[kind](self)

    def save(self, out: str | Path, figures: bool = True) -> list[Path]:
        """Write the fit's files into ``out``.

        posterior.csv (+ .json), fit.csv, diagnostics.csv, parameters.csv, warnings.txt
        and, with ``figures``, fit.png, marginals.png and pairs.png.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = self.posterior.save(out / "posterior.csv")
        for name, frame in (("fit", self.fit_table()), ("diagnostics", self.diagnostics()),
                            ("parameters", self.parameters())):
            frame.to_csv(out / f"{name}.csv", index=False)
            paths.append(out / f"{name}.csv")
        (out / "warnings.txt").write_text("\n".join(self.warnings) + ("\n" if self.warnings
                                                                      else ""))
        paths.append(out / "warnings.txt")
        if figures:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            for kind in ("fit", "marginals", "pairs"):
                fig = self.plot(kind)
                fig.savefig(out / f"{kind}.png", dpi=110, bbox_inches="tight")
                plt.close(fig)
                paths.append(out / f"{kind}.png")
        return paths
