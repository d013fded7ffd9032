"""Health-poverty transition simulator: households, illness, the 3+1 chain, and poverty.

Typical use::

    from sim import load_scenario, run
    scn = load_scenario()                       # the default scenario
    res = run(scn, households=5000, reps=4)     # replications with common random numbers
    res.summary        # indicator, value, unit, ci_lo, ci_hi, range_lo, range_hi
    res.to_csv("out/x"); res.plot()             # tables and figures
"""

from sim.runner import run, run_one
from sim.scenario import Scenario, load_scenario
from sim.schema import ScenarioError

__all__ = ["Scenario", "ScenarioError", "load_scenario", "run", "run_one"]
