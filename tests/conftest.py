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


def run_with_month_label(model):
    """Run ``model`` with ``model.month_now`` set to each month's label before its step.

    Lets a hook spy record the month of what it sees.
    """
    step = model.step

    def step_and_date(m):
        model.month_now = model.timeline.label(m)
        step(m)

    model.step = step_and_date
    return model.run()


@pytest.fixture(scope="session")
def run_small():
    return small_run


@pytest.fixture(scope="session")
def default_run():
    return small_run()
