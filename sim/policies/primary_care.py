"""Primary-care access: standard village clinics and remote consultations (seeds 000-003).

Clearing the "blank spots" of village clinics and paying for remote consultations brings
care closer: the chance of forgoing care (distance, and the cash barrier at admission) is
multiplied by ``forgo_factor``, and routine detection of chronic and major diseases by
``detection_factor`` (village doctors find cases earlier).

Cost: running costs per household per year.
"""

from __future__ import annotations

from sim.policies.base import Measure, cost, enabled_flag
from sim.schema import Num, Section


class PrimaryCare(Measure):
    """Access and earlier detection from standard village clinics and remote medicine."""

    name = "primary_care"
    title = "Standard village clinics and remote consultations"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "forgo_factor": Num("factor", "Multiplier on the chance of forgoing care.", low=0,
                            high=1),
        "detection_factor": Num("factor", "Multiplier on routine detection rates.", low=1,
                                high=10),
        "cost_yuan_per_household_year": Num("yuan per household-year", low=0),
    })
    INDICATORS = (cost("primary_care", "village clinics and remote consultations"),)

    def access_factor(self) -> float:
        """Multiplier on forgoing care for distance."""
        return self.p["forgo_factor"] if self.on else 1.0

    def detection_factor(self) -> float:
        """Multiplier on routine detection."""
        return self.p["detection_factor"] if self.on else 1.0

    def processes(self, env):
        """Monthly running costs."""
        return [self.every_month(lambda m: self.charge_households(
            self.p["cost_yuan_per_household_year"]))]
