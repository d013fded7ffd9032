"""Hospital bills and their out of pocket, apart from every bill (sim.results).

The published out-of-pocket share of the rural poor is set against targets for hospital
bills, so the model records them apart: acute admissions and the courses of major diseases
treated as admissions, not outpatient special-disease care (门诊慢特病) or outpatient
episodes. The share of the groups of the registered poor leaves out marginal households.
"""

import numpy as np
import pytest

from sim import load_scenario, run_one
from sim.results import POOR_GROUPS


@pytest.fixture(scope="module")
def res():
    return run_one(load_scenario().truncate(24), seed=1, households=3000)


def test_hospital_bills_are_part_of_all_bills_and_their_out_of_pocket_of_theirs(res):
    m = res.monthly
    assert (m["inpatient_bills_yuan"] <= m["bills_yuan"] + 1e-6).all()
    assert (m["inpatient_oop_yuan"] <= m["inpatient_bills_yuan"] + 1e-6).all()
    assert (m["inpatient_oop_yuan"] <= m["oop_yuan"] + 1e-6).all()
    every = m[m["group"] == "all"]
    # hospital bills are most of the money but not all of it
    share = every["inpatient_bills_yuan"].sum() / every["bills_yuan"].sum()
    assert 0.3 < share < 0.95


def test_the_poor_groups_shares_add_up_from_the_monthly_frame(res):
    m = res.monthly
    poor = m[m["group"].isin(POOR_GROUPS)].sum(numeric_only=True)
    assert res.value("inpatient_oop_share_poor_groups") == pytest.approx(
        poor["inpatient_oop_yuan"] / poor["inpatient_bills_yuan"])
    assert res.value("oop_share_of_bills_poor_groups") == pytest.approx(
        poor["oop_yuan"] / poor["bills_yuan"])
    assert "marginal" not in POOR_GROUPS
    # the poor groups' layers leave them less of a hospital bill than others
    other = m[m["group"] == "other"].sum(numeric_only=True)
    assert res.value("inpatient_oop_share_poor_groups") < (
        other["inpatient_oop_yuan"] / other["inpatient_bills_yuan"])


def test_admitted_persons_are_the_living_with_hospital_bills_in_the_year():
    """Counted exactly: the distinct persons whose hospital bills were paid in the year."""
    from sim.engine import Model

    model = Model(load_scenario().truncate(12), seed=2, households=2000)
    months, persons = [], []
    after_payment = model.hooks.after_payment

    def spy(kind, bills, paid):
        if kind == "inpatient":
            months.append(np.full(len(bills), model.current_month))
            persons.append(bills.person.copy())
        after_payment(kind, bills, paid)

    model.hooks.after_payment = spy
    born = []
    births = model.recorder.born
    model.recorder.born = lambda p: (born.append((model.current_month, p.copy())),
                                     births(p))
    res = model.run()
    month, person = np.concatenate(months), np.concatenate(persons)
    first = model.timeline.warmup  # the reported year's first month
    P = model.pop.persons
    # a newborn in a slot does not inherit the slot's earlier admissions (a month's
    # births come before its bills)
    since = np.full(P.n, first)
    for m, b in born:
        since[b] = np.maximum(since[b], m)
    admitted = np.zeros(P.n, bool)
    admitted[person[month >= since[person]]] = True
    expected = int((admitted & P.alive).sum())
    a = res.annual
    assert a.loc[a["group"] == "all", "admitted_persons"].item() == expected
    assert 0 < expected < P.alive.sum()
