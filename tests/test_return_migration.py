"""Migrants who come back to the household they left (sim.migration.come_home)."""

import numpy as np
import pytest

from models.registry import registry_change
from sim import load_scenario, run
from sim.engine import Model
from sim.migration import come_home, migrate_out
from sim.population import age_band_index, background_deaths_per_year

XJ = "xinjiang_2019"


def model_at(back, out=1.0, kept=0.25, households=600, growth=None):
    overrides = [f"population.out_migration_per_year={out}",
                 f"population.migrant_return_per_year={back}",
                 f"population.out_migrant_earnings_kept_share={kept}"]
    if growth is not None:
        overrides.append(f"income.growth_per_year={growth}")
    return Model(load_scenario(overrides=overrides), seed=3, households=households)


def living_shares(model, households):
    P = model.pop.persons
    alive = np.flatnonzero(P.alive & np.isin(P.hh, households))
    return np.bincount(P.hh[alive], weights=P.earn_share[alive], minlength=model.pop.households.n)


def dies_away(model, m):
    """Whether each migrant dies away in year ``m``: the model's own keyed draw."""
    away = model.away
    mu = background_deaths_per_year(model.params["health"]["mortality_per_1000"])
    return model.streams["migration"].keyed(away.serial, m, 0) < 1 - np.exp(
        -mu[age_band_index(away.age + 1)])


def test_without_returns_migrants_leave_for_good():
    model = model_at(0.0)
    assert len(migrate_out(model, 12)) > 0
    assert len(model.away) == 0
    assert len(come_home(model, 24)) == 0


def test_migrants_are_kept_with_their_household_age_and_earnings():
    model = model_at(0.5)
    P, H = model.pop.persons, model.pop.households
    hh, age, female = P.hh.copy(), P.age.copy(), P.female.copy()
    earnings = H.earned_year[P.hh] * P.earn_share
    left = migrate_out(model, 12)
    away = model.away
    assert len(away) == len(left) > 0
    assert (away.origin == hh[left]).all() and (away.age == age[left]).all()
    assert (away.female == female[left]).all() and (away.month == 12).all()
    assert np.allclose(away.earnings_yuan, earnings[left])
    assert len(np.unique(away.serial)) == len(away)
    assert len(come_home(model, 12)) == 0  # not in the month they left


def test_with_certain_return_everyone_whose_home_can_take_them_comes_back():
    growth, kept = 0.05, 0.25
    model = model_at(1.0, kept=kept, growth=growth)
    P, H = model.pop.persons, model.pop.households
    migrate_out(model, 12)
    away = model.away
    origin, age, female = away.origin.copy(), away.age.copy(), away.female.copy()
    gain = away.earnings_yuan * (1 + growth) * (1 - kept)
    dies = dies_away(model, 24)
    size, earned = H.size.copy(), H.earned_year.copy()
    back = come_home(model, 24)
    # one a household (each household lost one), and only the dead stay out
    assert len(back) == (~dies).sum() > 0
    assert len(model.away) == 0
    assert (P.hh[back] == origin[~dies]).all()
    assert (P.age[back] == age[~dies] + 1).all() and (P.female[back] == female[~dies]).all()
    assert P.alive[back].all() and (P.major[back] == -1).all()
    hh = P.hh[back]
    assert (H.size[hh] == size[hh] + 1).all()
    assert np.allclose(H.earned_year[hh], earned[hh] + gain[~dies])
    assert np.allclose(living_shares(model, hh)[hh], 1.0)
    assert np.allclose(P.earn_share[back], gain[~dies] / H.earned_year[hh], rtol=1e-5)


def test_nobody_comes_back_to_a_household_that_ended_or_went_to_another():
    model = model_at(1.0)
    H = model.pop.households
    migrate_out(model, 12)
    origin = model.away.origin.copy()
    ended, taken = origin[::3], origin[1::3]
    H.size[ended] = 0
    model.household_epoch[taken] += 1
    back = come_home(model, 24)
    assert not np.isin(model.pop.persons.hh[back], np.union1d(ended, taken)).any()
    assert not np.isin(model.away.origin, np.union1d(ended, taken)).any()  # gone for good


def test_a_household_without_a_free_slot_keeps_its_migrant_away():
    model = model_at(1.0)
    P = model.pop.persons
    migrate_out(model, 12)
    origin, dies = model.away.origin.copy(), dies_away(model, 24)
    full = origin[::2]
    # every slot of those households taken by a living person
    slots = np.flatnonzero(np.isin(P.hh, full))
    P.alive[slots], P.born[slots] = True, True
    model.n_born[full] = model.pop.slots[full]
    back = come_home(model, 24)
    assert not np.isin(P.hh[back], full).any()
    waiting = np.isin(origin, full) & ~dies
    assert waiting.any() and np.isin(origin[waiting], model.away.origin).all()
    assert len(model.away) == waiting.sum()  # the others came back


def test_a_run_with_returns_counts_them_and_keeps_the_registry_s_identity():
    sc = load_scenario(XJ, overrides=["population.migrant_return_per_year=1.0"])
    res = run(sc, reps=1, seed=4, households=2500)
    m = res.monthly.query("group == 'all'")
    januaries = m[m.month.str.endswith("-01")]
    assert m.persons_returned.sum() == januaries.persons_returned.sum() > 0
    change = registry_change(res, "2018-12", "2019-07").to_frame().set_index(
        ["unit", "component"])["value"]
    parts = change["persons"].drop(["at 2018-12", "at 2019-07", "fall"])
    assert change[("persons", "fall")] == pytest.approx(parts.sum(), abs=1e-6)
    assert change[("persons", "returned")] < 0  # returns add registered persons


def test_at_return_zero_a_run_is_the_run_without_the_key():
    a = run(load_scenario(), reps=1, seed=1, households=800)
    b = run(load_scenario(overrides=["population.migrant_return_per_year=0"]), reps=1,
            seed=1, households=800)
    assert a.annual.drop(columns="elapsed_s", errors="ignore").equals(
        b.annual.drop(columns="elapsed_s", errors="ignore"))
    assert a.monthly.persons_returned.sum() == 0
