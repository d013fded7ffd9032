import numpy as np
import pytest

from models import compare
from sim import load_scenario, run


@pytest.fixture(scope="module")
def pair():
    base = run(load_scenario(), reps=3, seed=20, households=600)
    cut = run(load_scenario(overrides=["payment.assistance.ratio=0.0"]), reps=3, seed=20,
              households=600)
    return base, cut


def test_paired_difference_has_the_right_sign_and_interval(pair):
    base, cut = pair
    c = compare(base, cut, ["oop_yuan_total", "assistance_yuan_total"])
    t = c.to_frame().set_index("indicator")
    assert t.loc["assistance_yuan_total", "alternative"] == 0
    assert t.loc["oop_yuan_total", "difference"] > 0
    assert t.loc["oop_yuan_total", "lo"] <= t.loc["oop_yuan_total", "difference"] <= t.loc[
        "oop_yuan_total", "hi"]
    assert "paired replication" in c.summary()


def test_a_change_nothing_reads_has_exactly_zero_effect(pair):
    base, _ = pair
    dearer = run(load_scenario(overrides=["policies.settlement.admin_yuan_per_case=999"]),
                 reps=3, seed=20, households=600)
    t = compare(base, dearer).to_frame().set_index("indicator")
    assert t.loc["settlement_cost_yuan_total", "difference"] > 0
    others = t.drop(index="settlement_cost_yuan_total")["difference"]
    assert np.allclose(others, 0), others[~np.isclose(others, 0)]


def test_runs_with_different_seeds_are_refused(pair):
    base, _ = pair
    other = run(load_scenario(), reps=3, seed=99, households=200)
    with pytest.raises(ValueError, match="same seeds"):
        compare(base, other)


def test_conf_int_matches_the_table_and_plots(pair):
    base, cut = pair
    c = compare(base, cut, ["oop_yuan_total"])
    ci = c.conf_int(0.05).set_index("indicator")
    t = c.to_frame().set_index("indicator")
    assert ci.loc["oop_yuan_total", "lo"] == pytest.approx(t.loc["oop_yuan_total", "lo"])
    wider = c.conf_int(0.01).set_index("indicator")
    assert wider.loc["oop_yuan_total", "lo"] < ci.loc["oop_yuan_total", "lo"]
    assert c.interval.startswith("chance only") and c.plot().axes
