"""The scripts that print the README's tables run and print every row (small runs).

Their figures are measured at 20,000 households; here each runs at a few hundred, so that
a change of the model or of an indicator's name that breaks a table shows here, not only
when the README is next measured.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def script(name: str):
    """Import ``scripts/<name>.py`` as a module."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows(out: str) -> list[list[str]]:
    """The cells of each Markdown table row printed, header and separator left out."""
    rows = [line.strip("|").split(" | ") for line in out.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in r] for r in rows if not r[0].startswith("---")]


def test_seed_scenarios_prints_a_row_for_each_with_three_rates(capsys):
    seeds = script("seed_scenarios")
    assert seeds.main(["--households", "300", "--reps", "2", "--workers", "1"]) == 0
    rows = table_rows(capsys.readouterr().out)[1:]
    assert [r[0].split("`")[1] for r in rows] == list(seeds.SCENARIOS)
    for r in rows:
        assert all(cell.endswith("]") and "%" in cell for cell in r[1:4]), r


def test_paired_effects_prints_a_row_for_each_measure_switched_off(capsys):
    paired = script("paired_effects")
    assert paired.main(["--households", "300", "--reps", "2", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    rows = table_rows(out)
    measures = [r[0].strip("`") for r in rows[1:]]
    assert "contracts" in measures and "monitoring" in measures
    assert all(len(r) == len(rows[0]) for r in rows)
    assert "the scenario itself" in out


def test_headline_figures_prints_each_figure_beside_its_published_one(capsys):
    headline = script("headline_figures")
    assert headline.main(["--households", "300", "--reps", "2", "--workers", "1"]) == 0
    rows = table_rows(capsys.readouterr().out)[1:]
    assert len(rows) >= 15 and all(len(r) == 4 for r in rows)
    assert any(r[0].startswith("return to poverty (any cause)") for r in rows)


def test_calibrate_gradients_check_measures_the_current_values_and_writes_nothing(
        capsys, monkeypatch):
    calibrate = script("calibrate_gradients")
    before = calibrate.SCENARIO.read_text()
    monkeypatch.setattr(calibrate, "write", lambda *a: pytest.fail("--check wrote"))
    assert calibrate.main(["--check", "--households", "500", "--reps", "1"]) == 0
    out = capsys.readouterr().out
    assert calibrate.CHRONIC_KEY in out and calibrate.ACUTE_KEY in out
    assert calibrate.SCENARIO.read_text() == before


def test_calibrate_out_migration_check_measures_and_writes_nothing(capsys, monkeypatch):
    calibrate = script("calibrate_out_migration")
    monkeypatch.setattr(calibrate, "write", lambda *a: pytest.fail("--check wrote"))
    assert calibrate.main(["--check", "--households", "800", "--reps", "2"]) == 0
    assert calibrate.KEY in capsys.readouterr().out


def test_the_share_of_older_people_alone_rises_with_out_migration():
    """What the fit's bisection assumes: more leavers, a rising share of the 60+ alone."""
    calibrate = script("calibrate_out_migration")
    none = calibrate.share_slope(0.0, 2000, 2)
    many = calibrate.share_slope(0.3, 2000, 2)
    assert many[0] > none[0] and many[3] < none[3]  # and the county shrinks faster
