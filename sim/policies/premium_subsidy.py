"""Premium subsidies: the individual insurance contribution paid for eligible groups.

Enrolment in resident basic insurance (``sim.enrolment``) rises with the share of the
contribution that is paid: through the ``enrolment_probability`` extension point a person
of group g is insured with probability ``base + (full - base) * share``, where ``base`` is
``payment.enrolled_share`` (no subsidy) and ``full`` is ``enrolled_share_subsidised``
(contribution paid in full). Uninsured persons get nothing from basic, critical-illness or
supplemental insurance (medical assistance still applies).

Cost: the subsidised part of the contribution of every insured person, per month.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Dated, Prob, Section, Yuan, dated_value


class PremiumSubsidy(Measure):
    """Who is insured, and what paying their contribution costs."""

    name = "premium_subsidy"
    title = "Premium subsidies"
    funded_by = "medical_assistance"  # medical assistance funds pay the contributions (资助参保)
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

    def compile(self) -> None:
        """Subsidy shares and enrolment probabilities by group."""
        base = group_array(self.model.params["payment"]["enrolled_share"])
        full = group_array(self.p["enrolled_share_subsidised"])
        self.share = group_array(self.p["subsidy_share"]) * self.on
        self.prob = base + (np.maximum(full, base) - base) * self.share

    def enrolment_probability(self, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Enrolment rises with the share of the contribution paid (neutral when off)."""
        return self.prob[groups] if self.on else base[groups]

    def processes(self, env):
        """Pay the subsidised contributions of the insured, monthly."""
        return [self.every_month(self._month)]

    def _month(self, m: int) -> None:
        model = self.model
        # the living insured by group are counted by the enrolment
        subsidised = np.where(self.share > 0, model.enrolment.n_insured, 0.0)
        premium = dated_value(self.p["contribution_yuan"], model.year(m))
        self.count("premium_subsidy_persons", subsidised)
        self.count("premium_subsidy_cost_yuan", subsidised * self.share * premium / 12.0)
