"""Tuberculosis rules (seed 002): high reimbursement and nutrition support for active cases.

With the measure, basic insurance tops a TB patient's outpatient bills up to
``outpatient_share`` and admissions up to ``inpatient_share`` of the whole bill (after the
other layers); the extra payment is counted in basic insurance spending and as this
measure's cost. Diagnosed active cases also receive a daily nutrition breakfast, costed per
month; its health effect is not modelled.
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

    def shares(self) -> tuple[float, float]:
        """(outpatient, inpatient) floors used by the payment chain; 0 when off."""
        if not self.on:
            return 0.0, 0.0
        return self.p["outpatient_share"], self.p["inpatient_share"]

    def after_payment(self, kind: str, bills, paid) -> None:
        """Record the chain's TB top-ups."""
        persons, yuan = bills.person, paid.tb_topup
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
