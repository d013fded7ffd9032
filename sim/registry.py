"""The poverty registry (建档立卡): who is registered, why, and when they exit.

The counts that evaluators hold are registry counts, not the model's truth (DESIGN.md):
households registered as poor whose *recorded* main cause is illness, until the registry
records their exit. This module keeps the registry beside the model's truth:

* **Status** per household (``sim.population``): registered poor not yet exited
  (``registered``), exited (``formerly_poor``, 脱贫户), identified as a monitored object
  (``monitored``, 监测对象), or none; and the recorded main cause (``cause_illness``).
* **Programmes**: each month, registered poor households not yet reached by a non-health
  programme (employment, industry, relocation, transfers) join it at its yearly rate and
  gain its income for good (``registry.programmes``).
* **Exits by assessment**: every ``assessment_interval_months`` the registry checks each
  registered poor household against the income standard (per-capita net income over the
  last 12 months at least ``income_x_line`` times the line) and the guarantees (every
  member insured; the guarantees not modelled pass with ``other_guarantees_share``);
  eligible households are processed with ``processing_share``. Monitored objects whose
  income reaches ``monitored_exit_income_x_line`` times the line leave monitoring.
* **The exit plan's batches** (``exit.without_labour_from``): households without labour
  capacity (no member of working age as the registry counts it, ``exit.labour_age_max``)
  may be left for the plan's social-security batch (社会保障兜底一批) from a later month,
  while households with labour exit in the development batches before it.
* **Identification of monitored objects**: a measure (``policies.monitoring``) calls
  :meth:`Registry.identify` when it finds a household at risk; after
  ``identification_lag_months`` (verification and approval) it is a monitored object.
* **Groups that change**: ``group_change.lag_months`` later a new monitored object whose
  income is below the minimum-guarantee standard moves into that group, and one of no
  target group becomes marginal (``Model.regroup``): from then on it has the new group's
  transfers, payment terms and measures.
* **Risk eliminated**: a household that monitoring moved from no target group into the
  marginal group returns to the other group when its risk is eliminated
  (``group_change.marginal_back_to_other``).
* **Leaving the minimum guarantee**: every ``group_change.minimum_guarantee_review_months``
  each minimum-guarantee household's own income (net of the guarantee) is checked against
  the standard; one at or above it leaves after ``minimum_guarantee_grace_months`` (the
  gradual exit), into the formerly-poor group if it had exited registered poverty, else the
  marginal group.

Nothing moves before ``registry.active_from`` (default: the first reported month; a month
before the warm-up's start means from the warm-up's start), so the registry at that date is
the scenario's initial condition.

An exit of an illness-labelled household is attributed to a programme when the household
would have failed the income test without that programme's income (the programme with the
largest gain, if several), otherwise to "other" (earned-income growth, transfers, lower
illness costs). Households whose members have all died leave the registry as dissolved.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import unique
from sim.health import household_members
from sim.parameters import GROUPS, PROGRAMMES
from sim.results import Indicator
from sim.schema import dated_value
from sim.timeline import parse_month

N_GROUPS = len(GROUPS)

def _counted(name: str, doc: str) -> tuple[Indicator, Indicator]:
    """A count of households and its twin in persons (DESIGN: every count in persons)."""
    return (Indicator(f"{name}_households", "households", doc),
            Indicator(f"{name}_persons", "persons", "Persons in them."))


INDICATORS: tuple[Indicator, ...] = (
    *_counted("registry_exits", "Registered poor households whose exit the registry "
              "recorded this month."),
    *_counted("registry_exits_illness", "Of which recorded as poor due to illness."),
    *[ind for p in PROGRAMMES for ind in _counted(
        f"registry_exits_illness_{p}", f"Illness-labelled exits that needed the {p} "
        "programme's income.")],
    *_counted("registry_exits_illness_other", "Illness-labelled exits that no programme "
              "decided (income growth, transfers, lower illness costs)."),
    # its persons are 0 by definition: they are in registry_deaths_illness_persons
    Indicator("registry_dissolved_illness_households", "households", "Illness-labelled "
              "registered households whose members have all died."),
    Indicator("registry_deaths_illness_persons", "persons", "Deaths of members of "
              "registered illness-labelled households (registered persons lost)."),
    Indicator("registry_births_illness_persons", "persons", "Births into registered "
              "illness-labelled households (registered persons gained)."),
    Indicator("registry_left_illness_persons", "persons", "Members of registered "
              "illness-labelled households who left to form a new household "
              "(sim.formation) or to marry into another (sim.marriage; registered persons "
              "lost)."),
    Indicator("registry_returned_illness_persons", "persons", "Migrants who came back to "
              "registered illness-labelled households (sim.migration; registered persons "
              "gained)."),
    Indicator("registry_married_in_illness_persons", "persons", "Brides who moved into "
              "registered illness-labelled households (sim.marriage; registered persons "
              "gained)."),
    *_counted("registry_programme_joins", "Registered poor households joining a "
              "non-health programme (one count per programme)."),
    *_counted("registry_monitored_new", "Households identified as monitored objects this "
              "month."),
    *_counted("registry_monitored_exits", "Monitored objects whose risk was eliminated "
              "this month."),
    *_counted("registry_group_changes", "Monitored objects moved into another target "
              "group this month (counted in the new group)."),
    *_counted("registry_guarantee_exits", "Households leaving the minimum guarantee this "
              "month after a review (counted in the new group)."),
    *_counted("registry_marginal_exits", "Households that monitoring had made marginal, "
              "back in the other group once their risk was eliminated (counted in the new "
              "group)."),
)
#: The counts in persons (the twins :meth:`Registry._count` fills).
PERSONS_COUNTS = frozenset(i.name for i in INDICATORS if i.unit == "persons")


class Registry:
    """The registry of one model: programmes, exit assessments and monitored objects."""

    def __init__(self, model):
        self.model = model
        H = model.pop.households
        self.gain = np.zeros((H.n, len(PROGRAMMES)), np.float32)  # yuan per person-year
        tl = model.timeline
        start = model.params["registry"]["active_from"]
        self.active_from = tl.index(parse_month(start)) if start else tl.warmup
        self.pending: dict[int, np.ndarray] = {}  # month -> households to identify
        self.regroup_due: dict[int, np.ndarray] = {}  # month -> monitored objects to regroup
        self.leave_due: dict[int, np.ndarray] = {}  # month -> households leaving the guarantee
        #: households that monitoring moved from no target group into the marginal group
        self.made_marginal = np.zeros(H.n, bool)

    @property
    def p(self) -> dict:
        """The registry rules in force."""
        return self.model.params["registry"]

    def active(self, m: int) -> bool:
        """Whether the registry moves in month ``m``."""
        return m >= self.active_from

    # ---- hooks ---------------------------------------------------------------------------
    def identify(self, households: np.ndarray, m: int) -> None:
        """Households found at risk become monitored objects after the identification lag.

        Registered poor households are already followed and are not added.
        """
        if not self.active(m) or len(households) == 0:
            return
        due = m + self.p["identification_lag_months"]
        self.pending[due] = np.concatenate([self.pending.get(due, np.zeros(0, np.int64)),
                                            households])

    def _identified(self, m: int) -> None:
        households = self.pending.pop(m, None)
        if households is None:
            return
        H = self.model.pop.households
        households = unique(households)
        new = households[~H.monitored[households] & ~H.registered[households]
                         & (H.size[households] > 0)]
        H.monitored[new] = True
        self._count("registry_monitored_new_households", new)
        due = m + self.p["group_change"]["lag_months"]
        self.regroup_due[due] = np.concatenate([self.regroup_due.get(due, np.zeros(
            0, np.int64)), new])

    def _regroup(self, m: int) -> None:
        """New monitored objects move into the group that civil affairs approve.

        Minimum guarantee when their per-capita net income is below the standard
        (``minimum_guarantee_standard_yuan``, else ``minimum_guarantee_income_x_line``
        times the line) and the review admits them
        (``minimum_guarantee_share``), else marginal when they were in no target group
        (``other_to_marginal``).
        """
        households = self.regroup_due.pop(m, None)
        if households is None:
            return
        H = self.model.pop.households
        households = households[H.size[households] > 0]
        rules = self.p["group_change"]
        g = H.group[households]
        new = g.copy()
        mg, marginal, other = (GROUPS.index(x) for x in ("minimum_guarantee", "marginal",
                                                          "other"))
        if rules["other_to_marginal"]:
            new[g == other] = marginal
        can_enter = (g != GROUPS.index("extremely_poor")) & (g != mg)
        standard = self._guarantee_standard(m)
        below = self._net_per_capita(households) < standard
        admitted = self.model.streams["registry"].keyed(households, m, 9) < rules[
            "minimum_guarantee_share"]
        new[can_enter & below & admitted & (standard > 0)] = mg
        moved = new != g
        if moved.any():
            self.model.regroup(households[moved], new[moved])
            self._count("registry_group_changes_households", households[moved])
            self.made_marginal[households[moved & (new == marginal)]] = True

    def _guarantee_standard(self, m: int) -> float:
        """The minimum-guarantee standard in month ``m``, yuan per person-year."""
        rules = self.p["group_change"]
        table = rules["minimum_guarantee_standard_yuan"]
        if table:
            return float(dated_value(table, self.model.year(m)))
        return rules["minimum_guarantee_income_x_line"] * self.model.poverty_line(m)

    def _review_guarantee(self, m: int) -> None:
        """Review minimum-guarantee households; those above the standard will leave.

        Reviews fall every ``minimum_guarantee_review_months`` after ``active_from``. A
        household passes when its per-capita net income over the last 12 months, less the
        guarantee's own transfer, reaches the standard; it leaves after the grace months.
        """
        model, rules = self.model, self.p["group_change"]
        every = rules["minimum_guarantee_review_months"]
        if every <= 0 or m == self.active_from or (m - self.active_from) % every:
            return
        H = model.pop.households
        members = np.flatnonzero((H.group == GROUPS.index("minimum_guarantee")) & (H.size > 0))
        own = self._net_per_capita(members) - H.transfer_pp_year[members]
        standard = self._guarantee_standard(m)
        due = m + rules["minimum_guarantee_grace_months"]
        self.leave_due[due] = np.concatenate([self.leave_due.get(due, np.zeros(0, np.int64)),
                                              members[own >= standard]])

    def _leave_guarantee(self, m: int) -> None:
        """Households whose grace ends leave the guarantee.

        Into the formerly-poor group if they had exited registered poverty, else marginal.
        """
        H = self.model.pop.households
        leaving = self.leave_due.pop(m, None)
        if leaving is None:
            return
        leaving = leaving[(H.group[leaving] == GROUPS.index("minimum_guarantee"))
                          & (H.size[leaving] > 0)]
        if len(leaving):
            new = np.where(H.formerly_poor[leaving], GROUPS.index("formerly_poor"),
                           GROUPS.index("marginal")).astype(np.int8)
            self.model.regroup(leaving, new)
            self._count("registry_guarantee_exits_households", leaving)

    def on_births(self, born: np.ndarray) -> None:
        """Count births in registered illness-labelled households (registered persons)."""
        H, P = self.model.pop.households, self.model.pop.persons
        hh = P.hh[born]
        new = born[H.registered[hh] & H.cause_illness[hh]]
        self.model.month_counts["registry_births_illness_persons"] += self.model._by_group(
            new)

    def on_deaths(self, died: np.ndarray) -> None:
        """Count deaths in registered illness-labelled households."""
        H, P = self.model.pop.households, self.model.pop.persons
        hh = P.hh[died]
        lost = died[H.registered[hh] & H.cause_illness[hh]]
        self.model.month_counts["registry_deaths_illness_persons"] += self.model._by_group(
            lost)

    def on_joined(self, joined: np.ndarray, how: str) -> None:
        """Count persons who joined registered illness-labelled households.

        ``how``: "returned" (migrants back, sim.migration) or "married_in" (brides,
        sim.marriage), counted in ``registry_<how>_illness_persons``.
        """
        H, P = self.model.pop.households, self.model.pop.persons
        hh = P.hh[joined]
        came = joined[H.registered[hh] & H.cause_illness[hh]]
        self.model.month_counts[f"registry_{how}_illness_persons"] += (
            self.model._by_group(came))

    def on_left(self, left: np.ndarray) -> None:
        """Count members leaving registered illness-labelled households (sim.formation)."""
        H, P = self.model.pop.households, self.model.pop.persons
        hh = P.hh[left]
        lost = left[H.registered[hh] & H.cause_illness[hh]]
        self.model.month_counts["registry_left_illness_persons"] += self.model._by_group(
            lost)

    # ---- the monthly process -------------------------------------------------------------
    def month(self, m: int) -> None:
        """Dissolved households, and, once the registry is active, programmes and exits.

        Households whose members have all gone leave the registry in the month they do,
        active or not, so that the counts of dissolved households match the stock's (a
        household that ended before the registry's start was once counted as dissolved in
        its first month).
        """
        self._dissolve()
        if not self.active(m):
            return
        self._identified(m)
        self._regroup(m)
        self._review_guarantee(m)
        self._leave_guarantee(m)
        self._programmes(m)
        if (m - self.active_from + 1) % self.p["exit"]["assessment_interval_months"] == 0:
            self._assess(m)

    def _programmes(self, m: int) -> None:
        H = self.model.pop.households
        registered = np.flatnonzero(H.registered & (H.size > 0))
        if len(registered) == 0:
            return
        stream = self.model.streams["registry"]
        for k, name in enumerate(PROGRAMMES):
            prog = self.p["programmes"][name]
            waiting = registered[self.gain[registered, k] == 0]
            if prog["reach_per_year"] <= 0 or prog["income_gain_yuan"] <= 0 or not len(
                    waiting):
                continue
            p = 1.0 - np.exp(-prog["reach_per_year"] / 12.0)
            joined = waiting[stream.keyed(waiting, m, k) < p]
            gain = np.full(len(joined), float(prog["income_gain_yuan"]))
            if prog["per"] == "worker":
                workers = self._workers(joined)
                joined, gain = joined[workers > 0], (gain * workers / np.maximum(
                    H.size[joined], 1))[workers > 0]
            self.gain[joined, k] = gain
            H.programme_pp_year[joined] += gain.astype(np.float32)
            self._count("registry_programme_joins_households", joined)

    def _workers(self, households: np.ndarray, age_max: int | None = None) -> np.ndarray:
        """Living members of working age in each of ``households``.

        Working age runs from ``population.worker_age_min`` to ``age_max`` years
        (default ``population.worker_age_max``, the ages that earn).
        """
        model = self.model
        P, pop = model.pop.persons, model.params["population"]
        members = household_members(model, households)
        age = P.age[members]
        top = pop["worker_age_max"] if age_max is None else age_max
        working = P.alive[members] & (age >= pop["worker_age_min"]) & (age <= top)
        which = np.repeat(np.arange(len(households)), model.hh_size0[households])
        return np.bincount(which, weights=working, minlength=len(households))

    def _dissolve(self) -> None:
        H = self.model.pop.households
        gone = np.flatnonzero(H.registered & (H.size <= 0))
        if len(gone):
            self._count("registry_dissolved_illness_households", gone[H.cause_illness[gone]])
            H.registered[gone] = False

    def _net_per_capita(self, households: np.ndarray) -> np.ndarray:
        """Per-capita net income over the last 12 months (yuan per person-year)."""
        return self.model.accounts.net_per_capita(households)

    def _assess(self, m: int) -> None:
        model = self.model
        H = model.pop.households
        rules = self.p["exit"]
        line = model.poverty_line(m)
        stream = model.streams["registry"]
        cand = np.flatnonzero(H.registered & (H.size > 0))
        if len(cand):
            net = self._net_per_capita(cand)
            need = rules["income_x_line"] * line
            ok = net >= need
            if rules["requires_insurance"]:
                ok &= self._all_insured(cand)
            ok &= stream.keyed(cand, m, 10) < rules["other_guarantees_share"]
            ok &= stream.keyed(cand, m, 11) < rules["processing_share"]
            if not self._labourless_may_exit(m):
                ok &= self._workers(cand, rules["labour_age_max"]) > 0
            self._exit(cand[ok], net[ok], need)
        watched = np.flatnonzero(H.monitored & (H.size > 0))
        if len(watched):
            safe = self._net_per_capita(watched) >= self.p["monitored_exit_income_x_line"] * line
            H.monitored[watched[safe]] = False
            self._count("registry_monitored_exits_households", watched[safe])
            self._back_to_other(watched[safe])

    def _back_to_other(self, households: np.ndarray) -> None:
        """Households whose risk is eliminated leave the marginal group monitoring put them in.

        With ``group_change.marginal_back_to_other``: the group's terms were for the risk.
        """
        if not self.p["group_change"]["marginal_back_to_other"]:
            return
        H = self.model.pop.households
        back = households[self.made_marginal[households]
                          & (H.group[households] == GROUPS.index("marginal"))]
        self.made_marginal[households] = False
        if len(back):
            self.model.regroup(back, np.full(len(back), GROUPS.index("other"), np.int8))
            self._count("registry_marginal_exits_households", back)

    def move_slots(self, ended: np.ndarray, spare: np.ndarray) -> None:
        """New households form in ``spare`` blocks, not in the ``ended`` ones' slots.

        Called by ``sim.formation``: whether monitoring made those marginal moves with them.
        """
        self.made_marginal[spare] = self.made_marginal[ended]
        self.made_marginal[ended] = False

    def forget(self, households: np.ndarray) -> None:
        """New households take these slots: none was made marginal by monitoring.

        With ``marginal_back_to_other`` one that took the slot of such a household (and its
        group) starts in the other group instead.
        """
        made = households[self.made_marginal[households]]
        self.made_marginal[made] = False
        H = self.model.pop.households
        made = made[H.group[made] == GROUPS.index("marginal")]
        if len(made) and self.p["group_change"]["marginal_back_to_other"]:
            self.model.regroup(made, np.full(len(made), GROUPS.index("other"), np.int8))

    def _labourless_may_exit(self, m: int) -> bool:
        """Whether households without labour capacity may exit in month ``m``.

        Under the exit plans of 2016-2020 households with labour left poverty through
        production and employment (the development batches), those unable to work through
        the minimum guarantee's support (the social-security batch, 社会保障兜底一批),
        here from ``without_labour_from``. Without labour capacity means no living member
        from ``population.worker_age_min`` to ``exit.labour_age_max`` (:meth:`_workers`);
        members of those ages disabled by illness still count as labour.
        """
        start = self.p["exit"]["without_labour_from"]
        return start is None or m >= self.model.timeline.index(parse_month(start))

    def _all_insured(self, households: np.ndarray) -> np.ndarray:
        """Whether every living member of each household is insured."""
        model = self.model
        P = model.pop.persons
        members = household_members(model, households)
        members = members[P.alive[members]]
        uninsured = members[~model.insured(members)]
        bad = np.zeros(model.pop.households.n, bool)
        bad[P.hh[uninsured]] = True
        return ~bad[households]

    def _exit(self, households: np.ndarray, net: np.ndarray, need: float) -> None:
        H = self.model.pop.households
        H.registered[households] = False
        H.formerly_poor[households] = True
        self._count("registry_exits_households", households)
        ill = H.cause_illness[households]
        who, net = households[ill], net[ill]
        self._count("registry_exits_illness_households", who)
        gains = self.gain[who].astype(float)  # yuan per person-year, by programme
        needed = (net[:, None] - gains) < need  # would fail without that programme
        decided = needed.any(axis=1)
        owner = np.argmax(np.where(needed, gains, -1.0), axis=1)
        for k, name in enumerate(PROGRAMMES):
            self._count(f"registry_exits_illness_{name}_households", who[decided & (owner == k)])
        self._count("registry_exits_illness_other_households", who[~decided])

    def _count(self, name: str, households: np.ndarray) -> None:
        """Add ``households`` to the month's count ``name``, by group.

        When ``name`` has a twin in persons (``..._persons``), their members go into it.
        """
        H, counts = self.model.pop.households, self.model.month_counts
        g = H.group[households]
        counts[name] += np.bincount(g, minlength=N_GROUPS)
        persons = name.removesuffix("_households") + "_persons"
        if persons in PERSONS_COUNTS:
            counts[persons] += np.bincount(g, weights=H.size[households], minlength=N_GROUPS)

    def nbytes(self) -> int:
        """Memory held."""
        return self.gain.nbytes
