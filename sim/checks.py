"""Health checks and screening tests: what an examination finds, whoever offers it.

A health check (``care.health_check``) finds undiagnosed chronic diseases with a
per-disease sensitivity, of which ``chronic_confirmed_share`` complete the confirmation
and are diagnosed (the others stay unaware), and the major diseases marked
``screen = "health_check"``; a screening test finds the major diseases of its kind
(cervical, breast). A positive result without disease is a false positive. Every positive
confirmed costs a confirmation. A person is
checked at most once per ``interval_months``, so a family-doctor check and a screening
campaign do not examine the same person twice in a year.

Outcomes are drawn from the ``health_check`` stream keyed by (person, month), so an
examination finds the same things whichever measure performs it. The caller, a measure,
pays: the functions return counts by group and the cost (yuan) for it to record.
"""

from __future__ import annotations

import numpy as np

from sim.health import diagnose_chronic
from sim.parameters import CHRONIC
from sim.population import NO_MAJOR

SCREENS = ("health_check", "cervical", "breast")
NEVER = -(10**6)


def due_for_check(model, persons: np.ndarray, m: int) -> np.ndarray:
    """The living persons among ``persons`` not checked within the check interval."""
    P = model.pop.persons
    interval = model.params["care"]["health_check"]["interval_months"]
    return persons[P.alive[persons] & (m - model.last_check[persons] >= interval)]


def health_check(model, persons: np.ndarray, m: int) -> dict:
    """Examine ``persons`` (already due); returns counts by group and the cost in yuan."""
    P = model.pop.persons
    hc = model.params["care"]["health_check"]
    stream = model.streams["health_check"]
    model.last_check[persons] = m
    chronic_found = np.zeros(len(persons), bool)
    # every disease's draws in one hash (slots d: found, 40 + d: confirmed), and the
    # undiagnosed bits gathered once: diagnosing disease d sets bit d only
    n = len(CHRONIC)
    u = stream.keyed_slots(persons, m, [*range(n), *range(40, 40 + n)])
    hidden_bits = P.chronic[persons] & ~P.diagnosed[persons]
    for d, disease in enumerate(CHRONIC):
        hit = ((hidden_bits & np.uint8(1 << d)) != 0) & (u[d] < hc["sensitivity"][disease]) & (
            u[n + d] < hc["chronic_confirmed_share"])
        diagnose_chronic(model, persons[hit], d, m)
        chronic_found |= hit
    early, late = find_major(model, persons, m, "health_check", hc["major_sensitivity"])
    found = chronic_found | early | late
    false_pos = false_positives(model, persons, found, m, hc["specificity"], 0)
    by = model._by_group
    return {
        "checked": by(persons), "chronic_found": by(persons[chronic_found]),
        "major_found_early": by(persons[early]), "major_found_late": by(persons[late]),
        "false_positives": by(persons[false_pos]),
        "cost": by(persons) * hc["cost_yuan"]
        + by(persons[found | false_pos]) * hc["confirmation_cost_yuan"],
    }


def find_major(model, persons: np.ndarray, m: int, screen: str, sensitivity: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Find undiagnosed major diseases that this screen detects; masks (early, late)."""
    P = model.pop.persons
    k = P.major[persons]
    has = (k != NO_MAJOR) & ~P.major_found[persons]
    detectable = np.zeros(len(persons), bool)
    detectable[has] = model.health.major["screen"][k[has]] == screen
    u = model.streams["health_check"].keyed(persons, m, 20 + SCREENS.index(screen))
    hit = detectable & (u < sensitivity)
    P.major_found[persons[hit]] = True
    late = P.major_late[persons]
    return hit & ~late, hit & late


def false_positives(model, persons: np.ndarray, found: np.ndarray, m: int,
                    specificity: float, slot: int) -> np.ndarray:
    """Mask of persons without a finding who still test positive."""
    u = model.streams["health_check"].keyed(persons, m, 30 + slot)
    return ~found & (u >= specificity)
