"""Treat first, pay later (先诊疗后付费) and one-stop settlement (一站式结算) (seeds 002-004).

With the measure, households of the covered groups pay no deposit at admission
(``deposit_waived``) and settle every layer of the chain at one window at discharge,
paying only their own share (``settled_at_once``). Without it, a deposit is asked
(households without cash at hand may forgo care, ``sim.care``) and the critical-illness,
assistance and supplemental payments for an admission reach the household
``care.reimbursement_delay_months`` later; the household advances them meanwhile, from
savings or by borrowing (``sim.liquidity``). Out of pocket is the same either way (it is
counted when the bill is made, DESIGN.md): the measure acts through cash at hand.

Each part has its own facility-level scope: ``deposit_levels`` for treat-first-pay-later
and ``one_stop_levels`` for one-stop settlement (seed 000: county designated facilities;
seed 002: within the county, i.e. not the city hospitals outside it). Absent, a part
applies at every level.

Cost: administration per inpatient bill settled at the one-stop window.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import LEVELS, by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Bool, Section, Table, Yuan

EVERY_LEVEL = {level: True for level in LEVELS}


class Settlement(Measure):
    """No deposit and one-window settlement for the covered groups."""

    name = "settlement"
    title = "Treat first, pay later and one-stop settlement"
    funded_by = "government"  # administration of the one window (insurance agencies, health budget)
    PARAMS = Section({
        "enabled": enabled_flag(),
        "groups": by_group(Bool(), "Groups covered."),
        "admin_yuan_per_case": Yuan(unit="yuan per inpatient bill settled one-stop"),
        "deposit_levels": Table(LEVELS, Bool(), doc="Facility levels where no deposit is "
                                "asked (treat first, pay later). Absent: every level.",
                                required=False, fallback=EVERY_LEVEL),
        "one_stop_levels": Table(LEVELS, Bool(), doc="Facility levels where every layer "
                                 "settles at discharge (one-stop settlement). Absent: every "
                                 "level.", required=False, fallback=EVERY_LEVEL),
    })
    INDICATORS = (
        Indicator("settlement_cases", "bills", "Inpatient bills settled at one window."),
        cost("settlement", "one-stop settlement administration"),
    )

    def compile(self) -> None:
        """Covered groups and levels as arrays."""
        self.covered = group_array(self.p["groups"], bool) & self.on
        self.deposit_levels = np.array([self.p["deposit_levels"][k] for k in LEVELS], bool)
        self.one_stop_levels = np.array([self.p["one_stop_levels"][k] for k in LEVELS], bool)

    def deposit_waived(self, groups: np.ndarray, level: np.ndarray | None = None
                       ) -> np.ndarray:
        """No deposit for the covered groups at the scoped levels (treat first, pay later)."""
        covered = self.covered[groups]
        return covered if level is None else covered & self.deposit_levels[level]

    def settled_at_once(self, kind: str, groups: np.ndarray,
                        level: np.ndarray | None = None) -> np.ndarray:
        """Covered groups' bills at the scoped levels settle every layer at one window.

        Counted and costed.
        """
        covered = self.covered[groups]
        if level is not None:
            covered = covered & self.one_stop_levels[level]
        if covered.any():
            n = np.bincount(groups[covered], minlength=len(self.covered)).astype(float)
            self.count("settlement_cases", n)
            self.count("settlement_cost_yuan", n * self.p["admin_yuan_per_case"])
        return covered
