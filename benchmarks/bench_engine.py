"""Speed and memory of the engine on the default scenario (all rules on).

Usage::

    python benchmarks/bench_engine.py --households 1000000
    python benchmarks/bench_engine.py --households 200000 --measures off
    python benchmarks/bench_engine.py --households 200000 --profile   # top functions

Counts every simulated month (warm-up included) in household-months. Peak memory is the
process's peak resident set size minus its size before the population was built, so it
measures the model, not the interpreter and libraries. The last line is machine-readable:
``household_months_per_s=<n> peak_memory_mb=<n> bytes_per_person=<n>``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measures", choices=("on", "off"), default="on",
                        help="run with every measure on (default) or every measure off")
    parser.add_argument("--profile", action="store_true", help="print the top functions")
    args = parser.parse_args(argv)

    from sim.engine import Model
    from sim.policies import REGISTRY
    from sim.scenario import load_scenario

    scenario = load_scenario()
    if args.measures == "off":
        scenario = scenario.with_overrides(
            [f"policies.{name}.enabled=false" for name in REGISTRY],
            name=f"{scenario.name} (every measure off)")
    before = rss_mb()
    t0 = time.perf_counter()
    model = Model(scenario, seed=args.seed, households=args.households)
    built = time.perf_counter() - t0
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    t1 = time.perf_counter()
    model.run()
    elapsed = time.perf_counter() - t1
    if args.profile:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    peak = rss_mb() - before
    persons = model.pop.persons.n
    months = model.timeline.n_months
    hm = args.households * months
    print(f"scenario={scenario.name} measures={args.measures} households={args.households:,} "
          f"persons={persons:,} months={months} (incl. warm-up)")
    state = (model.pop.nbytes() + model.ledger.nbytes() + model.accounts.nbytes()
             + model.liquidity.nbytes() + model.registry.nbytes())
    print(f"build_s={built:.2f} run_s={elapsed:.2f} "
          f"state_bytes_per_person={state / persons:.0f}")
    print(f"household_months_per_s={hm / elapsed:.0f} peak_memory_mb={peak:.0f} "
          f"bytes_per_person={peak * 1024 * 1024 / persons:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
