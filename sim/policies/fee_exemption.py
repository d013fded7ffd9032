"""Fee exemptions: outpatient two free, two halved and inpatient fee reductions (seed 000).

Outpatient "two free, two halved" (门诊两免两减半) and inpatient fee reductions (住院费用减免)
at designated facilities.

For the covered groups, outpatient bills at the designated facility levels are lowered by
``bill_reduction`` (registration and consultation fees waived, two examination fees
halved; seed 000), and acute admissions at those levels by ``inpatient_bill_reduction``
(seed 000 keeps "fee reductions" for inpatients at county designated facilities without a
number; 0 unless a scenario sets it). The waived amount is borne by the facilities and
public budgets and counted as the measure's cost.
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
    funded_by = "facilities"  # the waived fees are borne by the designated facilities (seed 000)
    PARAMS = Section({
        "enabled": enabled_flag(),
        "groups": by_group(Bool(), "Groups covered."),
        "levels": by_level(Bool(), "Facility levels that apply the exemption."),
        "bill_reduction": Prob("Share of an outpatient bill waived.", unit="share of the bill"),
        "inpatient_bill_reduction": Prob("Share of an acute admission's bill waived "
                                         "(inpatient fee reductions). Absent: none.",
                                         unit="share of the bill", required=False,
                                         fallback=0.0),
    })
    INDICATORS = (
        Indicator("fee_exemption_visits", "episodes", "Outpatient episodes with fees waived."),
        Indicator("fee_exemption_admissions", "admissions", "Acute admissions with fees "
                  "reduced."),
        cost("fee_exemption", "fees waived"),
    )

    def compile(self) -> None:
        """Covered groups, and whether it applies as one table by group and level."""
        self.groups = group_array(self.p["groups"], bool) & self.on
        levels = np.array([self.p["levels"][k] for k in LEVELS], bool)
        #: whether the exemption applies, at ``group * len(LEVELS) + level``
        self.covered = (self.groups[:, None] & levels[None, :]).ravel()

    def _reduction(self, kind: str) -> float:
        """Share of a bill of ``kind`` waived where the exemption applies (0: none)."""
        if not self.groups.any():
            return 0.0
        return {"outpatient": self.p["bill_reduction"],
                "inpatient": self.p["inpatient_bill_reduction"]}.get(kind, 0.0)

    def _share(self, group: np.ndarray, level: np.ndarray, reduction: float) -> np.ndarray:
        """Share of each bill waived (0 where the exemption does not apply), by its group.

        One ``take`` from a table by group and level (numpy indexes with small integer
        arrays, as groups and levels are, about three times slower than ``take``).
        """
        return np.where(self.covered, reduction, 0.0).take(group * len(LEVELS) + level)

    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """Lower the outpatient and acute inpatient bills of covered groups at the levels."""
        reduction = self._reduction(kind)
        return 1.0 if reduction == 0 else 1.0 - self._share(self.model.pgroup[persons], level,
                                                            reduction)

    def after_care(self, kind: str, bills) -> None:
        """Count the visits and admissions with fees waived and the yuan waived (the cost)."""
        reduction = self._reduction(kind)
        if reduction == 0 or len(bills) == 0:
            return
        share = self._share(bills.group, bills.level, reduction)  # the bills' own groups
        waived = bills.amount * share / (1.0 - share)  # the bill is already lowered
        what = "visits" if kind == "outpatient" else "admissions"
        self.count(f"fee_exemption_{what}", self.by_group(bills.person[share > 0]))
        self.count("fee_exemption_cost_yuan", self.by_group(bills.person, waived))
