"""Monitoring, early warning and assistance (监测预警与即时帮扶) (seeds 000, 003).

Sweeps run every ``cadence_months`` (0.25 = weekly, 1 = monthly with the claims data of
seed 003, 3 = quarterly) over the households of the monitored groups, and over those of
``sudden_hardship_groups`` for sudden severe hardship: a spending or disease trigger that
leaves them below the monitoring line (both must hold). A household is at
risk when its out-of-pocket spending over the last 12 months exceeds ``oop_threshold_yuan``
or ``oop_share_of_income_threshold`` of its income, when its per-capita net income falls
below ``income_threshold_factor`` times the poverty line (the monitoring line of about 1.5
times the poverty line), or, with ``major_disease_trigger``, when a member's major disease
has been found (with ``disability_trigger``, when a living member has a severe disability;
with ``special_family_trigger``, when it is a family-planning special family: seed 003's
focus groups). Each sweep finds an at-risk
household with probability ``detection``. A household found, and not helped within
``cooldown_months``, is approved for assistance: ``assistance_share`` of its 12-month
out-of-pocket spending (up to ``assistance_max_yuan``; medical and temporary assistance,
charity) plus ``temporary_yuan``, paid ``delay_months`` later as a cash transfer: income
of the month it arrives, never a reduction of out of pocket (DESIGN.md).

Approvals draw on an annual budget (``annual_budget_yuan`` for the whole area, scaled to
the simulated households); when it runs out, no more assistance is approved until the next
calendar year, the event is logged, and ``monitoring_budget_exhausted`` is 1 in the months
that follow.

Cost: the assistance approved plus administration per monitored household-year.
"""

from __future__ import annotations

import math

import numpy as np

from sim.parameters import by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.population import NO_MAJOR, severely_disabled, special_family
from sim.results import Indicator
from sim.schema import Bool, Num, Prob, Section, Yuan

NEVER = -10**6


class Monitoring(Measure):
    """Sweeps that find households at risk and send help after a delay, within a budget.

    Tables by group are read with ``take`` (numpy indexes with the int8 groups about
    three times slower).
    """

    name = "monitoring"
    title = "Monitoring, early warning and assistance"
    #: medical and temporary assistance (civil affairs), administration
    funded_by = "medical_assistance"
    PARAMS = Section({
        "enabled": enabled_flag(),
        "groups": by_group(Bool(), "Groups monitored for every trigger."),
        "sudden_hardship_groups": by_group(Bool(), "Further groups watched for sudden severe "
                                           "hardship (突发严重困难户): a spending or disease "
                                           "trigger that leaves them below the monitoring "
                                           "line."),
        "cadence_months": Num("months", "Time between sweeps (0.25 weekly, 1 monthly).",
                              low=0.05, high=12),
        "oop_threshold_yuan": Yuan(unit="yuan per household over 12 months", doc="Out of "
                                   "pocket above which a household is at risk."),
        "oop_share_of_income_threshold": Num(
            "share of income", "Out of pocket over the last 12 months above this share of the "
            "household's income over them puts it at risk (spending that affects basic "
            "living, seed 003); 0: not used.", low=0, high=10),
        "major_disease_trigger": Bool(doc="A household with a member whose major disease "
                                      "has been found is at risk (seed 000: focus on major "
                                      "and severe illness)."),
        "disability_trigger": Bool(
            doc="A household with a living member with a severe disability "
            "(health.severe_disability_share) is at risk (seed 003: families with disabled "
            "older people or severely disabled members are focus groups). Absent: false.",
            required=False, fallback=False),
        "special_family_trigger": Bool(
            doc="A family-planning special family (population.special_family_share) is at "
            "risk (seed 003's focus groups). Absent: false.", required=False,
            fallback=False),
        "income_threshold_factor": Num("x poverty line", "Per-capita net income below this "
                                       "multiple of the line puts a household at risk.",
                                       low=0, high=10),
        "detection": Prob("Chance that a sweep finds an at-risk household.",
                          unit="per sweep"),
        "delay_months": Num("months", "From approval to payment.", low=0, high=24),
        "assistance_share": Prob("Share of the 12-month out of pocket paid back."),
        "assistance_max_yuan": Yuan(unit="yuan per household per approval"),
        "temporary_yuan": Yuan(unit="yuan per household per approval", doc="Lump-sum "
                               "temporary assistance."),
        "cooldown_months": Num("months", "No new approval this soon after the last.", low=0,
                               high=60, integer=True),
        "annual_budget_yuan": Yuan(unit="yuan per year for the whole area"),
        "admin_yuan_per_household_year": Yuan(unit="yuan per monitored household-year"),
    })
    INDICATORS = (
        Indicator("monitoring_households", "households", "Households monitored.", "last"),
        Indicator("monitoring_at_risk", "households", "Households at risk at the month's "
                  "first sweep.", "last"),
        Indicator("monitoring_found", "households", "At-risk households found (approved or "
                  "refused for budget)."),
        Indicator("monitoring_assisted", "households", "Households approved for assistance."),
        Indicator("monitoring_assistance_yuan", "yuan", "Assistance approved."),
        Indicator("monitoring_assistance_arrived_yuan", "yuan", "Assistance paid out."),
        Indicator("monitoring_refused_budget", "households", "Found households not helped "
                  "because the budget had run out."),
        Indicator("monitoring_budget_exhausted", "flag", "1 when the year's budget has run "
                  "out.", "max", by_group=False),
        Indicator("monitoring_budget_left_yuan", "yuan", "Budget left (area, scaled to the "
                  "simulated households).", "last", by_group=False),
        cost("monitoring", "assistance and monitoring administration"),
    )

    def __init__(self, model):
        super().__init__(model)
        self.last_help = np.full(model.pop.households.n, NEVER, np.int64)
        self.budget_left = 0.0
        self.budget_year = None
        self.exhausted = False

    def compile(self) -> None:
        """Monitored groups."""
        self.monitored_groups = group_array(self.p["groups"], bool)
        self.watched_groups = self.monitored_groups | group_array(
            self.p["sudden_hardship_groups"], bool)

    def processes(self, env):
        """Monthly bookkeeping, and the sweeps at their own cadence."""
        return [self.every_month(self._month), self._sweeps(env)]

    def _scaled_budget(self) -> float:
        pop = self.model.params["population"]
        return self.p["annual_budget_yuan"] * self.model.pop.sample_households / pop[
            "represents_households"]

    def _new_year_if_due(self, m: int) -> None:
        year = self.model.year(m)
        if year != self.budget_year:
            self.budget_year = year
            self.budget_left = self._scaled_budget()
            self.exhausted = False

    def _month(self, m: int) -> None:
        self._new_year_if_due(m)
        H = self.model.pop.households
        watched = np.flatnonzero(self.monitored_groups.take(H.group) & (H.size > 0))
        n = np.bincount(H.group[watched], minlength=5)
        self.count("monitoring_households", n)
        self.count("monitoring_cost_yuan", n * self.p["admin_yuan_per_household_year"] / 12)
        self.count("monitoring_budget_exhausted", float(self.exhausted))
        self.count("monitoring_budget_left_yuan", self.budget_left)

    def _sweeps(self, env):
        model = self.model
        t = model._at(0, "sweep")
        end = model.timeline.n_months
        sweep = 0
        last_month_counted = -1
        while t < end:
            yield model._wait_until(t)
            m = int(t)
            if self.on and model.status is not None:
                self._new_year_if_due(m)
                self._sweep(m, t, sweep, first=m != last_month_counted)
                last_month_counted = m
            sweep += 1
            t += self.p["cadence_months"]

    def _major_found(self, households: np.ndarray) -> np.ndarray:
        """Whether each household has a living member with a found major disease."""
        P, H = self.model.pop.persons, self.model.pop.households
        ill = np.flatnonzero((P.major != NO_MAJOR) & P.major_found & P.alive)
        has = np.zeros(H.n, bool)
        has[P.hh[ill]] = True
        return has[households]

    def _disabled(self, households: np.ndarray) -> np.ndarray:
        """Whether each household has a living member with a severe disability."""
        P, H = self.model.pop.persons, self.model.pop.households
        living = np.flatnonzero(P.alive)
        has = np.zeros(H.n, bool)
        has[P.hh[living[severely_disabled(self.model, living)]]] = True
        return has[households]

    def _sweep(self, m: int, t: float, sweep: int, first: bool) -> None:
        model = self.model
        H, acc = model.pop.households, model.accounts
        watched = np.flatnonzero(self.watched_groups.take(H.group) & (H.size > 0))
        net_pc = acc.net_per_capita(watched)
        oop = acc.sum_oop[watched]
        low_income = net_pc < self.p["income_threshold_factor"] * model.poverty_line(m)
        hardship = oop > self.p["oop_threshold_yuan"]
        share = self.p["oop_share_of_income_threshold"]
        if share > 0:
            hardship |= oop > share * np.maximum(acc.sum_income[watched], 0.0)
        if self.p["major_disease_trigger"]:
            hardship |= self._major_found(watched)
        if self.p["disability_trigger"]:
            hardship |= self._disabled(watched)
        if self.p["special_family_trigger"]:
            hardship |= special_family(model, watched)
        target = self.monitored_groups.take(H.group[watched])
        # target groups: any trigger; others: illness that pushes them below the line
        risk = np.where(target, hardship | low_income, hardship & low_income)
        at_risk = watched[risk]
        if first:
            self.count("monitoring_at_risk", np.bincount(H.group[at_risk], minlength=5))
        seen = model.streams["monitoring"].keyed(at_risk, m, sweep) < self.p["detection"]
        found = at_risk[seen & (m - self.last_help[at_risk] >= self.p["cooldown_months"])]
        if len(found) == 0:
            return
        self.count("monitoring_found", np.bincount(H.group[found], minlength=5))
        model.registry.identify(found, m)
        amount = np.minimum(self.p["assistance_share"] * np.maximum(acc.sum_oop[found], 0.0),
                            self.p["assistance_max_yuan"]) + self.p["temporary_yuan"]
        if self.exhausted:
            self.count("monitoring_refused_budget", np.bincount(H.group[found], minlength=5))
            return
        cum = np.cumsum(amount)
        fits = cum <= self.budget_left
        if not fits.all():
            # the budget runs out within this sweep: the first household that does not fit
            # gets what is left, the rest nothing until next year
            k = int(fits.sum())
            amount = amount[: k + 1].copy()
            amount[k] = self.budget_left - (cum[k - 1] if k else 0.0)
            refused = found[k + 1:]
            found = found[: k + 1]
            self.exhausted = True
            self.count("monitoring_budget_exhausted", 1.0)
            self.count("monitoring_refused_budget", np.bincount(H.group[refused], minlength=5))
            model.log(m, "monitoring budget exhausted", year=model.year(m),
                      refused_households=int(len(refused)))
        self.budget_left -= float(amount.sum())
        self.last_help[found] = m
        g = H.group[found]
        self.count("monitoring_assisted", np.bincount(g, minlength=5))
        self.count("monitoring_assistance_yuan", np.bincount(g, weights=amount, minlength=5))
        self.count("monitoring_cost_yuan", np.bincount(g, weights=amount, minlength=5))
        pay_month = math.ceil(t + self.p["delay_months"] - 0.5)
        model.schedule_transfer(pay_month, found, amount, "monitoring_assistance")
