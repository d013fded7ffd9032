"""Quality of care by level (``care.quality.death_rr``, seeds 000, 002, 003).

A rate ratio per facility level on the deaths of the patients treated there: managed
chronic patients at their disease's care level, major-disease cases in treatment at their
disease's. Absent, every level is 1 and the tables are exactly the rates of the scenario.
A dated improvement (paired, same seed) moves nothing before its date, lowers the deaths
after it, and leaves the onsets and the bills of the care given in both runs as they were.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.engine import Model
from sim.health import HealthTables, excess_mortality_age_factor, monthly
from sim.hooks import Hooks
from sim.parameters import CHRONIC
from sim.schema import ScenarioError
from sim.timeline import parse_month

QUIET = ("policies.monitoring.enabled=false",)
MONTHS, CHANGE, DATE = 24, 12, "2022-01"


def test_the_factor_of_a_level_reaches_the_treated_at_that_level_only():
    params = load_scenario(None, ["care.quality.death_rr.county=0.5"]).params
    plain = HealthTables.from_params(load_scenario(None).params)
    t = HealthTables.from_params(params)
    chronic = params["health"]["chronic"]
    for d, name in enumerate(CHRONIC):
        county = chronic[name]["care_level"] == "county"
        managed = chronic[name]["excess_mortality_managed"] * (0.5 if county else 1.0)
        factor = excess_mortality_age_factor(chronic[name], params)
        assert t.excess_death[d, 1] == pytest.approx(monthly(managed * factor))
        assert (t.excess_death[d, 0] == plain.excess_death[d, 0]).all()  # unmanaged: no care
    at_county = t.major["level"] == 2
    assert at_county.any() and (~at_county).any()
    rates = [r["mortality_late"] for r in params["health"]["major"]]
    want = monthly(np.array(rates) * np.where(at_county, 0.5, 1.0))
    assert np.allclose(t.major["death_late"], want)
    assert np.array_equal(t.major["death_early"], plain.major["death_early"])    # untreated
    assert np.array_equal(t.major["death_untreated"], plain.major["death_untreated"])
    # absent: the scenario's rates exactly
    assert np.array_equal(plain.major["death_early_treated"], plain.major["death_early"])


def run(monkeypatch, calendar=None):
    """The default scenario for 24 months; returns (monthly 'all' rows, bills of care)."""
    rows = []
    original = Hooks.after_care

    def record(self, kind, bills):
        rows.append(pd.DataFrame({"kind": kind, "month": model.month_now,
                                  "person": bills.person, "amount": bills.amount,
                                  "level": bills.level}))
        original(self, kind, bills)

    monkeypatch.setattr(Hooks, "after_care", record)
    scn = load_scenario(None, list(QUIET))
    if calendar:
        scn = scn.with_calendar(calendar)
    model = Model(scn.truncate(MONTHS), seed=5, households=1500)
    res = run_with_month_label(model)
    return res.monthly[res.monthly["group"] == "all"].reset_index(drop=True), pd.concat(rows)


def test_a_dated_improvement_lowers_deaths_from_its_date_only(monkeypatch, tmp_path):
    overlay = tmp_path / "quality.toml"
    overlay.write_text(f'[[calendar.changes]]\nname = "quality"\ndate = "{DATE}"\n'
                       'note = "test"\nset = { "care.quality.death_rr.county" = 0.2, '
                       '"care.quality.death_rr.township" = 0.2, '
                       '"care.quality.death_rr.city" = 0.2 }\n', encoding="utf-8")
    base, off = run(monkeypatch)
    better, on = run(monkeypatch, str(overlay))
    pd.testing.assert_frame_equal(base.iloc[:CHANGE], better.iloc[:CHANGE])   # nothing before
    assert better["deaths"][CHANGE:].sum() < base["deaths"][CHANGE:].sum()
    assert better["major_deaths"][CHANGE:].sum() < 0.8 * base["major_deaths"][CHANGE:].sum()
    for name in ("chronic_onsets", "major_onsets"):   # other pathways as before
        assert better[name].sum() == pytest.approx(base[name].sum(), rel=0.02)
    # outpatient episodes given in both runs: same level, same bill
    op = [c[c["kind"] == "outpatient"] for c in (off, on)]
    both = op[0].merge(op[1], on=["month", "person"], suffixes=("_off", "_on"))
    assert len(both) > 0.95 * len(op[0])
    assert (both["level_on"] == both["level_off"]).all()
    assert np.allclose(both["amount_on"], both["amount_off"])


@pytest.mark.parametrize("scenario, month, county, township", [
    ("linyi_2021", "2022-12", 1.0, 1.0),        # seed 000: pairing, training, pay
    ("linyi_2021", "2023-01", 0.9, 0.9),
    ("mengzi_2021", "2021-12", 1.0, 0.92),      # seed 003: township standards
    ("mengzi_2021", "2022-01", 1.0, 0.9),
    ("xinjiang_2019", "2019-01", 0.91, 0.95),   # seed 002: pairing, rotation
    ("transition_2021_2025", "2025-12", 1.0, 1.0),
])
def test_the_seed_scenarios_improve_care_at_the_seed_dates(scenario, month, county, township):
    scn = load_scenario(scenario)
    params = scn.params
    for change in sorted(scn.changes, key=lambda c: c.absolute_month):
        if change.absolute_month <= parse_month(month):
            params = change.params
    rr = params["care"]["quality"]["death_rr"]
    assert (rr["county"], rr["township"], rr["village"], rr["city"]) == (
        county, township, 1.0, 1.0)


@pytest.mark.parametrize("setting, allowed", [
    ("care.quality.death_rr.county=-0.5", "from 0 to 10"),
    ("care.quality.death_rr={village = 1, township = 1, county = 1, hospital = 1}",
     "village, township, county, city"),
])
def test_bad_quality_values_name_the_key_and_what_is_allowed(setting, allowed):
    with pytest.raises(ScenarioError, match="care.quality.death_rr") as err:
        load_scenario(None, [setting])
    assert allowed in str(err.value)
