"""A county without trends stays as it is: the model itself does not drift.

``scenarios/steady_state.toml`` holds incomes, prices and the poverty line constant and
starts from the stationary age structure of its own mortality table, with the chronic
incidence that keeps prevalence (``sim.steady``). Over ten years the annual indicators must
show no slope, among them the shares of hypertension and diabetes cases diagnosed and
managed, and the crude death rate must be that of a stationary population, 1 / life
expectancy.

A slope is fitted to each replication's ten years (OLS on the year, relative to the mean)
and the replications' slopes are tested against zero (t-test; 5% for the family of slopes,
Bonferroni; a mean slope under 0.3% a year passes). Slopes are compared across
independent replications, not judged by one run's OLS p-value, because stocks such as
prevalence wander like a random walk in a small population: in three runs of 6,000
households x 2 the diabetes prevalence slope was +0.32%, -0.36% and -0.25% a year, each
"significant" at p < 1e-5 by OLS. The runs are small (6,000 households x 4): drifts under
about 1% a year can pass unseen here; ``scripts/steady_drift.py`` measures them at any size
(README, "No drift of its own").
"""

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, run
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import MAX_AGE
from sim.steady import ANNUAL_RATES, slope, stationary_age_shares, stationary_incidence

HOUSEHOLDS, REPS = 6000, 4


def test_the_age_structure_is_the_stationary_one_of_the_mortality_table():
    sc = load_scenario("steady_state")
    want = stationary_age_shares(sc.get("health.mortality_per_1000"))
    got = np.array([sc.get("population.age_bands")[b] for b in AGE_BANDS])
    assert np.allclose(got, want, atol=6e-4)


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
              "deaths per 1,000", "out of pocket share")


#: Bonferroni level: eighteen slopes are tested, each at 5% / 18, so that a model without
#: drift fails this file by chance about one time in twenty, not one in two.
LEVEL = 0.05 / 18


def assert_flat(annual, name):
    assert all(len(a) == 10 for a in annual)
    per_year, p = slope(annual, ANNUAL_RATES[name])
    assert p > LEVEL or abs(per_year) < 0.003, f"{name}: {per_year:+.2%} a year (p={p:.4f})"


@pytest.mark.parametrize("name", STATIONARY)
def test_no_indicator_drifts_over_ten_years(annual, name):
    assert_flat(annual, name)


def test_the_death_rate_is_that_of_a_stationary_population(annual):
    """CDR near 1000 / e0 of the background table (disease deaths add a little)."""
    sc = load_scenario("steady_state")
    mu = sc.get("health.mortality_per_1000")
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1
    m = np.array([mu[b] for b in AGE_BANDS])[band] / 1000.0
    e0 = np.exp(-np.concatenate([[0.0], np.cumsum(m)[:-1]])).sum()
    all_reps = pd.concat(annual)
    cdr = (all_reps.deaths / all_reps.persons * 1000).mean()
    assert 1000 / e0 <= cdr <= 1.6 * 1000 / e0


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
