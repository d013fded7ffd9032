"""Deaths by age and cause against the nation's rates (``scripts/mortality_by_age.py``).

The default county's total deaths by age band are held against China's all-cause rates of
2023 (UN World Population Prospects, national, both sexes): below 60 the modelled causes
(chronic, major disease, forgone admissions) and the background table together must come
near them; from 60 the model may lie below the nation's rates, which carry the COVID-19
wave of early 2023, but not above them. Before the cancers and forgone admissions had age
profiles, forgone admissions alone killed 0.7 times the nation's deaths at 0-14 and the
total at 15-44 was 1.9 times the nation's.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from sim import load_scenario
from sim.parameters import AGE_BANDS

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "mortality_by_age.py"
spec = importlib.util.spec_from_file_location("mortality_by_age", SCRIPT)
mortality_by_age = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mortality_by_age)


def test_deaths_by_age_are_near_the_nation_s_below_60_and_not_above_them_after():
    rate, person_years, _ = mortality_by_age.rates_by_age(load_scenario(), 20_000, 2)
    total = rate.sum(axis=0)
    wpp = np.array([mortality_by_age.WPP_2023[b] for b in AGE_BANDS])
    ratio = total / wpp
    # about 60 deaths at 0-14, 260 at 15-44 and 720 at 45-59 in 20,000 households x 2
    # over 6 years (Poisson: within about 13%, 6% and 4%)
    for b in ("0-14", "15-44", "45-59"):
        assert 0.7 < ratio[AGE_BANDS.index(b)] < 1.4, (b, ratio)
    for b in ("60-69", "70-79", "80+"):
        assert 0.5 < ratio[AGE_BANDS.index(b)] < 1.05, (b, ratio)
    forgone = rate[list(mortality_by_age.engine.DEATH_CAUSES).index("forgone_admission")]
    assert forgone[0] < 0.2 * wpp[0]  # children rarely die of an admission forgone
