"""A forgone admission kills by age (``care.forgone_admission_mortality_by_age``, sim.care).

With one chance at every age, forgone admissions killed more children a year than the
nation loses at 0-14 from every cause; in proportion to the age's background mortality
they kill the old far more often than the young, keeping the mean over the admissions
needed at the start.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim.engine as engine
from sim import load_scenario
from sim.care import forgone_admission_death_by_age
from sim.parameters import AGE_BANDS
from sim.population import age_band_index

FLAT = ["care.forgone_admission_mortality_by_age=flat"]
PROPORTIONAL = ["care.forgone_admission_mortality_by_age=proportional"]


def _band(table):
    return np.array([table[b] for b in AGE_BANDS], dtype=float)


def test_flat_is_the_one_chance_at_every_age():
    params = load_scenario(None, FLAT).params
    chance = params["care"]["forgone_admission_mortality"]
    assert (forgone_admission_death_by_age(params) == chance).all()


def test_proportional_has_the_background_shape_and_the_mean_over_needed_admissions():
    params = load_scenario(None, PROPORTIONAL).params
    got = forgone_admission_death_by_age(params)
    shape = _band(params["health"]["mortality_per_1000"])
    assert np.allclose(got / got[0], shape / shape[0])
    needed = _band(params["health"]["acute"]["inpatient_per_year"]) * _band(
        params["population"]["age_bands"])
    assert (got * needed).sum() / needed.sum() == pytest.approx(
        params["care"]["forgone_admission_mortality"])
    assert got[0] < got[-1] and (got <= 1).all()


def _forgone_deaths_by_band(overrides, households=6000, seed=4):
    counts = np.zeros(len(AGE_BANDS))
    split = engine.death_causes
    model = engine.Model(load_scenario(None, overrides), seed=seed, households=households)

    def watched(died, by_cause):
        out = split(died, by_cause)
        who = out["forgone_admission"]
        counts[:] += np.bincount(age_band_index(model.pop.persons.age[who]),
                                 minlength=len(AGE_BANDS))
        return out

    engine.death_causes = watched
    try:
        model.run()
    finally:
        engine.death_causes = split
    return counts


def test_in_a_run_forgone_admissions_kill_the_old_more_and_the_young_less():
    flat, prop = _forgone_deaths_by_band(FLAT), _forgone_deaths_by_band(PROPORTIONAL)
    young = [AGE_BANDS.index(b) for b in ("0-14", "15-44")]
    assert prop[young].sum() < 0.2 * flat[young].sum()
    assert prop[-1] > 2 * flat[-1]
