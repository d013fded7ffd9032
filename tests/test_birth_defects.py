"""Congenital conditions, screening around birth and the free programmes of seeds 000, 004.

``health.major`` records with a ``birth_prevalence`` are conditions present from birth;
prenatal screening may diagnose them and the pregnancy may end, newborn screening finds
them at the early stage (``sim.birth_screening``); the measure ``birth_defects`` screens for
free, with its own reach and panel. Switched on from a date (paired, same seed), it moves
its own pathway only: every month before the date is identical, and after it the
pregnancies and newborns it reaches are screened, more cases are found, the programme pays,
and the outpatient episodes of everyone keep their bills.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.birth_screening import conditions_at_birth
from sim.engine import Model
from sim.hooks import Hooks
from sim.population import NO_MAJOR
from sim.scenario import get_path
from sim.schema import ScenarioError
from sim.timeline import parse_month

QUIET = ("policies.monitoring.enabled=false",)
# conditions made common so that a small run has cases; the county's own screening low, so
# that the programme reaches more (its panel adds a condition the county does not test)
COMMON = ("health.major.congenital_hypothyroidism.birth_prevalence=0.2",
          "health.major.congenital_adrenal_hyperplasia.birth_prevalence=0.1",
          "health.major.down_syndrome.birth_prevalence=0.3",
          "care.prenatal_screening.detection=0.9",
          "care.newborn_screening.coverage=0.3", "care.prenatal_screening.coverage=0.3",
          'policies.birth_defects.newborn.conditions=["congenital_hypothyroidism", '
          '"congenital_adrenal_hyperplasia"]',
          "policies.birth_defects.newborn.coverage=0.9",
          "policies.birth_defects.prenatal.coverage=0.9")
MONTHS, CHANGE, DATE = 24, 12, "2022-01"   # the programme starts in the 13th reported month


def test_conditions_at_birth_follow_the_birth_prevalences():
    scn = load_scenario(None, list(COMMON)).truncate(1)
    model = Model(scn, seed=1, households=50)
    names = [r["name"] for r in scn.params["health"]["major"]]
    cond = conditions_at_birth(model, np.arange(200_000), 0)
    for name, share in (("congenital_hypothyroidism", 0.2),
                        ("congenital_adrenal_hyperplasia", 0.1), ("down_syndrome", 0.3)):
        assert np.mean(cond == names.index(name)) == pytest.approx(share, abs=0.005)
    assert np.mean(cond == NO_MAJOR) == pytest.approx(0.4 - 0.0001 - 0.00017, abs=0.005)
    # the same person and month always carry the same condition
    assert (conditions_at_birth(model, np.arange(1000), 0) == cond[:1000]).all()


def run(monkeypatch, calendar=None, extra=()):
    """24 months from the default with common conditions; (monthly 'all' rows, bills)."""
    rows = []
    original = Hooks.after_care

    def record(self, kind, bills):
        if kind == "outpatient":
            rows.append(pd.DataFrame({"month": model.month_now, "person": bills.person,
                                      "amount": bills.amount, "level": bills.level}))
        original(self, kind, bills)

    monkeypatch.setattr(Hooks, "after_care", record)
    scn = load_scenario(None, [*QUIET, *COMMON, *extra])
    if calendar:
        scn = scn.with_calendar(calendar)
    # 3,000 households: about 70 births in the year after the date (at 1,500 the conditions
    # found at birth were 2 against 4, too few for "more than twice")
    model = Model(scn.truncate(MONTHS), seed=5, households=3000)
    res = run_with_month_label(model)
    return res.monthly[res.monthly["group"] == "all"].reset_index(drop=True), pd.concat(rows)


def test_the_programme_from_a_date_moves_its_own_pathway_only(monkeypatch, tmp_path):
    overlay = tmp_path / "free.toml"
    overlay.write_text(f'[[calendar.changes]]\nname = "free"\ndate = "{DATE}"\nnote = "t"\n'
                       'set = { "policies.birth_defects.enabled" = true }\n', encoding="utf-8")
    base, off = run(monkeypatch)
    free, on = run(monkeypatch, str(overlay))
    pd.testing.assert_frame_equal(base.iloc[:CHANGE], free.iloc[:CHANGE])   # nothing before
    after = slice(CHANGE, None)
    assert (base["birth_defects_cost_yuan"] == 0).all()
    assert free["birth_defects_newborns_screened"][after].sum() > 0
    # more newborns screened and tested for more: more conditions found at birth; more
    # pregnancies diagnosed and ended, so fewer births
    assert free["newborn_screened"][after].sum() > 2 * base["newborn_screened"][after].sum()
    assert free["congenital_found_at_birth"][after].sum() > 2 * base[
        "congenital_found_at_birth"][after].sum()
    assert free["pregnancies_ended"][after].sum() > 2 * base["pregnancies_ended"][after].sum()
    assert free["births"][after].sum() < base["births"][after].sum()
    # the outpatient episodes sought in both runs: same level, same bill
    both = off.merge(on, on=["month", "person"], suffixes=("_off", "_on"))
    assert len(both) > 0.98 * len(off)
    assert (both["level_on"] == both["level_off"]).all()
    assert np.allclose(both["amount_on"], both["amount_off"])
    for name in ("chronic_onsets", "major_onsets", "admissions"):   # other pathways
        assert free[name].sum() == pytest.approx(base[name].sum(), rel=0.02)


def test_the_programme_pays_its_fees_for_those_it_reaches():
    scn = load_scenario(None, [*QUIET, *COMMON, "policies.birth_defects.enabled=true"])
    res = Model(scn.truncate(MONTHS), seed=2, households=1500).run()
    m = res.monthly[res.monthly["group"] == "all"]
    p = scn.params["policies"]["birth_defects"]
    want = (m["birth_defects_couples_checked"].sum() * p["pre_pregnancy"]["cost_yuan"]
            + m["birth_defects_prenatal_screened"].sum() * p["prenatal"]["cost_yuan"]
            + m["birth_defects_newborns_screened"].sum() * p["newborn"]["cost_yuan"])
    assert m["birth_defects_cost_yuan"].sum() == pytest.approx(want)
    # the county's own 30% and the programme's 90% reach the same uniforms: 90% in all
    assert m["newborn_screened"].sum() == m["birth_defects_newborns_screened"].sum()
    assert m["birth_defects_newborns_screened"].sum() == pytest.approx(
        0.9 * m["births"].sum(), rel=0.1)
    assert m["pregnancies_ended"].sum() <= m["prenatal_diagnoses"].sum()


def test_a_case_found_at_birth_is_treated_before_harm_and_others_mostly_later():
    """The share of cases at the late stage is lower where newborns are screened."""
    def late_share(coverage):
        scn = load_scenario(None, [*QUIET, *COMMON, f"care.newborn_screening.coverage="
                                   f"{coverage}", "health.major.down_syndrome.birth_prevalence=0",
                                   "health.major.congenital_hypothyroidism.birth_prevalence=0.8"])
        model = Model(scn.truncate(MONTHS), seed=3, households=2000)
        model.run()
        P = model.pop.persons
        k = [r["name"] for r in scn.params["health"]["major"]].index(
            "congenital_hypothyroidism")
        born = P.alive & (P.major == k)   # none at the start: all born in the run
        return P.major_late[born].mean(), born.sum()

    none, n_none = late_share(0.0)
    every, n_every = late_share(1.0)
    assert n_none > 50 and n_every > 50
    assert every < 0.2 < 0.5 < none


@pytest.mark.parametrize("setting, key, allowed", [
    ("policies.birth_defects.newborn.coverage=1.5", "policies.birth_defects.newborn.coverage",
     "from 0 to 1"),
    ('care.newborn_screening.conditions=["phenylketonurea"]',
     "care.newborn_screening.conditions", "(birth_prevalence above 0) being phenylketonuria"),
    ('policies.birth_defects.prenatal.conditions=["down_syndrome", "down_syndrome"]',
     "policies.birth_defects.prenatal.conditions", "distinct names"),
    ("health.major.down_syndrome.ended_after_prenatal_diagnosis=2",
     "health.major.down_syndrome.ended_after_prenatal_diagnosis", "from 0 to 1"),
    ("health.major.down_syndrome.birth_prevalence=0.9995", "health.major",
     "birth prevalences that add up to at most 1"),
])
def test_bad_values_name_the_key_and_what_is_allowed(setting, key, allowed):
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, [setting])
    assert key in str(err.value) and allowed in str(err.value)


def params_at(scn, month: str) -> dict:
    params = scn.params
    for change in sorted(scn.changes, key=lambda c: c.absolute_month):
        if change.absolute_month <= parse_month(month):
            params = change.params
    return params


@pytest.mark.parametrize("scenario, month, values", [
    ("transition_2021_2025", "2021-01", {"policies.birth_defects.enabled": False}),
    ("linyi_2021", "2021-01", {   # seed 000: four diseases free, pre-pregnancy checks free
        "policies.birth_defects.enabled": True,
        "policies.birth_defects.newborn.conditions": [
            "phenylketonuria", "congenital_hypothyroidism", "congenital_adrenal_hyperplasia",
            "g6pd_deficiency"],
        "policies.birth_defects.prenatal.coverage": 0.0}),
    ("lianyungang_2018", "2018-06", {"policies.birth_defects.enabled": True,
                                     "policies.birth_defects.newborn.coverage": 0.0,
                                     "policies.birth_defects.prenatal.coverage": 0.0}),
    ("lianyungang_2018", "2018-07", {   # seed 004: free newborn and Down syndrome screening
        "policies.birth_defects.newborn.coverage": 0.9829,
        "policies.birth_defects.prenatal.coverage": 0.9288}),
])
def test_the_seed_scenarios_switch_the_programmes_on_at_their_dates(scenario, month, values):
    params = params_at(load_scenario(scenario), month)
    for key, want in values.items():
        assert get_path(params, key) == want, key
