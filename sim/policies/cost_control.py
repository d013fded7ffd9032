"""Cost control: payment reform (DIP, county global budgets) and drug procurement (seed 001).

Diagnosis-intervention-packet payment and global budgets for county medical communities
lower the cost of an admission (``inpatient_cost_factor``); centralised procurement lowers
drug-heavy outpatient and chronic-care bills (``outpatient_cost_factor``). Bills are
multiplied by these factors before reimbursement.

Cost: administration per household per year.
"""

from __future__ import annotations

from sim.policies.base import Measure, cost, enabled_flag
from sim.schema import Num, Section


class CostControl(Measure):
    """Lower prices through payment reform and procurement."""

    name = "cost_control"
    title = "Payment reform and centralised drug procurement"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "inpatient_cost_factor": Num("factor", "Multiplier on admission and major-disease "
                                     "bills.", low=0.1, high=1),
        "outpatient_cost_factor": Num("factor", "Multiplier on outpatient and chronic-care "
                                      "bills.", low=0.1, high=1),
        "admin_yuan_per_household_year": Num("yuan per household-year", low=0),
    })
    INDICATORS = (cost("cost_control", "payment reform and procurement administration"),)

    def price_factor(self, kind: str, persons, level):
        """Lower prices: the inpatient or the outpatient factor.

        Inpatient for admissions and major-disease courses, outpatient for outpatient and
        chronic care.
        """
        if not self.on:
            return 1.0
        return self.p["inpatient_cost_factor" if kind in ("inpatient", "major")
                      else "outpatient_cost_factor"]

    def processes(self, env):
        """Monthly administration costs."""
        return [self.every_month(lambda m: self.charge_households(
            self.p["admin_yuan_per_household_year"]))]
