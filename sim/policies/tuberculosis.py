"""Tuberculosis rules (seed 002): high reimbursement and nutrition support for active cases.

With the measure, TB bills carry a payment floor (the ``payment_floor`` extension point):
basic insurance tops a TB patient's outpatient and chronic bills up to ``outpatient_share``
and admissions up to ``inpatient_share`` of the whole bill (after the other layers); the
extra payment is counted in basic insurance spending and as this measure's cost.
Diagnosed active cases also receive a daily nutrition breakfast, costed per month; its
health effect is not modelled.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import TB_INDEX
from sim.policies.base import Measure, cost, enabled_flag
from sim.results import Indicator
from sim.schema import Prob, Section, Yuan


class Tuberculosis(Measure):
    """TB reimbursement floor and nutrition support."""

    name = "tuberculosis"
    title = "Tuberculosis reimbursement and nutrition"
    #: the nutrition support; the floors' top-ups are paid by basic insurance
    funded_by = "government"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "outpatient_share": Prob("Share of a TB outpatient bill paid in all."),
        "inpatient_share": Prob("Share of a TB admission paid in all."),
        "nutrition_yuan_per_month": Yuan(unit="yuan per diagnosed case-month"),
    })
    INDICATORS = (
        Indicator("tuberculosis_supported", "persons", "Diagnosed TB cases given nutrition "
                  "support.", "last"),
        Indicator("tuberculosis_topup_yuan", "yuan", "Basic insurance paid above the usual "
                  "chain for TB bills."),
        cost("tuberculosis", "TB top-ups and nutrition support"),
    )

    def payment_floor(self, kind: str, bills, disease=None) -> np.ndarray:
        """TB bills' floor: the outpatient or the inpatient share; 0 for other bills.

        The outpatient share applies to outpatient and chronic care, the inpatient share
        to admissions; nothing when the measure is off.
        """
        if not self.on or not bills.tb.any():
            return np.zeros(len(bills))
        share = self.p["outpatient_share" if kind in ("outpatient", "chronic")
                      else "inpatient_share"]
        return np.where(bills.tb, share, 0.0)

    def after_payment(self, kind: str, bills, paid) -> None:
        """Record the chain's TB top-ups."""
        persons, yuan = bills.person, np.where(bills.tb, paid.floor_topup, 0.0)
        if len(persons) and yuan.any():
            self.count("tuberculosis_topup_yuan", self.by_group(persons, yuan))
            self.count("tuberculosis_cost_yuan", self.by_group(persons, yuan))

    def processes(self, env):
        """Monthly nutrition support for diagnosed active cases."""
        return [self.every_month(self._nutrition)]

    def _nutrition(self, m: int) -> None:
        P = self.model.pop.persons
        cases = np.flatnonzero(((P.diagnosed & np.uint8(1 << TB_INDEX)) != 0) & P.alive)
        n = self.by_group(cases)
        self.count("tuberculosis_supported", n)
        self.count("tuberculosis_cost_yuan", n * self.p["nutrition_yuan_per_month"])
