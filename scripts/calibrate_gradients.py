"""Fit the two income gradients of illness to their published concentration indices.

Usage::

    .venv/bin/python scripts/calibrate_gradients.py            # fit and print
    .venv/bin/python scripts/calibrate_gradients.py --write    # and write the default scenario
    .venv/bin/python scripts/calibrate_gradients.py --check    # only measure the current values

Two parameters of ``scenarios/transition_2021_2025.toml``, each fitted to one published
figure by bisection on common random numbers (the same seeds at every trial value, so
that the measured index is a smooth, falling function of the elasticity):

* ``health.chronic_onset_income_elasticity``: the concentration index of having any
  chronic or major disease, among the living, by household income per person, read after
  two years (month 24, ``Model.run_to``), fitted to -0.086 (rural western China 2014,
  Front Public Health 2022;10:1065808);
* ``health.acute.income_elasticity``, fitted next, with the first one set: the
  admissions' index over 2021-2025 (``admission_concentration_index_mean_annual``), to
  -0.0888 (rural residents 2018, CFPS; Xu et al., Int J Equity Health 2023;22:90).

The chronic gradient moves the admissions' index too (the ill are admitted more), so
the order matters; the acute gradient does not move chronic prevalence. Both depend on
who lives with whom (households' incomes per person), so they are fitted again whenever
the households' make-up changes.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim import health, load_scenario, run  # noqa: E402
from sim.engine import Model  # noqa: E402
from sim.population import NO_MAJOR  # noqa: E402
from sim.results import concentration_index  # noqa: E402

SCENARIO = ROOT / "scenarios" / "transition_2021_2025.toml"
CHRONIC_KEY, ACUTE_KEY = "health.chronic_onset_income_elasticity", "health.acute.income_elasticity"
CHRONIC_TARGET, ACUTE_TARGET = -0.086, -0.0888
CHRONIC_MONTH = 24


def chronic_index(overrides: list[str], households: int, reps: int) -> float:
    """Mean over seeds 0..reps-1 of the chronic index at ``CHRONIC_MONTH``."""
    values = []
    for seed in range(reps):
        model = Model(load_scenario(None, overrides), seed=seed, households=households)
        model.run_to(CHRONIC_MONTH)
        P = model.pop.persons
        alive = P.alive & P.born
        ill = ((P.chronic != 0) | (P.major != NO_MAJOR))[alive].astype(float)
        values.append(concentration_index(ill, health.household_income_pp(model)[P.hh[alive]]))
    return float(np.mean(values))


def admissions_index(overrides: list[str], households: int, reps: int) -> float:
    """The admissions' index over the window, mean of seeds 0..reps-1."""
    res = run(load_scenario(None, overrides), reps=reps, households=households, workers=2)
    return float(res.value("admission_concentration_index_mean_annual"))


def bisect(measure, target: float, low: float, high: float, tol: float) -> float:
    """The elasticity in [low, high] whose index is ``target`` (the index falls with it)."""
    for _ in range(20):
        mid = 0.5 * (low + high)
        value = measure(mid)
        print(f"  {mid:.3f} -> {value:+.4f}", flush=True)
        if value > target:
            low = mid
        else:
            high = mid
        if high - low < tol:
            break
    return round(0.5 * (low + high), 2)


def write(key: str, value: float) -> None:
    """Put ``value`` on the line of ``key``'s last part in the default scenario."""
    name = key.rsplit(".", 1)[-1]
    text = SCENARIO.read_text()
    new, n = re.subn(rf"^{name} = [0-9.]+", f"{name} = {value:.2f}", text, count=1,
                     flags=re.MULTILINE)
    if n != 1:
        raise SystemExit(f"{SCENARIO}: no line '{name} = ...' to write")
    SCENARIO.write_text(new)


def main(argv=None) -> int:
    """Fit (or check) both elasticities and print what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    scn = load_scenario()
    chronic, acute = scn.get(CHRONIC_KEY), scn.get(ACUTE_KEY)
    if not args.check:
        print(f"{CHRONIC_KEY} (target {CHRONIC_TARGET}):")
        chronic = bisect(lambda e: chronic_index([f"{CHRONIC_KEY}={e}"], args.households,
                                                 args.reps), CHRONIC_TARGET, 0.0, 2.0, 0.02)
        print(f"{ACUTE_KEY} (target {ACUTE_TARGET}), with {CHRONIC_KEY}={chronic}:")
        acute = bisect(lambda e: admissions_index(
            [f"{CHRONIC_KEY}={chronic}", f"{ACUTE_KEY}={e}"], args.households, args.reps),
            ACUTE_TARGET, 0.0, 2.0, 0.02)
    settings = [f"{CHRONIC_KEY}={chronic}", f"{ACUTE_KEY}={acute}"]
    print(f"{CHRONIC_KEY} = {chronic}: chronic index "
          f"{chronic_index(settings, args.households, args.reps):+.4f} at month "
          f"{CHRONIC_MONTH} (target {CHRONIC_TARGET})")
    print(f"{ACUTE_KEY} = {acute}: admissions index "
          f"{admissions_index(settings, args.households, args.reps):+.4f} (target "
          f"{ACUTE_TARGET})")
    if args.write and not args.check:
        write(CHRONIC_KEY, chronic)
        write(ACUTE_KEY, acute)
        print(f"wrote both into {SCENARIO}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
