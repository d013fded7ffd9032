"""Fit the young adults' out-migration to the households' make-up it keeps.

Usage::

    .venv/bin/python scripts/calibrate_out_migration.py            # fit and print
    .venv/bin/python scripts/calibrate_out_migration.py --write    # and write the default
    .venv/bin/python scripts/calibrate_out_migration.py --check    # only measure the value

``population.out_migration_per_year`` in ``scenarios/transition_2021_2025.toml`` (the
chance a year that a young adult leaves the county for good, ``sim.formation``) is fitted
so that the share of people aged 60+ who live without anyone younger
(``elderly_alone_share``, 57% at the start: the 2020 census's empty-nest older people,
Tao, Jin and Guo, Population Research 2023) keeps its level over 2021-2025: no slope
across the reported years, by bisection on common random numbers (seeds 0..reps-1 at
every trial value; the share rises with the rate). With marriage the share depends
little on the rate, since most couples leave their parents' households at marriage
anyway, hence the eight replications. Holding the share is the assumption: it rose from
45% in 2011 (CHARLS) to 57% in 2020, so the flow found is rather too small than too
large. The income gradients are fitted with the households as they are, so
``scripts/calibrate_gradients.py`` runs after this.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from calibrate_gradients import bisect, write  # noqa: E402

from sim import load_scenario  # noqa: E402
from sim.engine import Model  # noqa: E402
from sim.steady import slope  # noqa: E402

KEY = "population.out_migration_per_year"


def share_slope(rate: float, households: int, reps: int) -> tuple[float, float, float, float]:
    """The default at ``rate``: slope of ``elderly_alone_share`` and what goes with it.

    Returns the mean relative slope a year over seeds 0..reps-1, its p-value, the mean
    share in the first reported year, and the mean relative change a year of the
    persons living at the start of each year.
    """
    sc = load_scenario().with_overrides([f"{KEY}={rate}"])
    frames = []
    for seed in range(reps):
        a = Model(sc, seed=seed, households=households).run().annual
        frames.append(a[a.group == "all"].set_index("year"))
    mean, p = slope(frames, lambda a: a.elderly_alone_share)
    persons, _ = slope(frames, lambda a: a.persons_start)
    first = sum(float(f.elderly_alone_share.iloc[0]) for f in frames) / len(frames)
    return mean, p, first, persons


def main(argv=None) -> int:
    """Fit (or check) the rate and print what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    rate = load_scenario().get(KEY)
    if not args.check:
        print(f"{KEY}: minus the slope of elderly_alone_share over 2021-2025, target 0")
        rate = bisect(lambda r: -share_slope(r, args.households, args.reps)[0], 0.0, 0.0,
                      0.3, 0.005)
    mean, p, first, persons = share_slope(rate, args.households, args.reps)
    print(f"{KEY} = {rate}: elderly_alone_share {first:.3f} in the first year, slope "
          f"{mean:+.2%} a year (p = {p:.3f}); persons {persons:+.2%} a year "
          f"({args.households:,} households x {args.reps})")
    if args.write and not args.check:
        write(KEY, rate)
        print("wrote it into scenarios/transition_2021_2025.toml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
