"""Check that two versions of the engine give the same numbers for the same scenarios and seeds.

Usage::

    python benchmarks/same_results.py --write /tmp/before      # on the reference version
    python benchmarks/same_results.py --compare /tmp/before    # on the changed version

Runs every built-in scenario (and the default with every measure off) for a few seeds at
a small size and keeps each run's tables (monthly, annual, summary, events) as CSV
files. ``--compare`` runs the same set and reports, table by table, whether the two
versions agree exactly (the CSV text, so the comparison is to the last printed digit of
a float64; indicators new in this version are listed and not compared) or, when they do
not, the first indicator and the largest difference. Speed work promises "the same
numbers for the same seed" (issue #10); this is how that is
checked. Exit code 1 when any table differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sim.policies import REGISTRY  # noqa: E402
from sim.runner import run  # noqa: E402
from sim.scenario import SCENARIO_DIR, load_scenario  # noqa: E402

TABLES = ("monthly", "annual", "summary", "events")


def cases(seeds: int) -> list[tuple[str, object, int]]:
    """(label, scenario, seed) of every run checked."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        name, scenario = path.stem, load_scenario(path)
        for s in range(seeds):
            out.append((f"{name}-s{s}", scenario, s))
    off = load_scenario().with_overrides([f"policies.{n}.enabled=false" for n in REGISTRY])
    out += [(f"measures_off-s{s}", off, s) for s in range(seeds)]
    return out


def tables_of(scenario, seed: int, households: int) -> dict[str, pd.DataFrame]:
    """The run's tables, without its timing."""
    from_file = bool(scenario.params["population"]["from"])  # its file sets the size
    res = run(scenario, reps=1, seed=seed, households=None if from_file else households)
    t = res.tables()
    return {k: t[k] for k in TABLES}


def differences(mine: pd.DataFrame, theirs: pd.DataFrame) -> str:
    """A one-line description of how two tables differ ('' when they are the same).

    Indicators that only this version has (columns added, in any place) are not a
    difference: the reference's columns must all be there, in their order, with the same
    values (``main`` lists the new ones).
    """
    shared = [c for c in mine.columns if c in theirs.columns]
    if shared != list(theirs.columns) or len(mine) != len(theirs):
        return f"shape or columns differ: {mine.shape} vs {theirs.shape}"
    for col in shared:
        a, b = mine[col], theirs[col]
        if a.equals(b):
            continue
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            gap = np.nanmax(np.abs(a.to_numpy(float) - b.to_numpy(float)))
            return f"column {col}: largest difference {gap:.3g}"
        return f"column {col} differs"
    return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="folder to keep this version's tables in")
    group.add_argument("--compare", type=Path, help="folder written by --write")
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    differ = 0
    added: set[str] = set()
    for label, scenario, seed in cases(args.seeds):
        got = tables_of(scenario, seed, args.households)
        for name, frame in got.items():
            path = (args.write or args.compare) / f"{label}.{name}.csv"
            if args.write:
                path.parent.mkdir(parents=True, exist_ok=True)
                frame.to_csv(path, index=False)
                continue
            theirs = pd.read_csv(path, keep_default_na=False, na_values=[""])
            mine = pd.read_csv(pd.io.common.StringIO(frame.to_csv(index=False)),
                               keep_default_na=False, na_values=[""])
            why = differences(mine, theirs)
            if why:
                differ += 1
                print(f"DIFFERENT {label} {name}: {why}")
            added.update(c for c in mine.columns if c not in theirs.columns)
        print(f"{label}: {'written' if args.write else 'checked'}", flush=True)
    if args.compare:
        if added:
            print(f"indicators new in this version (not compared): {', '.join(sorted(added))}")
        print("all tables identical" if not differ else f"{differ} tables differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
