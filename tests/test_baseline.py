"""The default scenario at a fixed seed still gives the recorded numbers.

A failure means the model's behaviour changed. If the change is deliberate, run
``tests/baseline/regenerate.py``, review the diff of the baseline file and commit it.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).parent / "baseline"
spec = importlib.util.spec_from_file_location("regenerate", HERE / "regenerate.py")
regenerate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(regenerate)


def test_default_scenario_matches_the_baseline():
    expected = pd.read_csv(regenerate.BASELINE)
    got = regenerate.baseline_summary()
    assert list(got["indicator"]) == list(expected["indicator"])
    # 1e-7: well above floating-point differences between machines, far below any change
    # in a single simulated event
    close = np.isclose(got["value"], expected["value"], rtol=1e-7, atol=1e-9, equal_nan=True)
    changed = got.loc[~close, "indicator"].tolist()
    assert not changed, f"changed: {changed}; see tests/baseline/regenerate.py"
