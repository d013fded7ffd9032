"""Time and peak memory to load a population file of 1M households (issue 11).

Usage::

    python benchmarks/bench_population_load.py                    # 1,000,000 households
    python benchmarks/bench_population_load.py --households 200000 --weighted

Writes a synthetic population in the file format (``write_population``) into a temporary
folder, then, in a fresh process so that memory is the loader's alone: (1) load the
scenario with ``--population`` (read the CSVs, check every cell, count households; what
``sim check`` does) and (2) build the engine's columns (imputation, birth slots; what each
replication does). With ``--weighted`` every household gets a weight and the totals file
rakes them to twice the households, and the build expands the sample to
``--households`` households (scale 2).

Peak memory is the child process's peak resident set size (Linux ``VmHWM``) minus its
size after the imports. Figures are printed, never asserted. The last line is machine-readable:
``households=<n> persons=<n> check_s=<s> build_s=<s> peak_memory_mb=<n>``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import sys, time
from sim import load_scenario
from sim.population import build_population
from sim.rng import Streams


def rss():  # peak resident set of this program (VmHWM, MB; unlike ru_maxrss, not the
    # parent's peak carried over the fork)
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith("VmHWM")) / 1024.0


base = rss()
over = {"population.from": sys.argv[1]}
if sys.argv[2]:
    over["population.totals"] = sys.argv[2]
    over["population.expand_to"] = int(sys.argv[3])
t0 = time.perf_counter()
scn = load_scenario(overrides=over)
t1 = time.perf_counter()
pop = build_population(scn.params, Streams(0))
t2 = time.perf_counter()
print(pop.households.n, int(pop.persons.born.sum()), t1 - t0, t2 - t1, rss() - base)
"""


def main(argv=None) -> int:
    """Write the file, load it in a child process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--weighted", action="store_true",
                        help="add a weight column and a totals file (raking, expansion)")
    args = parser.parse_args(argv)

    import numpy as np
    import pandas as pd

    from sim.population import build_population
    from sim.population_file import write_population
    from sim.rng import Streams
    from sim.scenario import load_scenario

    params = load_scenario().params
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        pop = build_population(params, Streams(0), args.households)
        weights = np.full(pop.households.n, 2.0) if args.weighted else None
        h, p = write_population(pop, params, tmp, "bench", weights=weights)
        totals = ""
        if args.weighted:
            totals = str(Path(tmp) / "totals.csv")
            pd.DataFrame([("households", "all", "all", "all", 2 * pop.households.n, "bench"),
                          ("persons", "all", "all", "all", 2 * int(pop.households.size.sum()),
                           "bench")], columns=["quantity", "group", "status", "cause",
                                               "value", "source"]).to_csv(totals, index=False)
        del pop
        sizes = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 2**20
        print(f"wrote {args.households:,} households ({sizes:,.0f} MB of CSV) in "
              f"{time.perf_counter() - t0:,.1f} s", file=sys.stderr)
        out = subprocess.run([sys.executable, "-c", CHILD, str(h), totals,
                              str(args.households)], check=True,
                             capture_output=True, text=True).stdout.split()
    n, persons, check_s, build_s, peak = int(out[0]), int(out[1]), *map(float, out[2:])
    print(f"households {n:,}, persons {persons:,}: scenario load and checks {check_s:.1f} s, "
          f"build (imputation{', raking, expansion' if args.weighted else ''}) "
          f"{build_s:.1f} s, peak memory {peak:,.0f} MB above the imports")
    print(f"households={n} persons={persons} check_s={check_s:.2f} build_s={build_s:.2f} "
          f"peak_memory_mb={peak:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
