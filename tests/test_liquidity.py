"""Cash at hand, borrowing and debt (sim.liquidity): the month's budget, advances, deposits."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.liquidity import Liquidity


def wallet(cash, saver=True, debt=0.0):
    n = len(cash)
    liq = Liquidity(np.full(n, saver))
    liq.cash[:] = cash
    liq.debt[:] = debt
    return liq


def test_bills_come_out_of_income_first_then_cash_then_distress_financing():
    liq = wallet([1000.0, 1000.0, 1000.0])
    # income 2,000 each; bills 500 (paid from income), 2,500 (500 from cash), 4,000
    distress = liq.budget(np.full(3, 2000.0), np.array([500.0, 2500.0, 4000.0]), 0.2,
                          buffer=np.full(3, 6000.0))
    np.testing.assert_allclose(distress, [0.0, 0.0, 1000.0])
    np.testing.assert_allclose(liq.debt, [0.0, 0.0, 0.0])  # not carried as debt
    # the first saves 20% of the 1,500 left; the others have nothing left to save
    np.testing.assert_allclose(liq.cash, [1300.0, 500.0, 0.0])


def test_saving_repays_debt_first_and_fills_cash_up_to_the_buffer():
    liq = wallet([0.0, 900.0], debt=np.array([100.0, 0.0]))
    liq.budget(np.full(2, 1000.0), np.zeros(2), 0.2, buffer=np.full(2, 1000.0))
    np.testing.assert_allclose(liq.debt, [0.0, 0.0])
    np.testing.assert_allclose(liq.cash, [100.0, 1000.0])  # the second is capped


def test_the_hand_to_mouth_hold_no_cash_but_repay_their_debt():
    liq = wallet([0.0], saver=False, debt=300.0)
    for _ in range(3):
        liq.budget(np.array([1000.0]), np.zeros(1), 0.2, buffer=np.array([5000.0]))
    assert liq.cash[0] == 0.0 and liq.debt[0] == 0.0


def test_an_advance_is_paid_from_cash_and_comes_back_against_the_debt_first():
    liq = wallet([300.0, 1000.0])
    out = liq.advance(0, np.array([0, 1]), np.array([500.0, 500.0]), delay=2)
    np.testing.assert_allclose(out["borrowed"], [200.0, 0.0])
    np.testing.assert_allclose(liq.cash, [0.0, 500.0])
    assert not liq.repay_due(1).any()
    np.testing.assert_allclose(liq.repay_due(2), [500.0, 500.0])
    np.testing.assert_allclose(liq.debt, [0.0, 0.0])
    np.testing.assert_allclose(liq.cash, [300.0, 1000.0])  # back where they started


def test_interest_is_paid_from_cash_or_added_to_the_debt():
    liq = wallet([10.0, 0.0], debt=np.array([1200.0, 1200.0]))
    np.testing.assert_allclose(liq.interest(0.1), [10.0, 10.0])
    np.testing.assert_allclose(liq.cash, [0.0, 0.0])
    np.testing.assert_allclose(liq.debt, [1200.0, 1210.0])


def test_a_deposit_needs_that_much_cash_at_hand():
    # settlement off: every admission at a level with a deposit asks for it
    model = Model(load_scenario(overrides=["policies.settlement.enabled=false",
                                           "care.forgo_without_deposit=1"]),
                  seed=0, households=50)
    P = model.pop.persons
    person = np.flatnonzero(P.alive)[:1]
    levels = {"township": 1, "county": 2}
    deposit = model.care_tables.deposit
    assert deposit[levels["township"]] < deposit[levels["county"]]
    model.liquidity.cash[P.hh[person]] = (deposit[levels["township"]]
                                          + deposit[levels["county"]]) / 2
    u = np.zeros(1)
    blocked = {k: model.care.deposit_blocks(person, np.array([lv]), u)[0]
               for k, lv in levels.items()}
    assert blocked == {"township": False, "county": True}


def test_an_ended_household_s_debt_is_written_off_and_its_reimbursements_dropped():
    liq = wallet([100.0, 50.0], debt=np.array([300.0, 40.0]))
    liq.advance(0, np.array([0, 1]), np.array([200.0, 20.0]), delay=2)
    written = liq.write_off(np.array([0]))
    np.testing.assert_allclose(written, [400.0])  # 300 + the 100 of 200 beyond its cash
    assert liq.debt[0] == 0.0 and liq.cash[0] == 0.0
    np.testing.assert_allclose(liq.repay_due(2), [0.0, 20.0])  # the other still repaid


def test_no_ended_household_keeps_debt_in_a_run():
    """Ten years of the county without trends: households end, some of them in debt."""
    model = Model(load_scenario("steady_state"), seed=0, households=6000)
    res = model.run()
    H = model.pop.households
    assert (model.liquidity.debt[H.size == 0] == 0).all()
    written = res.monthly.loc[res.monthly.group == "all", "debt_written_off_yuan"].sum()
    assert written > 0
