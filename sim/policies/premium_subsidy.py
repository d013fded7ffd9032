"""Premium subsidies: the individual insurance contribution paid for eligible groups.

Enrolment in resident basic insurance rises with the share of the contribution that is
paid: a person of group g is insured with probability ``base + (full - base) * share``,
where ``base`` is ``payment.enrolled_share`` (no subsidy) and ``full`` is
``enrolled_share_subsidised`` (contribution paid in full). Each person keeps one fixed
uniform, so enrolment is decided consistently across scenarios; it is re-evaluated at the
start of each insurance year. Uninsured persons get nothing from basic, critical-illness or
supplemental insurance (medical assistance still applies).

Cost: the subsidised part of the contribution of every insured person, per month.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import GROUPS, by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Dated, Prob, Section, Yuan, dated_value


class PremiumSubsidy(Measure):
    """Who is insured, and what paying their contribution costs."""

    name = "premium_subsidy"
    title = "Premium subsidies"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "subsidy_share": by_group(Prob(unit="share of the contribution"),
                                  "Share of the individual contribution paid."),
        "enrolled_share_subsidised": by_group(Prob(), "Enrolment when the contribution is "
                                              "paid in full."),
        "contribution_yuan": Dated(Yuan(unit="yuan per person-year"), doc="Individual "
                                   "contribution to resident basic insurance."),
    })
    INDICATORS = (
        Indicator("premium_subsidy_persons", "persons", "Insured persons with a subsidised "
                  "contribution.", "last"),
        cost("premium_subsidy", "contributions paid"),
    )

    def __init__(self, model):
        super().__init__(model)
        n = model.pop.persons.n
        self.u = model.streams["enrolment"].keyed(np.arange(n), 0)
        self.flags = np.zeros(n, bool)
        self.n_subsidised = np.zeros(len(GROUPS))  # living insured with a subsidy, by group
        self.n_insured = np.zeros(len(GROUPS))  # living insured, by group

    def compile(self) -> None:
        """Enrolment probability per group; decided at the first month."""
        base = group_array(self.model.params["payment"]["enrolled_share"])
        full = group_array(self.p["enrolled_share_subsidised"])
        self.share = group_array(self.p["subsidy_share"]) * self.on
        self.prob = base + (np.maximum(full, base) - base) * self.share
        if not self.flags.any():
            self.enrol()
        self._count()

    def enrol(self) -> None:
        """Decide who is insured for the insurance year."""
        self.flags = self.u < self.prob[self.model.pgroup]
        self._count()

    def _count(self) -> None:
        m = self.model
        insured = np.flatnonzero(self.flags & m.pop.persons.alive)
        self.n_insured = self.by_group(insured).astype(float)
        self.n_subsidised = self.by_group(insured[self.share[m.pgroup[insured]] > 0]).astype(
            float)

    def on_deaths(self, died: np.ndarray) -> None:
        """The dead leave the counts of insured and subsidised persons."""
        insured = died[self.flags[died]]
        self.n_insured -= self.by_group(insured)
        self.n_subsidised -= self.by_group(insured[self.share[self.model.pgroup[insured]] > 0])

    def on_births(self, born: np.ndarray) -> None:
        """Newborns are enrolled with their household's group at once."""
        self.flags[born] = self.u[born] < self.prob[self.model.pgroup[born]]
        self._count()

    def insured(self, persons: np.ndarray) -> np.ndarray:
        """Whether each person is insured now."""
        return self.flags[persons]

    def processes(self, env):
        """Re-enrol at each insurance year; pay subsidies monthly."""
        return [self.every_month(self._month, when_off=True)]

    def _month(self, m: int) -> None:
        model = self.model
        ins_month = model.params["calendar"]["insurance_year_start_month"]
        if model.timeline.month_of_year(m) == ins_month and m > 0:
            self.enrol()
        if not self.on:
            return
        premium = dated_value(self.p["contribution_yuan"], model.year(m))
        self.count("premium_subsidy_persons", self.n_subsidised.copy())
        self.count("premium_subsidy_cost_yuan", self.n_subsidised * self.share * premium / 12.0)
