"""New households: young adults set up a household where one has ended.

The simulated households are a sample of the county's; without new households the sample
would only age: households of the old dissolve as their members die, and nothing young
takes their place. Each January, ``population.households_formed_share`` of the
households that have ended (no living member) are taken over by a newly formed household
of young adults of the same group and village (township, distance): a couple aged
``formation_age_min``-``formation_age_max`` when the household has two person slots or
more, one young adult otherwise. They have the chronic diseases of their age (no major
one), the group's earnings for their capacity, a fresh income shock and the group's
savings share (savers start with a full cash buffer, ``sim.liquidity``). A new household is not in
the poverty registry (no household has been registered since 2020), has no debt, and its
12-month windows start at its own income.
Its members are new persons to every module (enrolment and the measures' ``on_births``);
they are not counted as births.

Room for births: a household that ends has mostly had one or two old members, and a
couple in its two slots could never have a child (births need an empty slot, see
``sim.health.births``), so births per woman would fall year after year as such couples
accumulate. A new household whose ended one has fewer than ``2 + population.birth_slots``
slots therefore takes a spare block of that many slots instead (appended to the population
at the start, :func:`spare_blocks`), with the ended household's group, village and
transfers; the ended household's slots stay empty for good. When the spare blocks run out
(the run lasts longer than they were sized for) it takes the ended household's slots as
before, and the events table says so once.

Couples that leave their parents' households are not removed from them: a new household
stands for one formed by the county's young people or moving in, so the sample keeps the
county's mix of households.
"""

from __future__ import annotations

import numpy as np

from sim.checks import NEVER
from sim.health import household_members, refresh_age
from sim.liquidity import cash_buffer
from sim.parameters import AGE_BAND_LOWER, GROUPS
from sim.places import place_of_township
from sim.population import (
    NO_MAJOR,
    background_deaths_per_year,
    draw_chronic,
    draw_earnings,
    work_capacity,
)

#: margin of the spare blocks over the households expected to end in slots too small
#: (background mortality only: illness deaths and chance come on top). Assumption, checked
#: in tests/test_formation.py: the default and steady_state never run out.
SPARE_MARGIN = 1.5


def block_slots(params: dict) -> int:
    """Slots a new couple needs: two members and ``population.birth_slots`` births."""
    return 2 + int(params["population"]["birth_slots"])


def spare_blocks(pop, params: dict, years: float) -> int:
    """How many spare blocks a run of ``years`` needs (0 when no household is formed).

    The expected number of the sample's households with fewer than :func:`block_slots`
    slots whose members have all died by the end, from the background mortality of each
    member's age over the years (each member independently), times :data:`SPARE_MARGIN`
    plus three standard deviations of a Poisson count and one.
    """
    if params["population"]["households_formed_share"] <= 0:
        return 0
    P = pop.persons
    n = pop.sample_households
    small = pop.slots[:n] < block_slots(params)
    members = np.flatnonzero(P.born & P.alive & (P.hh < n))
    members = members[small[P.hh[members]]]
    mu = background_deaths_per_year(params["health"]["mortality_per_1000"])
    ages = P.age[members][:, None] + np.arange(int(np.ceil(years)))[None, :]
    band = np.searchsorted(np.asarray(AGE_BAND_LOWER), ages, side="right") - 1
    dead = 1.0 - np.exp(-mu[band].sum(axis=1))
    log_ended = np.bincount(P.hh[members], weights=np.log(np.maximum(dead, 1e-300)),
                            minlength=n)
    expected = float(np.exp(log_ended[small]).sum()) * SPARE_MARGIN
    return int(np.ceil(expected + 3.0 * np.sqrt(expected))) + 1


def form_households(model, m: int) -> np.ndarray:
    """Take over ended households with new young ones; returns the new members' indices."""
    P, H = model.pop.persons, model.pop.households
    pop = model.params["population"]
    share = pop["households_formed_share"]
    ended = np.flatnonzero((H.size == 0) & model.open_block)
    if share <= 0 or len(ended) == 0:
        return np.zeros(0, np.int64)
    stream = model.streams["formation"]
    ended = ended[stream.keyed(ended, m, 0) < share]
    if len(ended) == 0:
        return np.zeros(0, np.int64)
    n_new = np.minimum(model.pop.slots[ended], 2)
    ended = _with_room(model, ended, m)
    owner = np.repeat(np.arange(len(ended)), n_new)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(n_new) - n_new, n_new)
    members = model.hh_first[ended][owner] + position
    lo, hi = pop["formation_age_min"], pop["formation_age_max"]
    age = lo + stream.keyed(members, m, 1) * (hi - lo + 1)
    P.age[members] = np.minimum(age, hi).astype(P.age.dtype)
    single_female = stream.keyed(members, m, 2) < pop["female_share"]
    P.female[members] = np.where(n_new[owner] == 2, position == 1, single_female)
    was_dead = members[~P.alive[members] & P.born[members]]
    model.dead_replaced += np.bincount(model.pgroup[was_dead], minlength=len(GROUPS))
    P.alive[members] = True
    P.born[members] = True
    chronic = draw_chronic(stream.generator(m), model.params["health"]["chronic"],
                           P.age[members])
    for column, values in zip(("chronic", "diagnosed", "managed"), chronic, strict=True):
        getattr(P, column)[members] = values
    P.major[members] = NO_MAJOR
    P.major_late[members] = False
    P.major_found[members] = False
    P.major_months[members] = -1
    P.death_month[members] = -1
    model.last_check[members] = NEVER
    model.disability_u[members] = model.streams["disability"].keyed(members, m, 2)
    model.special_family_u[ended] = 1.0  # young adults: not a special family
    model.care.chronic_share_paid[members] = np.nan
    capacity = work_capacity(P.age[members], model.params)
    total = np.bincount(owner, weights=capacity, minlength=len(ended))
    P.earn_share[members] = capacity / total[owner]
    model.n_born[ended] = n_new
    _new_household_columns(model, ended, n_new, total, m)
    refresh_age(model, members)
    return members


def _with_room(model, ended: np.ndarray, m: int) -> np.ndarray:
    """Where each new household goes: a spare block in place of an ended one too small.

    The spare block takes the ended household's group, township, distance and transfers,
    and what the registry keeps of its slots; the ended household's slots are closed
    (``Model.open_block``), never taken again, with its statuses cleared as when a new
    household took them.
    """
    H = model.pop.households
    small = np.flatnonzero(model.pop.slots[ended] < block_slots(model.params))
    spare = np.arange(model.next_spare, model.pop.households.n)[:len(small)]
    if len(spare) < len(small):
        model.log(m, "spare blocks used up", left_in_small_slots=int(len(small) - len(spare)))
        small = small[:len(spare)]
    if len(small) == 0:
        return ended
    old = ended[small]
    for column in ("group", "township", "distance_km", "transfer_pp_year"):
        getattr(H, column)[spare] = getattr(H, column)[old]
    for flag in ("formerly_poor", "registered", "cause_illness", "monitored"):
        getattr(H, flag)[old] = False  # as when a new household took the slots
    model.registry.move_slots(old, spare)
    slots = household_members(model, spare)
    hh = model.pop.persons.hh[slots]
    model.pgroup[slots] = H.group[hh]
    model.pplace[slots] = place_of_township(model.params)[H.township[hh]]
    model.open_block[old] = False
    model.open_block[spare] = True
    model.next_spare += len(spare)
    ended = ended.copy()
    ended[small] = spare
    return ended


def _new_household_columns(model, ended, n_new, capacity, m) -> None:
    """Registry, income, savings, debt and money windows of the new households."""
    H = model.pop.households
    g = H.group[ended]
    H.size[ended] = n_new
    for flag in ("formerly_poor", "registered", "cause_illness", "monitored"):
        getattr(H, flag)[ended] = False
    rng = model.streams["formation"].generator(m, 1)
    earned_pp, shock = draw_earnings(rng, model.params, g, len(ended))
    H.earned_year[ended] = earned_pp * capacity
    H.shock[ended] = shock
    H.programme_pp_year[ended] = 0.0
    savings_share = np.array([model.params["population"]["savings_share"][x] for x in GROUPS])
    monthly = H.earned_year[ended] / 12.0 + H.transfer_pp_year[ended] * n_new / 12.0
    saver = rng.random(len(ended)) < savings_share[g]
    H.savings[ended] = saver
    model.liquidity.cash[ended] = np.where(saver, cash_buffer(model.params, monthly), 0.0)
    model.liquidity.debt[ended] = 0.0
    model.death_loss.per_month[ended] = 0.0
    model.accounts.restart(ended, monthly, n_new)
