"""Screening: annual health checks and two-cancer screening of rural women (seeds 000-004).

Each year two campaigns run, each from ``campaign_start_month`` for ``campaign_months``:

* the **health check** invites a share of persons aged ``min_age`` and over (by group:
  Xinjiang's universal annual checks, seed 002; checks for cancer and cardiovascular
  disease, seed 000); what a check finds and costs is ``care.health_check``
  (``sim.checks``), and persons checked within the interval, e.g. by their family doctor,
  are not checked again;
* **two-cancer screening** invites women of ``cancer.age_min``-``cancer.age_max`` and finds
  cervical and breast cancers with their sensitivities.

Invited persons are given a month of the campaign at random; each month a campaign serves
at most its own capacity (persons per 10,000 population per month: health-check teams,
and the maternal and child health teams for two-cancer screening) in order of invitation,
the rest wait, and those not reached by the end of the campaign are missed.

Effect pathway: a case found by screening is diagnosed at its current stage, usually
earlier than it would have been found from symptoms, so major diseases are more often
treated early (cheaper, more cures, fewer deaths) and chronic diseases enter management
sooner. False positives cost a confirmation test.

Cost: per person screened, plus per confirmation (true and false positives).
Two-cancer screening costs ``cancer.cost_yuan`` a woman; the confirmation cost is
``care.health_check.confirmation_cost_yuan``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.checks import due_for_check, false_positives, find_major, health_check
from sim.parameters import by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Num, Prob, Section, Yuan


@dataclass
class Campaign:
    """One year's campaign: who is invited, in which month (sorted), and how far it got.

    Persons are served in invitation order, so those served are always the first
    ``cursor`` of them.
    """

    persons: np.ndarray
    month: np.ndarray
    cursor: int = 0


class Screening(Measure):
    """Health checks and two-cancer screening as capacity-limited annual campaigns."""

    name = "screening"
    title = "Health checks and screening"
    funded_by = "public_health"  # health checks and cancer screening are public-health programmes
    PARAMS = Section({
        "enabled": enabled_flag(),
        "campaign_start_month": Num("month of year", low=1, high=12, integer=True),
        "campaign_months": Num("months", low=1, high=12, integer=True),
        "capacity_per_10k_month": Num("persons per 10,000 population per month",
                                      "What the health-check teams can see.", low=0),
        "cancer_capacity_per_10k_month": Num("women per 10,000 population per month",
                                             "What the two-cancer screening teams (maternal "
                                             "and child health services) can see.", low=0),
        "health_check": Section({
            "coverage": by_group(Prob(unit="share invited per year")),
            "min_age": Num("years", low=0, high=100, integer=True),
        }, doc="The campaign's reach; what a check finds and costs is care.health_check."),
        "cancer": Section({
            "coverage": Prob(unit="share of eligible women invited per year"),
            "age_min": Num("years", low=0, high=100, integer=True),
            "age_max": Num("years", low=0, high=100, integer=True),
            "cervical_sensitivity": Prob(),
            "breast_sensitivity": Prob(),
            "specificity": Prob(),
            "cost_yuan": Yuan(unit="yuan per woman screened (both cancers)"),
        }),
    })
    INDICATORS = (
        Indicator("screening_invited", "persons", "Persons invited this month."),
        Indicator("screening_checked", "persons", "Health checks done."),
        Indicator("screening_cancer_screened", "persons", "Women screened for two cancers."),
        Indicator("screening_missed", "persons", "Invited persons not reached by the end of "
                  "the campaign."),
        Indicator("screening_chronic_found", "persons", "Chronic cases found by screening."),
        Indicator("screening_major_found_early", "persons", "Major diseases found early by "
                  "screening."),
        Indicator("screening_major_found_late", "persons", "Major diseases found late by "
                  "screening."),
        Indicator("screening_false_positives", "persons", "Positive screens without disease."),
        cost("screening", "screening and confirmation"),
    )

    def __init__(self, model):
        super().__init__(model)
        self.campaigns: dict[str, Campaign] = {}

    def processes(self, env):
        """Invite at the campaign start; serve each month within capacity."""
        return [self.every_month(self._month)]

    def _month(self, m: int) -> None:
        model = self.model
        moy = model.timeline.month_of_year(m)
        if moy == self.p["campaign_start_month"]:
            self._invite(m)
        if not self.campaigns:
            return
        per_10k = model.pop.persons.alive.sum() / 1e4
        for kind, key in (("health_check", "capacity_per_10k_month"),
                          ("cancer", "cancer_capacity_per_10k_month")):
            camp = self.campaigns.get(kind)
            if camp is None:
                continue
            ready = int(np.searchsorted(camp.month, m, side="right"))
            stop = min(ready, camp.cursor + int(self.p[key] * per_10k))
            self._screen(kind, camp.persons[camp.cursor:stop], m)
            camp.cursor = max(camp.cursor, stop)
        last = (moy - self.p["campaign_start_month"]) % 12 == self.p["campaign_months"] - 1
        if last:
            for camp in self.campaigns.values():
                self.count("screening_missed", self.by_group(camp.persons[camp.cursor:]))
            self.campaigns = {}

    def _invite(self, m: int) -> None:
        model = self.model
        P = model.pop.persons
        s = model.streams["screening"]
        hc = self.p["health_check"]
        ca = self.p["cancer"]
        # draws are keyed, so each is made only for those the age and sex rules admit
        adult = np.flatnonzero(P.alive & (P.age >= hc["min_age"]))
        women = np.flatnonzero(P.alive & P.female & (P.age >= ca["age_min"])
                               & (P.age <= ca["age_max"]))
        cov = group_array(hc["coverage"])
        invited = {
            "health_check": adult[s.keyed(adult, m, 0) < cov[model.pgroup[adult]]],
            "cancer": women[s.keyed(women, m, 1) < ca["coverage"]],
        }
        for slot, (kind, who) in enumerate(invited.items()):
            months = m + (s.keyed(who, m, 2 + slot) * self.p["campaign_months"]).astype(int)
            order = np.argsort(months, kind="stable")
            self.campaigns[kind] = Campaign(who[order], months[order])
            self.count("screening_invited", self.by_group(who))

    def _screen(self, kind: str, who: np.ndarray, m: int) -> None:
        """Apply one screening to ``who``: findings, false positives, costs."""
        if len(who) == 0:
            return
        model = self.model
        if kind == "health_check":
            due = due_for_check(model, who, m)
            out = health_check(model, due, m)
            self.count("screening_checked", out["checked"])
            self.count("screening_chronic_found", out["chronic_found"])
            self.count("screening_major_found_early", out["major_found_early"])
            self.count("screening_major_found_late", out["major_found_late"])
            self.count("screening_false_positives", out["false_positives"])
            self.count("screening_cost_yuan", out["cost"])
            return
        ca = self.p["cancer"]
        alive = who[model.pop.persons.alive[who]]
        early_c, late_c = find_major(model, alive, m, "cervical", ca["cervical_sensitivity"])
        early_b, late_b = find_major(model, alive, m, "breast", ca["breast_sensitivity"])
        early, late = early_c | early_b, late_c | late_b
        false_pos = false_positives(model, alive, early | late, m, ca["specificity"], 1)
        confirmed = early | late | false_pos
        confirm = model.params["care"]["health_check"]["confirmation_cost_yuan"]
        self.count("screening_cancer_screened", self.by_group(alive))
        self.count("screening_major_found_early", self.by_group(alive[early]))
        self.count("screening_major_found_late", self.by_group(alive[late]))
        self.count("screening_false_positives", self.by_group(alive[false_pos]))
        self.count("screening_cost_yuan", self.by_group(alive) * ca["cost_yuan"]
                   + self.by_group(alive[confirmed]) * confirm)
