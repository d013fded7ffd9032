"""A county without trends stays as it is: the model itself does not drift.

``scenarios/steady_state.toml`` holds incomes, prices and the poverty line constant and
starts from the stationary age structure of its own total mortality by age (measured in
its runs, ``scripts/derive_steady_state.py``), with births at that population's rate and
the chronic incidence that keeps prevalence (``sim.steady``). Over ten years the annual
indicators must show no slope, among them the shares of hypertension and diabetes cases
diagnosed and managed, and the crude death and birth rates must be those of a stationary
population, 1 / life expectancy.

A slope is fitted to each replication's ten years (OLS on the year, relative to the mean)
and the replications' slopes are tested against zero (t-test; 5% for the family of slopes,
Bonferroni; a mean slope under 0.3% a year passes). Slopes are compared across
independent replications, not judged by one run's OLS p-value, because stocks such as
prevalence wander like a random walk in a small population: in three runs of 6,000
households x 2 the diabetes prevalence slope was +0.32%, -0.36% and -0.25% a year, each
"significant" at p < 1e-5 by OLS. The runs are small (10,000 households x 4): drifts under
about 1% a year can pass unseen here; ``scripts/steady_drift.py`` measures them at any size
(README, "No drift of its own"). At 6,000 households x 4 four close slopes can look
significant by chance: with cancers by age (before forgone admissions by age), income lost
to illness per person gave +0.36% a year (replications
+0.32% to +0.40%, p = 0.0003) where 10,000 x 4 gives +0.32% (-0.21% to +0.58%, p = 0.18)
and 20,000 x 4 +0.14% (-0.16% to +0.49%, p = 0.39).
"""

from pathlib import Path

import pandas as pd
import pytest

from sim import load_scenario, run
from sim.parameters import AGE_BANDS
from sim.steady import (
    ANNUAL_RATES,
    RURAL_LIFE_EXPECTANCY_2020,
    derived_inputs,
    life_expectancy,
    read_steady_table,
    slope,
    stationary_age_shares,
    stationary_birth_rate,
    stationary_incidence,
)

HOUSEHOLDS, REPS = 10_000, 4


def test_ages_and_births_are_the_stationary_ones_of_the_county_s_own_flows():
    """Derived from the deaths and joiners its runs show (scripts/derive_steady_state.py)."""
    sc = load_scenario("steady_state")
    deaths, joiners = read_steady_table()
    assert list(deaths) == list(AGE_BANDS) and joiners >= 0
    assert all(deaths[b] > sc.get("health.mortality_per_1000")[b] for b in AGE_BANDS[1:])
    want = derived_inputs(sc.params, deaths, joiners)
    got = sc.get("population.age_bands")
    assert all(got[b] == pytest.approx(want["age_bands"][b], abs=1e-9) for b in AGE_BANDS)
    assert sc.get("population.births_per_woman_year") == pytest.approx(
        want["births_per_woman_year"], abs=6e-5)


def test_the_county_s_own_deaths_give_rural_china_s_life_expectancy():
    """The measured deaths by age (every modelled cause) leave a rural life expectancy.

    With the old ages' background table of before (4.9, 13.3, 46.7 per 1,000 at 60-69,
    70-79, 80+) the county's flows left 82.8 years.
    """
    deaths, _ = read_steady_table()
    low, high = RURAL_LIFE_EXPECTANCY_2020
    assert low <= life_expectancy(deaths) <= high


def test_joiners_make_the_stationary_population_older_and_need_fewer_births():
    deaths, _ = read_steady_table()
    plain, joined = stationary_age_shares(deaths), stationary_age_shares(deaths, 0.3)
    assert joined[0] < plain[0] and joined[-1] > plain[-1]
    assert stationary_birth_rate(deaths, 0.3) < stationary_birth_rate(deaths)
    # without joiners the birth rate is 1 / life expectancy, e0 = sum of L(a)
    assert stationary_birth_rate({b: 1000.0 / 70 for b in AGE_BANDS}) == pytest.approx(
        1000 / 70, rel=1e-3)
    assert life_expectancy({b: 1000.0 / 70 for b in AGE_BANDS}) == pytest.approx(70, rel=1e-3)


def test_chronic_incidence_is_the_one_that_keeps_prevalence():
    sc = load_scenario("steady_state")
    for name, disease in sc.get("health.chronic").items():
        want = stationary_incidence(disease, sc.params)
        got = disease["incidence_per_year"]
        assert all(abs(got[b] - want[b]) < 1e-6 for b in AGE_BANDS), name


@pytest.fixture(scope="module")
def annual():
    """The area's annual indicators, one frame per replication (seeds 0 to REPS - 1)."""
    sc = load_scenario("steady_state")
    frames = []
    for seed in range(REPS):
        a = run(sc, seed=seed, households=HOUSEHOLDS).annual
        frames.append(a[a.group == "all"].set_index("year"))
    return frames


STATIONARY = ("poverty", "poverty due to illness", "new poverty due to illness",
              "return due to illness", "income per person",
              "income lost to illness per person", "household size", "births per 1,000",
              "deaths per 1,000", "out of pocket share", "WHO 2025 hardship",
              "SDG 3.8.2 at 10%", "admissions per 1,000", "admissions forgone share",
              "outpatient care forgone share")


#: Bonferroni level: 23 slopes are tested (the 15 above, four prevalences, four shares
#: diagnosed and managed), each at 5% / 23, so that a model without drift fails this file
#: by chance about one time in twenty, not one in two.
LEVEL = 0.05 / 23


def assert_flat(annual, name):
    assert all(len(a) == 10 for a in annual)
    per_year, p = slope(annual, ANNUAL_RATES[name])
    assert p > LEVEL or abs(per_year) < 0.003, f"{name}: {per_year:+.2%} a year (p={p:.4f})"


@pytest.mark.parametrize("name", STATIONARY)
def test_no_indicator_drifts_over_ten_years(annual, name):
    assert_flat(annual, name)


def test_births_and_deaths_are_those_of_the_stationary_population(annual):
    """The runs' death rate and birth rate are the derived population's."""
    sc = load_scenario("steady_state")
    deaths, joiners = read_steady_table()
    want = derived_inputs(sc.params, deaths, joiners)
    all_reps = pd.concat(annual)
    cdr = (all_reps.deaths / all_reps.persons * 1000).mean()
    cbr = (all_reps.births / all_reps.persons * 1000).mean()
    assert cbr == pytest.approx(want["birth_rate_per_1000"], rel=0.1)
    assert cdr == pytest.approx(want["birth_rate_per_1000"] + joiners, rel=0.1)


@pytest.mark.parametrize("disease", ["hypertension", "diabetes", "tuberculosis",
                                     "severe_mental"])
def test_chronic_prevalence_does_not_drift(annual, disease):
    per_year, p = slope(annual, ANNUAL_RATES[f"{disease} prevalence"])
    assert p > LEVEL or abs(per_year) < 0.003, f"{disease}: {per_year:+.2%} a year"


@pytest.mark.parametrize("disease", ["hypertension", "diabetes"])
@pytest.mark.parametrize("stage", ["diagnosed", "managed"])
def test_awareness_and_management_do_not_drift(annual, disease, stage):
    """Checks and contracts hold the shares they start with (awareness was flat in
    2013-2018 while checks spread), rather than diagnosing everyone within two years."""
    per_year, p = slope(annual, ANNUAL_RATES[f"{disease} {stage} share"])
    assert p > LEVEL or abs(per_year) < 0.003, f"{disease} {stage}: {per_year:+.2%} a year"


def test_the_drift_script_prints_the_tested_and_the_untested_slopes(capsys):
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "steady_drift.py"
    spec = importlib.util.spec_from_file_location("steady_drift", script)
    drift = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(drift)
    assert drift.main(["--households", "400", "--reps", "2"]) == 0
    out = capsys.readouterr().out
    for name in [*ANNUAL_RATES, *drift.NOT_TESTED, *drift.MAKEUPS, *drift.CHILDREN]:
        assert f"| {name} | " in out, name
    assert not set(drift.NOT_TESTED) & set(ANNUAL_RATES)  # shown apart, never tested
