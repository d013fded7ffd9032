"""A county without trends stays as it is: the model itself does not drift.

``scenarios/steady_state.toml`` holds incomes, prices and the poverty line constant and
starts from the stationary age structure of its own mortality table, with the chronic
incidence that keeps prevalence (``sim.steady``). Over ten years the annual indicators must
show no slope (OLS on the year; 5% for the family of slopes, Bonferroni; a slope under
0.3% a year passes), and the crude death rate must be that of a stationary population,
1 / life expectancy. The runs are small (6,000 households x 2): drifts under about 1.5% a
year can pass unseen here (at 20,000 x 4 births fall about 1.5% a year, README).
"""

import numpy as np
import pytest
import statsmodels.api as sm

from sim import load_scenario, run
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import MAX_AGE
from sim.steady import stationary_age_shares, stationary_incidence

HOUSEHOLDS, REPS = 6000, 2


def test_the_age_structure_is_the_stationary_one_of_the_mortality_table():
    sc = load_scenario("steady_state")
    want = stationary_age_shares(sc.get("health.mortality_per_1000"))
    got = np.array([sc.get("population.age_bands")[b] for b in AGE_BANDS])
    assert np.allclose(got, want, atol=6e-4)


def test_chronic_incidence_is_the_one_that_keeps_prevalence():
    sc = load_scenario("steady_state")
    mortality = sc.get("health.mortality_per_1000")
    for name, disease in sc.get("health.chronic").items():
        want = stationary_incidence(disease, mortality)
        got = disease["incidence_per_year"]
        assert all(abs(got[b] - want[b]) < 1e-6 for b in AGE_BANDS), name


@pytest.fixture(scope="module")
def annual():
    res = run(load_scenario("steady_state"), reps=REPS, households=HOUSEHOLDS, workers=2)
    a = res.annual
    return a[a.group == "all"].groupby("year").mean(numeric_only=True)


def rates(a):
    fp = a.formerly_poor_households
    return {
        "poverty": a.poor_households / a.households,
        "poverty due to illness": a.poor_illness_households / a.households,
        "new poverty due to illness": a.entered_poverty_illness_households / a.households,
        "return due to illness": a.formerly_poor_entered_illness_households / fp,
        "income per person": a.income_yuan / a.persons,
        "income lost to illness per person": a.income_loss_yuan / a.persons,
        "household size": a.persons / a.households,
        "births per 1,000": a.births / a.persons * 1000,
        "deaths per 1,000": a.deaths / a.persons * 1000,
        "out of pocket share": a.oop_yuan / a.bills_yuan,
    }


def slope(series):
    y = np.asarray(series, float)
    fit = sm.OLS(y, sm.add_constant(np.arange(len(y)))).fit()
    return fit.params[1] / y.mean(), fit.pvalues[1]


STATIONARY = ("poverty", "poverty due to illness", "new poverty due to illness",
              "return due to illness", "income per person",
              "income lost to illness per person", "household size", "births per 1,000",
              "deaths per 1,000", "out of pocket share")


#: Bonferroni level: about fourteen slopes are tested, each at 5% / 14, so that a model
#: without drift fails this file by chance about one time in twenty, not one in two.
LEVEL = 0.05 / 14


def assert_flat(annual, name):
    assert len(annual) == 10
    per_year, p = slope(rates(annual)[name])
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
    cdr = (annual.deaths / annual.persons * 1000).mean()
    assert 1000 / e0 <= cdr <= 1.6 * 1000 / e0


@pytest.mark.parametrize("disease", ["hypertension", "diabetes", "tuberculosis",
                                     "severe_mental"])
def test_chronic_prevalence_does_not_drift(annual, disease):
    per_year, p = slope(annual[f"{disease}_cases"] / annual.persons)
    assert p > LEVEL or abs(per_year) < 0.003, f"{disease}: {per_year:+.2%} a year"
