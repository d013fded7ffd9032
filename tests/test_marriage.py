"""Marriage (sim.marriage): couples at the start, weddings, births to wives, widowhood."""

import numpy as np
import pytest

from sim import load_scenario, marriage
from sim.engine import Model
from sim.health import eligible_mothers
from sim.population import population_for_run
from sim.rng import Streams
from sim.scenario import ScenarioError

ON = {"population.marriage_per_year": 0.12}


def _model(overrides=None, households=2000, seed=0):
    return Model(load_scenario("transition_2021_2025", overrides={**ON, **(overrides or {})}),
                 seed=seed, households=households)


def _wives_share(model):
    P = model.pop.persons
    women = np.flatnonzero(P.alive & P.female & (P.age >= 25) & (P.age <= 44))
    return marriage.married(model, women).mean()


def test_could_marry_needs_a_man_and_a_woman_of_legal_age_and_near_ages():
    age = np.array([30, 28, 21, 19, 45, 30])
    female = np.array([False, True, False, True, False, False])
    a = np.array([0, 0, 2, 4, 0, 0])
    b = np.array([1, 3, 1, 1, 5, 1])
    # 30 & 28: yes; 30 & 19: she is under 20; 21 & 28: he is under 22; 45 & 28: 17 years
    # older; two men: no; and the order of the two does not matter
    assert marriage.could_marry(age, female, a, b).tolist() == [True, False, False, False,
                                                                 False, True]
    assert marriage.could_marry(age, female, b, a).tolist() == [True, False, False, False,
                                                                 False, True]


def test_the_start_gives_most_women_a_husband_and_keeps_ages_sexes_and_sizes():
    sc_off = load_scenario("transition_2021_2025",
                           overrides={"population.marriage_per_year": 0.0})
    sc_on = load_scenario("transition_2021_2025", overrides=ON)
    off = population_for_run(sc_off.params, Streams(0), 3000)
    on = population_for_run(sc_on.params, Streams(0), 3000)
    for pop in (off, on):
        assert pop.persons.n == pop.slots.sum()
    P0, P1 = off.persons, on.persons
    assert np.array_equal(off.households.size, on.households.size)
    born0, born1 = np.flatnonzero(P0.born), np.flatnonzero(P1.born)
    key0 = np.sort(P0.age[born0].astype(np.int64) * 2 + P0.female[born0])
    key1 = np.sort(P1.age[born1].astype(np.int64) * 2 + P1.female[born1])
    assert np.array_equal(key0, key1)  # the same persons, placed in other households

    def possible_husband(P, born):
        hh, age, female = P.hh[born], P.age[born], P.female[born]
        women = np.flatnonzero(female & (age >= 25) & (age <= 44))
        found = marriage.any_member(hh, women,
                                    lambda a, b: marriage.could_marry(age, female, a, b))
        return found.mean()

    assert possible_husband(P0, born0) < 0.35
    assert possible_husband(P1, born1) > 0.6
    # the households drawn as older people only stay so (their members never move);
    # a few others may become so, or stop being so, by the swaps
    old0 = np.bincount(P0.hh[P0.born], weights=P0.age[P0.born] < 60,
                       minlength=len(off.slots)) == 0
    old1 = np.bincount(P1.hh[P1.born], weights=P1.age[P1.born] < 60,
                       minlength=len(on.slots)) == 0
    assert old0.sum() > 0.15 * len(old0)
    assert (old0 & old1).sum() > 0.97 * old0.sum()
    assert abs(old1.sum() - old0.sum()) < 0.03 * old0.sum()


def test_spouses_are_pairs_of_one_household_who_could_marry():
    model = _model()
    P, spouse = model.pop.persons, model.spouse
    wed = np.flatnonzero(spouse >= 0)
    assert len(wed) > 0.2 * P.alive.sum()
    assert np.array_equal(spouse[spouse[wed]], wed)  # symmetric, one spouse each
    assert np.all(P.hh[wed] == P.hh[spouse[wed]])
    assert marriage.could_marry(P.age, P.female, wed, spouse[wed]).all()
    assert 0.6 < _wives_share(model) < 0.95
    assert np.all(_model(overrides={"population.marriage_per_year": 0.0}).spouse == -1)


def test_only_wives_give_birth_at_rates_by_age_that_keep_the_county_s():
    by_age = {"15-19": 6, "20-24": 55, "25-29": 98, "30-34": 71, "35-39": 31, "40-44": 9}
    model = _model(overrides={"population.births_by_age": by_age})
    mothers, rate = eligible_mothers(model)
    assert marriage.married(model, mothers).all()
    women, _ = marriage.women_and_wives(model)
    assert len(mothers) < len(women)
    assert rate.sum() == pytest.approx(len(women))  # the county's births per woman
    age = model.pop.persons.age[mothers]
    assert rate[(age >= 25) & (age <= 29)].mean() == pytest.approx(
        rate[(age >= 40) & (age <= 44)].mean() * 98 / 9)
    # without marriage or ages, every woman at the county's rate
    equal = {k: 1.0 for k in by_age}
    plain = _model(overrides={"population.marriage_per_year": 0.0,
                              "population.births_by_age": equal})
    mothers, rate = eligible_mothers(plain)
    assert np.array_equal(mothers, marriage.women_and_wives(plain)[0])
    assert np.all(rate == 1.0)


def test_a_january_s_weddings_marry_men_and_move_brides_in():
    # room at home for some brides (the default's two birth slots leave little)
    model = _model({"population.birth_slots": 8}, households=4000)
    P, H = model.pop.persons, model.pop.households
    model.run_to(12)  # the next month is a January
    before = model.spouse.copy()
    size = H.size.copy()
    lived = np.flatnonzero(H.size > 0)
    counts = {k: np.sum(model.month_counts[k]) for k in ("weddings", "persons_married_out")}
    brides, couples = marriage.weddings(model, 12)
    weddings = np.sum(model.month_counts["weddings"]) - counts["weddings"]
    moved_out = np.sum(model.month_counts["persons_married_out"]) - counts[
        "persons_married_out"]
    assert weddings > 10 and len(brides) > 0 and len(couples) > 0
    assert len(brides) + len(couples) // 2 == weddings
    assert np.all(H.size[lived] > 0)  # no household is left empty by a wedding
    assert 0 < moved_out <= len(brides)  # some brides came from outside the sample
    # each bride lives with her new husband, who was unmarried and is of age
    husband = model.spouse[brides]
    assert np.all(P.female[brides]) and np.all(P.hh[husband] == P.hh[brides])
    assert np.all(model.spouse[husband] == brides)
    assert np.all(P.age[husband] >= marriage.LEGAL_AGE[0])
    assert np.all((before[husband] == -1) | ~P.alive[np.maximum(before[husband], 0)]
                  | (P.hh[np.maximum(before[husband], 0)] != P.hh[husband]))
    took = P.hh[brides]
    assert np.all(H.size[took] == size[took] + 1)
    # the couples who set up households are each other's spouses, alone in them
    assert np.array_equal(model.spouse[model.spouse[couples]], couples)
    assert np.all(H.size[P.hh[couples]] == 2)


def test_couples_who_would_live_on_their_own_leave_even_with_room_at_home():
    from sim.formation import young_adults_who_can_leave

    out = {}
    for share in (0.0, 1.0):
        model = _model({"population.own_household_at_marriage_share": share,
                        "population.birth_slots": 8}, households=4000)
        model.run_to(12)
        can = young_adults_who_can_leave(model)
        brides, couples = marriage.weddings(model, 12)
        out[share] = (brides, couples, np.isin(model.spouse[brides], can))
    # with room at home (eight birth slots) most brides move in when no couple prefers
    # its own household; when every couple does, only grooms who cannot leave bring
    # their brides home, and more couples set up households of their own
    assert out[0.0][2].sum() > 10
    assert not out[1.0][2].any()
    assert len(out[1.0][1]) > len(out[0.0][1]) + 20


def test_a_widow_is_unmarried_and_a_retaken_slot_frees_its_spouse():
    model = _model()
    P = model.pop.persons
    wife = np.flatnonzero((model.spouse >= 0) & P.female)[:5]
    husband = model.spouse[wife]
    assert marriage.married(model, wife).all()
    P.alive[husband] = False
    assert not marriage.married(model, wife).any()
    marriage.unlink(model, husband)  # the slots are retaken (a birth, a new member)
    assert np.all(model.spouse[wife] == -1) and np.all(model.spouse[husband] == -1)


def test_married_persons_do_not_leave_their_households():
    from sim.formation import young_adults_who_can_leave

    model = _model()
    leavers = young_adults_who_can_leave(model)
    assert len(leavers) > 0
    assert not marriage.married(model, leavers).any()


def test_births_by_age_must_name_the_mothers_ages():
    with pytest.raises(ScenarioError, match="births_by_age"):
        load_scenario("transition_2021_2025",
                      overrides={"population.births_by_age": {"20-24": 5}})
    with pytest.raises(ScenarioError, match="births_by_age"):
        load_scenario("transition_2021_2025",
                      overrides={"population.births_by_age": -1})
