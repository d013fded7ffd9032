"""Speed of a calibration: simulations, their size (households x months) and wall time.

    .venv/bin/python benchmarks/bench_calibration.py                       # xinjiang_2019
    .venv/bin/python benchmarks/bench_calibration.py --scenario linyi_2021 --households 5000

The fit uses the scenario's own ``[[calibration.parameters]]`` when it has them, and
otherwise two illustrative priors (care.inpatient_seek, income.shock_sd). Its targets are
the scenario's observed ones, ``scenarios/targets/<scenario>.csv`` (for ``xinjiang_2019``
the four registry counts of seed 002: the fit issue #7 times), or the file given with
``--targets``; a scenario without one is fitted to targets simulated by the model itself at
its parameters (seed 12345): two stocks and one flow that exist in every scenario, at the
last reported month and year. The figures are printed, never asserted (tests never time
anything).

``--profile`` runs the fit in this process under cProfile and prints where its time goes:
the simulations (scenario overrides, population and set-up, the monthly steps, the result
frames, the targets' values) against pyabc's part (its SQLite history, the sampler's
proposals and acceptance, the rest of ABC-SMC), and what a process pool adds per task (the
pickled task's size and the time to pickle it). cProfile slows Python code down unevenly:
read the shares, not the seconds.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pickle
import pstats
import tempfile
import time
import warnings
from pathlib import Path

from models.calibration import Calibration
from models.targets import Target
from sim import load_scenario, run_one
from sim.timeline import month_label

TARGETS = Path(__file__).resolve().parent.parent / "scenarios" / "targets"

FALLBACK_PRIORS = [
    {"key": "care.inpatient_seek", "dist": "uniform", "low": 0.4, "high": 1.0,
     "source": "benchmark: illustrative"},
    {"key": "income.shock_sd", "dist": "uniform", "low": 0.1, "high": 0.8,
     "source": "benchmark: illustrative"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="xinjiang_2019")
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--populations", type=int, default=100)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--predictive", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--targets", type=Path, default=None,
                    help="observed targets (default: scenarios/targets/<scenario>.csv)")
    ap.add_argument("--profile", action="store_true",
                    help="profile the fit in this process (needs --workers 1)")
    args = ap.parse_args()
    if args.profile and args.workers != 1:
        ap.error("--profile runs the fit in this process: use --workers 1")

    scn = load_scenario(args.scenario)
    if not (scn.params.get("calibration") or {}).get("parameters"):
        scn = scn.with_overrides({"calibration.parameters": FALLBACK_PRIORS}, name=scn.name)
    tl = scn.timeline
    observed = args.targets or TARGETS / f"{scn.name}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        if observed.exists():
            path, what = observed, f"observed, {observed.name}"
        else:
            path, what = Path(tmp) / "targets.csv", "simulated at the scenario's parameters"
            path.write_text(simulated_targets(scn, args.households))
        cal = Calibration(scn, path, households=args.households,
                          population_size=args.populations, generations=args.generations,
                          seed=args.seed, workers=args.workers, predictive=args.predictive)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        profiler = cProfile.Profile() if args.profile else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if profiler is not None:
                profiler.enable()
            fit = cal.fit()
            if profiler is not None:
                profiler.disable()
        wall = time.perf_counter() - start
    n = fit.meta["n_simulations"]
    months = tl.n_months
    fit_months = tl.warmup + cal.targets.months_needed(scn)
    hh_months = args.households * (fit.meta["fit_simulations"] * fit_months
                                   + fit.meta["predictive_simulations"] * months)
    print(f"scenario {scn.name}: {len(cal.priors)} parameter(s), {len(cal.targets)} "
          f"target(s) ({what})")
    print(f"simulations: {n:,} ({fit.meta['fit_simulations']:,} ABC-SMC incl. the prior's "
          f"calibration sample, {fit.meta['predictive_simulations']} posterior predictive)")
    print(f"size of each: {args.households:,} households x {months} months "
          f"({tl.warmup} warm-up) = {args.households * months / 1e6:.2f} M household-months")
    print(f"wall time: {wall:.1f} s ({wall / n * 1000:.0f} ms per simulation, "
          f"{hh_months / wall / 1e6:.2f} M household-months/s), "
          f"workers {args.workers}; machine load (1-minute average) {load_before:.1f} at the "
          f"start, {os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores")
    print(f"fit simulations stop after {fit_months} of the {months} months (the last month "
          f"a target needs); the {fit.meta['predictive_simulations']} predictive ones run "
          f"them all")
    print(f"final epsilon {fit.diagnostics()['epsilon'].iloc[-1]:.3g}, ESS {fit.ess:.0f}")
    print(fit.fit_table().to_string(index=False))
    if profiler is not None:
        print_profile(pstats.Stats(profiler), cal)


def print_profile(stats: pstats.Stats, cal: Calibration) -> None:
    """Where a profiled fit's time went (shares of the profiled total)."""
    def cumulative(file_part: str, name: str) -> float:
        return sum(v[3] for (f, _, n), v in stats.stats.items()
                   if file_part in f and n == name)

    def own(*file_parts: str) -> float:
        return sum(v[2] for (f, _, _), v in stats.stats.items()
                   if any(part in f for part in file_parts))

    total = stats.total_tt
    sims = (cumulative("models/calibration.py", "__call__")
            + cumulative("models/calibration.py", "_predict_task"))
    sampler = cumulative("models/abc_sampler.py", "sample_until_n_accepted")
    in_sampler = cumulative("models/calibration.py", "__call__")
    rows = [("simulations (fit and predictive)", sims),
            ("  scenario overrides", cumulative("sim/scenario.py", "with_overrides")),
            ("  population and set-up (Model.__init__)", cumulative("sim/engine.py",
                                                                    "__init__")),
            ("  monthly steps (SimPy run)", cumulative("simpy/core.py", "run")),
            ("  result frames (Results.from_run)", cumulative("sim/results.py", "from_run")),
            ("  targets' values", cumulative("models/targets.py", "simulate")),
            ("outside the simulations", total - sims),
            ("  pyabc's SQLite history (own time in storage, SQLAlchemy, sqlite3)",
             own("pyabc/storage", "sqlalchemy", "sqlite3")),
            ("  sampler: proposals, acceptance, weights", sampler - in_sampler)]
    print(f"\nprofile of the fit ({total:.1f} s under cProfile):")
    for label, seconds in rows:
        print(f"{label:<70} {seconds:8.1f} s {seconds / total:6.1%}")
    task = ({p.name: float(p.frozen().mean()) for p in cal.priors}, 1)
    simulator = cal._simulator()
    start = time.perf_counter()
    for _ in range(20):
        size = len(pickle.dumps((simulator, task)))
    print(f"a process pool's task (simulator and draw) pickles to {size / 1024:.0f} KiB in "
          f"{(time.perf_counter() - start) / 20 * 1000:.1f} ms")


def simulated_targets(scn, households: int) -> str:
    """A targets file of two stocks and one flow simulated at the scenario's parameters."""
    tl = scn.timeline
    res = run_one(scn, 12345, households)
    last_month, last_year = month_label(tl.end), tl.end // 12
    lines = ["date,quantity,value,source"]
    for date, q in [(last_month, "poor_households"), (last_month, "poor_illness_households"),
                    (str(last_year), "admissions")]:
        t = Target(0, date, q, "all", 1.0)
        lines.append(f"{date},{q},{t.simulated(res):.6g},benchmark: simulated")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
