"""A county without trends stays as it is: the model itself does not drift.

``scenarios/steady_state.toml`` holds incomes, prices and the poverty line constant and
starts from the stationary age structure of its own mortality table. Over ten years the
annual indicators must show no slope (OLS on the year, 5% level), and the crude death
rate must be that of a stationary population, 1 / life expectancy.
"""

import numpy as np
import pytest
import statsmodels.api as sm

from sim import load_scenario, run
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import MAX_AGE

HOUSEHOLDS, REPS = 6000, 2


def stationary_band_shares(mortality_per_1000: dict) -> np.ndarray:
    """Share of each age band in the life-table person-years L(a), ages 0..MAX_AGE."""
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1
    mu = np.array([mortality_per_1000[b] for b in AGE_BANDS])[band] / 1000.0
    survivors = np.exp(-np.concatenate([[0.0], np.cumsum(mu)[:-1]]))
    person_years = survivors * np.exp(-mu / 2)
    shares = np.bincount(band, weights=person_years)
    return shares / shares.sum()


def test_the_age_structure_is_the_stationary_one_of_the_mortality_table():
    sc = load_scenario("steady_state")
    want = stationary_band_shares(sc.get("health.mortality_per_1000"))
    got = np.array([sc.get("population.age_bands")[b] for b in AGE_BANDS])
    assert np.allclose(got, want, atol=6e-4)


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
              "return due to illness", "income per person", "household size",
              "births per 1,000", "deaths per 1,000", "out of pocket share")
KNOWN_DRIFT = {
    "income lost to illness per person": "major-disease cases in treatment fall by about "
    "a fifth over the first five years, then hold: in this older population their "
    "starting stock is above the steady state (cause not yet found)",
}


def assert_flat(annual, name):
    assert len(annual) == 10
    per_year, p = slope(rates(annual)[name])
    assert p > 0.05 or abs(per_year) < 0.003, f"{name}: {per_year:+.2%} a year (p={p:.3f})"


@pytest.mark.parametrize("name", STATIONARY)
def test_no_indicator_drifts_over_ten_years(annual, name):
    assert_flat(annual, name)


@pytest.mark.parametrize("name", [pytest.param(k, marks=pytest.mark.xfail(
    strict=True, reason=f"known drift: {why}")) for k, why in KNOWN_DRIFT.items()])
def test_known_drifts_are_still_there(annual, name):
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


@pytest.mark.xfail(strict=True, reason="known drift: the default's chronic incidence is "
                   "set so that prevalence rises about 2% a year (as in 2013-2018); the "
                   "steady-state scenario does not yet derive a stationary incidence")
def test_chronic_prevalence_does_not_drift(annual):
    per_year, p = slope(annual.hypertension_cases / annual.persons)
    assert p > 0.05 or abs(per_year) < 0.003
