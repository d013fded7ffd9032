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
    # multinomial noise on about 60,000 persons: within 4 standard errors of each band's
    # share (the households of children only get their adult by a swap of ages)
    assert (np.abs(got - want) < 4 * np.sqrt(want * (1 - want) / members.sum())).all()
    older = np.array(AGE_BAND_LOWER)[band] >= 60
    big = (H.size >= 3)[P.hh[members]]
    assert older[big].mean() < older.mean()  # the 60+ left for the larger households


def test_elderly_only_households_put_the_older_people_in_the_small_households():
    def older_in_small_minus_large(share):
        _, pop = population(share)
        P, H = pop.persons, pop.households
        members = P.born
        small = (H.size <= 2)[P.hh[members]]
        older = P.age[members] >= 60
        return older[small].mean() - older[~small].mean()

    # without them the small households are a little older too: children moved to a
    # possible mother leave a grandparent where they were (0.06 measured)
    assert older_in_small_minus_large(ALL_OLD) > older_in_small_minus_large(0) + 0.3


def test_more_older_people_in_elderly_only_homes_than_the_bands_hold_is_refused():
    with pytest.raises(ScenarioError) as err:
        load_scenario("xinjiang_2019", overrides=[
            "population.elderly_only_share=1.0"])
    assert "population.elderly_only_share" in str(err.value)
    assert "60+" in str(err.value)


def test_a_child_without_a_possible_mother_swaps_places_with_a_grandparent_living_with_one():
    from sim.population import place_children_with_mothers

    # household 0: a father of 40 and a child of 5; household 1: a woman of 30 and a man of
    # 66; household 2: a grandmother of 70 and a grandchild of 8 (stays: no one under 60)
    hh = np.array([0, 0, 1, 1, 2, 2], np.int32)
    age = np.array([40, 5, 30, 66, 70, 8], np.int16)
    female = np.array([False, True, True, False, True, False])
    place_children_with_mothers(np.random.default_rng(0), hh, age, female)
    assert age.tolist() == [40, 66, 30, 5, 70, 8]
    assert female.tolist() == [False, False, True, True, True, False]


def test_a_child_stays_where_no_woman_of_the_right_age_lives_with_an_older_member():
    from sim.population import place_children_with_mothers

    # the only woman is 50 years older than the child (mothers are 15-44 years older)
    hh = np.array([0, 0, 1, 1], np.int32)
    age = np.array([40, 5, 55, 66], np.int16)
    female = np.array([False, False, True, False])
    before = age.copy(), female.copy()
    place_children_with_mothers(np.random.default_rng(0), hh, age, female)
    assert np.array_equal(age, before[0]) and np.array_equal(female, before[1])


def test_most_children_start_with_a_possible_mother_and_the_county_keeps_its_ages():
    from sim.population import _mother_in_household

    sc, pop = population('{ "1" = 0.55, "2" = 0.4, "3" = 0.0, "4" = 0.0, "5" = 0.0, "6" = 0.0 }')
    P, H = pop.persons, pop.households
    members = np.flatnonzero(P.born)
    hh, age, female = P.hh[members], P.age[members], P.female[members]
    child = np.flatnonzero(age < 15)
    # about half would by independent draws of ages (0.50-0.52 measured before the moves)
    assert _mother_in_household(hh, age, female, child).mean() > 0.9
    adults = np.bincount(hh, weights=age >= 18, minlength=H.n)
    assert (adults[H.size > 0] >= 1).all()
    assert (np.bincount(hh, minlength=H.n) == H.size).all()
    assert abs(female.mean() - sc.get("population.female_share")) < 4 * np.sqrt(0.25 / len(hh))
