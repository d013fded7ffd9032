"""Illness onset and course: chronic diseases, acute episodes, major diseases and death.

All transitions are vectorised over persons and decided with the model's named random
streams: ``onset`` and ``acute`` draw one uniform per person per month; the courses of the
ill draw keyed uniforms (``chronic``, ``major``, ``death``) so that a person's draws do
not depend on who else is ill. Yearly rates become monthly probabilities as
``1 - exp(-rate / 12)``.

Each function reads the current parameters compiled in :class:`HealthTables` and returns
what happened this month (who fell ill, who needs care, who died) for the care, payment and
income steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim import birth_screening, marriage
from sim.arrays import member, unique
from sim.parameters import AGE_BANDS, CHILDBEARING_AGES, CHRONIC, MOTHER_AGES
from sim.population import (
    NO_MAJOR,
    age_band_index,
    income_gradient,
    major_incidence_per_year,
)
from sim.schema import dated_value

N_CHRONIC = len(CHRONIC)
DAYS_PER_MONTH = 30.0
#: The list rank of a major disease that is not on the special-treatment list (no
#: ``list_ranks``): beyond any list length.
NOT_LISTED = 10**6


def monthly(rate) -> np.ndarray:
    """Monthly probability of an event with the given yearly rate."""
    return 1.0 - np.exp(-np.asarray(rate, dtype=float) / 12.0)


def _band(table: dict) -> np.ndarray:
    return np.array([table[b] for b in AGE_BANDS], dtype=float)


def excess_mortality_age_factor(disease: dict, params: dict) -> np.ndarray:
    """Factor by age band on a chronic disease's excess mortality (yearly rates).

    ``excess_mortality_by_age = "flat"``: ones. ``"proportional"``: the shape of the
    background mortality table ``health.mortality_per_1000`` by age, scaled so that the
    cases at the start (``prevalence`` of each band times its share in
    ``population.age_bands``) have a mean factor of one. The disease's rates then stay
    what its cases die of on average, while a case of 80 dies of it more often than a
    case of 40, as the proportional-hazards models of cohort studies have it (a disease
    multiplies mortality by a ratio, not adds a fixed rate). Bands without cases at the
    start get the shape's factor all the same.
    """
    if disease.get("excess_mortality_by_age", "flat") == "flat":
        return np.ones(len(AGE_BANDS))
    shape = _band(params["health"]["mortality_per_1000"])
    cases = _band(disease["prevalence"]) * _band(params["population"]["age_bands"])
    if cases.sum() <= 0:
        return shape / shape.mean()
    return shape * cases.sum() / (shape * cases).sum()


@dataclass
class HealthTables:
    """Monthly probabilities and costs compiled from ``health`` parameters."""

    inpatient: np.ndarray  # (band,)
    outpatient: np.ndarray  # (band,)
    admission_rr: np.ndarray  # (256,) by chronic mask | managed mask << 4
    onset_cum: np.ndarray  # (band*2+female, 4 + n_major) cumulative monthly probabilities
    onset_parts: np.ndarray  # the same, not cumulated, at the first year's literacy
    detect: np.ndarray  # (disease,)
    manage_on_diagnosis: np.ndarray
    dropout: np.ndarray
    resolve: np.ndarray  # (disease, managed)
    excess_death: np.ndarray  # (disease, managed, band)
    work_loss: np.ndarray  # (disease, managed)
    chronic_level: np.ndarray  # (disease,) level index of chronic care
    background_death: np.ndarray  # (band,) yearly probability
    major: dict  # per-disease arrays
    disease_rr: np.ndarray  # (disease, managed) admission rate ratio of each chronic disease
    listed: dict  # listed admissions (health.listed_admissions) as arrays
    outpatient_days: float
    inpatient_days: float
    literacy_by_year: dict | None = None  # care.health_literacy.share_by_year
    literacy_onset_rr: np.ndarray | None = None  # (disease,) onset, literate / not

    @classmethod
    def from_params(cls, params: dict) -> HealthTables:
        """Compile the health section into arrays."""
        from sim.parameters import LEVELS

        h = params["health"]
        ch = [h["chronic"][d] for d in CHRONIC]
        rr = np.ones(256)
        for code in range(256):
            present, managed = code & 0x0F, code >> 4
            for d in range(N_CHRONIC):
                if present >> d & 1:
                    key = "admission_rr_managed" if managed >> d & 1 else "admission_rr_unmanaged"
                    rr[code] *= ch[d][key]
        pair = lambda a, b: np.array([[c[b], c[a]] for c in ch], dtype=float)  # noqa: E731
        majors = h["major"]
        quality = np.array([params["care"]["quality"]["death_rr"][k] for k in LEVELS])
        chronic_level = np.array([LEVELS.index(c["care_level"]) for c in ch])
        excess = pair("excess_mortality_managed", "excess_mortality_unmanaged")
        excess[:, 1] = excess[:, 1] * quality[chronic_level]  # managed: care at its level
        age_factor = np.array([excess_mortality_age_factor(c, params) for c in ch])
        excess = excess[:, :, None] * age_factor[:, None, :]
        parts = _onset_parts(ch, majors, h.get("incidence_reference_ages"))
        literacy = params["care"]["health_literacy"]
        onset_rr = np.array([literacy["onset_rr_literate"][d] for d in CHRONIC])
        return cls(
            inpatient=monthly(_band(h["acute"]["inpatient_per_year"])),
            outpatient=monthly(_band(h["acute"]["outpatient_per_year"])),
            admission_rr=rr,
            onset_cum=np.cumsum(parts, axis=1), onset_parts=parts,
            detect=monthly([c["detection_per_year"] for c in ch]),
            manage_on_diagnosis=np.array([c["manage_on_diagnosis"] for c in ch]),
            dropout=monthly([c["dropout_per_year"] for c in ch]),
            resolve=monthly(pair("resolution_per_year_managed",
                                 "resolution_per_year_unmanaged")),
            excess_death=monthly(excess),
            work_loss=pair("work_loss_managed", "work_loss_unmanaged"),
            chronic_level=chronic_level,
            background_death=1.0 - np.exp(-_band(h["mortality_per_1000"]) / 1000.0),
            major=_major_table(majors, quality),
            disease_rr=pair("admission_rr_managed", "admission_rr_unmanaged"),
            listed=_listed_table(h["listed_admissions"]),
            outpatient_days=h["acute"]["outpatient_days_lost"],
            inpatient_days=h["acute"]["inpatient_days_lost"],
            literacy_by_year=literacy["share_by_year"] if (onset_rr != 1.0).any() else None,
            literacy_onset_rr=onset_rr,
        )

    def literacy_onset_factor(self, year: int) -> np.ndarray:
        """Factor on each chronic disease's onset in ``year`` from health literacy.

        ``incidence_per_year`` holds at the literacy share of the first year of
        ``care.health_literacy.share_by_year``; in a later year the population's onset is
        the mix of literate persons (``onset_rr_literate`` times the rate of the others)
        and the others, relative to that first year's mix (as care seeking,
        ``sim.care.CareTables.outpatient_seek_in``). Ones when literacy acts on no onset.
        """
        if self.literacy_by_year is None:
            return np.ones(N_CHRONIC)
        first = next(iter(self.literacy_by_year.values()))
        now = dated_value(self.literacy_by_year, year)
        rr = self.literacy_onset_rr
        return (1.0 + now * (rr - 1.0)) / (1.0 + first * (rr - 1.0))

    def set_year(self, year: int) -> None:
        """Onset probabilities of ``year``: the chronic kinds scaled for health literacy."""
        if self.literacy_by_year is None:
            return
        parts = self.onset_parts.copy()
        parts[:, :N_CHRONIC] *= self.literacy_onset_factor(year)
        self.onset_cum = np.cumsum(parts, axis=1)


def _onset_parts(chronic: list[dict], majors: list[dict], reference_ages: dict | None
                 ) -> np.ndarray:
    """Monthly onset probabilities by (age band, sex) of each onset kind (not cumulated)."""
    major_rates = major_incidence_per_year(majors, reference_ages)
    rows = []
    for b, band in enumerate(AGE_BANDS):
        for female in (0, 1):
            p = [monthly(c["incidence_per_year"][band]) for c in chronic]
            p += list(monthly(major_rates[b * 2 + female]))
            rows.append(p)
    return np.array(rows, dtype=float)


def _major_table(majors: list[dict], quality: np.ndarray | None = None) -> dict:
    """Major diseases as arrays; ``quality``: death rate ratio of care by level."""
    def arr(key, f=float):
        return np.array([f(r[key]) for r in majors])

    level = np.array([2 if r["care_level"] == "county" else 3 for r in majors], np.int64)
    treated = np.ones(len(majors)) if quality is None else quality[level]
    diag = arr("diagnosis_per_year_early")
    early = np.clip(arr("early_share"), 1e-6, 1.0)
    listed = [r["list_ranks"] or {NOT_LISTED: 1.0} for r in majors]
    return {
        "diagnose_early": monthly(diag),
        "diagnose_late": monthly(arr("diagnosis_per_year_late")),
        # Progression rate such that the early share at symptomatic diagnosis is `early_share`:
        # with competing rates d (diagnosis) and r (progression), P(early) = d / (d + r).
        "progress": monthly(diag * (1.0 - early) / early),
        "course": arr("course_months", int),
        "cost_early": arr("cost_yuan_early"), "cost_late": arr("cost_yuan_late"),
        "cure_early": arr("cure_share_early"), "cure_late": arr("cure_share_late"),
        "ongoing": arr("ongoing_cost_yuan_per_month"),
        "ongoing_late": np.array([r["ongoing_cost_yuan_per_month"]
                                  if r["ongoing_cost_yuan_per_month_late"] is None
                                  else r["ongoing_cost_yuan_per_month_late"] for r in majors],
                                 float),
        "outpatient": np.array([r["treated_as"] == "outpatient" for r in majors], bool),
        "birth_cum": np.cumsum(arr("birth_prevalence")),
        "ended_share": arr("ended_after_prenatal_diagnosis"),
        "death_early": monthly(arr("mortality_early")),
        "death_early_treated": monthly(arr("mortality_early") * treated),
        "death_late": monthly(arr("mortality_late") * treated),  # treated only
        "death_untreated": monthly(arr("mortality_untreated")),
        "work_loss": arr("work_loss"),
        "level": level,
        "ranks": [np.array(list(r), np.int64) for r in listed],
        "rank_cum": [np.cumsum(list(r.values())) for r in listed],
        "screen": np.array([r["screen"] for r in majors]),
        "names": [r["name"] for r in majors],
    }


def _listed_table(records: list[dict]) -> dict:
    """Listed admissions as arrays: each record's slice [lo, hi) of its cause's admissions.

    Records of one cause take consecutive slices in their order; ``cause`` is -1 for
    'any' (the acute rate every person has), else the chronic disease's index.
    """
    cause = np.array([-1 if r["cause"] == "any" else CHRONIC.index(r["cause"])
                      for r in records], np.int64)
    share = np.array([r["share"] for r in records], float)
    lo = np.zeros(len(records))
    for c in np.unique(cause):
        at = np.flatnonzero(cause == c)
        lo[at] = np.concatenate([[0.0], np.cumsum(share[at])[:-1]])
    return {"rank": np.array([r["list_rank"] for r in records], np.int64), "cause": cause,
            "lo": lo, "hi": lo + share,
            "age_min": np.array([r["age_min"] for r in records], np.int64),
            "age_max": np.array([r["age_max"] for r in records], np.int64)}


def listed_admission_rank(model, persons: np.ndarray, u: np.ndarray) -> np.ndarray:
    """List rank of the disease of each admission need (0: not a listed disease).

    ``u`` is each person's draw that made the need (``acute_episodes``: an admission when
    ``u`` < the age band's rate times the product of the chronic diseases' rate ratios).
    The draw's position says what the admission is for, without a draw of its own: below
    the band's rate it is one of the admissions every person has (cause 'any'); above, it
    lies in the band that one of the person's chronic diseases adds (the diseases in the
    order of ``CHRONIC``, each widening the band by its rate ratio). Where within its
    cause's band the draw lies picks the listed disease whose slice holds it
    (``health.listed_admissions``), for persons in the record's age range.
    """
    t = model.health
    lt = t.listed
    out = np.zeros(len(persons), np.int64)
    if len(persons) == 0 or len(lt["rank"]) == 0:
        return out
    P = model.pop.persons
    base = model.base_inpatient[persons]
    cause = np.full(len(persons), -2, np.int64)  # -2: none found (rate ratios below 1)
    frac = np.zeros(len(persons))
    first = u < base
    cause[first] = -1
    frac[first] = u[first] / base[first]
    lo = base.copy()
    ill = np.flatnonzero(P.chronic[persons] != 0)
    for d in range(N_CHRONIC):
        b = bit(d)
        has = ill[(P.chronic[persons[ill]] & b) != 0]
        if len(has) == 0:
            continue
        rr = t.disease_rr[d, ((P.managed[persons[has]] & b) != 0).astype(np.int64)]
        hi = lo[has] * rr
        inside = (u[has] >= lo[has]) & (u[has] < hi) & (hi > lo[has])
        at = has[inside]
        cause[at] = d
        frac[at] = (u[at] - lo[at]) / (hi[inside] - lo[at])
        lo[has] = hi
    age = P.age[persons]
    for k in range(len(lt["rank"])):
        hit = ((cause == lt["cause"][k]) & (frac >= lt["lo"][k]) & (frac < lt["hi"][k])
               & (age >= lt["age_min"][k]) & (age <= lt["age_max"][k]))
        out[hit] = lt["rank"][k]
    return out


def list_rank(model, persons: np.ndarray, disease: np.ndarray) -> np.ndarray:
    """Position on the special-treatment list of each case's own disease.

    A major disease of the model is a group of listed diseases (``list_ranks``: rank ->
    share of the group's cases); which one a case has is a fixed draw per person and group
    (a person falling ill with the same group twice has the same disease).
    """
    mt = model.health.major
    u = model.streams["major_list"].keyed(persons, 0, 0)
    out = np.zeros(len(persons), np.int64)
    for k in np.unique(disease):
        at = disease == k
        pick = np.searchsorted(mt["rank_cum"][k], u[at] * mt["rank_cum"][k][-1], side="right")
        out[at] = mt["ranks"][k][np.minimum(pick, len(mt["ranks"][k]) - 1)]
    return out


@dataclass
class Sick:
    """Work lost this month: person indices and the share of the month lost by each."""

    person: np.ndarray
    share: np.ndarray


def bit(d: int) -> np.uint8:
    """The mask bit of chronic disease ``d``."""
    return np.uint8(1 << d)


def onsets(model, m: int) -> dict:
    """New chronic and major disease cases this month; returns counts for the record."""
    P, t = model.pop.persons, model.health
    u = model.streams["onset"].population(m, P.n)
    row = model.band_sex
    cand = np.flatnonzero((u < model.onset_total) & P.alive)
    if len(cand) == 0:
        return {}
    cum = t.onset_cum[row[cand]]
    if model.onset_factor is not None:  # chronic kinds scaled, major kinds shifted
        chronic_total = cum[:, N_CHRONIC - 1:N_CHRONIC]
        cum = cum + (model.onset_factor[cand, None] - 1.0) * np.minimum(cum, chronic_total)
    kind = (u[cand, None] >= cum).sum(axis=1)
    chronic_new = []
    for d in range(N_CHRONIC):
        who = cand[kind == d]
        who = who[(P.chronic[who] & bit(d)) == 0]
        P.chronic[who] |= bit(d)
        chronic_new.append(who)
    major_k = kind - N_CHRONIC
    is_major = major_k >= 0
    who = cand[is_major]
    ok = P.major[who] == NO_MAJOR
    who, k = who[ok], major_k[is_major][ok]
    P.major[who] = k
    P.major_late[who] = False
    P.major_found[who] = False
    P.major_months[who] = -1
    return {"chronic_onsets": model._by_group(np.concatenate(chronic_new)),
            "major_onsets": model._by_group(who)}


def acute_episodes(model, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Admission needs, outpatient episodes and each need's listed disease this month.

    Returns the persons with an admission need, the persons with an outpatient episode,
    and the list rank of each admission need's disease (0: not listed;
    ``listed_admission_rank``). Admission need uses the bottom of the person's uniform
    and outpatient episodes the top, so a change in admission risk (e.g. management)
    leaves outpatient episodes unchanged.
    """
    P, t = model.pop.persons, model.health
    u = model.streams["acute"].population(m, P.n)
    need = u < model.base_inpatient
    ill = model.chronic_ill  # their admission risk is scaled by their diseases
    need[ill] = u[ill] < model.base_inpatient[ill] * t.admission_rr[
        P.chronic[ill] | (P.managed[ill] << 4)]
    inpatient = np.flatnonzero(need & P.alive)
    outpatient = np.flatnonzero((u >= model.outpatient_threshold) & P.alive)
    return inpatient, outpatient, listed_admission_rank(model, inpatient, u[inpatient])


def chronic_course(model, m: int, ill: np.ndarray, deaths: list) -> list[Sick]:
    """Detection, management, cure and excess deaths of the chronically ill ``ill``.

    Returns the work lost by the chronically ill. Measures act on detection and on the
    management probabilities through the extension points (``sim.hooks``).

    Goes disease by disease (a cure clears the patient's bits before the next disease's
    detection asks whether a diagnosis is the first). Each disease's patients, its
    managed and its undiagnosed patients are picked from the bits of the ill gathered
    once (disease d's steps change bit d only, so a later disease still reads its own
    bits right). Deaths and work lost are listed disease by disease, each in the order
    of ``ill``. Tables are looked up with ``take`` at int8 cells (managed, age band), and
    selections are made with ``compress``, which is faster than boolean indexing on the
    dense masks of the common diseases.
    """
    P, t = model.pop.persons, model.health
    stream = model.streams["chronic"]
    detection = model.hooks.detection_factor()
    n_bands = np.int8(t.excess_death.shape[2])  # cells managed * n_bands + band fit int8
    bits = P.chronic[ill]
    managed_bits = bits & P.managed[ill]
    hidden_bits = bits & ~P.diagnosed[ill]
    died, sick, share = [], [], []
    for d in range(N_CHRONIC):
        b = bit(d)
        patients = ill.compress((bits & b) != 0)
        if len(patients) == 0:
            continue
        # draws are keyed, so each is made only for those who can make the transition
        managed = ill.compress((managed_bits & b) != 0)
        if t.dropout[d] > 0 and len(managed):
            drops = stream.keyed(managed, m, 8 * d + 2) < model.hooks.dropout(
                managed, d, t.dropout[d]) * model.care.dropout_price_factor(managed)
            P.managed[managed[drops]] &= ~b
        hidden = ill.compress((hidden_bits & b) != 0)
        if t.detect[d] > 0 and len(hidden):
            found = stream.keyed(hidden, m, 8 * d) < t.detect[d] * detection
            diagnose_chronic(model, hidden[found], d, m)
        is_managed = ((P.managed[patients] & b) != 0).view(np.int8)  # 0 or 1
        cell = is_managed * n_bands
        cell += model.band[patients]
        dies = stream.keyed(patients, m, 8 * d + 4) < t.excess_death[d].ravel().take(cell)
        loss = t.work_loss[d].take(is_managed)
        keep = loss > 0
        if t.resolve[d].max() > 0:
            cured = stream.keyed(patients, m, 8 * d + 3) < t.resolve[d].take(is_managed)
            gone = patients[cured]
            P.chronic[gone] &= ~b
            P.diagnosed[gone] &= ~b
            P.managed[gone] &= ~b
            dies &= ~cured
            keep &= ~cured
        died.append(patients[dies])
        if not keep.all():  # most often every patient loses work
            patients, loss = patients.compress(keep), loss.compress(keep)
        sick.append(patients)
        share.append(loss)
    if not died:
        return []
    deaths.append(np.concatenate(died))
    sick = np.concatenate(sick)
    return [Sick(sick, np.concatenate(share))] if len(sick) else []


def diagnose_chronic(model, persons: np.ndarray, d: int, m: int) -> None:
    """Diagnose disease ``d`` in ``persons``; some start management at once.

    Used by routine detection and by screening. The chance of starting management is
    ``manage_on_diagnosis``, raised by measures (``sim.hooks``, e.g. contracts).
    """
    if len(persons) == 0:
        return
    P = model.pop.persons
    b = bit(d)
    model.newly_diagnosed.append(persons[P.diagnosed[persons] == 0])
    P.diagnosed[persons] |= b
    base = model.health.manage_on_diagnosis[d]
    p = model.hooks.manage_on_diagnosis(persons, d, base)
    u = model.streams["chronic"].keyed(persons, m, 8 * d + 1)
    P.managed[persons[u < p]] |= b


def major_course(model, m: int, deaths: list) -> dict:
    """Diagnosis, treatment start, progression, course, cure and death of major diseases.

    Returns this month's major-disease bills (course months as inpatient episodes, ongoing
    care after a course as outpatient special-disease care), the work lost, and counts
    for the record. Treatment starts through care seeking (money barriers) and,
    for diseases on the special-treatment list, through designated-hospital capacity; a
    found case that does not start (a deposit it cannot pay, a queue) may progress while
    it waits, one that starts does not.
    """
    P, mt = model.pop.persons, model.health.major
    stream = model.streams["major"]
    ill = np.flatnonzero((P.major != NO_MAJOR) & P.alive)
    empty = np.zeros(0, np.int64)
    if len(ill) == 0:
        return {"bills": {"course": (empty, np.zeros(0), empty, np.zeros(0, bool)),
                          "ongoing": (empty, np.zeros(0), empty)}, "sick": [], "counts": {}}
    k = P.major[ill].astype(np.int64)
    found = P.major_found[ill]
    treating = P.major_months[ill] >= 0

    # symptomatic diagnosis of undiagnosed cases
    late = P.major_late[ill]
    u = stream.keyed_slots(ill, m, range(4))  # diagnosis, progression, cure, death
    detection = model.hooks.detection_factor()
    p_diag = np.where(late, mt["diagnose_late"][k], mt["diagnose_early"][k]) * detection
    newly = ~found & (u[0] < p_diag)
    P.major_found[ill[newly]] = True
    by = model._by_group
    counts = {"major_found_early": by(ill[newly & ~late]),
              "major_found_late": by(ill[newly & late])}
    found = found | newly

    # start of treatment for found, untreated cases
    want = found & ~treating
    if want.any():
        started = model.care.start_major_treatment(ill[want], k[want], m)
        P.major_months[started] = 0
        counts["major_treatment_started"] = by(started)
        treating = P.major_months[ill] >= 0

    # progression while untreated (a case starting treatment this month no longer progresses)
    prog = ~treating & ~late & (u[1] < mt["progress"][k])
    P.major_late[ill[prog]] = True
    late = late | prog

    # the month's bill: course cost spread over its months, then the ongoing cost
    months = P.major_months[ill].astype(np.int64)
    course = mt["course"][k]
    in_course = treating & (months < course)
    cost = np.where(late, mt["cost_late"][k], mt["cost_early"][k]) / course
    ongoing = np.where(late, mt["ongoing_late"][k], mt["ongoing"][k])
    bill = np.where(in_course, cost, np.where(treating, ongoing, 0.0))
    billed = bill > 0
    P.major_months[ill[in_course]] += 1

    # course end: cure or continue
    ended = in_course & (months + 1 >= course)
    cure_p = np.where(late, mt["cure_late"][k], mt["cure_early"][k])
    cured = ended & (u[2] < cure_p)

    # deaths
    p_die = np.where(late, np.where(treating, mt["death_late"][k], mt["death_untreated"][k]),
                     np.where(treating, mt["death_early_treated"][k], mt["death_early"][k]))
    died = ~cured & (u[3] < p_die)
    deaths.append(ill[died])
    counts["major_deaths"] = by(ill[died])
    counts["major_cured"] = by(ill[cured])
    counts["major_in_treatment"] = by(ill[treating & ~died])
    counts["major_untreated"] = by(ill[~treating & ~died])

    gone = ill[cured]
    P.major[gone] = NO_MAJOR
    P.major_late[gone] = False
    P.major_found[gone] = False
    P.major_months[gone] = -1
    sick = [Sick(ill[~died], mt["work_loss"][k[~died]])]
    # a course is one episode (its deductible is paid in its first month); what follows a
    # course that did not cure, and a course given as outpatient care, is outpatient
    # special-disease care (门诊慢特病)
    admitted = in_course & ~mt["outpatient"][k]
    episode_start = admitted & (months == 0)
    special = billed & ~admitted
    bills = {
        "course": (ill[admitted], bill[admitted], mt["level"][k[admitted]],
                   episode_start[admitted]),
        "ongoing": (ill[special], bill[special], mt["level"][k[special]]),
    }
    return {"bills": bills, "sick": sick,
            "counts": counts}


def births(model, m: int) -> np.ndarray:
    """Births of the month into their mothers' households; returns the newborns' indices.

    Women aged 15-44 give birth at ``population.births_per_woman_year`` (where the
    scenario has marriage, the wives of those ages living with their husbands, and by
    ``population.births_by_age``, at rates that keep the county's: :func:`eligible_mothers`),
    at most one birth per household and month, into the household's next empty slot, or,
    when none is left, the slot of a member who has died or left (none: no birth; the dead
    stay counted as dead, ``model.dead_replaced``).
    A pregnancy may carry a congenital condition (``birth_prevalence`` of health.major);
    prenatal screening may diagnose it, and the pregnancy may then end before birth (its
    slot stays empty); newborns are screened and found cases diagnosed at the early stage
    (``sim.birth_screening``). Newborns start otherwise healthy, uninsured until the next
    enrolment, and earn nothing.
    """
    P, H = model.pop.persons, model.pop.households
    pop = model.params["population"]
    rate = pop["births_per_woman_year"]
    if rate <= 0 or model.mothers is None or len(model.mothers) == 0:
        return np.zeros(0, np.int64)
    stream = model.streams["births"]
    living = P.alive[model.mothers]
    mothers, rate = model.mothers[living], rate * model.mothers_rate[living]
    give = mothers[stream.keyed(mothers, m, 0) < 1.0 - np.exp(-rate / 12.0)]
    hh = unique(P.hh[give])
    baby, empty = free_slots(model, hh)
    keep = baby >= 0
    hh, baby, empty = hh[keep], baby[keep], empty[keep]
    if len(hh) == 0:
        return np.zeros(0, np.int64)
    condition = birth_screening.conditions_at_birth(model, baby, m)
    ended = birth_screening.prenatal(model, baby, condition, m)
    hh, baby, condition, empty = hh[~ended], baby[~ended], condition[~ended], empty[~ended]
    if len(hh) == 0:
        return np.zeros(0, np.int64)
    occupy_slots(model, hh, baby, empty)
    P.major[baby] = condition
    P.major_late[baby] = False
    P.major_found[baby] = False
    P.major_months[baby] = -1
    P.alive[baby] = True
    P.born[baby] = True
    P.age[baby] = 0
    P.female[baby] = stream.keyed(baby, m, 1) < pop["female_share"]
    model.disability_u[baby] = model.streams["disability"].keyed(baby, m, 1)  # its own
    H.size[hh] += 1
    refresh_age(model, baby)
    birth_screening.newborn(model, baby, m)
    return baby


def free_slots(model, households: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A slot for one new member of each household, and whether it was never filled.

    The household's next slot never filled (``model.n_born``), or, when all have been, the
    first slot of a member who has died or left (-1: none); see :func:`occupy_slots`.
    """
    empty = model.n_born[households] < model.pop.slots[households]
    slot = np.where(empty, model.hh_first[households] + model.n_born[households], -1)
    slot[~empty] = _first_free_slot(model, households[~empty])
    return slot, empty


def occupy_slots(model, households: np.ndarray, slots: np.ndarray, empty: np.ndarray
                 ) -> None:
    """Take the slots :func:`free_slots` found (all >= 0) for new members.

    Never-filled slots count as filled; a dead member's slot is cleared (the dead stay
    counted as dead).
    """
    model.n_born[households[empty]] += 1
    _clear_slots(model, slots[~empty])


def _first_free_slot(model, households: np.ndarray) -> np.ndarray:
    """Each full household's first slot of a member who has died or left (-1: none).

    Only for households whose slots have all been filled (``model.n_born``): any slot
    without a living person is then one whose person died or left (``sim.formation``).
    """
    if len(households) == 0:
        return np.zeros(0, np.int64)
    P = model.pop.persons
    members = household_members(model, households)
    dead = ~P.alive[members]
    count = model.hh_size0[households]
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    none = np.iinfo(np.int64).max
    first = np.minimum.reduceat(np.where(dead, members, none), starts)
    return np.where(first == none, -1, first)


def _clear_slots(model, persons: np.ndarray) -> None:
    """The slots newborns take: the dead counted as dead still, their state cleared."""
    from sim.checks import NEVER  # here: sim.checks imports this module

    if len(persons) == 0:
        return
    P = model.pop.persons
    marriage.unlink(model, persons)
    dead = persons[P.born[persons]]  # the others left to form a household (already empty)
    model.dead_replaced += np.bincount(model.pgroup[dead], minlength=len(model.dead_replaced))
    for column in (P.chronic, P.diagnosed, P.managed):
        column[persons] = 0
    P.earn_share[persons] = 0.0
    P.death_month[persons] = -1
    model.last_check[persons] = NEVER
    model.ledger.clear(persons)
    model.care.chronic_share_paid[persons] = np.nan


def eligible_mothers(model) -> tuple[np.ndarray, np.ndarray]:
    """The women who may give birth this year, and each one's rate over the county's.

    Living women of childbearing age (``CHILDBEARING_AGES``; refreshed each January), or,
    where the scenario has marriage, those of them with a husband at home
    (``sim.marriage``). Their rates are in proportion to ``population.births_by_age``
    (absent: equal), scaled so that they give the county's births per woman of 15-44 over
    all its women of those ages.
    """
    women, wives = marriage.women_and_wives(model)
    mothers = wives if marriage.on(model.params) else women
    by_age = model.params["population"]["births_by_age"]
    if by_age is None:
        weight = np.ones(len(mothers))
    else:
        table = np.array([by_age[k] for k in MOTHER_AGES], float)
        age = model.pop.persons.age[mothers].astype(np.int64)
        weight = table[np.clip((age - CHILDBEARING_AGES[0]) // 5, 0, len(table) - 1)]
    total = weight.sum()
    return mothers, weight * (len(women) / total if total > 0 else 0.0)


def schedule_background_deaths(model, m: int) -> None:
    """At the start of each year, decide who dies of background causes and in which month."""
    P, t = model.pop.persons, model.health
    u = model.streams["death"].population(m, P.n)
    dies = np.flatnonzero((u < t.background_death[model.band]) & P.alive)
    month = (model.streams["death"].keyed(dies, m, 0) * 12).astype(np.int64)
    model.death_schedule = {int(k): dies[month == k] for k in range(12)}


def refresh_age(model, persons: np.ndarray | None = None) -> None:
    """Recompute what depends on age, after ageing, births or new rates.

    That is the age band, the (band, sex) row, each person's factor on chronic onset from
    the household's income (``health.chronic_onset_income_elasticity``, set yearly), each
    person's monthly probability of any onset (gathered here, once a year, rather than each
    month) and monthly admission and outpatient probabilities; for ``persons`` only (e.g.
    newborns, who keep a factor of 1 until January) when given.
    """
    P, t = model.pop.persons, model.health
    if persons is None:
        t.set_year(_year_now(model))
        model.band = age_band_index(P.age)
        model.band_sex = (model.band.astype(np.int16) * 2 + P.female).astype(np.int16)
        income_pp = household_income_pp(model)[P.hh]
        hp = model.params["health"]
        model.onset_factor = income_gradient(
            income_pp, model.band, hp["chronic_onset_income_elasticity"], P.alive)
        model.onset_total = _onset_total(model, model.band_sex, model.onset_factor)
        need = income_gradient(income_pp, model.band, hp["acute"]["income_elasticity"],
                               P.alive)
        _set_acute_need(model, t, model.band, 1.0 if need is None else need)
        return
    band = age_band_index(P.age[persons])
    model.band[persons] = band
    model.band_sex[persons] = band.astype(np.int16) * 2 + P.female[persons]
    if model.onset_factor is not None:
        model.onset_factor[persons] = 1.0
    model.onset_total[persons] = t.onset_cum[:, -1][model.band_sex[persons]]
    _set_acute_need(model, t, band, 1.0, persons)


def _set_acute_need(model, t, band: np.ndarray, factor, persons=None) -> None:
    """Monthly admission-need probability and outpatient threshold of each person.

    ``factor`` (per person, or 1) scales both: the income gradient of acute need
    (``health.acute.income_elasticity``). The outpatient part of the uniform stays above
    the admission part, so that the two kinds of need never share a draw.
    """
    inpatient = (t.inpatient[band] * factor).astype(np.float64)
    outpatient = np.minimum(t.outpatient[band] * factor, 1.0 - inpatient)
    if persons is None:
        model.base_inpatient = inpatient
        model.outpatient_threshold = 1.0 - outpatient
    else:
        model.base_inpatient[persons] = inpatient
        model.outpatient_threshold[persons] = 1.0 - outpatient


def _year_now(model) -> int:
    """Calendar year of the month being prepared: the SimPy clock's month (0 before the run).

    ``refresh_age`` runs at the start (month 0), at a calendar change and each January,
    all before the month's step, at their month on the clock.
    """
    env = getattr(model, "env", None)
    return model.timeline.year(int(env.now) if env is not None else 0)


def household_income_pp(model) -> np.ndarray:
    """Each household's income per person, yuan per year: earnings, transfers, programmes."""
    H = model.pop.households
    return (H.earned_year / np.maximum(H.size, 1) + H.transfer_pp_year
            + H.programme_pp_year)


def _onset_total(model, band_sex: np.ndarray, factor: np.ndarray | None) -> np.ndarray:
    """Monthly probability of any onset: the chronic part scaled by ``factor``."""
    cum = model.health.onset_cum
    total = cum[:, -1][band_sex]
    if factor is None:
        return total
    return total + (factor - 1.0) * cum[:, N_CHRONIC - 1][band_sex]


def apply_deaths(model, died: np.ndarray, illness: np.ndarray | None = None
                 ) -> np.ndarray:
    """Mark persons dead; households lose a member and part of the earnings share.

    The living members replace ``income.death_earnings_replaced`` of the earnings lost
    (working more, remittances; none when no member is left); if no earner is left, the
    living members of working age (or all living members) take over the earning. The
    part not replaced after a death from illness (``illness``: persons who died of their
    disease or after forgone care, not of background causes) counts as illness-caused
    income loss for the next 12 months (DESIGN.md; ``model.death_loss``).

    Returns the unique persons who died this month (alive until now).
    """
    P, H = model.pop.persons, model.pop.households
    died = unique(died)
    died = died[P.alive[died]]
    if len(died) == 0:
        return died
    P.alive[died] = False
    # sums over the affected households only (``at``: each death's household among them)
    affected, at = np.unique(P.hh[died], return_inverse=True)
    H.size[affected] -= np.bincount(at).astype(H.size.dtype)
    from_illness = member(died, unique(illness)) if illness is not None and len(illness) else (
        np.zeros(len(died), bool))
    lost_share = np.bincount(at, weights=P.earn_share[died])
    ill_share = np.bincount(at, weights=P.earn_share[died] * from_illness)
    lost = np.clip(lost_share, 0.0, 1.0)
    P.earn_share[died] = 0.0
    replaced = model.params["income"]["death_earnings_replaced"] * (H.size[affected] > 0)
    before = H.earned_year[affected].copy()
    H.earned_year[affected] = before * (1.0 - lost * (1.0 - replaced))
    model.death_loss.add(affected, before * ill_share * (1.0 - replaced) / 12.0,
                         model.current_month)
    share_earnings(model, affected)
    return died


def share_earnings(model, households: np.ndarray) -> None:
    """Renormalise the living members' earnings shares to one.

    If no living member earns, those of working age (or all) share the earning equally.
    """
    P = model.pop.persons
    members = household_members(model, households)
    # each member's position in ``households``: sums over those households only
    hh = np.repeat(np.arange(len(households)), model.hh_size0[households])
    living = P.alive[members]
    members, hh = members[living], hh[living]
    n = len(households)
    total = np.bincount(hh, weights=P.earn_share[members], minlength=n)
    pop = model.params["population"]
    working = (P.age[members] >= pop["worker_age_min"]) & (P.age[members] <= pop[
        "worker_age_max"])
    n_working = np.bincount(hh, weights=working, minlength=n)
    n_living = np.bincount(hh, minlength=n)
    none = total[hh] <= 1e-9
    take = np.where(n_working[hh] > 0, working / np.maximum(n_working[hh], 1),
                    1.0 / np.maximum(n_living[hh], 1))
    share = np.where(none, take, P.earn_share[members] / np.maximum(total[hh], 1e-12))
    P.earn_share[members] = share.astype(np.float32)


class DeathLoss:
    """Earnings lost to deaths from illness (yuan per month), for 12 months after each."""

    MONTHS = 12

    def __init__(self, n_households: int):
        self.per_month = np.zeros(n_households)
        self.until = np.full(n_households, -1, np.int32)

    def add(self, households: np.ndarray, yuan_per_month: np.ndarray, m: int) -> None:
        """Start (or add to) the loss of ``households`` from month ``m`` on."""
        hit = yuan_per_month > 0
        households, yuan_per_month = households[hit], yuan_per_month[hit]
        ongoing = self.until[households] > m
        self.per_month[households] = np.where(ongoing, self.per_month[households], 0.0) + (
            yuan_per_month)
        self.until[households] = m + self.MONTHS

    def month(self, m: int) -> np.ndarray:
        """The loss of month ``m`` per household (zero once its 12 months are over)."""
        return np.where(self.until > m, self.per_month, 0.0)


def household_members(model, households: np.ndarray) -> np.ndarray:
    """Person indices of the given households (persons of a household are contiguous)."""
    first = model.hh_first[households]
    count = model.hh_size0[households]
    total = int(count.sum())
    offsets = np.repeat(first - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
    return offsets + np.arange(total)
