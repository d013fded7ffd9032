"""The output folder: one run's files, complete or untouched; one run at a time; no orphans."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.runner
from sim import load_scenario
from sim.cli import main
from sim.outputs import OutputError, OutputFolder

SMALL = ["--households", "150", "--reps", "1", "--quiet"]
ROOT = Path(__file__).resolve().parent.parent


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _summary_csv(seed: int) -> str:
    res = sim.runner.run(load_scenario(), reps=1, seed=seed, households=150)
    return res.tables()["summary"].to_csv(index=False)


def _script(tmp_path, body: str) -> Path:
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(body))
    return path


def _python(script, *args, **kw):
    return subprocess.Popen([sys.executable, str(script), *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_a_run_replaces_every_file_of_the_previous_one(tmp_path):
    out = tmp_path / "out"
    assert main(["run", *SMALL, "--out", str(out)]) == 0
    assert (out / "states.png").is_file()
    assert main(["run", *SMALL, "--seed", "5", "--no-figures", "--out", str(out)]) == 0
    assert not list(out.glob("*.png"))  # no figures left from the other run
    assert sorted(p.name for p in out.iterdir()) == [
        "annual.csv", "events.csv", "monthly.csv", "reps", "scenario.json", "summary.csv"]
    assert [p.name.split("-seed")[1] for p in (out / "reps").glob("*.npz")] == ["5.npz"]
    assert not list(tmp_path.glob(".out.staging-*")) and not list(tmp_path.glob(".out.old-*"))


def test_a_folder_of_other_files_is_refused_before_simulating(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    monkeypatch.setattr(sim.runner, "Model", None)  # a simulation would fail loudly
    assert main(["run", *SMALL, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "notes.txt" in err and "allowed" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_an_output_path_below_a_file_is_refused_before_simulating(tmp_path, capsys,
                                                                   monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setattr(sim.runner, "Model", None)
    assert main(["run", *SMALL, "--no-store", "--out", str(tmp_path / "file" / "out")]) == 2
    assert "--out" in capsys.readouterr().err


PAUSED = """
    import sys, time
    from pathlib import Path
    import sim.outputs
    real = sim.outputs.OutputFolder._probe

    def probe(self):  # the lock is held here: say so, then wait for the go-ahead
        real(self)
        Path(sys.argv[1]).write_text("locked")
        while not Path(sys.argv[2]).exists():
            time.sleep(0.05)

    sim.outputs.OutputFolder._probe = probe
    from sim.cli import main
    sys.exit(main(sys.argv[3:]))
"""


def test_a_second_run_into_a_busy_folder_stops_with_a_clear_message(tmp_path, capsys):
    out = tmp_path / "out"
    locked, go = tmp_path / "locked", tmp_path / "go"
    first = _python(_script(tmp_path, PAUSED), locked, go, "run", *SMALL, "--seed", "1",
                    "--out", out)
    try:
        while not locked.exists():
            assert first.poll() is None, first.communicate()
            time.sleep(0.05)
        assert main(["run", *SMALL, "--seed", "2", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another run" in err and str(out) in err and "Traceback" not in err
    finally:
        go.write_text("go")
        _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    # the folder holds the first run's files only, all of them consistent
    monthly = pd.read_csv(out / "monthly.csv")
    assert set(monthly["rep"]) == {0} and len(monthly) == 60 * 6
    assert (out / "summary.csv").read_text() == _summary_csv(seed=1)
    assert [p.name.split("-seed")[1] for p in (out / "reps").glob("*.npz")] == ["1.npz"]


KILLED = """
    import os, signal, sys
    import pandas as pd
    written = []
    real = pd.DataFrame.to_csv

    def to_csv(self, path=None, *a, **kw):  # die after the second table is written
        result = real(self, path, *a, **kw)
        written.append(path)
        if len(written) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    pd.DataFrame.to_csv = to_csv
    from sim.cli import main
    sys.exit(main(sys.argv[1:]))
"""


def test_a_run_killed_while_writing_leaves_the_old_outputs_complete(tmp_path):
    out = tmp_path / "out"
    assert main(["run", *SMALL, "--seed", "1", "--out", str(out)]) == 0
    before = _snapshot(out)
    killed = _python(_script(tmp_path, KILLED), "run", *SMALL, "--seed", "2", "--out", out)
    killed.communicate(timeout=300)
    assert killed.returncode == -signal.SIGKILL
    after = _snapshot(out)
    # the old run's files, byte for byte; the store may have gained the new replication
    assert {k: v for k, v in after.items() if not k.startswith("reps/")} == {
        k: v for k, v in before.items() if not k.startswith("reps/")}
    assert list(tmp_path.glob(".out.staging-*"))  # the half-written outputs, beside it
    # the next run clears the leftovers and reuses the replication the killed run kept
    assert main(["run", *SMALL, "--seed", "2", "--out", str(out)]) == 0
    assert not list(tmp_path.glob(".out.staging-*"))
    assert (out / "summary.csv").read_text() == _summary_csv(seed=2)


def test_a_run_killed_between_two_renames_is_repaired(tmp_path):
    out = tmp_path / "out"
    assert main(["run", *SMALL, "--out", str(out)]) == 0
    before = _snapshot(out)
    os.rename(out, tmp_path / ".out.old-99999")  # as if killed after the first rename
    with OutputFolder(out):
        assert _snapshot(out) == before  # restored before anything else happens


def test_output_folder_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        OutputFolder(tmp_path / "f").__enter__()


ORPHANS = """
    import os, signal, sys, time
    from sim.runner import _local_pool
    pool, _ = _local_pool(2, None)
    futures = [pool.submit(time.sleep, 0.2) for _ in range(4)]
    for f in futures:
        f.result()
    print(" ".join(str(p) for p in pool._processes), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            state = next(line for line in fh if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "Z" not in state.split()[1]  # a zombie has exited


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killing_the_parent_of_a_pool_leaves_no_worker_alive(tmp_path):
    parent = _python(_script(tmp_path, ORPHANS))
    stdout, stderr = parent.communicate(timeout=120)
    assert parent.returncode == -signal.SIGKILL, stderr
    workers = [int(p) for p in stdout.split()]
    assert len(workers) == 2
    for _ in range(200):  # death is asynchronous: wait up to 10 s for the kernel
        if not any(_alive(p) for p in workers):
            break
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum, code, name", [(signal.SIGINT, 130, "Ctrl-C"),
                                                (signal.SIGTERM, 143, "SIGTERM")])
def test_ctrl_c_stops_a_pool_run_with_one_line_and_keeps_finished_work(tmp_path, signum,
                                                                        code, name):
    out = tmp_path / "out"
    run = subprocess.Popen([sys.executable, "-m", "sim", "run", "--households", "400",
                            "--reps", "40", "--workers", "2", "--no-figures", "--out",
                            str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        while not list((out / "reps").glob("*.npz")):
            assert run.poll() is None, run.communicate()
            time.sleep(0.05)
        run.send_signal(signum)
        _, stderr = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == code, stderr
    assert "Traceback" not in stderr and f"interrupted ({name})" in stderr
    lines = [line for line in stderr.splitlines() if "interrupted" in line]
    assert len(lines) == 1 and "kept in" in lines[0]
    assert list((out / "reps").glob("*.npz"))
    assert not (out / "summary.csv").exists()  # nothing half-done was published
    assert not list(tmp_path.glob(".out.staging-*"))  # and the staging folder is gone
