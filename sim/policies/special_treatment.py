"""Major-disease special treatment (大病专项救治): designated hospitals and clinical pathways.

The diseases covered are those whose position on the list is at most ``n_diseases`` (21
in October 2018, 25 in 2019 and 30 in 2020 nationally; 20 in 2018 and 30 by 2020 in seed
004, 30 in seed 000, 32 in seed 002). A disease of the list is either part of a major
disease of ``health.major`` (a group of listed diseases, ``list_ranks``; each case has one
of them, ``sim.health.list_rank``) or an admission the model already has
(``health.listed_admissions``: heart attack and stroke as complications of hypertension
and diabetes, cataract surgery, ...; ``sim.health.listed_admission_rank``), so each step
of the list covers more cases. Only the covered groups' cases are covered.

Courses. A covered case that asks for treatment is quoted the programme's price and asks
the designated hospitals for a slot: capacity is a SimPy ``Resource`` with
``capacity_per_100k`` concurrent courses per 100,000 population. A patient who gets a slot
starts the course at once on the clinical pathway and holds the slot until the course
ends (or the patient dies); the others wait in the queue as SimPy processes, untreated (so
their disease can progress or kill them while they wait), for at most ``max_wait_months``,
after which they are treated outside the programme on ordinary terms, as cases of
diseases not on the list always are. A longer list thus brings more patients into the
programme's queue and crowds the slots, but never leaves a patient untreated for longer
than the wait a patient accepts: the programme's capacity adds to ordinary care, it does
not replace it.

Listed admissions (emergencies and short stays) are treated on the pathway's terms
without a designated slot: capacity is for courses.

Effect pathway: a course or listed admission on the clinical pathway costs
``pathway_cost_factor`` of the ordinary bill (capped costs at designated hospitals).

Cost: administration per case admitted to a course and per listed admission (the lower
bills are an effect, not a cost).
"""

from __future__ import annotations

import numpy as np
import simpy

from sim.health import list_rank
from sim.parameters import by_group
from sim.policies.base import Measure, cost, enabled_flag, group_array
from sim.population import NO_MAJOR
from sim.results import Indicator
from sim.schema import Bool, Num, Section, Yuan


class SpecialTreatment(Measure):
    """Capacity-limited designated-hospital treatment of listed major diseases."""

    name = "special_treatment"
    title = "Major-disease special treatment"
    funded_by = "government"  # administration of the designated-hospital programme
    STATIC = ("capacity_per_100k",)
    PARAMS = Section({
        "enabled": enabled_flag(),
        "n_diseases": Num("diseases", "Diseases on the list (positions 1..n of "
                          "health.major list_ranks and health.listed_admissions "
                          "list_rank).", low=0, high=100, integer=True),
        "groups": by_group(Bool(), "Groups covered."),
        "capacity_per_100k": Num("concurrent courses per 100,000 population",
                                 "Designated-hospital capacity.", low=0),
        "max_wait_months": Num("months", "Longest a covered case waits for a designated "
                               "slot before it is treated outside the programme on "
                               "ordinary terms (0: no wait).", low=0, high=24,
                               integer=True),
        "pathway_cost_factor": Num("factor", "Bill on the clinical pathway relative to "
                                   "ordinary treatment.", low=0.1, high=1),
        "admin_yuan_per_case": Yuan(unit="yuan per case admitted"),
    })
    INDICATORS = (
        Indicator("special_admitted", "persons", "Cases starting a course in the programme."),
        Indicator("special_in_programme", "persons", "Cases holding a designated slot.",
                  "last"),
        Indicator("special_waiting", "persons", "Cases waiting for a slot at the start of "
                  "the month (after the slots freed then were given).", "last",
                  by_group=False),
        Indicator("special_wait_months", "months", "Months waited by the cases admitted "
                  "this month (sum; divide by special_admitted)."),
        Indicator("special_died_waiting", "persons", "Cases who died while waiting."),
        Indicator("special_outside", "persons", "Covered cases that found no slot within "
                  "max_wait_months and started their course outside the programme, on "
                  "ordinary terms."),
        Indicator("special_listed_admissions", "admissions", "Admissions of listed "
                  "diseases (health.listed_admissions) on the programme's terms."),
        cost("special_treatment", "special-treatment administration"),
    )

    def __init__(self, model):
        super().__init__(model)
        n = model.pop.persons.n
        self.in_programme = np.zeros(n, bool)
        self.waiting: dict[int, tuple[simpy.Resource, object, float]] = {}
        self.referred: set[int] = set()  # waited max_wait_months: treated outside
        self.hospital: simpy.Resource | None = None

    def compile(self) -> None:
        """Covered groups (the list's length is read at each request)."""
        self.covered_group = group_array(self.p["groups"], bool)

    def processes(self, env):
        """Create the designated-hospital resource; keep the queue clean each month."""
        persons = self.model.pop.persons.n
        slots = max(1, int(round(self.p["capacity_per_100k"] * persons / 1e5)))
        self.hospital = simpy.Resource(env, capacity=slots)
        return [self.every_month(self._month, when_off=True)]

    def _month(self, m: int) -> None:
        """Drop waiting requests of patients who died, no longer need a slot, or waited.

        A patient who has waited ``max_wait_months`` (the slots freed at the start of
        this month went to the queue first) leaves the queue and will be treated outside
        the programme when it next asks for treatment.
        """
        P = self.model.pop.persons
        patience = self.p["max_wait_months"]
        self.count("special_waiting", float(len(self.waiting)))
        for person in list(self.waiting):
            _, req, since = self.waiting[person]
            gone = not P.alive[person] or P.major[person] == NO_MAJOR
            if gone or m - int(since) >= patience:
                del self.waiting[person]
                req.cancel()
                if not P.alive[person]:
                    self.count("special_died_waiting", self.by_group(np.array([person])))
                elif not gone:
                    self.referred.add(person)
        for person in list(self.referred):
            if not P.alive[person] or P.major[person] == NO_MAJOR or P.major_months[
                    person] >= 0:
                self.referred.discard(person)
        self.count("special_in_programme", self.by_group(np.flatnonzero(self.in_programme)))

    def _covered(self, persons: np.ndarray, disease: np.ndarray) -> np.ndarray:
        """Cases of covered groups whose own disease is on the list now."""
        return self.covered_group[self.model.pgroup[persons]] & (
            list_rank(self.model, persons, disease) <= self.p["n_diseases"])

    def _listed(self, persons: np.ndarray) -> np.ndarray:
        """Admissions this month of covered groups for a disease on the list now."""
        rank = self.model.admission_rank[persons]
        return self.covered_group[self.model.pgroup[persons]] & (rank > 0) & (
            rank <= self.p["n_diseases"])

    # ---- hooks ------------------------------------------------------------------------
    def start_major(self, persons: np.ndarray, disease: np.ndarray, m: int) -> np.ndarray:
        """Persons who start treatment now, in the programme or outside it.

        Cases not covered start on ordinary terms. A covered case takes a free slot, or
        waits for one (``max_wait_months``), or, having waited that long, starts outside
        the programme on ordinary terms.
        """
        if not self.on or len(persons) == 0:
            return persons
        covered = self._covered(persons, disease)
        started = [persons[~covered]]
        outside = []
        patience = self.p["max_wait_months"]
        for person in persons[covered]:
            person = int(person)
            if person in self.waiting:
                continue
            if person in self.referred:
                self.referred.discard(person)
                outside.append(person)
                continue
            req = self.hospital.request()
            if req.triggered:
                started.append(np.array([person]))
                self._start(person, req, 0.0, m)
            elif patience == 0:
                req.cancel()
                outside.append(person)
            else:
                self.waiting[person] = (self.hospital, req, self.model.env.now)
                self.model.start(self._wait(person, req))
        if outside:
            outside = np.array(outside, np.int64)
            started.append(outside)
            self.count("special_outside", self.by_group(outside))
        return np.concatenate(started)

    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """The clinical pathway's price for courses in the programme and listed admissions.

        A covered case asking to start a course (not yet treated) is quoted the
        programme's price: it decides to seek care knowing its disease is on the list.
        """
        if not self.on or len(persons) == 0 or kind not in ("major", "inpatient"):
            return 1.0
        if kind == "inpatient":
            on_path = self._listed(persons)
        else:
            P = self.model.pop.persons
            on_path = self.in_programme[persons].copy()
            asking = np.flatnonzero(~on_path & (P.major_months[persons] < 0)
                                    & (P.major[persons] != NO_MAJOR))
            if len(asking):
                who = persons[asking]
                on_path[asking] = self._covered(who, P.major[who].astype(np.int64))
        return np.where(on_path, self.p["pathway_cost_factor"], 1.0)

    def after_care(self, kind: str, bills) -> None:
        """Count the listed admissions treated on the programme's terms, and their cost."""
        if kind != "inpatient" or not self.on or len(bills) == 0:
            return
        listed = bills.person[self._listed(bills.person)]
        if len(listed):
            n = self.by_group(listed)
            self.count("special_listed_admissions", n)
            self.count("special_treatment_cost_yuan", n * self.p["admin_yuan_per_case"])

    # ---- SimPy processes ----------------------------------------------------------------
    def _start(self, person: int, req, waited: float, m: int) -> None:
        model = self.model
        self.in_programme[person] = True
        self.count("special_admitted", self.by_group(np.array([person])))
        self.count("special_wait_months", self.by_group(np.array([person])) * waited)
        self.count("special_treatment_cost_yuan", self.by_group(np.array([person]))
                   * self.p["admin_yuan_per_case"])
        model.start(self._hold(person, req))

    def _wait(self, person: int, req):
        """A waiting patient: take the slot when it frees (at a measures phase)."""
        yield req
        _, _, since = self.waiting.pop(person, (None, None, None))
        model = self.model
        P = model.pop.persons
        if (since is None or not P.alive[person] or P.major[person] == NO_MAJOR
                or P.major_months[person] >= 0):  # gone, or treated meanwhile elsewhere
            self.hospital.release(req)
            return
        P.major_months[person] = 0
        m = int(model.env.now)
        self._start(person, req, model.env.now - since, m)

    def _hold(self, person: int, req):
        """Hold the slot until the course ends, the patient is cured, or dies."""
        model = self.model
        P = model.pop.persons
        k = int(P.major[person])
        course = int(model.health.major["course"][k])
        while True:
            m = int(model.env.now)
            yield model._wait_until(model._at(m + 1, "measures") - 0.001)
            done = (not P.alive[person] or P.major[person] != k
                    or P.major_months[person] >= course)
            if done:
                break
        self.in_programme[person] = False
        self.hospital.release(req)
