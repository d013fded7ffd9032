"""Measures as plug-ins: the engine folds measures at declared extension points and never
names one; a new measure needs no change outside its own module."""

import re
from pathlib import Path

import numpy as np

from sim.hooks import POINTS, Hooks
from sim.policies import REGISTRY
from sim.policies.base import Measure

SIM = Path(__file__).resolve().parent.parent / "sim"


#: A line that names a measure, to show that the check sees one.
NAMING = 'tb = params["policies"]["tuberculosis"]'
MODEL_FILES = ("engine.py", "health.py", "care.py", "payment.py", "poverty.py", "registry.py",
               "population.py", "results.py", "liquidity.py", "enrolment.py", "checks.py")


def test_engine_health_care_and_payment_never_name_a_measure():
    names = "|".join(REGISTRY)
    pattern = re.compile(rf"measures\[|\[\"policies\"\]\[\"({names})\"\]")
    assert pattern.search(NAMING)  # the check can see a naming
    for name in MODEL_FILES:
        for number, line in enumerate((SIM / name).read_text(encoding="utf-8").splitlines(),
                                      1):
            code = line.split("#")[0].strip()
            assert not pattern.search(code), f"{name}:{number}: {code}"


class _Discount(Measure):
    name = "discount"

    def __init__(self, factor):
        self.factor = factor

    def price_factor(self, kind, persons, level):
        return self.factor if kind == "outpatient" else 1.0

    def deposit_waived(self, groups, level=None):
        return groups == 2

    def dropout(self, persons, disease, base):
        return np.full(len(persons), base / 2)


def test_extension_points_fold_every_implementing_measure():
    hooks = Hooks([_Discount(0.5), _Discount(0.8), Measure(None)])
    assert hooks.implementers("price_factor") == ["discount", "discount"]
    assert hooks.implementers("access_factor") == []
    assert hooks.price_factor("outpatient", np.arange(3), np.zeros(3)) == 0.4
    assert hooks.price_factor("inpatient", np.arange(3), np.zeros(3)) == 1.0
    assert list(hooks.deposit_waived(np.array([0, 2, 4]))) == [False, True, False]
    assert np.allclose(hooks.dropout(np.arange(2), 0, 0.2), 0.1)
    assert np.allclose(hooks.manage_on_diagnosis(np.arange(2), 0, 0.3), 0.3)  # neutral
    assert hooks.access_factor() == 1.0


def test_every_measure_implements_some_extension_point_or_runs_a_process():
    hooks = Hooks([cls.__new__(cls) for cls in REGISTRY.values()])
    used = {name for point in POINTS for name in hooks.implementers(point)}
    for name, cls in REGISTRY.items():
        assert name in used or cls.processes is not Measure.processes, name
