"""Each rule added for the seed documents (issue #12) switched off moves its own pathway and
nothing else (paired: the same seed, so the two runs share every draw they do not change).

Where the tests are: care-level steering, catalogue control, inpatient fee reductions and
the procurement reward in test_care_steering.py; health literacy in test_health_literacy.py;
facility standards in test_facility_standards.py; per-disease floors in
test_disease_floors.py; care rules by place in test_places.py; the free birth-defect
programmes in test_birth_defects.py. Here: groups that change after monitoring, the
monitoring triggers, and the facility-level scope of treat-first-pay-later.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.engine import Model
from sim.hooks import Hooks
from sim.parameters import GROUPS, LEVELS

MONTHS = 36
#: Care that does not respond to its price or to cash at hand: then a rule that moves only
#: money (transfers, assistance) changes no one's illness, care or death.
INELASTIC = ("care.demand.outpatient_price_elasticity=0",
             "care.demand.inpatient_price_elasticity=0", "care.deposit_yuan=0")
NO_GROUP_CHANGES = ("registry.group_change.minimum_guarantee_share=0",
                    "registry.group_change.minimum_guarantee_review_months=0",
                    "registry.group_change.other_to_marginal=false")
HEALTH = ["chronic_onsets", "major_onsets", "deaths", "admissions", "outpatient_episodes",
          "outpatient_forgone", "admissions_forgone", "state_major_late"]


def paired(monkeypatch, overrides, households=1500, seed=4):
    """One run of the default scenario: (monthly 'all' rows, care given as a frame, model)."""
    rows = []
    original = Hooks.after_care

    def record(self, kind, bills):
        rows.append(pd.DataFrame({"kind": kind, "month": model.month_now,
                                  "person": bills.person, "level": bills.level,
                                  "amount": bills.amount}))
        original(self, kind, bills)

    monkeypatch.setattr(Hooks, "after_care", record)
    model = Model(load_scenario(None, list(overrides)).truncate(MONTHS), seed=seed,
                  households=households)
    res = run_with_month_label(model)
    care = pd.concat(rows, ignore_index=True)
    return res.monthly[res.monthly["group"] == "all"].reset_index(drop=True), care, model


def test_group_changes_switched_off_move_the_households_that_change_group_only(monkeypatch):
    """Without the rule no household changes group; with it, those that change get their
    new group's transfers, and every outpatient bill of the households that never change
    group is the same, bill by bill."""
    _, off, model_off = paired(monkeypatch, NO_GROUP_CHANGES)
    monthly, on, model = paired(monkeypatch, ())
    assert monthly["persons_moved_in"].sum() > 0
    start = Model(load_scenario(None).truncate(1), seed=4, households=1500).pop.households
    n = model.pop.sample_households  # the same households, by index (not the spare blocks)
    assert (model_off.pop.households.group[:n] == start.group[:n]).all()
    H = model.pop.households
    changed = np.zeros(H.n, bool)
    changed[:n] = H.group[:n] != start.group[:n]
    assert changed.sum() > 10
    transfers = model.params["income"]["transfers_yuan"]
    want = np.array([transfers[GROUPS[g]] for g in H.group[changed]])
    assert np.allclose(H.transfer_pp_year[changed], want)
    out = [c[c["kind"] == "outpatient"] for c in (off, on)]
    both = out[0].merge(out[1], on=["month", "person"], suffixes=("_off", "_on"))
    assert len(both) > 0.95 * len(out[0])
    hh = model.pop.persons.hh[both["person"].to_numpy()]
    same = ~changed[hh] & (hh < n)
    assert same.sum() > 0.9 * len(both)
    assert (both["level_on"] == both["level_off"]).all()
    assert np.allclose(both["amount_on"][same], both["amount_off"][same])


@pytest.mark.parametrize("trigger", ["policies.monitoring.major_disease_trigger=false",
                                     "policies.monitoring.oop_share_of_income_threshold=0",
                                     "policies.monitoring.sudden_hardship_groups.other=false"])
def test_a_monitoring_trigger_switched_off_moves_assistance_and_poverty_only(monkeypatch,
                                                                             trigger):
    """With care that does not respond to money and groups that do not change, a trigger
    finds households and sends them assistance (income): no one's illness, care or death
    moves."""
    keep = (*INELASTIC, *NO_GROUP_CHANGES, "policies.monitoring.sudden_hardship_groups.other=true",
            "policies.monitoring.annual_budget_yuan=1e12")   # a budget that never binds
    on, care_on, _ = paired(monkeypatch, keep)
    off, care_off, _ = paired(monkeypatch, (*keep, trigger))
    pd.testing.assert_frame_equal(on[HEALTH], off[HEALTH])
    pd.testing.assert_frame_equal(care_on, care_off)
    assert off["monitoring_found"].sum() < on["monitoring_found"].sum()
    assert off["monitoring_assistance_yuan"].sum() < on["monitoring_assistance_yuan"].sum()


def test_the_deposit_scope_moves_city_admissions_only(monkeypatch):
    """Treat-first-pay-later limited to county facilities (seed 000): the covered groups'
    city admissions meet a deposit and some are forgone; every outpatient bill, and every
    admission below the city of the persons never admitted to a city hospital (whose later
    care follows from the one forgone or delayed), made in both runs is the same."""
    city = LEVELS.index("city")
    monthly_all, all_levels, model_a = paired(monkeypatch, ())
    monthly_county, county, model_c = paired(monkeypatch, (
        "policies.settlement.deposit_levels={village=true, township=true, county=true, "
        "city=false}",))
    assert monthly_county["admissions_forgone_deposit"].sum() > monthly_all[
        "admissions_forgone_deposit"].sum()
    # a forgone city admission may end in death; a birth may then take the dead person's
    # slot, and the households formed later (in spare blocks) may form in another order:
    # bills are compared for the persons of the sampled households alive at the end of
    # both runs, the same person in each (same age)
    pa, pc = model_a.pop.persons, model_c.pop.persons
    n = model_a.pop.sample_households
    same = np.flatnonzero(pa.alive & pc.alive & (pa.age == pc.age) & (pa.hh < n)
                          & (pc.hh < n))
    all_levels = all_levels[all_levels["person"].isin(same)]
    county = county[county["person"].isin(same)]
    both = all_levels.merge(county, on=["kind", "month", "person"], suffixes=("_a", "_c"))
    assert len(both) > 0.95 * len(all_levels)
    at_city = np.union1d(all_levels.person[all_levels.level == city],
                         county.person[county.level == city])
    below = (both["level_a"] != city) & ~both["person"].isin(at_city)
    inpatient = both["kind"] == "inpatient"
    assert (below & inpatient).sum() > 0.5 * (inpatient & (both["level_a"] != city)).sum()
    assert (both["level_a"] == both["level_c"]).all()
    assert np.allclose(both["amount_a"][below], both["amount_c"][below])
    outpatient = all_levels[all_levels["kind"] == "outpatient"]
    assert len(both[both["kind"] == "outpatient"]) > 0.99 * len(outpatient)


@pytest.mark.parametrize("trigger, share", [
    ("policies.monitoring.disability_trigger=true", "health.severe_disability_share=0.05"),
    ("policies.monitoring.special_family_trigger=true", "population.special_family_share=0.05"),
])
def test_the_disability_and_special_family_triggers_move_assistance_and_poverty_only(
        monkeypatch, trigger, share):
    """The statuses alone change nothing; a trigger on them (seed 003's focus groups) finds
    more households and sends them assistance, and, with care that does not respond to
    money, no one's illness, care or death moves."""
    keep = (*INELASTIC, *NO_GROUP_CHANGES, "policies.monitoring.annual_budget_yuan=1e12")
    plain, care_plain, _ = paired(monkeypatch, keep)
    off, care_off, _ = paired(monkeypatch, (*keep, share))
    pd.testing.assert_frame_equal(plain, off)            # a status without its trigger
    on, care_on, _ = paired(monkeypatch, (*keep, share, trigger))
    pd.testing.assert_frame_equal(on[HEALTH], off[HEALTH])
    pd.testing.assert_frame_equal(care_on, care_off)
    assert on["monitoring_found"].sum() > off["monitoring_found"].sum()
    assert on["monitoring_assistance_yuan"].sum() > off["monitoring_assistance_yuan"].sum()
