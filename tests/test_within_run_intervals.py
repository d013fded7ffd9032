"""Within-run intervals: each run's window counts by household cluster (models.effects).

One replication of a large county is enough for an effect's interval when its households
are the units: the cumulative rates are ratios of cluster totals, and an effect is a linear
combination of the combinations' ratios, whose linearised variance comes from the clusters.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from models.effects import HOUSEHOLDS, estimate_effects, household_variances
from sim import load_scenario, run
from sim.results import WINDOW_CLUSTERS, WINDOW_KEYS

NULL = {"admin cost x2": {"policies.cost_control.admin_yuan_per_household_year": 10}}
STRONG = {"no basic insurance": {"payment.enrolled_share": 0.0,
                                 "policies.premium_subsidy.enabled": False}}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario().truncate(24)


def test_cluster_counts_add_up_to_the_window_and_give_the_summary_rates(scenario):
    res = run(scenario, households=1500, seed=3)
    c = res.clusters
    assert list(c["cluster"]) == list(range(WINDOW_CLUSTERS))
    assert set(WINDOW_KEYS.values()) <= set(c.columns)
    value = res.summary.set_index("indicator")["value"]
    assert c["returned_illness"].sum() / c["formerly_poor_households"].sum() == pytest.approx(
        value["return_illness_rate_cumulative"], rel=1e-12)
    assert c["new_poor_illness"].sum() / c["other_households"].sum() == pytest.approx(
        value["new_poor_illness_rate_cumulative"], rel=1e-12)
    assert (c["returned_illness"] <= c["returned"]).all()
    assert (c["returned"] <= c["formerly_poor_households"]).all()


def test_the_linearised_variance_of_a_hand_built_batch():
    """Two combinations, three clusters: A has rate 6/30 = 0.2, B none; effect A - B.

    z = (N_A - 0.2 D_A) / 30 = (-1, 0, 1) / 30 for A and 0 for B, so the variance is
    3/2 * 2/900 = 1/300.
    """
    rows = [{"sample": 0, "package": p, "cluster": k, "returned_illness": n,
             "formerly_poor_households": 10}
            for p, counts in (("A", (1, 2, 3)), ("B", (0, 0, 0)))
            for k, n in enumerate(counts)]
    batch = SimpleNamespace(clusters=pd.DataFrame(rows))
    var, k = household_variances(batch, "return_illness_rate_cumulative", np.array([0]),
                                 ["A", "B"], {("x", "A - B"): np.array([1.0, -1.0])})
    assert k == 3
    assert var["x", "A - B"][0] == pytest.approx(1 / 300, rel=1e-12)


def test_one_replication_gives_household_intervals(scenario):
    e = estimate_effects(scenario, {**NULL, **STRONG}, reps=1, households=3000)
    t = e.to_frame().set_index(["method", "measure"])
    assert e.clusters == WINDOW_CLUSTERS
    assert (t["interval"] == HOUSEHOLDS.replace("K clusters", "100 clusters")).all()
    for method in ("leave-one-out", "add-one-in", "shapley"):
        null, strong = t.loc[(method, "admin cost x2")], t.loc[(method, "no basic insurance")]
        assert null["lo"] <= 0 <= null["hi"]
        assert strong["lo"] > 0  # more returns to poverty without basic insurance
        assert strong["hi"] - strong["lo"] > 0


def test_household_intervals_are_not_narrower_than_the_spread_across_replications(scenario):
    """The within-run standard error of an effect against the sd of its estimates across
    six replications (each its own population and draws): the clusters must not understate
    the chance variation (households competing for a budget make them overstate it)."""
    e = estimate_effects(scenario, STRONG, reps=6, households=1500, intervals="households")
    s = e.samples[e.samples["method"] == "add-one-in"]
    within = np.sqrt(s["within_var"]).mean()
    between = s["effect"].std(ddof=1)
    assert 0.6 * between < within < 4 * between


def test_bad_requests_get_clear_errors(scenario):
    with pytest.raises(ValueError, match="cumulative rates"):
        estimate_effects(scenario, NULL, reps=1, households=300, outcome="oop_yuan_total",
                         intervals="households")
    with pytest.raises(ValueError, match="'replications' or 'households'"):
        estimate_effects(scenario, NULL, reps=1, households=300, intervals="bootstrap")
