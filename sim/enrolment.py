"""Enrolment in resident basic insurance: who is insured this insurance year.

Each person holds one fixed uniform (stream ``enrolment``) and is insured while it lies
below the enrolment probability of the household's group: ``payment.enrolled_share``
without help, raised by measures through the ``enrolment_probability`` extension point
(e.g. premium subsidies). A person a data file records as insured (not insured) at the
start gets a uniform below (above) the start probability, drawn within that range: the
recorded status holds in the first year and the person keeps a matching propensity.
Enrolment is decided at the first month, at the start of each insurance year, and at
birth; a change of the probabilities by the policy calendar takes effect at the next
insurance year.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import GROUPS


class Enrolment:
    """Insured flags of every person and the counts of the living insured by group."""

    def __init__(self, model):
        self.model = model
        n = model.pop.persons.n
        self.u = model.streams["enrolment"].keyed(np.arange(n), 0)
        known = model.pop.persons.insured_known
        if (known >= 0).any():  # a data file's status holds at the start, then persists
            p0 = self.probability()[model.pgroup]
            self.u = np.where(known == 1, self.u * p0,
                              np.where(known == 0, p0 + self.u * (1.0 - p0), self.u))
        self.flags = np.zeros(n, bool)
        self.n_insured = np.zeros(len(GROUPS))

    def probability(self) -> np.ndarray:
        """Chance of being insured by group index, with every measure's help."""
        base = np.array([self.model.params["payment"]["enrolled_share"][g] for g in GROUPS])
        return self.model.hooks.enrolment_probability(np.arange(len(GROUPS)), base)

    def enrol(self, persons: np.ndarray | None = None) -> None:
        """Decide who is insured: everyone (a new insurance year) or ``persons`` (births)."""
        model = self.model
        prob = self.probability()
        P = model.pop.persons
        if persons is None:
            self.flags = self.u < prob[model.pgroup]
            self.n_insured = model._by_group(np.flatnonzero(self.flags & P.alive)).astype(float)
        else:  # newborns: none of them was counted before (their slots were empty)
            self.flags[persons] = self.u[persons] < prob[model.pgroup[persons]]
            self.n_insured += model._by_group(persons[self.flags[persons] & P.alive[persons]])

    def on_deaths(self, died: np.ndarray) -> None:
        """The dead leave the count of the insured."""
        self.n_insured -= self.model._by_group(died[self.flags[died]])

    def on_left(self, left: np.ndarray) -> None:
        """Those who left to form a household leave it too (enrolled again there)."""
        self.on_deaths(left)

    def on_group_change(self, persons: np.ndarray, old_groups: np.ndarray) -> None:
        """Insured living persons whose household changed group count in the new group."""
        P = self.model.pop.persons
        moved = self.flags[persons] & P.alive[persons]
        self.n_insured -= np.bincount(old_groups[moved], minlength=len(self.n_insured))
        self.n_insured += self.model._by_group(persons[moved])

    def insured(self, persons: np.ndarray) -> np.ndarray:
        """Whether each person is insured now."""
        return self.flags[persons]
