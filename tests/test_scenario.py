"""Scenario loading: every built-in file is valid; every broken fixture fails clearly."""

from pathlib import Path

import pytest

from sim.scenario import (
    CALENDAR_DIR,
    DEFAULT_SCENARIO,
    SCENARIO_DIR,
    Scenario,
    load_scenario,
)
from sim.schema import ScenarioError

BAD = Path(__file__).parent / "fixtures" / "bad"

# fixture -> pieces the message must contain (file, key, value, what is allowed)
BROKEN = {
    "unknown_key.toml": ["unknown_key.toml", "payment.assistance.ratoi", "unknown key",
                         "did you mean 'ratio'"],
    "probability_too_high.toml": ["probability_too_high.toml", "payment.assistance.ratio",
                                  "1.3", "from 0 to 1"],
    "wrong_type.toml": ["wrong_type.toml", "population.households", "'many'",
                        "not a number", "whole number"],
    "negative_budget.toml": ["negative_budget.toml", "policies.monitoring.annual_budget_yuan",
                             "-5", ">= 0"],
    "shares_not_one.toml": ["shares_not_one.toml", "population.group_shares", "sum to 1.1",
                            "summing to 1"],
    "bad_month.toml": ["bad_month.toml", "calendar.start", "2021-13", "YYYY-MM"],
    "missing_base.toml": ["missing_base.toml", "scenario.base", "nope.toml", "not found"],
    "not_toml.toml": ["not_toml.toml", "not valid TOML"],
    "unknown_group.toml": ["unknown_group.toml", "policies.contracts.coverage.poor",
                           "extremely_poor, minimum_guarantee"],
    "missing_required.toml": ["missing_required.toml", "missing required key"],
    "wrong_bool.toml": ["wrong_bool.toml", "policies.screening.enabled", "'yes'",
                        "true or false"],
    "end_before_start.toml": ["end_before_start.toml", "calendar.end", "2020-06",
                              "at or after the start"],
    "change_unknown_key.toml": ["change_unknown_key.toml", "calendar change 'cut'",
                                "payment.asistance", "did you mean 'assistance'"],
    "change_out_of_range.toml": ["change_out_of_range.toml", "calendar change 'cut'",
                                 "payment.assistance.ratio", "1.5", "from 0 to 1"],
    "change_outside_window.toml": ["change_outside_window.toml", "calendar.changes.late.date",
                                   "2030-01", "2020-01 to 2025-12"],
    "change_static_key.toml": ["change_static_key.toml", "capacity_per_100k",
                               "cannot change on a date"],
    "child_of_bad_base.toml": ["probability_too_high.toml", "payment.assistance.ratio", "1.3"],
    "unknown_condition.toml": ["unknown_condition.toml", "care.newborn_screening.conditions",
                               "'phenylketonurea' is not a disease of health.major",
                               "being phenylketonuria, congenital_hypothyroidism"],
    "listed_shares_over_one.toml": ["listed_shares_over_one.toml",
                                    "health.listed_admissions.b.share", "cause 'any'",
                                    "add up to 1.2", "at most 1"],
}


def builtin_scenarios():
    return sorted(SCENARIO_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", builtin_scenarios(), ids=lambda p: p.stem)
def test_builtin_scenarios_are_valid(path):
    scn = load_scenario(path)
    assert scn.name == path.stem
    assert scn.timeline.n_reported >= 12


@pytest.mark.parametrize("path", sorted(CALENDAR_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_calendar_overlays_apply_to_the_default(path):
    scn = load_scenario().with_calendar(path.stem)
    assert scn.name.endswith(path.stem)
    assert scn.params["calendar"]["end"] == "2027-12"


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_gives_a_clear_error(name):
    with pytest.raises(ScenarioError) as err:
        load_scenario(BAD / name)
    message = str(err.value)
    for piece in BROKEN[name]:
        assert piece in message, f"{piece!r} not in: {message}"


def test_every_broken_fixture_is_tested():
    assert {p.name for p in BAD.glob("*.toml")} == set(BROKEN) | {"bad_calendar.toml"}


def test_broken_calendar_overlay():
    with pytest.raises(ScenarioError, match=r"bad_calendar.toml.*calender.*unknown key"):
        load_scenario().with_calendar(BAD / "bad_calendar.toml")


def test_missing_file_names_the_builtins():
    with pytest.raises(ScenarioError, match=r"no such scenario file.*transition_2021_2025"):
        load_scenario("no_such_scenario")


def test_default_is_the_transition_scenario():
    assert load_scenario().path == DEFAULT_SCENARIO.resolve()


def test_override_scalar_applies_to_every_group():
    scn = load_scenario(overrides=["payment.assistance.ratio=0.8"])
    assert set(scn.get("payment.assistance.ratio").values()) == {0.8}


def test_override_one_entry_keeps_the_others():
    base = load_scenario()
    scn = load_scenario(overrides={"payment.assistance.ratio.marginal": 0.1})
    ratio = scn.get("payment.assistance.ratio")
    assert ratio["marginal"] == 0.1
    assert ratio["formerly_poor"] == base.get("payment.assistance.ratio")["formerly_poor"]


def test_override_a_record_by_name():
    scn = load_scenario(overrides=["health.major.breast_cancer.cost_yuan_late=1234"])
    assert scn.get("health.major.breast_cancer.cost_yuan_late") == 1234


@pytest.mark.parametrize("override, pieces", [
    ("payment.asistance.ratio=0.5", ["--set", "payment.asistance", "did you mean"]),
    ("payment.assistance.ratio=1.3", ["--set", "payment.assistance.ratio", "1.3",
                                      "from 0 to 1"]),
    ("health.major.no_cancer.cost_yuan_late=1", ["no record with this name",
                                                 "breast_cancer"]),
    ("payment.assistance.ratio", ["KEY=VALUE"]),
    ("policies.monitoring.annual_budget_yuan=-1", ["annual_budget_yuan", ">= 0"]),
])
def test_bad_override_gives_a_clear_error(override, pieces):
    with pytest.raises(ScenarioError) as err:
        load_scenario(overrides=[override])
    for piece in pieces:
        assert piece in str(err.value)


def test_inheritance_merges_tables_key_by_key(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(f'[scenario]\nname = "child"\nbase = "{DEFAULT_SCENARIO}"\n'
                     "[policies.monitoring]\ncadence_months = 0.25\n")
    scn = load_scenario(child)
    assert scn.get("policies.monitoring.cadence_months") == 0.25
    assert scn.get("policies.monitoring.detection") == load_scenario().get(
        "policies.monitoring.detection")


def test_calendar_changes_take_effect_on_their_date(tmp_path):
    child = tmp_path / "cut.toml"
    child.write_text(f'[scenario]\nname = "cut"\nbase = "{DEFAULT_SCENARIO}"\n'
                     '[[calendar.changes]]\nname = "cut"\ndate = "2023-07"\n'
                     'set = { "payment.assistance.ratio.formerly_poor" = 0.3 }\n')
    scn = load_scenario(child)
    schedule = scn.params_by_month()
    assert [m for m, _ in schedule] == [0, scn.timeline.index(2023 * 12 + 6)]
    assert schedule[0][1]["payment"]["assistance"]["ratio"]["formerly_poor"] == 0.7
    assert schedule[1][1]["payment"]["assistance"]["ratio"]["formerly_poor"] == 0.3


def test_scenario_is_immutable_and_overrides_make_copies():
    base = load_scenario()
    changed = base.with_overrides(["policies.screening.enabled=false"])
    assert base.get("policies.screening.enabled") is True
    assert changed.get("policies.screening.enabled") is False
    assert isinstance(changed, Scenario)
    assert ("policies.screening.enabled", False) in changed.overrides


def test_child_tables_replace_the_base_s_whole(tmp_path):
    child = tmp_path / "child.toml"
    child.write_text(f'[scenario]\nname = "child"\nbase = "{DEFAULT_SCENARIO}"\n'
                     "[poverty]\nline_yuan = { 2020 = 5000 }\n")
    assert load_scenario(child).get("poverty.line_yuan") == {2020: 5000.0}


@pytest.mark.parametrize("override, pieces", [
    ({"health.incidence_reference_ages": None},
     ["health.major.digestive_cancers.incidence_age_rr", "needs health.incidence_reference_ages"]),
    ({"health.major.breast_cancer.incidence_age_rr": 0},
     ["health.major.breast_cancer.incidence_age_rr", "is 0 in every band of the age range"]),
])
def test_an_age_profile_needs_its_reference_population_and_a_rate(override, pieces):
    with pytest.raises(ScenarioError) as err:
        load_scenario().with_overrides(override)
    for piece in pieces:
        assert piece in str(err.value)
