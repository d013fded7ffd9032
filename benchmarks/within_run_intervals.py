"""Whether within-run intervals carry the chance variation that replications show.

Usage::

    python benchmarks/within_run_intervals.py --households 4000 --reps 10 --workers 2

Runs the effects of four measures (contracts, monitoring, premium subsidy, settlement:
leave-one-out, add-one-in, exact Shapley) for ``--reps`` replications with within-run
intervals (``models.effects``, ``intervals="households"``), and prints, effect by effect,
the standard deviation of the single-run estimates across replications (each replication
its own population and draws: the chance variation a single run's interval should carry)
beside the mean within-run standard error from the run's household clusters, and their
ratio. A ratio near 1 means the clusters carry the chance variation; above 1 they overstate
it (households competing for a shared budget or capacity are negatively dependent, which
clusters taken as independent draws leave out), below 1 they would understate it. With 10
replications the across-replication sd is itself uncertain by about a quarter.
"""

from __future__ import annotations

import argparse

import numpy as np

MEASURES = ("contracts", "monitoring", "premium_subsidy", "settlement")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=4000)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from models.effects import estimate_effects

    eff = estimate_effects(None, list(MEASURES), reps=args.reps, households=args.households,
                           workers=args.workers, intervals="households")
    print(f"{len(MEASURES)} measures, {args.households:,} households x {args.reps} "
          f"replications; outcome {eff.outcome}")
    print(f"{'method':14s} {'measure':16s} {'sd across reps':>15s} {'within-run se':>14s} "
          f"{'ratio':>6s}")
    ratios = []
    for (method, measure), g in eff.samples.groupby(["method", "measure"], sort=False):
        between = g["effect"].std(ddof=1)
        within = float(np.sqrt(g["within_var"]).mean())
        ratios.append(within / between)
        print(f"{method:14s} {measure:16s} {between:15.5f} {within:14.5f} "
              f"{within / between:6.2f}")
    print(f"ratio median {np.median(ratios):.2f}, range {min(ratios):.2f}-{max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
