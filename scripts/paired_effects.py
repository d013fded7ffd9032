"""The README's table of paired effects: each measure switched off against the scenario.

Usage::

    .venv/bin/python scripts/paired_effects.py                       # default, 20,000 x 5
    .venv/bin/python scripts/paired_effects.py --households 5000 --reps 3 --store /tmp/pe
    .venv/bin/python scripts/paired_effects.py --set registry.group_change.minimum_guarantee_share=0

Runs the scenario and, for every measure, the scenario with that measure switched off,
with the same seeds (common random numbers; replication ``r`` uses seed ``seed + r``), and
prints a Markdown table of the mean paired difference (measure off minus the scenario)
with its 95% t-interval across replications (chance only, ``models.effects``). Rates are in
percentage points, deaths in persons of the area over the reported window. ``--store``
keeps finished runs, so that an interrupted table resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.batch import run_batch  # noqa: E402
from models.effects import paired_interval  # noqa: E402
from sim import load_scenario  # noqa: E402
from sim.policies import REGISTRY  # noqa: E402

#: (summary indicator, column title, scale to the unit shown, digits); ``{window}`` is the
#: scenario's reported window (e.g. 2021–25), ``{length}`` its length
COLUMNS = (
    ("return_illness_rate_cumulative", "return due to illness {window}", 100, 2),
    ("return_rate_cumulative", "return, any cause", 100, 2),
    ("new_poor_illness_rate_cumulative", "new poverty due to illness {window}", 100, 2),
    ("admissions_forgone_share", "admissions forgone", 100, 2),
    ("outpatient_forgone_share", "outpatient forgone", 100, 2),
    ("deaths_total", "deaths (area, {length})", 1, 0),
    ("who_hardship_rate_mean_annual", "WHO hardship a year", 100, 2),
)


def titles(timeline) -> list[str]:
    """The column titles for a scenario's reported window."""
    first, last = timeline.start // 12, timeline.end // 12
    window = f"{first}–{last % 100:02d}" if last > first else f"{first}"
    n = timeline.n_reported
    length = f"{n // 12} years" if n % 12 == 0 else f"{n} months"
    return [c[1].format(window=window, length=length) for c in COLUMNS]


def cell(values, draws, scale: float, digits: int) -> str:
    """'+m [lo, hi]' of the paired differences, or the value alone when it never moves."""
    mean, _, lo, hi, _ = paired_interval(values * scale, draws)
    if values.min() == values.max():
        return f"{mean:+.{digits}f}" if mean else "0"
    return f"{mean:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def main(argv=None) -> int:
    """Run the scenario and each measure off; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None)
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an override of the scenario (and of every package)")
    args = parser.parse_args(argv)
    base = load_scenario(args.scenario, args.set)
    on = [n for n in REGISTRY if base.params["policies"][n]["enabled"]]
    packages = {"scenario": {}, **{f"{n} off": {f"policies.{n}.enabled": False} for n in on}}
    batch = run_batch(base, packages, reps=args.reps, seed=args.seed,
                      households=args.households, workers=args.workers, store=args.store,
                      progress=True)
    draws = batch.wide(COLUMNS[0][0]).index.to_numpy() // batch.reps
    print(f"\n{base.name}, {args.households:,} households x {args.reps} replications "
          f"(seeds {args.seed}-{args.seed + args.reps - 1}); measure off minus the scenario, "
          "mean [95% CI of the mean paired difference, chance only]; rates in points\n")
    names = titles(base.timeline)
    print("| measure switched off | " + " | ".join(names) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name in on:
        row = []
        for indicator, _, scale, digits in COLUMNS:
            w = batch.wide(indicator)
            row.append(cell((w[f"{name} off"] - w["scenario"]).to_numpy(), draws, scale,
                            digits))
        print(f"| `{name}` | " + " | ".join(row) + " |")
    levels = {c[0]: batch.wide(c[0])["scenario"].mean() * c[2] for c in COLUMNS}
    print("\nthe scenario itself: " + "; ".join(f"{t} {levels[c[0]]:.{c[3]}f}"
                                                for t, c in zip(names, COLUMNS, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
