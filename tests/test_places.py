"""Places inside a scenario: per-place payment terms in one population (seed 002).

In xinjiang_2019 the households of the four southern prefectures get medical assistance at
80% and the others at 70%, and those of the 22 deep-poverty counties (a place inside the
south) get the supplemental insurance that brings the four layers to 95%, in the same run.
"""

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.hooks import Hooks
from sim.places import place_of_township
from sim.schema import ScenarioError


def test_townships_are_dealt_to_places_in_order():
    scn = load_scenario("xinjiang_2019")
    places = scn.get("population.places")
    assert [p["name"] for p in places] == ["deep_poor", "south"]
    where = place_of_township(scn.params)
    n = scn.get("population.townships")
    assert len(where) == n
    assert (where == 0).sum() == round(places[0]["township_share"] * n)
    edge = round((places[0]["township_share"] + places[1]["township_share"]) * n)
    assert (where <= 1).sum() == edge
    assert set(np.unique(where)) == {0, 1, 2}        # 2: the rest of the scenario


@pytest.fixture(scope="module")
def xinjiang_admissions():
    """Every inpatient bill of one small xinjiang_2019 run, what paid it, and its place."""
    rows = []
    original = Hooks.after_payment

    def record(self, kind, bills, paid):
        if kind == "inpatient":
            rows.append(pd.DataFrame({
                "person": bills.person, "group": bills.group, "scope": bills.scope,
                "amount": bills.amount, "insured": bills.insured,
                "left": bills.scope - (paid.basic - paid.floor_topup) - paid.critical_illness,
                "assistance": paid.assistance, "supplemental": paid.supplemental,
                "reimbursed": paid.total_reimbursed()}))
        original(self, kind, bills, paid)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Hooks, "after_payment", record)
        scn = load_scenario("xinjiang_2019")
        model = Model(scn, seed=0, households=1500)
        model.run()
    bills = pd.concat(rows, ignore_index=True)
    P, H = model.pop.persons, model.pop.households
    bills["place"] = place_of_township(scn.params)[H.township[P.hh[bills["person"].to_numpy()]]]
    return bills


def test_southern_households_get_80_percent_and_the_others_70_in_one_run(xinjiang_admissions):
    bills = xinjiang_admissions
    paid = bills[(bills["assistance"] > 0) & (bills["group"] == 2)]  # formerly poor
    ratio = (paid["assistance"] / paid["left"]).round(6)
    south = paid["place"] <= 1           # the deep-poverty counties and the rest of the south
    south, rest = ratio[south], ratio[~south]
    assert len(south) > 20 and len(rest) > 5, (len(south), len(rest))
    # the ratio of each bill is the place's (lower only where the annual cap binds)
    assert south.max() == pytest.approx(0.8) and south.mode()[0] == pytest.approx(0.8)
    assert rest.max() == pytest.approx(0.7) and rest.mode()[0] == pytest.approx(0.7)


def test_deeply_poor_counties_get_the_95_percent_target_and_the_others_not(xinjiang_admissions):
    """Seed 002: the four layers reach 95% for the deeply poor, in the deep-poverty counties."""
    bills = xinjiang_admissions
    poor = bills[bills["group"].isin([0, 1, 2]) & bills["insured"]]   # the eligible groups
    deep, other = poor[poor["place"] == 0], poor[poor["place"] != 0]
    assert len(deep) > 20 and len(other) > 10, (len(deep), len(other))
    share = (deep["reimbursed"] / deep["amount"]).round(6)
    topped = deep["supplemental"] > 0
    assert topped.mean() > 0.5                       # most bills need the top-up
    assert np.allclose(share[topped], 0.95)         # up to the target, never beyond
    assert (share >= 0.95 - 1e-6).all()              # the annual cap never binds here
    assert (other["supplemental"] == 0).all()        # the ordinary chain: no top-up
    assert ((other["reimbursed"] / other["amount"]) < 0.95 - 1e-6).mean() > 0.5


def test_a_scenario_without_places_settles_as_before():
    a = Model(load_scenario(None).truncate(6), seed=2, households=400).run()
    b = Model(load_scenario(None, ["population.places=[]"]).truncate(6), seed=2,
              households=400).run()
    pd.testing.assert_frame_equal(a.monthly, b.monthly)


@pytest.mark.parametrize("override, message", [
    ('population.places=[{name="a", township_share=0.6, set={"payment.assistance.ratio" = 0.8}},'
     ' {name="b", township_share=0.6, set={"payment.assistance.ratio" = 0.8}}]',
     "add up to"),
    ('population.places=[{name="a", township_share=0.5, set={"income.growth_per_year" = 0.1}}]',
     "payment"),
    ('population.places=[{name="a", township_share=0.5, set={"payment.assistance.ratoi" = 0.8}}]',
     "unknown key"),
])
def test_place_terms_are_checked_when_the_scenario_loads(override, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(None, [override])
