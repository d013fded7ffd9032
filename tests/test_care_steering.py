"""Care-level steering and catalogue control: dated rules of where care happens and what
its bills hold (``care.level_shift``, ``care.catalogue``; seeds 000, 001, 003, 004),
inpatient fee reductions (``policies.fee_exemption.inpatient_bill_reduction``, seed 000) and
the procurement reward's cut of drug prices (``policies.cost_control.procurement_reward``,
seed 001).

Each rule switched on at a date moves its own pathway only: with the same seed (paired),
every month before the date is identical, and after it only the shifted care changes
level (one level down, at the lower level's bill and terms) or only the controlled bills
change; every other bill is the same, bill by bill.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import run_with_month_label

from sim import load_scenario
from sim.care import _pick_level, shift_down
from sim.engine import Model
from sim.hooks import Hooks
from sim.parameters import GROUPS, LEVELS
from sim.schema import ScenarioError
from sim.timeline import parse_month

# the monitoring budget and assistance tie households together: without it the pathways
# are separate
QUIET = ("policies.monitoring.enabled=false",)
TOWNSHIP, COUNTY = LEVELS.index("township"), LEVELS.index("county")
MONTHS, CHANGE = 24, 12          # the dated rule starts in the 13th reported month
DATE = "2022-01"                 # that month


def overlay(tmp_path, values: str) -> str:
    """A calendar overlay file setting ``values`` (TOML inline-table body) from DATE."""
    path = tmp_path / "change.toml"
    path.write_text(f'[[calendar.changes]]\nname = "rule"\ndate = "{DATE}"\n'
                    f'note = "test"\nset = {{ {values} }}\n', encoding="utf-8")
    return str(path)


def paired_run(monkeypatch, calendar=None, overrides=QUIET, households=1500):
    """One run of the default scenario; returns (results, the bills paid as a frame)."""
    rows = []
    original = Hooks.after_payment

    def record(self, kind, bills, paid):
        acute = kind == "inpatient" and bills.new_episode is None
        rows.append(pd.DataFrame({
            "kind": "admission" if acute else kind, "month": model.month_now,
            "person": bills.person, "group": bills.group, "level": bills.level,
            "amount": bills.amount,
            "scope": bills.scope, "oop": paid.oop}))
        original(self, kind, bills, paid)

    monkeypatch.setattr(Hooks, "after_payment", record)
    scn = load_scenario(None, list(overrides))
    if calendar:
        scn = scn.with_calendar(calendar)
    model = Model(scn.truncate(MONTHS), seed=5, households=households)
    res = run_with_month_label(model)
    bills = pd.concat(rows, ignore_index=True)
    # one bill per kind, month and person (a patient's merged chronic bill and a disease
    # billed alone share a key: left out), so that runs pair bill by bill
    return res, bills[~bills.duplicated(["kind", "month", "person"], keep=False)]


def all_rows(res) -> pd.DataFrame:
    return res.monthly[res.monthly["group"] == "all"].reset_index(drop=True)


def test_a_shift_moves_each_patient_at_most_one_level_down():
    shares = np.array([0.45, 0.30, 0.20, 0.05])
    moved = {"township": 0.2, "county": 0.5, "city": 1.0}
    new = shift_down(shares, moved)
    assert new == pytest.approx([0.45 + 0.06, 0.24 + 0.10, 0.10 + 0.05, 0.0])
    assert new.sum() == pytest.approx(1.0)
    u = np.random.default_rng(0).random(200_000)
    before, after = _pick_level(u, np.cumsum(shares)), _pick_level(u, np.cumsum(new))
    assert set(np.unique(before - after)) == {0, 1}
    for name, share in moved.items():
        k = LEVELS.index(name)
        assert (after[before == k] == k - 1).mean() == pytest.approx(share, abs=0.01)
    # no shift: the very same cumulative shares (results unchanged where the rule is off)
    assert np.array_equal(np.cumsum(shift_down(shares, {"county": 0.0})), np.cumsum(shares))


def test_steering_moves_admissions_from_county_to_township_from_its_date(monkeypatch,
                                                                         tmp_path):
    base, off = paired_run(monkeypatch)
    res, on = paired_run(monkeypatch, overlay(tmp_path, '"care.level_shift.inpatient.county"'
                                                        ' = 0.5'))
    b, s = all_rows(base), all_rows(res)
    pd.testing.assert_frame_equal(b.iloc[:CHANGE], s.iloc[:CHANGE])   # identical before
    later = slice(CHANGE, None)
    assert s["admissions_at_county"][later].sum() < 0.7 * b["admissions_at_county"][later].sum()
    assert s["admissions_at_township"][later].sum() > b["admissions_at_township"][later].sum()
    assert (s["admissions_at_city"][later].sum()
            == pytest.approx(b["admissions_at_city"][later].sum(), rel=0.05))
    # the moved admissions carry the township's bill and terms: lower out of pocket
    adm = [d[(d["kind"] == "admission") & (d["month"] >= DATE)] for d in (off, on)]
    assert adm[1]["oop"].mean() < adm[0]["oop"].mean()
    assert adm[1]["amount"].mean() < adm[0]["amount"].mean()
    # bill by bill: a patient admitted in the same month in both runs is at the same level
    # or one below, and only county admissions moved
    both = adm[0].merge(adm[1], on=["month", "person"], suffixes=("_off", "_on"))
    moved = both["level_on"] != both["level_off"]
    assert moved.any() and (both["level_off"][moved] == COUNTY).all()
    assert (both["level_on"][moved] == TOWNSHIP).all()
    assert both["oop_on"][moved].mean() < 0.6 * both["oop_off"][moved].mean()
    # the others hold the same bill, unless an earlier admission was forgone in one run
    # only (for want of cash, which the cheaper township care leaves more of): it comes
    # back dearer by care.delayed_admission_cost_factor (1 bill of 543 at seed 5)
    ratio = both["amount_on"][~moved] / both["amount_off"][~moved]
    f = load_scenario().get("care.delayed_admission_cost_factor")
    same = np.isclose(ratio, 1.0)
    assert (same | np.isclose(ratio, f) | np.isclose(ratio, 1 / f)).all()
    assert same.mean() > 0.99
    # outpatient care is another pathway: the same episodes at the same levels and bills
    out = [d[d["kind"] == "outpatient"] for d in (off, on)]
    same = out[0].merge(out[1], on=["month", "person"], suffixes=("_off", "_on"))
    assert len(same) > 0.95 * len(out[0]) and (same["level_on"] == same["level_off"]).all()
    assert np.allclose(same["amount_on"], same["amount_off"])


def test_catalogue_control_raises_the_in_scope_share_of_its_groups_bills_only(monkeypatch,
                                                                              tmp_path):
    _, off = paired_run(monkeypatch)
    cut = ('"care.catalogue.out_of_scope_cut.county" = 0.6, "care.catalogue.replaced_share" '
           '= 0.5, "care.catalogue.groups" = { extremely_poor = false, minimum_guarantee = '
           'false, formerly_poor = true, marginal = false, other = false }')
    _, on = paired_run(monkeypatch, overlay(tmp_path, cut))
    keys = ["kind", "month", "person"]
    both = off.merge(on, on=keys, suffixes=("_off", "_on"))
    hit = ((both["group_off"] == GROUPS.index("formerly_poor")) & (both["level_off"] == COUNTY)
           & (both["level_on"] == COUNTY) & (both["month"] >= DATE)).to_numpy()
    assert hit.sum() > 20
    h = both[hit]
    outside = h["amount_off"] - h["scope_off"]
    # a controlled bill: 60% of its out-of-catalogue part cut, half of that kept in scope
    assert np.allclose(h["amount_on"], h["amount_off"] - 0.3 * outside, rtol=1e-9)
    assert np.allclose(h["scope_on"], h["scope_off"] + 0.3 * outside, rtol=1e-9)
    # less out of pocket (bill by bill but for a few whose year-to-date deductibles and
    # caps, reached later, now count differently)
    assert h["oop_on"].sum() < 0.95 * h["oop_off"].sum()
    assert (h["oop_on"] <= h["oop_off"] + 1e-6).mean() > 0.9
    # every other bill is the same (groups, levels and months outside the rule)
    rest = both[~hit & (both["level_on"] == both["level_off"]).to_numpy()]
    assert np.allclose(rest["amount_on"], rest["amount_off"])
    assert np.allclose(rest["scope_on"], rest["scope_off"])


def test_inpatient_fee_reductions_lower_covered_admissions_and_count_their_cost(monkeypatch):
    base, off = paired_run(monkeypatch)
    res, on = paired_run(monkeypatch, overrides=QUIET + (
        "policies.fee_exemption.inpatient_bill_reduction=0.1",))
    assert base.value("fee_exemption_cost_yuan_total") < res.value(
        "fee_exemption_cost_yuan_total")
    assert all_rows(base)["fee_exemption_admissions"].sum() == 0
    assert all_rows(res)["fee_exemption_admissions"].sum() > 0
    adm = [d[d["kind"] == "admission"] for d in (off, on)]
    both = adm[0].merge(adm[1], on=["month", "person"], suffixes=("_off", "_on"))
    ratio = both["amount_on"] / both["amount_off"]
    assert set(np.round(ratio, 9)) == {0.9, 1.0}
    lowered = both[np.isclose(ratio, 0.9)]
    assert set(lowered["level_on"]) <= {TOWNSHIP, COUNTY}   # the exemption's levels
    # outpatient bills do not move
    out = [d[d["kind"] == "outpatient"] for d in (off, on)]
    same = out[0].merge(out[1], on=["month", "person"], suffixes=("_off", "_on"))
    assert np.allclose(same["amount_on"], same["amount_off"])


def test_procurement_reward_cuts_drug_bills_from_its_date_only(monkeypatch, tmp_path):
    base, off = paired_run(monkeypatch)
    reward = ('"policies.cost_control.procurement_reward.drug_price_cut" = 0.5, '
              '"policies.cost_control.procurement_reward.drug_share" = '
              '{ outpatient = 0.4, chronic = 0.6 }')
    res, on = paired_run(monkeypatch, overlay(tmp_path, reward))
    b, s = all_rows(base), all_rows(res)
    pd.testing.assert_frame_equal(b.iloc[:CHANGE], s.iloc[:CHANGE])   # identical before
    both = off.merge(on, on=["kind", "month", "person"], suffixes=("_off", "_on"))
    ratio = np.round(both["amount_on"] / both["amount_off"], 9)
    later = (both["month"] >= DATE).to_numpy()
    # from the date: the drug part of each bill at half price, 1 - 0.4 x 0.5 and 1 - 0.6 x 0.5
    for kind, factor in (("outpatient", 0.8), ("chronic", 0.7)):
        mine = (both["kind"] == kind).to_numpy()
        assert (mine & later).sum() > 100
        assert (ratio[mine & later] == factor).all()
        assert (ratio[mine & ~later] == 1.0).all()
    # admissions are another pathway: bill by bill the same (but for the few delayed from a
    # forgone outpatient episode, which cheaper outpatient care changes)
    adm = both[both["kind"] == "admission"]
    assert (np.isclose(adm["amount_on"], adm["amount_off"])).mean() > 0.95


@pytest.mark.parametrize("key, value, allowed", [
    ("policies.cost_control.procurement_reward.drug_price_cut", "1.5", "from 0 to 1"),
    ("policies.cost_control.procurement_reward.drug_share.inpatient", "0.5",
     "one of outpatient, chronic"),
    ("care.level_shift.inpatient.township", "0.1", "one of county, city"),
    ("care.level_shift.outpatient.village", "0.1", "one of township, county, city"),
    ("care.catalogue.out_of_scope_cut.county", "1.5", "from 0 to 1"),
    ("care.catalogue.replaced_share", "-0.1", "from 0 to 1"),
    ("policies.fee_exemption.inpatient_bill_reduction", "2", "from 0 to 1"),
])
def test_bad_values_name_the_key_and_what_is_allowed(key, value, allowed):
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, [f"{key}={value}"])
    assert key in str(err.value) and allowed in str(err.value)


@pytest.mark.parametrize("name, key, date", [
    ("mengzi_2021", "care.level_shift.inpatient.city", "2021-06"),
    ("longyan_2022", "care.level_shift.inpatient.county", "2023-01"),
    ("linyi_2021", "care.catalogue.out_of_scope_cut.county", "2021-09"),
    ("longyan_2022", "policies.cost_control.procurement_reward.drug_price_cut", "2023-01"),
])
def test_seed_scenarios_switch_their_rules_on_at_their_dates(name, key, date):
    scn = load_scenario(name)
    assert scn.get(key) == 0       # off at the start
    change = [c for c in scn.changes if key in c.values]
    assert [c.absolute_month for c in change] == [parse_month(date)]
    assert load_scenario(None).get(key) == 0 and not load_scenario(None).changes
