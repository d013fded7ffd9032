"""Deaths by age and cause against the nation's rates (``scripts/mortality_by_age.py``).

The default county's total deaths by age band are held against China's all-cause rates of
2023 (UN World Population Prospects, national, both sexes): below 60 the modelled causes
(chronic, major disease, forgone admissions) and the background table together must come
near them; from 60 the nation's rates are a floor for a rural county (rural
age-standardised mortality 1.11 times the towns', China Cause of Death Surveillance
2015-2021, Disease Surveillance 2024;39:369; rural elderly about 30% above urban ones in
the China Health and Nutrition Survey, J Gerontol Soc Sci 2007;62:S349), so the county
dies at least about as often, and at most 1.3 times as often. Before the cancers and
forgone admissions had age profiles, forgone admissions alone killed 0.7 times the
nation's deaths at 0-14 and the total at 15-44 was 1.9 times the nation's; before the old
ages' background was raised the county died 0.66-0.83 times the nation's from 60 on (a
life expectancy of 82.8 years).
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


def test_deaths_by_age_are_near_the_nation_s_below_60_and_at_least_the_nation_s_after():
    rate, person_years, _ = mortality_by_age.rates_by_age(load_scenario(), 20_000, 2)
    total = rate.sum(axis=0)
    wpp = np.array([mortality_by_age.WPP_2023[b] for b in AGE_BANDS])
    ratio = total / wpp
    # about 60 deaths at 0-14, 260 at 15-44 and 720 at 45-59 in 20,000 households x 2
    # over 6 years (Poisson: within about 13%, 6% and 4%)
    for b in ("0-14", "15-44", "45-59"):
        assert 0.7 < ratio[AGE_BANDS.index(b)] < 1.4, (b, ratio)
    # about 1,400, 2,300 and 3,700 deaths at 60-69, 70-79 and 80+ (Poisson: within 5%, 4%
    # and 3%)
    for b in ("60-69", "70-79", "80+"):
        assert 0.95 < ratio[AGE_BANDS.index(b)] < 1.3, (b, ratio)
    forgone = rate[list(mortality_by_age.engine.DEATH_CAUSES).index("forgone_admission")]
    assert forgone[0] < 0.2 * wpp[0]  # children rarely die of an admission forgone
