"""Extension points: how measures change care, payment and health without being named.

The engine, health, care and payment code never name a measure (DESIGN.md, "Measures as
plug-ins"). They ask :class:`Hooks`, which folds the contributions of every measure that
implements an extension point, in the order of ``sim.policies.REGISTRY``. A measure
implements a point by overriding the method of the same name of
:class:`sim.policies.base.Measure`, whose default is the neutral answer; a measure that is
switched off must return the neutral answer too.

=====================  ===============================================  ==============
extension point        what a measure returns                           fold
=====================  ===============================================  ==============
price_factor           factor on bills of a kind (outpatient,           product
                       inpatient, chronic, major), per bill or scalar
access_factor          factor on the chance of forgoing care for        product
                       distance
detection_factor       factor on routine detection of chronic and       product
                       major disease
deposit_waived         per admission (group, facility level): no        any
                       deposit asked
settled_at_once        per bill (group, facility level): all layers     any
                       settle at discharge (the household advances
                       nothing)
payment_floor          per bill: share of the whole bill the layers     max
                       must reach for the insured (basic insurance
                       pays the gap); told what each bill is for
manage_on_diagnosis    chance a new diagnosis starts management         max
dropout                monthly chance a managed patient drops out       min
enrolment_probability  chance a person is insured, by group             max
start_major            of the found major-disease cases, those who      each filters
                       start treatment now (capacity, queues)           the last
screened_at_birth      per pregnancy ("prenatal") or newborn            bitwise or
                       ("newborn"): the congenital conditions a
                       measure's screening tests for (bit mask over
                       health.major; 0: not screened), given each
                       one's reach uniform; the measure records what
                       it screens
after_care             notified of the bills of care actually given     all called
after_payment          notified of each batch paid (bills, what each    all called
                       payer paid)
=====================  ===============================================  ==============

Measures also run their own SimPy processes, record their indicators and costs, and may
change shared person and household state (e.g. contracts bring patients into management,
screening diagnoses disease, monitoring identifies monitored objects in the registry).
"""

from __future__ import annotations

import numpy as np

from sim.arrays import member, unique
from sim.policies.base import Measure

POINTS = ("price_factor", "access_factor", "detection_factor", "deposit_waived",
          "settled_at_once", "payment_floor", "manage_on_diagnosis", "dropout",
          "enrolment_probability", "start_major", "screened_at_birth", "after_care",
          "after_payment")


class Hooks:
    """The measures of one model, folded at each extension point."""

    def __init__(self, measures):
        self._by_point = {
            point: [m for m in measures
                    if getattr(type(m), point) is not getattr(Measure, point)]
            for point in POINTS
        }

    def implementers(self, point: str) -> list[str]:
        """Names of the measures that implement an extension point."""
        return [m.name for m in self._by_point[point]]

    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """Product of the measures' price factors for bills of ``kind``."""
        factor = 1.0
        for m in self._by_point["price_factor"]:
            factor = factor * m.price_factor(kind, persons, level)
        return factor

    def access_factor(self) -> float:
        """Product of the factors on forgoing care for distance."""
        return float(np.prod([m.access_factor() for m in self._by_point["access_factor"]]))

    def detection_factor(self) -> float:
        """Product of the factors on routine detection."""
        return float(np.prod([m.detection_factor()
                              for m in self._by_point["detection_factor"]]))

    def deposit_waived(self, groups: np.ndarray, level: np.ndarray | None = None
                       ) -> np.ndarray:
        """Whether any measure waives the admission deposit (at each admission's level)."""
        out = np.zeros(len(groups), bool)
        for m in self._by_point["deposit_waived"]:
            out |= m.deposit_waived(groups, level)
        return out

    def settled_at_once(self, kind: str, groups: np.ndarray,
                        level: np.ndarray | None = None) -> np.ndarray:
        """Whether any measure settles every layer of these bills at discharge."""
        out = np.zeros(len(groups), bool)
        for m in self._by_point["settled_at_once"]:
            out |= m.settled_at_once(kind, groups, level)
        return out

    def payment_floor(self, kind: str, bills, disease: np.ndarray | None = None
                      ) -> np.ndarray | None:
        """The highest payment floor any measure sets on each bill (None: none).

        ``disease`` says what each bill is for (codes of ``sim.parameters``: a chronic
        disease billed alone, a major disease, or NO_DISEASE).
        """
        floor = None
        for m in self._by_point["payment_floor"]:
            share = m.payment_floor(kind, bills, disease)
            floor = share if floor is None else np.maximum(floor, share)
        return floor

    def manage_on_diagnosis(self, persons: np.ndarray, disease: int, base: float
                            ) -> np.ndarray:
        """Chance that a new diagnosis starts management (the highest offered)."""
        p = np.full(len(persons), base)
        for m in self._by_point["manage_on_diagnosis"]:
            p = np.maximum(p, m.manage_on_diagnosis(persons, disease, base))
        return p

    def dropout(self, persons: np.ndarray, disease: int, base: float) -> np.ndarray:
        """Monthly chance that a managed patient drops out (the lowest offered)."""
        p = np.full(len(persons), base)
        for m in self._by_point["dropout"]:
            p = np.minimum(p, m.dropout(persons, disease, base))
        return p

    def enrolment_probability(self, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Chance of being insured by group index (the highest offered)."""
        p = np.asarray(base, float)
        for m in self._by_point["enrolment_probability"]:
            p = np.maximum(p, m.enrolment_probability(groups, base))
        return p

    def start_major(self, persons: np.ndarray, disease: np.ndarray, month: int
                    ) -> np.ndarray:
        """Of the found cases asking for treatment, those who start now."""
        for m in self._by_point["start_major"]:
            keep = member(persons, unique(m.start_major(persons, disease, month)))
            persons, disease = persons[keep], disease[keep]
        return persons

    def screened_at_birth(self, kind: str, persons: np.ndarray, u: np.ndarray
                          ) -> np.ndarray:
        """The conditions (bit mask over health.major) the measures screen each one for.

        ``kind``: "prenatal" (``persons`` are the would-be newborns) or "newborn"; ``u``:
        each one's uniform deciding who a screening reaches (``sim.birth_screening``).
        """
        mask = np.zeros(len(persons), np.int64)
        for m in self._by_point["screened_at_birth"]:
            mask |= m.screened_at_birth(kind, persons, u)
        return mask

    def after_care(self, kind: str, bills) -> None:
        """Tell the measures about the bills of care given."""
        for m in self._by_point["after_care"]:
            m.after_care(kind, bills)

    def after_payment(self, kind: str, bills, paid) -> None:
        """Tell the measures about a batch of bills paid."""
        for m in self._by_point["after_payment"]:
            m.after_payment(kind, bills, paid)
