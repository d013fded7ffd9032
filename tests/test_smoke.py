from sim import load_scenario, run_one


def test_default_scenario_runs_small():
    res = run_one(load_scenario(), seed=1, households=300)
    assert len(res.monthly) == 60 * 6
    assert res.value("bills_yuan_total") > 0
