"""What every measure has: its parameters, its SimPy processes, its effect hooks, its cost.

A measure is always present in a model; when ``enabled`` is false (now, or from a date of
the policy calendar) its processes do nothing, its hooks return the neutral answer and it
records no activity and no cost. Parameters are read through :attr:`Measure.p` every time,
so a calendar change takes effect at its date.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sim.parameters import GROUPS
from sim.results import Indicator
from sim.schema import Bool, Section


def enabled_flag() -> Bool:
    """The on/off switch every measure has."""
    return Bool(doc="Whether the measure is in force.")


def group_array(table: dict, dtype=float) -> np.ndarray:
    """A by-group table as an array indexed by group code."""
    return np.array([table[g] for g in GROUPS], dtype=dtype)


#: Who can bear a measure's own cost (``Measure.funded_by``): basic public health service
#: funds, medical assistance (civil affairs), other government budgets, the facilities
#: themselves, basic medical insurance.
FUNDERS = ("public_health", "medical_assistance", "government", "facilities", "basic")


class Measure:
    """Base class; subclasses set ``name``, ``title``, ``PARAMS`` and ``INDICATORS``.

    Its cost indicator ``<name>_cost_yuan`` holds everything the measure costs, and
    ``funded_by`` says who bears it (budgets report each measure's cost under its payer). A
    measure whose cost includes payments a care payer makes on bills (a payment floor's
    top-ups, paid by basic insurance) also reports that part as ``<name>_topup_yuan``, so
    that a perspective adding the payers' spending does not count it twice.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    funded_by: ClassVar[str] = ""
    PARAMS: ClassVar[Section]
    INDICATORS: ClassVar[tuple[Indicator, ...]] = ()

    def __init__(self, model):
        self.model = model

    @property
    def p(self) -> dict:
        """The measure's parameters now in force."""
        return self.model.params["policies"][self.name]

    @property
    def on(self) -> bool:
        """Whether the measure is in force now."""
        return self.p["enabled"]

    def compile(self) -> None:
        """Rebuild arrays derived from parameters (at start and at calendar changes)."""

    def on_deaths(self, died: np.ndarray) -> None:
        """Persons who died this month (to keep counts of the living up to date)."""

    def on_left(self, left: np.ndarray) -> None:
        """Persons who left their household to form a new one (``sim.formation``).

        Their slots are emptied; they come back as new persons of the new household
        (``on_births``). By default they leave the counts of the living as the dead do.
        """
        self.on_deaths(left)

    # ---- extension points (sim.hooks): the neutral answers --------------------------------
    def price_factor(self, kind: str, persons: np.ndarray, level: np.ndarray):
        """Factor on the bills of ``kind`` (per bill or one number)."""
        return 1.0

    def access_factor(self) -> float:
        """Factor on the chance of forgoing care for distance."""
        return 1.0

    def detection_factor(self) -> float:
        """Factor on routine detection of chronic and major disease."""
        return 1.0

    def deposit_waived(self, groups: np.ndarray, level: np.ndarray | None = None
                       ) -> np.ndarray:
        """Per admission (household group index, facility level if known): no deposit."""
        return np.zeros(len(groups), bool)

    def settled_at_once(self, kind: str, groups: np.ndarray,
                        level: np.ndarray | None = None) -> np.ndarray:
        """Per bill (group, facility level if known): every layer settles at discharge."""
        return np.zeros(len(groups), bool)

    def payment_floor(self, kind: str, bills, disease: np.ndarray | None = None
                      ) -> np.ndarray:
        """Per bill: share of the whole bill the layers must reach (0: no floor).

        ``disease``: what each bill is for (``sim.parameters.NO_DISEASE``, a chronic
        disease's index, or ``MAJOR_CODE`` + a major disease's index), when known.
        """
        return np.zeros(len(bills))

    def manage_on_diagnosis(self, persons: np.ndarray, disease: int, base: float
                            ) -> np.ndarray:
        """Chance that a new diagnosis starts management."""
        return np.full(len(persons), base)

    def dropout(self, persons: np.ndarray, disease: int, base: float) -> np.ndarray:
        """Monthly chance that a managed patient stops being managed."""
        return np.full(len(persons), base)

    def enrolment_probability(self, groups: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Chance of being insured, by group index."""
        return base

    def start_major(self, persons: np.ndarray, disease: np.ndarray, month: int
                    ) -> np.ndarray:
        """Of the found major-disease cases asking for treatment, those who start now."""
        return persons

    def screened_at_birth(self, kind: str, persons: np.ndarray, u: np.ndarray
                          ) -> np.ndarray:
        """Per pregnancy ("prenatal") or newborn: the conditions screened for (0: none).

        A bit mask over ``health.major``; ``u`` is each one's uniform deciding who a
        screening reaches (``sim.birth_screening``).
        """
        return np.zeros(len(persons), np.int64)

    def after_care(self, kind: str, bills) -> None:
        """Bills of care actually given this month (for records and costs)."""

    def after_payment(self, kind: str, bills, paid) -> None:
        """A batch of bills and what each payer paid."""

    # ---- other notifications ------------------------------------------------------------
    def on_group_change(self, persons: np.ndarray, old_groups: np.ndarray) -> None:
        """Persons whose household moved to another target group (``old_groups``: before)."""

    def on_births(self, born: np.ndarray) -> None:
        """Persons born this month (to start their per-person state)."""

    def processes(self, env) -> list:
        """Generators to run as SimPy processes for the whole simulation."""
        return []

    def every_month(self, action, when_off: bool = False):
        """A SimPy process calling ``action(m)`` at the measures phase of each month.

        The action runs only while the measure is on, unless ``when_off``.
        """
        model = self.model
        for m in range(model.timeline.n_months):
            yield model._wait_until(model._at(m, "measures"))
            if self.on or when_off:
                action(m)

    def charge_households(self, yuan_per_household_year: float) -> None:
        """Add one month of a per-household yearly cost to this measure's cost."""
        alive = self.model.households_by_group()
        self.count(self.cost_indicator(), alive * yuan_per_household_year / 12.0)

    def count(self, name: str, value) -> None:
        """Add to one of this measure's indicators for the current month."""
        self.model.month_counts[name] += value

    def by_group(self, persons: np.ndarray, weights=None) -> np.ndarray:
        """Count (or sum ``weights``) over persons by their household's group."""
        return self.model._by_group(persons, weights)

    def cost_indicator(self) -> str:
        """Name of this measure's cost indicator."""
        return f"{self.name}_cost_yuan"


def cost(name: str, what: str) -> Indicator:
    """The cost indicator of a measure."""
    return Indicator(f"{name}_cost_yuan", "yuan", f"Cost of {what}.")
