"""Management can start at the share the model's flows keep (steady_state's start)."""

import numpy as np

from sim import load_scenario
from sim.engine import Model


def managed_by_contract(overrides):
    model = Model(load_scenario(overrides=overrides), seed=1, households=4000)
    model.run_to(1)
    P, contracts = model.pop.persons, model.measures["contracts"]
    dx = np.flatnonzero(P.alive & ((P.diagnosed & 1) != 0))  # hypertension
    managed = (P.managed[dx] & 1) != 0
    will_sign = contracts.u[dx] < contracts.cov_chronic[model.pgroup[dx]]
    return managed[will_sign].mean(), managed[~will_sign].mean(), (~will_sign).sum()


def test_the_never_contracted_start_near_the_little_management_they_can_keep():
    on = managed_by_contract(["policies.contracts.start_management_at_steady_state=true"])
    off = managed_by_contract([])
    assert off[2] > 100  # enough patients who will never be contracted to tell
    # by default both kinds start at the population's managed share (0.60)
    assert abs(off[0] - off[1]) < 0.1
    # at steady state the contracted are managed far more than the others, who have no
    # way back into management once they drop out
    assert on[0] > 0.75 and on[1] < 0.2
