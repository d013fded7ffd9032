"""The "3+1" reimbursement chain as pure, vectorised functions of bills (seed 002).

A batch of bills (at most one per person) passes, in order, through basic medical insurance,
critical illness insurance, medical assistance and supplemental insurance; what is left is
out of pocket. Annual deductibles and caps are tracked per person in a :class:`Ledger` of
year-to-date amounts (yuan), which the engine resets at the start of each insurance year.

Rules per layer (from ``payment`` in the scenario, compiled into :class:`PaymentRules`):

* Basic insurance pays ``ratio(level) + bonus(group)`` of the in-scope part of an inpatient
  bill above a per-admission deductible (once per episode: a treatment course is one),
  within an annual cap; outpatient special-disease care after a course (e.g. dialysis) is
  paid at ``special_ratio`` without deductible, within the same cap and layers; outpatient
  and chronic outpatient bills have their own ratio and annual cap, without deductible.
* Critical illness insurance pays ``ratio + bonus(group)`` of the in-scope cost left after
  basic insurance, once a person's year-to-date amount of it passes the deductible
  (times ``deductible_factor(group)``), within a cap unless the group is uncapped.
* Medical assistance pays ``ratio(group)`` of the in-scope cost still left, above a yearly
  deductible and within a yearly cap, for eligible groups.
* Supplemental insurance tops the total paid up to ``target_share`` of the whole bill for
  eligible groups, within a yearly cap.
* A bill may carry a payment floor (``Bills.floor``, a share of the whole bill that the
  layers together must reach for an insured person), set by measures through the
  ``payment_floor`` extension point (e.g. tuberculosis bills: outpatient 100%, inpatient
  90% in seed 002); basic insurance pays the gap, reported also as ``floor_topup``.

Each bill carries its amount and the part of it inside the insurance catalogue (``scope``,
yuan); the layers pay shares of the in-scope part, supplemental insurance and the TB floor
shares of the whole amount. The chain runs as one compiled pass over a batch
(``sim.kernels.settle_bills``): ``settle`` records the new year-to-date amounts in the
ledger, ``quote`` only reads them; both can be tested against hand-computed bills.
Accounting identity: for every bill,
``amount == basic + critical_illness + assistance + supplemental + oop``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim import kernels
from sim.parameters import GROUPS, LEVELS

PAYERS = ("basic", "critical_illness", "assistance", "supplemental", "oop")
LEDGER_FIELDS = ("basic", "outpatient", "chronic", "ci_base", "ci", "as_base", "assistance",
                 "supplemental")


@dataclass(frozen=True)
class PaymentRules:
    """The chain's parameters as arrays indexed by group (5) or level (4)."""

    basic_deductible: np.ndarray  # (group, level) yuan per admission
    basic_ratio: np.ndarray  # (group, level)
    basic_cap: float
    outpatient_ratio: float
    outpatient_cap: float
    chronic_ratio: float
    chronic_cap: float
    special_ratio: float
    ci_deductible: np.ndarray  # (group,)
    ci_ratio: np.ndarray
    ci_cap: np.ndarray
    as_eligible: np.ndarray
    as_ratio: np.ndarray
    as_deductible: np.ndarray
    as_cap: np.ndarray
    as_chronic: bool
    sup_eligible: np.ndarray
    sup_target: float
    sup_cap: float

    @cached_property
    def level_table(self) -> np.ndarray:
        """(2, group, level): per-admission deductible (yuan) and basic ratio, for kernels."""
        return np.stack([self.basic_deductible, self.basic_ratio]).astype(float)

    @cached_property
    def group_table(self) -> np.ndarray:
        """(8, group): the per-group rules in the rows ``sim.kernels.G_*`` number."""
        return np.stack([self.ci_deductible, self.ci_ratio, self.ci_cap, self.as_eligible,
                         self.as_ratio, self.as_deductible, self.as_cap,
                         self.sup_eligible]).astype(float)

    @cached_property
    def scalars(self) -> np.ndarray:
        """The scalar rules in the order ``sim.kernels.S_*`` numbers them."""
        return np.array([self.basic_cap, self.outpatient_ratio, self.outpatient_cap,
                         self.chronic_ratio, self.chronic_cap, self.special_ratio,
                         self.as_chronic, self.sup_target, self.sup_cap], float)

    @classmethod
    def from_params(cls, params: dict) -> PaymentRules:
        """Compile the ``payment`` section."""
        pay = params["payment"]
        b, ci, a, s = pay["basic"], pay["critical_illness"], pay["assistance"], pay[
            "supplemental"]

        def g(table):
            return np.array([table[k] for k in GROUPS], dtype=float)

        def lv(table):
            return np.array([table[k] for k in LEVELS], dtype=float)

        return cls(
            basic_deductible=np.outer(g(b["deductible_factor"]),
                                      lv(b["inpatient_deductible_yuan"])),
            basic_ratio=np.minimum(1.0, g(b["ratio_bonus"])[:, None]
                                   + lv(b["inpatient_ratio"])[None, :]),
            basic_cap=b["annual_cap_yuan"],
            outpatient_ratio=b["outpatient_ratio"], outpatient_cap=b["outpatient_cap_yuan"],
            chronic_ratio=b["chronic_ratio"], chronic_cap=b["chronic_cap_yuan"],
            special_ratio=b["special_ratio"],
            ci_deductible=ci["deductible_yuan"] * g(ci["deductible_factor"]),
            ci_ratio=np.minimum(1.0, ci["ratio"] + g(ci["ratio_bonus"])),
            ci_cap=np.where(g(ci["uncapped"]) > 0, np.inf, ci["annual_cap_yuan"]),
            as_eligible=g(a["eligible"]) > 0, as_ratio=g(a["ratio"]),
            as_deductible=g(a["deductible_yuan"]), as_cap=g(a["annual_cap_yuan"]),
            as_chronic=a["covers_chronic_outpatient"],
            sup_eligible=g(s["eligible"]) > 0, sup_target=s["target_share"],
            sup_cap=s["annual_cap_yuan"],
        )


@dataclass
class Bills:
    """A batch of bills, at most one per person (yuan).

    ``scope`` is the part of ``amount`` inside the insurance catalogue; ``level`` the
    facility level (inpatient deductibles and ratios depend on it); ``tb`` marks bills of
    tuberculosis care.
    """

    person: np.ndarray
    group: np.ndarray
    level: np.ndarray
    amount: np.ndarray
    scope: np.ndarray
    insured: np.ndarray
    tb: np.ndarray
    #: inpatient bills: whether the bill opens an episode and pays the per-admission
    #: deductible (None: every bill does)
    new_episode: np.ndarray | None = None
    #: share of the whole bill the layers must reach for the insured (None: no floor)
    floor: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.person)

    def subset(self, keep: np.ndarray) -> Bills:
        """The bills selected by a mask or index.

        A mask becomes an index first: one scan of it instead of one per column.
        """
        if keep.dtype == bool:
            keep = np.flatnonzero(keep)
        episode = None if self.new_episode is None else self.new_episode[keep]
        floor = None if self.floor is None else self.floor[keep]
        return Bills(self.person[keep], self.group[keep], self.level[keep], self.amount[keep],
                     self.scope[keep], self.insured[keep], self.tb[keep], episode, floor)


@dataclass
class Paid:
    """What each payer paid of each bill (yuan); ``floor_topup`` is part of ``basic``."""

    basic: np.ndarray
    critical_illness: np.ndarray
    assistance: np.ndarray
    supplemental: np.ndarray
    oop: np.ndarray
    floor_topup: np.ndarray

    def total_reimbursed(self) -> np.ndarray:
        """Everything but out of pocket."""
        return self.basic + self.critical_illness + self.assistance + self.supplemental


class Ledger:
    """Year-to-date amounts per person (yuan) that deductibles and caps are checked against.

    ``basic``/``outpatient``/``chronic``/``ci``/``assistance``/``supplemental`` hold what each
    layer has paid; ``ci_base`` and ``as_base`` hold the in-scope cost each of those layers
    has seen, which is what their annual deductibles apply to.
    """

    def __init__(self, n_persons: int):
        #: one row per field (``LEDGER_FIELDS``), read and written by ``sim.kernels``
        self.table = np.zeros((len(LEDGER_FIELDS), n_persons), np.float32)
        self.arrays = dict(zip(LEDGER_FIELDS, self.table, strict=True))

    def reset(self) -> None:
        """Start a new insurance year."""
        self.table.fill(0.0)

    def nbytes(self) -> int:
        """Memory held."""
        return self.table.nbytes


#: The kernel's number of each kind of bill.
KINDS = {"outpatient": kernels.OUTPATIENT, "chronic": kernels.CHRONIC,
         "inpatient": kernels.INPATIENT, "special": kernels.SPECIAL}
_NONE_BOOL, _NONE_FLOAT = np.zeros(0, bool), np.zeros(0)


def _chain(kind: str, bills: Bills, ledger: Ledger, rules: PaymentRules, write: bool
           ) -> np.ndarray:
    """What each payer pays of each bill, (6, bills) in the order of ``Paid``'s fields.

    Outpatient bills go to outpatient pooling of basic insurance only; chronic and special
    disease outpatient bills to basic insurance, then assistance when ``as_chronic``;
    inpatient bills through all four layers in order: an admission pays the per-admission
    deductible, a month of a treatment course after its first does not (one episode);
    ``special`` bills (outpatient special-disease care such as dialysis after a course,
    门诊慢特病) pay no deductible and are reimbursed at ``special_ratio``, within the same
    annual cap and layers. ``write`` records the new year-to-date amounts in ``ledger``.
    """
    floor = bills.floor
    if floor is None or not floor.any():
        floor = _NONE_FLOAT  # no floor: the top-up is zero
    episode = _NONE_BOOL if bills.new_episode is None else bills.new_episode
    return kernels.settle_bills(
        KINDS[kind], bills.person, bills.group, bills.level, bills.amount, bills.scope,
        bills.insured, episode, floor, ledger.table, rules.level_table, rules.group_table,
        rules.scalars, write)


def quote(kind: str, bills: Bills, ledger: Ledger, rules: PaymentRules) -> np.ndarray:
    """What each bill would leave out of pocket now (yuan), without recording anything.

    The price a patient expects when deciding whether to seek care.
    """
    return _chain(kind, bills, ledger, rules, False)[kernels.P_OOP]


def settle(kind: str, bills: Bills, ledger: Ledger, rules: PaymentRules) -> Paid:
    """Settle a batch against the ledger and record the new year-to-date amounts."""
    return Paid(*_chain(kind, bills, ledger, rules, True))
