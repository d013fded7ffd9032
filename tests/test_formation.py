"""New households take over ended ones: young adults, not registered, no debt, counted,
with room for their births."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.formation import block_slots, form_households
from sim.places import place_of_township


def ended_model(share=1.0, households=400, ended=40):
    model = Model(load_scenario(overrides=[
        f"population.households_formed_share={share}"]), seed=2, households=households)
    P, H = model.pop.persons, model.pop.households
    gone = np.arange(ended)
    dead = np.isin(P.hh, gone)
    P.alive[dead] = False
    H.size[gone] = 0
    H.formerly_poor[gone] = True
    model.liquidity.debt[gone] = 500.0
    return model, gone


def where_formed(model, gone):
    """The household each ended one's successor lives in: a spare block for the first
    ended ones too small while spare blocks last, its own slots otherwise."""
    small = np.flatnonzero(model.pop.slots[gone] < block_slots(model.params))
    n_spare = model.pop.households.n - model.pop.sample_households
    target = gone.copy()
    target[small[:n_spare]] = model.pop.sample_households + np.arange(min(len(small), n_spare))
    return target


def test_ended_households_are_taken_over_by_young_adults():
    model, gone = ended_model()
    P, H = model.pop.persons, model.pop.households
    before = {c: getattr(H, c)[gone].copy() for c in ("group", "township", "distance_km")}
    slots = model.pop.slots[gone]
    target = where_formed(model, gone)
    members = form_households(model, 12)
    assert set(np.unique(P.hh[members])) == set(target)
    assert (H.size[target] == np.minimum(slots, 2)).all()
    assert P.alive[members].all() and P.born[members].all()
    assert ((P.age[members] >= 20) & (P.age[members] <= 34)).all()
    for h in target[slots >= 2]:
        assert sorted(P.female[members[P.hh[members] == h]]) == [False, True]
    assert not (H.formerly_poor[target] | H.registered[target] | H.monitored[target]).any()
    assert (model.liquidity.debt[target] == 0).all()
    for column, values in before.items():  # the same group and village
        assert (getattr(H, column)[target] == values).all()
    assert (model.pgroup[members] == H.group[P.hh[members]]).all()
    assert (model.pplace[members] == place_of_township(model.params)[
        H.township[P.hh[members]]]).all()
    assert np.isclose(P.earn_share[members].sum(), len(gone))
    assert (H.earned_year[target] > 0).all()
    assert not model.accounts.poor[target].any()


def test_a_couple_without_room_for_births_takes_a_spare_block_and_the_old_slots_close():
    model, gone = ended_model()
    P, H = model.pop.persons, model.pop.households
    need = block_slots(model.params)
    small = gone[model.pop.slots[gone] < need]
    assert len(small) and model.pop.households.n > model.pop.sample_households
    members = form_households(model, 12)
    moved = np.setdiff1d(np.unique(P.hh[members]), gone)
    assert len(moved) == min(len(small), H.n - model.pop.sample_households)
    assert (moved >= model.pop.sample_households).all() and (model.pop.slots[moved] == need).all()
    closed = small[:len(moved)]
    assert (H.size[closed] == 0).all() and not model.open_block[closed].any()
    # a closed household is never taken again, and a taken spare block can be
    H.size[moved] = 0
    P.alive[np.isin(P.hh, moved)] = False
    again = np.unique(P.hh[form_households(model, 24)])
    assert not np.isin(closed, again).any() and np.isin(moved, again).all()


def test_when_the_spare_blocks_run_out_new_households_take_the_small_slots_and_say_so():
    model, gone = ended_model(ended=120)
    small = gone[model.pop.slots[gone] < block_slots(model.params)]
    n_spare = model.pop.households.n - model.pop.sample_households
    assert len(small) > n_spare  # 120 ended at once: more than a run's spare blocks
    members = form_households(model, 12)
    formed = np.unique(model.pop.persons.hh[members])
    assert np.isin(small[n_spare:], formed).all()
    assert [e["event"] for e in model.events] == ["spare blocks used up"]
    assert model.events[0]["left_in_small_slots"] == len(small) - n_spare


def test_spare_blocks_last_the_default_and_the_ten_year_steady_state():
    for name in ("transition_2021_2025", "steady_state"):
        model = Model(load_scenario(name), seed=1, households=3000)
        model.run()
        assert model.next_spare > model.pop.sample_households  # some were taken
        assert not [e for e in model.events if e["event"] == "spare blocks used up"], name


def test_no_household_is_formed_when_the_share_is_zero():
    model, gone = ended_model(share=0.0)
    assert len(form_households(model, 12)) == 0
    assert (model.pop.households.size[gone] == 0).all()


def test_a_run_counts_formed_households_and_not_as_births():
    res = Model(load_scenario(), seed=0, households=3000).run()
    a = res.annual[res.annual.group == "all"]
    assert a["households_formed"].sum() > 0
    households = res.monthly[res.monthly.group == "all"]["households"]
    assert households.max() - households.min() <= 0.01 * households.max()
    assert res.meta["households"] == 3000  # the sample, not its spare blocks
