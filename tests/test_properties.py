"""Property tests (Hypothesis) over random households and bills: out of pocket is never
negative and every bill is paid in full; the hardship classes partition households."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.parameters import GROUPS, LEVELS
from sim.payment import PAYERS, Bills, Ledger, settle
from sim.poverty import WE_CLASSES, hardship, household_budget, societal_poverty_line
from tests.test_payment import make_rules

N = st.integers(1, 40)
HP = {"ppp_yuan_per_dollar": 4.18, "ppp_year": 2017, "price_growth_per_year": 0.02,
      "extreme_line_dollars_per_day": 2.15, "societal_constant_dollars_per_day": 1.15,
      "societal_median_share": 0.5}


@st.composite
def bill_batches(draw):
    n = draw(N)
    amount = draw(arrays(float, n, elements=st.floats(0, 400_000)))
    scope_share = draw(arrays(float, n, elements=st.floats(0, 1)))
    bills = Bills(person=np.arange(n), group=draw(arrays(np.int64, n, elements=st.integers(
        0, len(GROUPS) - 1))), level=draw(arrays(np.int64, n, elements=st.integers(
            0, len(LEVELS) - 1))), amount=amount, scope=amount * scope_share,
        insured=draw(arrays(bool, n)), tb=draw(arrays(bool, n)))
    # courses that go on from an earlier month pay no new deductible; some bills carry a
    # payment floor (a share of the whole bill the layers must reach, e.g. free treatment)
    if draw(st.booleans()):
        bills.new_episode = draw(arrays(bool, n))
    if draw(st.booleans()):
        bills.floor = draw(arrays(float, n, elements=st.sampled_from([0.0, 0.5, 0.9, 1.0])))
    return bills


@settings(max_examples=150, deadline=None)
@given(batches=st.lists(bill_batches(), min_size=1, max_size=4),
       kinds=st.lists(st.sampled_from(["outpatient", "chronic", "inpatient", "special"]),
                      min_size=4, max_size=4))
def test_out_of_pocket_is_never_negative_and_bills_are_paid_in_full(batches, kinds):
    rules = make_rules()
    ledger = Ledger(40)  # the same persons come back: deductibles and caps carry over
    for bills, kind in zip(batches, kinds, strict=False):
        paid = settle(kind, bills, ledger, rules)
        assert (paid.oop >= -1e-6).all()
        for payer in PAYERS:
            assert (getattr(paid, payer) >= -1e-6).all(), payer
        total = sum(getattr(paid, p) for p in PAYERS)
        assert np.allclose(total, bills.amount, rtol=1e-9, atol=1e-6)


@st.composite
def household_years(draw):
    n = draw(N)
    size = draw(arrays(float, n, elements=st.integers(0, 8)))
    income = draw(arrays(float, n, elements=st.floats(0, 300_000)))
    oop = draw(arrays(float, n, elements=st.floats(0, 200_000)))
    oop = np.where(draw(arrays(bool, n)), 0.0, oop)  # many households spend nothing
    return income, oop, size


@settings(max_examples=200, deadline=None)
@given(households=household_years(), line=st.floats(1000, 10_000),
       budget=st.sampled_from(["consumption", "income"]))
def test_hardship_classes_partition_the_living_households(households, line, budget):
    income, oop, size = households
    total = household_budget(income, 0.8, budget)
    if (size > 0).any():
        spl = societal_poverty_line(total, size, HP, 2021)
        assert spl >= 2.15 * 365 * 4.18  # never below the extreme line
    else:
        spl = 8000.0
    flags = hardship(income, oop, size, line, spl, total)
    classes = np.stack([flags[f"we_{c}"] for c in WE_CLASSES])
    alive = size > 0
    assert (classes.sum(axis=0) == alive).all()  # exactly one class each, none for the dead
    assert not (flags["sdg_25"] & ~flags["sdg_10"]).any()
    assert not (flags["who_impoverished"] & ~flags["who_hardship"]).any()
    assert not (flags["who_further_impoverished"] & ~flags["who_hardship"]).any()
    for name, mask in flags.items():
        if name != "we_none":
            assert not (mask & (oop <= 0)).any(), name


@settings(max_examples=100, deadline=None)
@given(households=household_years(), line=st.floats(1000, 10_000))
def test_who_hardship_counts_consumption_whatever_the_original_budget(households, line):
    """SDG 3.8.2's original definition may divide by income; WHO 2025's discretionary
    budget is consumption above the societal line either way (DESIGN.md)."""
    income, oop, size = households
    consumption = household_budget(income, 0.8, "consumption")
    spl = 8000.0
    by_income = hardship(income, oop, size, line, spl, income, consumption)
    by_consumption = hardship(income, oop, size, line, spl, consumption)
    for name in ("who_hardship", "who_further_impoverished", "who_impoverished"):
        assert (by_income[name] == by_consumption[name]).all(), name
    assert not (by_income["sdg_10"] & ~by_consumption["sdg_10"]).any()  # income is larger


def test_societal_line_follows_the_simulated_median():
    size = np.array([1.0, 2.0, 3.0])
    budget = np.array([10_000.0, 40_000.0, 90_000.0])  # 10,000, 20,000, 30,000 per person
    # the (upper) median person of the 6 lives in the third household: 30,000
    dollars = 365 * 4.18 * 1.02 ** 4
    assert societal_poverty_line(budget, size, HP, 2021) == np.float64(
        1.15 * dollars + 0.5 * 30_000)
    poor = budget / 20
    assert societal_poverty_line(poor, size, HP, 2021) == 2.15 * dollars
