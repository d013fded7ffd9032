"""Young couples who set up a household of their own at marriage (分家), whether or not a
household has ended (sim.formation.split_at_marriage)."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.formation import split_at_marriage
from sim.places import place_of_township


def model_at(rate, households=600, seed=4):
    return Model(load_scenario(overrides=[f"population.marriage_split_per_year={rate}"]),
                 seed=seed, households=households)


def test_couples_split_off_into_spare_blocks_with_their_household_s_group_and_village():
    model = model_at(1.0)
    P, H = model.pop.persons, model.pop.households
    before_hh, before_age = P.hh.copy(), P.age.copy()
    before_size, before_alive = H.size.copy(), P.alive.copy()
    first_spare = model.next_spare
    members = split_at_marriage(model, 12, np.zeros(0, np.int64))
    assert len(members) > 0 and len(members) % 2 == 0
    blocks = np.unique(P.hh[members])
    assert (blocks >= first_spare).all() and model.next_spare == first_spare + len(blocks)
    assert model.open_block[blocks].all() and (H.size[blocks] == 2).all()
    for h in blocks:  # a couple: a man and a woman of the formation ages
        assert sorted(P.female[members[P.hh[members] == h]]) == [False, True]
    assert ((P.age[members] >= 20) & (P.age[members] <= 34)).all()
    assert (model.pgroup[members] == H.group[P.hh[members]]).all()
    assert (model.pplace[members] == place_of_township(model.params)[
        H.township[P.hh[members]]]).all()
    assert np.isclose(P.earn_share[members].sum(), len(blocks))
    assert (model.liquidity.debt[blocks] == 0).all() and not H.registered[blocks].any()
    # the households left: each lost its members who went, and kept an adult
    left = np.flatnonzero(before_alive & ~P.alive & ~P.born)
    origin = before_hh[left]
    lost = np.bincount(origin, minlength=H.n)
    assert (H.size[origin] == before_size[origin] - lost[origin]).all()
    adults = np.bincount(P.hh[P.alive], weights=P.age[P.alive] >= 18, minlength=H.n)
    assert (adults[origin] >= 1).all()
    assert ((before_age[left] >= 20) & (before_age[left] <= 34)).all()
    # every couple has a member who married out of a household of the same group and
    # township (the block copies them), at most one such a household a year
    assert len(left) >= len(blocks)
    assert np.sum(model.month_counts["persons_left"]) == len(left)


def test_the_spouse_never_comes_from_the_household_the_other_leaves():
    import sim.formation as formation

    model = model_at(0.3)  # at 1.0 every household with a young adult gives one to marry
    P = model.pop.persons
    seen = {}
    real = formation.choose_leavers

    def spy(model, township, female, group, m, keys=(3, 4), exclude=None):
        seen["exclude"] = exclude.copy()
        seen["spouse"] = real(model, township, female, group, m, keys, exclude)
        return seen["spouse"]

    hh = P.hh.copy()
    formation.choose_leavers, saved = spy, formation.choose_leavers
    try:
        split_at_marriage(model, 12, np.zeros(0, np.int64))
    finally:
        formation.choose_leavers = saved
    spouse = seen["spouse"][seen["spouse"] >= 0]
    assert len(spouse) > 0
    assert not np.isin(hh[spouse], seen["exclude"]).any()


def test_no_split_at_rate_zero_and_none_from_a_household_formed_this_january():
    model = model_at(0.0)
    assert len(split_at_marriage(model, 12, np.zeros(0, np.int64))) == 0
    assert model.next_spare == model.pop.sample_households
    model = model_at(1.0)
    every = np.arange(model.pop.sample_households)
    assert len(split_at_marriage(model, 12, every)) == 0


def test_a_run_with_splits_has_more_households_and_its_spare_blocks_last():
    runs = {rate: model_at(rate, households=3000, seed=1) for rate in (0.0, 0.03)}
    res = {rate: model.run() for rate, model in runs.items()}
    for rate, model in runs.items():
        assert not [e for e in model.events if e["event"] == "spare blocks used up"], rate
    last = {rate: r.annual.query("group == 'all'").iloc[-1] for rate, r in res.items()}
    assert last[0.03].households_formed > last[0.0].households_formed
    assert last[0.03].households > last[0.0].households
    # smaller households: the young couples' parents live on without them
    share = {rate: a.elderly_alone_persons / a.elderly_persons for rate, a in last.items()}
    assert share[0.03] > share[0.0]
