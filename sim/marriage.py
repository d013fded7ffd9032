"""Marriage: couples at the start, weddings each January, births to wives, widowhood.

Without it the households are not families: the start draws each member's age on its
own, so only about a quarter of the women of 25-44 live with a man who could be their
husband, and births go to every woman of 15-44 in whatever household she lives in, so
daughters bear children in their parents' households while sons' households gain a wife
only when a household ends for a new couple to take over (README, "Still drifting").

With ``population.marriage_per_year`` above zero:

- **Couples at the start.** After the start's ages and sexes are drawn and the children
  placed with possible mothers, a woman of :data:`WIFE_AGES` with no possible husband in
  her household swaps a member with a man of the right age from another household
  (:func:`place_husbands_with_wives`), and the co-resident possible couples are then
  paired as spouses (:func:`pair_spouses`). Ages, sexes and household sizes stay as drawn.
- **Weddings** each January (:func:`weddings`): an unmarried man of the formation ages
  (``population.formation_age_min``-``formation_age_max``, at least
  :data:`LEGAL_AGE` for men) marries with yearly chance ``population.marriage_per_year``,
  at most one of a household a year. His bride is an unmarried woman of the sample, of the
  same township and the formation ages, from another household that keeps an adult
  (chosen as a new household's adults are, ``sim.formation.choose_leavers``), or, with
  none left there or beyond ``population.formation_from_households_share``, a woman from
  outside the sample. She moves into his household (patrilocal residence, 从夫居) when it
  has a free slot for her and :data:`ROOM_FOR_CHILDREN` more, bringing her state and her
  earnings; otherwise, and for a share ``population.own_household_at_marriage_share`` of
  the couples whatever the room, the couple sets up a household of its own in a spare
  block (``sim.formation``), unless he cannot leave (his household would keep no adult,
  or he has a major disease): then a couple without room does not marry this year, and
  one with room lives at his home.
- **Births to wives** (``sim.health.births``): the mothers are the women of 15-44 whose
  husband lives in their household, each at the county's births per woman of 15-44 times
  the number of such women over the number of wives (set each January), so that the
  scenario's birth rate holds and marriage decides only where the children are born.
- **Widowhood**: a person whose spouse has died or left is unmarried again
  (:func:`married`) and may remarry.

New households' couples (``sim.formation``) are spouses too, and married persons do not
leave their households to form new ones or to migrate (``sim.formation.young_adults_who_
can_leave``).
"""

from __future__ import annotations

import numpy as np

#: A husband's age minus his wife's that a couple may have (years). Assumption: the mean
#: gap of Chinese first marriages is about two years (husband older), rarely more than ten.
HUSBAND_GAP = (-3, 10)
#: Legal ages of marriage, men and women (Civil Code of the PRC, 2020, art. 1047).
LEGAL_AGE = (22, 20)
#: Ages of the women given a husband at the start (the rural unmarried shares of the
#: source in ``scenarios/transition_2021_2025.toml`` fall below 10% from 35).
WIFE_AGES = (20, 59)
#: Free slots a bride's new household must keep for the couple's children, beyond her
#: own (at most ``population.birth_slots``); with fewer the couple sets up its own.
#: Assumption: room for two, China's fertility being under two children a woman.
ROOM_FOR_CHILDREN = 2
#: Rounds of :func:`place_husbands_with_wives` (each moves most of those it still can).
START_ROUNDS = 8


def on(params: dict) -> bool:
    """Whether the scenario has marriage (``population.marriage_per_year`` above zero)."""
    return params["population"]["marriage_per_year"] > 0


def could_marry(age: np.ndarray, female: np.ndarray, a: np.ndarray, b: np.ndarray
                ) -> np.ndarray:
    """Whether persons ``a`` and ``b`` (same length) could be a couple.

    One man and one woman, each of legal age (:data:`LEGAL_AGE`), the husband from three
    years younger to ten older (:data:`HUSBAND_GAP`).
    """
    husband = np.where(female[a], b, a)
    wife = np.where(female[a], a, b)
    gap = age[husband].astype(np.int32) - age[wife]
    return ((female[a] != female[b]) & (age[husband] >= LEGAL_AGE[0])
            & (age[wife] >= LEGAL_AGE[1]) & (gap >= HUSBAND_GAP[0])
            & (gap <= HUSBAND_GAP[1]))


def any_member(hh: np.ndarray, persons: np.ndarray, test) -> np.ndarray:
    """Whether each of ``persons`` shares its household with another member passing ``test``.

    ``hh`` is each person's household, sorted (members contiguous, as the start builds
    them); ``test(persons, members)`` is vectorised over pairs. Households are short, so
    each person scans its household one position at a time.
    """
    start = np.searchsorted(hh, hh[persons], "left")
    end = np.searchsorted(hh, hh[persons], "right")
    found = np.zeros(len(persons), bool)
    for j in range(int((end - start).max(initial=0))):
        member = np.minimum(start + j, len(hh) - 1)
        found |= (start + j < end) & (member != persons) & test(persons, member)
    return found


def place_husbands_with_wives(rng, hh, age, female, donors) -> None:
    """Give women without a possible husband one, by swapping members between households.

    A woman of :data:`WIFE_AGES` with no man in her household who could be her husband
    (:func:`could_marry`) takes, in place of one of her household's adults who has no
    possible spouse there (drawn at random), a man of her possible husband's age who has
    no possible wife in his own household (drawn at random): the two swap age and sex.
    Only persons marked ``donors`` take part (not the members of elderly-only
    households), and no household is left with members of 60 or more only. Every household
    keeps its size and an adult, the county its ages and sexes. A household takes part in
    at most one move a round; :data:`START_ROUNDS` rounds. The caller places children
    with possible mothers again afterwards (a moved adult may have been one).
    """
    # here: sim.population imports this module
    from sim.population import _one_at_random, one_move_per_household, random_of_age

    if not len(hh):
        return
    n_hh = int(hh[-1]) + 1

    def possible_spouse(persons):
        return any_member(hh, persons, lambda a, b: could_marry(age, female, a, b))

    paired = possible_spouse(np.arange(len(hh)))
    for _ in range(START_ROUNDS):
        seeker = np.flatnonzero(female & (age >= WIFE_AGES[0]) & (age <= WIFE_AGES[1])
                                & ~paired & donors)
        swap_of = _one_at_random(rng, hh, np.flatnonzero((age >= 18) & ~paired & donors),
                                 n_hh)
        seeker = seeker[(swap_of[hh[seeker]] >= 0) & (swap_of[hh[seeker]] != seeker)]
        men = np.flatnonzero(~female & (age >= LEGAL_AGE[0]) & ~paired & donors)
        men = men[np.argsort(age[men], kind="stable")]
        seeker, chosen = random_of_age(rng, age, men, seeker, *HUSBAND_GAP)
        if not len(seeker):
            return
        seeker, chosen, keep = one_move_per_household(rng, hh, seeker, chosen)
        a, b = hh[seeker], hh[chosen]
        # the man's household keeps a member under 60 (none becomes one of older people)
        under_60 = np.bincount(hh, weights=age < 60, minlength=n_hh)
        keep &= under_60[b] - (age[chosen] < 60) + (age[swap_of[a]] < 60) > 0
        if not keep.any():
            return
        man, other = chosen[keep], swap_of[a[keep]]
        age[man], age[other] = age[other], age[man].copy()
        female[man], female[other] = female[other], female[man].copy()
        # only the members of the households that took part can have gained or lost one
        touched = np.zeros(n_hh, bool)
        touched[hh[man]] = touched[hh[other]] = True
        again = np.flatnonzero(touched[hh])
        paired[again] = possible_spouse(again)


def pair_spouses(model, persons: np.ndarray | None = None) -> None:
    """Pair the co-resident possible couples among ``persons`` (all when None) as spouses.

    Living persons without a living spouse; each pair a man and a woman of one household
    who could marry (:func:`could_marry`), the closest to a husband two years older first
    (ties by index), each person in one couple.
    """
    P = model.pop.persons
    free = P.alive & ~married(model, np.arange(P.n))
    if persons is not None:
        keep = np.zeros(P.n, bool)
        keep[persons] = True
        free &= keep
    idx = np.flatnonzero(free)
    pairs = []
    for d in range(1, int(model.hh_size0.max(initial=1))):
        a, b = idx[:-d], idx[d:]
        same = P.hh[a] == P.hh[b]
        a, b = a[same], b[same]
        ok = could_marry(P.age, P.female, a, b)
        pairs.append(np.stack([a[ok], b[ok]], axis=1))
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), np.int64)
    husband = np.where(P.female[pairs[:, 0]], pairs[:, 1], pairs[:, 0])
    wife = np.where(P.female[pairs[:, 0]], pairs[:, 0], pairs[:, 1])
    score = np.abs(P.age[husband].astype(np.int32) - P.age[wife] - 2)
    order = np.lexsort((wife, husband, score))
    husband, wife = husband[order], wife[order]
    while len(husband):
        # a pair is taken when it is the best left of both its man and its woman
        best_h = np.zeros(len(husband), bool)
        best_h[np.unique(husband, return_index=True)[1]] = True
        best_w = np.zeros(len(wife), bool)
        best_w[np.unique(wife, return_index=True)[1]] = True
        take = best_h & best_w
        link(model, husband[take], wife[take])
        gone = np.isin(husband, husband[take]) | np.isin(wife, wife[take])
        husband, wife = husband[~gone], wife[~gone]


def link(model, husbands: np.ndarray, wives: np.ndarray) -> None:
    """Marry ``husbands`` to ``wives`` (pairwise)."""
    model.spouse[husbands] = wives
    model.spouse[wives] = husbands


def unlink(model, persons: np.ndarray) -> None:
    """The slots ``persons`` are emptied or retaken: no one is married to them any more."""
    partner = model.spouse[persons]
    partner = partner[partner >= 0]
    stale = model.spouse[partner]
    model.spouse[partner[np.isin(stale, persons)]] = -1
    model.spouse[persons] = -1


def married(model, persons: np.ndarray) -> np.ndarray:
    """Whether each of ``persons`` has a living spouse in their household.

    The others are unmarried, widowed, or separated by a move.
    """
    P = model.pop.persons
    partner = model.spouse[persons]
    has = partner >= 0
    partner = np.maximum(partner, 0)
    return has & P.alive[partner] & (P.hh[partner] == P.hh[persons])


def women_and_wives(model) -> tuple[np.ndarray, np.ndarray]:
    """Living women of childbearing age (``CHILDBEARING_AGES``), and those of them wed.

    Wed: with a living husband in their household (:func:`married`).
    """
    from sim.parameters import CHILDBEARING_AGES

    P = model.pop.persons
    low, high = CHILDBEARING_AGES
    women = np.flatnonzero(P.alive & P.female & (P.age >= low) & (P.age <= high))
    return women, women[married(model, women)]


def weddings(model, m: int) -> tuple[np.ndarray, np.ndarray]:
    """January: unmarried men marry (module docstring); (brides moved in, new members).

    The first are the brides' new slots in their husbands' households, the second the
    members of the households that couples without room set up (``sim.formation``).
    """
    from sim.formation import (
        choose_leavers,
        one_per_household,
        split_off,
        young_adults_who_can_leave,
    )
    from sim.health import free_slots

    rate = model.params["population"]["marriage_per_year"]
    none = np.zeros(0, np.int64)
    if rate <= 0:
        return none, none
    P, H = model.pop.persons, model.pop.households
    pop = model.params["population"]
    stream = model.streams["marriage"]
    alive = np.flatnonzero(P.alive & ~P.female & model.open_block[P.hh])
    age = P.age[alive]
    groom = alive[(age >= max(pop["formation_age_min"], LEGAL_AGE[0]))
                  & (age <= pop["formation_age_max"])]
    groom = groom[~married(model, groom)]
    groom = one_per_household(model, groom, stream.keyed(groom, m, 0), rate)
    if len(groom) == 0:
        return none, none
    home = P.hh[groom]
    bride = choose_leavers(model, H.township[home], np.ones(len(groom), bool),
                           H.group[home], m, keys=(11, 12), exclude=home,
                           min_age=LEGAL_AGE[1])
    slot, empty = free_slots(model, home)
    free = model.hh_size0[home] - H.size[home]
    # a groom who cannot leave (his household would keep no adult, or he has a major
    # disease) and has no room at home does not marry this year
    room = (slot >= 0) & (free >= 1 + min(ROOM_FOR_CHILDREN, int(pop["birth_slots"])))
    # couples who would rather live on their own do so when he can leave
    can = np.isin(groom, young_adults_who_can_leave(model))
    room &= ~(can & (stream.keyed(groom, m, 3) < pop["own_household_at_marriage_share"]))
    split = ~room & can
    wed_home = groom[room]
    moved = _move_in(model, wed_home, bride[room], slot[room], empty[room], m)
    formed = split_off(model, m, groom[split], bride[split])
    model.month_counts["weddings"] += model._by_group(
        np.concatenate([wed_home, formed[~P.female[formed]]]))
    return moved, formed


def _move_in(model, groom, bride, slot, empty, m) -> np.ndarray:
    """Brides (of the sample, or -1 from outside) move into their grooms' free ``slot``."""
    from sim.formation import arrive_as_adults, carry_state, leave_households
    from sim.health import occupy_slots, refresh_age
    from sim.migration import add_earnings
    from sim.population import draw_earnings, work_capacity

    if len(groom) == 0:
        return np.zeros(0, np.int64)
    P, H = model.pop.persons, model.pop.households
    pop = model.params["population"]
    home = P.hh[groom]
    came = bride >= 0
    lo, hi = max(pop["formation_age_min"], LEGAL_AGE[1]), pop["formation_age_max"]
    outsider_age = np.minimum(lo + model.streams["marriage"].keyed(slot, m, 1)
                              * (hi - lo + 1), hi)
    age = np.where(came, P.age[np.maximum(bride, 0)], outsider_age)
    fro = bride[came]
    earnings = np.zeros(len(groom))
    earnings[came] = H.earned_year[P.hh[fro]] * P.earn_share[fro]
    rng = model.streams["marriage"].generator(m)
    earned_pp, _ = draw_earnings(rng, model.params, H.group[home[~came]],
                                 int((~came).sum()))
    capacity = work_capacity(age[~came], model.params)
    earnings[~came] = earned_pp * capacity
    occupy_slots(model, home, slot, empty)
    arrive_as_adults(model, slot, age, np.ones(len(slot), bool), rng, m, 4)
    carry_state(model, fro, slot[came])
    leave_households(model, fro, count="persons_married_out")
    add_earnings(model, home, slot, earnings)
    H.size[home] += 1
    link(model, groom, slot)
    refresh_age(model, slot)
    return slot
