"""The batch, effects, budget and compare commands: outputs, and bad input as exit code 2."""

import pandas as pd
import pytest

from sim.cli import main

SMALL = ["--months", "12", "--households", "200", "--reps", "2", "--quiet"]


def test_effects_writes_tables_and_figures(tmp_path):
    assert main(["effects", "--measures", "contracts,monitoring", "--out", str(tmp_path),
                 *SMALL]) == 0
    eff = pd.read_csv(tmp_path / "effects.csv")
    assert {"method", "measure", "estimate", "lo", "hi", "interval"} <= set(eff.columns)
    assert set(eff["method"]) == {"total", "leave-one-out", "add-one-in", "shapley"}
    assert (tmp_path / "factorial.csv").is_file()
    for fig in ("effects_forest.png", "shapley_waterfall.png", "factorial_forest.png"):
        assert (tmp_path / fig).stat().st_size > 5_000
    assert len(pd.read_csv(tmp_path / "failures.csv")) == 0


def test_budget_and_compare_with_the_example_packages(tmp_path):
    out = tmp_path / "budget"
    assert main(["budget", "--packages", "example", "--budget", "5e7", "--no-figures",
                 "--out", str(out), *SMALL]) == 0
    table = pd.read_csv(out / "budget.csv")
    assert set(table["status"]) <= {"frontier", "dominated", "extendedly dominated"}
    assert table.loc[table["package"] == "none", "incremental_cost_yuan"].item() == 0
    best = pd.read_csv(out / "best.csv")
    assert 0 <= best["probability_best"].item() <= 1 and best["evpi_cases"].item() >= 0
    assert {"costs_by_payer.csv", "budget_curve.csv", "ceac.csv"} <= {
        p.name for p in out.iterdir()}
    out = tmp_path / "compare"
    assert main(["compare", "--measures", "monitoring", "--indicators",
                 "oop_yuan_total,assistance_yuan_total", "--out", str(out), *SMALL]) == 0
    cmp = pd.read_csv(out / "comparison.csv")
    assert set(cmp["package"]) == {"without monitoring"} and len(cmp) == 2
    assert (out / "comparison.png").is_file()


def test_batch_resumes_from_its_store(tmp_path, capsys):
    args = ["batch", "--measures", "contracts", "--out", str(tmp_path), *SMALL]
    assert main(args) == 0
    first = pd.read_csv(tmp_path / "batch.csv")
    assert set(first["package"]) == {"base", "without contracts"}
    assert main(args) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "batch.csv"), first)


@pytest.mark.parametrize("args, piece", [
    (["effects", "--measures", "contract"], "unknown measure 'contract'"),
    (["effects"], "name the measures"),
    (["budget", "--measures", "contracts", "--packages", "example"], "not both"),
    (["budget", "--packages", "no_such_file"], "no such packages file"),
    (["budget", "--measures", "contracts", "--comparator", "x"], "comparator 'x'"),
    (["compare", "--measures", "monitoring", "--indicators", "nope"], "no indicator 'nope'"),
    (["batch", "--set", "policies.contracts.enable=false"], "did you mean 'enabled'"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, piece, tmp_path, capsys):
    code = main([*args, "--out", str(tmp_path), "--months", "12", "--households", "50",
                 "--reps", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert piece in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_options_exit_with_code_2(capsys):
    assert main(["batch", "--reps", "0"]) == 2
    err = capsys.readouterr().err
    assert "0 is not allowed" in err and err.count("\n") == 1


def test_registry_decomposes_the_fall_and_gives_the_measures_part(tmp_path, capsys):
    out = tmp_path / "registry"
    args = ["registry", "xinjiang_2019", "--start", "2018-12", "--end", "2019-07",
            "--measures", "premium_subsidy,contracts", "--households", "600", "--reps", "2",
            "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Registered households poor due to illness, 2018-12 -> 2019-07" in printed
    assert "premium_subsidy" in printed and "wrote registry_change.csv" in printed
    change = pd.read_csv(out / "registry_change.csv")
    assert {"households", "persons", "persons per household"} == set(change["unit"])
    part = pd.read_csv(out / "measures_part.csv")
    assert set(part["measures"]) == {"all health measures", "premium_subsidy", "contracts"}
    assert (out / "runs").is_dir()
    assert (out / "registry_change.png").stat().st_size > 5_000
    assert main([*args, "--quiet", "--no-figures"]) == 0  # from the store: the same tables
    pd.testing.assert_frame_equal(pd.read_csv(out / "measures_part.csv"), part)


@pytest.mark.parametrize("args, piece", [
    (["--start", "2017-01"], "--start 2017-01: not a reported month of scenario "
                             "'xinjiang_2019'; allowed 2018-12 to"),
    (["--measures", "monitoring"], "--measures: monitoring not enabled in scenario "
                                   "'xinjiang_2019'; allowed: contracts"),
    (["--start", "2019-07", "--end", "2018-12"], "--end 2018-12 must come after --start "
                                                 "2019-07"),
])
def test_registry_bad_input_is_one_line_and_exit_code_2(args, piece, tmp_path, capsys,
                                                         monkeypatch):
    import sim.runner

    def never(*_, **__):
        raise AssertionError("bad input must be refused before any run")

    monkeypatch.setattr(sim.runner, "run", never)
    code = main(["registry", "xinjiang_2019", "--households", "100", "--reps", "1",
                 "--no-store", "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and piece in err and len(err.strip().splitlines()) == 1
