"""Deaths per 1,000 person-years by age band and cause, beside the background table.

Usage::

    .venv/bin/python scripts/mortality_by_age.py                       # default, 20,000 x 2
    .venv/bin/python scripts/mortality_by_age.py --scenario steady_state --households 5000

Runs the scenario (replication ``r`` with seed ``r``, warm-up included) and prints a
Markdown table: for each age band, the death rate from each cause of
``sim.engine.DEATH_CAUSES`` (each death once, under its first cause), the total and the
scenario's background table (``health.mortality_per_1000``, what the total would be
without the modelled diseases) and a published all-cause table (:data:`CENSUS_2000`).
It watches the engine's monthly split of deaths by cause (``sim.engine.death_causes``)
to read each dead person's age, and counts person-years from the living at each month's
deaths; the model itself is not changed. The outputs
give the same deaths by cause by target group (``deaths_<cause>`` in ``monthly.csv``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sim.engine as engine  # noqa: E402
from sim import load_scenario  # noqa: E402
from sim.parameters import AGE_BANDS  # noqa: E402
from sim.population import age_band_index  # noqa: E402

#: All-cause deaths per 1,000 by age band, China, both sexes, the 2000 census (deaths
#: 1999-11-01 to 2000-10-31): National Bureau of Statistics, China Statistical Yearbook
#: 2002, table 4-11 "Death Population by Age and Sex"; each band's rate is its five-year
#: groups' deaths over their population (deaths / rate). National and two decades old
#: (mortality has fallen since, most at old ages): a reference for the shape by age, not
#: a target.
CENSUS_2000 = {"0-14": 1.84, "15-44": 1.32, "45-59": 5.37, "60-69": 19.14, "70-79": 51.54,
               "80+": 134.54}
#: All-cause deaths per 1,000 person-years by age band, China 2023, both sexes: United
#: Nations World Population Prospects (deaths and mid-year population by single year of
#: age, the table of github.com/tomvogl/econ125, data/UN_mortality_2023_country_age.csv),
#: each band's deaths over its population. National and estimated (corrected for
#: under-registration; 2023 includes the COVID-19 wave of its first weeks, which raised the
#: old ages' rates), a reference for today's level by age; rural rates are not in it.
WPP_2023 = {"0-14": 0.484, "15-44": 0.847, "45-59": 4.134, "60-69": 14.135, "70-79": 35.222,
            "80+": 128.471}
#: Shares of China's cancer deaths in 2022 at ages 60+ and 80+ (Ju W et al., Sci China
#: Life Sci 2023;66:1079).
CANCER_DEATHS_60_80 = (0.682, 0.177)


def rates_by_age(sc, households: int, reps: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Deaths per 1,000 person-years by cause and age band, and new households' members.

    Returns the rates, shape (cause, band); the person-years by band; and the persons
    who join the sample's households from outside it, net of those who leave it, per
    1,000 person-years (reported months only): new households' members from outside,
    migrants out and back, and brides from outside (``sim.marriage``). Runs
    replication ``r`` with seed ``r`` (warm-up included), watching the engine's monthly
    split of deaths by cause for each dead person's age; person-years are counted from
    the living at each month's deaths.
    """
    causes = engine.DEATH_CAUSES
    deaths = np.zeros((len(causes), len(AGE_BANDS)))
    person_years = np.zeros(len(AGE_BANDS))
    split = engine.death_causes
    model = None

    def watched(died, by_cause):
        out = split(died, by_cause)
        P = model.pop.persons
        for c, who in enumerate(out.values()):
            deaths[c] += np.bincount(age_band_index(P.age[who]), minlength=len(AGE_BANDS))
        living = np.flatnonzero(P.alive)
        person_years[:] += np.bincount(age_band_index(P.age[living]),
                                       minlength=len(AGE_BANDS)) / 12.0
        return out

    joined = reported_years = 0.0
    engine.death_causes = watched
    try:
        for seed in range(reps):
            model = engine.Model(sc, seed=seed, households=households)
            monthly = model.run().monthly.query("group == 'all'")
            joined += float((monthly["persons_joined"] - monthly["persons_left"]
                             - monthly["persons_migrated_out"] + monthly["persons_returned"]
                             + monthly["persons_married_in"]
                             - monthly["persons_married_out"]).sum())
            reported_years += float(monthly["persons"].sum()) / 12.0
    finally:
        engine.death_causes = split
    rate = 1000.0 * deaths / np.maximum(person_years, 1e-9)
    return rate, person_years, 1000.0 * joined / max(reported_years, 1e-9)


def main(argv=None) -> int:
    """Run the replications and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=None, help="a built-in scenario or a file")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args(argv)
    sc = load_scenario(args.scenario)
    causes = engine.DEATH_CAUSES
    rate, person_years, _ = rates_by_age(sc, args.households, args.reps)
    deaths = rate * person_years / 1000.0
    background = sc.get("health.mortality_per_1000")
    print(f"{sc.name}, {args.households:,} households x {args.reps}, "
          f"{sc.timeline.n_months} months (warm-up included); deaths per 1,000 person-years")
    print("| age | " + " | ".join(causes) + " | total | background table | census 2000, "
          "all causes | WPP 2023, all causes |")
    print("|---" * (len(causes) + 5) + "|")
    for b, band in enumerate(AGE_BANDS):
        cells = " | ".join(f"{x:.2f}" for x in rate[:, b])
        print(f"| {band} | {cells} | {rate[:, b].sum():.2f} | {background[band]:.2f} | "
              f"{CENSUS_2000[band]:.2f} | {WPP_2023[band]:.2f} |")
    total = 1000.0 * deaths.sum(axis=1) / person_years.sum()
    at_wpp = (np.array([WPP_2023[b] for b in AGE_BANDS]) * person_years).sum() / person_years.sum()
    print(f"| all ages | {' | '.join(f'{x:.2f}' for x in total)} | {total.sum():.2f} | | | "
          f"{at_wpp:.2f} |")
    print()
    print("WPP 2023 all ages: the crude rate the nation's 2023 rates give this population's "
          "ages (person-years of the run).")
    major = deaths[list(causes).index("major")]
    old = [AGE_BANDS.index(b) for b in ("60-69", "70-79", "80+")]
    print(f"Major-disease deaths at 60+: {major[old].sum() / major.sum():.1%}, at 80+: "
          f"{major[-1] / major.sum():.1%} (cancer deaths in China 2022: "
          f"{CANCER_DEATHS_60_80[0]:.1%} and {CANCER_DEATHS_60_80[1]:.1%}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
