"""Health literacy as a dated effect on care seeking (``care.health_literacy``, seed 000).

``care.outpatient_seek`` holds at the literacy of the table's first year; a higher share of
literate residents later means fewer outpatient episodes without care. Switched on
(paired, same seed), it moves that pathway only: the episodes sought in both runs have the
same bills, and nothing changes while literacy stays at its first level.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.care import CareTables
from sim.engine import Model
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
])
def test_bad_literacy_values_name_the_key_and_what_is_allowed(setting, allowed):
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, [setting])
    assert "care.health_literacy" in str(err.value) and allowed in str(err.value)


def test_linyi_raises_literacy_five_points_over_the_transition():
    table = load_scenario("linyi_2021").get("care.health_literacy.share_by_year")
    assert table[2025] - table[2020] == pytest.approx(0.05)
    assert load_scenario(None).params["care"]["health_literacy"]["share_by_year"] is None
