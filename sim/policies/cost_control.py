"""Cost control: payment reform (DIP, county global budgets) and drug procurement (seed 001).

Diagnosis-intervention-packet payment and global budgets for county medical communities
lower the cost of an admission (``inpatient_cost_factor``); centralised procurement lowers
drug-heavy outpatient and chronic-care bills (``outpatient_cost_factor``). Bills are
multiplied by these factors before reimbursement.

The procurement reward (seed 001: hospitals that complete volume-based procurement keep up
to half of the insurance savings) cuts drug prices further: the drug part of outpatient and
chronic-care bills (``procurement_reward.drug_share``) falls by
``procurement_reward.drug_price_cut``, usually from a date of the policy calendar. Absent:
no cut.

Cost: administration per household per year.
"""

from __future__ import annotations

from sim.policies.base import Measure, cost, enabled_flag
from sim.schema import Num, Prob, Section, Table

#: Kinds of bill whose drugs the procurement reward makes cheaper.
DRUG_KINDS = ("outpatient", "chronic")


class CostControl(Measure):
    """Lower prices through payment reform and procurement."""

    name = "cost_control"
    title = "Payment reform and centralised drug procurement"
    funded_by = "government"  # administration of payment reform and procurement
    PARAMS = Section({
        "enabled": enabled_flag(),
        "inpatient_cost_factor": Num("factor", "Multiplier on admission and major-disease "
                                     "bills.", low=0.1, high=1),
        "outpatient_cost_factor": Num("factor", "Multiplier on outpatient and chronic-care "
                                      "bills.", low=0.1, high=1),
        "admin_yuan_per_household_year": Num("yuan per household-year", low=0),
        "procurement_reward": Section({
            "drug_price_cut": Prob("Share by which drug prices fall further as hospitals "
                                   "complete volume-based procurement for the reward. "
                                   "Absent: 0.", unit="share of the drug price",
                                   required=False, fallback=0.0),
            "drug_share": Table(DRUG_KINDS, Prob(unit="share of the bill"), required=False,
                                fallback=dict.fromkeys(DRUG_KINDS, 0.0),
                                doc="Drugs' share of outpatient and of chronic-care bills. "
                                "Absent: 0."),
        }, doc="The procurement reward (seed 001: up to 50% of the insurance savings from "
           "volume-based procurement kept by the hospitals that complete it) as a cut of "
           "drug prices."),
    })
    INDICATORS = (cost("cost_control", "payment reform and procurement administration"),)

    def price_factor(self, kind: str, persons, level):
        """Lower prices: the inpatient or the outpatient factor.

        Inpatient for admissions and major-disease courses, outpatient (and the procurement
        reward's cut of drug prices) for outpatient and chronic care.
        """
        if not self.on:
            return 1.0
        if kind in ("inpatient", "major"):
            return self.p["inpatient_cost_factor"]
        return self.p["outpatient_cost_factor"] * self.drug_price_factor(kind)

    def drug_price_factor(self, kind: str) -> float:
        """Factor on an outpatient or chronic-care bill from the procurement reward's cut.

        Only the drug part of the bill is cheaper; exactly 1 without a cut.
        """
        reward = self.p["procurement_reward"]
        return 1.0 - reward["drug_share"][kind] * reward["drug_price_cut"]

    def processes(self, env):
        """Monthly administration costs."""
        return [self.every_month(lambda m: self.charge_households(
            self.p["admin_yuan_per_household_year"]))]
