"""Places inside a scenario: per-place payment terms and care rules in one population.

In xinjiang_2019 (seed 002) the households of the four southern prefectures get medical
assistance at 80% and the others at 70%, and those of the 22 deep-poverty counties (a place
inside the south) get the supplemental insurance that brings the four layers to 95%, in the
same run. In lianyungang_2018 (seed 004) the households of the two county medical alliances
have a fifth of their out-of-county admissions kept in the county from 2019, the others not.
"""

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.care import _pick_level, shift_down
from sim.engine import Model
from sim.hooks import Hooks
from sim.parameters import LEVELS
from sim.places import place_of_township
from sim.scenario import SCENARIO_DIR
from sim.schema import ScenarioError
from sim.timeline import parse_month


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


# ---- care rules by place (seed 004: the Guanyun and Guannan medical alliances) ----------
COUNTY, CITY = LEVELS.index("county"), LEVELS.index("city")


@pytest.fixture(scope="module")
def lianyungang_admissions():
    """Every acute admission of one small lianyungang_2018 run to 2019-12: engine month,
    person, level, the level's draw, and the household's place."""
    rows = []
    original = Hooks.after_care

    def record(self, kind, bills):
        if kind == "inpatient":
            rows.append(pd.DataFrame({"month": model.current_month, "person": bills.person,
                                      "level": bills.level}))
        original(self, kind, bills)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Hooks, "after_care", record)
        model = Model(load_scenario("lianyungang_2018").truncate(24), seed=0, households=8000)
        model.run()
    adm = pd.concat(rows, ignore_index=True)
    draw = model.streams["care_inpatient"]
    adm["u"] = np.concatenate([draw.keyed(g["person"].to_numpy(), m, 1)
                               for m, g in adm.groupby("month", sort=False)])
    adm["place"] = model.pplace[adm["person"].to_numpy()]
    adm["after"] = adm["month"] >= model.timeline.index(parse_month("2019-01"))
    return model, adm


def test_alliance_households_keep_admissions_in_the_county_from_the_date_and_others_not(
        lianyungang_admissions):
    model, adm = lianyungang_admissions
    shares = np.array([model.params["care"]["inpatient_levels"][k] for k in LEVELS])
    u = adm["u"].to_numpy()
    plain = _pick_level(u, np.cumsum(shares))
    kept = _pick_level(u, np.cumsum(shift_down(shares, {"city": 0.2})))
    alliance = (adm["place"] < 2).to_numpy()           # guanyun, guannan; 2: the rest
    after = adm["after"].to_numpy()
    band = plain != kept                                 # draws a fifth of city care moves
    assert (band & alliance & after).sum() > 10 and (band & ~alliance & after).sum() > 10
    assert (band & alliance & ~after).sum() > 5
    expected = np.where(alliance & after, kept, plain)
    assert (adm["level"].to_numpy() == expected).all()
    # from the date, in the alliances: city admissions of the band made at the county ...
    assert (adm["level"][band & alliance & after] == COUNTY).all()
    # ... and elsewhere, or before the date, still at the city
    assert (adm["level"][band & ~(alliance & after)] == CITY).all()


def test_the_alliances_carry_the_shift_and_the_city_does_not():
    scn = load_scenario("lianyungang_2018")
    assert [p["name"] for p in scn.get("population.places")] == ["guanyun", "guannan"]
    assert scn.get("care.level_shift.inpatient.city") == 0
    change, = [c for c in scn.changes if c.name == "out_of_county_referrals"]
    assert change.absolute_month == parse_month("2019-01")
    assert change.values == {f"places.{p}.care.level_shift.inpatient.city": 0.2
                             for p in ("guanyun", "guannan")}
    assert all(p["set"] == {} for p in scn.get("population.places"))
    assert all(p["set"] == {"care.level_shift.inpatient.city": 0.2}
               for p in change.params["population"]["places"])


def test_a_place_without_care_keys_has_the_scenarios_care():
    """A place with no keys of its own follows the scenario's care rules (and terms) exactly,
    here a scenario with care-level steering and catalogue control from the start."""
    care = ["care.level_shift.inpatient.city=0.3", "care.level_shift.outpatient.county=0.2",
            "care.catalogue.out_of_scope_cut.county=0.5"]
    a = Model(load_scenario(None, care).truncate(6), seed=2, households=400).run()
    b = Model(load_scenario(None, care + ['population.places=[{name="a", township_share=0.5}]']
                            ).truncate(6), seed=2, households=400).run()
    pd.testing.assert_frame_equal(a.monthly, b.monthly)


BAD_PLACES = [
    ('set = { "care.level_shfit.inpatient.city" = 0.2 }', "care.level_shfit",
     "level_shift"),
    ('set = { "care.outpatient_seek" = 0.5 }', "care.outpatient_seek",
     "care.level_shift, care.catalogue"),
    ('set = { "care.level_shift.inpatient.township" = 0.1 }',
     "care.level_shift.inpatient.township", "one of county, city"),
    ('set = { "care.catalogue.replaced_share" = 1.5 }', "care.catalogue.replaced_share",
     "from 0 to 1"),
]
BAD_CHANGES = [
    ("places.nowhere.care.level_shift.inpatient.city", "0.2", "guanyun, guannan"),
    ("places.guanyun.care.level_shift.inpatient.city", "1.5", "from 0 to 1"),
    ("places.guanyun.care.outpatient_seek", "0.5", "care.level_shift, care.catalogue"),
]


@pytest.mark.parametrize("place_set, key, allowed", BAD_PLACES)
def test_bad_care_keys_of_a_place_name_file_key_and_what_is_allowed(tmp_path, place_set, key,
                                                                     allowed):
    path = tmp_path / "bad_place.toml"
    path.write_text(f'[scenario]\nbase = "{SCENARIO_DIR / "lianyungang_2018.toml"}"\n'
                    'name = "bad"\n\n[[population.places]]\nname = "guanyun"\n'
                    f"township_share = 0.2\n{place_set}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    for piece in ("bad_place.toml", key, allowed):
        assert piece in str(err.value), (piece, str(err.value))


@pytest.mark.parametrize("key, value, allowed", BAD_CHANGES)
def test_bad_dated_care_keys_of_a_place_name_file_key_and_what_is_allowed(tmp_path, key, value,
                                                                          allowed):
    path = tmp_path / "bad_change.toml"
    path.write_text(f'[scenario]\nbase = "{SCENARIO_DIR / "lianyungang_2018.toml"}"\n'
                    'name = "bad"\n\n[[calendar.changes]]\nname = "bad"\n'
                    f'date = "2019-06"\nnote = "test"\nset = {{ "{key}" = {value} }}\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    for piece in ("bad_change.toml", key.split(".", 2)[2], allowed):
        assert piece in str(err.value), (piece, str(err.value))
