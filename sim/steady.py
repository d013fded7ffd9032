"""The `steady_state` scenario: inputs its own rates keep as they are, and its drift check.

A scenario without trends should not drift. Two of its inputs follow from its other
numbers rather than from data, and these functions derive them, so that the scenario's
values can be checked (``tests/test_steady_state.py``):

* the age structure that the background mortality keeps: each band's share of the
  life-table person-years;
* each chronic disease's incidence that keeps its age profile of prevalence: in band
  ``b`` (``w_b`` years wide, background mortality ``mu_b``), cases enter by incidence
  among those without the disease and by ageing in from the band below, and leave by
  ageing on, by resolution ``rho_b`` and by excess death ``delta_b``; setting the change
  to zero in a stationary population gives

      i_b = [(P_b - P_{b-1}) (1 / w_b + mu_b) + (delta_b + rho_b) P_b] / (1 - P_b)

  with ``P_{-1} = 0`` and no ageing out of the last band (floored at zero).

Whether a run drifts is judged on :data:`ANNUAL_RATES` by :func:`slope`: one relative
slope a year per replication, the replications' slopes tested against zero
(``tests/test_steady_state.py``; ``scripts/steady_drift.py`` at any size).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import statsmodels.api as sm
from scipy import stats

from sim.health import excess_mortality_age_factor
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import MAX_AGE


def _life_table(mortality_per_1000: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Survivors l(a), person-years L(a) per birth, and the band of each age.

    Ages 0..MAX_AGE - 1 one by one, then the open interval from MAX_AGE, lived at the last
    band's rate as the model has it (nobody dies of age alone): l(MAX_AGE) / mu.
    """
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1
    mu = np.array([mortality_per_1000[b] for b in AGE_BANDS])[band] / 1000.0
    survivors = np.exp(-np.concatenate([[0.0], np.cumsum(mu)[:-1]]))
    person_years = survivors * np.exp(-mu / 2)
    person_years[-1] = survivors[-1] / max(mu[-1], 1e-12)
    return survivors, person_years, band


def _person_years(mortality_per_1000: dict, joiners_per_birth: float,
                  join_ages: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Person-years at each age per birth, and each age's band.

    For each birth, ``joiners_per_birth`` persons also join at ages spread evenly over
    ``join_ages`` (inclusive); a joiner of age j lives on as a person of age j born here.
    A negative number is a net flow out (young adults who leave the county): each leaver
    takes away the person-years a person of that age would still live.
    """
    survivors, person_years, band = _life_table(mortality_per_1000)
    if joiners_per_birth != 0:
        ages = np.arange(join_ages[0], join_ages[1] + 1)
        after = np.zeros_like(person_years)
        for j in ages:
            after[j:] += person_years[j:] / survivors[j]
        person_years = person_years + joiners_per_birth * after / len(ages)
    return person_years, band


def stationary_age_shares(mortality_per_1000: dict, joiners_per_birth: float = 0.0,
                          join_ages: tuple[int, int] = (20, 34)) -> np.ndarray:
    """Share of each age band in the stationary population of the table.

    Without joiners, the life-table person-years L(a); with them, the persons who join
    (new households' young adults, :mod:`sim.formation`) add their own survivors.
    """
    person_years, band = _person_years(mortality_per_1000, joiners_per_birth, join_ages)
    shares = np.bincount(band, weights=person_years)
    return shares / shares.sum()


def stationary_birth_rate(mortality_per_1000: dict, joiners_per_birth: float = 0.0,
                          join_ages: tuple[int, int] = (20, 34)) -> float:
    """Births per 1,000 persons a year that keep the table's stationary population.

    Without joiners, 1,000 over the life expectancy at birth (the same L(a) as the
    shares); births and joiners together then replace the deaths.
    """
    person_years, _ = _person_years(mortality_per_1000, joiners_per_birth, join_ages)
    return 1000.0 / person_years.sum()


#: Life expectancy at birth of China's rural population in 2020 (years), the range the
#: sources allow: the nation's 77.93 (National Health Commission, Statistical Bulletin on
#: the Development of Health Care in China 2020, 2021-07) lies between the urban and the
#: rural figure, and the rural-urban gap was 22.7 months (95% CI 19.6-25.8; Han S, Su B,
#: Zhao Y, Chen C, Zheng X, BMJ Glob Health 2023;8:e012646), so the rural figure lies
#: between 77.93 less the gap's upper bound and 77.93.
RURAL_LIFE_EXPECTANCY_2020 = (77.93 - 25.8 / 12, 77.93)


def life_expectancy(mortality_per_1000: dict) -> float:
    """Life expectancy at birth (years) of a table of deaths per 1,000 by age band.

    The same life table as :func:`stationary_age_shares` (the last band open-ended): its
    stationary population has a crude death rate of 1,000 over this.
    """
    return 1000.0 / stationary_birth_rate(mortality_per_1000)


def stationary_incidence(disease: dict, params: dict) -> dict[str, float]:
    """Yearly incidence by age band that keeps ``disease['prevalence']`` (see above).

    Excess mortality and resolution are those of managed and unmanaged cases, mixed by
    the share managed at the start (diagnosed share x managed share); the excess varies
    by age as the disease's ``excess_mortality_by_age`` says
    (:func:`sim.health.excess_mortality_age_factor`). ``params`` is the scenario's.
    """
    managed = disease["diagnosed_share"] * disease["managed_share"]

    def mixed(key):
        return managed * disease[f"{key}_managed"] + (1 - managed) * disease[
            f"{key}_unmanaged"]

    excess = mixed("excess_mortality") * excess_mortality_age_factor(disease, params)
    resolution = mixed("resolution_per_year")
    mortality_per_1000 = params["health"]["mortality_per_1000"]
    widths = np.diff([*AGE_BAND_LOWER, np.inf])
    previous = 0.0
    out = {}
    for b, name in enumerate(AGE_BANDS):
        p = disease["prevalence"][name]
        mu = mortality_per_1000[name] / 1000.0
        flow = (p - previous) * (1.0 / widths[b] + mu) + (excess[b] + resolution) * p
        out[name] = max(flow / max(1.0 - p, 1e-9), 0.0)
        previous = p
    return out


#: What `steady_state`'s runs show (``scripts/derive_steady_state.py`` measures and
#: writes it): total deaths per 1,000 person-years by age band, and the persons joining
#: new households per 1,000 person-years.
STEADY_TABLE = Path(__file__).resolve().parent.parent / "scenarios" / "data" / (
    "steady_state_flows.csv")


def read_steady_table(path: Path = STEADY_TABLE) -> tuple[dict[str, float], float]:
    """Deaths by age band and joiners, per 1,000 person-years, from a CSV file.

    Columns ``flow`` (``deaths`` or ``joiners``), ``age_band`` (``all`` for joiners) and
    ``per_1000_person_years``.
    """
    deaths, joiners = {}, 0.0
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            value = float(row["per_1000_person_years"])
            if row["flow"] == "deaths":
                deaths[row["age_band"]] = value
            else:
                joiners = value
    return deaths, joiners


def derived_inputs(params: dict, mortality_per_1000: dict,
                   joiners_per_1000: float = 0.0) -> dict[str, object]:
    """What the flows of a population imply for one that keeps its ages.

    From total deaths per 1,000 person-years by age band and the persons joining new
    households per 1,000 person-years (ages ``population.formation_age_min`` to
    ``_max``): ``age_bands``, the stationary shares (to four places);
    ``births_per_woman_year``, the birth rate that with the joiners replaces the deaths,
    over the share of women aged 15-44 (``population.female_share`` times the 15-44
    share); ``incidence``, each chronic disease's incidence that keeps its prevalence
    (:func:`stationary_incidence` with those shares, which set the excess mortality's
    age factor).
    """
    pop = params["population"]
    ages = (int(pop["formation_age_min"]), int(pop["formation_age_max"]))
    per_birth = 0.0
    for _ in range(50):  # joiners per birth = joiners per person / births per person
        per_birth = joiners_per_1000 / stationary_birth_rate(mortality_per_1000, per_birth,
                                                             ages)
    rounded = np.round(stationary_age_shares(mortality_per_1000, per_birth, ages), 4)
    rounded[np.argmax(rounded)] += 1.0 - rounded.sum()  # as the file has them, summing to 1
    shares = {b: round(float(x), 4) for b, x in zip(AGE_BANDS, rounded, strict=True)}
    birth_rate = stationary_birth_rate(mortality_per_1000, per_birth, ages)
    births = birth_rate / 1000.0 / (pop["female_share"] * shares["15-44"])
    with_shares = {**params, "population": {**pop, "age_bands": shares}}
    incidence = {name: stationary_incidence(d, with_shares)
                 for name, d in params["health"]["chronic"].items()}
    return {"age_bands": shares, "births_per_woman_year": births, "incidence": incidence,
            "birth_rate_per_1000": birth_rate, "joiners_per_birth": per_birth}


def _chronic_rates() -> dict:
    out = {}
    for d in ("hypertension", "diabetes", "tuberculosis", "severe_mental"):
        out[f"{d} prevalence"] = lambda a, d=d: a[f"{d}_cases"] / a.persons
    for d in ("hypertension", "diabetes"):
        for stage in ("diagnosed", "managed"):
            out[f"{d} {stage} share"] = lambda a, d=d, s=stage: a[f"{d}_{s}"] / a[f"{d}_cases"]
    return out


#: Annual indicators of the area (a frame of ``group == "all"`` rows indexed by year ->
#: a yearly series) that a county without trends must hold flat.
ANNUAL_RATES = {
    "poverty": lambda a: a.poor_households / a.households,
    "poverty due to illness": lambda a: a.poor_illness_households / a.households,
    # the flows as DESIGN defines them: among those not poor the December before
    "new poverty due to illness": lambda a: a.new_poor_illness_rate,
    "return due to illness": lambda a: a.return_illness_rate,
    "income per person": lambda a: a.income_yuan / a.persons,
    "income lost to illness per person": lambda a: a.income_loss_yuan / a.persons,
    "household size": lambda a: a.persons / a.households,
    "births per 1,000": lambda a: a.births / a.persons * 1000,
    "deaths per 1,000": lambda a: a.deaths / a.persons * 1000,
    "out of pocket share": lambda a: a.oop_yuan / a.bills_yuan,
    "WHO 2025 hardship": lambda a: a.who_hardship_rate,
    "SDG 3.8.2 at 10%": lambda a: a.sdg_10_rate,
    "admissions per 1,000": lambda a: a.admissions / a.persons * 1000,
    "admissions forgone share": lambda a: a.admissions_forgone / (a.admissions
                                                                  + a.admissions_forgone),
    "outpatient care forgone share": lambda a: a.outpatient_forgone / (
        a.outpatient_episodes + a.outpatient_forgone),
    **_chronic_rates(),
}


def replication_slopes(frames, indicator) -> np.ndarray:
    """Each replication's relative slope a year: OLS on the year over the series' mean.

    ``frames``: one annual frame per replication; ``indicator`` maps a frame to a yearly
    series.
    """
    out = []
    for a in frames:
        y = np.asarray(indicator(a), float)
        fit = sm.OLS(y, sm.add_constant(np.arange(len(y)))).fit()
        out.append(fit.params[1] / y.mean())
    return np.array(out)


def slope(frames, indicator) -> tuple[float, float]:
    """Mean relative slope a year across replications and the p-value of its t-test."""
    per_rep = replication_slopes(frames, indicator)
    return float(per_rep.mean()), float(stats.ttest_1samp(per_rep, 0.0).pvalue)
