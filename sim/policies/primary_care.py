"""Primary-care access: standard village clinics and remote consultations (seeds 000-003).

Clearing the "blank spots" of village clinics and paying for remote consultations brings
care closer: the chance of forgoing care (distance, and the cash barrier at admission) is
multiplied by ``forgo_factor``, and routine detection of chronic and major diseases by
``detection_factor`` (village doctors find cases earlier).

Only facilities up to standard bring these gains (seeds 002, 003: buildings, equipment and
at least one qualified doctor in each village clinic and township health centre).
``standard_share`` gives the share of each that is; the gains reach the households whose
clinic and health centre both are (the product of the two shares: a household's village
clinic and health centre taken as up to standard independently, an assumption), the
others forgo and are found as without the measure. A dated change of the policy calendar
sets the date by which the standards are reached.

Cost: running costs per household per year.
"""

from __future__ import annotations

from sim.parameters import LEVELS
from sim.policies.base import Measure, cost, enabled_flag
from sim.schema import Num, Prob, Section, Table

#: Levels of primary care whose facility standards the measure's gains depend on.
PRIMARY_LEVELS = LEVELS[:2]


class PrimaryCare(Measure):
    """Access and earlier detection from standard village clinics and remote medicine."""

    name = "primary_care"
    title = "Standard village clinics and remote consultations"
    funded_by = "government"  # running costs of village clinics and remote services
    PARAMS = Section({
        "enabled": enabled_flag(),
        "forgo_factor": Num("factor", "Multiplier on the chance of forgoing care.", low=0,
                            high=1),
        "detection_factor": Num("factor", "Multiplier on routine detection rates.", low=1,
                                high=10),
        "cost_yuan_per_household_year": Num("yuan per household-year", low=0),
        "standard_share": Table(
            PRIMARY_LEVELS, Prob(unit="share of facilities"), required=False,
            fallback=dict.fromkeys(PRIMARY_LEVELS, 1.0),
            doc="Share of village clinics and of township health centres up to standard "
            "(三个一, 三合格, 三条线: buildings, equipment, at least one qualified "
            "doctor); the access and detection gains reach the households served by "
            "facilities up to standard at both levels. Absent: all."),
    })
    INDICATORS = (cost("primary_care", "village clinics and remote consultations"),)

    def reached_share(self) -> float:
        """Share of households whose village clinic and health centre are up to standard."""
        share = self.p["standard_share"]
        return share["village"] * share["township"]

    def _where_reached(self, factor: float) -> float:
        """Mean of ``factor`` where the standards are reached and 1 elsewhere (1 when off)."""
        if not self.on:
            return 1.0
        reached = self.reached_share()
        return reached * factor + (1.0 - reached)

    def access_factor(self) -> float:
        """Multiplier on forgoing care for distance."""
        return self._where_reached(self.p["forgo_factor"])

    def detection_factor(self) -> float:
        """Multiplier on routine detection."""
        return self._where_reached(self.p["detection_factor"])

    def processes(self, env):
        """Monthly running costs."""
        return [self.every_month(lambda m: self.charge_households(
            self.p["cost_yuan_per_household_year"]))]
