"""The measures: one module each, registered here in the order they appear in scenarios.

Each measure is a :class:`~sim.policies.base.Measure` with a ``PARAMS`` section (always
with ``enabled``), SimPy processes, hooks through which it changes care, payment or health,
and a cost indicator ``<name>_cost_yuan``.
"""

from __future__ import annotations

from sim.policies.base import Measure
from sim.policies.birth_defects import BirthDefects
from sim.policies.contracts import Contracts
from sim.policies.cost_control import CostControl
from sim.policies.disease_floors import DiseaseFloors
from sim.policies.fee_exemption import FeeExemption
from sim.policies.monitoring import Monitoring
from sim.policies.premium_subsidy import PremiumSubsidy
from sim.policies.primary_care import PrimaryCare
from sim.policies.screening import Screening
from sim.policies.settlement import Settlement
from sim.policies.special_treatment import SpecialTreatment
from sim.policies.tuberculosis import Tuberculosis
from sim.schema import Section

REGISTRY: dict[str, type[Measure]] = {
    cls.name: cls
    for cls in (Contracts, Screening, BirthDefects, Settlement, FeeExemption, Tuberculosis,
                DiseaseFloors, SpecialTreatment, Monitoring, PremiumSubsidy, PrimaryCare,
                CostControl)
}


def policy_schema() -> Section:
    """The ``policies`` section: one sub-section per measure."""
    return Section({name: cls.PARAMS for name, cls in REGISTRY.items()},
                   doc="The measures, each switchable and tunable.")


__all__ = ["REGISTRY", "Measure", "policy_schema"]
