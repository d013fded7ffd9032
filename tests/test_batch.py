"""Batches: one tidy table, common seeds, failures kept apart, resumable, same on Dask."""

import pandas as pd
import pytest

import sim.runner
from models.batch import COLUMNS, executor_for, run_batch
from sim import load_scenario
from sim.schema import ScenarioError

PACKAGES = {"base": {}, "no contracts": {"policies.contracts.enabled": False},
            "no assistance": ["payment.assistance.ratio=0.0"]}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario().truncate(12)


@pytest.fixture(scope="module")
def serial(scenario):
    return run_batch(scenario, PACKAGES, reps=2, seed=5, households=300)


def test_the_table_is_long_tidy_and_paired(serial):
    t = serial.to_frame()
    assert list(t.columns) == COLUMNS
    assert set(t["package"]) == set(PACKAGES)
    assert set(t["seed"]) == {5, 6}
    # every package has the same samples and the same seeds (common random numbers)
    seeds = t.groupby("package")["seed"].unique().apply(sorted)
    assert all(s == [5, 6] for s in seeds)
    assert not t.duplicated(["sample", "package", "group", "indicator"]).any()
    assert {"formerly_poor", "marginal", "all"} <= set(t["group"])
    rate = serial.resolve(None)
    assert rate == "return_illness_rate_cumulative"
    w = serial.wide(rate)
    assert list(w.columns) == list(PACKAGES) and len(w) == 2
    cases = serial.wide("returned_illness_households_cumulative")
    denominator = serial.wide("formerly_poor_households_cumulative")
    pd.testing.assert_frame_equal(cases, w * denominator)
    assert (serial.wide("assistance_yuan_total")["no assistance"] == 0).all()


def test_summary_names_a_ci_of_the_mean_and_a_range(serial):
    s = serial.summary(["oop_yuan_total"])
    assert {"ci_lo", "ci_hi", "range_lo", "range_hi"} <= set(s.columns)
    assert (s["ci_lo"] <= s["mean"]).all() and (s["mean"] <= s["ci_hi"]).all()


def test_dask_local_cluster_gives_the_same_table(scenario, serial):
    with executor_for("local", workers=2, processes=False) as pool:
        on_dask = run_batch(scenario, PACKAGES, reps=2, seed=5, households=300, executor=pool)
    pd.testing.assert_frame_equal(on_dask.table, serial.table)
    assert on_dask.failures == ()


def test_a_failing_run_is_reported_and_loses_no_other(scenario, monkeypatch):
    real = sim.runner.run_one

    def flaky(scn, seed, households, progress=False):
        if seed == 6 and "no contracts" in scn.name:
            raise RuntimeError("simulated crash")
        return real(scn, seed, households)

    monkeypatch.setattr(sim.runner, "run_one", flaky)
    b = run_batch(scenario, PACKAGES, reps=2, seed=5, households=300)
    assert len(b.failures) == 1
    f = b.failures[0]
    assert (f.package, f.seed) == ("no contracts", 6) and "simulated crash" in f.error
    runs = b.table.groupby(["package", "seed"]).size()
    assert len(runs) == 5 and ("no contracts", 6) not in runs.index


def test_an_interrupted_batch_resumes_to_the_same_table(scenario, serial, tmp_path,
                                                        monkeypatch):
    real = sim.runner.run_one
    calls = []

    def interrupted(scn, seed, households, progress=False):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append((scn.name, seed))
        return real(scn, seed, households)

    monkeypatch.setattr(sim.runner, "run_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_batch(scenario, PACKAGES, reps=2, seed=5, households=300, store=tmp_path)
    done = list(calls)

    def counting(scn, seed, households, progress=False):
        calls.append((scn.name, seed))
        return real(scn, seed, households)

    calls.clear()
    monkeypatch.setattr(sim.runner, "run_one", counting)
    resumed = run_batch(scenario, PACKAGES, reps=2, seed=5, households=300, store=tmp_path)
    assert len(calls) == 3 and not set(calls) & set(done)  # only the missing runs
    pd.testing.assert_frame_equal(resumed.table, serial.table)


def test_bad_packages_fail_before_anything_runs(scenario, monkeypatch):
    monkeypatch.setattr(sim.runner, "run_one", lambda *a, **k: pytest.fail("ran"))
    with pytest.raises(ScenarioError, match="contracts.enable"):
        run_batch(scenario, {"typo": {"policies.contracts.enable": False}}, households=50)
    with pytest.raises(ValueError, match="at least one package"):
        run_batch(scenario, {}, households=50)


def test_whole_scenarios_can_be_packages(scenario):
    other = load_scenario("mengzi_2021").truncate(12)
    b = run_batch(scenario, {"default": scenario, "mengzi": other,
                         "default, no contracts": {"policies.contracts.enabled": False}},
                  reps=1, households=200)
    w = b.wide("oop_yuan_total")
    assert list(w.columns) == ["default", "mengzi", "default, no contracts"]
    assert w["default"].item() != w["mengzi"].item()


def test_a_local_process_pool_gives_the_same_table(scenario, serial):
    pooled = run_batch(scenario, PACKAGES, reps=2, seed=5, households=300, workers=2)
    pd.testing.assert_frame_equal(pooled.table, serial.table)


def test_the_example_packages_are_what_their_names_say():
    from models.batch import load_packages

    pf = load_packages("example")
    base = load_scenario(pf.base).params["policies"]

    def policies(name):
        return load_scenario(pf.base).with_overrides(pf.packages[name]).params["policies"]

    for pct in (60, 90, 100):
        cov = policies(f"contracts {pct}%")["contracts"]["coverage"]
        assert cov.pop("other") == base["contracts"]["coverage"]["other"]
        assert set(cov.values()) == {pct / 100}
    every2, yearly = (policies(n)["screening"] for n in ("screening every 2 years",
                                                         "screening yearly"))
    for group, share in yearly["health_check"]["coverage"].items():
        assert every2["health_check"]["coverage"][group] == share / 2
    assert every2["cancer"]["coverage"] == yearly["cancer"]["coverage"] / 2
    cadence = {n: policies(n)["monitoring"]["cadence_months"] for n in pf.packages
               if n.startswith("monitoring")}
    assert cadence == {"monitoring quarterly": 3, "monitoring monthly": 1,
                       "monitoring weekly": 0.25}


def _malloc_trim_threshold():
    import os

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_dask_workers_start_without_a_fixed_malloc_trim_threshold():
    """Dask's default 64 KiB threshold makes every large temporary a fresh memory map: a
    run 2.3 times slower (models.batch.worker_environ); local workers start without it."""
    with executor_for("local", workers=1) as pool:  # worker processes
        assert pool.submit(_malloc_trim_threshold).result() is None
