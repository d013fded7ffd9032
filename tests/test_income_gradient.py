"""The poor fall ill more often (health.chronic_onset_income_elasticity).

The factor on chronic onset and starting prevalence falls with household income per
person and averages 1 within each age band, so band rates hold and only who falls ill
changes; with the default's elasticity the concentration index of chronic prevalence by
income is negative, as surveys of rural western China find.
"""

import numpy as np

from sim import health, load_scenario
from sim.engine import Model
from sim.population import NO_MAJOR, age_band_index, income_gradient


def test_the_factor_falls_with_income_and_averages_one_in_each_band():
    rng = np.random.default_rng(0)
    income = rng.lognormal(9, 0.7, 5000)
    band = rng.integers(0, 6, 5000)
    f = income_gradient(income, band, 0.5)
    for b in range(6):
        assert abs(f[band == b].mean() - 1) < 1e-5
    order = np.argsort(income)
    assert (np.diff(f[order][band[order] == 2]) <= 1e-6).all()
    assert income_gradient(income, band, 0.0) is None


def concentration_index(h, income):
    rank = (np.argsort(np.argsort(income, kind="stable")) + 0.5) / len(income)
    return 2 * np.cov(h, rank, bias=True)[0, 1] / h.mean()


def start(elasticity, households=20000):
    return Model(load_scenario(overrides=[
        f"health.chronic_onset_income_elasticity={elasticity}"]), seed=2,
        households=households)


def test_starting_prevalence_is_concentrated_among_the_poor_with_the_same_band_rates():
    flat, steep = start(0.0), start(0.47)
    out = {}
    for name, model in (("flat", flat), ("steep", steep)):
        P = model.pop.persons
        alive = P.alive
        ill = ((P.chronic != 0) | (P.major != NO_MAJOR))[alive].astype(float)
        income = health.household_income_pp(model)[P.hh[alive]]
        band = age_band_index(P.age[alive])
        out[name] = (concentration_index(ill, income),
                     np.bincount(band, weights=(P.chronic[alive] & 1) != 0) / np.bincount(band))
    assert out["steep"][0] < out["flat"][0] - 0.05
    assert out["steep"][0] < -0.04
    assert np.allclose(out["steep"][1], out["flat"][1], atol=0.015)


def test_the_poorer_half_has_more_chronic_onsets_at_the_same_ages():
    model = start(1.0, households=30000)
    P = model.pop.persons
    before = P.chronic.copy()
    for m in range(6):
        health.onsets(model, m)
    new = (P.chronic & ~before) != 0
    income = health.household_income_pp(model)[P.hh]
    at_risk = P.alive & (before == 0) & (P.age >= 45) & (P.age < 60)
    poor = income < np.median(income[at_risk])
    rate_poor = new[at_risk & poor].mean()
    rate_rich = new[at_risk & ~poor].mean()
    assert rate_poor > 1.5 * rate_rich
    assert model.onset_factor is not None
