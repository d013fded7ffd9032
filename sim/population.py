"""Synthetic households and persons, generated from a region profile and a seed.

Persons and households are kept as columns (struct of arrays): person ``i`` belongs to
household ``persons.hh[i]``. The population depends only on the ``population``, ``income`` and
``health`` parameters and the seed, so two scenarios that
differ only in policies start from the very same people (common random numbers).

Simplifications (documented assumptions): ages are drawn independently per person, then a
household without an adult gets one; earned income is shared equally by the members of
working age (all members if none is); log earned income is log-normal around the group's
median, a permanent part plus an AR(1) shock started from its stationary spread, with no
floor; major diseases start at their steady-state prevalence (:func:`draw_major`);
households where a woman could bear a child during the run (aged 10-44 at the start, and
in runs longer than six years the younger girls who reach 15 before the end) get
``birth_slots`` empty person slots (births beyond them are not simulated).

The poverty registry (建档立卡) at the start: in each group a share of households is still
registered poor (``registered_poor_share``): the group's households with the lowest income
per person, since registration took the poorest and the richest have exited; a further
share exited before the start (``formerly_poor_share``, drawn among the others). Each
registered household (poor or exited) has a recorded main cause of poverty; illness is
recorded with a probability that depends on whether a member was ill when it was
registered (``registry.cause_illness_share``).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, fields

import numpy as np

from sim import marriage
from sim.parameters import (
    AGE_BAND_LOWER,
    AGE_BANDS,
    CHILDBEARING_AGES,
    CHRONIC,
    GROUPS,
    HOUSEHOLD_SIZES,
)
from sim.rng import Streams
from sim.timeline import Timeline

NO_MAJOR = -1
MAX_AGE = 100
#: person columns whose value in an empty slot is -1 (none), not 0
MINUS_ONE_WHEN_EMPTY = ("major", "major_months", "death_month", "insured_known")


def empty_person_slots(persons: Persons, which: np.ndarray) -> None:
    """Give the persons ``which`` the values of an empty slot (not born); ``hh`` stays."""
    for f in fields(persons):
        if f.name != "hh":
            getattr(persons, f.name)[which] = -1 if f.name in MINUS_ONE_WHEN_EMPTY else 0


@dataclass
class Persons:
    """Person columns. Money in yuan; bit ``d`` of a mask refers to ``CHRONIC[d]``."""

    hh: np.ndarray  # int32 household index
    age: np.ndarray  # int16 years
    female: np.ndarray  # bool
    alive: np.ndarray  # bool
    born: np.ndarray  # bool: false for an empty slot awaiting a birth
    chronic: np.ndarray  # uint8 bitmask of diseases present
    diagnosed: np.ndarray  # uint8 bitmask of diseases diagnosed
    managed: np.ndarray  # uint8 bitmask of diseases under standardised management
    major: np.ndarray  # int8 index into health.major, NO_MAJOR if none
    major_late: np.ndarray  # bool: late stage
    major_found: np.ndarray  # bool: diagnosed
    major_months: np.ndarray  # int16: months of the treatment course done (-1 not started)
    earn_share: np.ndarray  # float32 share of the household's earned income
    death_month: np.ndarray  # int16 month of the current year in which background death falls
    insured_known: np.ndarray  # int8 insured at the start per a data file: 1, 0, -1 unknown

    @property
    def n(self) -> int:
        """Number of persons (alive or not)."""
        return len(self.hh)

    def nbytes(self) -> int:
        """Memory held by the columns."""
        return _nbytes(self)


@dataclass
class Households:
    """Household columns. Incomes in yuan per year; ``size`` counts living members."""

    group: np.ndarray  # int8 index into GROUPS
    formerly_poor: np.ndarray  # bool exited registered poverty (脱贫户)
    registered: np.ndarray  # bool registered poor, not (yet) exited (建档立卡未脱贫)
    cause_illness: np.ndarray  # bool registry's recorded main cause is illness (因病)
    monitored: np.ndarray  # bool identified as a monitored object (监测对象)
    township: np.ndarray  # int32
    size: np.ndarray  # int16 living members
    savings: np.ndarray  # bool has cash for a deposit
    distance_km: np.ndarray  # float32 to the township health centre
    earned_year: np.ndarray  # float64 earned income of the living members at full capacity
    transfer_pp_year: np.ndarray  # float32 cash transfers per living member
    programme_pp_year: np.ndarray  # float32 income from non-health programmes per member
    shock: np.ndarray  # float32 current log income shock

    @property
    def n(self) -> int:
        """Number of households."""
        return len(self.group)

    def nbytes(self) -> int:
        """Memory held by the columns."""
        return _nbytes(self)


def _nbytes(columns) -> int:
    return sum(getattr(columns, f.name).nbytes for f in fields(columns))


@dataclass
class Population:
    """Persons and their households."""

    persons: Persons
    households: Households
    slots: np.ndarray  # person slots of each household (members and room for births)
    #: households of the sample: those from ``sample_households`` on are spare blocks of
    #: empty slots that new households may take (:func:`with_spare_blocks`)
    sample_households: int = -1

    def __post_init__(self):
        if self.sample_households < 0:
            self.sample_households = self.households.n

    def nbytes(self) -> int:
        """Memory held by all columns."""
        return self.persons.nbytes() + self.households.nbytes() + self.slots.nbytes


def severely_disabled(model, persons: np.ndarray) -> np.ndarray:
    """Whether each person has a severe disability now (``health.severe_disability_share``).

    The person's fixed uniform (``Model.disability_u``, stream ``disability``; drawn again
    for a newborn or a new household's member in a slot) below the share of the person's
    current age band: the share rises with age, so a person stays disabled once disabled
    and may become so with age.
    """
    share = np.array([model.params["health"]["severe_disability_share"][b]
                      for b in AGE_BANDS])
    return model.disability_u[persons] < share[model.band[persons]]


def special_family(model, households: np.ndarray) -> np.ndarray:
    """Whether each household is a family-planning special family (a fixed status).

    The household's fixed uniform (``Model.special_family_u``, stream ``special_family``)
    below ``population.special_family_share``; a household of young adults formed in an
    ended one's slots is not one (its uniform is 1).
    """
    return model.special_family_u[households] < model.params["population"][
        "special_family_share"]


def age_band_index(age: np.ndarray) -> np.ndarray:
    """Index into AGE_BANDS for each age."""
    return (np.searchsorted(np.asarray(AGE_BAND_LOWER), age, side="right") - 1).astype(np.int8)


def build_population(params: dict, streams: Streams, households: int | None = None
                     ) -> Population:
    """The population of a scenario: from its data files if it names them, else synthetic.

    ``households`` overrides the scenario's number of synthetic households (a data file
    sets its own, see :mod:`sim.population_file`).
    """
    pop = params["population"]
    if pop["from"]:
        from sim.population_file import population_from_file

        return population_from_file(params, streams)
    inc = params["income"]
    n_hh = int(households or pop["households"])
    rng = streams["population"].generator(0)

    sizes = 1 + rng.choice(len(HOUSEHOLD_SIZES), size=n_hh,
                           p=_shares(pop["household_size"], HOUSEHOLD_SIZES))
    group = rng.choice(len(GROUPS), size=n_hh, p=_shares(pop["group_shares"], GROUPS))
    group = group.astype(np.int8)
    u_formerly = rng.random(n_hh)
    savings = rng.random(n_hh) < _by_group(pop["savings_share"])[group]
    distance = pop["distance_km_median"] * np.exp(pop["distance_km_log_sd"]
                                                  * rng.standard_normal(n_hh))
    township = rng.integers(0, pop["townships"], size=n_hh).astype(np.int32)

    hh = np.repeat(np.arange(n_hh, dtype=np.int32), sizes)
    n_p = len(hh)
    age, in_old_home = _draw_member_ages(rng, pop, hh, sizes)
    female = rng.random(n_p) < pop["female_share"]
    place_children_with_mothers(rng, hh, age, female)
    if marriage.on(params):
        marriage.place_husbands_with_wives(rng, hh, age, female, ~in_old_home)
        place_children_with_mothers(rng, hh, age, female)

    earn_share, hh_capacity = capacity_shares(age, hh, sizes, params)

    earned_pp, shock = draw_earnings(rng, params, group, n_hh)
    earned_year = capacity_earnings(earned_pp, hh_capacity, sizes)
    transfers = _by_group(inc["transfers_yuan"])[group]
    gradient = income_gradient((earned_year / sizes + transfers)[hh], age_band_index(age),
                               params["health"]["chronic_onset_income_elasticity"])
    chronic, diagnosed, managed = draw_chronic(rng, params["health"]["chronic"], age,
                                               gradient)
    registered = _lowest_in_group(earned_year / sizes + transfers, group,
                                  _by_group(pop["registered_poor_share"]))
    formerly = ~registered & (u_formerly * (1.0 - _by_group(pop["registered_poor_share"])[
        group]) < _by_group(pop["formerly_poor_share"])[group])
    cause_illness = _recorded_cause(rng, params, hh, chronic, diagnosed, n_hh)
    cause_illness &= registered | formerly

    major, major_late, major_found, major_months = draw_major(
        streams["population"].generator(1), params["health"], age, female)
    persons = Persons(
        hh=hh, age=age, female=female, alive=np.ones(n_p, bool), born=np.ones(n_p, bool),
        chronic=chronic, diagnosed=diagnosed, managed=managed, major=major,
        major_late=major_late, major_found=major_found, major_months=major_months,
        earn_share=earn_share, death_month=np.full(n_p, -1, np.int16),
        insured_known=np.full(n_p, -1, np.int8),
    )
    slots = birth_slots(params, hh, sizes, age, female)
    persons = _with_birth_slots(persons, sizes, slots)
    households_ = Households(
        group=group, formerly_poor=formerly, registered=registered,
        cause_illness=cause_illness, monitored=np.zeros(n_hh, bool), township=township,
        size=sizes.astype(np.int16), savings=savings, distance_km=distance.astype(np.float32),
        earned_year=earned_year.astype(np.float64),
        transfer_pp_year=transfers.astype(np.float32),
        programme_pp_year=np.zeros(n_hh, np.float32),
        shock=shock,
    )
    return Population(persons, households_, slots.astype(np.int64))


#: the populations this process built last, newest last (see :func:`population_for_run`)
_BUILT: OrderedDict[tuple, Population] = OrderedDict()
#: at most this many bytes of them are kept
BUILT_CACHE_BYTES = 512 * 2**20
#: the parameter sections a population is built from (``build_population`` and the file
#: reader read nothing else)
POPULATION_SECTIONS = ("population", "income", "health", "registry")


def population_for_run(params: dict, streams: Streams, households: int | None = None
                       ) -> Population:
    """:func:`build_population`, built once per process for the runs that share it.

    A sweep of measures, packages or budgets runs many scenarios that differ only in
    their policies with the same seeds, so they start from the very same people
    (common random numbers); building them again for each run costs 3-5% of a run. The
    population is kept under a key of the seed, the number of households, the
    parameter sections it is built from and, for a data file, its size and time; each
    run gets its own copy, since a run changes its population as it goes.
    """
    key = _population_key(params, streams.seed, households)
    pop = _BUILT.get(key)
    if pop is None:
        pop = build_population(params, streams, households)
        _BUILT[key] = copy_population(pop)
        while len(_BUILT) > 1 and sum(p.nbytes() for p in _BUILT.values()) > BUILT_CACHE_BYTES:
            _BUILT.popitem(last=False)
        return pop
    _BUILT.move_to_end(key)
    return copy_population(pop)


def _population_key(params: dict, seed: int, households: int | None) -> tuple:
    sections = json.dumps({k: params[k] for k in POPULATION_SECTIONS}, sort_keys=True,
                          default=str)
    digest = hashlib.blake2b(sections.encode(), digest_size=16).hexdigest()
    files = ()
    if params["population"]["from"]:
        from sim.population_file import data_paths

        files = tuple((str(p), os.stat(p).st_size, os.stat(p).st_mtime_ns) if p.is_file()
                      else (str(p),) for p in data_paths(params["population"]))
    return int(seed), households, digest, files


def copy_population(pop: Population) -> Population:
    """A copy of every column of ``pop`` (the arrays are not shared)."""
    def columns(obj):
        return {f.name: getattr(obj, f.name).copy() for f in fields(obj)}

    return Population(type(pop.persons)(**columns(pop.persons)),
                      type(pop.households)(**columns(pop.households)), pop.slots.copy(),
                      pop.sample_households)


def work_capacity(age: np.ndarray, params: dict) -> np.ndarray:
    """Earning capacity of each person in working-age equivalents.

    One from ``population.worker_age_min`` to ``worker_age_max``,
    ``income.elderly_work_capacity`` above, none below. A household's earned income is
    spread over its members in proportion to it, and follows it as members age.
    """
    pop = params["population"]
    return np.where(age < pop["worker_age_min"], 0.0,
                    np.where(age <= pop["worker_age_max"], 1.0,
                             params["income"]["elderly_work_capacity"]))


def capacity_shares(age, hh, sizes, params) -> tuple[np.ndarray, np.ndarray]:
    """Each member's share of the household's earnings, and each household's capacity.

    Shares follow the members' capacity (equal shares in a household without any).
    """
    capacity = work_capacity(age, params)
    hh_capacity = np.bincount(hh, weights=capacity, minlength=len(sizes))
    share = np.where(hh_capacity[hh] > 0, capacity / np.maximum(hh_capacity[hh], 1e-12),
                     1.0 / np.maximum(sizes[hh], 1))
    return share.astype(np.float32), hh_capacity


def capacity_earnings(earned_pp: np.ndarray, hh_capacity: np.ndarray, sizes: np.ndarray
                      ) -> np.ndarray:
    """Household earnings (yuan per year) from drawn earnings per person.

    Earnings follow the members' capacity: a household of workers earns more per person
    than one of children and elderly; the scale keeps the drawn median per person.
    """
    per_capacity = sizes.sum() / max(hh_capacity.sum(), 1e-12)
    return earned_pp * np.where(hh_capacity > 0, hh_capacity * per_capacity, sizes)


def with_spare_blocks(pop: Population, n_blocks: int, block_slots: int) -> Population:
    """The population with ``n_blocks`` empty households of ``block_slots`` slots appended.

    A new household of young adults needs room for its births, but the households that end
    are mostly those of one or two old members, whose slots it would take over
    (:mod:`sim.formation`). The spare blocks give it room: they are households without
    members (size 0, no group, township or income yet) after the sample's, whose persons
    are empty slots. Appending after the sample keeps every draw of the sample's persons
    and households (draws are per index, see :mod:`sim.rng`).
    """
    if n_blocks <= 0:
        return pop
    P, H = pop.persons, pop.households
    n_new = n_blocks * block_slots
    persons = {}
    for f in fields(Persons):
        old = getattr(P, f.name)
        tail = np.zeros(n_new, old.dtype)
        if f.name == "hh":
            tail = H.n + np.repeat(np.arange(n_blocks), block_slots).astype(old.dtype)
        elif f.name in MINUS_ONE_WHEN_EMPTY:
            tail.fill(-1)
        persons[f.name] = np.concatenate([old, tail])
    households = {f.name: np.concatenate([getattr(H, f.name),
                                          np.zeros(n_blocks, getattr(H, f.name).dtype)])
                  for f in fields(Households)}
    slots = np.concatenate([pop.slots, np.full(n_blocks, block_slots, pop.slots.dtype)])
    return Population(Persons(**persons), Households(**households), slots,
                      pop.sample_households)


def birth_slots(params: dict, hh: np.ndarray, sizes: np.ndarray, age: np.ndarray,
                female: np.ndarray) -> np.ndarray:
    """Person slots of each household: its members, and more if a birth can come.

    ``population.birth_slots`` more where a woman can give birth during the run: a woman
    or girl aged 10 up to the end of childbearing age (``CHILDBEARING_AGES``) at the start,
    and in a run of more than five new years (``Timeline.januaries``) the younger girls who
    reach childbearing age before it ends (in a ten-year run, from 5).
    """
    januaries = Timeline.from_calendar(params["calendar"]).januaries
    youngest = min(10, CHILDBEARING_AGES[0] - januaries)
    could_bear = np.bincount(hh, weights=female & (age >= youngest)
                             & (age <= CHILDBEARING_AGES[1]), minlength=len(sizes))
    return sizes + params["population"]["birth_slots"] * (could_bear > 0)


def _with_birth_slots(persons: Persons, sizes: np.ndarray, slots: np.ndarray) -> Persons:
    """The persons laid out again with empty slots for births after each household's members.

    Persons of a household stay contiguous (members first); a slot is a person not yet
    born (``born`` and ``alive`` false) that a birth fills (``sim.births``).
    """
    if (slots == sizes).all():
        return persons
    n = int(slots.sum())
    first_new = np.concatenate([[0], np.cumsum(slots)[:-1]])
    first_old = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    hh_old = persons.hh
    position = np.arange(len(hh_old)) - first_old[hh_old]
    where = first_new[hh_old] + position
    out = {}
    for f in fields(Persons):
        old = getattr(persons, f.name)
        new = np.zeros(n, old.dtype)
        if f.name == "hh":
            new = np.repeat(np.arange(len(slots), dtype=old.dtype), slots)
        elif f.name in MINUS_ONE_WHEN_EMPTY:
            new.fill(-1)
        new[where] = old
        out[f.name] = new
    return Persons(**out)


def draw_earnings(rng, params: dict, group, n: int):
    """Earned income per person (yuan per year) and the AR(1) shock of each household.

    Log earned income is the group's log median plus a normal deviation of spread
    ``earned_log_sd``, made of a permanent part and the AR(1) shock at its stationary
    spread; the shock is drawn from its distribution given the deviation. No floor: some
    households start below the line, as surveys find (the poor are identified by the
    registry and by monitoring, not by construction).
    """
    inc = params["income"]
    median = _by_group(inc["earned_median_yuan"])[group]
    sd_total = np.maximum(_by_group(inc["earned_log_sd"])[group], 1e-9)
    rho, sd_eps = inc["shock_persistence"], inc["shock_sd"]
    var_shock = np.minimum(sd_eps**2 / max(1.0 - rho * rho, 1e-9), sd_total**2)
    deviation = sd_total * rng.standard_normal(n)
    var_total = sd_total**2
    shock = (deviation * var_shock / var_total + np.sqrt(
        var_shock * (var_total - var_shock) / var_total) * rng.standard_normal(n))
    return median * np.exp(deviation), shock.astype(np.float32)


def _lowest_in_group(per_person: np.ndarray, group: np.ndarray, share: np.ndarray
                     ) -> np.ndarray:
    """Mask of the ``share[g]`` households of each group ``g`` with the lowest income."""
    out = np.zeros(len(group), bool)
    for g in np.flatnonzero(share > 0):
        members = np.flatnonzero(group == g)
        k = int(round(share[g] * len(members)))
        if k:
            out[members[np.argsort(per_person[members], kind="stable")[:k]]] = True
    return out


def _recorded_cause(rng, params: dict, hh, chronic, diagnosed, n_hh: int) -> np.ndarray:
    """Whether the registry records illness as a household's main cause of poverty.

    Illness is recorded with probability ``cause_illness_share.ill`` when a member has a
    diagnosed chronic disease other than hypertension (diabetes, tuberculosis, severe
    mental disorder) and ``cause_illness_share.not_ill`` otherwise; hypertension alone is
    too common (a third of adults) to mark a household as ill.
    """
    shares = params["registry"]["cause_illness_share"]
    serious = (diagnosed & chronic & np.uint8(0b1110)) != 0
    ill = np.bincount(hh, weights=serious, minlength=n_hh) > 0
    p = np.where(ill, shares["ill"], shares["not_ill"])
    return rng.random(n_hh) < p


def _shares(table: dict, keys) -> np.ndarray:
    p = np.array([table[k] for k in keys], dtype=float)
    return p / p.sum()


def _by_group(table: dict) -> np.ndarray:
    return np.array([table[g] for g in GROUPS], dtype=float)


def _draw_ages(rng: np.random.Generator, bands: dict, n: int) -> np.ndarray:
    band = rng.choice(len(AGE_BANDS), size=n, p=_shares(bands, AGE_BANDS))
    lower = np.asarray(AGE_BAND_LOWER)
    upper = np.append(lower[1:], MAX_AGE - 4)
    return (lower[band] + rng.random(n) * (upper[band] - lower[band])).astype(np.int16)


#: Age bands of people counted as older (60+) for elderly-only households.
ELDERLY_BANDS = tuple(b for b, lower in zip(AGE_BANDS, AGE_BAND_LOWER, strict=True) if lower >= 60)


def _draw_member_ages(rng, pop: dict, hh: np.ndarray, sizes: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Ages of every person, with older people living on their own where the scenario says.

    A share ``elderly_only_share`` of the households of each size are made of people aged
    60 or more only (in rural China mostly older people living alone or as a couple while
    their children work away). Their members' ages come from the 60+ bands; everyone
    else's from the bands left over, so that ``age_bands`` still describes all persons.
    Without elderly-only households, ages are independent of household size. Also returns
    whether each person lives in an elderly-only household.
    """
    bands = pop["age_bands"]
    share = np.array([pop["elderly_only_share"][k] for k in HOUSEHOLD_SIZES])
    if not share.any():
        age = _draw_ages(rng, bands, len(hh))
        _ensure_an_adult(rng, hh, age, sizes, bands)
        return age, np.zeros(len(hh), bool)
    in_old_home = (rng.random(len(sizes)) < share[sizes - 1])[hh]
    n, n_old_home = len(hh), int(in_old_home.sum())
    old = {k: (v if k in ELDERLY_BANDS else 0.0) for k, v in bands.items()}
    old_total = sum(old.values())
    rest = {k: max(v * n - n_old_home * old[k] / old_total, 0.0) for k, v in bands.items()}
    age = np.empty(n, np.int16)
    age[in_old_home] = _draw_ages(rng, old, n_old_home)
    age[~in_old_home] = _draw_ages(rng, rest, n - n_old_home)
    _ensure_an_adult(rng, hh, age, sizes, rest, donors=~in_old_home)
    return age, in_old_home


def elderly_only_persons_share(pop: dict) -> tuple[float, float]:
    """Expected share of persons living in elderly-only households, and the 60+ share.

    The first may not exceed the second (a scenario check).
    """
    size = np.array([pop["household_size"][k] for k in HOUSEHOLD_SIZES])
    persons = size * np.arange(1, len(HOUSEHOLD_SIZES) + 1)
    eo = np.array([pop["elderly_only_share"][k] for k in HOUSEHOLD_SIZES])
    return float((persons * eo).sum() / persons.sum()), sum(
        pop["age_bands"][k] for k in ELDERLY_BANDS)


def _ensure_an_adult(rng, hh, age, sizes, bands, donors=None) -> None:
    """Give households with no member aged 18+ an adult as their first member.

    The first member swaps ages with an adult of another household that has two or more
    (one adult drawn at random from each such household, a household giving at most one;
    ``donors`` marks the persons who may give, e.g. not the members of elderly-only
    households): every age stays in the population, so the ages keep the profile's
    shares, and the child joins a household that still has an adult. Only when donors
    run short is the first member's age redrawn from the adult bands, which leaves the
    population with slightly fewer children than the profile.
    """
    n_adults = np.bincount(hh, weights=age >= 18, minlength=len(sizes))
    fix = np.concatenate([[0], np.cumsum(sizes)[:-1]])[n_adults == 0]
    if not len(fix):
        return
    giving = (age >= 18) & (n_adults[hh] >= 2)
    if donors is not None:
        giving &= donors
    one_each = _one_at_random(rng, hh, np.flatnonzero(giving), len(sizes))
    one_each = one_each[one_each >= 0]
    swapped = min(len(one_each), len(fix))
    given = rng.choice(one_each, size=swapped, replace=False)
    age[fix[:swapped]], age[given] = age[given], age[fix[:swapped]].copy()
    short = fix[swapped:]
    if len(short):
        adult_bands = {k: (v if k != "0-14" else 0.0) for k, v in bands.items()}
        if sum(adult_bands.values()) == 0:
            adult_bands = {k: (1.0 if k == "15-44" else 0.0) for k in bands}
        age[short] = np.maximum(_draw_ages(rng, adult_bands, len(short)), 18)


#: Rounds of :func:`place_children_with_mothers` (each places most of the children left).
MOTHER_ROUNDS = 8


def _mother_in_household(hh, age, female, child) -> np.ndarray:
    """Whether each child (indices) shares its household with a woman 15-44 years older.

    That woman could be its mother: the model's mothers give birth at ``CHILDBEARING_AGES``
    (``hh`` sorted, as the builder makes it).
    """
    low, high = CHILDBEARING_AGES

    def mother(c, member):
        gap = age[member].astype(np.int32) - age[c]
        return female[member] & (gap >= low) & (gap <= high)

    return marriage.any_member(hh, child, mother)


def place_children_with_mothers(rng, hh, age, female) -> None:
    """Move children drawn into a household without a possible mother into one with her.

    Ages are drawn person by person, so only about half the children under 15 would live
    with a woman who could be their mother (15-44 years older), while every birth in the
    model does: in ten years of ``steady_state`` that share rose to four in five, and the
    households' mix of workers and dependants drifted with it. Here a child without one
    swaps places (age and sex) with a member aged 60 or more of another household who
    lives with a woman of the right age (18-59) for the child: a grandparent goes where
    the child was. Every household keeps its size, the county its ages and sexes, and
    each household its adult. A child whose other members are all 60 or more stays (a
    household of grandparents and grandchildren), so no household becomes one of older
    people only. The woman is drawn at random among those of the right age; a household
    takes part in at most one move a round, and :data:`MOTHER_ROUNDS` rounds place all
    but the children for whom no host is left (92-93% of the children then live with a
    possible mother, about what ten years of the model's own births keep).
    """
    if not len(hh):
        return
    low, high = CHILDBEARING_AGES
    n_hh = int(hh[-1]) + 1
    # what the moves never change: the women who could host (none of them moves), each
    # household's members of 15-59 (a child leaves, a member of 60+ arrives, and back),
    # and so which children still need a host (only the moved ones stop needing one)
    women = np.flatnonzero(female & (age >= 18) & (age < 60))
    women = women[np.argsort(age[women], kind="stable")]
    below_60 = np.bincount(hh, weights=(age >= 15) & (age < 60), minlength=n_hh)
    child = np.flatnonzero(age < 15)  # the 0-14 band
    child = child[~_mother_in_household(hh, age, female, child)]
    child = child[below_60[hh[child]] > 0]  # children with grandparents only stay
    n_old = np.bincount(hh, weights=age >= 60, minlength=n_hh)
    for _ in range(MOTHER_ROUNDS):
        host = women[n_old[hh[women]] > 0]
        if not len(child) or not len(host):
            return
        seeking, chosen = random_of_age(rng, age, host, child, low, high)
        mover_of = _one_at_random(rng, hh, np.flatnonzero(age >= 60), n_hh)
        seeking, chosen, keep = one_move_per_household(rng, hh, seeking, chosen)
        b = hh[chosen]
        if not keep.any():
            return
        moved, other = seeking[keep], mover_of[b[keep]]
        age[moved], age[other] = age[other], age[moved].copy()
        female[moved], female[other] = female[other], female[moved].copy()
        n_old[hh[moved]] += 1  # a household takes part in one move a round at most
        n_old[hh[other]] -= 1
        child = child[~np.isin(child, moved)]


def random_of_age(rng, age, pool, seekers, low: int, high: int):
    """For each seeker, a member of ``pool`` aged ``low``-``high`` years more, at random.

    ``pool`` is sorted by age; returns the seekers who found one and whom they found.
    """
    lo = np.searchsorted(age[pool], age[seekers] + low, "left")
    hi = np.searchsorted(age[pool], age[seekers] + high, "right")
    seekers, lo, hi = seekers[hi > lo], lo[hi > lo], hi[hi > lo]
    return seekers, pool[lo + (rng.random(len(seekers)) * (hi - lo)).astype(np.int64)]


def one_move_per_household(rng, hh, seekers, chosen):
    """The pairs (in a random order) that may swap this round: each household in one.

    Returns the shuffled seekers and chosen, and whether each pair is kept: the first of
    its seeker's household and of its chosen's, the two households different, and no
    household on both sides.
    """
    order = rng.permutation(len(seekers))
    seekers, chosen = seekers[order], chosen[order]
    a, b = hh[seekers], hh[chosen]
    first = (np.unique(a, return_index=True)[1], np.unique(b, return_index=True)[1])
    keep = np.zeros(len(seekers), bool)
    keep[np.intersect1d(*first)] = True
    keep &= (a != b) & ~np.isin(a, b[keep]) & ~np.isin(b, a[keep])
    return seekers, chosen, keep


def _one_at_random(rng, hh, persons, n_hh) -> np.ndarray:
    """One of ``persons`` (sorted) drawn at random in each household, -1 where none.

    Each gets a uniform key and the lowest key of its household wins.
    """
    key = rng.random(len(persons))
    out = np.full(n_hh, -1, np.int64)
    if not len(persons):
        return out
    start = np.flatnonzero(np.r_[True, hh[persons][1:] != hh[persons][:-1]])
    lowest = np.minimum.reduceat(key, start)
    wins = key == np.repeat(lowest, np.diff(np.r_[start, len(persons)]))
    winners = persons[wins]
    first = np.r_[True, hh[winners][1:] != hh[winners][:-1]]  # equal keys: the first
    out[hh[winners[first]]] = winners[first]
    return out


def major_incidence_per_year(majors: list[dict], reference_ages: dict | None = None
                             ) -> np.ndarray:
    """Yearly incidence of each major disease by (age band, sex): shape (bands*2, diseases).

    A disease's incidence applies to its age range and sex; a band that overlaps the
    range in part gets the overlapping share of the rate. Without ``incidence_age_rr`` the
    rate is the same at every age of the range. With it, each band's rate is
    ``incidence_per_100k`` times the band's rate ratio over the ratios' mean in the age
    range of a reference population (``reference_ages``, shares of persons by band, e.g.
    the nation's, whose crude rates ``incidence_per_100k`` comes from; persons spread
    evenly over the years of a band): the reference population keeps the disease's cases,
    which move to the ages of the profile.
    """
    lower = list(AGE_BAND_LOWER)
    upper = lower[1:] + [MAX_AGE + 1]
    out = np.zeros((len(AGE_BANDS) * 2, len(majors)))
    for k, rec in enumerate(majors):
        overlap = np.array([max(0, min(upper[b], rec["age_max"] + 1) - max(lower[b],
                                                                        rec["age_min"]))
                            / (upper[b] - lower[b]) for b in range(len(AGE_BANDS))])
        rr = np.ones(len(AGE_BANDS))
        if rec.get("incidence_age_rr") is not None:
            if reference_ages is None:
                raise ValueError(f"major disease {rec['name']!r} has incidence_age_rr: "
                                 "health.incidence_reference_ages is needed")
            rr = np.array([rec["incidence_age_rr"][b] for b in AGE_BANDS], float)
            weight = np.array([reference_ages[b] for b in AGE_BANDS]) * overlap
            rr = rr / max((weight * rr).sum() / weight.sum(), 1e-300)
        for female in (0, 1):
            sex_ok = rec["sex"] == "any" or (rec["sex"] == "female") == bool(female)
            out[female::2, k] = rec["incidence_per_100k"] / 1e5 * overlap * rr * sex_ok
    return out


#: Steady-state states of a major disease: (late stage, found, months of the course done:
#: -1 not started, "course" a month within the course, "after" the ongoing care after it).
MAJOR_STATES = ((False, False, -1), (True, False, -1), (False, True, "course"),
                (True, True, "course"), (False, True, "after"), (True, True, "after"))
ONGOING_CAP_YEARS = 20.0


def background_deaths_per_year(mortality_per_1000: dict) -> np.ndarray:
    """Background mortality by age band (deaths per person-year)."""
    return np.array([mortality_per_1000[b] for b in AGE_BANDS]) / 1000.0


def major_years_in_state(rec: dict, background: float = 0.0) -> np.ndarray:
    """Expected years an incident case spends in each of MAJOR_STATES (steady state).

    Competing yearly rates (see ``sim.health``): an early undiagnosed case is diagnosed,
    progresses or dies; a late undiagnosed case is diagnosed or dies untreated; a found
    case is treated for its course, then is cured or lives on with ongoing care until it
    dies. ``background`` (deaths per person-year) is the competing mortality from other
    causes at the case's age. Treatment starts when the case is found (barriers and
    queues ignored), a case may die during its course, and ongoing care lasts at most
    ONGOING_CAP_YEARS.
    """
    d_e, d_l = rec["diagnosis_per_year_early"], rec["diagnosis_per_year_late"]
    early = min(max(rec["early_share"], 1e-6), 1.0)
    r = d_e * (1.0 - early) / early
    mu_e, mu_l, mu_u = (rec[k] + background for k in ("mortality_early", "mortality_late",
                                                      "mortality_untreated"))
    out_e = d_e + r + mu_e
    t_ue = 1.0 / out_e if out_e > 0 else ONGOING_CAP_YEARS
    p_found_e = d_e / out_e if out_e > 0 else 0.0
    p_late = r / out_e if out_e > 0 else 0.0
    out_l = d_l + mu_u
    t_ul = p_late / out_l if out_l > 0 else p_late * ONGOING_CAP_YEARS
    p_found_l = p_late * d_l / out_l if out_l > 0 else 0.0
    course = rec["course_months"] / 12.0

    def in_course(mu):
        """Years lived in a course, and the chance of reaching its end, dying at ``mu``."""
        if mu <= 0:
            return course, 1.0
        return (1.0 - np.exp(-mu * course)) / mu, np.exp(-mu * course)

    def after(p_found, reach, cure, mu):
        return p_found * reach * (1.0 - cure) * (
            min(1.0 / mu, ONGOING_CAP_YEARS) if mu > 0 else ONGOING_CAP_YEARS)

    years_e, reach_e = in_course(mu_e)
    years_l, reach_l = in_course(mu_l)
    return np.array([t_ue, t_ul, p_found_e * years_e, p_found_l * years_l,
                     after(p_found_e, reach_e, rec["cure_share_early"], mu_e),
                     after(p_found_l, reach_l, rec["cure_share_late"], mu_l)])


def draw_major(rng, health: dict, age: np.ndarray, female: np.ndarray):
    """Prevalent major-disease cases at the start, at steady state.

    A person's chance of being in state s of disease k is its incidence times the
    expected years in that state (:func:`major_years_in_state`, with the background
    mortality of the person's age band competing); these chances are small, so they are
    taken as exclusive. Courses are at a uniformly drawn month.
    """
    majors = health["major"]
    n = len(age)
    major = np.full(n, NO_MAJOR, np.int8)
    late = np.zeros(n, bool)
    found = np.zeros(n, bool)
    months = np.full(n, -1, np.int16)
    if not majors:
        return major, late, found, months
    background = background_deaths_per_year(health["mortality_per_1000"])  # (band,)
    years = np.array([[major_years_in_state(rec, b) for rec in majors]
                      for b in background])  # (band, disease, state)
    years = np.repeat(years, 2, axis=0)  # rows by (band, sex), as the incidence
    rates = major_incidence_per_year(majors, health.get("incidence_reference_ages"))
    table = np.cumsum((rates[:, :, None] * years).reshape(len(rates), -1), axis=1)
    row = age_band_index(age) * 2 + female
    u = rng.random(n)
    v = rng.random(n)
    ill = np.flatnonzero(u < table[row, -1])
    pick = (u[ill, None] >= table[row[ill]]).sum(axis=1)
    k, state = np.divmod(pick, len(MAJOR_STATES))
    course = np.array([rec["course_months"] for rec in majors])[k]
    major[ill] = k
    for s, (is_late, is_found, when) in enumerate(MAJOR_STATES):
        sel = ill[state == s]
        late[sel] = is_late
        found[sel] = is_found
        c = course[state == s]
        if when == "course":
            months[sel] = (v[sel] * c).astype(np.int16)
        elif when == "after":
            months[sel] = c
    return major, late, found, months


def income_gradient(income_pp: np.ndarray, band: np.ndarray, elasticity: float,
                    weight: np.ndarray | None = None) -> np.ndarray | None:
    """Each person's factor on chronic onset (and starting prevalence) from income.

    ``(income_pp / median) ** -elasticity``, income per person of the person's household
    (yuan per year) against the median over persons, the ratio clipped to [1/4, 4]; then
    divided by its mean within each age band (over persons with ``weight``, e.g. the
    living), so that every band's incidence and prevalence are those of the scenario and
    only who falls ill changes. None when the elasticity is 0 or ``weight`` selects
    nobody (no gradient).

    Computed in few passes (called yearly over every person slot): the median from one
    partition about the middle (``np.median`` partitions about three points, several
    times slower; same value for finite incomes), the ratio's steps in place (a negative
    income is clipped to 1/4 with the rest), the bands converted to ``intp`` once for the
    sums and the gather, the quotient written straight into float32.
    """
    if elasticity == 0 or len(income_pp) == 0:
        return None
    chosen = income_pp.copy() if weight is None else income_pp.compress(weight)
    if len(chosen) == 0:  # nobody to rank (a county whose members have all died)
        return None
    half = len(chosen) // 2
    chosen.partition(half)  # the lower half before chosen[half], none of it larger
    middle = chosen[half] if len(chosen) % 2 else (chosen[:half].max() + chosen[half]) / 2.0
    median = max(float(middle), 1e-9)
    factor = income_pp / median
    np.clip(factor, 0.25, 4.0, out=factor)
    factor **= -elasticity
    n_bands = len(AGE_BANDS)
    band = band.astype(np.intp)
    if weight is None:
        total = np.bincount(band, weights=factor, minlength=n_bands)
        count = np.bincount(band, minlength=n_bands)
    else:
        total = np.bincount(band, weights=factor * weight, minlength=n_bands)
        count = np.bincount(band, weights=weight, minlength=n_bands)
    mean = total / np.maximum(count, 1e-12)
    return np.divide(factor, np.where(mean > 0, mean, 1.0).take(band),
                     out=np.empty(len(factor), np.float32))


def draw_chronic(rng, chronic_params: dict, age: np.ndarray,
                 gradient: np.ndarray | None = None):
    """Chronic diseases (present, diagnosed, managed bitmasks) at their age prevalence.

    ``gradient`` (:func:`income_gradient`) scales each person's prevalence.
    """
    band = age_band_index(age)
    n = len(age)
    chronic = np.zeros(n, np.uint8)
    diagnosed = np.zeros(n, np.uint8)
    managed = np.zeros(n, np.uint8)
    for d, name in enumerate(CHRONIC):
        p = chronic_params[name]
        prev = np.array([p["prevalence"][b] for b in AGE_BANDS])[band]
        if gradient is not None:
            prev = np.minimum(prev * gradient, 1.0)
        has = rng.random(n) < prev
        diag = has & (rng.random(n) < p["diagnosed_share"])
        man = diag & (rng.random(n) < p["managed_share"])
        bit = np.uint8(1 << d)
        chronic[has] |= bit
        diagnosed[diag] |= bit
        managed[man] |= bit
    return chronic, diagnosed, managed
