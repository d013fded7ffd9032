"""Severe disability and family-planning special families (seed 003's focus groups).

Both are statuses only (``health.severe_disability_share`` by age band,
``population.special_family_share``): they mark households that monitoring may target
(``policies.monitoring.disability_trigger``, ``special_family_trigger``; the paired test
that they move assistance and nothing else is in test_own_pathway.py).
"""

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.parameters import AGE_BANDS
from sim.population import severely_disabled, special_family
from sim.schema import ScenarioError


def model(overrides=(), households=4000):
    return Model(load_scenario(None, list(overrides)).truncate(1), seed=1,
                 households=households)


def test_the_shares_by_age_band_hold_and_disability_stays_with_age():
    m = model()
    P = m.pop.persons
    living = np.flatnonzero(P.alive)
    disabled = severely_disabled(m, living)
    shares = m.params["health"]["severe_disability_share"]
    for b, band in enumerate(AGE_BANDS):
        at = m.band[living] == b
        n, want = at.sum(), shares[band]
        assert abs(disabled[at].mean() - want) < 4 * np.sqrt(want * (1 - want) / n) + 1e-9
    older = m.band[living] < len(AGE_BANDS) - 1
    before = disabled.copy()
    m.band[living[older]] += 1                            # everyone a band older
    after = severely_disabled(m, living)
    assert (after | ~before).all()                        # no one recovers
    assert after.sum() > before.sum()


def test_special_families_are_the_share_of_households_and_fixed():
    m = model(["population.special_family_share=0.1"])
    hh = np.arange(m.pop.households.n)
    flag = special_family(m, hh)
    assert abs(flag.mean() - 0.1) < 4 * np.sqrt(0.09 / len(hh))
    assert np.array_equal(flag, special_family(m, hh))
    assert not special_family(model(["population.special_family_share=0"]), hh).any()


def test_mengzi_targets_the_focus_groups_and_the_default_does_not():
    mengzi = load_scenario("mengzi_2021").params["policies"]["monitoring"]
    assert mengzi["disability_trigger"] and mengzi["special_family_trigger"]
    default = load_scenario(None).params["policies"]["monitoring"]
    assert not default["disability_trigger"] and not default["special_family_trigger"]


@pytest.mark.parametrize("setting, key, allowed", [
    ('health.severe_disability_share={"0-14" = 0, "15-44" = 0, "45-59" = 0, "60-69" = 1.5, '
     '"70-79" = 0, "80+" = 0}', "health.severe_disability_share.60-69", "from 0 to 1"),
    ("population.special_family_share=-0.1", "population.special_family_share", "from 0 to 1"),
    ("policies.monitoring.disability_trigger=1", "policies.monitoring.disability_trigger",
     "true or false"),
])
def test_bad_values_name_the_key_and_what_is_allowed(setting, key, allowed):
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, [setting])
    assert key in str(err.value) and allowed in str(err.value)


def test_new_persons_draw_again_and_new_households_are_not_special_families():
    """A newborn in a slot, or a new household's member, does not inherit the slot's
    disability draw; a household of young adults formed in an ended one's slots is not a
    family-planning special family."""
    # no room for births: births and new households take the slots of the dead, whose
    # draws must not pass on
    sc = load_scenario(None, ["population.special_family_share=0.5",
                              "population.birth_slots=0"]).truncate(36)
    m = Model(sc, seed=2, households=3000)
    u0, s0 = m.disability_u.copy(), m.special_family_u.copy()
    born0 = m.pop.persons.born.copy()
    m.run()
    formed = np.flatnonzero(m.special_family_u == 1.0)
    assert len(formed) > 0 and (s0[formed] < 1.0).all()
    assert not special_family(m, formed).any()
    newcomers = np.flatnonzero(m.disability_u != u0)
    assert len(newcomers) > 0
    assert m.pop.persons.born[newcomers].all()
    assert born0[newcomers].any()  # slots held by someone before: a draw of their own
