"""Memory of a process that runs one model after another, as a sweep's worker does.

Usage::

    python benchmarks/bench_sweep_memory.py                       # 8 runs of 100,000 households
    python benchmarks/bench_sweep_memory.py --households 20000 --runs 20

Runs the default scenario ``--runs`` times in this process through the batch's task
(``models.batch.run_task``, what each process-pool or Dask worker calls), the same seed
each time (the sweeps' common random numbers), and prints the resident memory after each
run (``/proc/self/statm``, MB) and its time. A finished model that stayed in memory until
Python's cycle collector ran made the resident memory climb run after run; with the
runner closing each model (``sim.engine.Model.close``) it stays flat. Figures are printed,
never asserted. The last line is machine-readable:
``households=<n> runs=<n> first_mb=<n> last_mb=<n> max_mb=<n>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.batch import run_task  # noqa: E402
from sim import load_scenario  # noqa: E402


def resident_mb() -> float:
    """Resident memory of this process now (MB)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * 4096 / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args(argv)
    scenario = load_scenario()
    sizes = []
    for i in range(args.runs):
        t0 = time.perf_counter()
        run_task((scenario, 0, args.households, None, ("return_illness_rate",)))
        sizes.append(resident_mb())
        print(f"run {i + 1}: {time.perf_counter() - t0:.2f} s, resident {sizes[-1]:.0f} MB",
              flush=True)
    print(f"households={args.households} runs={args.runs} first_mb={sizes[0]:.0f} "
          f"last_mb={sizes[-1]:.0f} max_mb={max(sizes):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
