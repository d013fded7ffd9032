"""Hostile input is refused cleanly: one line, exit code 2, the file/key/flag named, no traceback.

Every case of issue 9 has a test here; the file cases have one fixture each in
``tests/fixtures/hostile/`` (see its README). The command line runs in-process
(``sim.cli.main``) with the simulation replaced by ``None``, which proves that nothing was
simulated or allocated before the refusal; a subprocess is used only where the case is
about the process (a broken pipe).
"""

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sim.runner
from models import compare
from sim import load_scenario, run
from sim.cli import main
from sim.schema import ScenarioError

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_simulation(monkeypatch):
    """Any attempt to build a model fails loudly (and would show a traceback)."""
    monkeypatch.setattr(sim.runner, "Model", None)
    monkeypatch.setattr(sim.runner, "available_memory", lambda: 8 * 2**30)  # a fixed 8 GiB


def refused(capsys, args, pieces):
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for piece in pieces:
        assert piece in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args, pieces", [
    (["run", HOSTILE / "binary_scenario.toml"], ["binary_scenario.toml", "not UTF-8"]),
    (["check", HOSTILE / "binary_scenario.toml"], ["binary_scenario.toml", "UTF-8"]),
    (["run", "--calendar", HOSTILE / "binary_calendar.toml"],
     ["binary_calendar.toml", "UTF-8"]),
    (["run", HOSTILE / "deep_arrays.toml"], ["deep_arrays.toml", "nested too deeply"]),
    (["run", HOSTILE / "deep_tables.toml"], ["deep_tables.toml", "nested", "at most 32"]),
    (["run", HOSTILE / "deep_bases" / "level_00.toml"],
     ["level_00.toml", "scenario.base", "more than 16 base files"]),
    (["run", HOSTILE / "base_42.toml"], ["base_42.toml", "scenario.base", "42", "not text"]),
    (["run", HOSTILE / "base_outside.toml"],
     ["base_outside.toml", "scenario.base", "etc/passwd", "outside"]),
    (["run", HOSTILE / "inner" / "escape.toml"],
     ["escape.toml", "scenario.base", "../base_42.toml", "outside"]),
])
def test_hostile_files(capsys, no_simulation, args, pieces):
    refused(capsys, args, pieces)


@pytest.mark.parametrize("args, pieces", [
    (["run", "--households", "1000000000000"], ["--households", "1000000000000",
                                                "50,000,000"]),
    (["run", "--households", "100000000"], ["--households", "100000000", "50,000,000"]),
    (["run", "--households", "40000000"], ["--households", "40000000", "GiB"]),  # > 8 GiB
    (["run", "--households", "1.5"], ["--households", "1.5", "whole number"]),
    (["run", "--reps", "1000000000"], ["--reps", "1000000000", "100,000"]),
    (["run", "--seed", "-1"], ["--seed", "-1"]),
    (["run", "--seed", "4294967296"], ["--seed", "4294967296", "4294967295"]),
    (["run", "--seed", "4294967295", "--reps", "2"], ["--seed", "4294967295",
                                                      "at most 4294967294"]),
    (["run", "--workers", "0"], ["--workers", "0"]),
    (["run", "--set", "payment.assistance.ratio=0.5\nevil=1"],
     ["--set", "payment.assistance.ratio", "several lines"]),
    (["run", "--set", "payment.assistance.ratio=0.5\revil=1"], ["--set", "several lines"]),
    (["run", "--bogus-flag"], ["--bogus-flag"]),
    (["run", "--set", "nonsense.key=1"], ["--set", "nonsense", "unknown key"]),
    (["keys", "nonsense"], ["keys", "nonsense", "no scenario key", "payment"]),
    (["keys", "assistance.ratio"], ["keys", "did you mean payment.assistance.ratio"]),
])
def test_hostile_flags(capsys, no_simulation, args, pieces):
    refused(capsys, args, pieces)


def test_ctrl_c_is_one_line_and_exit_130(capsys, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.runner, "run_one", interrupted)
    code = main(["run", "--households", "100", "--reps", "2", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 130 and "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("interrupted")]
    assert len(lines) == 1 and "0 of 2" in lines[0] and "resume" in lines[0]


@pytest.mark.parametrize("command", ["keys", "scenarios"])
def test_a_closed_pipe_ends_silently(command):
    """``python -m sim keys | head -1``: the reader goes away; no error, exit 0.

    ``keys`` writes 48 kB into a 4 kB pipe, so it certainly meets the closed pipe;
    ``scenarios`` is the case of the issue (it may finish writing first).
    """
    r, w = os.pipe()
    fcntl.fcntl(w, 1031, 4096)  # F_SETPIPE_SZ: a small pipe, so writing blocks early
    proc = subprocess.Popen([sys.executable, "-m", "sim", command], cwd=ROOT, stdout=w,
                            stderr=subprocess.PIPE)
    os.close(w)
    with os.fdopen(r, "rb") as reader:
        assert reader.readline()  # like head -1: one line, then close
    _, stderr = proc.communicate(timeout=120)
    assert stderr == b""
    assert proc.returncode == 0


@pytest.mark.parametrize("kwargs, arg", [
    ({"households": 1.5}, "households"),
    ({"households": True}, "households"),
    ({"seed": -1}, "seed"),
    ({"seed": 2**32}, "seed"),
    ({"seed": 2**32 - 1, "reps": 2}, "seed"),
    ({"reps": 10**9}, "reps"),
])
def test_hostile_api_arguments(no_simulation, kwargs, arg):
    with pytest.raises(ValueError, match=arg) as info:
        run(load_scenario(), **kwargs)
    assert "allowed" in str(info.value)


def test_hostile_api_overrides():
    with pytest.raises(ScenarioError, match="several lines"):
        load_scenario(overrides=["payment.assistance.ratio=0.5\nevil=1"])
    with pytest.raises(ScenarioError, match="more than one value"):
        from sim.scenario import parse_value
        parse_value("0.5\nevil = 1")


@pytest.fixture(scope="module")
def small_pair():
    scn = load_scenario()
    return run(scn, reps=2, seed=0, households=200), scn


def test_compare_refuses_different_household_counts(small_pair):
    base, scn = small_pair
    other = run(scn, reps=2, seed=0, households=300)
    with pytest.raises(ValueError, match="same households.*200.*300"):
        compare(base, other)


def test_compare_refuses_different_lengths(small_pair):
    base, scn = small_pair
    shorter = run(scn.truncate(24), reps=2, seed=0, households=200)
    with pytest.raises(ValueError, match="same end"):
        compare(base, shorter)
