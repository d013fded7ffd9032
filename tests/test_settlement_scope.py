"""Facility-level scope of treat-first-pay-later and one-stop settlement (seeds 000, 002).

The two parts of the settlement measure are separate switches, each limited to the levels
the seed names: turning the deposit scope on limits the deposit waiver to those levels only,
and leaves one-stop settlement alone (and the other way round).
"""

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.hooks import Hooks
from sim.parameters import GROUPS, LEVELS

COUNTY_ONLY = "{village=true, township=true, county=true, city=false}"
FP = GROUPS.index("formerly_poor")
CITY = LEVELS.index("city")


def model(*overrides):
    return Model(load_scenario(None, list(overrides)).truncate(12), seed=0, households=300)


def test_deposit_scope_limits_the_waiver_to_its_levels_only():
    groups = np.full(len(LEVELS), FP)
    level = np.arange(len(LEVELS))
    everywhere = model().hooks
    scoped = model(f"policies.settlement.deposit_levels={COUNTY_ONLY}").hooks
    assert everywhere.deposit_waived(groups, level).all()
    assert list(scoped.deposit_waived(groups, level)) == [True, True, True, False]
    # one-stop settlement is a separate switch: still at every level
    assert scoped.settled_at_once("inpatient", groups, level).all()
    other = model(f"policies.settlement.one_stop_levels={COUNTY_ONLY}").hooks
    assert list(other.settled_at_once("inpatient", groups, level)) == [True] * 3 + [False]
    assert other.deposit_waived(groups, level).all()
    # groups outside the measure never get it, whatever the level
    assert not scoped.deposit_waived(np.full(4, GROUPS.index("other")), level).any()


def test_in_a_run_deposits_are_asked_of_covered_groups_at_city_hospitals_only(monkeypatch):
    seen = []
    original = Hooks.deposit_waived

    def record(self, groups, level=None):
        out = original(self, groups, level)
        seen.append((groups.copy(), np.asarray(level).copy(), out.copy()))
        return out

    monkeypatch.setattr(Hooks, "deposit_waived", record)
    scn = load_scenario(None, [f"policies.settlement.deposit_levels={COUNTY_ONLY}"])
    res = Model(scn, seed=0, households=1500).run()
    groups = np.concatenate([s[0] for s in seen])
    level = np.concatenate([s[1] for s in seen])
    waived = np.concatenate([s[2] for s in seen])
    covered = np.isin(groups, [GROUPS.index(g) for g, on in
                               scn.get("policies.settlement.groups").items() if on])
    assert (covered & (level == CITY)).any() and (covered & (level != CITY)).any()
    assert not waived[level == CITY].any()
    assert waived[covered & (level != CITY)].all()
    # paired: the covered groups' city admissions now meet a deposit, and some are forgone
    base = Model(load_scenario(None), seed=0, households=1500).run()
    forgone = [r.monthly[r.monthly["group"] == "all"]["admissions_forgone_deposit"].sum()
               for r in (base, res)]
    assert forgone[1] > forgone[0]


@pytest.mark.parametrize("name, deposit_city, one_stop_city", [
    ("linyi_2021", False, True), ("xinjiang_2019", False, False),
    ("mengzi_2021", True, True), ("lianyungang_2018", True, True)])
def test_seed_scenarios_scope_the_levels_their_seed_names(name, deposit_city, one_stop_city):
    scn = load_scenario(name)
    assert scn.get("policies.settlement.deposit_levels.city") is deposit_city
    assert scn.get("policies.settlement.one_stop_levels.city") is one_stop_city
    assert scn.get("policies.settlement.deposit_levels.county") is True
