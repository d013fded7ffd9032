"""Regenerate the fixed-seed baseline on purpose, after a deliberate change of the model.

    .venv/bin/python tests/baseline/regenerate.py

Review the diff of ``default_summary.csv`` before committing it: every changed number is a
change in what the model says.
"""

from pathlib import Path

from sim import load_scenario, run_one

BASELINE = Path(__file__).with_name("default_summary.csv")
SETTINGS = {"seed": 0, "households": 2000}


def baseline_summary():
    """The summary the baseline records: the default scenario at SETTINGS."""
    return run_one(load_scenario(), **SETTINGS).summary


if __name__ == "__main__":
    baseline_summary().to_csv(BASELINE, index=False, float_format="%.10g")
    print(f"wrote {BASELINE}")
