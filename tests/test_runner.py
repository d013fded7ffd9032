"""Replications: an interrupted run resumes byte-identically; the store holds data only."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest

import sim.runner
from sim import load_scenario, run
from sim.runner import ReplicationStore


def _csv_bytes(res):
    return {name: getattr(res, name).to_csv(index=False)
            for name in ("summary", "monthly", "annual", "events")}


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
    assert len(list(tmp_path.glob("*.npz"))) == 2  # seeds 0 and 1 were kept

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
    assert _csv_bytes(resumed) == _csv_bytes(fresh)  # byte-identical outputs


def test_store_round_trip_keeps_every_frame_and_dtype(tmp_path):
    scn = load_scenario("linyi_2021").with_calendar("taper")  # has events with gaps
    one = sim.runner.run_one(scn, seed=4, households=120)
    store = ReplicationStore(tmp_path, scn, 120)
    store.save(4, one)
    back = store.load(4)
    for name in ("monthly", "annual", "summary", "events", "summary_by_rep"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(one, name))
    assert back.meta == one.meta
    with np.load(store.path(4), allow_pickle=False) as data:  # plain arrays only
        assert all(data[k].dtype != object for k in data.files)


def test_a_changed_scenario_does_not_reuse_stored_runs(tmp_path):
    run(load_scenario(), reps=1, households=100, store=tmp_path)
    run(load_scenario(overrides=["payment.assistance.ratio=0.5"]), reps=1, households=100,
        store=tmp_path)
    assert len(list(tmp_path.glob("*.npz"))) == 2


def _evil_pickle(target) -> bytes:
    # os.system would do; writing a file through builtins.exec is as telling and portable
    code = f"open({str(target)!r}, 'w').write('executed')"
    return pickle.dumps(_Exec(code))


class _Exec:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def test_planted_and_corrupted_store_files_are_never_loaded(tmp_path, monkeypatch):
    scn = load_scenario()
    fresh = run(scn, reps=2, seed=7, households=120)
    store = ReplicationStore(tmp_path, scn, 120)
    marker = tmp_path.parent / f"{tmp_path.name}-executed"
    # the old store's name for seed 7, and the new one's, hold a pickle that writes a file
    (tmp_path / f"{store.key}-seed7.pkl").write_bytes(_evil_pickle(marker))
    store.path(7).write_bytes(_evil_pickle(marker))
    # seed 8: a real replication, then flipped bytes in the middle of its file
    store.save(8, sim.runner.run_one(scn, seed=8, households=120))
    data = bytearray(store.path(8).read_bytes())
    data[len(data) // 2] ^= 0xFF
    store.path(8).write_bytes(bytes(data))
    assert store.load(7) is None and store.load(8) is None

    calls = []
    real = sim.runner.run_one

    def counting(scenario, seed, households, progress=False):
        calls.append(seed)
        return real(scenario, seed, households)

    monkeypatch.setattr(sim.runner, "run_one", counting)
    again = run(scn, reps=2, seed=7, households=120, store=tmp_path)
    assert sorted(calls) == [7, 8]  # both recomputed
    assert not marker.exists()  # the planted pickle never ran
    assert _csv_bytes(again) == _csv_bytes(fresh)
    assert store.load(7) is not None and store.load(8) is not None  # replaced by good files


def test_a_truncated_store_file_is_recomputed(tmp_path):
    scn = load_scenario()
    run(scn, reps=1, seed=1, households=100, store=tmp_path)
    store = ReplicationStore(tmp_path, scn, 100)
    path = store.path(1)
    os.truncate(path, path.stat().st_size // 3)
    assert not store.has(1) and store.load(1) is None


@pytest.mark.parametrize("kwargs, arg", [
    ({"households": 0}, "households"),
    ({"households": 1.5}, "households"),
    ({"households": True}, "households"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**32}, "seed"),
    ({"seed": 2**32 - 2, "reps": 3}, "seed"),
    ({"reps": 0}, "reps"),
    ({"reps": 10**9}, "reps"),
    ({"reps": 2.0}, "reps"),
    ({"workers": 0}, "workers"),
])
def test_bad_arguments_are_refused_before_simulating(kwargs, arg, monkeypatch):
    monkeypatch.setattr(sim.runner, "Model", None)  # any simulation would fail loudly
    with pytest.raises(sim.runner.RunArgumentError) as info:
        run(load_scenario(), **kwargs)
    assert info.value.arg == arg and "allowed" in str(info.value)


def test_a_population_beyond_memory_is_refused():
    scn = load_scenario()
    with pytest.raises(ValueError, match="GiB"):
        sim.runner.check_run_args(scn, households=10_000_000, memory=2**30)
    sim.runner.check_run_args(scn, households=10_000, memory=2**30)  # fits


def test_a_replication_that_would_not_come_back_identical_is_not_kept(tmp_path):
    scn = load_scenario()
    one = sim.runner.run_one(scn, seed=0, households=100)
    one.monthly["flag"] = pd.array([True] * (len(one.monthly) - 1) + [None], dtype="boolean")
    store = ReplicationStore(tmp_path, scn, 100)
    with pytest.warns(RuntimeWarning, match="not kept"):
        store.save(0, one)
    assert not store.has(0) and not list(tmp_path.glob("*.npz"))


def test_too_many_replications_to_keep_are_refused_naming_reps():
    scn = load_scenario()
    with pytest.raises(sim.runner.RunArgumentError) as info:
        sim.runner.check_run_args(scn, reps=5000, households=100, memory=2**30)
    assert info.value.arg == "reps" and "GiB" in str(info.value)
    sim.runner.check_run_args(scn, reps=50, households=100, memory=2**30)  # fits


def test_ctrl_c_while_a_replication_is_written_stops_the_run(tmp_path, monkeypatch):
    """Ctrl-C inside np.savez surfaces as the zip file's ValueError on close: the store
    must not take it for a failed write and go on."""
    scn = load_scenario()
    res = run(scn, reps=1, seed=1, households=100)
    store = ReplicationStore(tmp_path, scn, 100)

    def interrupted_write(results, path):
        with open(path, "wb") as fh:
            fh.write(b"PK")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ValueError("Can't close the ZIP file while there is an open writing "
                             "handle on it") from None

    monkeypatch.setattr(sim.runner, "results_to_npz", interrupted_write)
    with pytest.raises(KeyboardInterrupt):
        store.save(1, res)
    assert not store.has(1) and not list(tmp_path.glob(".*.tmp"))


def test_a_run_and_its_intervals_never_load_scipy_stats():
    """Importing scipy.stats costs each process ~0.6 s; a short run must not pay it."""
    import subprocess
    import sys

    code = ("import sys; from sim import load_scenario, run; import models.batch, models.effects\n"
            "from sim.intervals import t_quantile\n"
            "run(load_scenario(), reps=2, households=300)\n"
            "assert abs(t_quantile(0.975, 4) - 2.7764451051977987) < 1e-12\n"
            "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
