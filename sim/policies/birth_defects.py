"""Free birth-defect prevention programmes (出生缺陷防治) of seeds 000 and 004.

Three free services, each with its own coverage (share of the pregnancies, newborns or
couples it reaches) and cost per person served, paid by the programme (public money:
provincial, city and county funds in the seeds' provinces):

* **pre-pregnancy checks** (免费孕前优生健康检查, seeds 000, 004): the couples of the
  pregnancies reaching birth had the free check with chance ``pre_pregnancy.coverage``,
  counted when the birth is due. What the check finds (infections, maternal risk factors,
  the couples' counselling and folic acid) acts on conditions the model does not hold: the
  measure carries the service and its cost, no health effect.
* **prenatal screening** (免费唐氏综合征产前筛查, seed 004; screening and diagnosis network,
  seed 000): reaches the pregnancies whose uniform lies below ``prenatal.coverage`` and
  tests for ``prenatal.conditions``; diagnosis and what follows are those of any prenatal
  screening (``care.prenatal_screening``, ``sim.birth_screening``): a diagnosed pregnancy
  may end before birth, by the parents' decision.
* **newborn screening** (新生儿四种遗传代谢病免费筛查, seed 000; 免费新生儿规定疾病筛查,
  seed 004): reaches the newborns whose uniform lies below ``newborn.coverage`` and tests
  for ``newborn.conditions``; a case found is treated before the condition does harm.

Effect pathway (``screened_at_birth``): the programme screens, for free, pregnancies and
newborns that the scenario's own screening (``care.*_screening``: families paying, or
programmes the scenario does not model) reaches or not, and may test for more conditions.
Where families already paid for the same screening, the programme changes who pays (their
fee is not billed in the model, which bills no care at birth), not what is found; where it
reaches more, or tests for more, more conditions are found early, fewer children live with
the harm of a late diagnosis, and, prenatally, more affected pregnancies end.

Cost: per couple checked, per pregnancy screened and per newborn screened (the screening
fees; diagnosis and treatment are bills of the chain).
"""

from __future__ import annotations

import numpy as np

from sim.birth_screening import panel_mask
from sim.policies.base import Measure, cost, enabled_flag
from sim.results import Indicator
from sim.schema import Names, Prob, Section, Yuan

#: This measure's count of the persons each screening reaches.
SCREENED = {"prenatal": "birth_defects_prenatal_screened",
            "newborn": "birth_defects_newborns_screened"}


def _service(what: str, unit: str, reach: str, conditions: bool = True) -> Section:
    """The parameters of one free service: its reach, its panel and its fee."""
    fields = {"coverage": Prob(f"Share of the {what} the free programme serves. {reach}",
                               unit=f"share of {what}")}
    if conditions:
        fields["conditions"] = Names(doc="Congenital conditions of health.major the "
                                     "programme's test looks for (its panel).")
    fields["cost_yuan"] = Yuan(unit=unit, doc="What the programme pays for each one it "
                               "serves (the fee; diagnosis and treatment are bills).")
    return Section(fields)


SCREENING_REACH = ("It serves, for free, the {0} whose uniform lies below this share: "
                   "among them those the scenario's own screening (care.{1}_screening) "
                   "reaches, who would otherwise pay, and more where this share is higher.")


class BirthDefects(Measure):
    """Free pre-pregnancy checks, prenatal screening and newborn screening."""

    name = "birth_defects"
    title = "Free pre-pregnancy checks, prenatal and newborn screening"
    funded_by = "public_health"  # provincial, city and county public-health funds (seeds 000, 004)
    PARAMS = Section({
        "enabled": enabled_flag(),
        "pre_pregnancy": _service("couples of the pregnancies reaching birth",
                                  "yuan per couple checked", "No health effect is "
                                  "modelled (see the module).", conditions=False),
        "prenatal": _service("pregnancies", "yuan per pregnancy screened",
                             SCREENING_REACH.format("pregnancies", "prenatal")),
        "newborn": _service("newborns", "yuan per newborn screened",
                            SCREENING_REACH.format("newborns", "newborn")),
    })
    INDICATORS = (
        Indicator("birth_defects_couples_checked", "couples", "Couples given the free "
                  "pre-pregnancy check, counted when the birth is due."),
        Indicator("birth_defects_prenatal_screened", "pregnancies", "Pregnancies given free "
                  "prenatal screening."),
        Indicator("birth_defects_newborns_screened", "persons", "Newborns given free "
                  "newborn screening."),
        cost("birth_defects", "free pre-pregnancy checks, prenatal and newborn screening"),
    )

    def compile(self) -> None:
        """The programme's panels as bit masks over health.major."""
        majors = self.model.params["health"]["major"]
        self.panel = {kind: panel_mask(self.p[kind]["conditions"], majors)
                      for kind in ("prenatal", "newborn")}

    def screened_at_birth(self, kind: str, persons: np.ndarray, u: np.ndarray
                          ) -> np.ndarray:
        """The programme's panel for those its coverage reaches; records them and the cost.

        At the prenatal screening point, the couples' pre-pregnancy checks are recorded
        too (one keyed draw per pregnancy, stream ``birth_defects``).
        """
        if not self.on or len(persons) == 0:
            return np.zeros(len(persons), np.int64)
        p = self.p[kind]
        reached = u < p["coverage"]
        n = self.by_group(persons[reached])
        self.count(SCREENED[kind], n)
        self.count("birth_defects_cost_yuan", n * p["cost_yuan"])
        if kind == "prenatal":
            pre = self.p["pre_pregnancy"]
            draw = self.model.streams["birth_defects"].keyed(persons, self.model.current_month)
            couples = self.by_group(persons[draw < pre["coverage"]])
            self.count("birth_defects_couples_checked", couples)
            self.count("birth_defects_cost_yuan", couples * pre["cost_yuan"])
        return np.where(reached, self.panel[kind], 0).astype(np.int64)
