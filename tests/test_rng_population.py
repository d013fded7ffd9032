"""Named random streams and the synthetic population."""

import numpy as np
import pytest
from scipy import stats

from sim import load_scenario
from sim.parameters import AGE_BANDS, GROUPS, HOUSEHOLD_SIZES
from sim.population import age_band_index, build_population
from sim.rng import Stream, Streams


def test_keyed_draws_do_not_depend_on_the_subset():
    s = Stream(42, "care")
    everyone = s.keyed(np.arange(1000), month=7, slot=2)
    some = s.keyed(np.array([5, 999, 17]), month=7, slot=2)
    assert np.array_equal(some, everyone[[5, 999, 17]])


def test_keyed_draws_differ_by_stream_month_slot_and_seed():
    ids = np.arange(2000)
    base = Stream(1, "a").keyed(ids, 3, 0)
    for other in (Stream(1, "b").keyed(ids, 3, 0), Stream(1, "a").keyed(ids, 4, 0),
                  Stream(1, "a").keyed(ids, 3, 1), Stream(2, "a").keyed(ids, 3, 0)):
        assert abs(np.corrcoef(base, other)[0, 1]) < 0.1


def test_keyed_draws_are_uniform_and_normals_normal():
    s = Stream(9, "x")
    u = s.keyed(np.arange(20000), 0, 0)
    assert (u >= 0).all() and (u < 1).all()
    # fixed seed, so the p-value is a fixed number; the tolerance guards against a biased
    # or structured generator
    assert stats.kstest(u, "uniform").pvalue > 0.001
    z = s.keyed_normal(np.arange(20000), 0, 1)
    assert stats.kstest(z, "norm").pvalue > 0.001


def test_population_draws_of_a_month_do_not_depend_on_earlier_use():
    a, b = Streams(5), Streams(5)
    a["onset"].population(0, 10)
    assert np.array_equal(a["onset"].population(3, 100), b["onset"].population(3, 100))


def test_same_seed_same_population_and_shares_match_the_profile():
    params = load_scenario().params
    pop = build_population(params, Streams(0), households=20000)
    again = build_population(params, Streams(0), households=20000)
    assert np.array_equal(pop.persons.age, again.persons.age)
    H, P = pop.households, pop.persons
    n = H.n
    # shares within 4 standard errors of the profile (explicit statistical tolerance)
    for table, values, keys, offset in (
            (params["population"]["group_shares"], H.group, GROUPS, 0),
            (params["population"]["household_size"], H.size, HOUSEHOLD_SIZES, 1)):
        for i, key in enumerate(keys):
            p = table[key]
            observed = np.mean(values == i + offset)
            assert abs(observed - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-9, key
    band = age_band_index(P.age)
    for i, key in enumerate(AGE_BANDS):
        p = params["population"]["age_bands"][key]
        # households without an adult get one, so children are slightly fewer
        assert abs(np.mean(band == i) - p) < 0.02, key


def test_every_household_has_an_adult_and_earnings_shares_sum_to_one():
    pop = build_population(load_scenario().params, Streams(1), households=5000)
    P, H = pop.persons, pop.households
    adults = np.bincount(P.hh, weights=P.age >= 18, minlength=H.n)
    assert (adults >= 1).all()
    shares = np.bincount(P.hh, weights=P.earn_share, minlength=H.n)
    assert np.allclose(shares, 1.0, atol=1e-5)


def test_chronic_prevalence_follows_the_profile():
    params = load_scenario().params
    pop = build_population(params, Streams(2), households=20000)
    band = age_band_index(pop.persons.age)
    prev = params["health"]["chronic"]["hypertension"]["prevalence"]
    expected = np.array([prev[b] for b in AGE_BANDS])[band].mean()
    observed = np.mean((pop.persons.chronic & 1) != 0)
    assert observed == pytest.approx(expected, abs=4 * np.sqrt(expected / len(band)))


def test_households_start_above_their_income_floor():
    scn = load_scenario()
    params = scn.params
    pop = build_population(params, Streams(3), households=20000)
    H = pop.households
    per_capita = H.earned_year / H.size + H.transfer_pp_year
    line = params["poverty"]["line_yuan"][2020]
    floors = np.array([params["income"]["start_floor_x_line"][g] for g in GROUPS])[H.group]
    floors = np.where(H.formerly_poor, params["income"]["formerly_poor_start_floor_x_line"],
                      floors)
    assert (per_capita >= floors * line * (1 - 1e-9)).all()
    free = load_scenario(overrides=["income.start_floor_x_line=0",
                                    "income.formerly_poor_start_floor_x_line=0"]).params
    H = build_population(free, Streams(3), households=20000).households
    assert (H.earned_year / H.size + H.transfer_pp_year < line).mean() > 0.01
