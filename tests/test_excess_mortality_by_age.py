"""Chronic excess mortality by age (``excess_mortality_by_age``, sim.health).

A flat excess has a hypertensive 30-year-old die of it as often as an 80-year-old; the
proportional one follows the background mortality of the age and keeps the disease's
rates as the mean over the cases at the start.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.health import chronic_course, excess_mortality_age_factor
from sim.parameters import AGE_BANDS, CHRONIC


def _band(table):
    return np.array([table[b] for b in AGE_BANDS])


def test_flat_is_one_at_every_age():
    params = load_scenario("transition_2021_2025", [
        "health.chronic.hypertension.excess_mortality_by_age=flat"]).params
    hypertension = params["health"]["chronic"]["hypertension"]
    assert (excess_mortality_age_factor(hypertension, params) == 1.0).all()


@pytest.mark.parametrize("disease", ["hypertension", "diabetes"])
def test_proportional_has_the_shape_of_the_background_table_and_mean_one_over_cases(disease):
    params = load_scenario(None).params
    d = params["health"]["chronic"][disease]
    assert d["excess_mortality_by_age"] == "proportional"
    factor = excess_mortality_age_factor(d, params)
    background = _band(params["health"]["mortality_per_1000"])
    assert factor / factor[2] == pytest.approx(background / background[2])
    cases = _band(d["prevalence"]) * _band(params["population"]["age_bands"])
    assert (factor * cases).sum() / cases.sum() == pytest.approx(1.0)
    assert factor[-1] > 5 * factor[2] > 0


def _chronic_deaths_by_band(by_age: str) -> np.ndarray:
    """Share of hypertensive persons of each band dying of it in one month (no one
    managed, a high excess so that the counts are large)."""
    model = Model(load_scenario(None, [
        "health.chronic.hypertension.excess_mortality_unmanaged=1.0",
        f"health.chronic.hypertension.excess_mortality_by_age={by_age}",
        "health.chronic.hypertension.resolution_per_year_unmanaged=0",
    ]), seed=3, households=3000)
    P = model.pop.persons
    alive = np.flatnonzero(P.alive & P.born)
    P.chronic[alive] = 1 << CHRONIC.index("hypertension")
    P.managed[alive] = 0
    P.diagnosed[alive] = 1 << CHRONIC.index("hypertension")  # no detection draws
    deaths: list = []
    chronic_course(model, 0, alive, deaths)
    died = np.zeros(P.n, bool)
    died[np.concatenate(deaths)] = True
    band = model.band[alive]
    return np.array([died[alive[band == b]].mean() for b in range(len(AGE_BANDS))])


def test_an_old_case_dies_of_the_disease_more_often_only_when_proportional():
    flat = _chronic_deaths_by_band("flat")
    proportional = _chronic_deaths_by_band("proportional")
    young, old = 1, len(AGE_BANDS) - 1  # 15-44 and 80+
    monthly = 1 - np.exp(-1.0 / 12)
    assert flat[young] == pytest.approx(monthly, abs=0.01)
    assert flat[old] == pytest.approx(monthly, abs=0.03)
    assert proportional[old] > 10 * proportional[young]
    assert proportional[young] < flat[young] / 5
