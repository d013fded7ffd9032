"""The special-treatment list as diseases: each case has one listed disease of its group,
and a longer list covers more cases."""

import dataclasses

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.health import list_rank, listed_admission_rank


def admitted(run_small, n, scenario_overrides=(), households=3000):
    res = run_small((*scenario_overrides, f"policies.special_treatment.n_diseases={n}",
                     "policies.special_treatment.groups.other=true",
                     "policies.special_treatment.capacity_per_100k=1000"),
                    households=households)
    m = res.monthly
    return m.loc[m["group"] == "all", "special_admitted"].sum()


def test_each_case_has_a_listed_disease_in_its_groups_shares():
    model = Model(load_scenario(), seed=1, households=50)
    names = model.health.major["names"]
    k = names.index("digestive_cancers")
    want = load_scenario().get("health.major")[k]["list_ranks"]
    persons = np.arange(200_000)
    ranks = list_rank(model, persons, np.full(len(persons), k))
    assert set(np.unique(ranks)) == set(want)
    for rank, share in want.items():
        assert abs(np.mean(ranks == rank) - share) < 0.005
    # fixed per person and group: asking again gives the same diseases
    assert (list_rank(model, persons[:1000], np.full(1000, k)) == ranks[:1000]).all()


def test_a_longer_list_covers_more_cases(run_small):
    # 9 diseases: lung and liver cancer (ranks 10, 11) not covered; 10: lung only; 11: both
    nine, ten, eleven = (admitted(run_small, n) for n in (9, 10, 11))
    assert nine < ten < eleven


def test_diseases_beyond_thirty_count_only_when_the_list_reaches_them():
    base = load_scenario()
    template = next(r for r in base.get("health.major")
                    if r["name"] == "drug_resistant_tuberculosis")
    extra = dict(template, name="regional_disease",
                 list_ranks={31: 0.5, 32: 0.5}, incidence_per_100k=200.0)
    sc = base.with_overrides({"health.major": [*base.get("health.major"), extra],
                              "policies.special_treatment.groups.other": True,
                              "policies.special_treatment.capacity_per_100k": 1000})

    def total(n):
        res = Model(sc.with_overrides({"policies.special_treatment.n_diseases": n}),
                    seed=0, households=3000).run()
        m = res.monthly
        return m.loc[m["group"] == "all", "special_admitted"].sum()

    thirty, thirty_one, thirty_two = total(30), total(31), total(32)
    assert thirty < thirty_one < thirty_two


# ---- every step of the list covers more cases (issue #6; Lianyungang's steps, #12) ------
def covered_cases(res) -> float:
    """Cases the programme covered: courses in it or, without a slot, outside it, and
    listed admissions on its terms."""
    m = res.monthly
    a = m[m["group"] == "all"]
    return float((a["special_admitted"] + a["special_outside"]
                  + a["special_listed_admissions"]).sum())


def test_every_rank_of_the_national_list_is_a_modelled_disease():
    sc = load_scenario()
    ranks = set()
    for rec in sc.get("health.major"):
        ranks |= set(rec["list_ranks"] or {})  # congenital conditions are not listed
    for rec in sc.get("health.listed_admissions"):
        ranks.add(rec["list_rank"])
    assert ranks == set(range(1, 31))


def lianyungang(n, households=4000, boost_rank_21=False):
    """lianyungang_2018 with a list of ``n`` diseases throughout (its dated steps removed)."""
    sc = load_scenario("lianyungang_2018")
    sc = dataclasses.replace(sc, changes=tuple(
        c for c in sc.changes if "policies.special_treatment.n_diseases" not in c.values))
    over = {"policies.special_treatment.n_diseases": n,
            "policies.special_treatment.capacity_per_100k": 1000}
    if boost_rank_21:  # hypospadias (rank 21) is too rare to be seen in a small county
        majors = [dict(r) for r in sc.get("health.major")]
        k = [r["name"] for r in majors].index("birth_defect_repair")
        majors[k]["incidence_per_100k"] = 20000.0
        over["health.major"] = majors
    return Model(sc.with_overrides(over), seed=0, households=households).run()


def test_lianyungang_twenty_to_twenty_one_covers_more_cases():
    # the 21st disease (hypospadias, with cleft lip and palate in birth_defect_repair)
    assert covered_cases(lianyungang(20, 1500, True)) < covered_cases(
        lianyungang(21, 1500, True))


def test_lianyungang_twenty_one_to_twenty_five_to_thirty_covers_more_cases():
    # 22-25: drug-resistant TB, stroke, COPD, AIDS opportunistic infections; 26-30: severe
    # mental illness, rheumatic heart disease, bladder, ovarian and kidney cancer
    counts = [covered_cases(lianyungang(n)) for n in (21, 25, 30)]
    assert counts[0] < counts[1] < counts[2]


def test_xinjiang_thirty_two_covers_what_thirty_does():
    # seed 002 extends the list to 32 without naming the two diseases: nothing is modelled
    # at ranks 31-32, so 32 covers the same cases as 30 (see the test above for ranks
    # beyond 30 once modelled)
    sc = load_scenario("xinjiang_2019")
    runs = [Model(sc.with_overrides({"policies.special_treatment.n_diseases": n}), seed=0,
                  households=1500).run() for n in (30, 32)]
    assert covered_cases(runs[0]) == covered_cases(runs[1]) > 0


# ---- listed admissions: a share of admissions the model has, no incidence of their own --
def test_listed_admissions_take_their_share_of_their_cause():
    model = Model(load_scenario(), seed=1, households=3000)
    model.run()  # ages, bands and rates in place
    P = model.pop.persons
    t = model.health.listed
    share = dict(zip(t["rank"], t["hi"] - t["lo"], strict=True))  # 12, 23: same per cause
    rng = np.random.default_rng(0)
    # the admissions every person has: u below the band's rate; persons 50+ (cataract, COPD)
    old = np.flatnonzero(P.alive & (P.age >= 50))
    persons = rng.choice(old, 200_000)
    u = rng.random(len(persons)) * model.base_inpatient[persons]
    ranks = listed_admission_rank(model, persons, u)
    assert abs(np.mean(ranks == 13) - share[13]) < 0.002
    assert abs(np.mean(ranks == 24) - share[24]) < 0.003
    # the admissions hypertension adds, for hypertensive persons without other diseases
    alone = np.flatnonzero(P.alive & (P.chronic == 1) & (P.age >= 20))
    persons = rng.choice(alone, 200_000)
    managed = (P.managed[persons] & 1) != 0
    rr = model.health.disease_rr[0, managed.astype(int)]
    base = model.base_inpatient[persons]
    u = base * (1 + rng.random(len(persons)) * (rr - 1))
    ranks = listed_admission_rank(model, persons, u)
    assert abs(np.mean(ranks == 23) - share[23]) < 0.003
    assert abs(np.mean(ranks == 12) - share[12]) < 0.001
    assert not np.isin(ranks, [13, 24, 26]).any()  # not the other causes' diseases


def test_listing_admissions_changes_no_one_s_illness():
    # with the programme off, the listed admissions are bookkeeping: same run, same numbers
    sc = load_scenario(overrides=["policies.special_treatment.enabled=false"])
    with_list = Model(sc, seed=2, households=1500).run().summary
    without = Model(sc.with_overrides({"health.listed_admissions": []}), seed=2,
                    households=1500).run().summary
    assert np.allclose(with_list["value"], without["value"], equal_nan=True)


# ---- designated capacity: the programme adds to ordinary care, it never replaces it -----
def binding(n, wait):
    """The default county with one designated slot for everyone's courses."""
    sc = load_scenario(overrides=[f"policies.special_treatment.n_diseases={n}",
                                  "policies.special_treatment.groups.other=true",
                                  "policies.special_treatment.capacity_per_100k=1",
                                  f"policies.special_treatment.max_wait_months={wait}"])
    res = Model(sc, seed=0, households=3000).run()
    a = res.monthly[res.monthly["group"] == "all"]
    return a


def test_when_capacity_binds_a_longer_list_never_delays_treatment():
    # no waiting: covered cases without a free slot are treated outside the programme at
    # once, as cases of unlisted diseases are, so lengthening the list (9 -> 30) cannot
    # leave patients untreated longer; it only moves some of them onto the programme's terms
    short, long = binding(9, 0), binding(30, 0)
    assert long["special_outside"].sum() > short["special_outside"].sum() > 0
    assert long["special_waiting"].max() == 0
    assert long["major_untreated"].sum() <= short["major_untreated"].sum() * 1.01
    assert long["major_treatment_started"].sum() >= short["major_treatment_started"].sum()


def test_a_longer_list_brings_more_patients_into_the_queue_for_at_most_the_wait():
    short, long = binding(9, 1), binding(30, 1)
    assert long["special_waiting"].sum() > short["special_waiting"].sum() > 0
    for a in (short, long):
        admitted = a["special_admitted"].sum()
        assert admitted > 0
        assert a["special_wait_months"].sum() <= admitted * 1.0 + 1e-9  # none waited > 1
        assert a["special_outside"].sum() > 0  # the rest were treated elsewhere
