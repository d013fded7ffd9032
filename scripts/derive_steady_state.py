"""Derive `steady_state`'s age structure, birth rate and chronic incidence from its own deaths.

Usage::

    .venv/bin/python scripts/derive_steady_state.py                   # print the values
    .venv/bin/python scripts/derive_steady_state.py --write           # and write them

A population keeps its age structure when it is the stationary population of its total
mortality by age, with births at that population's birth rate (1,000 over the life
expectancy). The background table alone (``health.mortality_per_1000``) is not that
mortality: the modelled diseases and forgone admissions add deaths at every adult age.
Their deaths cannot be written down from the parameters (major diseases run courses,
admissions are forgone for money), so this script measures them: it runs
``scenarios/steady_state.toml`` (``--reps`` replications of ``--households``, the whole ten
years, ``scripts/mortality_by_age.rates_by_age``), takes the total deaths per 1,000
person-years of each age band, and derives from it
(``sim.steady.derived_inputs``)

* ``population.age_bands``: the stationary shares of that table;
* ``population.births_per_woman_year``: its stationary birth rate over the share of women
  aged 15-44 (``population.female_share`` times the 15-44 share);
* each chronic disease's ``incidence_per_year`` that keeps its prevalence
  (``stationary_incidence``; it depends on the shares through the excess mortality's age
  factor).

The derived values change the deaths a little (the age factor's mean over the cases), so
it repeats ``--rounds`` times. ``--write`` puts the measured table into
``scenarios/data/steady_state_mortality.csv`` and the values derived from it into the
scenario file; ``tests/test_steady_state.py`` derives the same values from the table.
``--from-table`` rewrites the scenario from the stored table without running anything.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mortality_by_age import rates_by_age  # noqa: E402

from sim import load_scenario  # noqa: E402
from sim.parameters import AGE_BANDS  # noqa: E402
from sim.steady import RURAL_LIFE_EXPECTANCY_2020, life_expectancy  # noqa: E402
from sim.steady import STEADY_TABLE as TABLE  # noqa: E402
from sim.steady import derived_inputs as derived  # noqa: E402
from sim.steady import read_steady_table as read_table  # noqa: E402

SCENARIO = ROOT / "scenarios" / "steady_state.toml"


def _inline(table: dict, digits: int) -> str:
    return "{ " + ", ".join(f'"{k}" = {v:.{digits}f}' for k, v in table.items()) + " }"


def _write(values: dict) -> None:
    text = SCENARIO.read_text()
    text, n = re.subn(r"(?m)^age_bands = \{[^}]*\}",
                      "age_bands = " + _inline(values["age_bands"], 4), text)
    assert n == 1
    text, n = re.subn(r"(?m)^births_per_woman_year = [0-9.]+",
                      f"births_per_woman_year = {values['births_per_woman_year']:.4f}", text)
    assert n == 1
    for name, inc in values["incidence"].items():
        text, n = re.subn(rf"(\[health\.chronic\.{name}\]\nincidence_per_year = )\{{[^}}]*\}}",
                          lambda m, inc=inc: m.group(1) + _inline(inc, 6), text)
        assert n == 1, name
    SCENARIO.write_text(text)


def _table(path: Path, total: dict, joiners: float) -> None:
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["flow", "age_band", "per_1000_person_years"])
        for band, rate in total.items():
            out.writerow(["deaths", band, f"{rate:.3f}"])
        out.writerow(["joiners", "all", f"{joiners:.3f}"])


def main(argv=None) -> int:
    """Measure, derive, repeat; print (and with --write, write) the values."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--from-table", action="store_true",
                        help="no runs: derive from the stored table and write the scenario")
    args = parser.parse_args(argv)
    if not args.from_table:
        overrides: dict = {}
        for r in range(args.rounds):
            sc = load_scenario("steady_state").with_overrides(overrides)
            rate, _, joiners = rates_by_age(sc, args.households, args.reps)
            total = dict(zip(AGE_BANDS, rate.sum(axis=0), strict=True))
            values = derived(sc.params, total, joiners)
            print(f"round {r + 1}: total deaths per 1,000 person-years "
                  + ", ".join(f"{b} {v:.2f}" for b, v in total.items())
                  + f"; joiners {joiners:.2f}; births needed "
                  f"{values['birth_rate_per_1000']:.2f}; life expectancy "
                  f"{life_expectancy(total):.1f} years (rural China 2020: "
                  f"{RURAL_LIFE_EXPECTANCY_2020[0]:.1f}-{RURAL_LIFE_EXPECTANCY_2020[1]:.1f})",
                  flush=True)
            print("  age_bands = " + _inline(values["age_bands"], 4))
            print(f"  births_per_woman_year = {values['births_per_woman_year']:.4f}")
            overrides = {"population.age_bands": values["age_bands"],
                         "population.births_per_woman_year": values["births_per_woman_year"]}
            overrides.update({f"health.chronic.{name}.incidence_per_year": inc
                              for name, inc in values["incidence"].items()})
        if not args.write:
            return 0
        _table(TABLE, total, joiners)
    # derive from the table as written (rounded), as the test does
    values = derived(load_scenario("steady_state").params, *read_table())
    for name, inc in values["incidence"].items():
        print(f"  {name}: incidence_per_year = {_inline(inc, 6)}")
    _write(values)
    print(f"wrote {SCENARIO.relative_to(ROOT)}"
          + ("" if args.from_table else f" and {TABLE.relative_to(ROOT)}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
