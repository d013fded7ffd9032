"""The command line: outputs of a run, and clear errors (exit code 2, no traceback)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main

BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--households", "300", "--reps", "2", "--seed", "3", "--out", str(out),
                 "--set", "payment.assistance.ratio.marginal=0.5", "--quiet"])
    assert code == 0
    return out


def test_run_writes_tables_figures_and_the_resolved_scenario(run_dir):
    summary = pd.read_csv(run_dir / "summary.csv")
    assert list(summary.columns) == ["indicator", "value", "unit", "ci_lo", "ci_hi", "range_lo",
                                     "range_hi"]
    assert "return_illness_rate_cumulative" in set(summary["indicator"])
    monthly = pd.read_csv(run_dir / "monthly.csv")
    assert len(monthly) == 2 * 60 * 6  # reps x months x (5 groups + all)
    for col in ("month", "group", "rep", "poor_households", "oop_yuan", "basic_yuan"):
        assert col in monthly
    for fig in ("states.png", "returns.png", "spending.png"):
        assert (run_dir / fig).stat().st_size > 10_000
    scenario = json.loads((run_dir / "scenario.json").read_text())
    assert scenario["overrides"] == {"payment.assistance.ratio.marginal": 0.5}
    assert scenario["params"]["payment"]["assistance"]["ratio"]["marginal"] == 0.5


def test_run_prints_a_readable_summary(tmp_path, capsys):
    assert main(["run", "--households", "200", "--reps", "1", "--out", str(tmp_path),
                 "--no-figures"]) == 0
    out = capsys.readouterr().out
    assert "return_illness_rate_cumulative" in out
    assert "%" in out and "scaled" in out


def cli(*args):
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("args, pieces", [
    (["run", str(BAD / "probability_too_high.toml")],
     ["probability_too_high.toml", "payment.assistance.ratio", "1.3", "from 0 to 1"]),
    (["run", "--set", "policies.monitoring.cadence=1"],
     ["policies.monitoring.cadence", "did you mean 'cadence_months'"]),
    (["run", "--set", "policies.monitoring.annual_budget_yuan=-100"],
     ["annual_budget_yuan", "-100", ">= 0"]),
    (["run", "no_such_scenario"], ["no_such_scenario", "no such scenario file"]),
    (["run", "--calendar", "no_such_calendar"], ["no_such_calendar", "hold, taper, withdraw"]),
    (["run", "--households", "0"], ["--households", "0 is not allowed"]),
    (["run", "--seed", "abc"], ["--seed", "'abc' is not a whole number"]),
    (["check", str(BAD / "not_toml.toml")], ["not_toml.toml", "not valid TOML"]),
])
def test_bad_input_gives_one_clear_line_and_exit_code_2(args, pieces):
    result = cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for piece in pieces:
        assert piece in result.stderr, result.stderr


def test_unwritable_output_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("run", "--households", "50", "--reps", "1", "--out", str(blocker / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and str(blocker) in result.stderr


@pytest.mark.parametrize("command", [["check"], ["scenarios"], ["keys", "payment.assistance"]])
def test_information_commands(command, capsys):
    assert main(command) == 0
    assert capsys.readouterr().out.strip()


def test_summary_text_keeps_small_rates_readable():
    from sim.cli import _fmt

    assert _fmt(0.1855, "admissions per person-year") == "0.185"
    assert _fmt(8.865, "deaths per 1000 person-years") == "8.87"
    assert _fmt(13075.4, "persons (scaled to the area)") == "13,075"
    assert _fmt(0.372, "share") == "37.20%"
    assert _fmt(6770.4, "yuan per person-year") == "6,770"  # a line, not a total in millions
    assert _fmt(2.3e9, "yuan (scaled to the area)") == "2,300.00 M"
