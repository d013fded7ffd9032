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

Couples that leave their parents' households are not removed from them: a new household
stands for one formed by the county's young people or moving in, so the sample keeps the
county's mix of households.
"""

from __future__ import annotations

import numpy as np

from sim.checks import NEVER
from sim.health import refresh_age
from sim.liquidity import cash_buffer
from sim.parameters import GROUPS
from sim.population import NO_MAJOR, draw_chronic, draw_earnings, work_capacity


def form_households(model, m: int) -> np.ndarray:
    """Take over ended households with new young ones; returns the new members' indices."""
    P, H = model.pop.persons, model.pop.households
    pop = model.params["population"]
    share = pop["households_formed_share"]
    ended = np.flatnonzero(H.size == 0)
    if share <= 0 or len(ended) == 0:
        return np.zeros(0, np.int64)
    stream = model.streams["formation"]
    ended = ended[stream.keyed(ended, m, 0) < share]
    if len(ended) == 0:
        return np.zeros(0, np.int64)
    n_new = np.minimum(model.pop.slots[ended], 2)
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
