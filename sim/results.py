"""Outputs: indicators declared in one place, recorded each month, returned as tidy frames.

Every indicator has a name, a unit, a meaning and a yearly aggregation (``sum`` for flows,
``last`` for stocks). Most are recorded per target group (households of the group, or
persons living in them); a few are area-level (e.g. a measure's remaining budget).

:class:`Results` holds three frames:

* ``monthly`` -- one row per reported month and group (plus ``all``), every indicator;
* ``annual`` -- one row per year and group: flows summed, stocks at year end, the
  "ever in the year" poverty counts, financial hardship, and rates per household;
* ``summary`` -- ``indicator, value, unit`` (with ``lo, hi`` across replications).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.health import household_income_pp
from sim.parameters import CHRONIC, GROUPS, LEVELS
from sim.population import NO_MAJOR
from sim.poverty import household_budget, societal_poverty_line
from sim.timeline import month_label


@dataclass(frozen=True)
class Indicator:
    """One recorded quantity."""

    name: str
    unit: str
    doc: str
    agg: str = "sum"  # how months make a year: sum, last, mean, max
    by_group: bool = True


def _i(name, unit, doc, agg="sum", by_group=True):
    return Indicator(name, unit, doc, agg, by_group)


HEALTH_STATES = ("healthy", "chronic_managed", "chronic_unmanaged", "outpatient", "inpatient",
                 "major_early", "major_late", "dead")

ENGINE_INDICATORS: tuple[Indicator, ...] = (
    _i("households", "households", "Households with living members.", "last"),
    _i("persons", "persons", "Living persons.", "last"),
    _i("formerly_poor_households", "households", "Formerly-poor households (脱贫户).", "last"),
    _i("formerly_poor_persons", "persons", "Persons in formerly-poor households.", "last"),
    _i("poor_households", "households", "Poor households (12-month net income below the "
       "line).", "last"),
    _i("poor_persons", "persons", "Persons in poor households.", "last"),
    _i("poor_illness_households", "households", "Poor due to illness (因病致贫 stock).", "last"),
    _i("poor_illness_persons", "persons", "Persons poor due to illness.", "last"),
    _i("formerly_poor_poor_households", "households", "Formerly-poor households now poor.",
       "last"),
    _i("formerly_poor_poor_persons", "persons", "Persons in them.", "last"),
    _i("formerly_poor_poor_illness_households", "households", "Formerly-poor households now "
       "poor due to illness.", "last"),
    _i("formerly_poor_poor_illness_persons", "persons", "Persons in them.", "last"),
    _i("entered_poverty_households", "households", "Households entering poverty this month "
       "(not poor the month before)."),
    _i("entered_poverty_persons", "persons", "Persons in them."),
    _i("entered_poverty_illness_households", "households", "... entering poverty due to "
       "illness."),
    _i("entered_poverty_illness_persons", "persons", "Persons in them."),
    _i("formerly_poor_entered_households", "households", "Formerly-poor households entering "
       "poverty this month."),
    _i("formerly_poor_entered_persons", "persons", "Persons in them."),
    _i("formerly_poor_entered_illness_households", "households", "... due to illness."),
    _i("formerly_poor_entered_illness_persons", "persons", "Persons in them."),
    _i("registry_poor_households", "households", "Registered poor households not yet "
       "exited (建档立卡, the registry's count).", "last"),
    _i("registry_poor_persons", "persons", "Persons in them.", "last"),
    _i("registry_poor_illness_households", "households", "Registered poor households whose "
       "recorded main cause is illness (the registry's 因病致贫 count).", "last"),
    _i("registry_poor_illness_persons", "persons", "Persons in them.", "last"),
    _i("registry_monitored_households", "households", "Monitored objects (监测对象).",
       "last"),
    _i("registry_monitored_persons", "persons", "Persons in them.", "last"),
    _i("registry_poor_illness_truly_poor_households", "households", "Registered "
       "illness-labelled households that are poor (model truth).", "last"),
    _i("registry_poor_illness_truly_poor_persons", "persons", "Persons in them.", "last"),
    _i("registry_poor_illness_truly_poor_illness_households", "households", "Registered "
       "illness-labelled households that are poor due to illness (model truth).", "last"),
    _i("registry_poor_illness_truly_poor_illness_persons", "persons", "Persons in them.",
       "last"),
    _i("poor_illness_unregistered_households", "households", "Households poor due to "
       "illness (model truth) that are not registered poor.", "last"),
    _i("poor_illness_unregistered_persons", "persons", "Persons in them.", "last"),
    *[_i(f"state_{s}", "persons", f"Persons whose main health state is {s} (one state each; "
         "precedence dead > major > inpatient > outpatient > chronic > healthy).", "last")
      for s in HEALTH_STATES],
    *[_i(f"{d}_{k}", "persons", f"{d.replace('_', ' ').title()}: {k} cases.", "last")
      for d in CHRONIC for k in ("cases", "diagnosed", "managed")],
    _i("insured_persons", "persons", "Living persons enrolled in basic insurance.", "last"),
    _i("deaths", "persons", "Deaths this month."),
    _i("deaths_chronic", "persons", "Deaths this month from a chronic disease's excess "
       "mortality (each death counts under one cause: chronic, major, forgone admission, "
       "background, the first whose course decided it; sim.engine.DEATH_CAUSES)."),
    _i("deaths_major", "persons", "Deaths this month from a major disease."),
    _i("deaths_forgone_admission", "persons", "Deaths this month after a needed admission "
       "was forgone (sim.care)."),
    _i("deaths_background", "persons", "Deaths this month from background causes (the "
       "mortality table, health.mortality_per_1000)."),
    _i("births", "persons", "Births this month."),
    _i("prenatal_screened", "pregnancies", "Pregnancies screened for congenital conditions "
       "before birth (by any screening; sim.birth_screening), counted in the month the "
       "birth was due."),
    _i("prenatal_diagnoses", "pregnancies", "Of which with a condition diagnosed before "
       "birth."),
    _i("pregnancies_ended", "pregnancies", "Of which ended before birth (no birth)."),
    _i("newborn_screened", "persons", "Newborns screened for congenital conditions (by any "
       "screening)."),
    _i("congenital_found_at_birth", "persons", "Congenital conditions found by newborn "
       "screening (diagnosed at the early stage)."),
    _i("households_formed", "households", "Newly formed households of young adults (each "
       "January; sim.formation): taking over ended households, or split off at marriage "
       "(population.marriage_split_per_year)."),
    _i("persons_joined", "persons", "Members of the newly formed households (not births)."),
    _i("persons_left", "persons", "Members who left their household to form a new one "
       "(counted in the group they left; the new households' members are persons_joined, "
       "so persons_joined - persons_left joined from outside the sample)."),
    _i("persons_migrated_out", "persons", "Young adults who left the county (each "
       "January; sim.migration.migrate_out), by the group of the household they left: "
       "for good, or to come back with population.migrant_return_per_year."),
    _i("persons_returned", "persons", "Migrants who came back to the household they left "
       "(each January; sim.migration.come_home), by its group."),
    _i("weddings", "couples", "Men who married (each January; sim.marriage.weddings), by "
       "the group of their household."),
    _i("persons_married_in", "persons", "Brides who moved into their husband's household "
       "(sim.marriage), by its group; from the sample or from outside."),
    _i("persons_married_out", "persons", "Brides of the sample who left their household "
       "to move into their husband's (sim.marriage), by the group they left."),
    _i("persons_moved_in", "persons", "Persons (living or dead) whose household moved into "
       "this group (monitoring; sim.registry)."),
    _i("persons_moved_out", "persons", "Persons (living or dead) whose household moved out "
       "of this group."),
    _i("chronic_onsets", "persons", "New cases of the four managed chronic diseases."),
    _i("major_onsets", "persons", "New cases of major diseases."),
    _i("major_found_early", "persons", "Major-disease cases diagnosed at an early stage."),
    _i("major_found_late", "persons", "Major-disease cases diagnosed at a late stage."),
    _i("major_cured", "persons", "Major-disease courses ending in cure."),
    _i("major_deaths", "persons", "Deaths from major diseases."),
    _i("major_treatment_started", "persons", "Major-disease courses started (an inpatient "
       "episode each; designated-hospital starts after waiting are counted by the "
       "special-treatment measure)."),
    _i("major_in_treatment", "persons", "Major-disease cases in treatment.", "last"),
    _i("major_untreated", "persons", "Major-disease cases not (yet) treated.", "last"),
    _i("major_price_forgone", "persons", "Found major-disease cases not starting treatment "
       "this month for its out-of-pocket price (they ask again next month)."),
    _i("major_deposit_forgone", "persons", "Major-disease treatment starts forgone for want "
       "of a deposit."),
    _i("outpatient_episodes", "episodes", "Outpatient episodes treated."),
    _i("outpatient_forgone", "episodes", "Outpatient episodes without care."),
    _i("admissions", "admissions", "Admissions (acute; major courses excluded)."),
    _i("admissions_forgone", "admissions", "Needed admissions that did not happen."),
    _i("admissions_forgone_deposit", "admissions", "Of which for want of a deposit."),
    _i("admissions_delayed", "admissions", "Admission needs that came back after care was "
       "forgone (included in admissions and admissions_forgone as they turned out)."),
    *[_i(f"outpatient_at_{lv}", "episodes", f"Outpatient episodes treated at {lv} level "
         "(care.outpatient_levels after care.level_shift).") for lv in LEVELS],
    *[_i(f"admissions_at_{lv}", "admissions", f"Admissions (as `admissions`) at {lv} level "
         "(care.inpatient_levels after care.level_shift).") for lv in LEVELS],
    _i("bills_yuan", "yuan", "All medical bills."),
    _i("basic_yuan", "yuan", "Paid by basic medical insurance."),
    _i("critical_illness_yuan", "yuan", "Paid by critical illness insurance."),
    _i("assistance_yuan", "yuan", "Paid by medical assistance."),
    _i("supplemental_yuan", "yuan", "Paid by supplemental insurance."),
    _i("oop_yuan", "yuan", "Out of pocket: left after every layer of the chain, counted in "
       "the month of the bill."),
    _i("inpatient_bills_yuan", "yuan", "Of bills_yuan, the hospital bills: acute admissions "
       "and major-disease courses treated as admissions (not outpatient special-disease "
       "care)."),
    _i("inpatient_oop_yuan", "yuan", "Out of pocket of those hospital bills (as oop_yuan)."),
    _i("advanced_yuan", "yuan", "Reimbursement households advanced where one-stop "
       "settlement does not apply (paid back after the delay; not spending)."),
    _i("borrowed_yuan", "yuan", "Of the advances, borrowed beyond the cash at hand."),
    _i("distress_financing_yuan", "yuan", "Out of pocket beyond the month's income and the "
       "cash at hand: gifts and loans from relatives, assets sold, consumption cut "
       "(sim.liquidity; not debt, not spending beyond the out of pocket itself)."),
    _i("distress_financing_households", "households", "Households that needed it this "
       "month."),
    _i("repaid_yuan", "yuan", "Late reimbursements arriving (against debt first, then into "
       "cash)."),
    _i("debt_yuan", "yuan", "Debt for advances still open at the end of the month.",
       "last"),
    _i("debt_households", "households", "Households with such debt.", "last"),
    _i("debt_written_off_yuan", "yuan", "Debt of households that ended (their last member "
       "died), written off: no one is left to pay it (sim.liquidity)."),
    _i("cash_yuan", "yuan", "Cash at hand at the end of the month (what deposits are paid "
       "from).", "last"),
    _i("debt_interest_yuan", "yuan", "Interest on that debt (reported on its own; not in "
       "out of pocket or income)."),
    _i("income_yuan", "yuan", "Household income after illness-caused loss."),
    _i("transfers_yuan", "yuan", "Cash transfers of the target groups paid per member "
       "(minimum guarantee, support of the extremely poor, the other groups' transfers; "
       "civil affairs): part of income. A measure that moves households into another group "
       "changes them."),
    _i("income_loss_yuan", "yuan", "Earnings lost to illness."),
)

#: Financial hardship over a calendar year: (name, meaning).
HARDSHIP_CLASSES = (
    ("oop", "Households with any out-of-pocket spending."),
    ("sdg_10", "Out of pocket above 10% of the budget (SDG 3.8.2, original)."),
    ("sdg_25", "Above 25% of the budget."),
    ("who_hardship", "Above 40% of the discretionary budget (budget minus the societal "
     "poverty line), or any when none is left (SDG 3.8.2, WHO 2025)."),
    ("who_further_impoverished", "Spending with nothing left above the societal poverty "
     "line."),
    ("who_impoverished", "Spending above the whole discretionary budget."),
    *[(f"we_{c}", f"Wagstaff-Eozenou class: {c.replace('_', '-')}.")
      for c in ("immiserizing", "impoverishing", "catastrophic", "non_catastrophic", "none")],
)

#: Counts made once a year from household flags and yearly totals.
ANNUAL_INDICATORS: tuple[Indicator, ...] = (
    _i("households_start", "households", "Households at the start of the year.", "last"),
    _i("persons_start", "persons", "Persons at the start of the year.", "last"),
    _i("formerly_poor_households_start", "households", "Formerly-poor households at the "
       "start of the year.", "last"),
    _i("other_households_start", "households", "Households neither formerly poor nor "
       "registered poor, start of year.",
       "last"),
    _i("ever_poor_households", "households", "Poor in at least one month of the year."),
    _i("ever_poor_persons", "persons", "Persons in them."),
    _i("poor_illness_year_households", "households", "Poor in some month, and in no month "
       "without illness costs and loss (poor due to illness that year)."),
    _i("poor_illness_year_persons", "persons", "Persons in them."),
    _i("returned_households", "households", "Return to poverty (返贫): formerly-poor "
       "households not poor in the previous December and poor in some month of the year."),
    _i("returned_persons", "persons", "Persons in them."),
    _i("returned_illness_households", "households", "Return to poverty due to illness "
       "(因病返贫): ... and due to illness that year."),
    _i("returned_illness_persons", "persons", "Persons in them."),
    _i("new_poor_illness_households", "households", "New poverty due to illness (因病致贫): "
       "other households, not poor in the previous December, poor due to illness that "
       "year."),
    _i("new_poor_illness_persons", "persons", "Persons in them."),
    _i("societal_poverty_line_yuan", "yuan per person-year", "Societal poverty line of the "
       "year, from the simulated consumption (WHO 2025 hardship).", "last",
       by_group=False),
    _i("admitted_persons", "persons", "Persons living at the end of the year who were "
       "admitted at least once in it (an acute admission or a major-disease course)."),
    _i("admission_concentration_index", "index (-1 to 1)", "Concentration index of "
       "admitted_persons among the persons living at the end of the year, ranked by their "
       "household's income per person (negative: the poorer are admitted more; the CFPS "
       "measure of rural China, Int J Equity Health 2023;22:90).", "last", by_group=False),
    _i("elderly_persons", "persons", "Persons aged 60 or more living at the end of the "
       "year."),
    _i("elderly_alone_persons", "persons", "Of them, those whose household has no member "
       "under 60 (living alone or only with a spouse or other older people)."),
    *[ind for name, doc in HARDSHIP_CLASSES for ind in (
        _i(f"{name}_households", "households", doc),
        _i(f"{name}_persons", "persons", "Persons in them."))],
)

#: Rates added to the annual frame: (name, numerator, denominator, meaning).
RATES = (
    ("return_rate", "returned_households", "formerly_poor_households_start",
     "Return to poverty, per formerly-poor household-year."),
    ("return_illness_rate", "returned_illness_households",
     "formerly_poor_households_start", "Return to poverty due to illness, per formerly-poor "
     "household-year."),
    ("new_poor_illness_rate", "new_poor_illness_households", "other_households_start",
     "New poverty due to illness, per other household-year."),
    ("ever_poor_rate", "ever_poor_households", "households_start", "Poor in some month, per "
     "household."),
    ("elderly_alone_share", "elderly_alone_persons", "elderly_persons", "Share of persons "
     "aged 60 or more who live without anyone younger, at the end of the year (45% of "
     "China's 60+ lived alone or only with a spouse in 2011: Lei et al., China Economic "
     "Journal 2015;8(3):191-214)."),
    # every hardship class in households and in persons (DESIGN: "Every hardship rate is
    # reported in households and in persons")
    *[(f"{name}_rate{suffix}", f"{name}_{unit}", f"{unit}_start", f"{doc} Share of "
       f"{unit} a year.") for name, doc in HARDSHIP_CLASSES
      for unit, suffix in (("households", ""), ("persons", "_persons"))],
)


#: Household counts of each month: (households indicator, persons indicator or None, flags
#: every counted household has, flags none has); flags as in ``_household_flags``.
FP, POOR, ILL, ENTERED, ENTERED_ILL, REG, REG_ILL, MON = range(8)
HOUSEHOLD_COUNTS = (
    ("households", "persons", (), ()),
    ("formerly_poor_households", "formerly_poor_persons", (FP,), ()),
    ("poor_households", "poor_persons", (POOR,), ()),
    ("poor_illness_households", "poor_illness_persons", (ILL,), ()),
    ("formerly_poor_poor_households", "formerly_poor_poor_persons", (FP, POOR), ()),
    ("formerly_poor_poor_illness_households", "formerly_poor_poor_illness_persons", (FP, ILL), ()),
    ("entered_poverty_households", "entered_poverty_persons", (ENTERED,), ()),
    ("entered_poverty_illness_households", "entered_poverty_illness_persons",
     (ENTERED_ILL,), ()),
    ("formerly_poor_entered_households", "formerly_poor_entered_persons", (FP, ENTERED), ()),
    ("formerly_poor_entered_illness_households", "formerly_poor_entered_illness_persons",
     (FP, ENTERED_ILL), ()),
    *[(f"{name}_households", f"{name}_persons", need, without) for name, need, without in (
        ("registry_poor", (REG,), ()), ("registry_poor_illness", (REG_ILL,), ()),
        ("registry_monitored", (MON,), ()),
        ("registry_poor_illness_truly_poor", (REG_ILL, POOR), ()),
        ("registry_poor_illness_truly_poor_illness", (REG_ILL, ILL), ()),
        ("poor_illness_unregistered", (ILL,), (REG,)))],
)


def _select(queries, n_bits: int) -> np.ndarray:
    """0/1 matrix (query, histogram row) of the rows with all ``need`` and no ``without`` bits.

    In float64, for products with histograms converted to float64: those run in BLAS (an
    integer matrix product is a plain loop, three times slower for the chronic counts),
    and are exact, every partial sum being a whole number of persons far below 2**53.
    """
    rows = np.arange(1 << n_bits)
    out = np.ones((len(queries), len(rows)), np.int64)
    for q, (need, without) in enumerate(queries):
        for b in need:
            out[q] *= (rows >> b) & 1
        for b in without:
            out[q] *= 1 - ((rows >> b) & 1)
    return out.astype(np.float64)


#: Rows of the monthly household histogram (256 flag combinations) in each count.
HOUSEHOLD_SELECT = _select([(need, without) for *_, need, without in HOUSEHOLD_COUNTS], 8)
#: The chronic counts of each month, and the rows of the (present, diagnosed, managed)
#: histogram (4096 rows: 4 bits each) that each counts, as columns.
CHRONIC_COUNTS = tuple(f"{d}_{k}" for k in ("cases", "diagnosed", "managed") for d in CHRONIC)
CHRONIC_SELECT = _select([((shift + d,), ()) for shift in (0, 4, 8)
                          for d in range(len(CHRONIC))], 12).T


def _household_flags(H, status) -> np.ndarray:
    """Each household's flags of ``HOUSEHOLD_COUNTS`` (bit FP, POOR, ...) in one byte.

    ``status`` is the month's poverty status. The boolean columns are read as bytes of
    0 or 1 and scaled by their bit: numpy multiplies bytes in vector instructions but
    shifts them one at a time (about 8x slower).
    """
    flags = np.zeros(H.n, np.uint8)
    bit_value = np.empty(H.n, np.uint8)
    for bit, flag in enumerate((H.formerly_poor, status.poor, status.poor_illness,
                                status.entered, status.entered_illness, H.registered,
                                H.registered & H.cause_illness, H.monitored)):
        np.multiply(flag.view(np.uint8), np.uint8(1 << bit), out=bit_value)
        flags |= bit_value
    return flags


def _household_histogram(H, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Living households and their members by (flags, group): two int (256, groups) arrays.

    One count over a key of (flags, group, size): the members are the sizes times the
    counts, and households with no members left have size 0 and drop out, so neither a
    selection of the living households nor a second count weighted by size is needed.
    The key is built in the narrowest integer type that holds it (less memory to write;
    flags, groups and sizes are never negative, so their bytes are read as unsigned).
    """
    n_groups, n_sizes = len(GROUPS), int(H.size.max(initial=0)) + 1
    n_keys = 256 * n_groups * n_sizes
    key = flags.astype(np.min_scalar_type(n_keys - 1))
    key *= n_groups
    key += H.group.view(np.uint8)
    key *= n_sizes
    key += H.size.view(np.uint16)
    hist = np.bincount(key, minlength=n_keys).reshape(256, n_groups, n_sizes)
    return hist[:, :, 1:].sum(axis=2), hist @ np.arange(n_sizes)


def _chronic_histogram(model) -> np.ndarray:
    """The living chronically ill by (group, present, diagnosed, managed): (groups, 4096).

    Every chronic count of the month is a sum over its rows (``CHRONIC_SELECT``). Those
    who died this month are put in row 0 (no disease, none diagnosed or managed), which
    no count reads, instead of being selected out. The key is built in 16 bits: 3 for
    the group, 4 for each disease flag set.
    """
    P = model.pop.persons
    ill = model.chronic_ill
    key = np.multiply(P.managed[ill], 1 << 8, dtype=np.uint16)
    key += np.multiply(P.diagnosed[ill], 1 << 4, dtype=np.uint16)
    key += P.chronic[ill]
    key *= P.alive[ill]  # the month's dead to row 0
    key += np.multiply(model.pgroup[ill].view(np.uint8), 1 << 12, dtype=np.uint16)
    return np.bincount(key, minlength=len(GROUPS) << 12).reshape(len(GROUPS), 4096)


#: The window's risk sets and outcomes: the recorder's key -> the name in ``window``.
WINDOW_KEYS = {"formerly_poor": "formerly_poor_households", "other": "other_households",
               "returned": "returned", "returned_illness": "returned_illness",
               "new_poor_illness": "new_poor_illness"}
#: Households are dealt to this many clusters by slot index (slot modulo the number: a
#: systematic sample of the households, each cluster alike), and the window's counts are
#: kept by cluster too: the units of a within-run interval (``models.effects``), which
#: treats clusters as independent draws of the run's households.
WINDOW_CLUSTERS = 100


#: The groups of the registered poor (建档立卡) of the years before 2021, whose medical
#: costs the health poverty alleviation figures report; marginal households came later.
POOR_GROUPS = ("extremely_poor", "minimum_guarantee", "formerly_poor")


def _elderly_alone(model, group: np.ndarray) -> dict[str, np.ndarray]:
    """Living persons aged 60+, and those of them with no member under 60, by ``group``.

    ``group`` is each household's group index.
    """
    P = model.pop.persons
    living = np.flatnonzero(P.alive & P.born)
    hh, old = P.hh[living], P.age[living] >= 60
    has_younger = np.bincount(hh[~old], minlength=len(group)) > 0
    g = group[hh[old]]
    return {"elderly_persons": np.bincount(g, minlength=len(GROUPS)),
            "elderly_alone_persons": np.bincount(g, weights=~has_younger[hh[old]],
                                                 minlength=len(GROUPS))}


def concentration_index(use: np.ndarray, income: np.ndarray,
                        unit: np.ndarray | None = None) -> float:
    """Concentration index of ``use`` (per person) by ``income`` (per person, any unit).

    ``2 cov(use, r) / mean(use)``, ``r`` the fractional rank of income (ties, e.g. the
    members of one household, share their mean rank): 0 when use does not follow income,
    negative when the poorer use more (O'Donnell et al., Analyzing Health Equity Using
    Household Survey Data, World Bank 2008, ch. 8). NaN when no one uses.

    With ``unit`` (each person's household), ``income`` is per household: the same ranks
    as the persons' incomes ``income[unit]``, from sorting the households only.
    """
    use = np.asarray(use, np.float64)
    if len(use) == 0 or use.mean() == 0:
        return float("nan")
    if unit is None:
        ranks = _mean_ranks(np.asarray(income))
    else:
        ranks = _mean_ranks(np.asarray(income), np.bincount(unit, minlength=len(income)))[unit]
    rank = (ranks - 0.5) / len(use)
    return float(2.0 * np.mean((use - use.mean()) * (rank - rank.mean())) / use.mean())


def _mean_ranks(values: np.ndarray, repeats: np.ndarray | None = None) -> np.ndarray:
    """Ranks 1..n of ``values``, ties sharing their mean rank.

    ``repeats[i]`` (default 1) is how many equal items value ``i`` stands for: the ranks
    are those of the expanded list, one per value. With numpy only: importing scipy.stats
    would cost every run's process about 0.7 s and 50 MB. Equal values share one rank
    (their repeats are summed in any order), so the sort need not be stable: numpy's
    default sort is several times quicker (200,000 incomes: 3.5 ms against 16 ms).
    """
    order = np.argsort(values)
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    if repeats is None:  # item i of the sorted list holds rank i + 1
        first = starts
        last = np.r_[starts[1:], len(values)]
    else:  # the sorted items' first positions in the expanded list
        position = np.r_[0, np.cumsum(repeats[order])]
        first = position[starts]
        last = position[np.r_[starts[1:], len(values)]]
    mean_rank = (first + last + 1) / 2.0  # ranks first+1 .. last, their mean
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, np.diff(np.r_[starts, len(values)]))
    return ranks


def cluster_of(households: np.ndarray) -> np.ndarray:
    """The cluster of each household slot (``WINDOW_CLUSTERS``)."""
    return np.asarray(households, np.int64) % WINDOW_CLUSTERS


#: the zeros of an area-level value in the groups after the first (``Recorder._store``)
_OTHER_GROUPS = (0.0,) * (len(GROUPS) - 1)


class Recorder:
    """Pre-allocated arrays for the reported months and years of one run."""

    def __init__(self, timeline, measure_indicators=()):
        self.timeline = timeline
        self.indicators = list(ENGINE_INDICATORS)
        for group in measure_indicators:
            self.indicators += list(group)
        self.col = {ind.name: i for i, ind in enumerate(self.indicators)}
        self.data = np.zeros((timeline.n_reported, len(GROUPS), len(self.indicators)))
        self.years = timeline.reported_years()
        self.annual = np.zeros((len(self.years), len(GROUPS), len(ANNUAL_INDICATORS)))
        self.annual_col = {ind.name: i for i, ind in enumerate(ANNUAL_INDICATORS)}
        self.window: dict[str, np.ndarray] = {}
        self._year_start: dict | None = None
        self._year_group: np.ndarray | None = None  # households' groups at the year's start
        self._year_fp: np.ndarray | None = None  # formerly poor at the year's start
        self._year_other: np.ndarray | None = None  # neither registered nor formerly poor
        #: the window's flows, per household slot (see start_window), and the counts by
        #: group of the households whose slots new households have taken since
        self._win: dict[str, np.ndarray] | None = None
        self._win_group: np.ndarray | None = None
        self._win_done: dict[str, np.ndarray] = {}
        #: the same window counts by household cluster (``WINDOW_CLUSTERS``)
        self.window_clusters: dict[str, np.ndarray] = {}
        self._win_done_cluster: dict[str, np.ndarray] = {}
        #: persons admitted since the start of the reported year (None before it)
        self._admitted: np.ndarray | None = None

    def admitted(self, persons: np.ndarray) -> None:
        """These persons were admitted this month (acute admission or a course's month)."""
        if self._admitted is not None:
            self._admitted[persons] = True

    def born(self, persons: np.ndarray) -> None:
        """Newborns take these person slots: the slots' earlier admissions are not theirs."""
        if self._admitted is not None:
            self._admitted[persons] = False

    def _store(self, row: int, values: dict) -> None:
        """Add a month's values to its row, in one indexed addition.

        ``values`` maps indicator names to one value per group, or one for the area: an
        area-level value is kept in the first group's cell (reported in "all" only).
        """
        undeclared = [name for name in values if name not in self.col]
        if undeclared:
            raise KeyError(f"indicator {undeclared[0]!r} is recorded but not declared")
        # one conversion of every value: an area's as a row of it and zeros (np.ndim, a
        # function call a value, took as long as the rest)
        block = np.array([value if getattr(value, "ndim", 0) else (value, *_OTHER_GROUPS)
                          for value in values.values()], np.float64)
        cols = [self.col[name] for name in values]  # distinct: names are dict keys
        self.data[row][:, cols] += block.T

    def record_month(self, model, m: int) -> None:
        """Store the month's stocks and the flows accumulated in ``model.month_counts``."""
        row = m - self.timeline.warmup
        H = model.pop.households
        # one histogram of living households by (flags, group) gives every household
        # count below (see _household_histogram)
        n_hh, n_p = _household_histogram(H, _household_flags(H, model.status))
        out: dict = {}
        put = out.__setitem__  # every name below is put once
        # every household and person count is a sum over rows of the histograms: one
        # matrix product (in float64, exact: see _select)
        households, persons = np.split(
            HOUSEHOLD_SELECT @ np.concatenate([n_hh, n_p], axis=1, dtype=np.float64), 2,
            axis=1)
        for q, (hh_name, p_name, _, _) in enumerate(HOUSEHOLD_COUNTS):
            put(hh_name, households[q])
            if p_name:
                put(p_name, persons[q])

        n_states, n_groups = len(HEALTH_STATES), len(GROUPS)
        code = health_state_codes(model)
        sick = np.flatnonzero(code != 0)  # healthy is code 0: count the others, derive it
        counts = np.bincount(model.pgroup[sick] * n_states + code[sick],
                             minlength=n_groups * n_states).reshape(n_groups, n_states)
        dead = HEALTH_STATES.index("dead")
        counts[:, 0] = persons[0] - counts[:, 1:dead].sum(axis=1)  # living by group
        counts[:, dead] += model.dead_replaced.astype(counts.dtype)
        for s, name in enumerate(HEALTH_STATES):
            put(f"state_{name}", counts[:, s])
        hist = _chronic_histogram(model)
        for q, column in enumerate((hist.astype(np.float64) @ CHRONIC_SELECT).T):
            put(CHRONIC_COUNTS[q], column)
        put("insured_persons", model.enrolment.n_insured.copy())
        for name, value in model.month_counts.items():
            out[name] = out[name] + value if name in out else value
        self._store(row, out)

    def start_year(self, model) -> None:
        """Remember the denominators, and each household's group, at the start of a year.

        A household's year outcomes count in the group it had then, so a household that
        monitoring moves into another group during the year stays in its denominator's row.
        """
        H = model.pop.households
        alive = H.size > 0
        self._year_group = H.group.copy()
        # the flows' numerators count among the denominators' households: formerly poor
        # (or neither registered nor formerly poor) at the start of the year
        self._year_fp = H.formerly_poor.copy()
        self._year_other = ~H.formerly_poor & ~H.registered
        self._admitted = np.zeros(model.pop.persons.n, bool)
        if self._win is not None:  # households join the window's risk sets at a year's start
            for key, status in (("formerly_poor", self._year_fp), ("other", self._year_other)):
                joining = alive & status & ~self._win[key]
                self._win_group[joining] = H.group[joining]
                self._win[key] |= joining
        self._year_start = {
            "households_start": np.bincount(H.group[alive], minlength=len(GROUPS)),
            "persons_start": np.bincount(H.group[alive], weights=H.size[alive],
                                         minlength=len(GROUPS)),
            "formerly_poor_households_start": np.bincount(H.group[alive & H.formerly_poor],
                                                          minlength=len(GROUPS)),
            "other_households_start": np.bincount(
                H.group[alive & ~H.formerly_poor & ~H.registered], minlength=len(GROUPS)),
        }

    def record_year(self, model, m: int, hardship_fn) -> None:
        """Yearly household counts: ever poor, returns, hardship (calendar-year totals)."""
        H, acc = model.pop.households, model.accounts
        year = self.timeline.year(m)
        row = self.years.index(year)
        g = self._year_group if self._year_group is not None else H.group
        size = H.size.astype(float)
        out = dict(self._year_start or {})

        def count(name, mask, persons=None):
            idx = np.flatnonzero(mask)
            out[name] = np.bincount(g[idx], minlength=len(GROUPS))
            if persons:
                out[persons] = np.bincount(g[idx], weights=size[idx], minlength=len(GROUPS))

        outcome = acc.year_outcomes()
        count("ever_poor_households", outcome["ever_poor"], "ever_poor_persons")
        count("poor_illness_year_households", outcome["ever_poor_illness"],
              "poor_illness_year_persons")
        fp, other = self._year_fp, self._year_other
        if fp is None:  # recorded without a start of year: today's statuses
            fp, other = H.formerly_poor, ~H.formerly_poor & ~H.registered
        count("returned_households", outcome["poor"] & fp, "returned_persons")
        count("returned_illness_households", outcome["poor_illness"] & fp,
              "returned_illness_persons")
        count("new_poor_illness_households", outcome["poor_illness"] & other,
              "new_poor_illness_persons")
        if self._win is not None:
            self._win["returned"] |= outcome["poor"] & fp
            self._win["returned_illness"] |= outcome["poor_illness"] & fp
            self._win["new_poor_illness"] |= outcome["poor_illness"] & other
        hp = model.params["hardship"]
        # per-capita budgets divide by the year's person-years (DESIGN.md); households
        # with no members left at the end are not counted
        persons = np.where(H.size > 0, acc.year_person_years(), 0.0)
        share = model.params["income"]["consumption_share"]
        total = household_budget(acc.year_income, share, hp["budget"])
        # WHO 2025: the societal line and the discretionary budget from consumption,
        # whatever the budget of the original definition (DESIGN.md)
        consumption = household_budget(acc.year_income, share, "consumption")
        spl = societal_poverty_line(consumption, persons, hp, year)
        flags = hardship_fn(acc.year_income, acc.year_oop, persons, model.poverty_line(m),
                            spl, total, consumption)
        out["societal_poverty_line_yuan"] = np.full(len(GROUPS), spl)
        if self._admitted is not None:
            P = model.pop.persons
            living = np.flatnonzero(P.alive)
            admitted = self._admitted[living]
            out["admitted_persons"] = np.bincount(g[P.hh[living[admitted]]],
                                                  minlength=len(GROUPS))
            out["admission_concentration_index"] = np.full(len(GROUPS), concentration_index(
                admitted, household_income_pp(model), P.hh[living]))
        out.update(_elderly_alone(model, g))
        count("oop_households", (acc.year_oop > 0) & (H.size > 0), "oop_persons")
        for name, mask in flags.items():
            count(f"{name}_households", mask, f"{name}_persons")
        for name, value in out.items():
            self.annual[row, :, self.annual_col[name]] = value

    def finish(self, model) -> None:
        """Window-level counts for cumulative rates over the reported period.

        A household is at risk of returning when it is formerly poor at the start of a
        reported year (at the window's start, or after an exit during the window), and has
        returned when it was poor in a year it started formerly poor and not poor the
        December before (the annual flows' rule); the same for new poverty due to illness
        among households neither registered nor formerly poor. Each household counts once,
        in its group when it joined the risk set.
        """
        if self._win is None:
            return
        totals = {k: v + np.bincount(self._win_group[self._win[k]], minlength=len(GROUPS))
                  for k, v in self._win_done.items()}
        self.window_clusters = {
            WINDOW_KEYS[k]: v + np.bincount(cluster_of(np.flatnonzero(self._win[k])),
                                            minlength=WINDOW_CLUSTERS)
            for k, v in self._win_done_cluster.items()}
        self.window = {WINDOW_KEYS[k]: v for k, v in totals.items()}

    def formed(self, households: np.ndarray) -> None:
        """New households take these slots: the ended households' window outcomes are kept."""
        if self._win is None or len(households) == 0:
            return
        g = self._win_group[households]
        for key, flags in self._win.items():
            hit = flags[households]
            self._win_done[key] += np.bincount(g[hit], minlength=len(GROUPS))
            self._win_done_cluster[key] += np.bincount(cluster_of(households[hit]),
                                                       minlength=WINDOW_CLUSTERS)
            flags[households] = False

    def start_window(self, model) -> None:
        """Start the window's flows; households join its risk sets at each year's start."""
        n = model.pop.households.n
        keys = tuple(WINDOW_KEYS)
        self._win = {k: np.zeros(n, bool) for k in keys}
        self._win_group = model.pop.households.group.copy()
        self._win_done = {k: np.zeros(len(GROUPS), np.int64) for k in keys}
        self._win_done_cluster = {k: np.zeros(WINDOW_CLUSTERS, np.int64) for k in keys}

    def results(self, model, elapsed: float, monthly_only: bool = False) -> Results:
        """Assemble the frames of this run (only the monthly one with ``monthly_only``)."""
        self.finish(model)
        return Results.from_run(self, model, elapsed, monthly_only)


def health_state_codes(model) -> np.ndarray:
    """One health state per person this month (int8), by precedence (see HEALTH_STATES).

    The codes of HEALTH_STATES rise with their precedence, so a person's state is the
    highest code that applies. The chronic states and the month's episodes are written at
    their persons, each over the earlier ones; the major-disease cases and the dead are
    coded over all persons by arithmetic (0 where a state does not apply) and put in by
    ``np.maximum``. Whole-array arithmetic on bytes is several times quicker than writing
    through a mask (``np.copyto`` with ``where``, or indexing by the mask, which would
    first find the persons).
    """
    P = model.pop.persons
    code = np.zeros(P.n, np.int8)
    ill = model.chronic_ill
    chronic = P.chronic[ill]
    unmanaged = (P.managed[ill] & chronic) != chronic  # False for the cured (chronic 0)
    # 1 managed, 2 not, and 0 (healthy) for those cured this month
    ill_code = (chronic != 0).view(np.int8)
    ill_code += unmanaged.view(np.int8)
    code[ill] = ill_code  # int8 into int8: no conversion on the way
    episodes = model.month_persons
    code[episodes["outpatient"]] = 3
    code[episodes["inpatient"]] = 4
    # 5 early, 6 late, 0 without a major disease; then the dead (born, not alive) over them
    major = (P.major != NO_MAJOR).view(np.int8)
    major *= np.int8(5) + P.major_late.view(np.int8)
    dead = np.greater(P.born, P.alive).view(np.int8)
    dead *= np.int8(HEALTH_STATES.index("dead"))
    np.maximum(major, dead, out=major)
    return np.maximum(code, major, out=code)


class Results:
    """Tidy frames of one run or of several replications (column ``rep``)."""

    def __init__(self, monthly: pd.DataFrame, annual: pd.DataFrame, summary: pd.DataFrame,
                 meta: dict, events: pd.DataFrame | None = None,
                 summary_by_rep: pd.DataFrame | None = None,
                 clusters: pd.DataFrame | None = None):
        self.monthly = monthly
        self.annual = annual
        self.summary = summary
        self.meta = meta
        self.events = events if events is not None else pd.DataFrame()
        #: the summary of each replication (column ``rep``), for paired comparisons
        self.summary_by_rep = (summary_by_rep if summary_by_rep is not None
                               else summary.assign(rep=0))
        #: the window's risk sets and outcomes by household cluster (column ``rep`` too):
        #: ``cluster`` and the counts of ``WINDOW_KEYS`` (households, not scaled)
        self.clusters = clusters if clusters is not None else pd.DataFrame()

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_run(cls, rec: Recorder, model, elapsed: float,
                 monthly_only: bool = False) -> Results:
        """Frames of one run.

        ``monthly_only`` leaves the annual, summary and events frames empty: for callers
        that read monthly values only (a calibration's simulations), which then skip the
        yearly aggregation and the summary, most of the time spent here.
        """
        tl = rec.timeline
        names = [i.name for i in rec.indicators]
        months = [month_label(tl.start + r) for r in range(tl.n_reported)]
        groups = [*GROUPS, "all"]
        # (month, group, indicator): the groups, then their sum; area-level indicators
        # are recorded once and belong to "all" only
        cube = np.concatenate([rec.data, rec.data.sum(axis=1, keepdims=True)], axis=1)
        area = [k for k, ind in enumerate(rec.indicators) if not ind.by_group]
        cube[:, :-1, area] = np.nan
        n_m, n_g = len(months), len(groups)
        index = pd.DataFrame({
            "month": np.repeat(months, n_g),
            "year": np.repeat([int(mo[:4]) for mo in months], n_g),
            "group": np.tile(groups, n_m),
        })
        values = pd.DataFrame(cube.reshape(n_m * n_g, len(names)), columns=names)
        monthly = pd.concat([index, values], axis=1)

        n_hh = model.pop.sample_households
        meta = {
            "scenario": model.scenario.name, "seed": model.seed, "households": n_hh,
            "persons": model.pop.persons.n, "months": tl.n_months,
            "start": month_label(tl.start), "end": month_label(tl.end),
            "scale": model.params["population"]["represents_households"] / n_hh,
            "runtime_s": elapsed,
            "household_months_per_s": n_hh * tl.n_months / max(elapsed, 1e-9),
            "reps": 1,
        }
        if monthly_only:
            return cls(monthly, pd.DataFrame(), pd.DataFrame(), meta)
        annual = _annual_frame(rec, cube, np.array([int(mo[:4]) for mo in months]))
        window = {k: v.sum() for k, v in rec.window.items()}
        summary = summarise(annual, monthly, window, meta,
                            [ind for ind in rec.indicators
                             if ind.name.endswith(("_cost_yuan", "_topup_yuan"))])
        events = pd.DataFrame(model.events)
        clusters = pd.DataFrame({"rep": 0, "cluster": np.arange(WINDOW_CLUSTERS),
                                 **rec.window_clusters}) if rec.window_clusters else None
        return cls(monthly, annual, summary, meta, events, clusters=clusters)

    @classmethod
    def combine(cls, runs: list[Results]) -> Results:
        """Stack replications (column ``rep``) and summarise them with named intervals.

        The summary has the same columns for any number of replications:
        ``indicator, value, unit, ci_lo, ci_hi, range_lo, range_hi`` (value: mean; ci: 95%
        t-interval of the mean; range: 2.5-97.5% across replications; NaN with one
        replication, see :mod:`sim.intervals`).
        """
        from sim.intervals import interval_table

        monthly = pd.concat([r.monthly.drop(columns="rep", errors="ignore").assign(rep=i)
                             for i, r in enumerate(runs)], ignore_index=True)
        annual = pd.concat([r.annual.drop(columns="rep", errors="ignore").assign(rep=i)
                            for i, r in enumerate(runs)], ignore_index=True).copy()
        stacked = pd.concat([r.summary[["indicator", "value", "unit"]].assign(rep=i)
                             for i, r in enumerate(runs)], ignore_index=True)
        table = interval_table(stacked, ["indicator", "unit"], "value").reset_index()
        summary = table[["indicator", "value", "unit", "ci_lo", "ci_hi", "range_lo",
                         "range_hi"]]
        meta = dict(runs[0].meta)
        meta["reps"] = len(runs)
        meta["seeds"] = [r.meta["seed"] for r in runs]
        meta["runtime_s"] = sum(r.meta["runtime_s"] for r in runs)
        events = pd.concat([r.events.drop(columns="rep", errors="ignore").assign(rep=i)
                            for i, r in enumerate(runs)], ignore_index=True)
        clusters = pd.concat([r.clusters.assign(rep=i) for i, r in enumerate(runs)],
                             ignore_index=True)
        return cls(monthly, annual, summary, meta, events, stacked, clusters)

    # ---- access ------------------------------------------------------------------------
    def value(self, indicator: str) -> float:
        """A summary value by indicator name."""
        row = self.summary.loc[self.summary["indicator"] == indicator, "value"]
        if row.empty:
            raise KeyError(f"no summary indicator {indicator!r}")
        return float(row.iloc[0])

    def series(self, indicator: str, group: str = "all") -> pd.Series:
        """A monthly series (mean over replications), indexed by month."""
        df = self.monthly[self.monthly["group"] == group]
        return df.groupby("month")[indicator].mean()

    def __repr__(self) -> str:
        m = self.meta
        return (f"<Results {m['scenario']}: {m['households']} households, {m['start']} to "
                f"{m['end']}, {m['reps']} rep(s)>")


    # ---- writing and plotting ----------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """The four output tables with their fixed columns (see :mod:`sim.outputs`).

        The same columns for one replication or many (``rep`` is 0 for a single run; a
        summary of one run has NaN intervals) and with or without events.
        """
        from sim.outputs import EVENT_COLUMNS, SUMMARY_COLUMNS

        def with_rep(frame: pd.DataFrame, lead: list[str]) -> pd.DataFrame:
            frame = frame if "rep" in frame else frame.assign(rep=0)
            rest = [c for c in frame.columns if c not in lead and c != "rep"]
            return frame[[*lead, *rest, "rep"]]

        summary = self.summary.reindex(columns=list(SUMMARY_COLUMNS))
        events = self.events if "rep" in self.events else self.events.assign(rep=0)
        extra = [c for c in events.columns if c not in EVENT_COLUMNS]
        fixed = events.reindex(columns=list(EVENT_COLUMNS))
        if extra:
            fixed["detail"] = [
                "; ".join(f"{k}={v}" for k, v in row.items() if v == v and v is not None)
                or np.nan for row in events[extra].to_dict("records")]
        return {"summary": summary,
                "monthly": with_rep(self.monthly, ["month", "year", "group"]),
                "annual": with_rep(self.annual, ["year", "group"]),
                "events": fixed}

    def to_csv(self, folder) -> list:
        """Write summary.csv, monthly.csv, annual.csv and events.csv into ``folder``.

        Returns the paths. The columns are fixed (README, "Outputs"); the folder is
        created if needed.
        """
        from pathlib import Path

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in self.tables().items():
            path = folder / f"{name}.csv"
            frame.to_csv(path, index=False)
            paths.append(path)
        return paths

    def plot(self, which: str | None = None):
        """The figures of :mod:`sim.plots`: a dict name -> Figure, or one Figure by name.

        ``which`` is ``"states"``, ``"returns"`` or ``"spending"``; in a notebook the
        figures show themselves.
        """
        from sim.plots import FIGURES

        if which is not None:
            if which not in FIGURES:
                raise ValueError(f"which={which!r}: allowed: {', '.join(FIGURES)}")
            return FIGURES[which](self)
        return {name: fn(self) for name, fn in FIGURES.items()}


def _annual_frame(rec: Recorder, cube: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    """Calendar-year rows by group from the monthly cube (month, group and all, indicator).

    Each indicator is aggregated over the year's months as it declares (sum, last, mean
    or max); values missing in a group (area-level indicators) sum to 0 and are missing
    otherwise, as pandas' group aggregations give them.
    """
    groups = [*GROUPS, "all"]
    aggs = np.array([i.agg for i in rec.indicators])
    rows, labels = [], []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns stay missing
        for year in pd.unique(years):
            block = cube[years == year]  # (months of the year, group, indicator)
            out = np.empty(block.shape[1:])
            out[:, aggs == "sum"] = np.nansum(block[:, :, aggs == "sum"], axis=0)
            out[:, aggs == "last"] = block[-1][:, aggs == "last"]
            out[:, aggs == "mean"] = np.nanmean(block[:, :, aggs == "mean"], axis=0)
            out[:, aggs == "max"] = np.nanmax(block[:, :, aggs == "max"], axis=0)
            rows.append(out)
            labels += [(int(year), g) for g in groups]
    annual = pd.concat([pd.DataFrame(labels, columns=["year", "group"]),
                        pd.DataFrame(np.concatenate(rows),
                                     columns=[i.name for i in rec.indicators])], axis=1)
    extra = []
    for yi, year in enumerate(rec.years):
        for gi, group in enumerate([*GROUPS, "all"]):
            vals = rec.annual[yi].sum(axis=0) if group == "all" else rec.annual[yi, gi]
            row = {ind.name: vals[k] for k, ind in enumerate(ANNUAL_INDICATORS)}
            for k, ind in enumerate(ANNUAL_INDICATORS):
                if not ind.by_group:  # area-level: one value, in the "all" row
                    row[ind.name] = rec.annual[yi, 0, k] if group == "all" else np.nan
            extra.append({"year": year, "group": group, **row})
    annual = annual.merge(pd.DataFrame(extra), on=["year", "group"], how="left")
    rates = {name: annual[num] / annual[den].where(annual[den] > 0)
             for name, num, den, _ in RATES}
    return pd.concat([annual, pd.DataFrame(rates)], axis=1)


def summarise(annual: pd.DataFrame, monthly: pd.DataFrame, window: dict, meta: dict,
              cost_indicators) -> pd.DataFrame:
    """The headline indicators of one run: ``indicator, value, unit``."""
    rows = []
    add = lambda name, value, unit: rows.append((name, float(value), unit))  # noqa: E731
    a = annual[annual["group"] == "all"]
    fp0 = window["formerly_poor_households"]
    other0 = window["other_households"]
    # cumulative over the reported window; the names stay the same whatever the window
    # (it is in the unit and meta), and the rates of each year are in the annual frame
    window_text = f"{meta['start']} to {meta['end']}"
    add("return_illness_rate_cumulative", window["returned_illness"] / max(fp0, 1),
        f"share of formerly-poor households, {window_text}")
    add("return_rate_cumulative", window["returned"] / max(fp0, 1),
        f"share of formerly-poor households, {window_text}")
    add("new_poor_illness_rate_cumulative", window["new_poor_illness"] / max(other0, 1),
        f"share of other households, {window_text}")
    add("return_illness_rate_mean_annual", a["return_illness_rate"].mean(),
        "per formerly-poor household-year")
    add("new_poor_illness_rate_mean_annual", a["new_poor_illness_rate"].mean(),
        "per other household-year")
    for key in ("sdg_10_rate", "sdg_25_rate", "who_hardship_rate", "we_impoverishing_rate"):
        add(f"{key}_mean_annual", a[key].mean(), "share of households per year")
        add(f"{key}_persons_mean_annual", a[f"{key}_persons"].mean(),
            "share of persons per year")
    add("societal_poverty_line_yuan_mean_annual", a["societal_poverty_line_yuan"].mean(),
        "yuan per person-year")
    add("admitted_share_mean_annual", (a["admitted_persons"] / a["persons"]).mean(),
        "share of persons living at a year's end admitted in it")
    add("admission_concentration_index_mean_annual", a["admission_concentration_index"].mean(),
        "index (-1 to 1): concentration by household income per person, negative when "
        "the poorer are admitted more")
    last = monthly[(monthly["group"] == "all")].iloc[-1]
    scale = meta["scale"]
    add("poor_illness_households_end", last["poor_illness_households"] * scale,
        "households (scaled to the area)")
    add("poor_illness_persons_end", last["poor_illness_persons"] * scale,
        "persons (scaled to the area)")
    add("poor_households_end", last["poor_households"] * scale,
        "households (scaled to the area)")
    for d in CHRONIC:
        diag = last[f"{d}_diagnosed"]
        add(f"{d}_standardised_management_rate_end", last[f"{d}_managed"] / max(diag, 1),
            "managed / diagnosed")
    tot = monthly[monthly["group"] == "all"].sum(numeric_only=True)
    add("admissions_forgone_share", tot["admissions_forgone"]
        / max(tot["admissions"] + tot["admissions_forgone"], 1), "share of needed admissions")
    add("outpatient_forgone_share", tot["outpatient_forgone"]
        / max(tot["outpatient_episodes"] + tot["outpatient_forgone"], 1), "share of episodes")
    for payer in ("bills", "basic", "critical_illness", "assistance", "supplemental", "oop"):
        add(f"{payer}_yuan_total", tot[f"{payer}_yuan"] * scale, "yuan (scaled to the area)")
    add("oop_share_of_bills", tot["oop_yuan"] / max(tot["bills_yuan"], 1), "share")
    by_group = monthly[monthly["group"] != "all"].groupby("group").sum(numeric_only=True)
    low = by_group.loc[[g for g in GROUPS if g != "other"]].sum()
    add("oop_share_of_bills_low_income", low["oop_yuan"] / max(low["bills_yuan"], 1),
        "share (extremely poor + minimum guarantee + formerly poor + marginal)")
    add("oop_share_of_bills_other", by_group.loc["other", "oop_yuan"] / max(
        by_group.loc["other", "bills_yuan"], 1), "share (other households)")
    poor = by_group.loc[list(POOR_GROUPS)].sum()
    add("oop_share_of_bills_poor_groups", poor["oop_yuan"] / max(poor["bills_yuan"], 1),
        "share (extremely poor + minimum guarantee + formerly poor: the groups of the "
        "registered poor before 2021; marginal households excluded)")
    add("inpatient_oop_share_poor_groups", poor["inpatient_oop_yuan"] / max(
        poor["inpatient_bills_yuan"], 1), "share of hospital bills (the same groups)")
    add("inpatient_oop_share_low_income", low["inpatient_oop_yuan"] / max(
        low["inpatient_bills_yuan"], 1), "share of hospital bills (extremely poor + minimum "
        "guarantee + formerly poor + marginal)")
    add("inpatient_oop_share_other", by_group.loc["other", "inpatient_oop_yuan"] / max(
        by_group.loc["other", "inpatient_bills_yuan"], 1),
        "share of hospital bills (other households)")
    person_years = a["persons"].sum()
    add("admissions_per_person_year", (tot["admissions"] + tot["major_treatment_started"])
        / max(person_years, 1), "admissions per person-year")
    add("crude_death_rate_per_1000", a["deaths"].sum() / max(person_years, 1) * 1000,
        "deaths per 1000 person-years")
    add("crude_birth_rate_per_1000", a["births"].sum() / max(person_years, 1) * 1000,
        "births per 1000 person-years")
    add("deaths_total", tot["deaths"] * scale, "persons (scaled to the area)")
    add("persons_migrated_out_total", tot["persons_migrated_out"] * scale,
        "persons (scaled to the area): young adults who left the county")
    add("elderly_alone_share_end", a["elderly_alone_share"].iloc[-1],
        "share of persons 60+ living without anyone younger, the last December")
    add("advanced_yuan_total", tot["advanced_yuan"] * scale, "yuan (scaled to the area)")
    add("debt_interest_yuan_total", tot["debt_interest_yuan"] * scale,
        "yuan (scaled to the area)")
    add("debt_written_off_yuan_total", tot["debt_written_off_yuan"] * scale,
        "yuan (scaled to the area)")
    add("registry_poor_illness_households_end", last["registry_poor_illness_households"]
        * scale, "households (scaled to the area)")
    add("registry_monitored_households_end", last["registry_monitored_households"] * scale,
        "households (scaled to the area)")
    add("income_loss_yuan_total", tot["income_loss_yuan"] * scale, "yuan (scaled to the area)")
    add("transfers_yuan_total", tot["transfers_yuan"] * scale, "yuan (scaled to the area)")
    for ind in cost_indicators:
        add(ind.name + "_total", tot[ind.name] * scale, "yuan (scaled to the area)")
    return pd.DataFrame(rows, columns=["indicator", "value", "unit"])
