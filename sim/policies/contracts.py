"""Family-doctor contracts (家庭医生签约) and management of the four chronic diseases.

Signing: each person holds one fixed uniform; a person is contracted while it lies below
the coverage target of their group (``coverage_chronic`` for diagnosed patients of the four
diseases, who are signed first), scaled by a ramp from ``initial_share_of_target`` to 1
over ``signing_months``. Targets: coverage >90% of the rural low-income population (seed
004), full coverage with informed consent (seeds 003, 004).

Follow-ups: a contracted patient is due every ``followup_interval_months`` (quarterly by
the basic public-health standard), every ``abnormal_interval_months`` while a disease is
not under control (seed 003). Each township's teams can serve ``followups_per_10k_month``
follow-ups per 10,000 residents a month, a stock of follow-ups per township refilled
monthly (numpy arrays, like a SimPy ``Container`` per township without its events); the
longest-waiting are served first, the rest wait, and a follow-up not served within
``max_wait_months`` is missed.

Effect pathway: a served follow-up brings an unmanaged patient into management with
probability ``followup_manage_share``; a managed patient followed up on time drops out of
management ``dropout_factor`` times as often; contracted patients diagnosed anew start
management with probability ``manage_on_diagnosis``. Managed patients have fewer
admissions, less lost work and lower excess mortality (``health.chronic``).

Contracted persons also take a free health check once a year (``annual_check_share``,
seed 004), in a month of their own; what it finds and costs is ``care.health_check``.

Cost: the contract fee per contracted person-year, each follow-up served, and the yearly
checks.
"""

from __future__ import annotations

import numpy as np

from sim.arrays import unique
from sim.checks import due_for_check, health_check
from sim.parameters import GROUPS, by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.results import Indicator
from sim.schema import Bool, Num, Prob, Section, Yuan

NEVER = -32000


def counts_by_group(groups: np.ndarray, masks) -> np.ndarray:
    """For each bool mask over the same persons, how many have it set in each group.

    ``groups`` are the persons' group codes. A comparison per group, shared by the masks:
    over the whole population several times quicker than counting the selected persons'
    gathered groups (``Model._by_group``). One row per mask.
    """
    out = np.zeros((len(masks), len(GROUPS)), np.int64)
    for k in range(len(GROUPS)):
        in_group = groups == k
        for i, mask in enumerate(masks):
            out[i, k] = np.count_nonzero(in_group & mask)
    return out


class Contracts(Measure):
    """Signing, follow-ups under team capacity, and their effect on management."""

    name = "contracts"
    title = "Family-doctor contracts"
    #: basic public health service funds pay the contract services (seeds 000, 004)
    funded_by = "public_health"
    STATIC = ("followups_per_10k_month",)
    PARAMS = Section({
        "enabled": enabled_flag(),
        "coverage": by_group(Prob(), "Target share of persons with a contract."),
        "coverage_chronic": by_group(Prob(), "Target share among diagnosed patients of the "
                                     "four diseases."),
        "initial_share_of_target": Prob("Share of the targets already reached at the first "
                                        "simulated month."),
        "signing_months": Num("months", "Months to reach the targets.", low=1, high=120,
                              integer=True),
        "followup_interval_months": Num("months", low=1, high=12, integer=True),
        "abnormal_interval_months": Num("months", "Interval while a disease is not under "
                                        "management.", low=1, high=12, integer=True),
        "followups_per_10k_month": Num("follow-ups per 10,000 population per month",
                                       "Team capacity; each township's share follows its "
                                       "population.", low=0),
        "max_wait_months": Num("months", "A due follow-up not served within this is "
                               "missed.", low=0, high=12, integer=True),
        "manage_on_diagnosis": Prob("Contracted patients diagnosed anew who start "
                                    "management."),
        "followup_manage_share": Prob("Unmanaged patients brought into management by a "
                                      "follow-up."),
        "dropout_factor": Num("factor", "Dropout of a managed patient followed up on time, "
                              "relative to no contract.", low=0, high=1),
        "start_management_at_steady_state": Bool(
            doc="Draw the start's management of each diagnosed patient at the share the "
            "model's own flows keep, by whether they will be contracted "
            "(Contracts._start_management), instead of the population's managed_share "
            "for all (steady_state: a start at steady state). Absent: false.",
            required=False, fallback=False),
        "annual_check_share": Prob("Share of contracted persons who take the free yearly "
                                   "health check (seed 004)."),
        "fee_yuan_per_contract_year": Yuan(unit="yuan per contracted person-year"),
        "cost_yuan_per_followup": Yuan(unit="yuan per follow-up"),
    })
    INDICATORS = (
        Indicator("contracts_persons", "persons", "Persons with a contract.", "last"),
        Indicator("contracts_patients", "persons", "Contracted diagnosed patients of the "
                  "four diseases.", "last"),
        Indicator("contracts_signed", "persons", "New contracts."),
        Indicator("followups_due", "follow-ups", "Follow-ups due (incl. waiting)."),
        Indicator("followups_served", "follow-ups", "Follow-ups served."),
        Indicator("followups_missed", "follow-ups", "Follow-ups missed after waiting."),
        Indicator("followups_brought_into_management", "persons", "Unmanaged patients "
                  "managed after a follow-up."),
        Indicator("contracts_checks", "persons", "Free yearly health checks of contracted "
                  "persons."),
        Indicator("contracts_check_findings", "persons", "Diseases found by those checks "
                  "(chronic and major)."),
        cost("contracts", "contract fees and follow-ups"),
    )

    def __init__(self, model):
        super().__init__(model)
        P = model.pop.persons
        self.u = model.streams["contracts"].keyed(np.arange(P.n), 0)
        self.contracted = np.zeros(P.n, bool)
        self.n_contracted = np.zeros(len(GROUPS))  # living contracted persons by group
        self.due = np.full(P.n, NEVER, np.int32)
        self.last_served = np.full(P.n, NEVER, np.int32)
        self._born: list[np.ndarray] = []  # born since the last signing
        # follow-ups each township's teams can serve in a month, and what is left this month
        self.team_capacity = np.zeros(0)
        self.team_level = np.zeros(0)
        # each person's month of the year for the free check, and whether they take it
        check = model.streams["contracts"].keyed_parts(np.arange(P.n), 0, 3)
        self._check_month = (check[0] * 12).astype(np.int8) + 1
        self._check_u = check[1]
        self._check_share = None  # annual_check_share the lists below were made for
        self._check_takers: list[np.ndarray] = []  # by month of the year - 1

    def compile(self) -> None:
        """Targets by group."""
        self.cov = group_array(self.p["coverage"])
        self.cov_chronic = group_array(self.p["coverage_chronic"])
        self._everyone = True  # targets changed: re-evaluate every person once

    # ---- hooks used by the health module -------------------------------------------------
    def manage_on_diagnosis(self, persons, disease: int, base: float) -> np.ndarray:
        """Chance that a new diagnosis starts management."""
        if not self.on:
            return np.full(len(persons), base)
        return np.where(self.contracted[persons], max(base, self.p["manage_on_diagnosis"]),
                        base)

    def dropout(self, persons, disease: int, base: float) -> np.ndarray:
        """Monthly chance that a managed patient stops being managed."""
        if not self.on:
            return np.full(len(persons), base)
        m = self.model.current_month
        on_time = self.contracted[persons] & (
            m - self.last_served[persons] <= self.p["followup_interval_months"])
        return np.where(on_time, base * self.p["dropout_factor"], base)

    # ---- the process ---------------------------------------------------------------------
    def processes(self, env):
        """Monthly signing and follow-ups, with each township's team capacity."""
        model = self.model
        n_town = model.params["population"]["townships"]
        residents = np.bincount(model.pop.households.township,
                                weights=model.pop.households.size, minlength=n_town)
        caps = self.p["followups_per_10k_month"] * residents / 1e4
        self.team_capacity = np.maximum(caps, 1e-9)
        self.team_level = caps.astype(float)
        return [self.every_month(self._month, when_off=True)]

    def _sign(self, m: int) -> None:
        """Contract each living person whose fixed uniform lies below their target now.

        While the targets ramp up, or after they changed (``compile``), every person slot
        is evaluated with masks over the whole population (no gathers of the living);
        otherwise only the persons whose target can have changed since the last signing:
        first diagnoses, births and group changes. The dead keep their flag and are not
        counted.
        """
        model = self.model
        P = model.pop.persons
        ramping = m + 1 <= self.p["signing_months"]  # including the month it reaches 1
        everyone = ramping or self._everyone
        fresh, model.newly_diagnosed = model.newly_diagnosed + self._born, []
        self._born = []
        if everyone:
            who = slice(None)
            self._everyone = False
        else:  # only a first diagnosis or a birth can change a person's target now
            who = unique(np.concatenate(fresh)) if fresh else np.zeros(0, np.intp)
        if m == 0 and self.p["start_management_at_steady_state"]:
            self._start_management()
        p0 = self.p["initial_share_of_target"]
        ramp = min(1.0, p0 + (1.0 - p0) * (m + 1) / self.p["signing_months"])
        # targets indexed by group * 2 + diagnosed (a patient of the four diseases)
        target = np.stack([self.cov, self.cov_chronic], axis=1).ravel() * ramp
        groups, living = model.pgroup[who], P.alive[who]
        key = groups.astype(np.intp) * 2 + (P.diagnosed[who] != 0)
        now = (self.u[who] < target.take(key)) & living
        before = self.contracted[who]
        new = now & ~before
        self.contracted[who] = now | (before & ~living)
        if everyone:
            signed, signed_now = counts_by_group(groups, (new, now))
            self.n_contracted = signed_now.astype(float)
        else:
            signed, ended = counts_by_group(groups, (new, before & living & ~now))
            self.n_contracted += signed - ended
        self.count("contracts_signed", signed)

    def _start_management(self) -> None:
        """Start each diagnosed patient's management at the share the model's flows keep.

        The population's ``managed_share`` applies to all the diagnosed, but only a
        contracted patient's follow-ups bring anyone back into management: a patient who
        will never be contracted (above their group's ``coverage_chronic`` target) can
        only drop out, and their managed share falls from the start's 0.60 to about 0.1
        over a decade, past any warm-up (a slow transient, not a trend). Here the two
        kinds of patient are drawn at the stationary share of a two-state chain
        (managed, not managed) with the rates of the tables, per month: entry managed at
        diagnosis, dropout and, for the contracted, the follow-ups' way back; exits by
        death (background and the disease's excess) and resolution, averaged over the
        patients at the start. About 0.83 of the contracted and 0.07 (hypertension) to
        0.12 (diabetes) of the others are managed.
        """
        model = self.model
        P, t, p = model.pop.persons, model.health, self.p
        for d in range(len(t.dropout)):
            bit = np.uint8(1 << d)
            diagnosed = np.flatnonzero(P.alive & ((P.diagnosed & bit) != 0))
            if len(diagnosed) == 0:
                continue
            will_sign = self.u[diagnosed] < self.cov_chronic[model.pgroup[diagnosed]]
            for contracted in (True, False):
                who = diagnosed[will_sign == contracted]
                if len(who) == 0:
                    continue
                band = model.band[who]
                background = float(np.mean(-np.log1p(-t.background_death[band]) / 12.0))
                exit_u = background + t.excess_death[d, 0, band].mean() + t.resolve[d, 0]
                exit_m = background + t.excess_death[d, 1, band].mean() + t.resolve[d, 1]
                if contracted:
                    enter = max(t.manage_on_diagnosis[d], p["manage_on_diagnosis"])
                    drop = t.dropout[d] * p["dropout_factor"]
                    back = p["followup_manage_share"] / p["abnormal_interval_months"]
                else:
                    enter, drop, back = t.manage_on_diagnosis[d], t.dropout[d], 0.0
                # months managed M and not U per diagnosis: M (drop + exit_m) = enter +
                # back U, and U (back + exit_u) = 1 - enter + drop M
                months = np.linalg.solve([[drop + exit_m, -back], [-drop, back + exit_u]],
                                         [enter, 1.0 - enter])
                share = months[0] / months.sum()
                u = model.streams["contracts"].keyed(who, 0, 4 + d)
                P.managed[who] &= ~bit
                P.managed[who[u < share]] |= bit

    def on_births(self, born: np.ndarray) -> None:
        """New persons have no contract yet; they are signed at the next signing.

        New persons are newborns and members of new households (in slots of the dead);
        they are signed to their group's target.
        """
        self.contracted[born] = False
        self.due[born] = NEVER
        self.last_served[born] = NEVER
        if self.on:  # when off, a later switch-on re-evaluates everyone (compile)
            self._born.append(born)

    def on_deaths(self, died: np.ndarray) -> None:
        """Contracts of the dead end."""
        self.n_contracted -= self.by_group(died[self.contracted[died]])

    def on_group_change(self, persons: np.ndarray, old_groups: np.ndarray) -> None:
        """Contracted persons are counted in their new group.

        The next signing applies the new group's coverage target to all the members.
        """
        signed = self.contracted[persons] & self.model.pop.persons.alive[persons]
        self.n_contracted -= np.bincount(old_groups[signed],
                                         minlength=len(self.n_contracted))
        self.n_contracted += self.by_group(persons[signed])
        if self.on:  # the new group's target applies at the next signing
            self._born.append(persons)

    def _month(self, m: int) -> None:
        model = self.model
        P = model.pop.persons
        if not self.on:
            # nobody signs while off, and a switch-on re-evaluates everyone (compile):
            # the first diagnoses need not be kept (they would pile up all run long)
            model.newly_diagnosed.clear()
            return
        self._sign(m)
        self.count("contracts_persons", self.n_contracted.copy())
        self.count("contracts_cost_yuan", self.n_contracted
                   * self.p["fee_yuan_per_contract_year"] / 12.0)
        # the contracted among the ill first (about two thirds in the default scenario),
        # then the diagnosed and living of them: each column gathered (take) at fewer
        # persons, and the due months once
        ill = model.chronic_ill
        signed = ill.compress(self.contracted.take(ill))
        patients = signed.compress((P.diagnosed.take(signed) != 0) & P.alive.take(signed))
        self.count("contracts_patients", self.by_group(patients))
        due_month = self.due.take(patients)  # NEVER for the fresh, also <= m: due too
        fresh = patients.compress(due_month == NEVER)
        self.due[fresh] = m  # sign, serve, record at once (seed 003)
        due = patients.compress(due_month <= m)
        self.count("followups_due", self.by_group(due))
        self._yearly_check(m)
        if len(due) == 0:
            return
        served = self._serve(m, due)
        self._follow_up(m, due[served])
        waiting = due[~served]
        missed = waiting[m - self.due[waiting] >= self.p["max_wait_months"]]
        self.due[missed] = m + self.p["followup_interval_months"]
        self.count("followups_missed", self.by_group(missed))

    def _yearly_check(self, m: int) -> None:
        """The free yearly check of the contracted persons whose check month this is."""
        month = self.model.timeline.month_of_year(m)
        takers = self._takers(month)
        who = takers[self.contracted[takers]]
        out = health_check(self.model, due_for_check(self.model, who, m), m)
        self.count("contracts_checks", out["checked"])
        self.count("contracts_check_findings", out["chronic_found"]
                   + out["major_found_early"] + out["major_found_late"])
        self.count("contracts_cost_yuan", out["cost"])

    def _takers(self, month: int) -> np.ndarray:
        """Persons (contracted or not) who would take their check in ``month`` (1-12).

        Each person's check month and uniform are fixed, so the twelve lists are made once
        per value of ``annual_check_share`` instead of scanning everyone each month.
        """
        share = self.p["annual_check_share"]
        if share != self._check_share:
            takers = np.flatnonzero(self._check_u < share)
            month_of = self._check_month[takers]
            self._check_takers = [takers[month_of == k] for k in range(1, 13)]
            self._check_share = share
        return self._check_takers[month - 1]

    def _serve(self, m: int, due: np.ndarray) -> np.ndarray:
        """A mask of the ``due`` follow-ups that are served this month.

        Township by township, longest-waiting first (ties at random), up to the capacity
        in the township's stock. Counts by waiting time show where each township's
        capacity runs out: only the follow-ups of that one waiting time need their ties
        ranked (the key of a full ranking, on far fewer follow-ups).
        """
        model = self.model
        n_town = len(self.team_capacity)
        town = model.pop.households.township[model.pop.persons.hh[due]]
        gap = self.team_capacity - self.team_level  # this month's capacity
        self.team_level = np.where(gap > 0, self.team_level + gap, self.team_level)
        available = self.team_level.astype(np.int64)  # whole follow-ups
        waited = np.minimum(m - self.due[due], 999)
        width = int(waited.max()) + 1 if len(due) else 1  # waiting times present
        wait_rank = width - 1 - waited  # 0: the longest waiting
        by_wait = np.bincount(town * width + wait_rank, minlength=n_town * width)
        cum = np.cumsum(by_wait.reshape(n_town, width), axis=1)
        cut = (cum <= available[:, None]).sum(axis=1)  # first wait rank not all served
        before = np.where(cut > 0, cum[np.arange(n_town), np.maximum(cut - 1, 0)], 0)
        ok = wait_rank < cut[town]
        edge = np.flatnonzero(wait_rank == cut[town])
        if len(edge):
            where = town[edge]
            tie = model.streams["contracts"].keyed(due[edge], m, 1)
            order = np.argsort(where * float(width) + wait_rank[edge] + tie)  # town, wait, tie
            town_sorted = where[order]
            starts = np.searchsorted(town_sorted, np.arange(n_town))
            rank = np.arange(len(edge)) - starts[town_sorted]
            ok[edge[order]] = rank < (available - before)[town_sorted]
        self.team_level -= np.bincount(town[ok], minlength=n_town)
        return ok

    def _follow_up(self, m: int, served: np.ndarray) -> None:
        """A follow-up keeps managed patients on track and brings others into management."""
        P = self.model.pop.persons
        self.count("followups_served", self.by_group(served))
        self.count("contracts_cost_yuan", self.by_group(served) * self.p["cost_yuan_per_followup"])
        self.last_served[served] = m
        unmanaged = (P.diagnosed[served] & ~P.managed[served]) != 0
        u = self.model.streams["contracts"].keyed(served, m, 2)
        bring = served[unmanaged & (u < self.p["followup_manage_share"])]
        P.managed[bring] |= P.diagnosed[bring]
        self.count("followups_brought_into_management", self.by_group(bring))
        still_abnormal = (P.diagnosed[served] & ~P.managed[served]) != 0
        self.due[served] = m + np.where(still_abnormal, self.p["abnormal_interval_months"],
                                        self.p["followup_interval_months"])
