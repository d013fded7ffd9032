"""Treat first, pay later (先诊疗后付费) and one-stop settlement (一站式结算) (seeds 002-004).

With the measure, households of the covered groups pay no deposit at admission and settle
every layer of the chain at one window at discharge, paying only their own share. Without
it, a deposit is asked (households without cash at hand may forgo care, see ``care``) and
only basic insurance is settled at discharge: the critical-illness, assistance and
supplemental payments for an admission reach the household ``reimbursement_delay_months``
later. The household advances them meanwhile, from savings or by borrowing
(``sim.liquidity``). Out of pocket is the same either way (it is counted when the bill is
made, DESIGN.md); the measure acts through cash at hand: fewer admissions forgone, no
debt. Outpatient and chronic-care bills settle directly either way.

Cost: administration per inpatient bill settled at the one-stop window.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import by_group
from sim.payment import Paid
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Bool, Num, Section, Yuan


class Settlement(Measure):
    """No deposit and one-window settlement for the covered groups."""

    name = "settlement"
    title = "Treat first, pay later and one-stop settlement"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "groups": by_group(Bool(), "Groups covered."),
        "reimbursement_delay_months": Num(
            "months", "Without one-stop settlement: months until the layers after basic "
            "insurance pay the household.", low=0, high=24, integer=True),
        "admin_yuan_per_case": Yuan(unit="yuan per inpatient bill settled one-stop"),
    })
    INDICATORS = (
        Indicator("settlement_cases", "bills", "Inpatient bills settled at one window."),
        cost("settlement", "one-stop settlement administration"),
    )

    def compile(self) -> None:
        """Covered groups as an array."""
        self.covered = group_array(self.p["groups"], bool) & self.on

    def deposit_required(self, groups: np.ndarray) -> np.ndarray:
        """True where an admission asks for a deposit."""
        return ~self.covered[groups]

    def advanced(self, paid: Paid, groups: np.ndarray, kind: str) -> np.ndarray:
        """Yuan per bill the household pays now and gets back after the delay.

        Nothing for outpatient and chronic bills (settled directly) or for bills settled
        at the one-stop window; otherwise what the layers after basic insurance pay.
        """
        if kind != "inpatient":
            return np.zeros(len(groups))
        covered = self.covered[groups]
        if covered.any():
            self.count("settlement_cases", self.by_group_of(groups[covered]))
            self.count("settlement_cost_yuan", self.by_group_of(groups[covered])
                       * self.p["admin_yuan_per_case"])
        later = paid.critical_illness + paid.assistance + paid.supplemental
        return np.where(covered, 0.0, later)

    def delay(self) -> int:
        """Months until the later layers reimburse an advance."""
        return self.p["reimbursement_delay_months"]

    @staticmethod
    def by_group_of(groups: np.ndarray) -> np.ndarray:
        """Counts per group code."""
        return np.bincount(groups, minlength=5).astype(float)
