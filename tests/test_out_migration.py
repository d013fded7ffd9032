"""Young adults who leave the county for good (sim.migration.migrate_out), and the share of
the 60+ who live without anyone younger (the annual elderly_alone_share)."""

import numpy as np
import pytest

from sim import load_scenario, run
from sim.engine import Model
from sim.migration import migrate_out
from sim.results import _elderly_alone
from sim.steady import stationary_age_shares, stationary_birth_rate


def model_at(rate, kept=0.25, households=600):
    return Model(load_scenario(overrides=[
        "population.marriage_per_year=0",  # every young adult may leave, not the unwed only
        f"population.out_migration_per_year={rate}",
        f"population.out_migrant_earnings_kept_share={kept}"]), seed=3,
        households=households)


def snapshot(model):
    P, H = model.pop.persons, model.pop.households
    return {"alive": P.alive.copy(), "age": P.age.copy(), "hh": P.hh.copy(),
            "share": P.earn_share.copy(), "earned": H.earned_year.copy(),
            "size": H.size.copy()}


def test_everyone_who_may_leave_does_so_one_a_household_and_keeps_an_adult_behind():
    model = model_at(1.0)
    P, H = model.pop.persons, model.pop.households
    before = snapshot(model)
    left = migrate_out(model, 12)
    assert len(left) > 0 and len(np.unique(before["hh"][left])) == len(left)
    assert ((before["age"][left] >= 20) & (before["age"][left] <= 34)).all()
    assert not (P.alive[left] | P.born[left]).any()  # the slot is empty, not a death
    hh = before["hh"][left]
    assert (H.size[hh] == before["size"][hh] - 1).all()
    adults = np.bincount(P.hh[P.alive], weights=P.age[P.alive] >= 18, minlength=H.n)
    assert (adults[hh] >= 1).all()
    # every household with a young adult who could go and an adult to stay lost one
    alive = before["alive"] & (P.major == -1) | np.isin(np.arange(P.n), left)
    young = alive & (before["age"] >= 20) & (before["age"] <= 34)
    could = np.bincount(before["hh"][young], minlength=H.n) > 0
    grown = np.bincount(before["hh"][before["alive"]],
                        weights=before["age"][before["alive"]] >= 18, minlength=H.n)
    two = could & (grown >= 2)
    assert set(np.flatnonzero(two)) <= set(hh)
    assert np.sum(model.month_counts["persons_migrated_out"]) == len(left)
    assert np.sum(model.month_counts["persons_left"]) == 0


def test_a_household_keeps_the_remitted_share_of_the_leaver_s_earnings():
    for kept in (0.0, 0.25, 1.0):
        model = model_at(1.0, kept=kept)
        before = snapshot(model)
        left = migrate_out(model, 12)
        hh = before["hh"][left]
        want = before["earned"][hh] * (1.0 - before["share"][left] * (1.0 - kept))
        assert np.allclose(model.pop.households.earned_year[hh], want)
        others = np.setdiff1d(np.flatnonzero(before["size"] > 0), hh)
        assert (model.pop.households.earned_year[others] == before["earned"][others]).all()


def test_at_rate_zero_no_one_leaves_and_a_run_counts_those_who_do():
    model = model_at(0.0)
    alive = model.pop.persons.alive.copy()
    assert len(migrate_out(model, 12)) == 0
    assert (model.pop.persons.alive == alive).all()
    sc = load_scenario(overrides=["population.out_migration_per_year=0.08"])
    res = run(sc, reps=1, households=2000)
    m = res.monthly.query("group == 'all'")
    januaries = m[m.month.str.endswith("-01")]
    assert m.persons_migrated_out.sum() == januaries.persons_migrated_out.sum() > 0
    assert np.isclose(res.value("persons_migrated_out_total"),
                      m.persons_migrated_out.sum() * res.meta["scale"])
    last = res.annual.query("group == 'all'").iloc[-1]
    assert res.value("elderly_alone_share_end") == pytest.approx(
        last.elderly_alone_persons / last.elderly_persons)


def test_the_elderly_alone_are_the_60_plus_in_households_with_no_one_younger():
    """Hand-built: four households of known ages."""
    model = Model(load_scenario(), seed=0, households=50)
    P, H = model.pop.persons, model.pop.households
    P.alive[:] = False
    ages = {0: [70, 66], 1: [72, 40, 10], 2: [61], 3: [30, 5]}
    for h, members in ages.items():
        slots = np.flatnonzero(P.hh == h)[:len(members)]
        P.alive[slots], P.born[slots] = True, True
        P.age[slots] = members
    group = np.zeros(H.n, np.int64)
    group[2] = 1
    out = _elderly_alone(model, group)
    assert out["elderly_persons"].tolist()[:2] == [3, 1]  # 70, 66, 72 | 61
    assert out["elderly_alone_persons"].tolist()[:2] == [2, 1]  # 70, 66 | 61


@pytest.mark.parametrize("leavers", [-0.2, 0.3])
def test_a_net_flow_of_young_adults_shifts_the_stationary_ages(leavers):
    table = {"0-14": 0.5, "15-44": 1.0, "45-59": 4.5, "60-69": 14.0, "70-79": 37.0,
             "80+": 145.0}
    base, moved = stationary_age_shares(table), stationary_age_shares(table, leavers)
    # leavers (negative) make the young a larger share and need more births; joiners less
    assert np.sign(moved[0] - base[0]) == -np.sign(leavers)
    assert np.sign(stationary_birth_rate(table, leavers) - stationary_birth_rate(table)) \
        == -np.sign(leavers)


def test_a_household_formed_this_january_loses_no_one():
    model = model_at(1.0)
    P = model.pop.persons
    everyone = migrate_out(model_at(1.0), 12)
    formed = np.unique(P.hh[everyone])[:20]
    left = migrate_out(model, 12, formed=formed)
    assert len(left) == len(everyone) - 20
    assert not np.isin(P.hh[left], formed).any()
