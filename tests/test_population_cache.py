"""Runs that share a population build it once per process, and each gets its own copy."""

from dataclasses import fields

import numpy as np
import pandas as pd

from sim import load_scenario, run_one
from sim import population as population_module
from sim.population import build_population, population_for_run
from sim.rng import Streams


def columns(pop):
    out = {f"p.{f.name}": getattr(pop.persons, f.name) for f in fields(pop.persons)}
    out.update({f"h.{f.name}": getattr(pop.households, f.name)
                for f in fields(pop.households)})
    out["slots"] = pop.slots
    return out


def test_a_kept_population_is_the_one_built_and_each_run_gets_a_copy():
    population_module._BUILT.clear()
    params = load_scenario().params
    first = population_for_run(params, Streams(3), 300)
    fresh = build_population(params, Streams(3), 300)
    for name, values in columns(fresh).items():
        assert np.array_equal(columns(first)[name], values), name
    first.persons.alive[:] = False  # a run changes its population as it goes
    first.households.size[:] = 0
    second = population_for_run(params, Streams(3), 300)
    assert np.array_equal(second.persons.alive, fresh.persons.alive)
    assert np.array_equal(second.households.size, fresh.households.size)
    assert len(population_module._BUILT) == 1


def test_another_seed_size_or_population_parameter_builds_another_population():
    population_module._BUILT.clear()
    sc = load_scenario()
    base = population_for_run(sc.params, Streams(0), 300)
    assert population_for_run(sc.params, Streams(1), 300).persons.age.tolist() != \
        base.persons.age.tolist()
    assert population_for_run(sc.params, Streams(0), 301).households.n == 301
    richer = load_scenario(overrides=["income.earned_median_yuan.other=20000"]).params
    other = population_for_run(richer, Streams(0), 300)
    assert not np.array_equal(other.households.earned_year, base.households.earned_year)
    assert len(population_module._BUILT) == 4


def test_a_run_after_other_runs_in_the_same_process_gives_the_same_numbers():
    population_module._BUILT.clear()
    sc = load_scenario()
    first = run_one(sc, seed=5, households=400).summary
    run_one(load_scenario(overrides=["policies.monitoring.enabled=false"]), seed=5,
            households=400)
    again = run_one(sc, seed=5, households=400).summary
    pd.testing.assert_frame_equal(first, again)
