"""Places inside a scenario: prefectures or counties with their own payment terms and care.

A scenario may name places (``population.places``), each a share of its townships with its
own terms of the reimbursement chain and care rules (``set``: dotted ``payment.*``,
``care.level_shift`` and ``care.catalogue`` keys and values, e.g. the 80% medical assistance
of the four southern prefectures of Xinjiang, seed 002; the policy calendar dates them as
``places.<name>.<key>``, e.g. the county medical alliances of Lianyungang, seed 004). The
townships are dealt to the places in order (the first place takes the first
``township_share`` of them, and so on); the townships left over form the rest of the
scenario, under the scenario's own terms. Households live in townships drawn at random, so
each place holds about its share of the households, with the scenario's population profile.
A place's terms are applied on top of the scenario's parameters in force, so a dated change
of the policy calendar reaches every place except where the place sets the key itself.

The care rules of each place are compiled by ``sim.care.CareTables``, indexed by
``Model.pplace`` (the place index of this module). Each bill is settled with the chain of its
household's place: the chain stays a pure function of bills and rules (``sim.payment``);
:class:`PlaceRules` splits a batch by place and puts the pieces back together. A scenario
without places settles exactly as before.
"""

from __future__ import annotations

import numpy as np

from sim.payment import PAYERS, Paid, PaymentRules, quote, settle


def place_of_township(params: dict) -> np.ndarray:
    """Place index of each township: 0.. for the named places, len(places) for the rest."""
    places = params["population"]["places"] or []
    n = params["population"]["townships"]
    out = np.full(n, len(places), np.int8)
    edges = np.round(np.cumsum([0.0] + [p["township_share"] for p in places]) * n)
    for i in range(len(places)):
        out[int(edges[i]):int(edges[i + 1])] = i
    return out


class PlaceRules:
    """The chain's rules of each place, and settlement split by place."""

    def __init__(self, rules: PaymentRules, by_place: list[PaymentRules],
                 person_place: np.ndarray):
        self.rules = rules
        self.all = [*by_place, rules]  # the rest of the scenario last
        self.person_place = person_place

    def _split(self, fn, kind: str, bills, ledger, settles: bool):
        if len(self.all) == 1 or not len(bills):
            return fn(kind, bills, ledger, self.rules)
        place = self.person_place[bills.person]
        paid = {f: np.zeros(len(bills)) for f in (*PAYERS, "floor_topup")}
        oop = np.zeros(len(bills))
        for i, rules in enumerate(self.all):
            sel = np.flatnonzero(place == i)
            if not len(sel):
                continue
            got = fn(kind, bills.subset(sel), ledger, rules)
            if settles:
                for f in paid:
                    paid[f][sel] = getattr(got, f)
            else:
                oop[sel] = got
        return Paid(**paid) if settles else oop

    def settle(self, kind: str, bills, ledger, fn=settle) -> Paid:
        """Settle a batch, each bill under its place's rules.

        ``fn`` settles one place's bills (``sim.payment.settle`` unless given).
        """
        return self._split(fn, kind, bills, ledger, True)

    def quote(self, kind: str, bills, ledger) -> np.ndarray:
        """Out of pocket each bill would leave now, under its place's rules."""
        return self._split(quote, kind, bills, ledger, False)
