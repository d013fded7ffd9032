"""Places inside a scenario: per-place payment terms in one population (seed 002).

In xinjiang_2019 the households of the four southern prefectures get medical assistance at
80% and the others at 70%, in the same run.
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
    assert [p["name"] for p in places] == ["south"]
    where = place_of_township(scn.params)
    n = scn.get("population.townships")
    assert len(where) == n
    assert (where == 0).sum() == round(places[0]["township_share"] * n)
    assert set(np.unique(where)) == {0, 1}           # 1: the rest of the scenario


def test_southern_households_get_80_percent_and_the_others_70_in_one_run(monkeypatch):
    rows = []
    original = Hooks.after_payment

    def record(self, kind, bills, paid):
        if kind == "inpatient":
            rows.append(pd.DataFrame({
                "person": bills.person, "group": bills.group, "scope": bills.scope,
                "left": bills.scope - (paid.basic - paid.floor_topup) - paid.critical_illness,
                "assistance": paid.assistance}))
        original(self, kind, bills, paid)

    monkeypatch.setattr(Hooks, "after_payment", record)
    scn = load_scenario("xinjiang_2019")
    model = Model(scn, seed=0, households=1500)
    model.run()
    bills = pd.concat(rows, ignore_index=True)
    P, H = model.pop.persons, model.pop.households
    where = place_of_township(scn.params)[H.township[P.hh[bills["person"].to_numpy()]]]
    bills["south"] = where == 0
    paid = bills[(bills["assistance"] > 0) & (bills["group"] == 2)]  # formerly poor
    ratio = (paid["assistance"] / paid["left"]).round(6)
    south, rest = ratio[paid["south"]], ratio[~paid["south"]]
    assert len(south) > 20 and len(rest) > 5, (len(south), len(rest))
    # the ratio of each bill is the place's (lower only where the annual cap binds)
    assert south.max() == pytest.approx(0.8) and south.mode()[0] == pytest.approx(0.8)
    assert rest.max() == pytest.approx(0.7) and rest.mode()[0] == pytest.approx(0.7)


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
