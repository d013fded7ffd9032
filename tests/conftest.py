"""Shared fixtures: small runs of the default scenario, cached for the session."""

import functools

import pytest

from sim import load_scenario
from sim.engine import Model

SMALL = 1500  # households: enough for every pathway to occur, fast enough for many runs


@functools.cache
def small_run(overrides: tuple = (), seed: int = 0, households: int = SMALL,
              scenario: str | None = None, calendar: str | None = None):
    """Run (and cache) one replication; ``overrides`` is a tuple of 'key=value' strings."""
    scn = load_scenario(scenario, list(overrides))
    if calendar:
        scn = scn.with_calendar(calendar)
    return Model(scn, seed=seed, households=households).run()


@pytest.fixture(scope="session")
def run_small():
    return small_run


@pytest.fixture(scope="session")
def default_run():
    return small_run()
