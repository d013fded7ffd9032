"""Per-disease payment floors: free or nearly free treatment of named diseases.

Seed 000 keeps the free treatment of severe mental disorder (严重精神障碍患者免费救治); seed
002 has tuberculosis patients' outpatient examinations reimbursed 100% and admissions 90%,
with drug-resistant TB in the critical-illness and assistance layers. The tuberculosis
measure (``sim.policies.tuberculosis``) is seed 002's TB package; this measure sets a
payment floor for any other disease, one record per floor, through the ``payment_floor``
extension point: basic insurance tops the layers up to ``outpatient_share`` or
``inpatient_share`` of the whole bill of the insured patients of the covered groups.

Which bills a floor reaches:

* a chronic disease (hypertension, diabetes, severe_mental): the disease's own monthly
  care (it must be billed alone, ``care.billed_alone``) and the outpatient episodes at the
  outpatient share, the admissions at the inpatient share, of patients diagnosed with it;
* a major disease of ``health.major``: its course months and the special-disease care after
  a course, at the inpatient share.

The top-ups are counted in basic insurance spending and as this measure's cost. Each floor
has its own ``enabled`` switch, so that one floor can be taken away with the others kept.
"""

from __future__ import annotations

import numpy as np

from sim.parameters import CHRONIC, MAJOR_CODE, NO_DISEASE, by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Bool, Prob, Records, ScenarioError, Section, Str

FLOOR = Section({
    "name": Str(doc="A label for the floor.", required=True),
    "enabled": Bool(doc="Whether this floor is in force."),
    "disease": Str(doc="A chronic disease (hypertension, diabetes, severe_mental) or the name "
                   "of a major disease of health.major; tuberculosis has its own measure "
                   "(policies.tuberculosis).", required=True),
    "outpatient_share": Prob("Share of the disease's outpatient and monthly chronic-care bills "
                             "paid in all by the layers.", unit="share of the bill"),
    "inpatient_share": Prob("Share of the disease's admissions, course months and "
                            "special-disease care paid in all by the layers.",
                            unit="share of the bill"),
    "groups": by_group(Bool(), "Groups whose patients get the floor."),
    "source": Str(doc="The rule's source (seed number or publication), or 'assumption'."),
})


class DiseaseFloors(Measure):
    """Payment floors on the bills of named diseases."""

    name = "disease_floors"
    title = "Per-disease payment floors"
    funded_by = "basic"  # the top-ups are paid by basic insurance
    PARAMS = Section({
        "enabled": enabled_flag(),
        "floors": Records(FLOOR, required=False, doc="One record per disease floor."),
    })
    INDICATORS = (
        Indicator("disease_floors_bills", "bills", "Bills raised to a disease's payment floor."),
        Indicator("disease_floors_topup_yuan", "yuan", "Basic insurance paid above the usual "
                  "chain to reach the disease floors."),
        cost("disease_floors", "the disease floors' top-ups"),
    )

    def compile(self) -> None:
        """Each floor in force as (code, chronic index or None, shares, groups)."""
        majors = [r["name"] for r in self.model.params["health"]["major"]]
        alone = self.model.care_tables.alone
        self.floors = []
        for rec in self.p["floors"] or []:
            key = f"policies.disease_floors.floors.{rec['name']}.disease"
            disease = rec["disease"]
            if disease == "tuberculosis":
                raise ScenarioError("", key, "tuberculosis floors belong to its own measure",
                                    "policies.tuberculosis.outpatient_share / inpatient_share")
            if disease in CHRONIC:
                d = CHRONIC.index(disease)
                if not alone[d]:
                    raise ScenarioError("", key, f"'{disease}' is not billed alone",
                                        f"set care.billed_alone.{disease} = true")
                code = d
            elif disease in majors:
                code = MAJOR_CODE + majors.index(disease)
            else:
                raise ScenarioError("", key, f"unknown disease '{disease}'",
                                    "one of " + ", ".join(
                                        [c for c in CHRONIC if c != "tuberculosis"] + majors))
            if self.on and rec["enabled"]:
                self.floors.append((code, rec["outpatient_share"], rec["inpatient_share"],
                                    group_array(rec["groups"], bool)))

    def payment_floor(self, kind: str, bills, disease=None) -> np.ndarray:
        """Each bill's highest floor among the floors in force that reach it (0: none)."""
        floor = np.zeros(len(bills))
        if not self.floors or not len(bills):
            return floor
        if disease is None:
            disease = np.full(len(bills), NO_DISEASE)
        diagnosed = self.model.pop.persons.diagnosed[bills.person]
        outpatient = kind in ("outpatient", "chronic")
        for code, out_share, in_share, groups in self.floors:
            hit = disease == code
            if code < MAJOR_CODE and kind in ("outpatient", "inpatient"):
                # episodes of care of a diagnosed patient (not another disease's course)
                hit |= (disease == NO_DISEASE) & ((diagnosed & np.uint8(1 << code)) != 0)
            hit &= groups[bills.group]
            if hit.any():
                floor = np.maximum(floor, np.where(hit, out_share if outpatient else in_share,
                                                   0.0))
        return floor

    def after_payment(self, kind: str, bills, paid) -> None:
        """Record the top-ups of the floored bills that are not tuberculosis bills.

        Top-ups of TB bills are the tuberculosis measure's.
        """
        if not self.floors or not len(bills) or bills.floor is None:
            return
        mine = (bills.floor > 0) & ~bills.tb & (paid.floor_topup > 0)
        if mine.any():
            persons, yuan = bills.person[mine], paid.floor_topup[mine]
            self.count("disease_floors_bills", self.by_group(persons))
            self.count("disease_floors_topup_yuan", self.by_group(persons, yuan))
            self.count("disease_floors_cost_yuan", self.by_group(persons, yuan))

