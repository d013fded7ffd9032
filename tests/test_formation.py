"""New households take over ended ones: young adults, not registered (formerly poor when
they come from a formerly-poor household), no debt, counted, with room for their births."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.formation import _inherit_exited_status, block_slots, form_households
from sim.parameters import GROUPS
from sim.places import place_of_township

#: The takeover of ended households, without marriage (the default's new households are
#: couples who marry without room at home, sim.marriage)
TAKEOVER = ["population.marriage_per_year=0", "population.households_formed_share=1"]


def ended_model(share=1.0, households=400, ended=40):
    model = Model(load_scenario(overrides=[*TAKEOVER,
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
    assert not (H.registered[target] | H.monitored[target]).any()
    # formerly poor only by inheritance, in groups that hold formerly-poor households
    share = np.array([model.params["population"]["formerly_poor_share"][g] for g in GROUPS])
    assert not H.formerly_poor[target[share[H.group[target]] == 0]].any()
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
    res = Model(load_scenario(overrides=TAKEOVER), seed=0, households=6000).run()
    a = res.annual[res.annual.group == "all"]
    assert a["households_formed"].sum() > 0
    # households end during the year and are taken over each January: the count dips
    # by about 0.75% of the households at most (20,000 households, seeds 0-1); at 3,000
    # households, 32 of them, 1.07%, one year at seed 0
    households = res.monthly[res.monthly.group == "all"]["households"]
    assert households.max() - households.min() <= 0.01 * households.max()
    assert res.meta["households"] == 6000  # the sample, not its spare blocks


def formed_with_leavers(monkeypatch, model, m=12):
    """Form households, recording what ``choose_leavers`` was asked and answered, and the
    persons and households before."""
    import sim.formation as formation

    seen = {}
    real = formation.choose_leavers

    def spy(model, township, female, group, month):
        seen["township"], seen["female"] = township.copy(), female.copy()
        seen["leaver"] = real(model, township, female, group, month)
        return seen["leaver"]

    P, H = model.pop.persons, model.pop.households
    before = {"age": P.age.copy(), "chronic": P.chronic.copy(), "female": P.female.copy(),
              "earn_share": P.earn_share.copy(), "size": H.size.copy(),
              "earned": H.earned_year.copy(), "alive": P.alive.copy()}
    monkeypatch.setattr(formation, "choose_leavers", spy)
    members = form_households(model, m)
    return members, seen, before


def test_new_adults_are_young_adults_of_their_township_who_leave_their_households(
        monkeypatch):
    model, gone = ended_model(households=1000)
    P, H = model.pop.persons, model.pop.households
    members, seen, before = formed_with_leavers(monkeypatch, model)
    leaver, came = seen["leaver"], seen["leaver"] >= 0
    # about a third of the households have a young adult to spare, some 330 here for
    # about 75 new adults; with 400 households a few townships ran out (88% found)
    assert came.sum() > 0.9 * len(members)
    left = leaver[came]
    assert len(np.unique(P.hh[left])) == len(left)  # one leaver per household
    assert (H.township[P.hh[left]] == seen["township"][came]).all()
    assert (before["female"][left] == seen["female"][came]).all()
    assert ((before["age"][left] >= 20) & (before["age"][left] <= 34)).all()
    # each new member is the leaver: age and chronic diseases go with them
    assert (P.age[members[came]] == before["age"][left]).all()
    assert (P.chronic[members[came]] == before["chronic"][left]).all()
    # the slot left behind is empty, as if never born
    assert not (P.alive[left] | P.born[left]).any()
    assert (P.chronic[left] == 0).all() and (P.major[left] == -1).all()
    assert np.sum(model.month_counts["persons_left"]) == len(left)


def test_the_households_left_keep_an_adult_and_lose_the_leaver_s_earnings(monkeypatch):
    model, gone = ended_model()
    P, H = model.pop.persons, model.pop.households
    labelled = np.arange(H.n) % 2 == 0  # half the households registered, poor due to illness
    H.registered[:], H.cause_illness[:] = labelled, labelled
    members, seen, before = formed_with_leavers(monkeypatch, model)
    left = seen["leaver"][seen["leaver"] >= 0]
    hh = P.hh[left]
    assert np.sum(model.month_counts["registry_left_illness_persons"]) == labelled[hh].sum() > 0
    assert (H.size[hh] == before["size"][hh] - 1).all()
    kept = (P.hh[:, None] == hh[None, :]) & P.alive[:, None]
    assert ((kept & (P.age[:, None] >= 18)).sum(axis=0) >= 1).all()
    want = before["earned"][hh] * (1.0 - before["earn_share"][left])
    assert np.allclose(H.earned_year[hh], want)
    shares = np.bincount(P.hh[P.alive], weights=P.earn_share[P.alive], minlength=H.n)
    assert np.allclose(shares[hh], 1.0, atol=1e-5)
    others = np.setdiff1d(np.flatnonzero(H.size > 0), np.concatenate([hh, P.hh[members]]))
    assert (H.earned_year[others] == before["earned"][others]).all()  # no one else


def test_a_township_with_no_young_adult_to_spare_gets_new_adults_from_outside(monkeypatch):
    model, gone = ended_model()
    P = model.pop.persons
    P.age[P.alive] = np.maximum(P.age[P.alive], 40)  # no one of 20-34 anywhere
    members, seen, before = formed_with_leavers(monkeypatch, model)
    assert (seen["leaver"] == -1).all() and len(members) > 0
    assert (P.alive == (before["alive"] | np.isin(np.arange(P.n), members))).all()
    assert np.sum(model.month_counts["persons_left"]) == 0
    assert ((P.age[members] >= 20) & (P.age[members] <= 34)).all()


def test_with_no_share_from_households_every_new_adult_comes_from_outside():
    model, gone = ended_model()
    model.params["population"]["formation_from_households_share"] = 0.0
    alive = model.pop.persons.alive.copy()
    members = form_households(model, 12)
    assert len(members) and (model.pop.persons.alive[alive]).all()  # no one left
    assert np.sum(model.month_counts["persons_left"]) == 0


def test_a_birth_may_take_a_leaver_s_slot_and_it_is_not_counted_as_a_death(monkeypatch):
    from sim.health import _clear_slots, _first_free_slot

    model, gone = ended_model()
    P = model.pop.persons
    members, seen, before = formed_with_leavers(monkeypatch, model)
    left = seen["leaver"][seen["leaver"] >= 0]
    hh = model.pop.persons.hh[left]
    model.n_born[hh] = model.pop.slots[hh]  # as if every slot had been filled
    free = _first_free_slot(model, hh)
    first_not_alive = np.array([np.flatnonzero((P.hh == h) & ~P.alive)[0] for h in hh])
    assert (free == first_not_alive).all()
    gone_slots = free[np.isin(free, left)]
    assert len(gone_slots) > 0
    dead_before = model.dead_replaced.copy()
    _clear_slots(model, gone_slots)
    assert (model.dead_replaced == dead_before).all()  # they did not die


def test_a_leaver_comes_from_a_household_of_the_new_one_s_group_when_the_township_has_one():
    from sim.formation import choose_leavers

    model, gone = ended_model()
    P, H = model.pop.persons, model.pop.households
    young = np.flatnonzero(P.alive & ~P.female & (P.age >= 20) & (P.age <= 34))
    young = young[H.size[P.hh[young]] >= 3]
    town = np.bincount(H.township[P.hh[young]]).argmax()  # the township with most of them
    here = young[H.township[P.hh[young]] == town]
    groups = np.unique(H.group[P.hh[here]])
    assert len(groups) >= 2
    for g in groups:
        got = choose_leavers(model, np.array([town]), np.array([False]), np.array([g]), 12)
        assert got[0] >= 0 and H.group[P.hh[got[0]]] == g
    absent = next(g for g in range(int(H.group.max()) + 2) if g not in groups)
    got = choose_leavers(model, np.array([town]), np.array([False]), np.array([absent]), 12)
    assert got[0] >= 0 and H.township[P.hh[got[0]]] == town  # then from any group


def test_matching_gives_each_request_a_distinct_item_of_its_key():
    from sim.formation import _match

    got = _match(np.array([5, 3, 5, 5, 7]), np.array([3, 5, 9, 5]))
    assert list(got) == [1, 0, 3, -1, -1]


def test_a_household_formed_from_a_formerly_poor_one_is_formerly_poor():
    """Hand-built: three new households and the households their adults left."""
    model = Model(load_scenario(overrides=TAKEOVER), seed=0, households=300)
    P, H = model.pop.persons, model.pop.households
    fp_group, other = GROUPS.index("formerly_poor"), GROUPS.index("other")
    new = np.array([0, 1, 2])
    H.group[new] = [fp_group, other, fp_group]
    source = np.array([10, 11, 12, 13])  # households the four adults left
    H.formerly_poor[source] = [True, True, False, True]
    H.cause_illness[source] = [False, False, True, True]
    leaver = np.array([np.flatnonzero(P.hh == h)[0] for h in source])
    owner = np.array([0, 1, 2, 2])  # the third new household is a couple
    _inherit_exited_status(model, new, owner, leaver)
    # the first inherits; the second is in a group without formerly-poor households; the
    # couple inherits from its one formerly-poor source, with that source's cause
    assert H.formerly_poor[new].tolist() == [True, False, True]
    assert H.cause_illness[new].tolist() == [False, False, True]
    H.formerly_poor[source] = False
    _inherit_exited_status(model, new, owner, leaver)
    assert not (H.formerly_poor[new] | H.cause_illness[new]).any()
