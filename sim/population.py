"""Synthetic households and persons, generated from a region profile and a seed.

Persons and households are kept as columns (struct of arrays): person ``i`` belongs to
household ``persons.hh[i]``. The population depends only on the ``population``, ``income`` and
``health`` parameters and the seed, so two scenarios that
differ only in policies start from the very same people (common random numbers).

Simplifications (documented assumptions): ages are drawn independently per person, then a
household without an adult gets one; earned income is shared equally by the members of
working age (all members if none is); log earned income is a permanent part plus an AR(1)
shock started from its stationary spread, and starts above a floor (formerly-poor
households exited poverty above the line); major diseases start from zero prevalence and
build up during the warm-up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from scipy.special import ndtr, ndtri

from sim.parameters import AGE_BAND_LOWER, AGE_BANDS, CHRONIC, GROUPS, HOUSEHOLD_SIZES
from sim.rng import Streams
from sim.schema import dated_value
from sim.timeline import parse_month

NO_MAJOR = -1
MAX_AGE = 100


@dataclass
class Persons:
    """Person columns. Money in yuan; bit ``d`` of a mask refers to ``CHRONIC[d]``."""

    hh: np.ndarray  # int32 household index
    age: np.ndarray  # int16 years
    female: np.ndarray  # bool
    alive: np.ndarray  # bool
    chronic: np.ndarray  # uint8 bitmask of diseases present
    diagnosed: np.ndarray  # uint8 bitmask of diseases diagnosed
    managed: np.ndarray  # uint8 bitmask of diseases under standardised management
    major: np.ndarray  # int8 index into health.major, NO_MAJOR if none
    major_late: np.ndarray  # bool: late stage
    major_found: np.ndarray  # bool: diagnosed
    major_months: np.ndarray  # int16: months of the treatment course done (-1 not started)
    earn_share: np.ndarray  # float32 share of the household's earned income
    death_month: np.ndarray  # int16 month of the current year in which background death falls

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
    formerly_poor: np.ndarray  # bool exited registered poverty before the start
    township: np.ndarray  # int32
    size: np.ndarray  # int16 living members
    savings: np.ndarray  # bool has cash for a deposit
    distance_km: np.ndarray  # float32 to the township health centre
    earned_year: np.ndarray  # float64 earned income of the living members at full capacity
    transfer_pp_year: np.ndarray  # float32 cash transfers per living member
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

    def nbytes(self) -> int:
        """Memory held by all columns."""
        return self.persons.nbytes() + self.households.nbytes()


def age_band_index(age: np.ndarray) -> np.ndarray:
    """Index into AGE_BANDS for each age."""
    return (np.searchsorted(np.asarray(AGE_BAND_LOWER), age, side="right") - 1).astype(np.int8)


def build_population(params: dict, streams: Streams, households: int | None = None
                     ) -> Population:
    """Draw the synthetic population of a scenario; ``households`` overrides the file's N."""
    pop = params["population"]
    inc = params["income"]
    n_hh = int(households or pop["households"])
    rng = streams["population"].generator(0)

    sizes = 1 + rng.choice(len(HOUSEHOLD_SIZES), size=n_hh,
                           p=_shares(pop["household_size"], HOUSEHOLD_SIZES))
    group = rng.choice(len(GROUPS), size=n_hh, p=_shares(pop["group_shares"], GROUPS))
    group = group.astype(np.int8)
    formerly = rng.random(n_hh) < _by_group(pop["formerly_poor_share"])[group]
    savings = rng.random(n_hh) < _by_group(pop["savings_share"])[group]
    distance = pop["distance_km_median"] * np.exp(pop["distance_km_log_sd"]
                                                  * rng.standard_normal(n_hh))
    township = rng.integers(0, pop["townships"], size=n_hh).astype(np.int32)

    hh = np.repeat(np.arange(n_hh, dtype=np.int32), sizes)
    n_p = len(hh)
    age = _draw_ages(rng, pop["age_bands"], n_p)
    _ensure_an_adult(rng, hh, age, sizes, pop["age_bands"])
    female = rng.random(n_p) < pop["female_share"]

    chronic, diagnosed, managed = _draw_chronic(rng, params["health"]["chronic"], age)

    workers = (age >= pop["worker_age_min"]) & (age <= pop["worker_age_max"])
    n_workers = np.bincount(hh, weights=workers, minlength=n_hh)
    no_worker = n_workers == 0
    earners = workers | no_worker[hh]
    n_earners = np.bincount(hh, weights=earners, minlength=n_hh)
    earn_share = np.where(earners, 1.0 / n_earners[hh], 0.0).astype(np.float32)

    earned_pp, shock = _draw_earnings(rng, params, group, formerly, n_hh)
    earned_year = earned_pp * sizes

    persons = Persons(
        hh=hh, age=age, female=female, alive=np.ones(n_p, bool), chronic=chronic,
        diagnosed=diagnosed, managed=managed, major=np.full(n_p, NO_MAJOR, np.int8),
        major_late=np.zeros(n_p, bool), major_found=np.zeros(n_p, bool),
        major_months=np.full(n_p, -1, np.int16), earn_share=earn_share,
        death_month=np.full(n_p, -1, np.int16),
    )
    households_ = Households(
        group=group, formerly_poor=formerly, township=township,
        size=sizes.astype(np.int16), savings=savings, distance_km=distance.astype(np.float32),
        earned_year=earned_year.astype(np.float64),
        transfer_pp_year=_by_group(inc["transfers_yuan"])[group].astype(np.float32),
        shock=shock,
    )
    return Population(persons, households_)


def _draw_earnings(rng, params: dict, group, formerly, n: int):
    """Earned income per person (yuan per year) and the AR(1) shock of each household.

    Log earned income is the group's log median plus a normal deviation of spread
    ``earned_log_sd``, made of a permanent part and the AR(1) shock at its stationary
    spread. The deviation is drawn truncated below, so that per-capita income (earned plus
    transfers) starts at least at the household's floor times the first simulated year's
    poverty line; the shock is then drawn from its distribution given the deviation.
    """
    inc = params["income"]
    median = _by_group(inc["earned_median_yuan"])[group]
    sd_total = np.maximum(_by_group(inc["earned_log_sd"])[group], 1e-9)
    transfers = _by_group(inc["transfers_yuan"])[group]
    rho, sd_eps = inc["shock_persistence"], inc["shock_sd"]
    var_shock = np.minimum(sd_eps**2 / max(1.0 - rho * rho, 1e-9), sd_total**2)
    cal = params["calendar"]
    first_year = (parse_month(cal["start"]) - cal["warmup_months"]) // 12
    line = dated_value(params["poverty"]["line_yuan"], first_year)
    floor = np.where(formerly, inc["formerly_poor_start_floor_x_line"],
                     _by_group(inc["start_floor_x_line"])[group]) * line
    need = floor - transfers  # earned income per person needed to reach the floor
    z_low = np.where(need > 0, np.log(np.maximum(need, 1e-9) / median) / sd_total, -np.inf)
    p_low = ndtr(z_low)
    z = ndtri(np.clip(p_low + rng.random(n) * (1.0 - p_low), 1e-12, 1.0 - 1e-12))
    deviation = sd_total * z
    var_total = sd_total**2
    shock = (deviation * var_shock / var_total + np.sqrt(
        var_shock * (var_total - var_shock) / var_total) * rng.standard_normal(n))
    return median * np.exp(deviation), shock.astype(np.float32)


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


def _ensure_an_adult(rng, hh, age, sizes, bands) -> None:
    """Give households with no member aged 18+ an adult as their first member."""
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    has_adult = np.bincount(hh, weights=age >= 18, minlength=len(sizes)) > 0
    fix = first[~has_adult]
    adult_bands = {k: (v if k != "0-14" else 0.0) for k, v in bands.items()}
    if sum(adult_bands.values()) == 0:
        adult_bands = {k: (1.0 if k == "15-44" else 0.0) for k in bands}
    new = _draw_ages(rng, adult_bands, len(fix))
    age[fix] = np.maximum(new, 18)


def _draw_chronic(rng, chronic_params: dict, age: np.ndarray):
    band = age_band_index(age)
    n = len(age)
    chronic = np.zeros(n, np.uint8)
    diagnosed = np.zeros(n, np.uint8)
    managed = np.zeros(n, np.uint8)
    for d, name in enumerate(CHRONIC):
        p = chronic_params[name]
        prev = np.array([p["prevalence"][b] for b in AGE_BANDS])[band]
        has = rng.random(n) < prev
        diag = has & (rng.random(n) < p["diagnosed_share"])
        man = diag & (rng.random(n) < p["managed_share"])
        bit = np.uint8(1 << d)
        chronic[has] |= bit
        diagnosed[diag] |= bit
        managed[man] |= bit
    return chronic, diagnosed, managed
