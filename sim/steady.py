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

import numpy as np
import statsmodels.api as sm
from scipy import stats

from sim.health import excess_mortality_age_factor
from sim.parameters import AGE_BAND_LOWER, AGE_BANDS
from sim.population import MAX_AGE


def stationary_age_shares(mortality_per_1000: dict) -> np.ndarray:
    """Share of each age band in the life-table person-years L(a), ages 0..MAX_AGE."""
    ages = np.arange(MAX_AGE + 1)
    band = np.searchsorted(AGE_BAND_LOWER, ages, side="right") - 1
    mu = np.array([mortality_per_1000[b] for b in AGE_BANDS])[band] / 1000.0
    survivors = np.exp(-np.concatenate([[0.0], np.cumsum(mu)[:-1]]))
    person_years = survivors * np.exp(-mu / 2)
    shares = np.bincount(band, weights=person_years)
    return shares / shares.sum()


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
    "new poverty due to illness": lambda a: a.entered_poverty_illness_households / a.households,
    "return due to illness": lambda a: (a.formerly_poor_entered_illness_households
                                        / a.formerly_poor_households),
    "income per person": lambda a: a.income_yuan / a.persons,
    "income lost to illness per person": lambda a: a.income_loss_yuan / a.persons,
    "household size": lambda a: a.persons / a.households,
    "births per 1,000": lambda a: a.births / a.persons * 1000,
    "deaths per 1,000": lambda a: a.deaths / a.persons * 1000,
    "out of pocket share": lambda a: a.oop_yuan / a.bills_yuan,
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
