"""An interrupted run keeps the replications it finished, and a rerun reuses them."""

import pandas as pd
import pytest

import sim.runner
from sim import load_scenario, run


def test_interrupted_run_keeps_finished_replications(tmp_path, monkeypatch):
    scn = load_scenario()
    real = sim.runner.run_one
    calls = []

    def interrupted(scenario, seed, households, progress=False):
        if seed == 2:
            raise KeyboardInterrupt
        calls.append(seed)
        return real(scenario, seed, households)

    monkeypatch.setattr(sim.runner, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(scn, reps=4, seed=0, households=150, store=tmp_path)
    assert len(list(tmp_path.glob("*.pkl"))) == 2  # seeds 0 and 1 were kept

    def counting(scenario, seed, households, progress=False):
        calls.append(seed)
        return real(scenario, seed, households)

    calls.clear()
    monkeypatch.setattr(sim.runner, "run_one", counting)
    resumed = run(scn, reps=4, seed=0, households=150, store=tmp_path)
    assert calls == [2, 3]  # only the missing replications were run
    monkeypatch.setattr(sim.runner, "run_one", real)
    fresh = run(scn, reps=4, seed=0, households=150)
    pd.testing.assert_frame_equal(resumed.annual, fresh.annual)


def test_a_changed_scenario_does_not_reuse_stored_runs(tmp_path):
    run(load_scenario(), reps=1, households=100, store=tmp_path)
    run(load_scenario(overrides=["payment.assistance.ratio=0.5"]), reps=1, households=100,
        store=tmp_path)
    assert len(list(tmp_path.glob("*.pkl"))) == 2


def test_bad_households_is_a_clear_error():
    with pytest.raises(ValueError, match="households must be at least 1"):
        run(load_scenario(), households=0)
