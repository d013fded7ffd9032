"""Each measure: switched off it leaves no trace; switched on it moves its own pathway in
the expected direction (same seed, so the comparison is paired); capacity and budgets bind.
"""

import numpy as np
import pytest

from sim import load_scenario
from sim.engine import Model
from sim.policies import REGISTRY
from sim.scenario import SCENARIO_DIR


def off(name):
    return (f"policies.{name}.enabled=false",)


def totals(res, group="all"):
    m = res.monthly
    return m[m["group"] == group].sum(numeric_only=True)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_switched_off_measure_costs_nothing_and_leaves_no_trace(run_small, name):
    res = run_small(off(name))
    cols = [ind.name for ind in REGISTRY[name].INDICATORS]
    assert f"{name}_cost_yuan" in cols
    assert (res.monthly[cols].fillna(0) == 0).all().all()
    assert res.value(f"{name}_cost_yuan_total") == 0


#: Measures the default scenario leaves off, with the scenario of the seed that sets them.
SEED_SCENARIO = {"tuberculosis": "xinjiang_2019", "disease_floors": "linyi_2021",
                 "birth_defects": "linyi_2021"}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_switched_on_measure_does_something_and_costs(run_small, default_run, name):
    res = run_small(scenario=SEED_SCENARIO[name]) if name in SEED_SCENARIO else default_run
    assert res.value(f"{name}_cost_yuan_total") > 0


def test_contracts_raise_management_and_lower_admissions(run_small, default_run):
    without = run_small(off("contracts"))
    last = lambda r, c: r.monthly[r.monthly["group"] == "all"][c].iloc[-1]  # noqa: E731
    for d in ("hypertension", "diabetes"):
        rate_on = last(default_run, f"{d}_managed") / last(default_run, f"{d}_diagnosed")
        rate_off = last(without, f"{d}_managed") / last(without, f"{d}_diagnosed")
        assert rate_on > rate_off + 0.05, d
    assert totals(default_run)["admissions"] < totals(without)["admissions"]


def test_screening_finds_disease_earlier(run_small):
    # major diseases are rare: 6,000 households give about 200 onsets over the period
    with_ = run_small(households=6000)
    without = run_small(off("screening"), households=6000)
    on, no = totals(with_), totals(without)
    early_on = on["major_found_early"] + on["screening_major_found_early"]
    late_on = on["major_found_late"] + on["screening_major_found_late"]
    share_on = early_on / (early_on + late_on)
    share_off = no["major_found_early"] / (no["major_found_early"] + no["major_found_late"])
    assert share_on > share_off
    assert on["screening_chronic_found"] > 0
    assert on["screening_false_positives"] > 0


def test_settlement_removes_the_deposit_barrier(run_small, default_run):
    without = run_small(off("settlement"))
    assert totals(default_run)["admissions_forgone_deposit"] < totals(without)[
        "admissions_forgone_deposit"]
    assert totals(without, "formerly_poor")["advanced_yuan"] > 0
    assert totals(default_run, "formerly_poor")["advanced_yuan"] == 0


POVERTY_COLUMNS = ["poor_households", "poor_illness_households", "entered_poverty_households",
                   "oop_yuan", "income_yuan", "deaths", "admissions", "admissions_forgone"]


def test_settlement_without_delay_or_deposit_has_no_effect(run_small):
    neutral = ("care.reimbursement_delay_months=0", "care.deposit_yuan=0")
    on, no = run_small(neutral), run_small(neutral + off("settlement"))
    assert totals(on)["settlement_cases"] > 0
    for col in POVERTY_COLUMNS + ["advanced_yuan", "debt_yuan"]:
        assert (on.monthly[col] == no.monthly[col]).all(), col
    assert totals(no)["advanced_yuan"] == 0


def test_reimbursement_delay_alone_changes_debt_not_poverty(run_small):
    no_deposit = ("care.deposit_yuan=0",) + off("settlement")
    prompt = run_small(no_deposit + ("care.reimbursement_delay_months=0",))
    late = run_small(no_deposit + ("care.reimbursement_delay_months=3",))
    assert totals(prompt)["debt_yuan"] == 0
    assert totals(late)["debt_yuan"] > 0 and totals(late)["debt_interest_yuan"] > 0
    assert totals(late)["borrowed_yuan"] <= totals(late)["advanced_yuan"]
    assert totals(late)["cash_yuan"] < totals(prompt)["cash_yuan"]  # advances wait
    for col in POVERTY_COLUMNS:
        assert (prompt.monthly[col] == late.monthly[col]).all(), col
    assert (prompt.annual["returned_illness_households"]
            == late.annual["returned_illness_households"]).all()


def test_a_deposit_changes_forgone_care_and_through_it_health_and_poverty(run_small):
    base = off("settlement") + ("care.reimbursement_delay_months=0",)
    free = run_small(base + ("care.deposit_yuan=0",))
    deposit = run_small(base)
    assert totals(free)["admissions_forgone_deposit"] == 0
    assert totals(deposit)["admissions_forgone_deposit"] > 0
    assert totals(deposit)["admissions_forgone"] > totals(free)["admissions_forgone"]
    assert totals(deposit)["oop_yuan"] < totals(free)["oop_yuan"]  # care not bought
    assert not (deposit.monthly["poor_households"] == free.monthly["poor_households"]).all()
    # and through forgone admissions, deaths (a deadlier forgone admission makes the
    # pathway visible in a small run: 1% die by default)
    deadly = ("care.forgone_admission_mortality=0.2",)
    assert totals(run_small(base + deadly))["deaths"] > totals(
        run_small(base + deadly + ("care.deposit_yuan=0",)))["deaths"]


def test_fee_exemption_makes_outpatient_care_cheaper_and_so_more_used(run_small, default_run):
    without = run_small(off("fee_exemption"))
    on, no = totals(default_run, "formerly_poor"), totals(without, "formerly_poor")
    assert on["fee_exemption_visits"] > 0
    # a lower bill a visit; and, care responding to its price, fewer visits forgone and
    # more made (so that the group's total outpatient spending may rise or fall)
    per_visit = {k: (t["bills_yuan"] - t["inpatient_bills_yuan"]) / t["outpatient_episodes"]
                 for k, t in (("on", on), ("off", no))}
    assert per_visit["on"] < per_visit["off"]
    assert on["outpatient_forgone"] < no["outpatient_forgone"]
    assert on["outpatient_episodes"] > no["outpatient_episodes"]
    assert totals(default_run, "other")["fee_exemption_visits"] == 0


def test_tuberculosis_rules_pay_more_of_tb_bills(run_small, default_run):
    with_tb = run_small(("policies.tuberculosis.enabled=true",))  # off in the default
    on, no = totals(with_tb), totals(default_run)
    assert on["tuberculosis_topup_yuan"] > 0
    assert on["basic_yuan"] > no["basic_yuan"]
    assert on["oop_yuan"] < no["oop_yuan"]


def test_special_treatment_admits_on_pathway_and_lowers_bills(run_small, default_run):
    without = run_small(off("special_treatment"))
    assert totals(default_run)["special_admitted"] > 0
    assert totals(default_run)["bills_yuan"] < totals(without)["bills_yuan"]


def test_monitoring_pays_assistance_and_lowers_poverty(run_small, default_run):
    without = run_small(off("monitoring"))
    on, no = totals(default_run), totals(without)
    assert on["monitoring_assistance_arrived_yuan"] > 0
    assert on["poor_illness_households"] < no["poor_illness_households"]


def test_premium_subsidy_raises_enrolment(run_small, default_run):
    without = run_small(off("premium_subsidy"))
    assert totals(default_run)["insured_persons"] > totals(without)["insured_persons"]


def test_primary_care_reduces_forgone_visits(run_small, default_run):
    without = run_small(off("primary_care"))
    assert totals(default_run)["outpatient_forgone"] < totals(without)["outpatient_forgone"]


def test_cost_control_lowers_bills(run_small, default_run):
    without = run_small(off("cost_control"))
    assert totals(default_run)["bills_yuan"] < totals(without)["bills_yuan"]


def test_halving_doctor_capacity_lowers_follow_ups_served(run_small, default_run):
    cap = load_scenario().get("policies.contracts.followups_per_10k_month")
    half = run_small((f"policies.contracts.followups_per_10k_month={cap / 2}",))
    assert totals(half)["followups_served"] < 0.75 * totals(default_run)["followups_served"]


def test_special_treatment_queue_forms_when_capacity_is_short(run_small, default_run):
    short = run_small(("policies.special_treatment.capacity_per_100k=2",))
    assert short.monthly["special_waiting"].max() > 0
    # a waiting case either gets a slot freed within max_wait_months or is treated outside
    # (with one slot in 1,500 households most go outside)
    assert totals(short)["special_wait_months"] + totals(short)["special_outside"] > 0
    waiting = lambda r: r.monthly[r.monthly["group"] == "all"]["special_waiting"].sum()  # noqa: E731
    assert waiting(default_run) < waiting(short)  # case-months in the queue


def test_monitoring_budget_that_runs_out_stops_help_for_the_year(run_small):
    res = run_small(("policies.monitoring.annual_budget_yuan=200000",))
    m = res.monthly[res.monthly["group"] == "all"].reset_index(drop=True)
    exhausted = m.index[m["monitoring_budget_exhausted"] > 0]
    assert len(exhausted) > 0
    first = exhausted[0]
    year = m.loc[first, "year"]
    after = m[(m.index > first) & (m["year"] == year)]
    assert (after["monitoring_assisted"] == 0).all()
    assert (after["monitoring_budget_exhausted"] == 1).all()
    assert m.loc[m["year"] == year, "monitoring_refused_budget"].sum() > 0
    assert "monitoring budget exhausted" in set(res.events["event"])
    next_year = m[m["year"] == year + 1]
    if len(next_year):
        assert next_year["monitoring_assisted"].sum() > 0  # a new budget, a new year


def test_weekly_sweeps_find_households_sooner(run_small, default_run):
    weekly = run_small(("policies.monitoring.cadence_months=0.25",))
    quarterly = run_small(("policies.monitoring.cadence_months=3",))
    assert totals(weekly)["monitoring_found"] >= totals(default_run)["monitoring_found"]
    assert totals(default_run)["monitoring_found"] > totals(quarterly)["monitoring_found"]


def test_tapering_after_2025_cuts_help_to_the_formerly_poor(run_small):
    hold = run_small(calendar="hold")
    withdraw = run_small(calendar="withdraw")
    a = hold.annual.set_index(["year", "group"])
    b = withdraw.annual.set_index(["year", "group"])
    assert b.loc[(2025, "formerly_poor"), "assistance_yuan"] == pytest.approx(
        a.loc[(2025, "formerly_poor"), "assistance_yuan"])
    assert b.loc[(2027, "formerly_poor"), "assistance_yuan"] == 0
    assert a.loc[(2027, "formerly_poor"), "assistance_yuan"] > 0
    # over the two years of withdrawal: households that returned in 2026 are poor at the
    # end of it and cannot return again in 2027, so 2027 alone can show no difference
    years = [(2026, "all"), (2027, "all")]
    assert b.loc[years, "return_illness_rate"].sum() > a.loc[years,
                                                             "return_illness_rate"].sum()


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_scenario_runs_for_one_year(path):
    scn = load_scenario(path).truncate(12)
    res = Model(scn, seed=0, households=400).run()
    assert len(res.monthly["month"].unique()) == 12
    assert res.value("bills_yuan_total") > 0
    assert np.isfinite(res.summary["value"]).any()


def test_contract_coverage_reaches_its_targets():
    scn = load_scenario()
    model = Model(scn, seed=6, households=4000)
    model.run()
    P, contracts = model.pop.persons, model.measures["contracts"]
    contracted = contracts.contracted
    # persons born or regrouped in the last month are signed at the next signing
    waiting = np.zeros(P.n, bool)
    waiting[np.concatenate(contracts._born or [np.zeros(0, np.intp)])] = True
    targets = scn.get("policies.contracts.coverage")
    for g, name in enumerate(["extremely_poor", "minimum_guarantee", "formerly_poor",
                              "marginal", "other"]):
        sel = P.alive & (model.pgroup == g) & (P.diagnosed == 0) & ~waiting
        p, n = targets[name], sel.sum()
        # each person's contract is a fixed uniform below the target: binomial tolerance
        assert abs(contracted[sel].mean() - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-9, name


def test_no_one_is_checked_twice_within_the_interval(monkeypatch):
    import sim.checks
    import sim.engine
    import sim.policies.contracts
    import sim.policies.screening

    seen = {}
    real = sim.checks.health_check

    def recording(model, persons, m):
        for p in persons.tolist():
            assert m - seen.get(p, -10**6) >= 12, (p, m, seen[p])
            seen[p] = m
        return real(model, persons, m)

    real_form = sim.engine.form_households

    def forming(model, m):  # a slot taken by a new household holds a new person
        members = real_form(model, m)
        for p in members.tolist():
            seen.pop(p, None)
        return members

    monkeypatch.setattr(sim.policies.contracts, "health_check", recording)
    monkeypatch.setattr(sim.policies.screening, "health_check", recording)
    monkeypatch.setattr(sim.engine, "form_households", forming)
    res = Model(load_scenario(), seed=2, households=800).run()
    assert totals(res)["contracts_checks"] > 0 and totals(res)["screening_checked"] > 0


def test_contract_checks_find_disease(default_run):
    assert totals(default_run)["contracts_check_findings"] > 0


@pytest.mark.parametrize("name", ["fee_exemption", "cost_control"])
def test_removing_a_price_measure_changes_forgone_care(run_small, default_run, name):
    without = run_small(off(name))
    assert totals(without)["outpatient_forgone"] > totals(default_run)["outpatient_forgone"]


@pytest.mark.parametrize("trigger", ["policies.monitoring.major_disease_trigger=false",
                                     "policies.monitoring.oop_share_of_income_threshold=0"])
def test_each_monitoring_trigger_finds_households(run_small, trigger):
    # with the sudden-hardship watch of other households on, where triggers must combine
    watch = ("policies.monitoring.sudden_hardship_groups.other=true",)
    found = lambda r: totals(r)["monitoring_found"]  # noqa: E731
    assert found(run_small((*watch, trigger))) < found(run_small(watch))


def test_sudden_hardship_watch_finds_only_households_pushed_below_the_line(run_small):
    other = "policies.monitoring.sudden_hardship_groups.other=true"
    every = "policies.monitoring.groups.other=true"
    found = lambda r: totals(r, "other")["monitoring_found"]  # noqa: E731
    assert found(run_small()) == 0
    hardship, everything = found(run_small((other,))), found(run_small((every,)))
    assert 0 < hardship < everything


def _served_by_full_sort(contracts, m, due, available):
    """The follow-ups served when every due patient is ranked (the reference computation)."""
    model = contracts.model
    town = model.pop.households.township[model.pop.persons.hh[due]]
    waited = np.minimum(m - contracts.due[due], 999)
    tie = model.streams["contracts"].keyed(due, m, 1)
    order = np.argsort(town * 1000.0 + (999 - waited) + tie)
    town_sorted = town[order]
    starts = np.searchsorted(town_sorted, np.arange(len(available)))
    ok = np.empty(len(due), bool)
    ok[order] = np.arange(len(due)) - starts[town_sorted] < available[town_sorted]
    return ok


@pytest.mark.parametrize("seed", range(6))
def test_follow_ups_ranked_only_where_capacity_runs_out_match_a_full_ranking(seed):
    model = Model(load_scenario(), seed=0, households=400)
    contracts = model.measures["contracts"]
    rng = np.random.default_rng(seed)
    n_town = model.params["population"]["townships"]
    capacity = rng.integers(0, 40, n_town) + rng.random(n_town)
    contracts.team_capacity, contracts.team_level = capacity, capacity * rng.random(n_town)
    m = 30
    due = np.sort(rng.choice(model.pop.persons.n, rng.integers(1, 600), replace=False))
    contracts.due[due] = m - rng.integers(0, 4, len(due))
    expected = _served_by_full_sort(contracts, m, due, capacity.astype(int))
    assert (contracts._serve(m, due) == expected).all()
    left = contracts.team_level
    served = np.bincount(model.pop.households.township[model.pop.persons.hh[due[expected]]],
                         minlength=n_town)
    assert np.allclose(left, capacity - served)


def test_every_measure_says_who_bears_its_cost():
    from sim.policies import REGISTRY
    from sim.policies.base import FUNDERS

    assert {name: cls.funded_by for name, cls in REGISTRY.items()
            if cls.funded_by not in FUNDERS} == {}
