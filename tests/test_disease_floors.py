"""Per-disease payment floors (policies.disease_floors) and the scope of the TB floors.

Switching a floor off moves its own pathway only: with the same seed (paired), every bill
of a household without a patient of the disease is the same, bill by bill, with or without
the floor; the patients' bills are paid more with it. The TB floors of seed 002 apply in
the Xinjiang scenarios only.
"""

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.hooks import Hooks
from sim.parameters import CHRONIC
from sim.policies import REGISTRY
from sim.scenario import SCENARIO_DIR
from sim.schema import ScenarioError

SEVERE = np.uint8(1 << CHRONIC.index("severe_mental"))
OFF = "policies.disease_floors.floors.severe_mental_free_treatment.enabled=false"
# the monitoring budget is shared by all households: without it the pathways are separate
# monitoring's shared budget, and the patients' staying on care (what they pay changes
# their follow-ups, which share each township's team capacity with other patients), would
# carry the floor to other households
QUIET = ("policies.monitoring.enabled=false", "care.demand.chronic_dropout_free_ratio=1")


def run_with_bills(monkeypatch, overrides, months=24, households=1500, scenario="linyi_2021"):
    """One paired run; returns (every bill paid as a frame, persons ever severe-mental)."""
    rows = []
    original = Hooks.after_payment

    def record(self, kind, bills, paid):
        rows.append(pd.DataFrame({"kind": kind, "person": bills.person, "amount": bills.amount,
                                  "oop": paid.oop, "topup": paid.floor_topup}))
        original(self, kind, bills, paid)

    monkeypatch.setattr(Hooks, "after_payment", record)
    scn = load_scenario(scenario, list(overrides)).truncate(months)
    model = Model(scn, seed=3, households=households)
    ever = np.zeros(model.pop.persons.n, bool)
    step = model.step

    def step_and_watch(m):
        ever[:] |= (model.pop.persons.diagnosed & SEVERE) != 0
        step(m)
        ever[:] |= (model.pop.persons.diagnosed & SEVERE) != 0

    model.step = step_and_watch
    res = model.run()
    bills = pd.concat(rows, ignore_index=True)
    bills["hh"] = model.pop.persons.hh[bills["person"].to_numpy()]
    patients_hh = np.unique(model.pop.persons.hh[np.flatnonzero(ever)])
    return res, bills, patients_hh


def test_switching_the_floor_off_moves_only_its_own_pathway(monkeypatch):
    res_on, on, hh_on = run_with_bills(monkeypatch, QUIET)
    res_off, off, hh_off = run_with_bills(monkeypatch, QUIET + (OFF,))
    assert res_on.value("disease_floors_cost_yuan_total") > 0
    assert res_off.value("disease_floors_cost_yuan_total") == 0
    patients = np.union1d(hh_on, hh_off)
    others_on = on[~on["hh"].isin(patients)].reset_index(drop=True)
    others_off = off[~off["hh"].isin(patients)].reset_index(drop=True)
    # every bill of every other household: same care, same bill, same out of pocket
    pd.testing.assert_frame_equal(others_on, others_off)
    # the patients' households pay less out of pocket with the floor
    mine_on, mine_off = on[on["hh"].isin(patients)], off[off["hh"].isin(patients)]
    assert mine_on["topup"].sum() > 0
    assert mine_on["oop"].sum() < mine_off["oop"].sum()


def test_the_floor_pays_the_whole_of_the_disease_own_bills(monkeypatch):
    _, on, _ = run_with_bills(monkeypatch, QUIET, months=13)
    res = load_scenario("linyi_2021")
    assert res.get("policies.disease_floors.floors.severe_mental_free_treatment"
                   ".inpatient_share") == 1.0
    floored = on[on["topup"] > 0]
    assert len(floored) > 0
    # free treatment: nothing is left to pay on the bills the floor raised (insured patients)
    assert np.allclose(floored["oop"], 0.0)


def test_billing_a_disease_alone_changes_no_payment():
    """Splitting severe mental disorder out of the merged chronic bill pays the same."""
    merged = Model(load_scenario(None).truncate(12), seed=1, households=800).run()
    alone = Model(load_scenario(None, ["care.billed_alone.severe_mental=true"]).truncate(12),
                  seed=1, households=800).run()
    cols = ["bills_yuan", "basic_yuan", "assistance_yuan", "oop_yuan"]
    a, b = merged.monthly[cols].to_numpy(), alone.monthly[cols].to_numpy()
    assert np.allclose(a, b, rtol=1e-9, atol=1e-6)


def test_a_floor_needs_its_disease_billed_alone_and_a_known_disease():
    with pytest.raises(ScenarioError, match="billed_alone.severe_mental"):
        Model(load_scenario("linyi_2021", ["care.billed_alone.severe_mental=false"]),
              seed=0, households=50)
    with pytest.raises(ScenarioError, match="unknown disease 'gout'"):
        Model(load_scenario("linyi_2021", [
            "policies.disease_floors.floors.severe_mental_free_treatment.disease='gout'"]),
            seed=0, households=50)


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_tb_and_disease_floors_are_set_only_where_a_seed_sets_them(path):
    scn = load_scenario(path)
    xinjiang = scn.name.startswith("xinjiang")
    assert scn.get("policies.tuberculosis.enabled") == xinjiang
    floors = [f["disease"] for f in scn.get("policies.disease_floors")["floors"] or []
              if scn.get("policies.disease_floors.enabled") and f["enabled"]]
    expected = {"linyi_2021": ["severe_mental"]}.get(scn.name, [])
    if xinjiang:
        expected = ["drug_resistant_tuberculosis"]
    assert floors == expected


def test_disease_floors_is_a_registered_measure():
    assert "disease_floors" in REGISTRY
