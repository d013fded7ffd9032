"""Households from data (issue 11): the file format, weights, imputation, refusals, privacy.

Small populations and 12 reported months keep this file fast; nothing here is timed.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario
from sim.cli import main
from sim.parameters import GROUPS
from sim.population import build_population
from sim.population_file import (
    CAUSES,
    HOUSEHOLD_COLUMNS,
    PERSON_COLUMNS,
    STATUSES,
    PopulationFileError,
    integerise,
    load_report,
    rake,
    write_population,
)
from sim.rng import Streams
from sim.runner import RunArgumentError, check_run_args, run_one

FIXTURES = Path(__file__).parent / "fixtures" / "population"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def short():
    return load_scenario().truncate(12)


def with_file(scn, households, **more):
    return scn.with_overrides({"population.from": str(households), **more}, name=scn.name)


def test_written_population_reads_back_to_the_same_run(short, tmp_path):
    """The round trip: same population, column by column, and the same run, number for
    number (monthly, annual, summary and events), for two seeds. Each simulated household
    stands for represents_households / 500 of the area: that is its weight, and the file
    expands to 500 households again."""
    weight = short.params["population"]["represents_households"] / 500
    for seed in (0, 1):
        pop = build_population(short.params, Streams(seed), 500)
        h, _ = write_population(pop, short.params, tmp_path / str(seed), "county",
                                weights=np.full(500, weight))
        from_file = with_file(short, h, **{"population.expand_to": 500})
        again = build_population(from_file.params, Streams(seed))
        for part in ("persons", "households"):
            for f in dataclasses.fields(getattr(pop, part)):
                a, b = getattr(getattr(pop, part), f.name), getattr(getattr(again, part),
                                                                    f.name)
                assert a.dtype == b.dtype and np.array_equal(a, b), (part, f.name)
        a, b = run_one(short, seed=seed, households=500), run_one(from_file, seed=seed)
        for frame in ("monthly", "annual", "summary", "events"):
            pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame))


def test_an_unweighted_file_is_the_whole_area(short):
    scn = with_file(short, FIXTURES / "good_households.csv")
    assert scn.params["population"]["households"] == 3
    assert scn.params["population"]["represents_households"] == 3


def test_a_household_whose_ages_are_all_drawn_gets_an_adult(short, tmp_path):
    pop = build_population(short.params, Streams(0), 300)
    h, p = write_population(pop, short.params, tmp_path, "county")
    persons = pd.read_csv(p, dtype=str, keep_default_na=False)
    persons["age"] = ""
    persons.to_csv(p, index=False)
    for seed in range(3):
        P = build_population(with_file(short, h).params, Streams(seed)).persons
        adults = np.bincount(P.hh, weights=P.born & (P.age >= 18), minlength=300)
        assert (adults > 0).all()


def test_missing_cells_are_imputed_per_replication_and_reported(short, tmp_path):
    pop = build_population(short.params, Streams(0), 400)
    h, p = write_population(pop, short.params, tmp_path, "county")
    hh = pd.read_csv(h, dtype=str, keep_default_na=False)
    persons = pd.read_csv(p, dtype=str, keep_default_na=False)
    hh = hh.drop(columns=["income_shock", "distance_km"])
    hh.loc[:49, "earned_yuan"] = ""
    persons.loc[:99, "age"] = ""
    persons = persons.drop(columns=["chronic_undiagnosed"])
    hh.to_csv(h, index=False)
    persons.to_csv(p, index=False)
    scn = with_file(short, h)
    report = load_report(scn.params).set_index("column")
    assert report.loc["earned_yuan", "imputed"] == 50
    assert report.loc["age", "imputed"] == 100
    assert report.loc["distance_km", "imputed"] == 400
    assert "column absent" in report.loc["income_shock", "how"]
    assert report.loc["size", "imputed"] == 0
    one, two = (build_population(scn.params, Streams(s)) for s in (0, 1))
    assert np.array_equal(one.households.group, two.households.group)  # given: kept
    assert not np.array_equal(one.households.distance_km, two.households.distance_km)
    given = one.households.earned_year[50:]
    assert np.array_equal(given, pop.households.earned_year[50:])


def test_insured_status_from_the_file_holds_at_the_start(short, tmp_path):
    from sim.engine import Model

    pop = build_population(short.params, Streams(0), 300)
    h, p = write_population(pop, short.params, tmp_path, "county")
    persons = pd.read_csv(p, dtype=str, keep_default_na=False)
    persons["insured"] = np.where(np.arange(len(persons)) % 2 == 0, "1", "0")
    persons.to_csv(p, index=False)
    model = Model(with_file(short, h), seed=0)
    live = np.flatnonzero(model.pop.persons.born)
    assert np.array_equal(model.enrolment.flags[live], np.arange(len(live)) % 2 == 0)


def test_raking_meets_categorical_and_continuous_totals():
    rng = np.random.default_rng(1)
    n = 400
    cat = rng.integers(0, 3, n)
    size = rng.integers(1, 6, n).astype(float)
    X = np.column_stack([cat == 0, cat == 1, cat == 2, size]).astype(float)
    T = np.array([3000.0, 5000.0, 2000.0, 31000.0])
    w = rake(np.full(n, 20.0), X, T)
    np.testing.assert_allclose(X.T @ w, T, rtol=1e-9)
    assert (w > 0).all()
    with pytest.raises(ValueError, match="cannot all be met"):
        rake(np.ones(3), np.array([[1.0], [1.0], [0.0]]), np.array([-5.0]))


def test_integerise_with_sizes_meets_the_persons_total_and_keeps_cells():
    rng = np.random.default_rng(3)
    w = rng.random(300) * 20 + 1
    cells = rng.integers(0, 6, 300)
    sizes = rng.integers(1, 7, 300)
    plain = integerise(w, cells, 2000, np.random.default_rng(0))
    copies = integerise(w, cells, 2000, np.random.default_rng(0), sizes)
    want = round(float(w @ sizes) * 2000 / w.sum())
    assert int(copies @ sizes) == want
    assert np.array_equal(np.bincount(cells, weights=copies), np.bincount(cells, weights=plain))
    assert np.all(np.abs(copies - w / w.sum() * 2000) < 1 + 1e-9)  # still a rounding


def test_integerise_gives_each_cell_its_rounded_share_and_n_in_all():
    rng = np.random.default_rng(2)
    w = rng.uniform(1, 30, 300)
    cells = rng.integers(0, 4, 300)
    copies = integerise(w, cells, 1000, np.random.default_rng(0))
    assert copies.sum() == 1000
    share = np.bincount(cells, weights=w) / w.sum() * 1000
    assert np.all(np.abs(np.bincount(cells, weights=copies) - share) < 1)
    assert np.all(np.abs(copies - w / w.sum() * 1000) < 1 + 1e-9)


@pytest.fixture(scope="module")
def county(short, tmp_path_factory):
    """A 'true' county of 8,000 synthetic households, and a stratified survey of 800 of
    them (formerly poor oversampled) with weights = stratum size / sample size."""
    folder = tmp_path_factory.mktemp("county")
    pop = build_population(short.params, Streams(5), 8000)
    H = pop.households
    truth_h, truth_p = write_population(pop, short.params, folder, "truth")
    hh = pd.read_csv(truth_h, dtype=str, keep_default_na=False)
    persons = pd.read_csv(truth_p, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(7)
    stratum = H.formerly_poor
    picked, weight = [], np.zeros(H.n)
    for s, n in ((True, 400), (False, 400)):
        members = np.flatnonzero(stratum == s)
        take = rng.choice(members, n, replace=False)
        picked.append(take)
        weight[take] = len(members) / n
    picked = np.sort(np.concatenate(picked))
    sample = hh.iloc[picked].assign(weight=weight[picked])
    sample.to_csv(folder / "survey_households.csv", index=False)
    persons[persons["household_id"].isin(sample["household_id"])].to_csv(
        folder / "survey_persons.csv", index=False)
    status = np.where(H.registered, 0, np.where(H.formerly_poor, 1, 2))
    cause = np.where(H.cause_illness, 0, 1)
    rows = [("persons", "all", "all", "all", int(H.size.sum()))]
    for g in range(len(GROUPS)):
        for s in range(len(STATUSES)):
            for c in range(len(CAUSES)):
                k = int(((H.group == g) & (status == s) & (cause == c)).sum())
                if k and not (s == 2 and c == 0):
                    rows.append(("households", GROUPS[g], STATUSES[s],
                                 CAUSES[c] if s < 2 else "all", k))
    totals = pd.DataFrame(rows, columns=["quantity", "group", "status", "cause", "value"])
    totals.assign(source="test: the true county").to_csv(folder / "totals.csv", index=False)
    return folder, pop, totals


def test_weighted_expansion_reproduces_totals_and_means(short, county):
    folder, truth, totals = county
    scn = with_file(short, folder / "survey_households.csv",
                    **{"population.totals": str(folder / "totals.csv")})
    assert scn.params["population"]["households"] == truth.households.n
    assert scn.params["population"]["represents_households"] == truth.households.n
    for seed in (0, 1):
        pop = build_population(scn.params, Streams(seed))
        H, T = pop.households, truth.households
        assert H.n == T.n
        def cells(P):  # households by group x registry status x recorded cause
            status = np.where(P.registered, 0, np.where(P.formerly_poor, 1, 2))
            return np.bincount((P.group * 3 + status) * 2 + P.cause_illness,
                               minlength=len(GROUPS) * 6)

        assert np.array_equal(cells(H), cells(T))  # every total of the file, exactly
        # persons: raked exactly, and exact after whole-household expansion too
        assert int(H.size.sum()) == int(T.size.sum())
        # weighted means within sampling error of the true county's
        sample = pd.read_csv(folder / "survey_households.csv")
        per = sample["earned_yuan"] / sample["size"]
        se = np.sqrt(np.cov(per, aweights=sample["weight"]) / len(sample))
        got = (H.earned_year / H.size).mean()
        want = (T.earned_year / T.size).mean()
        assert abs(got - want) < 3 * se


def test_expansion_to_fewer_households_scales_to_the_area(short, county):
    folder, truth, _ = county
    scn = with_file(short, folder / "survey_households.csv",
                    **{"population.totals": str(folder / "totals.csv"),
                       "population.expand_to": 2000})
    assert scn.params["population"]["households"] == 2000
    assert scn.params["population"]["represents_households"] == truth.households.n
    report = load_report(scn.params)
    assert "raked" in report.iloc[-1]["how"] and "2,000 simulated" in report.iloc[-1]["how"]


def test_households_flag_differing_from_the_file_is_refused(short):
    scn = with_file(short, FIXTURES / "good_households.csv")
    check_run_args(scn, households=3)
    with pytest.raises(RunArgumentError, match="population file"):
        check_run_args(scn, households=10)


# ---- malformed files: one fixture each, one line, exit 2, no traceback ------------------
BAD = {
    "missing_column": ("persons", "1", "household_id", "required column is missing"),
    "person_without_household": ("persons", "8", "household_id", "'A9'"),
    "age_out_of_range": ("persons", "3", "age", "'130'"),
    "income_out_of_range": ("households", "3", "earned_yuan", "'-500'"),
    "size_mismatch": ("households", "3", "size", "'4'"),
    "duplicate_household": ("households", "5", "household_id", "'A1'"),
    "duplicate_person": ("persons", "4", "person_id", "'p2'"),
    "unknown_group": ("households", "2", "group", "'poor'"),
    "unknown_status": ("households", "3", "registry_status", "'exited'"),
    "unknown_chronic": ("persons", "2", "chronic_diagnosed", "gout"),
    "unknown_major": ("persons", "7", "major_disease", "'flu'"),
    "unknown_sex": ("persons", "3", "sex", "'female'"),
    "not_a_number": ("households", "4", "distance_km", "'near'"),
    "shares_not_one": ("persons", "4", "earnings_share", "1.300"),
    "managed_not_diagnosed": ("persons", "3", "chronic_managed", "'diabetes'"),
    "cause_without_registry": ("households", "3", "registry_cause", "'illness'"),
    "township_out_of_range": ("households", "4", "township", "'12'"),
    "weight_not_positive": ("households", "4", "weight", "'0"),
    "not_utf8": ("households", "", "", "'utf-8' codec can't decode"),
}


def test_every_bad_case_has_its_fixture():
    names = {p.name.rsplit("_", 1)[0] for p in FIXTURES.glob("*.csv")}
    assert names == set(BAD) | {"good"}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_file_is_refused_in_one_line(case, command, capsys, monkeypatch):
    import sim.runner

    monkeypatch.setattr(sim.runner, "Model", None)  # nothing may be simulated
    table, row, column, value = BAD[case]
    code = main([command, "--population", str(FIXTURES / f"{case}_households.csv")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    for piece in (f"{case}_{table}.csv", row and f"row {row},", column and f"column "
                  f"'{column}'", value):
        assert piece is None or piece in lines[0], (piece, lines[0])


def test_scenario_paths_are_relative_to_it_and_stay_in_its_folder(capsys):
    scn = load_scenario(FIXTURES / "relative.toml")
    assert scn.params["population"]["from"] == str(FIXTURES / "good_households.csv")
    assert scn.params["population"]["households"] == 3
    assert main(["check", str(FIXTURES / "outside.toml")]) == 2
    err = capsys.readouterr().err
    assert "population.from" in err and "outside" in err and len(err.splitlines()) == 1


def test_a_scenario_anywhere_keeps_its_files_under_overrides_and_calendars(tmp_path):
    for name in ("good_households.csv", "good_persons.csv"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    (tmp_path / "county.toml").write_text('[scenario]\nname = "county"\nbase = '
                                          '"transition_2021_2025.toml"\n[population]\n'
                                          'from = "good_households.csv"\n')
    scn = load_scenario(tmp_path / "county.toml", ["payment.assistance.ratio=0.5"])
    scn = scn.with_calendar("taper")
    assert scn.params["population"]["from"] == str(tmp_path / "good_households.csv")
    assert all(c.params["population"]["households"] == 3 for c in scn.changes)


def test_a_file_error_is_a_scenario_error():
    with pytest.raises(PopulationFileError):
        load_scenario(overrides={"population.from": str(FIXTURES / "size_mismatch_"
                                                             "households.csv")})


def test_outputs_hold_aggregates_only(tmp_path, capsys):
    """Privacy: no file a run writes carries a household or person id."""
    out = tmp_path / "out"
    code = main(["run", str(FIXTURES / "relative.toml"), "--reps", "1", "--out", str(out),
                 "--quiet", "--no-figures"])
    assert code == 0, capsys.readouterr().err
    assert (out / "population_report.csv").is_file()
    ids = ["A1", "A2", "A3", "p1", "p2", "p6"]
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".csv", ".json"):
            text = path.read_text(encoding="utf-8")
            assert not any(f",{i}," in text or f'"{i}"' in text for i in ids), path.name


def test_documentation_lists_every_column():
    doc = (ROOT / "docs" / "population_format.md").read_text(encoding="utf-8")
    for col in (*HOUSEHOLD_COLUMNS, *PERSON_COLUMNS):
        assert f"`{col.name}`" in doc, col.name


# ---- the synthetic example county -------------------------------------------------------
DATA = ROOT / "scenarios" / "data"


def test_example_county_files_are_what_the_script_writes(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_example_county.py"),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    for path in sorted(DATA.glob("synthetic_county_*.csv")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_example_county_scenario_expands_to_its_totals():
    scn = load_scenario("county_from_data").truncate(12)
    pop = scn.params["population"]
    totals = pd.read_csv(DATA / "synthetic_county_totals.csv")
    assert pop["represents_households"] == totals.loc[totals["quantity"] == "households",
                                                      "value"].sum()
    assert "not real data" in totals["source"].iloc[0]
    built = build_population(scn.params, Streams(0))
    H = built.households
    assert H.n == pop["expand_to"] == 20000
    scale = pop["represents_households"] / H.n
    for t in totals[totals["quantity"] == "households"].itertuples():
        sel = (H.group == GROUPS.index(t.group)) & {
            "formerly_poor": H.formerly_poor, "none": ~H.formerly_poor & ~H.registered,
            "registered": H.registered}[t.status]
        if t.cause != "all":
            sel &= H.cause_illness == (t.cause == "illness")
        assert abs(sel.sum() - t.value / scale) < 1, t


TOTALS = {  # fixture in fixtures/population/totals/: row, column, piece of the message
    "unknown_code": ("row 2,", "column 'group'", "'poorest'"),
    "not_positive": ("row 2,", "column 'value'", "'-3'"),
    "missing_column": ("row 1,", "column 'cause'", "missing"),
    "unreachable": ("", "column 'value'", "cannot all be met"),
}


@pytest.mark.parametrize("case", sorted(TOTALS))
def test_bad_totals_file_is_refused_in_one_line(case):
    example = ROOT / "scenarios" / "data" / "synthetic_county_households.csv"
    path = FIXTURES / "totals" / f"{case}.csv"
    with pytest.raises(PopulationFileError) as err:
        load_scenario(overrides={"population.from": str(example),
                                 "population.totals": str(path)})
    text = str(err.value)
    assert "\n" not in text and text.startswith(str(path))
    for piece in TOTALS[case]:
        assert piece in text, (piece, text)
    assert {p.stem for p in (FIXTURES / "totals").glob("*.csv")} == set(TOTALS)


def test_analysis_commands_take_a_population_and_report_it(tmp_path, capsys):
    out = tmp_path / "batch"
    code = main(["batch", "--population", str(FIXTURES / "good_households.csv"),
                 "--reps", "1", "--months", "1", "--out", str(out), "--quiet", "--no-store"])
    assert code == 0, capsys.readouterr().err
    report = pd.read_csv(out / "population_report.csv")
    assert report.set_index("column").loc["distance_km", "imputed"] == 0
    assert report.set_index("column").loc["chronic_diagnosed", "imputed"] == 1  # p4
    assert (pd.read_csv(out / "batch.csv")["package"] == "base").all()


def test_a_changed_file_is_a_changed_run_for_the_store(tmp_path):
    from sim.runner import ReplicationStore

    for name in ("good_households.csv", "good_persons.csv"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    scn = load_scenario(overrides={"population.from": str(tmp_path / "good_households.csv")})
    before = ReplicationStore(tmp_path / "store", scn, None).key
    path = tmp_path / "good_households.csv"
    path.write_text(path.read_text().replace("18000", "18500"))
    assert ReplicationStore(tmp_path / "store", scn, None).key != before
