"""Every output file has fixed columns: the same for one replication or many, with or
without events, and as documented in the README ("Outputs")."""

import re
from pathlib import Path

import pandas as pd
import pytest

import sim.runner
from sim import load_scenario, run
from sim.cli import main
from sim.outputs import EVENT_COLUMNS, SUMMARY_COLUMNS, annual_columns, monthly_columns
from sim.policies import REGISTRY
from sim.registry import INDICATORS as REGISTRY_INDICATORS
from sim.results import ENGINE_INDICATORS

DECLARED = [*ENGINE_INDICATORS, *REGISTRY_INDICATORS,
            *[i for cls in REGISTRY.values() for i in cls.INDICATORS]]
README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_fixed_columns_are_what_the_readme_documents():
    assert SUMMARY_COLUMNS == ("indicator", "value", "unit", "ci_lo", "ci_hi", "range_lo",
                               "range_hi")
    assert EVENT_COLUMNS == ("month", "event", "name", "note", "year", "refused_households",
                             "detail", "rep")
    text = README.read_text()
    assert "`" + ",".join(SUMMARY_COLUMNS) + "`" in text
    assert "`" + ",".join(EVENT_COLUMNS) + "`" in text


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """CSV columns of four runs: 1 or 2 replications, without and with calendar events."""
    found = {}
    # "one": no monitoring, so no budget can run out and the run has no events
    for label, args in (("one", ["--reps", "1", "--set", "policies.monitoring.enabled=false"]),
                        ("two", ["--reps", "2"]),
                        ("events", ["linyi_2021", "--calendar", "taper", "--reps", "2"])):
        out = tmp_path_factory.mktemp(label)
        assert main(["run", *args, "--households", "120", "--quiet", "--no-figures",
                     "--no-store", "--out", str(out)]) == 0
        found[label] = {name: list(pd.read_csv(out / f"{name}.csv").columns)
                        for name in ("summary", "monthly", "annual", "events")}
        found[label]["events_rows"] = len(pd.read_csv(out / "events.csv"))
    return found


def test_every_file_has_its_pinned_columns(outputs):
    for label, cols in outputs.items():
        assert cols["summary"] == list(SUMMARY_COLUMNS), label
        assert cols["events"] == list(EVENT_COLUMNS), label
        assert cols["monthly"] == monthly_columns(DECLARED), label
        assert cols["annual"] == annual_columns(DECLARED), label
    assert outputs["one"]["events_rows"] == 0  # no events, yet the same columns
    assert outputs["events"]["events_rows"] > 0


def test_one_replication_keeps_the_interval_columns_as_nan():
    res = run(load_scenario(), reps=1, households=100)
    s = res.tables()["summary"]
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert s[["ci_lo", "ci_hi", "range_lo", "range_hi"]].isna().all().all()
    assert s["value"].notna().any()


def test_summary_rows_are_the_same_whatever_the_window():
    default = run(load_scenario(), reps=1, households=100).summary
    other = run(load_scenario("xinjiang_2019"), reps=1, households=100).summary
    assert list(default["indicator"]) == list(other["indicator"])
    units = default.set_index("indicator")["unit"]
    assert units["return_illness_rate_cumulative"].endswith("2021-01 to 2025-12")
    assert not any(re.search(r"_(19|20)\d\d(_(19|20)\d\d)?$", i) for i in default["indicator"])


def test_results_write_and_plot_themselves(tmp_path):
    res = run(load_scenario().truncate(12), reps=2, households=100)
    paths = res.to_csv(tmp_path / "tables")
    assert sorted(p.name for p in paths) == ["annual.csv", "events.csv", "monthly.csv",
                                             "summary.csv"]
    figs = res.plot()
    assert set(figs) == {"states", "returns", "spending"}
    titles = [t.get_text() for f in figs.values() for t in f.texts] + [
        f._suptitle.get_text() for f in figs.values()]
    assert all(res.meta["scenario"] in f._suptitle.get_text() for f in figs.values())
    assert any("confidence interval of the mean" in t for f in figs.values()
               for ax in f.axes if ax.get_legend() for t in [ax.get_legend().get_title()
                                                             .get_text()])
    assert titles
    with pytest.raises(ValueError, match="allowed"):
        res.plot("nonsense")


def test_one_progress_bar_counts_every_month_serial_and_in_a_pool(monkeypatch):
    bars = []

    class Counting:
        def __init__(self, total, reps, name):
            self.total, self.n, self.done = total, 0, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def finished(self):
            self.done += 1

        def close(self):
            pass

    monkeypatch.setattr(sim.runner, "_Progress", Counting)
    scn = load_scenario().truncate(12)
    months = scn.timeline.n_months
    for workers in (1, 2):
        run(scn, reps=3, households=100, workers=workers, progress=True)
    assert [(b.total, b.n, b.done) for b in bars] == [(3 * months, 3 * months, 3)] * 2
