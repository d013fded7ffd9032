"""Time for exact Shapley effects of 8 measures with 95% intervals, on 1 and 2 Dask workers.

Usage::

    python benchmarks/bench_effects.py --workers 2            # 100,000 households x 1
    python benchmarks/bench_effects.py --households 5000 --reps 2
    python benchmarks/bench_effects.py --households 5000 --probe 100000   # + one full-size run

Exact Shapley values of n measures need all 2^n combinations (256 for 8) x ``--reps``
replications, each a full run of the default scenario (every measure not among the eight
stays on). With one replication the 95% intervals are within-run ones, from each run's
household clusters (``models.effects``, ``intervals="households"``); with two or more,
from the paired differences across replications. Each worker count gets a fresh local
Dask cluster (one thread per worker) and no store, so nothing is reused. ``--probe N``
also times one run of N households and prints what the whole job would take at that size
from the measured speed-up (an extrapolation, marked as such). The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import time

MEASURES = ("contracts", "screening", "settlement", "fee_exemption", "special_treatment",
            "monitoring", "premium_subsidy", "primary_care")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=1,
                        help="replications (1: within-run intervals from the households; "
                             ">= 2: intervals across replications)")
    parser.add_argument("--measures", type=int, default=8, help="how many of the eight")
    parser.add_argument("--workers", default="1,2", help="worker counts to try")
    parser.add_argument("--probe", type=int, default=None, metavar="N",
                        help="also time one run of N households and extrapolate")
    args = parser.parse_args(argv)

    from models.batch import executor_for
    from models.effects import estimate_effects
    from sim import load_scenario, run_one

    scenario = load_scenario()
    measures = list(MEASURES[: args.measures])
    runs = (2 ** len(measures)) * args.reps
    print(f"exact Shapley values of {len(measures)} measures: {2 ** len(measures)} "
          f"combinations x {args.reps} replications = {runs} runs of {args.households:,} "
          f"households x {scenario.timeline.n_months} months")
    times = {}
    for w in (int(x) for x in args.workers.split(",")):
        with executor_for("local", workers=w) as pool:
            t0 = time.perf_counter()
            eff = estimate_effects(scenario, measures, methods=("shapley",), reps=args.reps,
                                   households=args.households, executor=pool)
            times[w] = time.perf_counter() - t0
        sh = eff.to_frame()
        sh = sh[sh["method"] == "shapley"]
        print(f"{w} worker(s): {times[w]:.1f} s ({times[w] / runs:.3f} s per run); "
              f"{len(sh)} Shapley values with 95% CIs ({sh['interval'].iloc[0]}); widest "
              f"interval {100 * (sh['hi'] - sh['lo']).max():.2f} points")
    base = min(times)
    for w, t in sorted(times.items()):
        print(f"speed-up with {w} worker(s): {times[base] / t:.2f}x")
    best = min(times.values())
    line = f"households={args.households} runs={runs} seconds_best={best:.1f}"
    if args.probe:
        t0 = time.perf_counter()
        run_one(scenario, seed=0, households=args.probe)
        one = time.perf_counter() - t0
        w = max(times)
        estimate = one * runs * times[w] / times[base]  # runs x one run / speed-up
        print(f"one run of {args.probe:,} households: {one:.1f} s; extrapolated whole job "
              f"on {w} worker(s): {estimate / 60:.1f} min (extrapolation, not measured)")
        line += f" probe_households={args.probe} extrapolated_seconds={estimate:.0f}"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
