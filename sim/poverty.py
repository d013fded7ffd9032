"""Income, out-of-pocket spending, poverty state and its attribution to illness.

Definitions (fixed in DESIGN.md, "What the numbers mean"):

* A household is **poor** in a month when its per-capita net income over the last 12 months
  (income, after illness-caused income loss, minus out-of-pocket medical spending after all
  reimbursement and assistance) is below that year's poverty line. Per capita divides by
  the household's person-months in the window / 12, not by its size at the end.
* It is **poor due to illness** when it is poor but would not be with the out-of-pocket
  spending and the illness-caused income loss of the same 12 months removed.
* A **return to poverty** in a year: a formerly-poor household that was not poor in the
  last month of the previous year (or when it entered the simulation) is poor in some
  month of the year. It is **due to illness** when, with its illness costs and income loss
  removed, it would not have been poor in any month of that year. The same for households
  that are neither registered poor nor formerly poor is **new poverty due to illness**.
  Cumulative rates over the reported window count households with such a year in it.
  Monthly flows of households *entering* poverty (not poor the month before) are
  reported as well.
* **Financial hardship** is judged on each calendar year's totals: SDG 3.8.2 (out of pocket
  above 10% and 25% of the household budget), WHO 2025 (above 40% of the budget left after
  the societal poverty line; any spending when nothing is left), and the
  Wagstaff-Eozenou classes.

Earned income follows a household-specific AR(1) shock in logs, updated each January, and
grows at a nominal rate; transfers are paid per living member.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.population import work_capacity

#: Threshold of the original SDG 3.8.2 indicator and of the Wagstaff-Eozenou
#: catastrophic class (share of the household budget).
SDG_THRESHOLDS = (0.10, 0.25)
WE_CATASTROPHIC = 0.10
#: WHO 2025 SDG 3.8.2: share of the discretionary budget.
WHO_DISCRETIONARY = 0.40
WE_CLASSES = ("immiserizing", "impoverishing", "catastrophic", "non_catastrophic", "none")


@dataclass
class PovertyStatus:
    """The month's poverty classification of every household (bool arrays)."""

    poor: np.ndarray
    poor_illness: np.ndarray
    poor_without_illness: np.ndarray
    entered: np.ndarray
    entered_illness: np.ndarray


class Accounts:
    """Per-household money flows (yuan): 12-month windows, year totals and poverty flags.

    Per-capita figures divide by the household's person-years over the same months
    (person-months / 12, members counted at the end of each month; DESIGN.md), not by
    its size at the end: a member who died in March counts for a quarter of a year.
    """

    def __init__(self, monthly_income: np.ndarray, size: np.ndarray):
        n = len(monthly_income)
        self.ring_income = np.repeat(monthly_income[None, :].astype(np.float32), 12, axis=0)
        self.ring_oop = np.zeros((12, n), np.float32)
        self.ring_loss = np.zeros((12, n), np.float32)
        self.ring_size = np.repeat(np.asarray(size, np.int16)[None, :], 12, axis=0)
        self.sum_income = monthly_income.astype(np.float64) * 12
        self.sum_oop = np.zeros(n)
        self.sum_loss = np.zeros(n)
        self.sum_size = self.ring_size.sum(axis=0, dtype=np.int32)  # person-months
        self.year_income = np.zeros(n)
        self.year_oop = np.zeros(n)
        self.year_loss = np.zeros(n)
        self.year_size = np.zeros(n, np.int32)  # person-months of this calendar year
        self.poor = np.zeros(n, bool)
        #: poor in the last month of the previous year (flows count only those who were not)
        self.poor_before_year = np.zeros(n, bool)
        self.year_flags = {k: np.zeros(n, bool) for k in
                           ("ever_poor", "ever_poor_illness", "ever_poor_without_illness")}

    def restart(self, households: np.ndarray, monthly_income: np.ndarray,
                size: np.ndarray) -> None:
        """Windows of new households: a year at ``monthly_income``, no spending, not poor.

        ``size``: their members, counted in every month of the new window.
        """
        self.ring_income[:, households] = monthly_income.astype(np.float32)
        self.sum_income[households] = monthly_income * 12
        self.ring_size[:, households] = size
        self.sum_size[households] = 12 * np.asarray(size, np.int32)
        for ring, total in ((self.ring_oop, self.sum_oop), (self.ring_loss, self.sum_loss)):
            ring[:, households] = 0.0
            total[households] = 0.0
        self.poor[households] = False
        self.poor_before_year[households] = False
        for flags in self.year_flags.values():
            flags[households] = False

    def push(self, m: int, income, oop, loss, size) -> None:
        """Add month ``m``'s income, out-of-pocket spending and illness income loss (yuan).

        ``size``: the members at the end of the month (person-months of the windows).
        """
        slot = m % 12
        for ring, total, new in ((self.ring_income, self.sum_income, income),
                                 (self.ring_oop, self.sum_oop, oop),
                                 (self.ring_loss, self.sum_loss, loss)):
            new32 = np.asarray(new, dtype=np.float32)
            total += new32.astype(np.float64) - ring[slot]
            ring[slot] = new32
        self.sum_size += size
        self.sum_size -= self.ring_size[slot]
        self.ring_size[slot] = size
        self.year_income += income
        self.year_oop += oop
        self.year_loss += loss
        self.year_size += size

    def person_years(self, households=slice(None)) -> np.ndarray:
        """Person-years of the last 12 months (person-months / 12; at least one month)."""
        return np.maximum(self.sum_size[households], 1) / 12.0

    def year_person_years(self) -> np.ndarray:
        """Person-years of the calendar year so far, per household (person-months / 12)."""
        return self.year_size / 12.0

    def net_per_capita(self, households=slice(None)) -> np.ndarray:
        """Net income per person-year over the last 12 months (yuan).

        Income after illness-caused loss, less out of pocket.
        """
        return ((self.sum_income[households] - self.sum_oop[households])
                / self.person_years(households))

    def assess(self, line: float, size: np.ndarray) -> PovertyStatus:
        """Classify households against the poverty line (yuan per person-year).

        ``size``: the members now; a household with none is not classified.
        """
        alive = size > 0
        person_years = self.person_years()
        net = (self.sum_income - self.sum_oop) / person_years
        without_illness = (self.sum_income + self.sum_loss) / person_years
        poor = alive & (net < line)
        poor_without_illness = alive & (without_illness < line)
        poor_illness = poor & ~poor_without_illness
        entered = poor & ~self.poor
        status = PovertyStatus(poor, poor_illness, poor_without_illness, entered,
                               entered & poor_illness)
        self.poor = poor
        return status

    def flag(self, status: PovertyStatus) -> None:
        """Accumulate this year's 'ever poor' flags."""
        f = self.year_flags
        f["ever_poor"] |= status.poor
        f["ever_poor_illness"] |= status.poor_illness
        f["ever_poor_without_illness"] |= status.poor_without_illness

    def year_outcomes(self) -> dict[str, np.ndarray]:
        """Per household this year: flows into poverty, and into poverty due to illness.

        A flow (DESIGN.md): not poor in the last month of the previous year (or at entry)
        and poor in some month of this one; due to illness when, with the illness costs
        and loss removed, it would have been poor in no month of the year. Stocks are
        reported elsewhere.
        """
        f = self.year_flags
        fresh = f["ever_poor"] & ~self.poor_before_year
        return {"poor": fresh,
                "poor_illness": fresh & ~f["ever_poor_without_illness"],
                "ever_poor": f["ever_poor"].copy(),
                "ever_poor_illness": f["ever_poor"] & ~f["ever_poor_without_illness"]}

    def new_year(self) -> None:
        """Reset the calendar-year totals and flags; remember who ended last year poor."""
        self.poor_before_year = self.poor.copy()
        self.year_income.fill(0.0)
        self.year_oop.fill(0.0)
        self.year_loss.fill(0.0)
        self.year_size.fill(0)
        for v in self.year_flags.values():
            v.fill(False)

    def nbytes(self) -> int:
        """Memory held."""
        arrays = [self.ring_income, self.ring_oop, self.ring_loss, self.ring_size,
                  self.sum_income, self.sum_oop, self.sum_loss, self.sum_size,
                  self.year_income, self.year_oop, self.year_loss, self.year_size,
                  self.poor, *self.year_flags.values()]
        return sum(a.nbytes for a in arrays)


def household_budget(income: np.ndarray, consumption_share: float, budget: str
                     ) -> np.ndarray:
    """The SDG 3.8.2 denominator of each household over a year (yuan).

    ``income`` is the year's income after illness-caused loss and before out-of-pocket
    spending; consumption is taken as ``consumption_share`` of it.
    """
    return income * consumption_share if budget == "consumption" else income


def societal_poverty_line(budget: np.ndarray, persons: np.ndarray, hp: dict, year: int
                          ) -> float:
    """The societal poverty line of ``year`` from the simulated households' own budgets.

    The larger of the international extreme line and a constant plus a share of the
    median budget per person (median over persons), the dollar terms converted to yuan
    with the PPP factor and carried to ``year``'s prices (yuan per person-year).
    ``persons`` are each household's person-years in the year (0: not counted).
    """
    alive = persons > 0
    if not alive.any():
        alive = np.ones(len(persons), bool)  # no one left: the line of an empty area
        persons = np.ones(len(persons))
    per_person = budget[alive] / persons[alive]
    order = np.argsort(per_person)
    weight = np.cumsum(persons[alive][order])
    median = per_person[order][np.searchsorted(weight, weight[-1] / 2.0, side="right")]
    dollars = 365.0 * hp["ppp_yuan_per_dollar"] * (
        1.0 + hp["price_growth_per_year"]) ** (year - hp["ppp_year"])
    relative = hp["societal_constant_dollars_per_day"] * dollars + hp[
        "societal_median_share"] * median
    return float(max(hp["extreme_line_dollars_per_day"] * dollars, relative))


def hardship(income: np.ndarray, oop: np.ndarray, persons: np.ndarray, line: float,
             spl: float, total: np.ndarray, consumption: np.ndarray | None = None
             ) -> dict[str, np.ndarray]:
    """Financial hardship flags of households over one year (all arrays per household).

    ``income`` is the year's income after illness-caused loss and before out-of-pocket
    spending, ``total`` the household budget of SDG 3.8.2's original definition
    (:func:`household_budget`: consumption or income), ``consumption`` the household's
    consumption, whose part above the societal poverty line is WHO 2025's discretionary
    budget (``total`` when not given); ``persons`` the household's person-years in the
    year (0 for a household with no members left, which is not counted); ``line`` the
    poverty line and ``spl`` the societal poverty line (yuan per person-year, from
    consumption). The Wagstaff-Eozenou classes partition the counted households exactly.
    """
    alive = persons > 0
    spent = alive & (oop > 0)
    with np.errstate(over="ignore"):
        share = np.where(total > 0, oop / np.where(total > 0, total, 1.0), np.inf)
    out = {f"sdg_{int(t * 100)}": spent & (share > t) for t in SDG_THRESHOLDS}
    discretionary = (total if consumption is None else consumption) - spl * persons
    out["who_hardship"] = spent & ((discretionary <= 0) | (oop > WHO_DISCRETIONARY
                                                            * discretionary))
    out["who_further_impoverished"] = spent & (discretionary <= 0)
    out["who_impoverished"] = spent & (discretionary > 0) & (oop > discretionary)
    per = np.where(alive, persons, 1.0)
    pre_poor = income / per < line
    post_poor = (income - oop) / per < line
    immiserizing = spent & pre_poor
    impoverishing = spent & ~pre_poor & post_poor
    catastrophic = spent & ~pre_poor & ~post_poor & (share > WE_CATASTROPHIC)
    out["we_immiserizing"] = immiserizing
    out["we_impoverishing"] = impoverishing
    out["we_catastrophic"] = catastrophic
    out["we_non_catastrophic"] = spent & ~immiserizing & ~impoverishing & ~catastrophic
    out["we_none"] = alive & ~spent
    return out


def update_income_shocks(model, m: int) -> None:
    """January: advance each household's AR(1) income shock and apply nominal growth."""
    H = model.pop.households
    inc = model.params["income"]
    eps = model.streams["income"].generator(m).standard_normal(H.n)
    new = inc["shock_persistence"] * H.shock + inc["shock_sd"] * eps
    H.earned_year *= (1.0 + inc["growth_per_year"]) * np.exp(new - H.shock)
    H.shock = new.astype(np.float32)


def household_capacity(model) -> np.ndarray:
    """Living members' earning capacity summed by household (working-age equivalents)."""
    P, H = model.pop.persons, model.pop.households
    cap = work_capacity(P.age, model.params) * P.alive
    return np.bincount(P.hh, weights=cap, minlength=H.n)


def follow_capacity(model, before: np.ndarray) -> None:
    """January, after ageing: scale earnings by the change in the members' capacity.

    ``before`` is :func:`household_capacity` before the members aged. A child reaching
    working age adds a worker's earnings at the household's own rate; a member passing
    ``worker_age_max`` keeps ``income.elderly_work_capacity`` of theirs. Earnings shares
    become each living member's part of the capacity. A household without capacity
    before (none is built that way) keeps its earnings.
    """
    P, H = model.pop.persons, model.pop.households
    after = household_capacity(model)
    ratio = np.where(before > 0, after / np.maximum(before, 1e-12), 1.0)
    H.earned_year *= ratio
    cap = work_capacity(P.age, model.params) * P.alive
    share = np.where(after[P.hh] > 0, cap / np.maximum(after[P.hh], 1e-12), P.earn_share)
    P.earn_share[:] = share


def monthly_income(model) -> np.ndarray:
    """Income at full working capacity this month (yuan).

    Earnings, transfers, and the income of non-health programmes (``sim.registry``).
    """
    H = model.pop.households
    per_member = H.transfer_pp_year.astype(np.float64) + H.programme_pp_year
    return H.earned_year / 12.0 + per_member * H.size / 12.0
