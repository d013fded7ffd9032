"""The poverty registry: exact counts of a hand-built registry, exits by the assessment
rules, programme attribution, identification of monitored objects, and the accounting of
the registry's illness-poor count."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from models.registry import (
    ALL_MEASURES,
    SIZE_UNIT,
    measures_part,
    registry_change,
    run_measures_part,
)
from sim import load_scenario, run
from sim.engine import Model
from sim.health import household_members
from sim.parameters import GROUPS, PROGRAMMES
from sim.schema import ScenarioError
from sim.timeline import parse_month

XJ = "xinjiang_2019"
#: Households without labour may exit from the first assessment: labour does not matter.
ANY_LABOUR = "registry.exit.without_labour_from=\"2019-01\""


def fresh_model(overrides=(), households=60, scenario=XJ):
    return Model(load_scenario(scenario, list(overrides)), seed=1, households=households)


def test_a_hand_built_registry_is_counted_exactly():
    model = fresh_model()
    H = model.pop.households
    H.registered[:] = False
    H.formerly_poor[:] = False
    H.cause_illness[:] = False
    H.monitored[:] = False
    H.registered[[0, 1, 2, 3]] = True
    H.cause_illness[[1, 3, 10]] = True  # 10 is not registered: never counted
    H.formerly_poor[[10, 11]] = True
    H.monitored[[20, 21, 22]] = True
    H.size[3] = 0  # a household whose members have all died is not counted
    model.status = model.accounts.assess(model.poverty_line(0), H.size)
    model.recorder.record_month(model, model.timeline.warmup)
    data = model.recorder.data[0].sum(axis=0)
    col = model.recorder.col
    assert data[col["registry_poor_households"]] == 3
    assert data[col["registry_poor_illness_households"]] == 1
    assert data[col["registry_poor_illness_persons"]] == H.size[1]
    assert data[col["registry_poor_persons"]] == H.size[[0, 1, 2]].sum()
    assert data[col["registry_monitored_households"]] == 3
    assert data[col["formerly_poor_households"]] == 2


def exit_model(**rules):
    overrides = [f"registry.exit.{k}={v}" for k, v in rules.items()]
    model = fresh_model(["registry.exit.processing_share=1",
                         "registry.exit.other_guarantees_share=1", ANY_LABOUR, *overrides])
    H, acc = model.pop.households, model.accounts
    H.registered[:] = True
    H.formerly_poor[:] = False
    H.cause_illness[:] = True
    H.size[:] = 2
    acc.sum_size[:] = 24  # two members in each of the 12 months (person-months)
    line = model.poverty_line(model.registry.active_from)
    # per-capita 12-month net income from 0.5 to 1.5 times the line, in steps
    net_pc = np.linspace(0.5, 1.5, H.n) * line
    acc.sum_income[:] = net_pc * 2 + 100.0
    acc.sum_oop[:] = 100.0
    return model, net_pc, line


def test_exits_follow_the_income_standard():
    model, net_pc, line = exit_model(income_x_line=1.0)
    model.registry._assess(model.registry.active_from)
    H = model.pop.households
    insured = model.registry._all_insured(np.arange(H.n))
    expected = (net_pc >= line) & insured
    assert expected.sum() > 10
    assert (H.formerly_poor == expected).all()
    assert (H.registered == ~expected).all()
    assert model.month_counts["registry_exits_households"].sum() == expected.sum()
    assert model.month_counts["registry_exits_persons"].sum() == 2 * expected.sum()


def test_an_uninsured_member_blocks_the_exit_when_insurance_is_required():
    strict, *_ = exit_model(income_x_line=0.0)
    lax, *_ = exit_model(income_x_line=0.0, requires_insurance="false")
    for model in (strict, lax):
        model.registry._assess(model.registry.active_from)
    H = strict.pop.households
    P = strict.pop.persons
    uninsured_hh = np.unique(P.hh[~strict.insured(np.arange(P.n)) & P.alive])
    assert len(uninsured_hh) > 0
    assert not H.formerly_poor[uninsured_hh].any()
    assert lax.pop.households.formerly_poor.all()


def test_processing_share_delays_exits():
    model = fresh_model(["registry.exit.processing_share=0.25",
                         "registry.exit.other_guarantees_share=1",
                         "registry.exit.income_x_line=0", "registry.exit.requires_insurance=false",
                         ANY_LABOUR], households=4000)
    H = model.pop.households
    H.registered[:] = True
    H.formerly_poor[:] = False
    model.registry._assess(model.registry.active_from)
    n = model.pop.sample_households  # not the spare blocks, which have no one to exit
    assert abs(H.formerly_poor[:n].mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)


def test_an_exit_that_needed_a_programme_is_attributed_to_it():
    model, net_pc, line = exit_model(income_x_line=1.0)
    reg = model.registry
    k = PROGRAMMES.index("industry")
    reg.gain[:, k] = 0.3 * line  # every household has the industry income...
    reg._assess(reg.active_from)
    H = model.pop.households
    exits = H.formerly_poor
    needed = exits & (net_pc - 0.3 * line < line)  # ...the poorer exits needed it
    counts = model.month_counts
    assert counts["registry_exits_illness_industry_households"].sum() == needed.sum() > 0
    assert counts["registry_exits_illness_other_households"].sum() == (exits & ~needed).sum()


@pytest.mark.parametrize("lag", [0, 2])
def test_monitoring_makes_monitored_objects_exactly_the_lag_after_they_are_found(lag):
    """A household becomes a monitored object ``identification_lag_months`` after a sweep
    found it at risk, never earlier or later, and never while registered."""
    model = Model(load_scenario(overrides=[f"registry.identification_lag_months={lag}"]),
                  seed=3, households=1500)
    reg, H = model.registry, model.pop.households
    found_in = defaultdict(set)  # household -> months a sweep found it
    became = []  # (household, month it became a monitored object)
    identify, identified = reg.identify, reg._identified

    def spy_identify(households, m):
        for h in households.tolist():
            found_in[h].add(m)
        identify(households, m)

    def spy_identified(m):
        before = H.monitored.copy()
        identified(m)
        became.extend((h, m) for h in np.flatnonzero(H.monitored & ~before).tolist())

    reg.identify, reg._identified = spy_identify, spy_identified
    res = model.run()
    assert len(became) > 20
    assert all(m - lag in found_in[h] for h, m in became)
    monthly = res.monthly[res.monthly["group"] == "all"]
    assert monthly["registry_monitored_new_households"].sum() == sum(
        m >= model.timeline.warmup for _, m in became)
    assert not (H.monitored & H.registered).any()


@pytest.fixture(scope="module")
def xinjiang():
    return run(load_scenario(XJ), reps=2, seed=4, households=2500)


def test_the_registry_change_adds_up_exactly(xinjiang):
    change = registry_change(xinjiang, "2018-12", "2019-07").to_frame().set_index(
        ["unit", "component"])["value"]
    for unit in ("households", "persons"):
        parts = change[unit].drop(["at 2018-12", "at 2019-07", "fall"])
        assert change[(unit, "fall")] == pytest.approx(parts.sum(), abs=1e-6)
        assert change[(unit, "fall")] == pytest.approx(
            change[(unit, "at 2018-12")] - change[(unit, "at 2019-07")])
    assert change[("households", "fall")] > 0


def test_the_measures_part_is_the_paired_difference_of_the_falls(xinjiang):
    """Against itself (same seeds) the part is exactly zero; against any run it is the
    fall with minus the fall without, replication by replication."""
    same = measures_part(xinjiang, {"nothing": xinjiang}, "2018-12", "2019-07").to_frame()
    assert (same[["part", "lo", "hi"]] == 0).all().all()
    fall = registry_change(xinjiang, "2018-12", "2019-07").to_frame().set_index(
        ["unit", "component"])["value"]
    assert same.set_index("unit")["fall"]["households"] == pytest.approx(
        fall[("households", "fall")])
    other = run(load_scenario(XJ), reps=2, seed=5, households=2500)
    with pytest.raises(ValueError, match="same seeds"):
        measures_part(xinjiang, {"other seeds": other}, "2018-12", "2019-07")


def test_without_premium_subsidies_fewer_illness_poor_households_leave_the_registry():
    """Exits need every member insured ("basic medical care assured"): without the
    premium subsidy fewer of the registered poor enrol, so fewer exit."""
    part = run_measures_part(load_scenario(XJ), "2018-12", "2019-07",
                             measures=["premium_subsidy", "special_treatment"],
                             reps=2, seed=4, households=2500).to_frame()
    rows = part.set_index(["measures", "unit"])
    assert list(rows.index.get_level_values(0).unique()) == [
        ALL_MEASURES, "premium_subsidy", "special_treatment"]
    for unit in ("households", "persons"):
        assert rows.loc[("premium_subsidy", unit), "part"] > 0
        assert rows.loc[("premium_subsidy", unit), "fall_without"] < rows.loc[
            ("premium_subsidy", unit), "fall"]
    assert np.allclose(rows["part"], rows["fall"] - rows["fall_without"])
    assert rows.loc[(ALL_MEASURES, "households"), "fall"] == pytest.approx(
        registry_change(run(load_scenario(XJ), reps=2, seed=4, households=2500),
                        "2018-12", "2019-07").to_frame().set_index(
            ["unit", "component"])["value"][("households", "fall")])
    with pytest.raises(ValueError, match="not enabled.*allowed: contracts"):
        run_measures_part(load_scenario(XJ), "2018-12", "2019-07", measures=["monitoring"])


def test_every_registry_count_of_households_has_its_persons(xinjiang):
    """DESIGN: every count also in persons; a household counted brings its members."""
    from sim.registry import INDICATORS

    names = {i.name for i in INDICATORS}
    m = xinjiang.monthly
    for name in sorted(n for n in names if n.endswith("_households")):
        if name == "registry_dissolved_illness_households":  # no members left by definition
            continue
        twin = name.removesuffix("_households") + "_persons"
        assert twin in names, name
        assert (m[twin] >= m[name]).all() and (m[twin] <= 20 * m[name]).all(), name
    split = sum(m[f"registry_exits_illness_{p}_persons"] for p in (*PROGRAMMES, "other"))
    assert np.allclose(split, m["registry_exits_illness_persons"])
    assert m["registry_exits_illness_persons"].sum() > 0


def test_the_registry_change_gives_household_sizes(xinjiang):
    change = registry_change(xinjiang, "2018-12", "2019-07").to_frame().set_index(
        ["unit", "component"])["value"]
    m = xinjiang.monthly[xinjiang.monthly["group"] == "all"].set_index(["rep", "month"])
    h, p = m["registry_poor_illness_households"], m["registry_poor_illness_persons"]
    h0, h1 = (h.xs(d, level="month") for d in ("2018-12", "2019-07"))
    p0, p1 = (p.xs(d, level="month") for d in ("2018-12", "2019-07"))
    window = m[(m.index.get_level_values("month") > "2018-12")
               & (m.index.get_level_values("month") <= "2019-07")].groupby("rep").sum()
    exits = (window["registry_exits_illness_persons"]
             / window["registry_exits_illness_households"])
    assert change[(SIZE_UNIT, "at 2018-12")] == pytest.approx((p0 / h0).mean())
    assert change[(SIZE_UNIT, "at 2019-07")] == pytest.approx((p1 / h1).mean())
    assert change[(SIZE_UNIT, "fall")] == pytest.approx(((p0 - p1) / (h0 - h1)).mean())
    assert change[(SIZE_UNIT, "exits")] == pytest.approx(exits.mean())
    assert 1 < change[(SIZE_UNIT, "exits")] < 10


def test_registry_counts_separate_truth_from_labels(xinjiang):
    last = xinjiang.monthly[(xinjiang.monthly["group"] == "all")
                            & (xinjiang.monthly["month"] == "2019-07")]
    assert (last["registry_poor_illness_truly_poor_illness_households"]
            <= last["registry_poor_illness_households"]).all()
    assert (last["registry_poor_illness_truly_poor_illness_households"]
            <= last["poor_illness_households"]).all()
    assert (last["poor_illness_unregistered_households"]
            <= last["poor_illness_households"]).all()


def test_the_registry_does_not_move_before_it_is_active():
    model = Model(load_scenario(XJ), seed=2, households=1000)
    start = model.pop.households.registered.copy()
    model.run_to(model.timeline.warmup + 1)  # through December 2018
    H = model.pop.households
    # no exit, entry or dissolution before January 2019; households whose members all
    # died in the warm-up are still flagged, and not counted
    assert np.array_equal(H.registered, start)
    res_rows = model.recorder.data[0].sum(axis=0)  # December 2018, the first reported month
    assert res_rows[model.recorder.col["registry_poor_households"]] == (
        start & (H.size > 0)).sum()
    assert res_rows[model.recorder.col["registry_exits_households"]] == 0
    model.run()
    assert model.registry.active_from == model.timeline.warmup + 1  # January 2019


def test_registered_poor_are_neither_new_nor_returning():
    model = Model(load_scenario(XJ), seed=5, households=1500)
    res = model.run()
    a = res.annual[res.annual["group"] == "all"].set_index("year")
    H = model.pop.households
    alive = H.size > 0
    other = (alive & ~H.formerly_poor & ~H.registered).sum()
    assert a.loc[2019, "other_households_start"] >= other  # registered are not "other"


def regroup_model():
    model = fresh_model(["registry.group_change.minimum_guarantee_share=1"], scenario=None,
                        households=200)
    H, acc = model.pop.households, model.accounts
    GROUPS_ = list(GROUPS)
    other = np.flatnonzero((H.group == GROUPS_.index("other")) & (H.size > 0))[:4]
    poor, better = other[:2], other[2:]
    line = model.poverty_line(model.registry.active_from)
    acc.sum_income[poor] = 0.5 * line * H.size[poor]      # below the guarantee standard
    acc.sum_income[better] = 3.0 * line * H.size[better]  # above it
    acc.sum_oop[other] = 0.0
    return model, poor, better, GROUPS_


def test_a_monitored_object_changes_group_after_the_lag_and_pays_on_its_terms():
    model, poor, better, GROUPS_ = regroup_model()
    reg, H, P = model.registry, model.pop.households, model.pop.persons
    rules = model.params["registry"]
    m0 = reg.active_from
    reg.identify(np.concatenate([poor, better]), m0)
    identified = m0 + rules["identification_lag_months"]
    changed = identified + rules["group_change"]["lag_months"]
    for m in range(m0, changed):
        reg._identified(m)
        reg._regroup(m)
    assert H.monitored[poor].all() and (H.group[poor] == GROUPS_.index("other")).all()
    reg._identified(changed)
    reg._regroup(changed)
    assert (H.group[poor] == GROUPS_.index("minimum_guarantee")).all()
    assert (H.group[better] == GROUPS_.index("marginal")).all()
    members = np.flatnonzero(np.isin(P.hh, poor))
    assert (model.pgroup[members] == GROUPS_.index("minimum_guarantee")).all()
    want = model.params["income"]["transfers_yuan"]["minimum_guarantee"]
    assert np.allclose(H.transfer_pp_year[poor], want)
    # the next bill of a member carries the new group, so the chain applies its terms
    bills = model.care.major("inpatient", members[:1], np.full(1, 10000.0),
                             np.full(1, 2, np.int64))
    assert (bills.group == GROUPS_.index("minimum_guarantee")).all()


@pytest.mark.parametrize("back", [True, False])
def test_a_household_made_marginal_returns_to_other_when_its_risk_is_eliminated(back):
    model, poor, better, GROUPS_ = regroup_model()
    model.params["registry"]["group_change"]["marginal_back_to_other"] = back
    reg, H = model.registry, model.pop.households
    rules = model.params["registry"]
    m0 = reg.active_from
    reg.identify(better, m0)
    changed = m0 + rules["identification_lag_months"] + rules["group_change"]["lag_months"]
    for m in range(m0, changed + 1):
        reg._identified(m)
        reg._regroup(m)
    assert (H.group[better] == GROUPS_.index("marginal")).all() and H.monitored[better].all()
    # the next exit assessment finds their income at three times the line: risk eliminated
    every = rules["exit"]["assessment_interval_months"]
    m = next(k for k in range(changed, changed + 2 * every)
             if (k - reg.active_from + 1) % every == 0)
    reg._assess(m)
    assert not H.monitored[better].any()
    assert (H.group[better] == GROUPS_.index("other" if back else "marginal")).all()
    want = model.params["income"]["transfers_yuan"]["other" if back else "marginal"]
    assert np.allclose(H.transfer_pp_year[better], want)


def test_contract_and_insured_counts_follow_a_group_change():
    model = fresh_model(scenario=None, households=400)
    model.run()
    contracts = model.measures["contracts"]
    H = model.pop.households
    hh = np.flatnonzero((H.group == 4) & (H.size > 0))[:20]
    model.regroup(hh, np.full(len(hh), 3))
    living = model.pop.persons.alive & contracts.contracted
    assert np.allclose(contracts.n_contracted, model._by_group(np.flatnonzero(living)))
    insured = model.pop.persons.alive & model.enrolment.flags
    assert np.allclose(model.enrolment.n_insured, model._by_group(np.flatnonzero(insured)))


def test_the_review_admits_its_share_into_the_minimum_guarantee():
    admitted = {}
    for share in (0.0, 0.5, 1.0):
        model = fresh_model([f"registry.group_change.minimum_guarantee_share={share}"],
                            scenario=None, households=2000)
        H, acc = model.pop.households, model.accounts
        hh = np.flatnonzero((H.group == GROUPS.index("formerly_poor")) & (H.size > 0))
        acc.sum_income[hh], acc.sum_oop[hh] = 0.0, 0.0
        m = model.registry.active_from
        model.registry.regroup_due[m] = hh
        model.registry._regroup(m)
        admitted[share] = np.mean(H.group[hh] == GROUPS.index("minimum_guarantee"))
    assert admitted[0.0] == 0 and admitted[1.0] == 1
    assert 0.4 < admitted[0.5] < 0.6


def test_a_programme_per_worker_pays_by_working_members_and_skips_households_without():
    model = fresh_model(["registry.programmes.employment.per=\"worker\"",
                         "registry.programmes.employment.reach_per_year=1000",
                         "registry.programmes.employment.income_gain_yuan=3000"],
                        households=400)
    H, P = model.pop.households, model.pop.persons
    pop = model.params["population"]
    H.registered[:] = True
    model.registry._programmes(model.registry.active_from)
    k = PROGRAMMES.index("employment")
    working = P.alive & (P.age >= pop["worker_age_min"]) & (P.age <= pop["worker_age_max"])
    workers = np.bincount(P.hh, weights=working, minlength=H.n)
    gain = model.registry.gain[:, k]
    assert (workers == 0).any() and (workers > 0).any()
    assert (gain[workers == 0] == 0).all()
    reached = workers > 0
    assert np.allclose(gain[reached], 3000 * workers[reached] / H.size[reached], rtol=1e-6)


def test_a_review_moves_households_above_the_standard_out_of_the_guarantee_after_grace():
    model = fresh_model(["registry.group_change.minimum_guarantee_review_months=6",
                         "registry.group_change.minimum_guarantee_grace_months=3"],
                        households=40)
    reg, H, acc = model.registry, model.pop.households, model.accounts
    mg = GROUPS.index("minimum_guarantee")
    idx = np.arange(H.n)
    model.regroup(idx, np.full(H.n, mg, np.int8))
    H.size[:] = 2
    acc.sum_size[:] = 24  # two members in each of the 12 months (person-months)
    H.formerly_poor[:] = idx % 2 == 0
    review = reg.active_from + 6
    standard = reg._guarantee_standard(review)
    own_pc = np.where(idx < 20, 1.2, 0.8) * standard  # the first 20 above the standard
    acc.sum_income[:] = 2 * (own_pc + H.transfer_pp_year)
    acc.sum_oop[:] = 0.0
    reg._review_guarantee(review - 1)  # not a review month: nothing happens
    assert not reg.leave_due
    reg._review_guarantee(review)
    for m in (review, review + 2):
        reg._leave_guarantee(m)
        assert (H.group == mg).all()  # still in their grace months
    reg._leave_guarantee(review + 3)
    left = idx < 20
    assert (H.group[~left] == mg).all()
    assert (H.group[left & H.formerly_poor] == GROUPS.index("formerly_poor")).all()
    assert (H.group[left & ~H.formerly_poor] == GROUPS.index("marginal")).all()
    marginal_transfer = model.params["income"]["transfers_yuan"]["marginal"]
    assert np.allclose(H.transfer_pp_year[left & ~H.formerly_poor], marginal_transfer)
    assert model.month_counts["registry_guarantee_exits_households"].sum() == 20


def test_without_reviews_nobody_leaves_the_guarantee():
    res = run(load_scenario(XJ, ["registry.group_change.minimum_guarantee_review_months=0"]),
              households=800)
    assert res.monthly["registry_guarantee_exits_households"].sum() == 0
    res = run(load_scenario(XJ, ["registry.group_change.minimum_guarantee_review_months=3"]),
              households=800)
    assert res.monthly["registry_guarantee_exits_households"].sum() > 0


def test_the_guarantee_standard_follows_its_own_table_when_given():
    table = "{ 2018 = 4000, 2019 = 4500 }"
    model = fresh_model([f"registry.group_change.minimum_guarantee_standard_yuan={table}"])
    reg = model.registry
    assert reg._guarantee_standard(reg.active_from) == 4500  # xinjiang_2019: 2019-01
    rules = model.params["registry"]["group_change"]
    rules["minimum_guarantee_standard_yuan"] = None  # no table: a multiple of the line
    assert reg._guarantee_standard(reg.active_from) == pytest.approx(
        rules["minimum_guarantee_income_x_line"] * model.poverty_line(reg.active_from))


def labour_model(overrides=(), households=80):
    """Registered households equally far above the standard; even ones have labour.

    Members of the even households are 35, those of the odd ones ``old`` (set by the
    caller, default 75): every household has 1.5 times the line per member.
    """
    model = fresh_model(["registry.exit.processing_share=1",
                         "registry.exit.other_guarantees_share=1",
                         "registry.exit.requires_insurance=false",
                         "population.households_formed_share=0",  # no spare blocks,
                         "population.marriage_per_year=0",  # for takeovers or weddings
                         *overrides], households=households)
    H, acc = model.pop.households, model.accounts
    H.registered[:] = True
    H.formerly_poor[:] = False
    H.cause_illness[:] = True
    idx = np.arange(H.n)
    labour = idx % 2 == 0
    set_ages(model, np.where(labour, 35, 75))
    line = model.poverty_line(model.registry.active_from)
    acc.sum_income[:] = 1.5 * line * np.maximum(H.size, 1)
    acc.sum_oop[:] = 0.0
    return model, labour


def set_ages(model, age_by_household):
    """Give every person slot of each household the household's age."""
    idx = np.arange(model.pop.households.n)
    members = household_members(model, idx)
    model.pop.persons.age[members] = np.repeat(age_by_household, model.hh_size0[idx])


def test_households_without_labour_wait_for_the_guarantee_batch():
    model, labour = labour_model(["registry.exit.without_labour_from=\"2019-06\""])
    reg, H = model.registry, model.pop.households
    batch = model.timeline.index(parse_month("2019-06"))
    assert reg.active_from < batch
    reg._assess(reg.active_from)  # a development batch: the labour-rich exit first
    assert H.formerly_poor[labour].all() and not H.formerly_poor[~labour].any()
    reg._assess(batch - 1)
    assert not H.formerly_poor[~labour].any()
    reg._assess(batch)  # the guarantee's batch: the others, equally above the standard
    assert H.formerly_poor.all()
    assert model.month_counts["registry_exits_households"].sum() == H.n


def test_without_the_batch_rule_labour_does_not_matter():
    model, labour = labour_model()
    model.params["registry"]["exit"]["without_labour_from"] = None  # the key absent
    model.registry._assess(model.registry.active_from)
    assert model.pop.households.formerly_poor.all()


def test_the_registry_counts_labour_up_to_its_own_age():
    """Members aged 65 earn (worker_age_max 69) but are labour only if labour_age_max allows."""
    for age_max, exits in ((59, False), (69, True)):
        model, labour = labour_model(["registry.exit.without_labour_from=\"2019-12\"",
                                      f"registry.exit.labour_age_max={age_max}"])
        set_ages(model, np.where(labour, 35, 65))
        model.registry._assess(model.registry.active_from)
        H = model.pop.households
        assert H.formerly_poor[labour].all()
        assert (H.formerly_poor[~labour] == exits).all()


def test_a_labour_age_below_working_age_is_refused():
    with pytest.raises(ScenarioError, match=r"registry.exit.labour_age_max.*below "
                       r"population.worker_age_min"):
        load_scenario(XJ, ["registry.exit.labour_age_max=12"])
    with pytest.raises(ScenarioError, match=r"without_labour_from.*not a month"):
        load_scenario(XJ, ["registry.exit.without_labour_from=\"2019-13\""])


def test_in_xinjiang_households_without_labour_exit_only_from_their_batch():
    model = fresh_model(["registry.exit.processing_share=1"], households=1500)
    reg = model.registry
    batch = model.timeline.index(parse_month(
        model.params["registry"]["exit"]["without_labour_from"]))
    age_max = model.params["registry"]["exit"]["labour_age_max"]
    labourless_exits = {}
    real = reg._exit

    def spy(households, net, need):
        labourless_exits[model.current_month] = int((reg._workers(households, age_max)
                                                     == 0).sum())
        real(households, net, need)

    reg._exit = spy
    model.run()
    before = [n for m, n in labourless_exits.items() if m < batch]
    assert len(before) == batch - reg.active_from and sum(before) == 0
    assert labourless_exits[batch] > 0


def test_a_batch_from_the_first_assessment_is_the_old_rule():
    first = load_scenario(XJ, [ANY_LABOUR])
    off = Model(first, seed=3, households=800)
    off.params["registry"]["exit"]["without_labour_from"] = None
    res_off = off.run()
    res_first = Model(first, seed=3, households=800).run()
    pd.testing.assert_frame_equal(res_off.monthly, res_first.monthly)
