"""The seed coverage table (docs/seed_coverage.csv) says what the scenarios really hold.

Every key the table names must exist in the scenario schema; every ``expressed`` or
``approximated`` row that states values must find them in its scenario file (at the row's
date when it has one, i.e. after the policy calendar's changes up to that month); every
``out_of_scope`` row must give its reason; and the counts in docs/seed_coverage.md must be
the table's.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from sim.scenario import SCENARIO_DIR, get_path, load_scenario, schema
from sim.schema import Dated, Dist, Records, Section, Table
from sim.timeline import parse_month

DOCS = Path(__file__).resolve().parents[1] / "docs"
TABLE = DOCS / "seed_coverage.csv"
SUMMARY = DOCS / "seed_coverage.md"
STATUSES = ("expressed", "approximated", "out_of_scope")
SEEDS = ("000", "001", "002", "003", "004")
COLUMNS = ["id", "seed", "document", "locator_zh", "rule", "status", "scenario", "keys",
           "values", "date", "note"]


def rows() -> list[dict]:
    """The coverage table's rows."""
    with TABLE.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def split(text: str) -> list[str]:
    """A ';'-separated cell as a list (empty cell: empty list)."""
    return [part.strip() for part in text.split(";")] if text.strip() else []


def schema_has(key: str) -> bool:
    """Whether a dotted key names a value the scenario schema knows (records by any name)."""
    node = schema()
    parts = key.split(".")
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(node, Section):
            if part not in node.children:
                return False
            node = node.children[part]
        elif isinstance(node, Records):
            node = node.item          # ``part`` is the record's name
        elif isinstance(node, Table | Dist):
            return part in node.keys and i == len(parts) - 1
        elif isinstance(node, Dated):
            return part.isdigit() and i == len(parts) - 1
        else:
            return False
        i += 1
    # a leaf, or a free table of keys (a Section without children, e.g. a place's terms)
    return not isinstance(node, Records) and not (isinstance(node, Section) and node.children)


@cache
def scenario(path: str):
    """A built-in scenario named by its path in the table (``scenarios/NAME.toml``)."""
    return load_scenario(SCENARIO_DIR / Path(path).name)


def params_at(scn, date: str) -> dict:
    """The parameters in force in a month (the start set, then each change up to it)."""
    month = parse_month(date)
    params = scn.params
    for change in sorted(scn.changes, key=lambda c: c.absolute_month):
        if change.absolute_month <= month:
            params = change.params
    return params


def test_table_is_complete_and_well_formed():
    table = rows()
    ids = [r["id"] for r in table]
    assert len(ids) == len(set(ids))
    assert {r["seed"] for r in table} == set(SEEDS)
    for r in table:
        assert r["status"] in STATUSES, r["id"]
        assert r["locator_zh"] and r["rule"] and r["document"], r["id"]
        assert re.search(r"\d{4}-\d{2}-\d{2}", r["document"]), r["id"]   # dated citation
        assert (SCENARIO_DIR / Path(r["scenario"]).name).is_file(), r["id"]
        keys, values = split(r["keys"]), split(r["values"])
        if r["status"] == "out_of_scope":
            assert not keys and r["note"], f"{r['id']}: out of scope needs a reason, no key"
        else:
            assert keys, f"{r['id']}: {r['status']} names the key(s) that carry it"
            assert len(values) == len(keys), f"{r['id']}: one value per key"
        # a clone has no ../shared: the committed table cites documents, not paths
        assert "../shared" not in "".join(r.values()), r["id"]


@pytest.mark.parametrize("row", [r for r in rows() if r["keys"]], ids=lambda r: r["id"])
def test_named_keys_exist_and_hold_the_stated_values(row):
    scn = scenario(row["scenario"])
    params = params_at(scn, row["date"]) if row["date"] else scn.params
    for key, text in zip(split(row["keys"]), split(row["values"]), strict=True):
        assert schema_has(key), f"{row['id']}: '{key}' is not a scenario key"
        want = json.loads(text)
        got = get_path(params, key)
        if isinstance(want, float | int) and not isinstance(want, bool):
            assert got == pytest.approx(want), f"{row['id']}: {key} is {got}, table says {want}"
        else:
            assert got == want, f"{row['id']}: {key} is {got!r}, table says {want!r}"


def test_schema_check_refuses_unknown_keys():
    assert schema_has("payment.assistance.ratio.formerly_poor")
    assert schema_has("health.major.breast_cancer.cost_yuan_early")
    assert schema_has("policies.premium_subsidy.contribution_yuan.2023")
    assert not schema_has("payment.assistance.ratoi")
    assert not schema_has("payment.assistance.ratio.poor")
    assert not schema_has("payment.assistance")          # a section, not a value


def test_summary_counts_match_the_table():
    counts = Counter((r["seed"], r["status"]) for r in rows())
    text = SUMMARY.read_text(encoding="utf-8")
    assert "../shared" not in text
    text = text.split("## Counts", 1)[1].split("\n## ", 1)[0]
    for seed in SEEDS:
        line = re.search(rf"^\| {seed} \|.*$", text, re.M)
        assert line, f"no summary row for seed {seed}"
        cells = [c.strip() for c in line.group(0).strip("|").split("|")]
        numbers = [int(c) for c in cells if c.isdigit()]
        want = [counts[(seed, s)] for s in STATUSES]
        assert numbers[-4:] == [*want, sum(want)], f"seed {seed}: {numbers} vs {want}"
