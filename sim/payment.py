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
shares of the whole amount. Every function returns new year-to-date amounts instead of
changing its inputs, so it can be tested against hand-computed bills. Accounting identity:
for every bill, ``amount == basic + critical_illness + assistance + supplemental + oop``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    #: row of each field in the table
    ROW = {f: k for k, f in enumerate(LEDGER_FIELDS)}

    def __init__(self, n_persons: int):
        #: one row a field (float32), each a contiguous array over persons: a batch
        #: gathers and scatters only the fields it settles (outpatient bills, the largest
        #: batch, one), within arrays small enough to stay in cache, instead of whole
        #: person rows spread over the full table
        self.table = np.zeros((len(LEDGER_FIELDS), n_persons), np.float32)

    def take(self, persons: np.ndarray, fields=LEDGER_FIELDS) -> dict[str, np.ndarray]:
        """Year-to-date amounts of some persons (float64 copies), for the given fields."""
        return {k: self.table[self.ROW[k]].take(persons).astype(np.float64) for k in fields}

    def update(self, persons: np.ndarray, fields, settle_fn):
        """Pass the year-to-date ``fields`` of ``persons`` (distinct) to ``settle_fn``.

        ``settle_fn(ytd)`` returns ``(result, new)``; the amounts in ``new`` are written
        back (as float32) and ``result`` is returned. Written by index assignment, which
        converts float64 to float32 on the way at about 1.7 times the speed of ``put``.
        """
        result, new = settle_fn(self.take(persons, fields))
        for k, v in new.items():
            self.table[self.ROW[k]][persons] = v
        return result

    def reset(self) -> None:
        """Start a new insurance year."""
        self.table.fill(0.0)

    def clear(self, persons: np.ndarray) -> None:
        """New persons in old slots start the year with nothing paid."""
        self.table[:, persons] = 0.0

    def nbytes(self) -> int:
        """Memory held."""
        return self.table.nbytes


def _capped(amount, used, cap):
    """Pay ``amount`` without letting ``used`` exceed ``cap``.

    ``used`` is an array of year-to-date amounts (float64, as :class:`Ledger` gives them).
    One new array: the room left under the cap, then the payment written over it.
    """
    room = cap - used
    np.maximum(room, 0.0, out=room)
    return np.minimum(amount, room, out=room)


def _above(before, add, deductible):
    """The part of ``add`` that lies above ``deductible``, counting from ``before``.

    ``before`` and ``add`` are arrays (float64); one new array holds the steps.
    """
    out = before + add
    out -= np.maximum(before, deductible)
    return np.maximum(out, 0.0, out=out)


def _add_floor(basic, bills: Bills, *others):
    """Basic insurance with what it adds to bring an insured bill's reimbursement to its floor.

    The reimbursement is ``basic`` plus the other layers' payments ``others``, added in
    that order. Returns ``(basic, topup)``: for a batch without floors, ``basic`` itself
    and zeros, without a pass over the bills.
    """
    if bills.floor is None or not bills.floor.any():
        return basic, np.zeros(len(basic))
    total = basic
    for paid in others:
        total = total + paid
    topup = np.where(bills.insured, np.maximum(bills.floor * bills.amount - total, 0.0), 0.0)
    return basic + topup, topup


def _index(codes: np.ndarray) -> np.ndarray:
    """Group or level codes as ``intp``, converted once for the rules' tables they index.

    Gathering with ``int8`` indices is several times slower than with ``intp`` ones.
    """
    return codes.astype(np.intp, copy=False)


def _assistance(g, left, ytd, rules):
    """Medical assistance on the in-scope cost ``left``; returns (paid, new ytd fields).

    Computed for the bills of eligible groups only; the others get nothing.
    """
    paid = np.zeros_like(left)
    base, used = ytd["as_base"].copy(), ytd["assistance"].copy()
    e = np.flatnonzero(rules.as_eligible[g])
    if len(e):
        ge, left_e, base_e, used_e = g[e], left[e], base[e], used[e]  # gathered once
        share = rules.as_ratio[ge] * _above(base_e, left_e, rules.as_deductible[ge])
        paid_e = _capped(share, used_e, rules.as_cap[ge])
        paid[e] = paid_e
        base[e] = base_e + left_e
        used[e] = used_e + paid_e
    return paid, {"as_base": base, "assistance": used}


def settle_inpatient(bills: Bills, ytd: dict, rules: PaymentRules, special: bool = False
                     ) -> tuple[Paid, dict]:
    """Admissions and major-disease treatment: all four layers in order.

    An admission pays the per-admission deductible; a month of a treatment course after
    its first does not (one episode); ``special`` bills (outpatient special-disease care
    such as dialysis after a course, 门诊慢特病) pay no deductible and are reimbursed at
    ``special_ratio``, within the same annual cap and layers.
    """
    g, lv = _index(bills.group), _index(bills.level)
    amount = bills.amount
    ins = bills.insured
    if special:
        ratio = np.full(len(g), rules.special_ratio)
        deductible = 0.0
    else:
        ratio = rules.basic_ratio[g, lv]
        deductible = rules.basic_deductible[g, lv]
        if bills.new_episode is not None:
            deductible = np.where(bills.new_episode, deductible, 0.0)
    basic = ratio * np.maximum(bills.scope - deductible, 0.0)
    basic = np.where(ins, _capped(basic, ytd["basic"], rules.basic_cap), 0.0)
    left = bills.scope - basic

    ci_add = np.where(ins, left, 0.0)
    ci = rules.ci_ratio[g] * _above(ytd["ci_base"], ci_add, rules.ci_deductible[g])
    ci = _capped(ci, ytd["ci"], rules.ci_cap[g])
    assist, new = _assistance(g, left - ci, ytd, rules)

    paid = basic + ci + assist
    sup = np.maximum(rules.sup_target * amount - paid, 0.0)
    sup = np.where(rules.sup_eligible[g] & ins, _capped(sup, ytd["supplemental"],
                                                         rules.sup_cap), 0.0)
    basic, topup = _add_floor(basic, bills, ci, assist, sup)
    new.update(basic=ytd["basic"] + basic, ci_base=ytd["ci_base"] + ci_add, ci=ytd["ci"] + ci,
               supplemental=ytd["supplemental"] + sup)
    oop = amount - basic
    oop -= ci
    oop -= assist
    oop -= sup
    return Paid(basic, ci, assist, sup, oop, topup), new


def settle_outpatient(bills: Bills, ytd: dict, rules: PaymentRules) -> tuple[Paid, dict]:
    """General outpatient episodes: outpatient pooling of basic insurance only."""
    basic = _capped(rules.outpatient_ratio * bills.scope, ytd["outpatient"],
                    rules.outpatient_cap)
    basic = np.where(bills.insured, basic, 0.0)
    basic, topup = _add_floor(basic, bills)
    zero = np.zeros_like(basic)  # shared by the layers that never pay outpatient bills
    new = {"outpatient": ytd["outpatient"] + basic}
    return Paid(basic, zero, zero, zero, bills.amount - basic, topup), new


def settle_chronic(bills: Bills, ytd: dict, rules: PaymentRules) -> tuple[Paid, dict]:
    """Chronic and special disease outpatient care: basic insurance, then assistance."""
    basic = _capped(rules.chronic_ratio * bills.scope, ytd["chronic"], rules.chronic_cap)
    basic = np.where(bills.insured, basic, 0.0)
    if rules.as_chronic:
        assist, new = _assistance(_index(bills.group), bills.scope - basic, ytd, rules)
    else:
        assist, new = np.zeros_like(basic), {}
    basic, topup = _add_floor(basic, bills, assist)
    new["chronic"] = ytd["chronic"] + basic
    zero = np.zeros_like(basic)
    return Paid(basic, zero, assist, zero, bills.amount - basic - assist, topup), new


def settle_special(bills: Bills, ytd: dict, rules: PaymentRules) -> tuple[Paid, dict]:
    """Outpatient special-disease care (门诊慢特病): the inpatient layers, no deductible."""
    return settle_inpatient(bills, ytd, rules, special=True)


#: Each kind of bill: its function and the year-to-date amounts it reads and updates.
SETTLE = {
    "outpatient": (settle_outpatient, ("outpatient",)),
    "chronic": (settle_chronic, ("chronic", "as_base", "assistance")),
    "inpatient": (settle_inpatient, ("basic", "ci_base", "ci", "as_base", "assistance",
                                     "supplemental")),
    "special": (settle_special, ("basic", "ci_base", "ci", "as_base", "assistance",
                                 "supplemental")),
}


def quote(kind: str, bills: Bills, ledger: Ledger, rules: PaymentRules) -> np.ndarray:
    """What each bill would leave out of pocket now (yuan), without recording anything.

    The price a patient expects when deciding whether to seek care.
    """
    fn, fields = SETTLE[kind]
    paid, _ = fn(bills, ledger.take(bills.person, fields), rules)
    return paid.oop


def settle(kind: str, bills: Bills, ledger: Ledger, rules: PaymentRules) -> Paid:
    """Settle a batch against the ledger and record the new year-to-date amounts."""
    fn, fields = SETTLE[kind]
    return ledger.update(bills.person, fields, lambda ytd: fn(bills, ytd, rules))
