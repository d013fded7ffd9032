"""Health literacy as a dated effect on care seeking and on prevention
(``care.health_literacy``, seeds 000, 001).

``care.outpatient_seek`` holds at the literacy of the table's first year; a higher share of
literate residents later means fewer outpatient episodes without care. Switched on
(paired, same seed), it moves that pathway only: the episodes sought in both runs have the
same bills, and nothing changes while literacy stays at its first level. Its prevention
pathway (``onset_rr_literate``) scales chronic onset the same way: switched on alone it
lowers chronic onsets from the first year literacy rises, and leaves major onsets and the
bills of the outpatient episodes of both runs as they were.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.care import CareTables
from sim.engine import Model
from sim.health import HealthTables
from sim.hooks import Hooks
from sim.schema import ScenarioError

QUIET = ("policies.monitoring.enabled=false",)
RISING = ("care.health_literacy.share_by_year={2020 = 0.2, 2021 = 0.2, 2022 = 0.8}",
          "care.health_literacy.forgo_rr_literate=0.3")


def test_seeking_follows_the_change_in_literacy_since_the_first_year():
    params = load_scenario(None, list(RISING)).params
    ct = CareTables.from_params(params)
    seek = params["care"]["outpatient_seek"]
    assert ct.outpatient_seek_in(2020) == pytest.approx(seek)
    assert ct.outpatient_seek_in(2021) == pytest.approx(seek)
    # forgone: (1 - 0.2) + 0.2 x 0.3 = 0.86 of the non-literate rate at the start; 0.44 later
    assert 1 - ct.outpatient_seek_in(2023) == pytest.approx((1 - seek) * 0.44 / 0.86)
    plain = CareTables.from_params(load_scenario(None).params)
    assert plain.outpatient_seek_in(2025) == seek     # absent: no effect at all


def run(monkeypatch, overrides):
    rows = []
    original = Hooks.after_care

    def record(self, kind, bills):
        if kind == "outpatient":
            rows.append(pd.DataFrame({"month": model.month_now, "person": bills.person,
                                      "amount": bills.amount, "level": bills.level}))
        original(self, kind, bills)

    monkeypatch.setattr(Hooks, "after_care", record)
    scn = load_scenario(None, list(QUIET + overrides)).truncate(24)
    model = Model(scn, seed=7, households=1500)
    res = run_with_month_label(model)
    return res.monthly[res.monthly["group"] == "all"].reset_index(drop=True), pd.concat(rows)


def test_rising_literacy_lowers_forgone_outpatient_care_only(monkeypatch):
    base, off = run(monkeypatch, ())
    lit, on = run(monkeypatch, RISING)
    # 2021: literacy as in the first year, every month identical
    pd.testing.assert_frame_equal(base.iloc[:12], lit.iloc[:12])
    assert lit["outpatient_forgone"][12:].sum() < 0.9 * base["outpatient_forgone"][12:].sum()
    assert lit["outpatient_episodes"][12:].sum() > base["outpatient_episodes"][12:].sum()
    # the episodes sought in both runs: same level, same bill
    both = off.merge(on, on=["month", "person"], suffixes=("_off", "_on"))
    assert len(both) > 0.95 * len(off)
    assert (both["level_on"] == both["level_off"]).all()
    assert np.allclose(both["amount_on"], both["amount_off"])
    # other pathways: chronic and major onsets as before (within the few deaths that move)
    for name in ("chronic_onsets", "major_onsets"):
        assert lit[name].sum() == pytest.approx(base[name].sum(), rel=0.02)


@pytest.mark.parametrize("setting, allowed", [
    ("care.health_literacy.share_by_year={2021 = 1.2}", "from 0 to 1"),
    ("care.health_literacy.share_by_year={1800 = 0.2}", "a year from 1990 to 2100"),
    ("care.health_literacy.forgo_rr_literate=1.5", "from 0 to 1"),
    ("care.health_literacy.onset_rr_literate.hypertension=1.5", "from 0 to 1"),
    ("care.health_literacy.onset_rr_literate={cancer = 0.5}", "hypertension"),
])
def test_bad_literacy_values_name_the_key_and_what_is_allowed(setting, allowed):
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, [setting])
    assert "care.health_literacy" in str(err.value) and allowed in str(err.value)


def test_linyi_raises_literacy_five_points_over_the_transition():
    table = load_scenario("linyi_2021").get("care.health_literacy.share_by_year")
    assert table[2025] - table[2020] == pytest.approx(0.05)
    assert load_scenario(None).params["care"]["health_literacy"]["share_by_year"] is None


PREVENTION = ("care.health_literacy.share_by_year={2020 = 0.2, 2021 = 0.2, 2022 = 0.8}",
              "care.health_literacy.onset_rr_literate={hypertension = 0.3, diabetes = 0.3, "
              "tuberculosis = 1, severe_mental = 1}")


def test_onset_follows_the_change_in_literacy_since_the_first_year():
    t = HealthTables.from_params(load_scenario(None, list(PREVENTION)).params)
    assert np.allclose(t.literacy_onset_factor(2021), 1.0)
    # hypertension and diabetes: (1 - 0.8 x 0.7) / (1 - 0.2 x 0.7) = 0.44 / 0.86 of the start
    assert t.literacy_onset_factor(2023) == pytest.approx([0.44 / 0.86] * 2 + [1.0, 1.0])
    before = t.onset_cum.copy()
    t.set_year(2023)
    grew = np.diff(np.concatenate([np.zeros((len(before), 1)), t.onset_cum], axis=1), axis=1)
    assert np.allclose(grew[:, :2], t.onset_parts[:, :2] * 0.44 / 0.86)
    assert np.allclose(grew[:, 2:], t.onset_parts[:, 2:])       # TB, mental, major kinds
    assert (t.onset_cum[2:, -1] < before[2:, -1]).all()         # adults (children: none)
    plain = HealthTables.from_params(load_scenario(None).params)
    assert plain.literacy_by_year is None                       # absent: no effect at all
    assert np.allclose(plain.literacy_onset_factor(2025), 1.0)


def test_literacy_prevention_lowers_chronic_onset_only(monkeypatch):
    """Literacy rising with care seeking unchanged (forgo_rr 1): switched on, prevention
    moves nothing in 2021 and lowers chronic onsets from 2022 by about the mix factor; major
    onsets and the bills of the outpatient episodes of both runs stay."""
    off_rr = ("care.health_literacy.onset_rr_literate=1",)
    base, off = run(monkeypatch, (*PREVENTION, *off_rr))
    lit, on = run(monkeypatch, PREVENTION)
    pd.testing.assert_frame_equal(base.iloc[:12], lit.iloc[:12])
    ratio = lit["chronic_onsets"][12:].sum() / base["chronic_onsets"][12:].sum()
    assert 0.4 < ratio < 0.85       # hypertension and diabetes x 0.51, TB and mental as before
    # major kinds keep their probabilities; which persons draw them moves with the
    # chronic intervals below them (one uniform a person-month), so the counts (about 25)
    # agree within chance, not exactly
    major_base = base["major_onsets"].sum()
    assert abs(lit["major_onsets"].sum() - major_base) <= 2 * np.sqrt(major_base)
    both = off.merge(on, on=["month", "person"], suffixes=("_off", "_on"))
    assert len(both) > 0.95 * len(off)
    assert (both["level_on"] == both["level_off"]).all()
    assert np.allclose(both["amount_on"], both["amount_off"])


def test_linyi_and_longyan_literacy_prevents_hypertension_and_diabetes():
    for name in ("linyi_2021", "longyan_2022"):
        rr = load_scenario(name).get("care.health_literacy.onset_rr_literate")
        assert rr == {"hypertension": 0.9, "diabetes": 0.9, "tuberculosis": 1.0,
                      "severe_mental": 1.0}
    assert load_scenario(None).get("care.health_literacy.onset_rr_literate") == dict.fromkeys(
        ("hypertension", "diabetes", "tuberculosis", "severe_mental"), 1.0)
