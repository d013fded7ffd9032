"""The special-treatment list as diseases: each case has one listed disease of its group,
and a longer list covers more cases."""

import numpy as np

from sim import load_scenario
from sim.engine import Model
from sim.health import list_rank


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
