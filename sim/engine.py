"""The SimPy environment: the clock, the monthly step of all households, and policy processes.

Time is in months from the first warm-up month. SimPy schedules *what happens when*; the
state of all persons and households lives in numpy columns and is updated by vectorised
code. Within month ``m`` events run in a fixed order, set by the fraction of the month at
which they are scheduled (``PHASE``):

====================  ======  ==========================================================
event                 phase   what it does
====================  ======  ==========================================================
calendar change       0.00    swaps in the parameters of a dated change, recompiles
new year              0.01    ageing, income shocks, background deaths, insurance year
measure processes     0.10    campaigns, follow-ups (each measure at its own cadence)
monthly step          0.50    illness, care, bills, payment, income, poverty
monitoring sweeps     0.70    find households at risk, send help (delayed)
registry              0.80    programmes, exit assessments, monitored objects
record                0.90    the month's indicators are stored
====================  ======  ==========================================================

Rare individual events (a major-disease patient waiting for a designated-hospital bed) are
SimPy processes and resources of their own, owned by the measure that needs them.
"""

from __future__ import annotations

import time
import weakref
from collections import defaultdict

import numpy as np
import simpy

from sim import health, marriage
from sim.arrays import member, unique
from sim.care import CareSystem, CareTables
from sim.checks import NEVER
from sim.enrolment import Enrolment
from sim.formation import block_slots, form_households, spare_blocks, split_at_marriage
from sim.health import HealthTables, Sick
from sim.hooks import Hooks
from sim.liquidity import Liquidity, cash_buffer
from sim.migration import Away, come_home, migrate_out
from sim.parameters import GROUPS, LEVELS
from sim.payment import PAYERS, Ledger, PaymentRules, settle
from sim.places import PlaceRules, place_of_township
from sim.policies import REGISTRY
from sim.population import population_for_run, with_spare_blocks
from sim.poverty import (
    Accounts,
    follow_capacity,
    hardship,
    household_capacity,
    monthly_income,
    update_income_shocks,
)
from sim.registry import INDICATORS as REGISTRY_INDICATORS
from sim.registry import Registry
from sim.results import Recorder, Results
from sim.rng import Streams
from sim.scenario import place_params
from sim.schema import dated_value

#: The payers that can pay each kind of bill (the others pay nothing; see sim.payment).
PAYERS_BY_KIND = {"outpatient": ("basic", "oop"), "chronic": ("basic", "assistance", "oop"),
                  "inpatient": PAYERS, "special": PAYERS}
#: Kinds of bill whose later layers (critical illness, assistance, supplemental) pay the
#: household after ``care.reimbursement_delay_months`` unless settled at one window.
SETTLED_LATER = ("inpatient", "special")
PHASE = {"calendar": 0.0, "year": 0.01, "measures": 0.1, "step": 0.5, "sweep": 0.7,
         "registry": 0.8, "record": 0.9}
N_GROUPS = len(GROUPS)
#: what a person dies of: a chronic disease's excess mortality, a major disease, an
#: admission forgone (sim.care), or background causes (the mortality table); a death
#: counts once, under the first of these whose course decided it (illness before
#: background, since the household's lost earnings are then illness-caused)
DEATH_CAUSES = ("chronic", "major", "forgone_admission", "background")


def death_causes(died: np.ndarray, by_cause: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Split the month's deaths ``died`` (unique) by cause, each under its first cause."""
    left = died
    out = {}
    for cause in DEATH_CAUSES:
        hit = member(left, unique(by_cause[cause]))
        out[cause] = left[hit]
        left = left[~hit]
    return out


def group_sums(groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum ``values`` by target group (``groups``: each value's group index).

    Only the non-zero values are added when they are few: adding a zero leaves a sum as
    it is, so the sums are exactly those over every value, and most of these arrays
    (debt, repayments due, distress financing, the later payers' shares of the bills) are
    mostly zeros, while a sum into five bins costs one dependent addition per value.
    """
    nonzero = values != 0
    n = np.count_nonzero(nonzero)
    if n == 0:
        return np.zeros(N_GROUPS)
    if 2 * n > len(values):
        return np.bincount(groups, weights=values, minlength=N_GROUPS)
    at = np.flatnonzero(nonzero)
    return np.bincount(groups[at], weights=values[at], minlength=N_GROUPS)


#: below this many values one ``bincount`` is quicker than a count for each group
_COUNT_BY_COMPARE = 4096


def group_counts(groups: np.ndarray) -> np.ndarray:
    """How many of ``groups`` (group indices, one per person or household) are in each.

    A count into five bins costs a dependent increment per value (the same few counters
    over and over), so a long array is counted one group at a time, by comparison: the
    same integers, several times quicker.
    """
    if len(groups) < _COUNT_BY_COMPARE:
        return np.bincount(groups, minlength=N_GROUPS)
    return np.array([np.count_nonzero(groups == k) for k in range(N_GROUPS)], np.int64)


class Model:
    """One replication of one scenario: population, state, SimPy environment, recorder."""

    def __init__(self, scenario, seed: int = 0, households: int | None = None):
        self.scenario = scenario
        self.seed = int(seed)
        self.timeline = scenario.timeline
        self.streams = Streams(seed)
        self._schedule = scenario.params_by_month()
        self.params = self._schedule[0][1]
        pop = population_for_run(self.params, self.streams, households)
        self.pop = with_spare_blocks(pop, spare_blocks(pop, self.params, self.timeline.n_months
                                                       / 12.0), block_slots(self.params))
        P, H = self.pop.persons, self.pop.households
        #: households whose slots a new one may take when they end: the sample's, not the
        #: spare blocks until taken (sim.formation); the first spare block not yet taken
        self.open_block = np.arange(H.n) < self.pop.sample_households
        self.next_spare = self.pop.sample_households
        self.hh_size0 = self.pop.slots  # person slots per household (members, births)
        self.hh_first = np.concatenate([[0], np.cumsum(self.hh_size0)[:-1]])
        self.n_born = H.size.astype(np.int64)  # slots filled: members at start and births
        #: each household's count of new households set up in its slots (sim.formation):
        #: a migrant comes home only to the household they left (sim.migration)
        self.household_epoch = np.zeros(H.n, np.int64)
        self.away = Away()  # migrants who may come back (sim.migration)
        self.mothers = None  # women who can give birth this year (set each January)
        self.mothers_rate = None  # each one's birth rate over the county's
        #: each person's spouse (-1: none); married only while both live in one household
        self.spouse = np.full(P.n, -1, np.int64)
        if marriage.on(self.params):
            marriage.pair_spouses(self)
        self.pgroup = H.group[P.hh]  # int8: cheap to gather for counts by group
        self.pplace = place_of_township(self.params)[H.township[P.hh]]  # int8 (sim.places)
        self.chronic_ill = np.flatnonzero(P.chronic != 0)  # refreshed by each monthly step
        #: dead persons whose slots new households took (still counted as dead), by group
        self.dead_replaced = np.zeros(N_GROUPS)
        self.newly_diagnosed: list[np.ndarray] = []  # persons with a first diagnosis
        self.last_check = np.full(P.n, NEVER, np.int32)  # month of the last health check
        #: list rank of the disease of each person's admission need this month (0: not a
        #: listed disease; sim.health.listed_admission_rank), set for the month's needs
        self.admission_rank = np.zeros(P.n, np.int16)
        #: each person slot's uniform for a severe disability and each household's for
        #: being a family-planning special family (sim.population.severely_disabled,
        #: special_family): statuses for monitoring's triggers; new persons draw again
        self.disability_u = self.streams["disability"].keyed(np.arange(P.n), 0, 0)
        self.special_family_u = self.streams["special_family"].keyed(np.arange(H.n), 0, 0)
        self.ledger = Ledger(P.n)
        self.liquidity = Liquidity(H.savings)  # cash set once incomes are known
        self.death_loss = health.DeathLoss(H.n)
        self.care = CareSystem(self)
        self.measures = {name: cls(self) for name, cls in REGISTRY.items()}
        self.hooks = Hooks(self.measures.values())
        self._compile()
        self.enrolment = Enrolment(self)
        self.enrolment.enrol()
        self.registry = Registry(self)
        self.accounts = Accounts(monthly_income(self), H.size)
        # savers start with a full cash buffer, the hand to mouth with none
        self.liquidity.cash[:] = np.where(H.savings, cash_buffer(self.params,
                                                                 monthly_income(self)), 0.0)
        self.recorder = Recorder(self.timeline, [REGISTRY_INDICATORS] + [
            m.INDICATORS for m in self.measures.values()])
        self.env = simpy.Environment()
        #: the generators of this model's processes, so that close() can end them
        self._generators: weakref.WeakSet = weakref.WeakSet()
        self._started = False  # the run's processes (run_to starts them once)
        self.death_schedule: dict[int, np.ndarray] = {}
        self.transfers: dict[int, list] = defaultdict(list)
        self.month_counts: dict = defaultdict(float)
        self.status = None
        self.current_month = 0
        self.month_persons = {"outpatient": np.zeros(0, np.int64),
                              "inpatient": np.zeros(0, np.int64)}
        self.events: list[dict] = []

    # ---- parameters -----------------------------------------------------------------
    def _compile(self) -> None:
        self.health = HealthTables.from_params(self.params)
        health.refresh_age(self)  # per-person monthly rates follow the new tables
        places = place_params(self.params)
        self.care_tables = CareTables.from_params(self.params, places)
        self.rules = PaymentRules.from_params(self.params)
        self.places = PlaceRules(self.rules, [PaymentRules.from_params(p) for p in places],
                                 self.pplace)
        for measure in self.measures.values():
            measure.compile()

    def year(self, m: int) -> int:
        """Calendar year of engine month ``m``."""
        return self.timeline.year(m)

    def poverty_line(self, m: int) -> float:
        """Poverty line in force in month ``m`` (yuan per person-year)."""
        return dated_value(self.params["poverty"]["line_yuan"], self.year(m))

    def insured(self, persons: np.ndarray) -> np.ndarray:
        """Whether each person is enrolled in basic insurance now."""
        return self.enrolment.insured(persons)

    def reported(self, m: int) -> bool:
        """Whether month ``m`` lies in the reported window."""
        return m >= self.timeline.warmup

    def log(self, m: float, what: str, **detail) -> None:
        """Keep a dated record of a policy event (calendar change, budget exhausted)."""
        self.events.append({"month": self.timeline.label(int(m)), "event": what, **detail})

    # ---- money arriving later ----------------------------------------------------------
    def schedule_transfer(self, month: int, households: np.ndarray, yuan: np.ndarray,
                          kind: str) -> None:
        """Pay ``yuan`` to ``households`` in a later month, as income (a cash transfer).

        Transfers are income, never negative spending (DESIGN.md): out of pocket stays
        what the household paid for its care.
        """
        if len(households):
            self.transfers[month].append((households, np.asarray(yuan, float), kind))

    # ---- processes ---------------------------------------------------------------------
    def _at(self, m: int, phase: str) -> float:
        return m + PHASE[phase]

    def _wait_until(self, t: float):
        return self.env.timeout(max(t - self.env.now, 0.0))

    def start(self, generator) -> simpy.Process:
        """Run ``generator`` as a SimPy process of this model (measures start theirs here)."""
        self._generators.add(generator)
        return self.env.process(generator)

    def close(self) -> None:
        """Free the model's memory at once: end the processes still waiting, drop the state.

        The model, its measures and its processes refer to each other, so a finished model
        is otherwise freed only when Python's cycle collector next runs, which can be
        several runs later: one process running 100,000-household runs one after another
        held 675 MB after eight runs instead of about 250 MB. The runner closes each
        model once its results are built; a closed model cannot be used again.
        """
        for generator in list(self._generators):
            generator.close()
        self.__dict__.clear()

    def _calendar(self):
        for change, (month, params) in zip(self.scenario.changes, self._schedule[1:],
                                           strict=True):
            yield self._wait_until(self._at(month, "calendar"))
            self.params = params
            self._compile()
            self.log(month, "calendar change", name=change.name, note=change.note)

    def _years(self):
        tl = self.timeline
        ins_month = self.params["calendar"]["insurance_year_start_month"]
        for m in range(tl.n_months):
            yield self._wait_until(self._at(m, "year"))
            moy = tl.month_of_year(m)
            if moy == ins_month and m > 0:
                self.ledger.reset()
                self.enrolment.enrol()
            if moy == 1 or m == 0:
                if m > 0:
                    capacity = household_capacity(self)
                    self.pop.persons.age += self.pop.persons.alive
                    health.refresh_age(self)
                    follow_capacity(self, capacity)
                    update_income_shocks(self, m)
                    self.accounts.new_year()
                    self._form_households(m)
                health.schedule_background_deaths(self, m)
                self._death_base = m
                self.mothers, self.mothers_rate = health.eligible_mothers(self)
            if m == tl.warmup:
                self.recorder.start_window(self)
            if self.reported(m) and (moy == 1 or m == tl.warmup):
                self.recorder.start_year(self)

    def _months(self, progress):
        for m in range(self.timeline.n_months):
            yield self._wait_until(self._at(m, "step"))
            self.step(m)
            yield self._wait_until(self._at(m, "registry"))
            self.registry.month(m)
            yield self._wait_until(self._at(m, "record"))
            self._record(m)
            if progress is not None:
                progress.update(1)

    def run(self, progress=None, monthly_only: bool = False) -> Results:
        """Simulate every month and return the results (see ``Results.from_run``)."""
        started = time.perf_counter()
        self.run_to(self.timeline.n_months, progress)
        elapsed = time.perf_counter() - started
        return self.recorder.results(self, elapsed, monthly_only)

    def run_to(self, month: int, progress=None) -> None:
        """Simulate the months before ``month`` (from the first warm-up month, 0).

        A later call, or ``run``, goes on from there, so the state can be looked at in
        the middle of a run (``scripts/calibrate_gradients.py`` reads the population after
        two years) without changing what the run does.
        """
        if not self._started:
            self._started = True
            self.start(self._calendar())
            self.start(self._years())
            for measure in self.measures.values():
                for proc in measure.processes(self.env):
                    self.start(proc)
            self.start(self._months(progress))
        self.env.run(until=month)

    # ---- the monthly step --------------------------------------------------------------
    def step(self, m: int) -> None:
        """Illness, care, bills and payment, income and poverty of all households."""
        P, H = self.pop.persons, self.pop.households
        counts = self.month_counts
        self.current_month = m
        moy_index = m - self._death_base
        # persons who die this month, by cause (DEATH_CAUSES; each course appends its own)
        deaths = {cause: [] for cause in DEATH_CAUSES}
        deaths["background"].append(self.death_schedule.get(moy_index, np.zeros(0, np.int64)))

        born = health.births(self, m)
        if len(born):
            counts["births"] = self._by_group(born)
            self.enrolment.enrol(born)
            self.recorder.born(born)
            for measure in self.measures.values():
                measure.on_births(born)
            self.registry.on_births(born)
        for k, v in health.onsets(self, m).items():
            counts[k] += v
        chronic_ill = np.flatnonzero((P.chronic != 0) & P.alive)
        self.chronic_ill = chronic_ill
        inpatient, outpatient, listed = health.acute_episodes(self, m)
        self.month_persons = {"outpatient": outpatient, "inpatient": inpatient}
        sick: list[Sick] = health.chronic_course(self, m, chronic_ill, deaths["chronic"])
        major_of = P.major.copy()  # what each major-disease bill is for, courses ending too
        major = health.major_course(self, m, deaths["major"])
        sick += major["sick"]
        for k, v in major["counts"].items():
            counts[k] += v

        op = self.care.outpatient(outpatient, m)
        ip = self.care.inpatient(inpatient, m, listed)
        deaths["forgone_admission"].append(ip["deaths"])
        counts["admissions_forgone_deposit"] += ip["deposit_forgone"]
        t = self.health
        days = self.care_tables.forgone_days_multiplier
        sick += [Sick(op["bills"].person, np.full(len(op["bills"]), t.outpatient_days / 30)),
                 Sick(op["forgone"], np.full(len(op["forgone"]), days * t.outpatient_days / 30)),
                 Sick(ip["bills"].person, np.full(len(ip["bills"]), t.inpatient_days / 30)),
                 Sick(ip["forgone"], np.full(len(ip["forgone"]), days * t.inpatient_days / 30))]

        batches = [("outpatient", op["bills"]), ("inpatient", ip["bills"])]
        batches += [("chronic", bills) for bills in self.care.chronic(chronic_ill)]
        course, ongoing = major["bills"]["course"], major["bills"]["ongoing"]
        batches.append(("inpatient", self.care.major("inpatient", *course, major_of=major_of)))
        batches.append(("special", self.care.major("special", *ongoing, major_of=major_of)))
        oop_hh = self._settle(m, batches)
        self._liquidity(m)

        sick_loss = self._income_loss(sick)
        # the groups' transfers are part of monthly_income (members before this month's deaths)
        counts["transfers_yuan"] = self._hh_by_group(H.transfer_pp_year * (H.size / 12.0))
        income_hh = monthly_income(self) - sick_loss + self._transfers_arriving(m)
        distress = self.liquidity.budget(
            income_hh, oop_hh, 1.0 - self.params["income"]["consumption_share"],
            cash_buffer(self.params, self.accounts.sum_income / 12.0))
        counts["distress_financing_yuan"] += self._hh_by_group(distress)
        counts["distress_financing_households"] += np.bincount(H.group[distress > 0],
                                                               minlength=N_GROUPS)
        by_cause = {cause: np.concatenate(lists) if lists else np.zeros(0, np.int64)
                    for cause, lists in deaths.items()}
        illness = np.concatenate([v for c, v in by_cause.items() if c != "background"])
        died = health.apply_deaths(self, np.concatenate(list(by_cause.values())), illness)
        self._close_ended(died)
        loss_hh = sick_loss + self.death_loss.month(m)
        for measure in self.measures.values():
            measure.on_deaths(died)
        self.enrolment.on_deaths(died)
        self.registry.on_deaths(died)
        self.accounts.push(m, income_hh, oop_hh, loss_hh, H.size)
        self.status = self.accounts.assess(self.poverty_line(m), H.size)
        self.accounts.flag(self.status)

        counts["deaths"] = self._by_group(died)
        for cause, who in death_causes(died, by_cause).items():
            counts[f"deaths_{cause}"] = self._by_group(who)
        counts["outpatient_forgone"] = self._by_group(op["forgone"])
        counts["admissions_forgone"] = self._by_group(ip["forgone"])
        n_levels = len(LEVELS)
        for kind, total, bills in (("outpatient", "outpatient_episodes", op["bills"]),
                                   ("admissions", "admissions", ip["bills"])):
            # the (group, level) counts in one pass; a group's total is its row's sum
            by_level = np.bincount(self.pgroup[bills.person].astype(np.intp) * n_levels
                                   + bills.level, minlength=N_GROUPS * n_levels
                                   ).reshape(N_GROUPS, n_levels)
            counts[total] = by_level.sum(axis=1)
            for k, level in enumerate(LEVELS):  # a column each
                counts[f"{kind}_at_{level}"] = by_level[:, k]
        counts["income_yuan"] = self._hh_by_group(income_hh)
        counts["income_loss_yuan"] = self._hh_by_group(loss_hh)

    def _form_households(self, m: int) -> None:
        """January: new households, splits, weddings, out-migration, then returns.

        New households take over ended ones and young couples split off at marriage
        (``sim.formation``); young men marry, their brides moving in or the couple setting
        up a household (``sim.marriage``); young adults leave the county and earlier
        migrants come back (``sim.migration``).
        """
        members = form_households(self, m)
        if len(members):
            self._welcome(members)
        formed = np.unique(self.pop.persons.hh[members])
        split = split_at_marriage(self, m, formed)
        if len(split):
            self._welcome(split)
            formed = np.union1d(formed, self.pop.persons.hh[split])
        brides, couples = marriage.weddings(self, m)
        if len(couples):
            self._welcome(couples)
            formed = np.union1d(formed, self.pop.persons.hh[couples])
        if len(brides):
            self._joined(brides, "married_in")
        migrate_out(self, m, formed=formed)
        back = come_home(self, m)
        if len(back):
            self._joined(back, "returned")

    def _welcome(self, members: np.ndarray) -> None:
        """Enrol, count and register the members of newly formed households."""
        self.enrolment.enrol(members)
        for measure in self.measures.values():
            measure.on_births(members)
        first = np.unique(self.pop.persons.hh[members])
        self.recorder.formed(first)
        self.registry.forget(first)
        self.month_counts["households_formed"] += np.bincount(
            self.pop.households.group[first], minlength=N_GROUPS)
        self.month_counts["persons_joined"] += self._by_group(members)

    def _joined(self, persons: np.ndarray, how: str) -> None:
        """Enrol, count and register persons who joined existing households.

        Migrants who came back (``how`` "returned", ``sim.migration``) or brides who moved
        in ("married_in", ``sim.marriage``): new persons to every module, as newborns are
        (``on_births``), though not births; counted in ``persons_<how>``.
        """
        self.enrolment.enrol(persons)
        self.recorder.born(persons)
        for measure in self.measures.values():
            measure.on_births(persons)
        self.registry.on_joined(persons, how)
        self.month_counts[f"persons_{how}"] += self._by_group(persons)

    def departed(self, persons: np.ndarray) -> None:
        """Tell every counter of the living that ``persons`` left their household alive.

        Called by ``sim.formation``: the measures, enrolment and registry drop them
        (``on_left``).
        """
        for measure in self.measures.values():
            measure.on_left(persons)
        self.enrolment.on_left(persons)
        self.registry.on_left(persons)

    def regroup(self, households: np.ndarray, groups: np.ndarray) -> None:
        """Move households into other target groups.

        Their transfers follow; measures keeping counts by group are told through
        ``on_group_change``.
        """
        P, H = self.pop.persons, self.pop.households
        persons = health.household_members(self, households)
        old = self.pgroup[persons].copy()
        H.group[households] = groups
        self.pgroup[persons] = H.group[P.hh[persons]]
        transfers = np.array([self.params["income"]["transfers_yuan"][g] for g in GROUPS])
        H.transfer_pp_year[households] = transfers[groups]
        born = P.born[persons]
        self.month_counts["persons_moved_in"] += self._by_group(persons[born])
        self.month_counts["persons_moved_out"] += np.bincount(old[born], minlength=N_GROUPS)
        self.enrolment.on_group_change(persons, old)
        for measure in self.measures.values():
            measure.on_group_change(persons, old)

    def _by_group(self, persons: np.ndarray, weights=None) -> np.ndarray:
        """Count (or sum ``weights``) over persons by their household's target group."""
        if weights is None:
            return group_counts(self.pgroup[persons])
        return np.bincount(self.pgroup[persons], weights=weights, minlength=N_GROUPS)

    def households_by_group(self) -> np.ndarray:
        """Living households (at least one member) in each target group."""
        H = self.pop.households
        return group_counts(H.group[H.size > 0])

    def _hh_by_group(self, values: np.ndarray) -> np.ndarray:
        """Sum a per-household array by target group."""
        return group_sums(self.pop.households.group, values)

    def _settle(self, m: int, batches) -> np.ndarray:
        """Pass each batch of bills through the chain; returns out of pocket per household.

        Out of pocket is what is left after every layer, in the month of the bill. Where
        one-stop settlement does not apply, the household also advances what the later
        layers reimburse (``sim.liquidity``): a debt, not spending.
        """
        P, H = self.pop.persons, self.pop.households
        counts = self.month_counts
        households, oop = [], []
        for kind, bills in batches:
            if len(bills) == 0:
                continue
            paid = self.places.settle(kind, bills, self.ledger, settle)
            self.hooks.after_payment(kind, bills, paid)
            hh = P.hh[bills.person]
            households.append(hh)
            oop.append(paid.oop)
            g = bills.group.astype(np.intp)  # converted once for the sums below
            billed = group_sums(g, bills.amount)
            by_payer = {payer: group_sums(g, getattr(paid, payer))
                        for payer in PAYERS_BY_KIND[kind]}
            if kind == "chronic":  # what managed patients pay bears on staying managed
                self.care.note_chronic_paid(bills, paid.oop)
            elif kind == "inpatient":  # hospital bills, and who was admitted this year
                self.recorder.admitted(bills.person)
                counts["inpatient_bills_yuan"] += billed
                counts["inpatient_oop_yuan"] += by_payer["oop"]
            counts["bills_yuan"] += billed
            for payer, yuan in by_payer.items():
                counts[f"{payer}_yuan"] += yuan
            if kind in SETTLED_LATER:
                self._advance(m, kind, hh, g, paid, bills.level)
        if not households:
            return np.zeros(H.n)
        return np.bincount(np.concatenate(households), weights=np.concatenate(oop),
                           minlength=H.n)

    def _advance(self, m: int, kind: str, hh: np.ndarray, g: np.ndarray, paid,
                 level: np.ndarray | None = None) -> None:
        """What the later layers pay is advanced by the household unless settled at once."""
        later = np.where(self.hooks.settled_at_once(kind, g, level), 0.0,
                         paid.critical_illness + paid.assistance + paid.supplemental)
        if later.any():
            out = self.liquidity.advance(m, hh, later,
                                         self.params["care"]["reimbursement_delay_months"])
            counts = self.month_counts
            counts["advanced_yuan"] += group_sums(g, out["advanced"])
            counts["borrowed_yuan"] += group_sums(g, out["borrowed"])

    def _liquidity(self, m: int) -> None:
        """Repayments of advances falling due, and the month's interest on open debt."""
        H, counts = self.pop.households, self.month_counts
        liq = self.liquidity
        counts["repaid_yuan"] += self._hh_by_group(liq.repay_due(m))
        rate = self.params["income"]["borrowing_rate_per_year"]
        counts["debt_interest_yuan"] += self._hh_by_group(liq.interest(rate))
        owing = liq.debt > 0
        counts["debt_yuan"] += self._hh_by_group(liq.debt)
        counts["debt_households"] += group_counts(H.group[owing])
        counts["cash_yuan"] += self._hh_by_group(liq.cash)

    def _close_ended(self, died: np.ndarray) -> None:
        """Write off the debt of households whose last member died this month."""
        H = self.pop.households
        ended = unique(self.pop.persons.hh[died])
        ended = ended[H.size[ended] == 0]
        if len(ended):
            written = self.liquidity.write_off(ended)
            self.month_counts["debt_written_off_yuan"] += np.bincount(
                H.group[ended], weights=written, minlength=N_GROUPS)

    def _income_loss(self, sick: list[Sick]) -> np.ndarray:
        """Illness-caused loss of earnings per household this month (yuan).

        A person ill for several reasons loses the sum of the shares; a household never
        loses more than it earns. Few temporaries: each step writes into an array already
        made (the shares capped in their concatenation, the product built in the gathered
        earnings, the cap in the sums), and the households are gathered with ``take`` and
        converted to ``intp`` once, for both the gather and the sums by household.
        """
        P, H = self.pop.persons, self.pop.households
        who = np.concatenate([s.person for s in sick])
        share = np.concatenate([s.share for s in sick])
        np.minimum(share, 1.0, out=share)
        hh = P.hh.take(who).astype(np.intp)
        month_earned = H.earned_year / 12.0
        lost = month_earned.take(hh)  # times the person's share of it, times the month lost
        lost *= P.earn_share.take(who)
        lost *= share
        loss = np.bincount(hh, weights=lost, minlength=H.n)
        return np.minimum(loss, month_earned, out=loss)

    def _transfers_arriving(self, m: int) -> np.ndarray:
        """Cash transfers (e.g. temporary assistance) reaching households this month, yuan."""
        H = self.pop.households
        out = np.zeros(H.n)
        for hh, yuan, kind in self.transfers.pop(m, []):
            out += np.bincount(hh, weights=yuan, minlength=H.n)
            self.month_counts[f"{kind}_arrived_yuan"] += np.bincount(
                H.group[hh], weights=yuan, minlength=N_GROUPS)
        return out

    # ---- recording ---------------------------------------------------------------------
    def _record(self, m: int) -> None:
        if self.reported(m):
            self.recorder.record_month(self, m)
            if self.timeline.month_of_year(m) == 12 or m == self.timeline.n_months - 1:
                self.recorder.record_year(self, m, hardship)
        self.month_counts = defaultdict(float)
