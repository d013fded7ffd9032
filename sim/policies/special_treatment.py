"""Major-disease special treatment (大病专项救治): designated hospitals and clinical pathways.

The diseases covered are those whose position on the list is at most ``n_diseases`` (20
in 2018 and 30 by 2020 in seed 004, 30 in seed 000, 32 in seed 002). Each major disease
of ``health.major`` is a group of listed diseases (``list_ranks``), and each case has one
of them (``sim.health.list_rank``), so a longer list covers more cases of a group.
A found case in a covered group asks the designated hospitals for a treatment slot:
capacity is a SimPy ``Resource`` with ``capacity_per_100k`` concurrent courses per 100,000
population. A patient who gets a slot starts the course at once and holds the slot until
the course ends (or the patient dies); the others wait in the queue as SimPy processes,
untreated, so their disease can progress to a late stage or kill them while waiting
("find one, treat one" fails when capacity is short). Cases not covered are treated in
the ordinary way, without a capacity limit.

Effect pathway: a course on the clinical pathway costs ``pathway_cost_factor`` of the
ordinary bill (capped costs at designated hospitals).

Cost: administration per case admitted (the lower bills are an effect, not a cost).
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
                          "health.major list_ranks).",
                          low=0, high=100, integer=True),
        "groups": by_group(Bool(), "Groups covered."),
        "capacity_per_100k": Num("concurrent courses per 100,000 population",
                                 "Designated-hospital capacity.", low=0),
        "pathway_cost_factor": Num("factor", "Bill on the clinical pathway relative to "
                                   "ordinary treatment.", low=0.1, high=1),
        "admin_yuan_per_case": Yuan(unit="yuan per case admitted"),
    })
    INDICATORS = (
        Indicator("special_admitted", "persons", "Cases starting a course in the programme."),
        Indicator("special_in_programme", "persons", "Cases holding a designated slot.",
                  "last"),
        Indicator("special_waiting", "persons", "Cases waiting for a slot.", "last",
                  by_group=False),
        Indicator("special_wait_months", "months", "Months waited by the cases admitted "
                  "this month (sum; divide by special_admitted)."),
        Indicator("special_died_waiting", "persons", "Cases who died while waiting."),
        cost("special_treatment", "special-treatment administration"),
    )

    def __init__(self, model):
        super().__init__(model)
        n = model.pop.persons.n
        self.in_programme = np.zeros(n, bool)
        self.waiting: dict[int, tuple[simpy.Resource, object, float]] = {}
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
        """Drop waiting requests of patients who died or no longer need a slot."""
        P = self.model.pop.persons
        for person in list(self.waiting):
            if not P.alive[person] or P.major[person] == NO_MAJOR:
                _, req, _ = self.waiting.pop(person)
                req.cancel()
                if not P.alive[person]:
                    self.count("special_died_waiting", self.by_group(np.array([person])))
        self.count("special_waiting", float(len(self.waiting)))
        self.count("special_in_programme", self.by_group(np.flatnonzero(self.in_programme)))

    # ---- hooks ------------------------------------------------------------------------
    def start_major(self, persons: np.ndarray, disease: np.ndarray, m: int) -> np.ndarray:
        """Persons who start treatment now; covered cases may have to wait for a slot."""
        if not self.on or len(persons) == 0:
            return persons
        g = self.model.pgroup[persons]
        covered = self.covered_group[g] & (
            list_rank(self.model, persons, disease) <= self.p["n_diseases"])
        started = [persons[~covered]]
        for person in persons[covered]:
            person = int(person)
            if person in self.waiting:
                continue
            req = self.hospital.request()
            if req.triggered:
                started.append(np.array([person]))
                self._start(person, req, 0.0, m)
            else:
                self.waiting[person] = (self.hospital, req, self.model.env.now)
                self.model.env.process(self._wait(person, req))
        return np.concatenate(started)

    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """Course bills of patients in the programme follow the clinical pathway."""
        if kind != "major" or not self.on or len(persons) == 0:
            return 1.0
        return np.where(self.in_programme[persons], self.p["pathway_cost_factor"], 1.0)

    # ---- SimPy processes ----------------------------------------------------------------
    def _start(self, person: int, req, waited: float, m: int) -> None:
        model = self.model
        self.in_programme[person] = True
        self.count("special_admitted", self.by_group(np.array([person])))
        self.count("special_wait_months", self.by_group(np.array([person])) * waited)
        self.count("special_treatment_cost_yuan", self.by_group(np.array([person]))
                   * self.p["admin_yuan_per_case"])
        model.env.process(self._hold(person, req))

    def _wait(self, person: int, req):
        """A waiting patient: take the slot when it frees (at a measures phase)."""
        yield req
        _, _, since = self.waiting.pop(person, (None, None, None))
        model = self.model
        P = model.pop.persons
        if since is None or not P.alive[person] or P.major[person] == NO_MAJOR:
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
