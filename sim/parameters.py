"""The scenario schema of the engine: every key a scenario file may set, with its unit.

Numbers live in the scenario files (``scenarios/*.toml``), each with its source; this module
holds only the *shape* of a scenario and the few fixed vocabularies the model is built on
(target groups, facility levels, age bands, managed chronic diseases). The measures in
``sim.policies`` add their own sections under ``policies``.
"""

from __future__ import annotations

from sim.priors import CALIBRATION
from sim.schema import (
    Bool,
    Choice,
    DataPath,
    Dated,
    Dist,
    Month,
    Names,
    Num,
    Prob,
    RankShares,
    Rate,
    Records,
    Section,
    Str,
    Table,
    Yuan,
)

#: Target groups of the transition period (POLICY.md, seed 000), one per household.
GROUPS = ("extremely_poor", "minimum_guarantee", "formerly_poor", "marginal", "other")
GROUP_LABELS = {  # pinyin, so that figures need no CJK font
    "extremely_poor": "Extremely poor (tekun)",
    "minimum_guarantee": "Minimum guarantee (dibao)",
    "formerly_poor": "Formerly poor (tuopin)",
    "marginal": "Marginal (bianyuan)",
    "other": "Other rural",
}
#: Facility levels a bill is produced at.
LEVELS = ("village", "township", "county", "city")
#: Age bands (lower bounds in years) used by prevalence, incidence and mortality tables.
AGE_BANDS = ("0-14", "15-44", "45-59", "60-69", "70-79", "80+")
AGE_BAND_LOWER = (0, 15, 45, 60, 70, 80)
#: Five-year ages of the mothers (``population.births_by_age``), within CHILDBEARING_AGES
MOTHER_AGES = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44")
#: Ages (years, inclusive) at which women give birth (``population.births_per_woman_year``).
CHILDBEARING_AGES = (15, 44)
#: The four chronic diseases under family-doctor standardised management (seeds 000, 004).
CHRONIC = ("hypertension", "diabetes", "tuberculosis", "severe_mental")
TB_INDEX = CHRONIC.index("tuberculosis")
#: What a bill is for, as told to the ``payment_floor`` extension point: a chronic disease's
#: index in CHRONIC for the bills of that disease billed alone (``care.billed_alone``),
#: MAJOR_CODE + the major disease's index in ``health.major`` for major-disease bills, and
#: NO_DISEASE for acute episodes and the merged chronic bill.
NO_DISEASE = -1
MAJOR_CODE = len(CHRONIC)
HOUSEHOLD_SIZES = ("1", "2", "3", "4", "5", "6")


def by_group(item, doc=""):
    """A value per target group (or one value for all groups)."""
    return Table(GROUPS, item, doc=doc)


def by_level(item, doc=""):
    """A value per facility level (or one value for all levels)."""
    return Table(LEVELS, item, doc=doc)


def by_age(item, doc=""):
    """A value per age band (or one value for all bands)."""
    return Table(AGE_BANDS, item, doc=doc)


class _AnyTable(Section):
    """A free table of dotted keys to values, checked against the schema by the loader."""

    def validate(self, value, key, ctx):
        """Only the shape is checked here: a table of key = value."""
        if not isinstance(value, dict) or not value:
            raise ctx.error(key, "is not a table of changes",
                            'a table such as { "payment.assistance.ratio" = 0.6 }')
        return dict(value)


class _PlaceTerms(_AnyTable):
    """A place's own terms: like ``_AnyTable``, but absent or empty where all come on a date."""

    def validate(self, value, key, ctx):
        """An empty table is a place with no terms of its own (yet)."""
        return {} if value == {} else super().validate(value, key, ctx)


CALENDAR = Section({
    "start": Month(doc="First reported month (after warm-up)."),
    "end": Month(doc="Last reported month, inclusive."),
    "step": Choice(("month",), doc="The engine's state step. Policy processes keep their own "
                   "cadence (weekly sweeps, quarterly follow-ups) within it."),
    "warmup_months": Num("months", "Months simulated before `start` so that the 12-month "
                         "income and spending windows are full when reporting begins.",
                         low=0, high=60, integer=True),
    "insurance_year_start_month": Num("month of year", "Month in which deductibles and "
                                      "annual caps reset.", low=1, high=12, integer=True),
    "changes": Records(Section({
        "name": Str(required=True, doc="A label for the change."),
        "date": Month(doc="Month from which the new values apply."),
        "note": Str(doc="Why: the policy document or the scenario's assumption."),
        "set": _AnyTable(doc="Dotted keys and their new values, e.g. "
                         '{ "payment.assistance.ratio" = 0.6 }; a key '
                         '"places.<name>.<key>" sets a term of the place <name> of '
                         "population.places from the date."),
    }), required=False, doc="The policy calendar: dated changes to any parameter."),
})

POPULATION = Section({
    "households": Num("households", "Households simulated (the CLI's --households overrides; "
                      "with a population file, set from the file).",
                      low=1, high=50_000_000, integer=True),
    "from": DataPath(doc="Households file (CSV, docs/population_format.md) to start from "
                     "instead of a synthetic population; path relative to the scenario "
                     "file. Empty: synthetic. The profile below fills what it lacks."),
    "persons": DataPath(doc="Persons file of that population; empty: the households file's "
                        "name with 'households' replaced by 'persons'."),
    "totals": DataPath(doc="Area totals (CSV: quantity, group, status, cause, value, "
                       "source) the survey weights are raked to before expansion."),
    "expand_to": Num("households", "Households simulated from a weighted file; 0: its "
                     "weighted total (one simulated household per household of the area).",
                     low=0, high=50_000_000, integer=True, required=False, fallback=0),
    "represents_households": Num("households", "Households in the real area the synthetic "
                                 "population stands for; counts are scaled by "
                                 "represents/simulated (with a population file: set from "
                                 "it).", low=1, integer=True),
    "townships": Num("townships", "Townships; each has its own family-doctor teams.",
                     low=1, high=10_000, integer=True),
    "household_size": Dist(HOUSEHOLD_SIZES, doc="Shares of households by size (6 = 6 or more)."),
    "age_bands": Dist(AGE_BANDS, doc="Shares of persons by age band."),
    "elderly_only_share": Table(HOUSEHOLD_SIZES, Prob(), required=False,
                                fallback={k: 0.0 for k in HOUSEHOLD_SIZES},
                                doc="Share of households of each size whose members are "
                                "all aged 60 or more (older people living alone or as a "
                                "couple); the other households' ages are drawn so that "
                                "age_bands still holds for all persons. Absent: none."),
    "female_share": Prob("Share of persons who are women."),
    "group_shares": Dist(GROUPS, doc="Shares of households by target group."),
    "registered_poor_share": by_group(Prob(), "Share of each group's households still "
                                      "registered poor (建档立卡, not exited) at the start: "
                                      "the group's lowest incomes per person."),
    "formerly_poor_share": by_group(Prob(), "Share of each group's households that exited "
                                    "registered poverty before the start (脱贫户)."),
    "savings_share": by_group(Prob(), "Share of households that keep cash at hand, up to "
                              "income.cash_buffer_months of income (savers); the others "
                              "live hand to mouth and have no cash for a deposit."),
    "distance_km_median": Num("km", "Median distance from a household to the township "
                              "health centre.", low=0),
    "distance_km_log_sd": Num("log km", "Log-scale spread of that distance.", low=0, high=3),
    "births_per_woman_year": Num("births per woman-year", "Births per woman aged 15-44 "
                                 "a year.", low=0, high=1),
    "births_by_age": Table(MOTHER_AGES, Num("births per 1,000 women-years", low=0),
                           required=False, fallback=None,
                           doc="Relative fertility of the mothers' five-year ages (any "
                           "scale: births per 1,000 women a year, say): the births of "
                           "births_per_woman_year are shared among the mothers in "
                           "proportion to it (sim.health.eligible_mothers), so the "
                           "county's rate holds and the ages decide who gives birth. "
                           "Absent: the same at every age."),
    "birth_slots": Num("slots", "Births a household can have during a run where a woman "
                       "can give birth in it: one aged 10-44 at the start, or a younger girl "
                       "who comes of age before a longer run ends "
                       "(sim.population.birth_slots).", low=0, high=8, integer=True),
    "special_family_share": Prob(
        "Share of households that are family-planning special families (计生特殊家庭: the "
        "only child has died or is severely disabled), a fixed status of the household "
        "(sim.population.special_family) that monitoring may target "
        "(policies.monitoring.special_family_trigger); it changes nothing else. Absent: 0.",
        unit="share of households", required=False, fallback=0.0),
    "households_formed_share": Prob("Share of ended households (no living member) taken "
                                    "over each January by a newly formed household of "
                                    "young adults (sim.formation)."),
    "formation_from_households_share": Prob(
        "Share of a new household's adults who leave a household of the sample in the "
        "same township (sim.formation: one leaver per household a year, who must leave an "
        "adult behind and have no major disease); the rest, and any for whom no household "
        "of the township has a leaver, join from outside the sample. Absent: 0 (all join "
        "from outside).", required=False, fallback=0.0),
    "marriage_split_per_year": Prob(
        "Yearly chance that a young adult of the sample (formation ages, no major disease, "
        "in a household that keeps an adult) marries and sets up a household of their own "
        "(分家) with a spouse of the township or from outside, at most one of a household a "
        "year, whether or not a household has ended (sim.formation.split_at_marriage). "
        "Absent: 0 (new households form only where one has ended).",
        unit="per person-year", required=False, fallback=0.0),
    "own_household_at_marriage_share": Prob(
        "Share of the couples who marry (sim.marriage.weddings) that set up a household "
        "of their own (分家) even where the groom's household has room for the bride and "
        "their children, when he can leave it. Absent: 0 (only couples without room do).",
        unit="share of weddings", required=False, fallback=0.0),
    "marriage_per_year": Prob(
        "Yearly chance that an unmarried man of the formation ages (22 or older) marries "
        "(sim.marriage): his bride, an unmarried woman of the township or from outside, "
        "moves into his household, or the couple sets up its own. Above 0, the start "
        "pairs couples as well and births go to wives. Absent: 0 (no marital status: "
        "births to every woman of 15-44).", unit="per person-year", required=False,
        fallback=0.0),
    "out_migration_per_year": Prob(
        "Yearly chance that a young adult of the sample (formation ages, no major disease, "
        "in a household that keeps an adult) leaves the county, at most one of a "
        "household a year (sim.migration.migrate_out). Absent: 0 (a closed county).",
        unit="per person-year", required=False, fallback=0.0),
    "migrant_return_per_year": Prob(
        "Yearly chance that an out-migrant comes back to the household they left, if it "
        "still lives and has a free slot (sim.migration.come_home); while away they are "
        "not residents, age and die at background mortality. Absent: 0 (they leave for "
        "good).", unit="per person-year", required=False, fallback=0.0),
    "out_migrant_earnings_kept_share": Prob(
        "Share of an out-migrant's earnings that keeps reaching the household left "
        "behind (remittances), for good. Absent: 0.", required=False, fallback=0.0),
    "formation_age_min": Num("years", "Youngest age of a new household's adults.", low=16,
                             high=60, integer=True),
    "formation_age_max": Num("years", "Oldest age of a new household's adults.", low=16,
                             high=60, integer=True),
    "worker_age_min": Num("years", "Youngest age that earns income.", low=10, high=30,
                          integer=True),
    "worker_age_max": Num("years", "Oldest age that earns income.", low=40, high=90,
                          integer=True),
    "places": Records(Section({
        "name": Str(doc="The place (a prefecture, county or group of counties).",
                    required=True),
        "township_share": Prob("Share of the scenario's townships in the place; townships "
                               "are dealt to the places in order, the rest form the rest of "
                               "the scenario."),
        "set": _PlaceTerms(doc="The place's own terms from the start: dotted keys under "
                           "payment.basic, payment.critical_illness, payment.assistance, "
                           "payment.supplemental, care.level_shift or care.catalogue, and "
                           "their values. Absent: none (the calendar may set some on a "
                           "date, as places.<name>.<key>)."),
        "note": Str(doc="What the place is and where its terms come from."),
    }), required=False, doc="Places inside the scenario with their own payment terms and "
        "care rules (seed 002: 80% medical assistance in the four southern prefectures, 70% "
        "elsewhere; seed 004: care-level steering in two county medical alliances)."),
})

INCOME = Section({
    "earned_median_yuan": by_group(Yuan(unit="yuan per person-year"),
                                   "Median earned income per person at the start."),
    "earned_log_sd": by_group(Num("log yuan", low=0, high=3),
                              "Spread of earned income between households."),
    "transfers_yuan": by_group(Yuan(unit="yuan per person-year"),
                               "Cash transfers per person (minimum guarantee, support)."),
    "growth_per_year": Num("share per year", "Nominal growth of earned income.", low=-0.5,
                           high=0.5),
    "shock_persistence": Prob("Year-to-year persistence of a household's income shock "
                              "(AR(1) coefficient on log income).", unit="coefficient"),
    "shock_sd": Num("log yuan", "Sd of the yearly innovation to log earned income.", low=0,
                    high=2),
    "elderly_work_capacity": Num("worker equivalents", "Earning capacity of a member older "
                                 "than population.worker_age_max, relative to a member of "
                                 "working age (children: none).", low=0, high=1),
    "death_earnings_replaced": Prob("Share of a dead member's earnings that the living "
                                    "members replace (none when no member is left)."),
    "borrowing_rate_per_year": Num("share per year", "Interest on money borrowed to pay "
                                   "bills and advance reimbursements beyond cash at hand "
                                   "(informal loans).", low=0, high=2),
    "consumption_share": Prob("Household consumption as a share of income (hardship "
                              "denominator); the rest is saved, towards debt first, then "
                              "into cash at hand (sim.liquidity)."),
    "cash_buffer_months": Num("months of income", "Most cash a household keeps at hand (a "
                              "buffer-stock saver spends what lies above it): what an "
                              "admission deposit is paid from.", low=0, high=120),
})

POVERTY = Section({
    "line_yuan": Dated(Yuan(unit="yuan per person-year"),
                       doc="Poverty line by year; per-capita net income below it is poor."),
})

HARDSHIP = Section({
    "budget": Choice(("consumption", "income"), doc="Denominator of the SDG 3.8.2 budget "
                     "shares (original definition): household consumption or income. WHO "
                     "2025's discretionary budget and the societal poverty line are from "
                     "consumption either way."),
    "ppp_yuan_per_dollar": Num("yuan per PPP dollar", "Purchasing-power parity factor of "
                               "the PPP year, converting the societal poverty line's dollar "
                               "terms into yuan.", low=0.01),
    "ppp_year": Num("year", "Price year of the PPP factor and of the dollar amounts.",
                    low=1990, high=2100, integer=True),
    "price_growth_per_year": Num("share per year", "Consumer price growth that carries the "
                                 "dollar amounts from the PPP year to the simulated year.",
                                 low=-0.2, high=0.5),
    "extreme_line_dollars_per_day": Num("PPP dollars per person-day", "International "
                                        "extreme poverty line: the floor of the societal "
                                        "poverty line.", low=0),
    "societal_constant_dollars_per_day": Num("PPP dollars per person-day", "Constant of the "
                                             "societal poverty line.", low=0),
    "societal_median_share": Prob("Share of the median consumption per person added to the "
                                  "constant.", unit="share of median consumption"),
})

PROGRAMMES = ("employment", "industry", "relocation", "transfers")

REGISTRY = Section({
    "active_from": Month(required=False, doc="Month from which the registry moves (exits, "
                         "programmes, identification of monitored objects); before it the "
                         "registry is the initial condition. A month before the first "
                         "simulated one (the warm-up's start) means from that first month. "
                         "Default: calendar.start."),
    "cause_illness_share": Section({
        "ill": Prob("Share of registered households recorded as poor due to illness when a "
                    "member had a diagnosed chronic disease other than hypertension."),
        "not_ill": Prob("The same share for households without such a member."),
    }, doc="The registry's recorded main cause (因病致贫) at registration."),
    "exit": Section({
        "assessment_interval_months": Num("months", "Months between exit assessments of "
                                          "registered poor households.", low=1, high=24,
                                          integer=True),
        "income_x_line": Num("x poverty line", "An exit needs per-capita net income over the "
                             "last 12 months of at least this multiple of the line (the "
                             "income standard).", low=0, high=5),
        "requires_insurance": Bool(doc="An exit needs every living member insured (basic "
                                   "medical care assured, one of the three guarantees)."),
        "other_guarantees_share": Prob("Share of households meeting the guarantees not "
                                       "modelled (food, clothing, housing, schooling, "
                                       "water) at an assessment."),
        "processing_share": Prob("Share of eligible households whose exit is processed at "
                                 "an assessment (verification and publicity lags)."),
        "without_labour_from": Month(required=False, doc=(
            "Month from which registered households without labour capacity (no living "
            "member from population.worker_age_min to labour_age_max) may "
            "exit: the exit plan's social-security batch (社会保障兜底一批); before it "
            "only households with labour exit (development batches). Absent: every "
            "household may exit whatever its labour.")),
        "labour_age_max": Num("years", "Oldest age at which the registry counts a member "
                              "as labour for without_labour_from (from "
                              "population.worker_age_min). Absent: "
                              "population.worker_age_max.", low=0, high=100, integer=True,
                              required=False),
    }, doc="Exit from registered poverty by assessment (两不愁三保障 and the income standard)."),
    "programmes": Section({
        name: Section({
            "reach_per_year": Rate(unit="per household-year", doc="Rate at which registered "
                                   "poor households not yet reached join the programme."),
            "income_gain_yuan": Yuan(unit="yuan per person- or worker-year", doc="Income "
                                     "added for good once a household is reached, per "
                                     "member or per worker (``per``)."),
            "per": Choice(("person", "worker"), required=False, fallback="person",
                          doc="'worker': the gain is paid per member of working age (a "
                          "job, a public-welfare post) and households without one are "
                          "never reached; 'person': per member. Absent: person."),
        }) for name in PROGRAMMES
    }, doc="Non-health poverty-alleviation programmes raising registered households' income "
       "(employment, industry, relocation, transfers)."),
    "identification_lag_months": Num("months", "From a monitoring sweep finding a "
                                     "household at risk to its registration as a monitored "
                                     "object.", low=0, high=24, integer=True),
    "group_change": Section({
        "lag_months": Num("months", "From becoming a monitored object to the new group's "
                          "terms (civil affairs' or rural revitalisation's approval).", low=0,
                          high=24, integer=True),
        "minimum_guarantee_income_x_line": Num(
            "x poverty line", "The minimum-guarantee standard as a multiple of the line, "
            "where minimum_guarantee_standard_yuan is not given: a new monitored object "
            "whose per-capita net income over the last 12 months is below it may move into "
            "the minimum guarantee (低保) group; 0: never (with a standard series, "
            "minimum_guarantee_share = 0 stops entries).", low=0, high=5),
        "minimum_guarantee_share": Prob("Share of those below the standard that the "
                                        "minimum guarantee admits (asset and labour tests, "
                                        "local review)."),
        "marginal_back_to_other": Bool(
            doc="A household that monitoring moved from the `other` group into the "
            "`marginal` group returns to `other` when its risk is eliminated "
            "(monitored_exit_income_x_line): the marginal group's terms end with the risk.",
            required=False, fallback=False),
        "other_to_marginal": Bool(doc="A new monitored object of the `other` group moves "
                                  "into the `marginal` group (边缘易致贫户)."),
        "minimum_guarantee_standard_yuan": Dated(
            Yuan(unit="yuan per person-year"), required=False,
            doc="The minimum-guarantee (rural dibao) standard by year, for entries and "
            "reviews; absent: minimum_guarantee_income_x_line times the poverty line."),
        "minimum_guarantee_review_months": Num(
            "months", "Months between reviews of minimum-guarantee households: one whose "
            "per-capita net income over the last 12 months, the guarantee itself left out, "
            "reaches the standard (minimum_guarantee_income_x_line times the line) leaves "
            "the guarantee; 0: never reviewed, nobody leaves.", low=0, high=36,
            integer=True, required=False, fallback=0),
        "minimum_guarantee_grace_months": Num(
            "months", "Months the guarantee is still paid after a review finds income above "
            "the standard (渐退期, gradual exit).", low=0, high=24, integer=True,
            required=False, fallback=0),
    }, doc="Target groups that change after monitoring (seed 000: groups set by civil "
       "affairs and rural revitalisation): from then on the household gets the new group's "
       "transfers, payment terms and measures."),
    "monitored_exit_income_x_line": Num("x poverty line", "A monitored object's risk is "
                                        "eliminated at an assessment when its per-capita net "
                                        "income is at least this multiple of the line.",
                                        low=0, high=5),
})

ACUTE = Section({
    "outpatient_per_year": by_age(Rate(unit="episodes per person-year"),
                                  "Outpatient illness episodes (one bill each)."),
    "inpatient_per_year": by_age(Rate(unit="admissions per person-year"),
                                 "Admissions of a person without the managed diseases."),
    "outpatient_days_lost": Num("days", "Working days lost per outpatient episode.", low=0,
                                high=30),
    "inpatient_days_lost": Num("days", "Working days lost per admission (stay and recovery).",
                               low=0, high=30),
    "income_elasticity": Num(
        "elasticity", "Acute need (admission needs and outpatient episodes) scales with "
        "(household income per person / median) to the power minus this, normalised within "
        "each age band so that band rates hold: the poor need care more often, whatever "
        "they then seek. Set each January with the chronic gradient "
        "(health.chronic_onset_income_elasticity). 0: no gradient.", low=0, high=3,
        required=False, fallback=0.0),
})

CHRONIC_DISEASE = Section({
    "prevalence": by_age(Prob(), "Share of persons with the disease at the start."),
    "incidence_per_year": by_age(Rate(), "New cases among persons without it."),
    "diagnosed_share": Prob("Share of prevalent cases diagnosed at the start."),
    "managed_share": Prob("Share of diagnosed cases under standardised management at the "
                          "start."),
    "detection_per_year": Rate(unit="per case-year", doc="Routine diagnosis of undiagnosed "
                               "cases (without screening)."),
    "manage_on_diagnosis": Prob("Share of new diagnoses that enter management without a "
                                "family-doctor contract."),
    "dropout_per_year": Rate(unit="per case-year", doc="Managed cases that stop being "
                             "managed, without a contract."),
    "resolution_per_year_managed": Rate(unit="per case-year", doc="Cure while managed "
                                        "(tuberculosis); 0 for lifelong diseases."),
    "resolution_per_year_unmanaged": Rate(unit="per case-year", doc="Cure while not managed."),
    "admission_rr_managed": Num("rate ratio", "Admission rate ratio of a managed case.", low=0),
    "admission_rr_unmanaged": Num("rate ratio", "Admission rate ratio of an unmanaged case.",
                                  low=0),
    "cost_yuan_per_month_managed": Yuan(unit="yuan per month", doc="Outpatient bill of a "
                                        "managed case (drugs, follow-up care)."),
    "cost_yuan_per_month_unmanaged": Yuan(unit="yuan per month", doc="Outpatient bill of a "
                                          "diagnosed but unmanaged case."),
    "care_level": Choice(LEVELS, doc="Where the monthly outpatient care is given."),
    "work_loss_managed": Prob("Share of working capacity lost by a managed case."),
    "work_loss_unmanaged": Prob("Share of working capacity lost by an unmanaged case "
                                "(diagnosed or not)."),
    "excess_mortality_managed": Rate(unit="deaths per case-year"),
    "excess_mortality_unmanaged": Rate(unit="deaths per case-year"),
    "excess_mortality_by_age": Choice(
        ("flat", "proportional"), required=False, fallback="flat",
        doc="How the excess mortality varies with age (sim.health."
            "excess_mortality_age_factor). 'flat': the same rates at every age. "
            "'proportional': in proportion to the background mortality of the age "
            "(health.mortality_per_1000; a disease multiplies a person's mortality by a "
            "ratio that does not depend on age, the proportional-hazards assumption of "
            "cohort studies), the two rates being the mean over the cases that "
            "prevalence and population.age_bands give at the start."),
})

MAJOR_DISEASE = Section({
    "name": Str(required=True, doc="Disease (group) name."),
    "list_ranks": RankShares(doc="The group's diseases by their position on the "
                             "special-treatment list, each with its share of the group's "
                             "cases: a case is covered when its disease's rank is at most "
                             "policies.special_treatment.n_diseases. Absent: not on the "
                             "list.", required=False),
    "sex": Choice(("any", "female", "male"), doc="Who can get it."),
    "age_min": Num("years", low=0, high=120, integer=True),
    "age_max": Num("years", low=0, high=120, integer=True),
    "incidence_per_100k": Rate(unit="cases per 100,000 person-years in the age range",
                               doc="Mean rate over the age range (and sex): in the "
                               "reference population (health.incidence_reference_ages) "
                               "when incidence_age_rr is given, else at every age."),
    "incidence_age_rr": Table(AGE_BANDS, Rate(unit="rate ratio"), required=False,
                              doc="Incidence by age band relative to the other bands (only "
                              "their ratios matter: each band's rate is incidence_per_100k "
                              "times its ratio over the ratios' mean in the age range of "
                              "health.incidence_reference_ages), e.g. cancers several "
                              "times as common at 80+ as at 45-59; in a band that the age "
                              "range covers in part, the ratio of the covered ages. "
                              "Absent: the same rate at every age of the range."),
    "birth_prevalence": Prob("Share of births with the disease, a congenital condition "
                             "present from birth (sim.health.births): early and not found "
                             "in the newborn, found by newborn screening "
                             "(care.newborn_screening) or later from symptoms; cases born "
                             "before the start are not in the starting population. "
                             "Absent: 0.", unit="share of births", required=False,
                             fallback=0.0),
    "ended_after_prenatal_diagnosis": Prob(
        "Share of the pregnancies in which prenatal screening and diagnosis "
        "(care.prenatal_screening) find the condition that end before birth, by the "
        "parents' decision; those births do not happen. Absent: 0.",
        unit="share of pregnancies diagnosed", required=False, fallback=0.0),
    "early_share": Prob("Share found at an early stage without screening; with "
                        "diagnosis_per_year_early it sets the progression rate while "
                        "untreated."),
    "diagnosis_per_year_early": Rate(unit="per case-year", doc="Diagnosis of an undiagnosed "
                                     "early-stage case from symptoms (slow: the preclinical "
                                     "phase screening can find)."),
    "diagnosis_per_year_late": Rate(unit="per case-year", doc="Diagnosis of an undiagnosed "
                                    "late-stage case (fast: symptoms)."),
    "course_months": Num("months", "Length of the treatment course.", low=1, high=60,
                         integer=True),
    "cost_yuan_early": Yuan(doc="Total bill of a course at an early stage."),
    "cost_yuan_late": Yuan(doc="Total bill of a course at a late stage."),
    "cure_share_early": Prob("Share of early-stage courses ending in cure (others continue "
                             "with the ongoing cost)."),
    "cure_share_late": Prob("Same, late stage."),
    "ongoing_cost_yuan_per_month": Yuan(unit="yuan per month", doc="Bill per month after a "
                                        "course that did not cure (e.g. dialysis)."),
    "ongoing_cost_yuan_per_month_late": Yuan(
        unit="yuan per month", doc="The same after a late-stage course (e.g. the diet or "
        "drugs of a congenital condition plus rehabilitation of the disability it left). "
        "Absent: ongoing_cost_yuan_per_month.", required=False),
    "treated_as": Choice(("inpatient", "outpatient"), required=False, fallback="inpatient",
                         doc="How the course is given: 'inpatient' (admissions: a deposit "
                         "may be asked at the start, the first month pays the deductible) "
                         "or 'outpatient' (special-disease outpatient care, 门诊慢特病, as "
                         "the care after a course: no deposit, no deductible). Absent: "
                         "inpatient."),
    "mortality_early": Rate(unit="deaths per case-year", doc="Treated, early stage."),
    "mortality_late": Rate(unit="deaths per case-year", doc="Treated, late stage."),
    "mortality_untreated": Rate(unit="deaths per case-year", doc="Late stage, untreated "
                                "(early untreated cases die at mortality_early)."),
    "work_loss": Prob("Share of working capacity lost while ill."),
    "care_level": Choice(("county", "city"), doc="Where the course is given."),
    "screen": Choice(("none", "cervical", "breast", "health_check"),
                     doc="The screening that can find it early."),
})

LISTED_ADMISSION = Section({
    "name": Str(required=True, doc="Listed disease name."),
    "list_rank": Num("list position", "The disease's position on the special-treatment "
                     "list: its admissions are covered when it is at most "
                     "policies.special_treatment.n_diseases.", low=1, high=100,
                     integer=True),
    "cause": Choice(("any", *CHRONIC), doc="Which admissions it is a share of: 'any' the "
                    "admissions every person has (the acute rate of the age band); a "
                    "chronic disease the admissions that disease adds (its admission rate "
                    "ratio above 1), so that nothing is counted twice."),
    "share": Prob("Share of those admissions, in the age range, that are of this disease "
                  "(the records of one cause take consecutive slices: their shares sum to "
                  "at most 1)."),
    "age_min": Num("years", "Youngest age whose admissions can be of this disease.", low=0,
                   high=120, integer=True),
    "age_max": Num("years", "Oldest age whose admissions can be of this disease.", low=0,
                   high=120, integer=True),
})

HEALTH = Section({
    "mortality_per_1000": by_age(Rate(unit="deaths per 1,000 person-years"),
                                 "Background mortality."),
    "acute": ACUTE,
    "chronic": Section({d: CHRONIC_DISEASE for d in CHRONIC}),
    "severe_disability_share": Table(
        AGE_BANDS, Prob(unit="share of persons"), required=False,
        fallback=dict.fromkeys(AGE_BANDS, 0.0),
        doc="Share of persons of each age band with a severe disability (grades 1-2 of the "
        "national classification: visual, hearing, speech, physical, intellectual or "
        "mental), a status read from the person's age band and a fixed draw per person "
        "(sim.population.severely_disabled), so that a person may become disabled when "
        "growing older and never recovers. It marks households for monitoring "
        "(policies.monitoring.disability_trigger) and changes nothing else: no cost, work "
        "loss or death of its own. Absent: none."),
    "chronic_onset_income_elasticity": Num(
        "elasticity", "Chronic onset and starting prevalence scale with (household income "
        "per person / median) to the power minus this, normalised within each age band so "
        "that band rates hold: the poor fall ill more often. 0: no gradient.", low=0,
        high=3, required=False, fallback=0.0),
    "incidence_reference_ages": Dist(AGE_BANDS, required=False, doc="Shares of persons "
                                     "by age band of the population whose crude rates the "
                                     "major diseases' incidence_per_100k are (e.g. the "
                                     "nation's): with incidence_age_rr, the population "
                                     "in which the mean rate over the age range is "
                                     "incidence_per_100k. Needed when a major disease has "
                                     "incidence_age_rr."),
    "major": Records(MAJOR_DISEASE, doc="Major diseases: those of the special-treatment "
                     "list (list_ranks) and congenital conditions present from birth "
                     "(birth_prevalence), each a course of treatment found early or late."),
    "listed_admissions": Records(LISTED_ADMISSION, required=False, doc="Diseases of the "
                                 "special-treatment list that are admissions the model "
                                 "already has (heart attack and stroke as complications "
                                 "of hypertension and diabetes, cataract surgery, ...): "
                                 "no incidence of their own, a share of those "
                                 "admissions."),
})

CARE = Section({
    "outpatient_seek": Prob("Share of outpatient episodes for which care is sought (at zero "
                            "distance)."),
    "inpatient_seek": Prob("Share of needed admissions that happen, before money barriers."),
    "forgo_per_km": Prob("Added chance of forgoing an outpatient visit per km of distance.",
                         unit="share per km"),
    "forgo_without_deposit": Prob("Chance an admission is forgone when a deposit is required "
                                  "and the household has no cash."),
    "deposit_yuan": by_level(Yuan(unit="yuan per admission"), "Deposit asked at admission "
                             "when treat-first-pay-later does not apply."),
    "outpatient_levels": Dist(LEVELS, doc="Where outpatient episodes are treated."),
    "inpatient_levels": Dist(LEVELS, doc="Where admissions happen."),
    "level_shift": Section({
        "outpatient": Table(LEVELS[1:], Prob(unit="share of the level's episodes"),
                            doc="Share of the outpatient episodes of each level treated one "
                            "level down instead (first contact at primary level, 基层首诊). "
                            "Absent: none.", required=False,
                            fallback={k: 0.0 for k in LEVELS[1:]}),
        "inpatient": Table(LEVELS[2:], Prob(unit="share of the level's admissions"),
                           doc="Share of the admissions of each level made one level down "
                           "instead (city to county: fewer referrals out of the county; "
                           "county to township: common illness and recovering patients kept "
                           "at the primary level). Absent: none.", required=False,
                           fallback={k: 0.0 for k in LEVELS[2:]}),
    }, doc="Care-level steering (分级诊疗: first contact at primary level, two-way referral): "
       "shares of each level's acute care moved one level down, applied to outpatient_levels "
       "and inpatient_levels. Dated by the policy calendar; the moved care has the lower "
       "level's bills, deposit and reimbursement terms."),
    "outpatient_cost_yuan": by_level(Yuan(unit="yuan per episode"), "Mean outpatient bill."),
    "inpatient_cost_yuan": by_level(Yuan(unit="yuan per admission"), "Mean admission bill."),
    "cost_log_sd": Num("log yuan", "Spread of bills around their mean.", low=0, high=3),
    "in_scope_share": by_level(Prob(), "Share of a bill inside the insurance catalogue "
                               "(政策范围内)."),
    "catalogue": Section({
        "out_of_scope_cut": Table(LEVELS, Prob(unit="share of the out-of-catalogue part"),
                                  doc="Share of the out-of-catalogue part of a bill (drugs, "
                                  "consumables, tests outside 政策范围) that facilities of "
                                  "each level no longer prescribe. Absent: none.",
                                  required=False, fallback={k: 0.0 for k in LEVELS}),
        "replaced_share": Prob("Share of what is cut that is replaced by catalogue items at "
                               "the same price (the rest, unnecessary items, is dropped and "
                               "the bill falls). Absent: 0.", unit="share of the cut",
                               required=False, fallback=0.0),
        "groups": Table(GROUPS, Bool(), doc="Patients' groups whose bills are controlled. "
                        "Absent: every group.", required=False,
                        fallback={g: True for g in GROUPS}),
    }, doc="Catalogue control (seed 000: fewer out-of-catalogue drugs, consumables and "
       "unnecessary tests): raises the in-scope share of bills, by group and level, from the "
       "date the policy calendar sets it."),
    "billed_alone": Table(CHRONIC, Bool(), doc="Chronic diseases whose monthly care is billed "
                          "on its own instead of in the patient's one merged chronic bill, so "
                          "that a per-disease payment floor can reach it; tuberculosis always "
                          "is. Absent: tuberculosis only.", required=False,
                          fallback={name: name == "tuberculosis" for name in CHRONIC}),
    "forgone_days_multiplier": Num("ratio", "Working days lost when care is forgone, "
                                   "relative to treated.", low=1, high=10),
    "forgone_admission_mortality": Prob("Chance that a forgone admission ends in death "
                                        "(the mean over the admissions needed at the "
                                        "start when forgone_admission_mortality_by_age is "
                                        "'proportional').", unit="per forgone admission"),
    "forgone_admission_mortality_by_age": Choice(
        ("flat", "proportional"), required=False, fallback="flat",
        doc="'flat': forgone_admission_mortality at every age. 'proportional': in the shape "
            "of the background mortality table by age (health.mortality_per_1000), scaled "
            "so that the acute admissions needed at the start (health.acute."
            "inpatient_per_year times the shares of population.age_bands) have a mean "
            "chance of forgone_admission_mortality: a forgone admission kills the old more "
            "often than the young, as untreated illness does (sim.care."
            "forgone_admission_death_by_age). Absent: flat."),
    "reimbursement_delay_months": Num("months", "Where one-stop settlement does not apply: "
                                      "months until the layers after basic insurance repay "
                                      "what the household advanced for an admission.", low=0,
                                      high=24, integer=True),
    "forgone_admission_recurs": Prob("Chance that a forgone admission that did not end in "
                                     "death is needed again the next month.",
                                     unit="per forgone admission"),
    "forgone_outpatient_admission": Prob("Chance that a forgone outpatient episode worsens "
                                         "into an admission need the next month.",
                                         unit="per forgone episode"),
    "delayed_admission_cost_factor": Num("ratio", "Bill of a delayed admission relative to "
                                         "one made when first needed.", low=1, high=5),
    "quality": Section({
        "death_rr": Table(LEVELS, Num("rate ratio", low=0, high=10), required=False,
                          fallback=dict.fromkeys(LEVELS, 1.0),
                          doc="Death rate of the patients whose care is given at each "
                          "level, relative to the rates of health.chronic and health.major "
                          "(the quality those rates stand for): the excess mortality of "
                          "managed chronic patients at their disease's care_level, and the "
                          "deaths of major-disease cases in treatment (a course and the care "
                          "after it) at the disease's care_level. Below 1: better care "
                          "(qualified doctors, hospital pairing); dated by the policy "
                          "calendar. Absent: 1 at every level (no effect)."),
    }, doc="Quality of care by facility level (seeds 000, 002, 003: staffing, training and "
       "pairing of hospitals), as its effect on the deaths of the patients treated there."),
    "health_literacy": Section({
        "share_by_year": Dated(Prob(unit="share of residents"), doc="Share of residents "
                               "with basic health literacy (健康素养水平) by year. "
                               "care.outpatient_seek holds at the first year's share; later "
                               "shares change how often outpatient care is forgone. Absent: "
                               "no effect.", required=False),
        "forgo_rr_literate": Prob("Chance that a person with basic health literacy goes "
                                  "without care for an outpatient episode, relative to one "
                                  "without it. Absent: 1 (no effect).", unit="rate ratio",
                                  required=False, fallback=1.0),
        "onset_rr_literate": Table(
            CHRONIC, Num("rate ratio", low=0, high=1), required=False,
            fallback=dict.fromkeys(CHRONIC, 1.0),
            doc="Onset of each managed chronic disease in a person with basic health "
            "literacy, relative to one without it (prevention: diet, salt, tobacco, "
            "activity); health.chronic incidence_per_year holds at the first year's "
            "share of share_by_year, later shares scale it by the population mix. "
            "Absent: 1 for every disease (no effect)."),
    }, doc="Health literacy as a dated effect on care seeking and on the onset of chronic "
       "disease (seeds 000, 001: health education and promotion campaigns, literacy "
       "targets)."),
    "demand": Section({
        "outpatient_price_elasticity": Num("elasticity", "Elasticity of the chance of "
                                           "seeking outpatient care with respect to its "
                                           "out-of-pocket burden.", low=-3, high=0),
        "inpatient_price_elasticity": Num("elasticity", "The same for admissions.", low=-3,
                                          high=0),
        "outpatient_reference_burden": Num("share of a month's per-capita income", "Burden "
                                           "(the episode's out of pocket over a month's "
                                           "income per person) at which outpatient_seek "
                                           "applies.", low=1e-6),
        "inpatient_reference_burden": Num("share of a month's per-capita income", "The same "
                                          "for admissions and inpatient_seek.", low=1e-6),
        "income_floor_yuan_per_month": Yuan(unit="yuan per person-month", doc="Income below "
                                            "which the burden is computed at this floor "
                                            "(households living on transfers in kind)."),
        "chronic_dropout_free_ratio": Prob(
            "A managed chronic patient's chance of stopping management when the drugs cost "
            "the household nothing, relative to paying the whole bill (linear in the share "
            "paid between the two); 1: management does not respond to its price.",
            unit="ratio", required=False, fallback=1.0),
        "chronic_reference_share": Prob(
            "Share of the chronic bill paid out of pocket at which each disease's "
            "dropout_per_year applies.", unit="share of the bill", required=False,
            fallback=0.35),
    }, doc="How care seeking, and staying on chronic care, respond to its out-of-pocket "
       "price."),
    "health_check": Section({
        "sensitivity": Table(CHRONIC, Prob(), doc="Share of undiagnosed cases found."),
        "chronic_confirmed_share": Prob("Share of persons a check finds with an "
                                        "undiagnosed chronic disease who complete the "
                                        "confirmation and are diagnosed; the others stay "
                                        "unaware."),
        "major_sensitivity": Prob("Share of undiagnosed major diseases marked "
                                  "screen = \"health_check\" found."),
        "specificity": Prob("Share of persons without a finding who test negative."),
        "cost_yuan": Yuan(unit="yuan per person checked"),
        "confirmation_cost_yuan": Yuan(unit="yuan per positive result confirmed"),
        "interval_months": Num("months", "A person is checked at most once in this "
                               "interval, whoever offers the check.", low=1, high=60,
                               integer=True),
    }, doc="What a health check finds and costs, whoever offers it (screening campaigns, "
       "family-doctor contracts)."),
    "prenatal_screening": Section({
        "coverage": Prob("Share of pregnancies screened (maternal serum screening, with "
                         "diagnosis of the screen-positive) where no measure of the "
                         "scenario screens them: at the family's expense or under "
                         "programmes the scenario does not model. Absent: 0.",
                         unit="share of pregnancies", required=False, fallback=0.0),
        "conditions": Names(doc="Congenital conditions of health.major the screening and "
                            "diagnosis look for (e.g. down_syndrome). Absent: none."),
        "detection": Prob("Share of the affected pregnancies screened in which the "
                          "condition is diagnosed before birth (the screen's detection "
                          "rate times the uptake and result of the diagnostic test). "
                          "Absent: 0.", unit="share of affected pregnancies screened",
                          required=False, fallback=0.0),
    }, doc="Prenatal screening and diagnosis, whoever offers it: where it finds a condition, "
       "the pregnancy may end (health.major ended_after_prenatal_diagnosis)."),
    "newborn_screening": Section({
        "coverage": Prob("Share of newborns screened (heel-prick blood spot) where no "
                         "measure of the scenario screens them: at the family's expense or "
                         "under programmes the scenario does not model. Absent: 0.",
                         unit="share of newborns", required=False, fallback=0.0),
        "conditions": Names(doc="Congenital conditions of health.major that this screening "
                            "tests for (a measure's free screening may test others). "
                            "Absent: none."),
        "sensitivity": Prob("Share of the affected newborns screened who are found: a "
                            "positive test recalled and confirmed. Absent: 0.",
                            unit="share of affected newborns screened", required=False,
                            fallback=0.0),
    }, doc="Newborn screening, whoever offers it: a condition found at birth is treated "
       "before it does harm (early stage)."),
})

PAYMENT = Section({
    "enrolled_share": by_group(Prob(), "Share of persons enrolled in resident basic insurance "
                               "(without premium subsidies)."),
    "basic": Section({
        "inpatient_deductible_yuan": by_level(Yuan(unit="yuan per admission")),
        "inpatient_ratio": by_level(Prob(unit="share of in-scope cost")),
        "annual_cap_yuan": Yuan(unit="yuan per person-year"),
        "ratio_bonus": by_group(Num("share", low=0, high=1), "Added inpatient ratio."),
        "deductible_factor": by_group(Num("factor", low=0, high=1)),
        "outpatient_ratio": Prob(unit="share of in-scope cost"),
        "outpatient_cap_yuan": Yuan(unit="yuan per person-year"),
        "chronic_ratio": Prob(unit="share of in-scope cost", doc="Chronic and special disease "
                              "outpatient care (门诊慢特病)."),
        "chronic_cap_yuan": Yuan(unit="yuan per person-year"),
        "special_ratio": Prob(unit="share of in-scope cost", doc="Outpatient special-disease "
                              "care of major diseases (e.g. dialysis, 门诊慢特病), without "
                              "deductible, within the inpatient cap; the later layers apply."),
    }, doc="Resident basic medical insurance (城乡居民基本医疗保险)."),
    "critical_illness": Section({
        "deductible_yuan": Yuan(unit="yuan per person-year", doc="Annual in-scope out-of-"
                                "pocket above which the layer pays."),
        "ratio": Prob(unit="share of in-scope cost above the deductible"),
        "annual_cap_yuan": Yuan(unit="yuan per person-year"),
        "deductible_factor": by_group(Num("factor", low=0, high=1)),
        "ratio_bonus": by_group(Num("share", low=0, high=1)),
        "uncapped": by_group(Bool()),
    }, doc="Critical illness insurance (大病保险)."),
    "assistance": Section({
        "eligible": by_group(Bool()),
        "ratio": by_group(Prob(unit="share of remaining in-scope cost")),
        "deductible_yuan": by_group(Yuan(unit="yuan per person-year")),
        "annual_cap_yuan": by_group(Yuan(unit="yuan per person-year")),
        "covers_chronic_outpatient": Bool(doc="Whether assistance also pays chronic "
                                          "outpatient bills."),
    }, doc="Medical assistance (医疗救助)."),
    "supplemental": Section({
        "eligible": by_group(Bool()),
        "target_share": Prob(unit="share of the whole inpatient bill", doc="All layers "
                             "together reach this share."),
        "annual_cap_yuan": Yuan(unit="yuan per person-year"),
    }, doc="Supplemental insurance for the deeply poor (补充医疗保险)."),
})

SCENARIO_META = Section({
    "name": Str(required=True, doc="Short name of the scenario."),
    "description": Str(doc="What the scenario represents."),
    "base": Str(doc="A scenario file this one inherits from (path relative to this file)."),
})


def engine_sections() -> dict:
    """The top-level sections of the engine, in the order they appear in scenario files."""
    return {
        "scenario": SCENARIO_META,
        "calendar": CALENDAR,
        "population": POPULATION,
        "income": INCOME,
        "poverty": POVERTY,
        "hardship": HARDSHIP,
        "registry": REGISTRY,
        "health": HEALTH,
        "care": CARE,
        "payment": PAYMENT,
        "calibration": CALIBRATION,  # optional: priors of the parameters a fit may change
    }
