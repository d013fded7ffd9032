"""The README's table of the seed scenarios: each built-in county's cumulative rates.

Usage::

    .venv/bin/python scripts/seed_scenarios.py                      # 20,000 households x 5
    .venv/bin/python scripts/seed_scenarios.py --households 5000 --reps 2

Runs each scenario (replication ``r`` with seed ``seed + r``, the same as
``python -m sim run SCENARIO --households N --reps R``) and prints a Markdown table of the
cumulative rates over its window (return to poverty, any cause and due to illness; new
poverty due to illness) with the 95% interval of the mean across replications, and the
deaths over the window scaled to the area.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import load_scenario, run  # noqa: E402

SCENARIOS = ("linyi_2021", "longyan_2022", "xinjiang_2019", "mengzi_2021",
             "lianyungang_2018", "transition_2021_2025")
RATES = ("return_rate_cumulative", "return_illness_rate_cumulative",
         "new_poor_illness_rate_cumulative")


def row(name: str, households: int, reps: int, seed: int, workers: int) -> str:
    """One scenario's row: its window, the three rates with intervals, the deaths."""
    scn = load_scenario(name)
    summary = run(scn, reps=reps, seed=seed, households=households,
                  workers=workers).summary.set_index("indicator")
    window = summary.loc[RATES[0], "unit"].rsplit(", ", 1)[-1]
    cells = [f"{100 * summary.loc[k, 'value']:.2f}% [{100 * summary.loc[k, 'ci_lo']:.2f}, "
             f"{100 * summary.loc[k, 'ci_hi']:.2f}]" for k in RATES]
    deaths = f"{summary.loc['deaths_total', 'value']:,.0f}"
    return f"| `{name}` ({window}) | " + " | ".join(cells) + f" | {deaths} |"


def main(argv=None) -> int:
    """Run every seed scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"{args.households:,} households x {args.reps} replications (seeds {args.seed}-"
          f"{args.seed + args.reps - 1}); cumulative rates over each window [95% CI of the "
          "mean]; deaths scaled to the area\n")
    print("| scenario (window) | return to poverty | return due to illness | "
          "new poverty due to illness | deaths |\n|---|---|---|---|---|")
    for name in SCENARIOS:
        print(row(name, args.households, args.reps, args.seed, args.workers), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
