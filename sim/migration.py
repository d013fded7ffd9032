"""Young adults who leave the county each January, and those who come back (回流).

:func:`migrate_out` takes young adults out of their households. With
``population.migrant_return_per_year`` at zero (every built-in scenario but those that say
otherwise) they never come back: they settle elsewhere. Above zero the migration is
circular, as rural China's migrant work mostly is: the migrants are kept in
:class:`Away`, outside the county's residents (no illness, care or bills of theirs are the
county's while away), and come home with that yearly chance (:func:`come_home`), so that
households of grandparents and grandchildren (留守) and of parents whose children are away
(空巢) arise and end at the pace of departures and returns, while the county keeps its
people.

While away a migrant ages, dies at the background mortality of their age (assumption:
the illnesses the model follows are the county's residents'), and their earnings grow as
the county's do (``income.growth_per_year``); the household keeps receiving
``population.out_migrant_earnings_kept_share`` of them (remittances). A migrant comes back
to the household they left only if it still lives: if its last member died or its slots
went to a new household meanwhile (``Model.household_epoch``), they settle elsewhere for
good. At most one returns to a household a year, into a free slot (a slot never filled or
a dead or departed member's, as for a birth, ``sim.health.free_slots``); without one they
stay away another year.

A returner comes back as a person new to the county's records: with the chronic diseases
of their age (drawn, as for adults who join a new household from outside), no health check
on record, uninsured until enrolled (done at once, ``Model.returned``), and their earnings
added to the household's: it gains what it had lost when they left, so the returner's
share of the household's earnings is that gain over its new total.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.formation import (
    arrive_as_adults,
    leave_households,
    one_per_household,
    young_adults_who_can_leave,
)
from sim.health import (
    age_band_index,
    free_slots,
    household_members,
    occupy_slots,
    refresh_age,
    share_earnings,
)
from sim.population import background_deaths_per_year


def migrate_out(model, m: int, formed: np.ndarray | None = None) -> np.ndarray:
    """Young adults who leave the county each January; returns them (their old slots).

    A person of the sample aged ``formation_age_min``-``formation_age_max`` with no major
    disease, in a household that keeps a living member aged 18 or more without them and
    was not formed this January (``formed``, household indices), leaves with yearly
    chance ``population.out_migration_per_year`` (keyed, stream
    ``formation``); a household loses at most one a year (the first of its drawn by
    their keys). Work or study in a city, or marriage outside the county: their household
    loses them as it loses one who forms a new household
    (``sim.formation.leave_households``), except that a share
    ``population.out_migrant_earnings_kept_share`` of their earnings keeps reaching it
    (remittances). The parents they leave behind grow old in households of their own (空巢),
    and children left with grandparents make households of grandparents and grandchildren:
    without this flow a closed county cannot keep the make-up it starts with (README,
    "Households' make-up"). With returns on (``population.migrant_return_per_year``) they
    are kept in ``Model.away`` to come back (:func:`come_home`); otherwise for good.
    """
    pop = model.params["population"]
    rate = pop["out_migration_per_year"]
    if rate <= 0:
        return np.zeros(0, np.int64)
    P, H = model.pop.persons, model.pop.households
    cand = young_adults_who_can_leave(model)
    if formed is not None and len(formed):
        cand = cand[~np.isin(P.hh[cand], formed)]
    leavers = one_per_household(model, cand, model.streams["formation"].keyed(cand, m, 5),
                                rate)
    if pop["migrant_return_per_year"] > 0 and len(leavers):
        hh = P.hh[leavers]
        model.away.add(hh, model.household_epoch[hh], P.female[leavers], P.age[leavers],
                       H.earned_year[hh] * P.earn_share[leavers], m)
    leave_households(model, leavers, count="persons_migrated_out",
                     earnings_kept=pop["out_migrant_earnings_kept_share"])
    return leavers


@dataclass
class Away:
    """The county's migrants who may come back: one entry each, in the order they left.

    ``serial`` numbers them for their keyed draws (stream ``migration``); ``origin`` is
    the household they left and ``epoch`` its ``Model.household_epoch`` then (a later
    one means its slots went to a new household); ``age`` in years, now;
    ``earnings_yuan`` their earnings a year (yuan), grown as the county's incomes;
    ``month`` the month they left.
    """

    serial: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    origin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    epoch: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    female: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    age: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    earnings_yuan: np.ndarray = field(default_factory=lambda: np.zeros(0))
    month: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    next_serial: int = 0

    def __len__(self) -> int:
        return len(self.serial)

    def add(self, origin, epoch, female, age, earnings_yuan, m: int) -> None:
        """Append the migrants who left in month ``m``."""
        n = len(origin)
        new = {"serial": np.arange(self.next_serial, self.next_serial + n),
               "origin": origin, "epoch": epoch, "female": female, "age": age,
               "earnings_yuan": earnings_yuan, "month": np.full(n, m)}
        for name, values in new.items():
            old = getattr(self, name)
            setattr(self, name, np.concatenate([old, np.asarray(values, old.dtype)]))
        self.next_serial += n

    def keep(self, which: np.ndarray) -> None:
        """Keep only the entries ``which`` (a mask or indices)."""
        for name in ("serial", "origin", "epoch", "female", "age", "earnings_yuan",
                     "month"):
            setattr(self, name, getattr(self, name)[which])


def come_home(model, m: int) -> np.ndarray:
    """January: migrants who left before this month come back; returns their new slots.

    First each of them ages a year, their earnings grow with the county's, and those who
    die this year (background mortality of their age) or whose household is gone leave
    :class:`Away` for good. Then each comes back with chance
    ``population.migrant_return_per_year`` (keyed, stream ``migration``), the first by key
    of a household, if it has a free slot (module docstring).
    """
    away = model.away
    before = away.month < m
    if not before.any():
        return np.zeros(0, np.int64)
    params = model.params
    stream = model.streams["migration"]
    H = model.pop.households
    away.age[before] += 1
    away.earnings_yuan[before] *= 1.0 + params["income"]["growth_per_year"]
    mu = background_deaths_per_year(params["health"]["mortality_per_1000"])
    dies = before & (stream.keyed(away.serial, m, 0)
                     < 1.0 - np.exp(-mu[age_band_index(away.age)]))
    home = away.origin
    gone = ~model.open_block[home] | (H.size[home] == 0) | (
        model.household_epoch[home] != away.epoch)
    away.keep(~(dies | (before & gone)))
    before = away.month < m
    cand = np.flatnonzero(before)
    key = stream.keyed(away.serial[cand], m, 1)
    rate = params["population"]["migrant_return_per_year"]
    cand, key = cand[key < rate], key[key < rate]
    cand = cand[np.argsort(key, kind="stable")]
    _, first = np.unique(away.origin[cand], return_index=True)
    cand = np.sort(cand[first])
    hh = away.origin[cand]
    slots, empty = free_slots(model, hh)
    room = slots >= 0
    cand, hh, slots, empty = cand[room], hh[room], slots[room], empty[room]
    if len(cand) == 0:
        return np.zeros(0, np.int64)
    occupy_slots(model, hh, slots, empty)
    arrive_as_adults(model, slots, away.age[cand], away.female[cand], stream.generator(m),
                     m, 3)
    add_earnings(model, hh, slots, away.earnings_yuan[cand] * (
        1.0 - params["population"]["out_migrant_earnings_kept_share"]))
    H.size[hh] += 1
    refresh_age(model, slots)
    away.keep(np.setdiff1d(np.arange(len(away)), cand))
    return slots


def add_earnings(model, households, returners, gain_yuan) -> None:
    """The households earn ``gain_yuan`` a year more, the returners' share of the new total."""
    P, H = model.pop.persons, model.pop.households
    old = H.earned_year[households].astype(np.float64)
    new = old + gain_yuan
    members = household_members(model, households)
    owner = np.repeat(np.arange(len(households)), model.hh_size0[households])
    P.earn_share[members] *= (old / np.maximum(new, 1e-12))[owner]
    P.earn_share[returners] = np.where(new > 0, gain_yuan / np.maximum(new, 1e-12), 1.0)
    H.earned_year[households] = new
    share_earnings(model, households)
