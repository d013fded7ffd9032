"""Outpatient fee exemptions: "two free, two halved" (门诊两免两减半) at designated facilities.

For the covered groups, outpatient bills at the designated facility levels are lowered by
``bill_reduction`` (registration and consultation fees waived, two examination fees
halved; seed 000). The waived amount is borne by the facilities and public budgets and
counted as the measure's cost.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import LEVELS, by_group, by_level
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Bool, Prob, Section


class FeeExemption(Measure):
    """Lower outpatient bills for covered groups at designated levels."""

    name = "fee_exemption"
    title = "Outpatient fee exemptions (two free, two halved)"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "groups": by_group(Bool(), "Groups covered."),
        "levels": by_level(Bool(), "Facility levels that apply the exemption."),
        "bill_reduction": Prob("Share of an outpatient bill waived.", unit="share of the bill"),
    })
    INDICATORS = (
        Indicator("fee_exemption_visits", "episodes", "Outpatient episodes with fees waived."),
        cost("fee_exemption", "fees waived"),
    )

    def compile(self) -> None:
        """Covered groups and levels as arrays."""
        self.groups = group_array(self.p["groups"], bool) & self.on
        self.levels = np.array([self.p["levels"][k] for k in LEVELS], bool)

    def _share(self, persons: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Share of each outpatient bill waived (0 where the exemption does not apply)."""
        if not self.groups.any():
            return np.zeros(len(persons))
        hit = self.groups[self.model.pgroup[persons]] & self.levels[level]
        return np.where(hit, self.p["bill_reduction"], 0.0)

    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """Outpatient bills of the covered groups at the designated levels are lowered."""
        if kind != "outpatient":
            return 1.0
        return 1.0 - self._share(persons, level)

    def after_care(self, kind: str, bills) -> None:
        """Count the visits made with fees waived and the yuan waived (the cost)."""
        if kind != "outpatient" or not self.groups.any() or len(bills) == 0:
            return
        share = self._share(bills.person, bills.level)
        waived = bills.amount * share / (1.0 - share)  # the bill is already lowered
        self.count("fee_exemption_visits", self.by_group(bills.person[share > 0]))
        self.count("fee_exemption_cost_yuan", self.by_group(bills.person, waived))
