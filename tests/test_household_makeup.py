"""Who lives with whom: elderly-only households (population.elderly_only_share).

Older people living alone or as a couple are drawn from the 60+ bands only; the other
households' ages make up the rest so that population.age_bands still holds overall, and a
share that leaves no room in the 60+ bands is refused with the key named.
"""

import numpy as np
import pytest

from sim import load_scenario
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import age_band_index, build_population
from sim.rng import Streams
from sim.schema import ScenarioError

ALL_OLD = '{ "1" = 1.0, "2" = 0.7, "3" = 0.0, "4" = 0.0, "5" = 0.0, "6" = 0.0 }'


def population(share, households=20000):
    sc = load_scenario(overrides=[f"population.elderly_only_share={share}"])
    return sc, build_population(sc.params, Streams(0), households)


def test_small_households_of_older_people_only_and_the_age_bands_still_hold():
    sc, pop = population(ALL_OLD)
    P, H = pop.persons, pop.households
    members = P.born
    alone = (H.size == 1)[P.hh] & members
    assert (P.age[alone] >= 60).all()
    pairs = np.flatnonzero(H.size == 2)
    both_old = np.bincount(P.hh[members], weights=P.age[members] >= 60, minlength=H.n)
    assert abs((both_old[pairs] == 2).mean() - 0.7) < 0.02
    band = age_band_index(P.age[members])
    got = np.bincount(band, minlength=len(AGE_BANDS)) / members.sum()
    want = np.array([sc.get("population.age_bands")[b] for b in AGE_BANDS])
    # multinomial noise on about 60,000 persons, plus the adults added to households of
    # children only: within 0.01 of each band's share
    assert np.abs(got - want).max() < 0.01
    older = np.array(AGE_BAND_LOWER)[band] >= 60
    big = (H.size >= 3)[P.hh[members]]
    assert older[big].mean() < older.mean()  # the 60+ left for the larger households


def test_without_elderly_only_households_ages_do_not_depend_on_size():
    _, pop = population(0)
    P, H = pop.persons, pop.households
    members = P.born
    small = (H.size <= 2)[P.hh[members]]
    older = P.age[members] >= 60
    assert abs(older[small].mean() - older[~small].mean()) < 0.03


def test_more_older_people_in_elderly_only_homes_than_the_bands_hold_is_refused():
    with pytest.raises(ScenarioError) as err:
        load_scenario("xinjiang_2019", overrides=[
            "population.elderly_only_share=1.0"])
    assert "population.elderly_only_share" in str(err.value)
    assert "60+" in str(err.value)
