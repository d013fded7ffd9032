"""The reimbursement chain against hand-computed bills, and its accounting properties.

Rules are built here from explicit numbers (not from a scenario file), so each expected
value below can be recomputed by hand from the rules in ``make_rules``.
"""

import numpy as np
import pytest

from sim.parameters import GROUPS, LEVELS
from sim.payment import Bills, Ledger, PaymentRules, settle

G = {g: i for i, g in enumerate(GROUPS)}
L = {lv: i for i, lv in enumerate(LEVELS)}


def per_group(**values):
    return {g: values.get(g, values.get("default", 0)) for g in GROUPS}


IN_SCOPE = {"village": 1.0, "township": 0.9, "county": 0.85, "city": 0.75}


def make_rules(**changes) -> PaymentRules:
    params = {
        "payment": {
            "basic": {
                "inpatient_deductible_yuan": {"village": 100, "township": 200, "county": 500,
                                              "city": 1000},
                "inpatient_ratio": {"village": 0.9, "township": 0.85, "county": 0.75,
                                    "city": 0.6},
                "annual_cap_yuan": 150000, "ratio_bonus": per_group(default=0.0),
                "deductible_factor": per_group(default=1.0),
                "outpatient_ratio": 0.5, "outpatient_cap_yuan": 300,
                "chronic_ratio": 0.65, "chronic_cap_yuan": 5000, "special_ratio": 0.8,
            },
            "critical_illness": {
                "deductible_yuan": 10000, "ratio": 0.6, "annual_cap_yuan": 300000,
                "deductible_factor": per_group(formerly_poor=0.5, default=1.0),
                "ratio_bonus": per_group(formerly_poor=0.05, default=0.0),
                "uncapped": per_group(formerly_poor=True, default=False),
            },
            "assistance": {
                "eligible": per_group(formerly_poor=True, extremely_poor=True, default=False),
                "ratio": per_group(formerly_poor=0.7, extremely_poor=1.0, default=0.0),
                "deductible_yuan": per_group(default=0),
                "annual_cap_yuan": per_group(formerly_poor=50000, extremely_poor=100000,
                                             default=0),
                "covers_chronic_outpatient": True,
            },
            "supplemental": {"eligible": per_group(formerly_poor=True, default=False),
                             "target_share": 0.9, "annual_cap_yuan": 100000},
        },
    }
    for key, value in changes.items():
        node = params
        *path, last = key.split("__")
        for part in path:
            node = node[part]
        node[last] = value
    return PaymentRules.from_params(params)


def bills(group, level, amount, insured=True, tb=False):
    """Bills whose in-scope part follows IN_SCOPE by level."""
    n = len(amount)
    amount = np.asarray(amount, float)
    return Bills(person=np.arange(n), group=np.array([G[g] for g in group]),
                 level=np.array([L[x] for x in level]), amount=amount,
                 scope=amount * np.array([IN_SCOPE[x] for x in level]),
                 insured=np.full(n, insured), tb=np.full(n, tb))


def random_bills(rng, n, lognormal=(8, 1.5), tb_share=0.1, insured_share=0.9):
    amount = rng.lognormal(*lognormal, n)
    return Bills(person=np.arange(n), group=rng.integers(0, 5, n), level=rng.integers(0, 4, n),
                 amount=amount, scope=amount * rng.uniform(0.7, 1.0, n),
                 insured=rng.random(n) < insured_share, tb=rng.random(n) < tb_share)


def test_inpatient_other_group_basic_only():
    # 10,000 at county: in scope 8,500; (8,500 - 500) * 0.75 = 6,000 basic; CII below its
    # deductible; no assistance for "other"; out of pocket 4,000.
    paid = settle("inpatient", bills(["other"], ["county"], [10000]), Ledger(1), make_rules())
    assert paid.basic[0] == pytest.approx(6000)
    assert paid.critical_illness[0] == 0
    assert paid.assistance[0] == 0
    assert paid.oop[0] == pytest.approx(4000)


def test_a_course_pays_its_deductible_once_and_special_care_none():
    # three months of a course of 10,000 a month at county for "other": the first pays
    # (8,500 - 500) * 0.75 = 6,000, the next two 8,500 * 0.75 = 6,375 each
    ledger, rules = Ledger(1), make_rules()
    paid = []
    for first in (True, False, False):
        b = bills(["other"], ["county"], [10000])
        b.new_episode = np.array([first])
        paid.append(settle("inpatient", b, ledger, rules).basic[0])
    assert paid == pytest.approx([6000, 6375, 6375])
    # special-disease outpatient care: no deductible, at special_ratio 0.8 of 8,500
    special = settle("special", bills(["other"], ["county"], [10000]), Ledger(1), rules)
    assert special.basic[0] == pytest.approx(6800)
    assert special.oop[0] == pytest.approx(3200)


def test_inpatient_formerly_poor_all_four_layers():
    # 100,000 at city: in scope 75,000; basic (75,000 - 1,000) * 0.6 = 44,400;
    # left 30,600; CII deductible 10,000 * 0.5 = 5,000, ratio 0.65: 25,600 * 0.65 = 16,640;
    # left 13,960; assistance 0.7 * 13,960 = 9,772; paid 70,812; supplemental tops up to
    # 90% of the bill: 19,188; out of pocket 10,000.
    paid = settle("inpatient", bills(["formerly_poor"], ["city"], [100000]), Ledger(1),
                  make_rules())
    assert paid.basic[0] == pytest.approx(44400)
    assert paid.critical_illness[0] == pytest.approx(16640)
    assert paid.assistance[0] == pytest.approx(9772)
    assert paid.supplemental[0] == pytest.approx(19188)
    assert paid.oop[0] == pytest.approx(10000)


def test_basic_annual_cap_binds_on_second_bill():
    rules = make_rules(payment__basic__annual_cap_yuan=8000)
    ledger = Ledger(1)
    first = settle("inpatient", bills(["other"], ["county"], [10000]), ledger, rules)
    assert first.basic[0] == pytest.approx(6000)
    second = settle("inpatient", bills(["other"], ["county"], [10000]), ledger, rules)
    assert second.basic[0] == pytest.approx(2000)  # only 8,000 - 6,000 left under the cap
    ledger.reset()
    third = settle("inpatient", bills(["other"], ["county"], [10000]), ledger, rules)
    assert third.basic[0] == pytest.approx(6000)


def test_critical_illness_deductible_accumulates_over_the_year():
    # each bill leaves 2,500 in scope after basic (see the first test); CII (deductible
    # 10,000) pays 0.6 x the part of the running total above 10,000: nothing for bills 1-4,
    # 0.6 x 2,500 on bill 5.
    ledger, rules = Ledger(1), make_rules()
    ci = [settle("inpatient", bills(["other"], ["county"], [10000]), ledger, rules)
          .critical_illness[0] for _ in range(5)]
    assert ci[:4] == [0, 0, 0, 0]
    assert ci[4] == pytest.approx(1500)


def test_cap_removed_for_uncapped_group():
    rules = make_rules(payment__critical_illness__annual_cap_yuan=1000)
    capped = settle("inpatient", bills(["other"], ["city"], [400000]), Ledger(1), rules)
    uncapped = settle("inpatient", bills(["formerly_poor"], ["city"], [400000]), Ledger(1),
                      rules)
    assert capped.critical_illness[0] == pytest.approx(1000)
    # in scope 300,000; basic (300,000 - 1,000) x 0.6 = 179,400, capped at 150,000;
    # left 150,000; CII (150,000 - 5,000) x 0.65 = 94,250, no cap for the formerly poor
    assert uncapped.basic[0] == pytest.approx(150000)
    assert uncapped.critical_illness[0] == pytest.approx(94250)


def test_outpatient_pooling_and_its_cap():
    # 400 at township: in scope 360, 50% = 180; the second bill meets the 300 cap.
    ledger, rules = Ledger(1), make_rules()
    first = settle("outpatient", bills(["other"], ["township"], [400]), ledger, rules)
    second = settle("outpatient", bills(["other"], ["township"], [400]), ledger, rules)
    assert first.basic[0] == pytest.approx(180)
    assert second.basic[0] == pytest.approx(120)
    assert second.oop[0] == pytest.approx(280)


def test_chronic_outpatient_with_assistance():
    # 1,000 at township: in scope 900; basic 0.65 * 900 = 585; assistance 0.7 * 315 = 220.5
    paid = settle("chronic", bills(["formerly_poor"], ["township"], [1000]), Ledger(1),
                  make_rules())
    assert paid.basic[0] == pytest.approx(585)
    assert paid.assistance[0] == pytest.approx(220.5)
    assert paid.oop[0] == pytest.approx(194.5)


def test_payment_floor_tops_up_basic_insurance():
    rules = make_rules()
    op = bills(["other"], ["county"], [200], tb=True)
    assert settle("outpatient", op, Ledger(1), rules).oop[0] == pytest.approx(200 - 85)
    op.floor = np.array([1.0])  # e.g. tuberculosis examinations paid in full (seed 002)
    assert settle("outpatient", op, Ledger(1), rules).oop[0] == pytest.approx(0)
    ip = bills(["other"], ["county"], [10000], tb=True)
    ip.floor = np.array([0.9])
    paid = settle("inpatient", ip, Ledger(1), rules)
    assert paid.oop[0] == pytest.approx(1000)  # 90% paid in all
    assert paid.floor_topup[0] == pytest.approx(3000)  # on top of the ordinary 6,000
    uninsured = bills(["other"], ["county"], [10000], insured=False)
    uninsured.floor = np.array([0.9])
    assert settle("inpatient", uninsured, Ledger(1), rules).floor_topup[0] == 0


def test_uninsured_get_assistance_but_no_insurance():
    paid = settle("inpatient", bills(["formerly_poor"], ["county"], [10000], insured=False),
                  Ledger(1), make_rules())
    assert paid.basic[0] == paid.critical_illness[0] == paid.supplemental[0] == 0
    assert paid.assistance[0] == pytest.approx(0.7 * 8500)


def test_assistance_deductible_and_cap():
    rules = make_rules(payment__assistance__deductible_yuan=per_group(formerly_poor=1000),
                       payment__assistance__annual_cap_yuan=per_group(formerly_poor=600),
                       payment__supplemental__eligible=per_group(default=False))
    ledger = Ledger(1)
    # 10,000 at county leaves 2,500 in scope, CII pays nothing (deductible 5,000):
    # assistance 0.7 x (2,500 - 1,000) = 1,050, capped at 600
    paid = settle("inpatient", bills(["formerly_poor"], ["county"], [10000]), ledger, rules)
    assert paid.assistance[0] == pytest.approx(600)
    again = settle("inpatient", bills(["formerly_poor"], ["county"], [10000]), ledger, rules)
    assert again.assistance[0] == 0


@pytest.mark.parametrize("kind", ["outpatient", "chronic", "inpatient"])
def test_every_bill_is_fully_accounted_for(kind):
    n = 5000
    b = random_bills(np.random.default_rng(7), n)
    ledger, rules = Ledger(n), make_rules()
    for _ in range(3):  # year-to-date amounts grow over several bills
        paid = settle(kind, b, ledger, rules)
        parts = [paid.basic, paid.critical_illness, paid.assistance, paid.supplemental, paid.oop]
        assert np.allclose(sum(parts), b.amount, rtol=1e-12, atol=1e-6)
        for part in parts:
            assert (part >= -1e-9).all()


def test_more_generous_rules_never_raise_out_of_pocket():
    n = 3000
    b = random_bills(np.random.default_rng(3), n, (9, 1.2), tb_share=0.0, insured_share=1.0)
    base = settle("inpatient", b, Ledger(n), make_rules())
    generous = settle("inpatient", b, Ledger(n), make_rules(
        payment__basic__inpatient_ratio={"village": 0.95, "township": 0.9, "county": 0.85,
                                         "city": 0.75},
        payment__critical_illness__ratio=0.7))
    assert (generous.oop <= base.oop + 1e-9).all()
    assert generous.oop.sum() < base.oop.sum()


def test_the_ledger_writes_the_fields_it_is_given_and_keeps_the_others():
    ledger = Ledger(6)
    everyone = np.arange(6)

    def write(persons, new):
        return ledger.update(persons, (), lambda ytd: ("done", new))

    assert write(everyone, {"basic": np.arange(6) * 1.5, "ci": np.full(6, 7.0)}) == "done"
    persons = np.array([4, 1])
    write(persons, {"ci": np.array([0.1, 0.2])})  # stored as float32, as before
    seen = ledger.update(persons, ("ci", "basic"), lambda ytd: (ytd, {}))
    assert seen["ci"].tolist() == [np.float32(0.1), np.float32(0.2)]
    assert seen["basic"].tolist() == [6.0, 1.5]
    got = ledger.take(everyone, ("basic", "ci", "assistance"))
    assert got["basic"].tolist() == (np.arange(6) * 1.5).tolist()
    assert got["ci"].tolist() == [7.0, np.float32(0.2), 7.0, 7.0, np.float32(0.1), 7.0]
    assert got["ci"].dtype == np.float64 and not got["assistance"].any()
    ledger.clear(np.array([1]))
    assert ledger.take(np.array([1, 2]), ("basic",))["basic"].tolist() == [0.0, 3.0]
    ledger.reset()
    assert not ledger.take(everyone)["basic"].any()
