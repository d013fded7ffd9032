"""Forgone and late care has consequences (issue #6): a forgone admission that comes back
costs more, unmanaged chronic disease kills more, a major disease found late costs more.
(That forgone admissions kill is in tests/test_forgone_admission_mortality.py.)"""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.health import NO_MAJOR, major_course


def fresh_model(households=300, overrides=()):
    return Model(load_scenario(None, list(overrides)), seed=2, households=households)


def test_a_forgone_admission_that_comes_back_is_billed_dearer():
    model = fresh_model()
    care, P = model.care, model.pop.persons
    alive = np.flatnonzero(P.alive)
    delayed, again = alive[:5], alive[5:9]
    care._delay(delayed, 10, 1.0, 6)  # every one comes back next month
    persons, factor, _ = care._with_delayed(again, 11, np.zeros(len(again), np.int64))
    assert set(persons.tolist()) == set(delayed.tolist()) | set(again.tolist())
    want = model.params["care"]["delayed_admission_cost_factor"]
    assert want > 1
    at = dict(zip(persons.tolist(), factor.tolist(), strict=True))
    assert all(at[p] == want for p in delayed.tolist())
    assert all(at[p] == 1.0 for p in again.tolist())
    assert care._with_delayed(again, 12, np.zeros(len(again), np.int64))[1].max() == 1.0


def test_a_major_disease_found_late_costs_more_in_every_course_month():
    """Each major disease that progresses while untreated costs more once late, so a
    case that screening does not find early costs more (tests/test_measures.py: screening
    finds cases earlier)."""
    model = fresh_model()
    P = model.pop.persons
    P.major[:] = NO_MAJOR
    two = np.flatnonzero(P.alive)[:2]
    for k, name in enumerate(model.health.major["names"]):
        P.major[two], P.major_found[two], P.major_months[two] = k, True, 0
        P.major_late[two] = [False, True]
        bills = major_course(model, 13, [])["bills"]
        persons, amounts = (bills["ongoing"] if model.health.major["outpatient"][k]
                            else bills["course"])[:2]
        early, late = (amounts[persons == p].item() for p in two)
        if model.health.major["progress"][k] > 0:
            assert late > early > 0, name
        else:  # found at birth, no stage to progress to (e.g. Down syndrome)
            assert late == early > 0, name
        P.alive[two] = True  # a course month may kill: revive for the next disease


def test_unmanaged_chronic_disease_kills_more(run_small):
    """Without family-doctor contracts fewer hypertension and diabetes cases are managed;
    unmanaged cases have the higher excess mortality: more chronic deaths, same seeds."""

    def chronic_deaths(overrides=()):
        return sum(run_small(overrides, seed=s).monthly.query("group == 'all'")[
            "deaths_chronic"].sum() for s in (0, 1))

    assert chronic_deaths(("policies.contracts.enabled=false",)) > chronic_deaths()
