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


def test_keyed_draws_are_the_documented_integer_hash():
    """Each draw is SplitMix64 of ``id * golden ^ salt``, top 53 bits: a pure-Python
    version of the module docstring's formula gives the same floats, bit for bit (so the
    numbers cannot depend on numpy's version or the machine)."""
    mask = (1 << 64) - 1
    golden = 0x9E3779B97F4A7C15

    def splitmix(z):
        z = (z + golden) & mask
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    s = Stream(42, "care")
    month, slot = 7, 2
    salt = (s.key ^ ((month + 1) * 0xD6E8FEB86659FD93) ^ ((slot + 1) * 0xA0761D6478BD642F)) & mask
    ids = [0, 1, 17, 123456789, 2**40 + 3]
    expected = [(splitmix(((i * golden) & mask) ^ salt) >> 11) / 2.0**53 for i in ids]
    for dtype in (np.int64, np.int32, np.uint64):
        if np.iinfo(dtype).max < max(ids):
            continue
        assert s.keyed(np.array(ids, dtype), month, slot).tolist() == expected


def test_keyed_slots_are_the_keyed_draws_of_each_slot():
    s = Stream(42, "care")
    for ids in (np.array([0, 5, 999, 2**40 + 3]), np.array([3, 1], np.int8), np.zeros(0, int)):
        slots = [0, 3, 40, 2]
        rows = s.keyed_slots(ids, 7, slots)
        assert rows.shape == (len(slots), len(ids))
        for row, slot in zip(rows, slots, strict=True):
            assert row.tobytes() == s.keyed(ids, 7, slot).tobytes()


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
    band = age_band_index(P.age[P.born])  # empty birth slots are no one yet
    for i, key in enumerate(AGE_BANDS):
        p = params["population"]["age_bands"][key]
        # households of children only get their adult by swapping ages with a household
        # of two or more adults, so the ages keep the profile (a redrawn adult would
        # leave about 0.9 points, 11 standard errors, fewer children)
        se = np.sqrt(p * (1 - p) / len(band))
        assert abs(np.mean(band == i) - p) < 4 * se, key


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


def test_earned_income_is_log_normal_around_the_group_median_without_a_floor():
    params = load_scenario().params
    H = build_population(params, Streams(3), households=20000).households
    per_person = H.earned_year / H.size
    for g, name in enumerate(GROUPS):
        mine = per_person[H.group == g]
        if len(mine) < 500:
            continue
        median = params["income"]["earned_median_yuan"][name]
        sd = params["income"]["earned_log_sd"][name]
        # the sample median of n log-normal draws: se of log median about 1.25 sd / sqrt(n)
        assert abs(np.log(np.median(mine) / median)) < 4 * 1.25 * sd / np.sqrt(len(mine))
    line = params["poverty"]["line_yuan"][2020]
    assert (per_person + H.transfer_pp_year < line).mean() > 0.01  # no floor


def test_registered_poor_are_the_lowest_incomes_of_their_group():
    scn = load_scenario("xinjiang_2019")
    params = scn.params
    H = build_population(params, Streams(4), households=10000).households
    per_person = H.earned_year / H.size + H.transfer_pp_year
    shares = params["population"]["registered_poor_share"]
    for g, name in enumerate(GROUPS):
        mine = H.group == g
        if not mine.any():
            continue
        reg = H.registered & mine
        assert reg.sum() == round(shares[name] * mine.sum())
        if reg.any() and (mine & ~reg).any():
            assert per_person[reg].max() <= per_person[mine & ~reg].min()
    assert not (H.registered & H.formerly_poor).any()
    assert not (H.cause_illness & ~(H.registered | H.formerly_poor)).any()
    assert 0.2 < H.cause_illness[H.registered].mean() < 0.8


def test_major_diseases_start_at_their_steady_state_prevalence():
    from sim.population import (
        background_deaths_per_year,
        major_incidence_per_year,
        major_years_in_state,
    )

    params = load_scenario().params
    majors = params["health"]["major"]
    pop = build_population(params, Streams(5), households=40000)
    P = pop.persons
    band = age_band_index(P.age)
    rates = major_incidence_per_year(majors, params["health"]["incidence_reference_ages"])[
        band * 2 + P.female]
    background = background_deaths_per_year(params["health"]["mortality_per_1000"])
    for k, rec in enumerate(majors):
        years = np.array([major_years_in_state(rec, b).sum() for b in background])[band]
        expected = (rates[:, k] * years)[P.born].sum()  # not the empty birth slots
        observed = (P.major == k).sum()
        assert abs(observed - expected) <= 4 * np.sqrt(expected) + 1, rec["name"]
    assert ((P.major_months >= 0) == P.major_found).all()  # found cases are in treatment
    assert (P.major != -1).sum() > 0


def test_major_disease_treatment_does_not_build_up_over_the_period(run_small):
    # 6,000 households (about 145 cases in treatment): the ratio of the last six months
    # to the first six was 0.80-1.06 at seeds 0-7 (at the 1,500 households of the shared
    # run it spread 0.78-1.34); it more than doubled when prevalence started at zero
    run = run_small(households=6000)
    m = run.monthly[run.monthly["group"] == "all"]
    first, last = m["major_in_treatment"].iloc[:6].mean(), m["major_in_treatment"].iloc[-6:].mean()
    assert 0.7 < last / first < 1.3



def test_an_age_profile_moves_cases_to_older_ages_and_keeps_the_reference_crude_rate():
    from sim.population import major_incidence_per_year

    params = load_scenario().params
    ref = params["health"]["incidence_reference_ages"]
    cancer = next(r for r in params["health"]["major"] if r["name"] == "digestive_cancers")
    flat = {**cancer, "incidence_age_rr": None}
    with_rr = major_incidence_per_year([cancer], ref)[0::2, 0]  # men, by band
    without = major_incidence_per_year([flat], ref)[0::2, 0]
    share = np.array([ref[b] for b in AGE_BANDS])
    # the reference population has as many cases either way
    assert (share * with_rr).sum() == pytest.approx((share * without).sum(), rel=1e-12)
    rr = cancer["incidence_age_rr"]
    b = {name: i for i, name in enumerate(AGE_BANDS)}
    assert with_rr[b["80+"]] / with_rr[b["45-59"]] == pytest.approx(rr["80+"] / rr["45-59"])
    assert with_rr[b["0-14"]] == 0.0
    assert with_rr[b["80+"]] > without[b["80+"]] and with_rr[b["45-59"]] < without[b["45-59"]]


def test_new_cancer_cases_in_a_run_follow_the_age_profile():
    """Onsets by age band in the engine are those of the profile, not of a flat rate.

    Each month every person still free of a major disease may start one with the monthly
    probability of the (band, sex) row; the expected count of each band adds those
    probabilities, with the profile and without it (the same crude rate at every age).
    """
    import sim.engine as engine
    from sim.engine import Model
    from sim.health import N_CHRONIC, monthly
    from sim.population import major_incidence_per_year

    sc = load_scenario()
    majors = sc.get("health.major")
    ref = sc.get("health.incidence_reference_ages")
    cancers = [i for i, r in enumerate(majors) if r["incidence_age_rr"] is not None]
    flat = monthly(major_incidence_per_year(
        [{**r, "incidence_age_rr": None} for r in majors], ref))[:, cancers].sum(axis=1)
    model = Model(sc, seed=2, households=20000)
    P = model.pop.persons
    profile = model.health.onset_parts[:, [N_CHRONIC + k for k in cancers]].sum(axis=1)
    seen = np.zeros(len(AGE_BANDS))
    want = np.zeros(len(AGE_BANDS))
    want_flat = np.zeros(len(AGE_BANDS))
    real = engine.Model.step

    def step(self, m):
        free = np.flatnonzero(P.alive & (P.major == -1))
        band = age_band_index(P.age[free])
        row = band * 2 + P.female[free]
        want[:] += np.bincount(band, profile[row], minlength=len(AGE_BANDS))
        want_flat[:] += np.bincount(band, flat[row], minlength=len(AGE_BANDS))
        real(self, m)
        new = free[np.isin(P.major[free], cancers)]
        seen[:] += np.bincount(age_band_index(P.age[new]), minlength=len(AGE_BANDS))

    engine.Model.step = step
    try:
        model.run()
    finally:
        engine.Model.step = real
    for b in ("45-59", "60-69", "70-79", "80+"):
        i = AGE_BANDS.index(b)
        assert abs(seen[i] - want[i]) < 4 * np.sqrt(want[i]), (b, seen[i], want[i])
    old, young = AGE_BANDS.index("80+"), AGE_BANDS.index("45-59")
    assert seen[old] > want_flat[old] + 4 * np.sqrt(want_flat[old])  # about 9 SE expected
    assert seen[young] < want_flat[young]  # about 4 SE expected: a direction, not a test
    # the counts of the adult bands together are far likelier under the profile than flat
    # (Poisson log-likelihood ratio: 53-84 at seeds 2-7; expected about -60 if onsets
    # were flat). 45-59 alone sits only about 4 standard errors below the flat rate, too
    # near a 4-SE bound: it passed or failed with the seed.
    adult = [AGE_BANDS.index(b) for b in ("45-59", "60-69", "70-79", "80+")]

    def loglik(mean):
        return float(np.sum(seen[adult] * np.log(mean[adult]) - mean[adult]))

    assert loglik(want) - loglik(want_flat) > 20
    assert seen[AGE_BANDS.index("0-14")] == 0
