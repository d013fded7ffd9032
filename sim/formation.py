"""New households: young adults set up a household where one has ended, or at marriage.

The simulated households are a sample of the county's; without new households the sample
would only age: households of the old dissolve as their members die, and nothing young
takes their place. Each January, ``population.households_formed_share`` of the
households that have ended (no living member) are taken over by a newly formed household
of young adults of the same group and village (township, distance): a couple aged
``formation_age_min``-``formation_age_max`` when the household has two person slots or
more, one young adult otherwise. With ``population.marriage_split_per_year`` above zero,
young couples also split off at marriage into spare blocks whether or not a household has
ended (:func:`split_at_marriage`).

Where they come from: each new adult is, with chance
``population.formation_from_households_share``, one of the sample's young adults of the
same sex and township (first from households of the new one's group) who leaves their
household (分家; :func:`choose_leavers`), taking
their age, chronic diseases, awareness and management, last health check, disability
draw and the share of this year's chronic bills already paid; the household left behind
loses them and their share of its earnings, and their slot is emptied for a later birth
(:func:`leave_households`). A household gives at most one leaver a year and keeps an adult;
persons with a major disease do not leave. The others, and all of a township that has no
one left to leave, join from outside the sample with the chronic diseases of their age
(``sim.population.draw_chronic``), as every new adult did before the key.

A new household has no major disease, the group's earnings for its capacity, a fresh
income shock and the group's savings share (savers start with a full cash buffer,
``sim.liquidity``). It is not registered poor (no household has been registered since
2020), but is formerly poor when one of its adults left a formerly-poor household
(:func:`_inherit_exited_status`); it has no debt, and its 12-month windows start at its
own income. Its members
are new persons to every module (enrolment and the measures' ``on_births``; a leaver was
first dropped by ``on_left``); they are not counted as births.

Room for births: a household that ends has mostly had one or two old members, and a
couple in its two slots could never have a child (births need an empty slot, see
``sim.health.births``), so births per woman would fall year after year as such couples
accumulate. A new household whose ended one has fewer than ``2 + population.birth_slots``
slots therefore takes a spare block of that many slots instead (appended to the population
at the start, :func:`spare_blocks`), with the ended household's group, village and
transfers; the ended household's slots stay empty for good. When the spare blocks run out
(the run lasts longer than they were sized for) it takes the ended household's slots as
before, and the events table says so once.
"""

from __future__ import annotations

import numpy as np

from sim import marriage
from sim.checks import NEVER
from sim.health import household_members, refresh_age, share_earnings
from sim.liquidity import cash_buffer
from sim.parameters import AGE_BAND_LOWER, GROUPS
from sim.places import place_of_township
from sim.population import (
    NO_MAJOR,
    background_deaths_per_year,
    draw_chronic,
    draw_earnings,
    empty_person_slots,
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
    if (params["population"]["households_formed_share"] <= 0
            and params["population"]["marriage_split_per_year"] <= 0
            and not marriage.on(params)):
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
    ended = float(np.exp(log_ended[small]).sum())
    if params["population"]["households_formed_share"] <= 0:
        ended = 0.0  # no ended household is taken over
    expected = ended + _expected_splits(pop, params, years)
    expected *= SPARE_MARGIN
    return int(np.ceil(expected + 3.0 * np.sqrt(expected))) + 1


def _expected_splits(pop, params: dict, years: float) -> float:
    """Households a run of ``years`` is expected to split off at marriage.

    Each year's candidates are taken as the sample's persons of the formation ages at the
    start (a county whose ages hold), each splitting with the yearly chance
    (:func:`split_at_marriage`), and its men of those ages without a possible wife
    marrying with theirs (``sim.marriage.weddings``): those without room for a bride and
    her children at home, and the share of the others who would live on their own. The
    splits are an upper bound (some candidates' households have no other adult); the
    weddings an estimate (a pool of such men that stays as at the start), checked in
    tests/test_formation.py: ``steady_state`` never runs out.
    """
    pop_ = params["population"]
    lo, hi = pop_["formation_age_min"], pop_["formation_age_max"]
    P, n = pop.persons, pop.sample_households
    sample = P.born & (P.hh < n)
    persons = np.count_nonzero(sample & (P.age >= lo) & (P.age <= hi))
    men = 0
    if marriage.on(params):
        born = np.flatnonzero(sample)
        age, female = P.age[born], P.female[born]
        wife = marriage.any_member(P.hh[born], np.arange(len(born)),
                                   lambda a, b: marriage.could_marry(age, female, a, b))
        members = np.bincount(P.hh[born], minlength=n)
        room = pop.slots[:n] - members >= 1 + min(marriage.ROOM_FOR_CHILDREN,
                                                  int(pop_["birth_slots"]))
        single = ~female & ~wife & (age >= max(lo, marriage.LEGAL_AGE[0])) & (age <= hi)
        own = pop_["own_household_at_marriage_share"]
        men = np.count_nonzero(single & ~room[P.hh[born]]) + own * np.count_nonzero(
            single & room[P.hh[born]])
    return float((pop_["marriage_split_per_year"] * persons
                  + pop_["marriage_per_year"] * men) * np.ceil(years))


def form_households(model, m: int) -> np.ndarray:
    """Take over ended households with new young ones; returns the new members' indices."""
    H = model.pop.households
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
    owner, position, members = _new_slots(model, ended, n_new)
    single_female = stream.keyed(members, m, 2) < pop["female_share"]
    female = np.where(n_new[owner] == 2, position == 1, single_female)
    leaver = choose_leavers(model, H.township[ended][owner], female, H.group[ended][owner],
                            m)
    return _set_up(model, ended, n_new, owner, members, female, leaver,
                   _outsider_age(model, members, m, 1),
                   (stream.generator(m), stream.generator(m, 1)), m)


def split_at_marriage(model, m: int, formed: np.ndarray) -> np.ndarray:
    """Young couples who set up a household of their own (分家) each January; their members.

    A person who could leave (:func:`young_adults_who_can_leave`) and whose household was
    not formed or split this January (``formed``, household indices) marries and leaves
    with yearly chance ``population.marriage_split_per_year`` (keyed, stream
    ``formation``), at most one of a household a year (the first by the keys), and sets
    up a household with a spouse found as a new household's adults are
    (:func:`choose_leavers`, other sex, same township, not from that household) or from
    outside (:func:`split_off`). Unlike :func:`form_households`, this does not wait for a
    household to end, so households of parents without their married children (the
    empty nest, 空巢) and young families arise at the pace of marriages; the number of
    households grows by the splits and falls by the households that end.
    """
    rate = model.params["population"]["marriage_split_per_year"]
    if rate <= 0:
        return np.zeros(0, np.int64)
    P, H = model.pop.persons, model.pop.households
    stream = model.streams["formation"]
    cand = young_adults_who_can_leave(model)
    cand = cand[~np.isin(P.hh[cand], formed)]
    chosen = one_per_household(model, cand, stream.keyed(cand, m, 6), rate)
    origin = P.hh[chosen]
    # households that give a spouse: not those the marrying persons leave this January
    spouse = choose_leavers(model, H.township[origin], ~P.female[chosen], H.group[origin],
                            m, keys=(7, 8), exclude=origin)
    return split_off(model, m, chosen, spouse)


def split_off(model, m: int, chosen: np.ndarray, spouse: np.ndarray) -> np.ndarray:
    """The persons ``chosen`` leave with their ``spouse`` (-1: from outside); new members.

    Each couple takes a spare block (:func:`spare_blocks`) with the group, township,
    distance and transfers of the household the chosen person left. When the spare
    blocks run out, the rest stay where they are and the events table says so once.
    """
    P, H = model.pop.persons, model.pop.households
    stream = model.streams["formation"]
    blocks = np.arange(model.next_spare, H.n)[:len(chosen)]
    if len(blocks) < len(chosen):
        model.log(m, "spare blocks used up", marriages_not_split=int(len(chosen) - len(blocks)))
        chosen, spouse = chosen[:len(blocks)], spouse[:len(blocks)]
    if len(chosen) == 0:
        return np.zeros(0, np.int64)
    origin = P.hh[chosen]
    for column in ("group", "township", "distance_km", "transfer_pp_year"):
        getattr(H, column)[blocks] = getattr(H, column)[origin]
    _open_blocks(model, blocks)
    n_new = np.full(len(blocks), 2, np.int64)
    owner, position, members = _new_slots(model, blocks, n_new)
    female = position == 1
    own = 2 * np.arange(len(chosen)) + P.female[chosen]  # the member who marries
    leaver = np.full(len(members), -1, np.int64)
    leaver[own] = chosen
    leaver[own ^ 1] = spouse
    return _set_up(model, blocks, n_new, owner, members, female, leaver,
                   _outsider_age(model, members, m, 9),
                   (stream.generator(m, 2), stream.generator(m, 3)), m)


def _new_slots(model, blocks: np.ndarray, n_new: np.ndarray):
    """Each new member's household (into ``blocks``), position in it and person index."""
    owner = np.repeat(np.arange(len(blocks)), n_new)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(n_new) - n_new, n_new)
    return owner, position, model.hh_first[blocks][owner] + position


def _outsider_age(model, members: np.ndarray, m: int, key: int) -> np.ndarray:
    """Age of a new adult who joins from outside: uniform over the formation ages."""
    pop = model.params["population"]
    lo, hi = pop["formation_age_min"], pop["formation_age_max"]
    return np.minimum(lo + model.streams["formation"].keyed(members, m, key) * (hi - lo + 1),
                      hi)


def _set_up(model, blocks, n_new, owner, members, female, leaver, age, rngs, m):
    """Fill the new households ``blocks`` with their adults; returns the members.

    ``owner`` (into ``blocks``), ``female`` and ``leaver`` (the person of the sample each
    member was, or -1 for one from outside, then of age ``age``) describe each member;
    ``rngs`` are the generators of the outsiders' chronic diseases and of the households'
    earnings and savings. Leavers bring their state and leave their households.
    """
    P = model.pop.persons
    came = leaver >= 0
    was_dead = members[~P.alive[members] & P.born[members]]
    model.dead_replaced += np.bincount(model.pgroup[was_dead], minlength=len(GROUPS))
    arrive_as_adults(model, members, np.where(came, P.age[leaver], age), female, rngs[0],
                     m, 2)
    carry_state(model, leaver[came], members[came])
    if marriage.on(model.params):
        first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        couple = first[n_new[owner[first]] == 2]
        marriage.link(model, members[couple], members[couple + 1])
    model.special_family_u[blocks] = 1.0  # young adults: not a special family
    model.household_epoch[blocks] += 1
    capacity = work_capacity(P.age[members], model.params)
    total = np.bincount(owner, weights=capacity, minlength=len(blocks))
    P.earn_share[members] = capacity / total[owner]
    model.n_born[blocks] = n_new
    _new_household_columns(model, blocks, n_new, total, rngs[1])
    _inherit_exited_status(model, blocks, owner[came], leaver[came])
    leave_households(model, leaver[came])
    refresh_age(model, members)
    return members


def carry_state(model, leavers: np.ndarray, slots: np.ndarray) -> None:
    """Persons of the sample who moved from ``leavers`` to ``slots`` take their state along.

    Their chronic diseases, awareness and management, last health check, disability draw
    and the share of this year's chronic bills already paid (age and sex the caller
    gives; persons with a major disease do not move).
    """
    P = model.pop.persons
    for column in ("chronic", "diagnosed", "managed"):
        getattr(P, column)[slots] = getattr(P, column)[leavers]
    model.last_check[slots] = model.last_check[leavers]
    model.disability_u[slots] = model.disability_u[leavers]
    model.care.chronic_share_paid[slots] = model.care.chronic_share_paid[leavers]


def arrive_as_adults(model, members: np.ndarray, age: np.ndarray, female: np.ndarray,
                     rng, m: int, disability_slot: int) -> None:
    """Persons who arrive from outside the sample in the empty slots ``members``.

    Living, of the given ``age`` and sex, with the chronic diseases (and their awareness
    and management) of their age drawn by ``rng`` (``sim.population.draw_chronic``), no
    major disease, no health check on record, nothing paid this year and a fresh disability
    draw (stream ``disability``, keyed slot ``disability_slot``). The caller gives them
    their household's earnings shares and refreshes what depends on age.
    """
    P = model.pop.persons
    marriage.unlink(model, members)
    P.age[members] = np.asarray(age).astype(P.age.dtype)
    P.female[members] = female
    P.alive[members] = True
    P.born[members] = True
    chronic = draw_chronic(rng, model.params["health"]["chronic"], P.age[members])
    for column, values in zip(("chronic", "diagnosed", "managed"), chronic, strict=True):
        getattr(P, column)[members] = values
    P.major[members] = NO_MAJOR
    P.major_late[members] = False
    P.major_found[members] = False
    P.major_months[members] = -1
    P.death_month[members] = -1
    model.last_check[members] = NEVER
    model.disability_u[members] = model.streams["disability"].keyed(members, m,
                                                                    disability_slot)
    model.care.chronic_share_paid[members] = np.nan


def one_per_household(model, cand: np.ndarray, key: np.ndarray, rate: float
                       ) -> np.ndarray:
    """The candidates whose ``key`` is below ``rate``, the first by key of each household.

    In index order; ``cand`` are person indices, ``key`` their keyed uniforms.
    """
    cand, key = cand[key < rate], key[key < rate]
    cand = cand[np.argsort(key, kind="stable")]
    _, first = np.unique(model.pop.persons.hh[cand], return_index=True)
    return np.sort(cand[first])


def young_adults_who_can_leave(model, min_age: int = 0) -> np.ndarray:
    """Living persons of the formation ages, no major disease, whose household keeps an adult.

    In households that are open (``Model.open_block``), unmarried where the scenario has
    marriage (``sim.marriage``), aged ``min_age`` or more; the candidates of
    :func:`choose_leavers` and ``sim.migration.migrate_out``, in index order.
    """
    P, H, pop = model.pop.persons, model.pop.households, model.params["population"]
    alive = np.flatnonzero(P.alive)
    hh, age = P.hh[alive], P.age[alive]
    adults = np.bincount(hh, weights=age >= 18, minlength=H.n)
    fits = ((age >= max(pop["formation_age_min"], min_age)) & (age <= pop["formation_age_max"])
            & (P.major[alive] == NO_MAJOR) & model.open_block[hh])
    fits &= adults[hh] - (age >= 18) >= 1
    fit = alive[fits]
    return fit[~marriage.married(model, fit)] if marriage.on(model.params) else fit


def choose_leavers(model, township: np.ndarray, female: np.ndarray, group: np.ndarray,
                   m: int, keys: tuple[int, int] = (3, 4),
                   exclude: np.ndarray | None = None, min_age: int = 0) -> np.ndarray:
    """The person of the sample each new adult was, or -1 for one who joins from outside.

    ``township``, ``female`` and ``group`` give each new adult's township, sex and the
    target group of the household they form. A share
    ``population.formation_from_households_share`` of them (keyed, stream ``formation``)
    is sought among the sample's living persons of the same township and sex aged
    ``formation_age_min``-``formation_age_max`` with no major disease, in a household that
    keeps a living member aged 18 or more without them; a household gives at most one a
    year. Candidates are taken in a keyed random order, first from households of the same
    group, then of any group; a township with fewer candidates than adults sought fills
    the rest from outside. ``keys`` are the two keyed slots of the draws (whom to seek,
    the candidates' order): each caller its own; no member of the households ``exclude``
    is chosen, nor anyone younger than ``min_age``.
    """
    P, H, pop = model.pop.persons, model.pop.households, model.params["population"]
    out = np.full(len(township), -1, np.int64)
    stream = model.streams["formation"]
    seek = np.flatnonzero(stream.keyed(np.arange(len(township)), m, keys[0])
                          < pop["formation_from_households_share"])
    if len(seek) == 0:
        return out
    cand = young_adults_who_can_leave(model, min_age)
    if exclude is not None:
        cand = cand[~np.isin(P.hh[cand], exclude)]
    if len(cand) == 0:
        return out
    cand = cand[np.argsort(stream.keyed(cand, m, keys[1]), kind="stable")]
    _, first = np.unique(P.hh[cand], return_index=True)  # one per household: its first
    cand = cand[np.sort(first)]
    place = township.astype(np.int64) * 2 + female  # (township, sex) of each new adult
    cand_place = H.township[P.hh[cand]].astype(np.int64) * 2 + P.female[cand]
    n_groups = int(max(group.max(), H.group.max())) + 1
    same = _match(place[seek] * n_groups + group[seek],
                  cand_place * n_groups + H.group[P.hh[cand]])
    out[seek] = np.where(same >= 0, cand[np.maximum(same, 0)], -1)
    rest, free = seek[same < 0], np.setdiff1d(np.arange(len(cand)), same[same >= 0])
    other = _match(place[rest], cand_place[free])
    out[rest] = np.where(other >= 0, cand[free[np.maximum(other, 0)]], -1)
    return out


def _match(want: np.ndarray, have: np.ndarray) -> np.ndarray:
    """Match each request to a distinct item with the same key.

    Returns, for each entry of ``want``, the index of an item of ``have`` with that key,
    or -1: the k-th request of a key (in order) gets its k-th item (in order).
    """
    if len(want) == 0 or len(have) == 0:
        return np.full(len(want), -1, np.int64)
    order_h = np.argsort(have, kind="stable")
    sorted_h = have[order_h]
    order_w = np.argsort(want, kind="stable")
    sorted_w = want[order_w]
    rank = np.arange(len(sorted_w)) - np.searchsorted(sorted_w, sorted_w)
    start = np.searchsorted(sorted_h, sorted_w)
    count = np.searchsorted(sorted_h, sorted_w, side="right") - start
    found = rank < count
    got = np.full(len(want), -1, np.int64)
    got[order_w[found]] = order_h[start[found] + rank[found]]
    return got


def leave_households(model, leavers: np.ndarray, count: str = "persons_left",
                     earnings_kept: float = 0.0) -> None:
    """The leavers' households lose them and their share of the earnings; slots empty.

    The household's earned income falls by the leaver's share times
    ``1 - earnings_kept`` (their earnings go with them; ``earnings_kept`` is the share
    that still reaches the household), the living members' shares are renormalised, and
    the slot is emptied as if never born (every person column to its empty value, nothing
    paid this year, no check on record) for a later birth (``sim.health.births``).
    Leavers are counted in the month count ``count`` by the group of the household they
    left; the measures, enrolment and registry drop them from their counts
    (``Model.departed``).
    """
    if len(leavers) == 0:
        return
    P, H = model.pop.persons, model.pop.households
    affected, at = np.unique(P.hh[leavers], return_inverse=True)
    H.size[affected] -= np.bincount(at).astype(H.size.dtype)
    lost = np.clip(np.bincount(at, weights=P.earn_share[leavers]), 0.0, 1.0)
    H.earned_year[affected] *= 1.0 - lost * (1.0 - earnings_kept)
    model.month_counts[count] += np.bincount(model.pgroup[leavers], minlength=len(GROUPS))
    model.departed(leavers)
    marriage.unlink(model, leavers)
    empty_person_slots(P, leavers)
    model.last_check[leavers] = NEVER
    model.ledger.clear(leavers)
    model.care.chronic_share_paid[leavers] = np.nan
    share_earnings(model, affected)


def _inherit_exited_status(model, new: np.ndarray, owner: np.ndarray,
                           leaver: np.ndarray) -> None:
    """New households of persons who left a formerly-poor household are formerly poor.

    ``new`` are the new households, ``owner`` (into ``new``) and ``leaver`` each adult who
    came from one of the sample's households. The poverty registry counts persons: the
    members of an exited household stay exited when they set up a household of their own
    (分户; assumption: no published rule on split households was found). So a new
    household is formerly poor, with the recorded main cause of illness if such a
    household it came from had it, when one of its adults left a formerly-poor household
    and its group is one that holds formerly-poor households
    (``population.formerly_poor_share`` above zero). Otherwise the formerly poor would be a
    closed cohort that loses its households as their last members die while their
    children's households leave the count: a shrinking, ageing denominator of the return
    rate in a county without trends. Leavers from households still registered (not
    exited) form unregistered households, as the registry's counts of 2019 assume.
    """
    H = model.pop.households
    source = model.pop.persons.hh[leaver]
    from_fp = H.formerly_poor[source]
    exited = np.bincount(owner, weights=from_fp, minlength=len(new)) > 0
    illness = np.bincount(owner, weights=from_fp & H.cause_illness[source],
                          minlength=len(new)) > 0
    share = np.array([model.params["population"]["formerly_poor_share"][g] for g in GROUPS])
    exited &= share[H.group[new]] > 0
    H.formerly_poor[new] = exited
    H.cause_illness[new] = exited & illness


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
    model.open_block[old] = False
    _open_blocks(model, spare)
    ended = ended.copy()
    ended[small] = spare
    return ended


def _open_blocks(model, spare: np.ndarray) -> None:
    """Open the next spare blocks ``spare``, given their group and township, to a household.

    Their slots take the block's group and place (the engine's per-person copies).
    """
    H = model.pop.households
    slots = household_members(model, spare)
    hh = model.pop.persons.hh[slots]
    model.pgroup[slots] = H.group[hh]
    model.pplace[slots] = place_of_township(model.params)[H.township[hh]]
    model.open_block[spare] = True
    model.next_spare += len(spare)


def _new_household_columns(model, ended, n_new, capacity, rng) -> None:
    """Registry, income, savings, debt and money windows of the new households.

    ``rng`` draws their earnings, income shocks and savings.
    """
    H = model.pop.households
    g = H.group[ended]
    H.size[ended] = n_new
    for flag in ("formerly_poor", "registered", "cause_illness", "monitored"):
        getattr(H, flag)[ended] = False
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
