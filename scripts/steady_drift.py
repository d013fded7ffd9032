"""How much the county without trends drifts: each annual indicator's slope over ten years.

Usage::

    .venv/bin/python scripts/steady_drift.py                        # 20,000 households x 4
    .venv/bin/python scripts/steady_drift.py --households 5000 --reps 2

Runs ``scenarios/steady_state.toml`` (replication ``r`` with seed ``r``) and prints a
Markdown table: for each indicator of ``sim.steady.ANNUAL_RATES``, the mean relative
slope a year across replications, the range of the replications' slopes and the t-test's
p-value. ``tests/test_steady_state.py`` runs the same check at 6,000 x 4, where drifts
under about 1% a year pass unseen; this measures them at the size asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import load_scenario, run  # noqa: E402
from sim.steady import ANNUAL_RATES, replication_slopes, slope  # noqa: E402


def main(argv=None) -> int:
    """Run the replications and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=4)
    args = parser.parse_args(argv)
    if args.reps < 2:
        parser.error("--reps must be at least 2 (slopes are tested across replications)")
    sc = load_scenario("steady_state")
    frames = []
    for seed in range(args.reps):
        a = run(sc, seed=seed, households=args.households).annual
        frames.append(a[a.group == "all"].set_index("year"))
    print(f"steady_state, {args.households:,} households x {args.reps}, "
          f"{frames[0].index.min()}-{frames[0].index.max()}")
    print("| indicator | slope a year (mean) | replications' range | p |")
    print("|---|---|---|---|")
    for name, indicator in ANNUAL_RATES.items():
        mean, p = slope(frames, indicator)
        each = replication_slopes(frames, indicator)
        print(f"| {name} | {mean:+.2%} | {np.min(each):+.2%} to {np.max(each):+.2%} | {p:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
