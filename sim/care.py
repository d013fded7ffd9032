"""Care seeking and bills: who gets care, where, and what it costs (yuan).

Care depends on access and on money. An outpatient visit is forgone more often the farther
the household lives from the township health centre; an admission (or the start of a major
disease course) is forgone when a deposit is asked and the household holds less cash at
hand than the deposit (``sim.liquidity``), unless treat-first-pay-later applies
to its group. Forgone care costs nothing but loses more
working time and, for admissions, carries a risk of death.

Bills are log-normal around the mean cost of the facility level, drawn from keyed streams
(seek or not, level, amount), so a person's bill does not change when other people's care
changes. Dated rules of the scenario act here too: care-level steering
(``care.level_shift``) moves a share of each level's acute care one level down, where the
lower level's bill, deposit and terms follow; catalogue control (``care.catalogue``) cuts
the out-of-catalogue part of the bills of some groups at some levels (both rules by the
household's place where the scenario's places carry their own, ``sim.places``); health literacy by
year (``care.health_literacy``) changes how often outpatient care is forgone. Measures act
here only through the extension points of ``sim.hooks`` (price factors, access, deposit
waivers, the start of major-disease treatment), never by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.arrays import member, unique
from sim.birth_screening import panel_mask
from sim.parameters import AGE_BANDS, CHRONIC, GROUPS, LEVELS, MAJOR_CODE, NO_DISEASE, TB_INDEX
from sim.payment import Bills
from sim.rng import lognormal_with_mean, normal_from_uniform
from sim.schema import dated_value


def forgone_admission_death_by_age(params: dict) -> np.ndarray:
    """Chance that a forgone admission ends in death, by age band.

    ``care.forgone_admission_mortality_by_age = "flat"``: ``forgone_admission_mortality``
    at every age. ``"proportional"``: the shape of the background mortality table
    (``health.mortality_per_1000``), scaled so that the acute admissions needed at the
    start (``health.acute.inpatient_per_year`` times ``population.age_bands``) have a
    mean chance of ``forgone_admission_mortality``; capped at 1.
    """
    c = params["care"]
    p = c["forgone_admission_mortality"]
    bands = len(AGE_BANDS)
    if c["forgone_admission_mortality_by_age"] == "flat":
        return np.full(bands, p)
    table = lambda t: np.array([t[b] for b in AGE_BANDS], dtype=float)  # noqa: E731
    shape = table(params["health"]["mortality_per_1000"])
    needed = table(params["health"]["acute"]["inpatient_per_year"]) * table(
        params["population"]["age_bands"])
    mean = (shape * needed).sum() / needed.sum() if needed.sum() > 0 else shape.mean()
    return np.minimum(1.0, p * shape / mean)


@dataclass
class CareTables:
    """Care parameters as arrays by level (yuan)."""

    outpatient_seek: float  # at the first year of literacy_by_year
    literacy_by_year: dict | None  # year -> share of residents with basic health literacy
    literacy_forgo_rr: float  # forgoing care, literate relative to not literate
    inpatient_seek: float
    forgo_per_km: float
    forgo_without_deposit: float
    deposit: np.ndarray
    outpatient_levels_cum: np.ndarray  # (place, level): the places', then the rest's
    inpatient_levels_cum: np.ndarray  # (place, level)
    outpatient_cost: np.ndarray
    inpatient_cost: np.ndarray
    cost_log_sd: float
    forgone_days_multiplier: float
    forgone_admission_death: np.ndarray  # (band,) chance a forgone admission kills
    forgone_admission_recurs: float
    forgone_outpatient_admission: float
    delayed_cost_factor: float
    price_elasticity: dict
    reference_burden: dict
    income_floor: float
    in_scope: np.ndarray  # (level,) share of a bill in the insurance catalogue
    catalogue_cut: np.ndarray  # (place, group, level) share of the out-of-catalogue part cut
    catalogue_replaced: np.ndarray  # (place,) share of the cut replaced by catalogue items
    chronic_cost: np.ndarray  # (256,) monthly merged bill of the diseases not billed alone
    chronic_scope: np.ndarray  # (256,) its in-scope part
    alone: np.ndarray  # (disease,) bool: billed on its own (tuberculosis always)
    alone_cost: np.ndarray  # (disease, 2) monthly bill of a disease billed alone
    birth_screening: dict  # kind -> (coverage, panel mask over health.major, chance it finds)

    @classmethod
    def from_params(cls, params: dict, places: list[dict] = ()) -> CareTables:
        """Compile the ``care`` section and the chronic-care costs of ``health.chronic``.

        ``places`` are the parameters of each place of the scenario (``sim.scenario.
        place_params``): the care rules a place may carry (``care.level_shift``,
        ``care.catalogue``) are compiled for each place and for the rest of the scenario
        (last), indexed by ``Model.pplace``; the other care parameters are the scenario's.
        """
        c = params["care"]
        lv = _by_level
        every = [*places, params]
        in_scope = lv(c["in_scope_share"])
        chronic = params["health"]["chronic"]
        alone = np.array([d == TB_INDEX or bool(c["billed_alone"][name])
                          for d, name in enumerate(CHRONIC)])
        cost, scope = _chronic_tables(chronic, in_scope, alone)

        return cls(
            outpatient_seek=c["outpatient_seek"], inpatient_seek=c["inpatient_seek"],
            literacy_by_year=c["health_literacy"]["share_by_year"],
            literacy_forgo_rr=c["health_literacy"]["forgo_rr_literate"],
            forgo_per_km=c["forgo_per_km"], forgo_without_deposit=c["forgo_without_deposit"],
            deposit=lv(c["deposit_yuan"]),
            outpatient_levels_cum=np.array([_levels_cum(p, "outpatient") for p in every]),
            inpatient_levels_cum=np.array([_levels_cum(p, "inpatient") for p in every]),
            outpatient_cost=lv(c["outpatient_cost_yuan"]),
            inpatient_cost=lv(c["inpatient_cost_yuan"]),
            cost_log_sd=c["cost_log_sd"],
            forgone_days_multiplier=c["forgone_days_multiplier"],
            forgone_admission_death=forgone_admission_death_by_age(params),
            forgone_admission_recurs=c["forgone_admission_recurs"],
            forgone_outpatient_admission=c["forgone_outpatient_admission"],
            delayed_cost_factor=c["delayed_admission_cost_factor"],
            price_elasticity={k: c["demand"][f"{k}_price_elasticity"]
                              for k in ("outpatient", "inpatient")},
            reference_burden={k: c["demand"][f"{k}_reference_burden"]
                              for k in ("outpatient", "inpatient")},
            income_floor=c["demand"]["income_floor_yuan_per_month"],
            in_scope=in_scope, catalogue_cut=np.array([_catalogue_cut(p) for p in every]),
            catalogue_replaced=np.array([p["care"]["catalogue"]["replaced_share"]
                                         for p in every]),
            chronic_cost=cost, chronic_scope=scope,
            alone=alone,
            alone_cost=np.array([[chronic[name]["cost_yuan_per_month_unmanaged"],
                                  chronic[name]["cost_yuan_per_month_managed"]]
                                 for name in CHRONIC], dtype=float),
            birth_screening={
                kind: (c[f"{kind}_screening"]["coverage"],
                       panel_mask(c[f"{kind}_screening"]["conditions"],
                                  params["health"]["major"]),
                       c[f"{kind}_screening"][chance])
                for kind, chance in (("prenatal", "detection"), ("newborn", "sensitivity"))},
        )

    def outpatient_seek_in(self, year: int) -> float:
        """Chance of seeking outpatient care in ``year`` (before price and distance).

        ``outpatient_seek`` holds at the literacy share of the first year of
        ``care.health_literacy``; the chance of going without care is the population mix
        of literate persons (``literacy_forgo_rr`` times the rate of the others) and the
        others, relative to that first year's mix.
        """
        if self.literacy_by_year is None:
            return self.outpatient_seek
        first = next(iter(self.literacy_by_year.values()))
        now = dated_value(self.literacy_by_year, year)
        mix = (1.0 + now * (self.literacy_forgo_rr - 1.0)) / (
            1.0 + first * (self.literacy_forgo_rr - 1.0))
        return 1.0 - (1.0 - self.outpatient_seek) * mix

    def catalogue_controlled(self, place: np.ndarray, group: np.ndarray, level: np.ndarray,
                             amount: np.ndarray, scope: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
        """Bills (yuan) and their in-scope parts after catalogue control (``care.catalogue``).

        Of the out-of-catalogue part, the share cut at the bill's place, group and level is
        no longer prescribed: the place's ``catalogue_replaced`` of it comes back as
        catalogue items (in scope, same price), the rest is dropped (the bill falls).
        """
        cut = (amount - scope) * self.catalogue_cut[place, group, level]
        kept = cut * self.catalogue_replaced[place]
        return amount - (cut - kept), scope + kept


def _by_level(table: dict) -> np.ndarray:
    """A table keyed by level name as an array in the order of ``LEVELS``."""
    return np.array([table[k] for k in LEVELS], dtype=float)


def _levels_cum(params: dict, kind: str) -> np.ndarray:
    """Cumulative shares of ``kind`` care by level, after care-level steering."""
    c = params["care"]
    return np.cumsum(shift_down(_by_level(c[f"{kind}_levels"]), c["level_shift"][kind]))


def _catalogue_cut(params: dict) -> np.ndarray:
    """(group, level) share of the out-of-catalogue part cut (``care.catalogue``)."""
    cat = params["care"]["catalogue"]
    return np.outer([cat["groups"][g] for g in GROUPS], _by_level(cat["out_of_scope_cut"]))


def shift_down(shares: np.ndarray, moved: dict) -> np.ndarray:
    """Shares of care by level after moving, at each level named, that share one level down.

    ``moved`` maps level names to the share of their care moved (``care.level_shift``).
    Because levels are drawn by comparing one uniform with the cumulative shares, a shift
    moves exactly the patients whose draw lies in the moved band, each one level down.
    """
    out = np.array(shares, dtype=float)
    for name, share in moved.items():
        k = LEVELS.index(name)
        out[k] -= shares[k] * share
        out[k - 1] += shares[k] * share
    return out


def _chronic_tables(chronic: dict, in_scope: np.ndarray, alone: np.ndarray):
    """Monthly bill (and its in-scope part) of a patient's diseases not billed alone, by mask.

    The mask is ``diagnosed | managed << 4``; one merged bill per patient replaces one per
    disease.
    """
    cost, scope = np.zeros(256), np.zeros(256)
    for code in range(256):
        diagnosed, managed = code & 0x0F, code >> 4
        for d, name in enumerate(CHRONIC):
            if alone[d] or not diagnosed >> d & 1:
                continue
            p = chronic[name]
            c = p["cost_yuan_per_month_managed" if managed >> d & 1
                  else "cost_yuan_per_month_unmanaged"]
            cost[code] += c
            scope[code] += c * in_scope[LEVELS.index(p["care_level"])]
    return cost, scope


def _pick_level(u: np.ndarray, cum: np.ndarray, place: np.ndarray | None = None
                ) -> np.ndarray:
    """Facility level whose cumulative share first exceeds ``u`` (one compare per level).

    ``cum`` holds the cumulative shares by level: one row for every draw, or one row a
    place with ``place`` the row of each draw. With one row each compare is with a number,
    not with a gathered column.
    """
    rows = np.atleast_2d(cum)
    level = np.zeros(len(u), np.int8)
    for k in range(rows.shape[1] - 1):
        level += u >= (rows[0, k] if len(rows) == 1 else rows[place, k])
    return level


class CareSystem:
    """Care seeking and billing for one model; reads ``model.care_tables`` each month.

    Tables by level or by chronic code are read with ``take``: numpy indexes with small
    integer arrays (levels are int8, codes uint8) about three times slower.
    """

    def __init__(self, model):
        self.model = model
        # month -> persons whose need comes back, and each one's listed rank (0: none)
        self.delayed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        #: share of the last chronic bill each person paid out of pocket (NaN: none yet)
        self.chronic_share_paid = np.full(model.pop.persons.n, np.nan, np.float32)

    def note_chronic_paid(self, bills: Bills, oop: np.ndarray) -> None:
        """Remember the share of each chronic bill its patient paid (the latest bill wins)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(bills.amount > 0, oop / bills.amount, np.nan)
        self.chronic_share_paid[bills.person] = share

    def dropout_price_factor(self, persons: np.ndarray) -> np.ndarray:
        """Factor on managed patients' chance of stopping management, from what they pay.

        Linear in the share of their last chronic bill paid out of pocket, from
        ``chronic_dropout_free_ratio`` (nothing paid) to 1 (the whole bill), relative to
        the ``chronic_reference_share`` at which ``dropout_per_year`` holds; 1 for a
        patient with no bill yet.
        """
        d = self.model.params["care"]["demand"]
        phi = 1.0 - d["chronic_dropout_free_ratio"]
        share = self.chronic_share_paid[persons].astype(np.float64)
        share = np.where(np.isnan(share), d["chronic_reference_share"], share)
        return (1.0 - phi * (1.0 - share)) / (1.0 - phi * (1.0 - d["chronic_reference_share"]))

    def _bills(self, kind, persons, level, amount, tb, scope=None, disease=None) -> Bills:
        """A batch of bills of ``kind``; the in-scope part follows the level unless given.

        Measures may set a payment floor on them (``payment_floor``), told what each bill is
        for (``disease``: codes of ``sim.parameters``; NO_DISEASE unless given).
        """
        m = self.model
        ct = m.care_tables
        if scope is None:
            scope = amount * ct.in_scope.take(level)
        group = m.pgroup[persons]
        if ct.catalogue_cut.any():
            amount, scope = ct.catalogue_controlled(m.pplace[persons], group, level, amount,
                                                    scope)
        if disease is None:
            disease = np.full(len(persons), NO_DISEASE, np.int64)
        bills = Bills(person=persons, group=group, level=level.astype(np.int64),
                      amount=amount, scope=scope, insured=m.insured(persons), tb=tb)
        bills.floor = m.hooks.payment_floor(kind, bills, disease)
        return bills

    def deposit_blocks(self, persons: np.ndarray, level: np.ndarray, u: np.ndarray
                       ) -> np.ndarray:
        """True where a deposit is asked, there is no cash at hand, and care is forgone.

        A deposit is asked at levels with a deposit above zero unless treat-first-pay-later
        covers the household's group; the household must hold the deposit in cash at hand
        (``sim.liquidity``: what it paid and advanced lately, and debt, leave less).
        """
        m = self.model
        H, P, ct = m.pop.households, m.pop.persons, m.care_tables
        hh = P.hh[persons]
        asked = ~m.hooks.deposit_waived(H.group[hh], level) & (ct.deposit.take(level) > 0)
        short = ~m.liquidity.has_cash(hh, ct.deposit.take(level))
        return asked & short & (u < ct.forgo_without_deposit)

    def _seek(self, kind: str, bills: Bills, base: np.ndarray | float) -> np.ndarray:
        """Probability of seeking care given the out-of-pocket price the patient faces.

        Constant-elasticity demand in the burden: the quoted out of pocket of this episode
        over the household's per-capita income of a month (``sim.payment.quote``), relative
        to a reference burden at which ``base`` applies. Insurance, assistance, fee
        exemptions and lower prices lower the burden and raise use; poorer households face
        a higher burden for the same price (the income gradient).
        """
        m = self.model
        ct, P, acc = m.care_tables, m.pop.persons, m.accounts
        oop = m.places.quote(kind, bills, m.ledger)
        hh = P.hh[bills.person]
        income_pc_month = np.maximum(acc.sum_income[hh] / 12.0 / acc.person_years(hh),
                                     ct.income_floor)
        ref = ct.reference_burden[kind]
        burden = np.maximum(oop / income_pc_month, ref * 1e-3)
        return np.clip(base * (burden / ref) ** ct.price_elasticity[kind], 0.0, 1.0)

    def outpatient(self, persons: np.ndarray, month: int) -> dict:
        """Outpatient episodes: price, distance, seek or forgo, level, bill."""
        m = self.model
        ct, H, P = m.care_tables, m.pop.households, m.pop.persons
        u = m.streams["care_outpatient"].keyed_parts(persons, month)  # seek, level, bill
        dist = H.distance_km[P.hh[persons]]
        forgo = np.clip(ct.forgo_per_km * dist * m.hooks.access_factor(), 0.0, 1.0)
        level = _pick_level(u[1], ct.outpatient_levels_cum, m.pplace[persons])
        amount = lognormal_with_mean(ct.outpatient_cost.take(level), ct.cost_log_sd,
                                     normal_from_uniform(u[2]))
        amount = amount * m.hooks.price_factor("outpatient", persons, level)
        tb = (P.chronic[persons] & np.uint8(1 << TB_INDEX)) != 0
        bills = self._bills("outpatient", persons, level, amount, tb)
        seek_base = ct.outpatient_seek_in(m.timeline.year(month)) * (1.0 - forgo)
        seek = u[0] < self._seek("outpatient", bills, seek_base)
        forgone = persons[~seek]
        self._delay(forgone, month, ct.forgone_outpatient_admission, 5)
        bills = bills.subset(seek)
        m.hooks.after_care("outpatient", bills)
        return {"bills": bills, "forgone": forgone}

    def inpatient(self, persons: np.ndarray, month: int,
                  listed: np.ndarray | None = None) -> dict:
        """Admissions: price, deposit and access, admitted or forgone, level, bill.

        Needs delayed from earlier months (a forgone outpatient episode that worsened, a
        forgone admission that recurs) join this month's, at a higher cost. A forgone
        admission may end in death or recur next month, still for its listed disease.
        ``listed`` is the list rank of each need's disease (``sim.health.
        listed_admission_rank``; none listed when not given); the month's ranks are kept in
        ``model.admission_rank`` for the measures' extension points.
        """
        m = self.model
        ct, P = m.care_tables, m.pop.persons
        if listed is None:
            listed = np.zeros(len(persons), np.int64)
        persons, cost_factor, listed = self._with_delayed(persons, month, listed)
        m.admission_rank[persons] = listed
        s = m.streams["care_inpatient"]
        u = s.keyed_slots(persons, month, range(4))  # seek, level, bill, deposit
        level = _pick_level(u[1], ct.inpatient_levels_cum, m.pplace[persons])
        z = normal_from_uniform(u[2])
        amount = lognormal_with_mean(ct.inpatient_cost.take(level), ct.cost_log_sd, z) * (
            cost_factor * m.hooks.price_factor("inpatient", persons, level))
        tb = (P.chronic[persons] & np.uint8(1 << TB_INDEX)) != 0
        bills = self._bills("inpatient", persons, level, amount, tb)
        seek = u[0] < self._seek("inpatient", bills, ct.inpatient_seek)
        blocked = self.deposit_blocks(persons, level, u[3])
        admitted = seek & ~blocked
        forgone = persons[~admitted]
        dies = forgone[s.keyed(forgone, month, 4)
                       < ct.forgone_admission_death.take(m.band[forgone])]
        survivors = forgone[~member(forgone, dies)]  # both sorted, distinct
        self._delay(survivors, month, ct.forgone_admission_recurs, 6,
                    m.admission_rank[survivors])
        bills = bills.subset(admitted)
        m.hooks.after_care("inpatient", bills)
        return {"bills": bills, "forgone": forgone, "deaths": dies,
                "deposit_forgone": int(blocked.sum())}

    def _delay(self, persons: np.ndarray, month: int, p: float, slot: int,
               listed: np.ndarray | None = None) -> None:
        """Forgone care that comes back: an admission need next month, with chance ``p``.

        ``listed``: the list rank of each one's disease (a worsened outpatient episode has
        none).
        """
        if p <= 0 or len(persons) == 0:
            return
        back = self.model.streams["care_delayed"].keyed(persons, month, slot) < p
        if back.any():
            rank = np.zeros(len(persons), np.int64) if listed is None else listed
            old = self.delayed.get(month + 1, (np.zeros(0, np.int64), np.zeros(0, np.int64)))
            self.delayed[month + 1] = (np.concatenate([old[0], persons[back]]),
                                       np.concatenate([old[1], rank[back]]))

    def _with_delayed(self, persons: np.ndarray, month: int, listed: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Admission needs with the delayed ones added, each one's cost factor and rank.

        The delayed come back dearer (``delayed_admission_cost_factor``). A person both
        delayed and in need again this month has this month's need's listed rank; one
        delayed twice keeps the higher rank (a listed disease over none).
        """
        late = self.delayed.pop(month, None)
        if late is None:
            return persons, np.ones(len(persons)), listed
        P = self.model.pop.persons
        late, late_rank = late
        keep = P.alive[late]
        late, late_rank = late[keep], late_rank[keep]
        order = np.lexsort((-late_rank, late))
        late, late_rank = late[order], late_rank[order]
        first = np.ones(len(late), bool)
        first[1:] = late[1:] != late[:-1]
        late, late_rank = late[first], late_rank[first]
        allp = unique(np.concatenate([persons, late]))
        factor = np.ones(len(allp))
        rank = np.zeros(len(allp), np.int64)
        at_late = np.searchsorted(allp, late)
        factor[at_late] = self.model.care_tables.delayed_cost_factor
        rank[at_late] = late_rank
        rank[np.searchsorted(allp, persons)] = listed
        self.model.month_counts["admissions_delayed"] += self.model._by_group(late)
        return allp, factor, rank

    def chronic(self, ill: np.ndarray) -> list[Bills]:
        """Monthly bills of diagnosed chronic patients.

        One merged bill per patient for the diseases not billed alone, then one bill for each
        disease billed alone (tuberculosis, and those of ``care.billed_alone``), at its own
        care level, so that a payment floor can reach that disease's bills only.
        """
        m = self.model
        P, ct = m.pop.persons, m.care_tables
        diagnosed, managed = P.diagnosed[ill], P.managed[ill]  # gathered once for every bill
        code = diagnosed | (managed << 4)
        keep = np.flatnonzero(ct.chronic_cost.take(code) > 0)
        who, code = ill[keep], code[keep]
        level = np.full(len(who), LEVELS.index("township"), np.int8)
        factor = m.hooks.price_factor("chronic", who, level)
        out = [self._bills("chronic", who, level, ct.chronic_cost.take(code) * factor,
                           np.zeros(len(who), bool), ct.chronic_scope.take(code) * factor)]
        for d in np.flatnonzero(ct.alone):
            bit = np.uint8(1 << d)
            has = (diagnosed & bit) != 0
            sick = ill[has]
            managed_d = ((managed[has] & bit) != 0).astype(np.int64)
            level = np.full(len(sick), m.health.chronic_level[d], np.int8)
            factor = m.hooks.price_factor("chronic", sick, level)
            out.append(self._bills("chronic", sick, level, ct.alone_cost[d, managed_d] * factor,
                                   np.full(len(sick), d == TB_INDEX),
                                   disease=np.full(len(sick), d, np.int64)))
        return out

    def major(self, kind: str, persons: np.ndarray, amount: np.ndarray, level: np.ndarray,
              new_episode: np.ndarray | None = None, major_of: np.ndarray | None = None
              ) -> Bills:
        """Major-disease bills: course months or care after a course.

        ``kind`` is ``inpatient`` for a course month and ``special`` for care after it;
        the special-treatment programme may lower them.

        ``new_episode`` marks the bills that open an inpatient episode (the first month of
        a course), which pay the per-admission deductible. ``major_of`` is each person's
        major disease at the start of the month's course (a course that ends this month
        still bills for it); without it the bills are told no disease.
        """
        m = self.model
        amount = amount * m.hooks.price_factor("major", persons, level)
        disease = None if major_of is None else MAJOR_CODE + major_of[persons].astype(np.int64)
        bills = self._bills(kind, persons, level, amount, np.zeros(len(persons), bool),
                            disease=disease)
        bills.new_episode = new_episode
        return bills

    def start_major_treatment(self, persons: np.ndarray, disease: np.ndarray,
                              month: int) -> np.ndarray:
        """Found cases asking for treatment: price, deposit, then hospital capacity.

        Starting a course given as admissions is an admission: it happens with the
        admissions' demand for the out of pocket of its first month (``_seek`` with
        ``inpatient_seek``; insurance, assistance, special treatment's lower bills raise
        it), and needs the deposit; a course given as outpatient care (``treated_as``)
        starts without either. A case that does not start asks again next month, while the
        disease may progress.
        """
        m = self.model
        P, mt = m.pop.persons, m.health.major
        s = m.streams["care_major"]
        level = mt["level"][disease]
        admitted = ~mt["outpatient"][disease]
        seek = np.ones(len(persons), bool)
        ask = np.flatnonzero(admitted)
        if len(ask):
            who, k = persons[ask], disease[ask]
            late = P.major_late[who]
            first_month = np.where(late, mt["cost_late"][k], mt["cost_early"][k]) / (
                mt["course"][k])
            quote = self.major("inpatient", who, first_month, level[ask],
                               new_episode=np.ones(len(who), bool), major_of=P.major)
            seek[ask] = s.keyed(who, month, 1) < self._seek("inpatient", quote,
                                                            m.care_tables.inpatient_seek)
        blocked = self.deposit_blocks(persons, level, s.keyed(persons, month, 0)) & admitted
        counts = m.month_counts
        counts["major_price_forgone"] += m._by_group(persons[~seek])
        counts["major_deposit_forgone"] += m._by_group(persons[seek & blocked])
        go = seek & ~blocked
        return m.hooks.start_major(persons[go], disease[go], month)
