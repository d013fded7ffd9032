"""Budgets: the frontier against hand-worked examples, choices, EVPI, and a small batch."""

import numpy as np
import pandas as pd
import pytest

from models.batch import run_batch
from models.budget import BudgetAnalysis, budget_analysis, frontier
from sim import load_scenario


def test_frontier_with_strong_and_extended_dominance():
    # A: nothing. B: ICER 10. C: 30 vs B, but D is 20 vs C -> C extendedly dominated;
    # D vs B: 200 / 10 = 20. E costs more than C and averts fewer: dominated.
    f = frontier([0, 100, 220, 300, 250], [0, 10, 14, 20, 12], list("ABCDE")).set_index(
        "package")
    assert list(f["status"]) == ["frontier", "frontier", "extendedly dominated", "frontier",
                                 "dominated"]
    assert np.isnan(f.loc["A", "icer"])
    assert f.loc["B", "icer"] == pytest.approx(10)
    assert f.loc["D", "icer"] == pytest.approx(20)
    assert np.isnan(f.loc["C", "icer"]) and np.isnan(f.loc["E", "icer"])


def test_frontier_repeats_extended_dominance_until_icers_increase():
    # ICERs along cost: B 10/1 = 10, C 13/1 = 13, D 50/5 = 10 -> C out; then B->D is
    # 63/6 = 10.5 > A->B 10: fine. Then E: 300 more for 2 -> 150.
    f = frontier([0, 10, 23, 73, 373], [0, 1, 2, 7, 9], list("ABCDE")).set_index("package")
    assert f["status"].to_dict() == {"A": "frontier", "B": "frontier",
                                     "C": "extendedly dominated", "D": "frontier",
                                     "E": "frontier"}
    assert f.loc["D", "icer"] == pytest.approx(63 / 6)
    # removing one exposes another: B (10), C (11 vs B), D (5 vs C) -> C out; then
    # B->D is 16/2 = 8 < A->B 10 -> B out too; D vs A: 26/3
    g = frontier([0, 10, 21, 26], [0, 1, 2, 3], list("ABCD")).set_index("package")
    assert list(g["status"]) == ["frontier", "extendedly dominated", "extendedly dominated",
                                 "frontier"]
    assert g.loc["D", "icer"] == pytest.approx(26 / 3)


def test_frontier_ties_and_equal_costs():
    f = frontier([0, 5, 5, 5], [0, 3, 4, 4], list("ABCD")).set_index("package")
    assert f.loc["C", "status"] == "frontier"
    assert f.loc["B", "status"] == "dominated" and f.loc["D", "status"] == "dominated"
    with pytest.raises(ValueError, match="same"):
        frontier([0, 1], [0])


def hand(cost, cases):
    return BudgetAnalysis.from_samples(pd.DataFrame(cost), pd.DataFrame(cases), "none")


def test_best_under_budget_probability_and_evpi():
    # 4 samples; cheap averts 2,2,2,2; dear averts 5,1,5,1 (mean 3); "none" is comparator
    b = hand({"none": [0.0] * 4, "cheap": [10.0] * 4, "dear": [30.0] * 4},
             {"none": [10.0] * 4, "cheap": [8.0] * 4, "dear": [5.0, 9.0, 5.0, 9.0]})
    assert b.best(5)["package"] == "none"
    low = b.best(15)
    assert low["package"] == "cheap" and low["probability_best"] == 1 and low[
        "evpi_cases"] == 0
    high = b.best(40)
    assert high["package"] == "dear"
    assert high["probability_best"] == pytest.approx(0.5)
    assert high["evpi_cases"] == pytest.approx((5 + 2 + 5 + 2) / 4 - 3)
    curve = b.budget_curve([0, 15, 40])
    assert curve.groupby("budget_yuan")["probability_best"].sum().tolist() == [1, 1, 1]
    assert list(curve[curve["chosen"]]["package"]) == ["none", "cheap", "dear"]


def test_evpi_is_zero_when_one_package_dominates_in_every_sample():
    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, 8)
    b = hand({"none": np.zeros(8), "a": np.full(8, 5.0), "b": np.full(8, 5.0)},
             {"none": base, "a": base - 3 - rng.random(8), "b": base - 1})
    assert b.best(10)["evpi_cases"] == 0 and b.best(10)["probability_best"] == 1
    ce = b.ceac([0, 1, 100])
    assert (ce["evpi_yuan"] >= 0).all()
    assert (ce[ce["wtp_yuan_per_case"] == 100].set_index("package")
            ["probability_optimal"]["a"] == 1)


def test_ceac_probabilities_sum_to_one_and_evpi_is_never_negative():
    rng = np.random.default_rng(2)
    b = hand({p: rng.normal(m, 3, 20) for p, m in (("none", 0), ("x", 10), ("y", 20))},
             {p: rng.normal(m, 2, 20) for p, m in (("none", 50), ("x", 47), ("y", 45))})
    ce = b.ceac()
    assert np.allclose(ce.groupby("wtp_yuan_per_case")["probability_optimal"].sum(), 1)
    assert (ce["evpi_yuan"] >= 0).all()
    # at zero willingness to pay the cheapest in expectation is optimal
    assert ce[(ce["wtp_yuan_per_case"] == 0) & ce["optimal_in_expectation"]][
        "package"].item() == "none"


def test_budget_analysis_of_a_small_batch():
    scn = load_scenario().truncate(24)
    batch = run_batch(scn, {"none": {"policies.monitoring.enabled": False,
                                     "policies.contracts.enabled": False},
                            "monitoring": {"policies.contracts.enabled": False},
                            "both": {}}, reps=3, households=600)
    b = budget_analysis(batch, "none")
    t = b.to_frame().set_index("package")
    assert t.loc["none", "incremental_cost_yuan"] == 0 and t.loc["none", "cases_averted"] == 0
    assert t.loc["both", "incremental_cost_yuan"] > t.loc["monitoring", "incremental_cost_yuan"]
    assert set(t["status"]) <= {"frontier", "dominated", "extendedly dominated"}
    assert t["interval"].str.startswith("chance only").all()
    costs = b.costs()
    row = costs[(costs["package"] == "monitoring") & (costs["payer"] == "monitoring_cost")]
    assert row["incremental_yuan"].item() > 0
    programme = budget_analysis(batch, "none", perspective="programme")
    assert (programme.cost.sum(axis=1) < b.cost.sum(axis=1)).all()
    # public outlays: the measures, the care payers and the groups' transfers, once each
    parts = ["basic", "critical_illness", "assistance", "supplemental", "transfers"]
    expected = programme.cost + sum(batch.wide(f"{p}_yuan_total") for p in parts)
    pd.testing.assert_frame_equal(b.cost, expected.loc[b.cost.index])
    # monitoring moves households into the minimum guarantee: its transfers are its costs
    transfers = costs[(costs["package"] == "monitoring") & (costs["payer"] == "transfers")]
    assert transfers["incremental_yuan"].item() > 0
    assert transfers["paid_by"].item() == "civil_affairs"
    assert row["paid_by"].item() == "medical_assistance"
    for kind in ("frontier", "budget", "ceac"):
        assert b.plot(kind).axes
    assert "probability best" in b.summary(budget_yuan=1e9)
    with pytest.raises(ValueError, match="comparator"):
        budget_analysis(batch, "nothing")


def test_select_keeps_the_comparator():
    b = hand({"none": [0.0, 0.0], "a": [1.0, 1.0], "b": [2.0, 2.0]},
             {"none": [5.0, 5.0], "a": [4.0, 4.0], "b": [3.0, 3.0]})
    s = b.select(["b"])
    assert s.packages == ["none", "b"] and s.best(10)["package"] == "b"
    with pytest.raises(ValueError, match="unknown"):
        b.select(["c"])


def test_posterior_draws_make_budget_intervals_carry_parameter_uncertainty():
    cost = {"none": np.zeros(6), "a": np.full(6, 5.0)}
    cases = {"none": np.full(6, 10.0), "a": np.array([9.0, 8.0, 7.0, 9.0, 6.0, 5.0])}
    b = BudgetAnalysis.from_samples(cost, cases, "none", draws=[0, 0, 1, 1, 2, 2])
    ci = b.conf_int().set_index(["quantity", "package"])
    assert ci.loc[("cases_averted", "a"), "interval"].startswith("parameter uncertainty")
    assert ci.loc[("cases_averted", "a"), "lo"] == pytest.approx(np.quantile([1.5, 2, 4.5],
                                                                             0.025))


def test_public_outlays_count_a_payment_floor_once():
    # a floor's top-ups are in its measure's cost and in basic insurance's spending
    scn = load_scenario("linyi_2021").truncate(24)
    batch = run_batch(scn, {"floors": {}, "none": {"policies.disease_floors.enabled": False}},
                      reps=2, households=800)
    topups = batch.wide("disease_floors_topup_yuan_total")
    assert (topups["floors"] > 0).all()
    public = budget_analysis(batch, "none").cost
    programme = budget_analysis(batch, "none", perspective="programme").cost
    payers = sum(batch.wide(f"{p}_yuan_total") for p in
                 ("basic", "critical_illness", "assistance", "supplemental", "transfers"))
    tb = batch.wide("tuberculosis_topup_yuan_total")
    pd.testing.assert_frame_equal(public, (programme + payers - topups - tb).loc[public.index])
