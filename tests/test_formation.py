"""New households take over ended ones: young adults, not registered, no debt, counted."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.formation import form_households


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


def test_ended_households_are_taken_over_by_young_adults():
    model, gone = ended_model()
    P, H = model.pop.persons, model.pop.households
    group_before = H.group[gone].copy()
    members = form_households(model, 12)
    assert set(np.unique(P.hh[members])) == set(gone)
    slots = model.pop.slots[gone]
    assert (H.size[gone] == np.minimum(slots, 2)).all()
    assert P.alive[members].all() and P.born[members].all()
    assert ((P.age[members] >= 20) & (P.age[members] <= 34)).all()
    couples = gone[slots >= 2]
    for h in couples:
        assert sorted(P.female[members[P.hh[members] == h]]) == [False, True]
    assert not (H.formerly_poor[gone] | H.registered[gone] | H.monitored[gone]).any()
    assert (model.liquidity.debt[gone] == 0).all()
    assert (H.group[gone] == group_before).all()
    assert np.isclose(P.earn_share[members].sum(), len(gone))
    assert (H.earned_year[gone] > 0).all()
    assert not model.accounts.poor[gone].any()


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
