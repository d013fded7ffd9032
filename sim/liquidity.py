"""Cash at hand, advances and debt: the liquidity side of paying for care.

Out of pocket is counted on an accrual basis (DESIGN.md): what a household finally pays
for a bill, in the month of the bill, whenever the layers of the chain pay. Paying first
and being reimbursed later is a different problem, a *liquidity* problem, kept here as a
stock of cash at hand (yuan) per household:

* **Savers and the hand to mouth.** A share of households (``population.savings_share``)
  keeps cash at hand, up to a buffer of ``income.cash_buffer_months`` months of its income
  (a buffer-stock saver: what lies above the buffer is spent); the others live hand to
  mouth and hold none.
* **The month's budget.** Out of pocket is paid from the month's income first (a
  household with bills consumes less); of what is left the household saves the part it
  does not consume (``1 - income.consumption_share``), first towards its debt, then, if
  it is a saver, into cash up to its buffer. Bills larger than the month's income are paid
  from cash, and beyond it by *distress financing* (gifts and interest-free loans from
  relatives, assets sold, consumption cut further), reported, not carried as debt.
* **Advances.** Where one-stop settlement does not apply, the household also advances the
  part of a bill that the later layers reimburse (``advance``), from cash, and gets it
  back ``delay`` months later (first against its debt). What cash does not cover is
  borrowed (informal loans from shops or lenders) and carried as debt, at
  ``income.borrowing_rate_per_year``; the interest is paid from cash, or added to the debt
  when there is none. The reimbursement pays the loan back, so such debt does not pile up.
* **Deposits.** An admission that asks for a deposit needs that much cash at hand; a
  household with less may forgo care (``sim.care``). This is how liquidity reaches health,
  and through it poverty: out of pocket paid last month, an advance waiting for its
  reimbursement, or debt leave less cash for the next deposit. The advance, the borrowing,
  the debt and its interest are reported on their own and are never counted as spending or
  as a loss of income.
* **A household that ends** (its last member dies) leaves no one to pay or to be paid: its
  debt is written off (reported), its cash and the reimbursements still due to it are gone
  (``write_off``). Before, such debt stayed on the books and grew by its interest for good.

Money in yuan; months are engine months.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from sim.arrays import member, unique


def cash_buffer(params: dict, monthly_income: np.ndarray) -> np.ndarray:
    """The most cash a household keeps at hand (yuan).

    ``income.cash_buffer_months`` months of its income.
    """
    return params["income"]["cash_buffer_months"] * np.maximum(monthly_income, 0.0)


class Liquidity:
    """Cash at hand, debt and the reimbursements still to come, per household."""

    def __init__(self, saver: np.ndarray):
        #: whether each household keeps cash at hand (the others live hand to mouth)
        self.saver = saver
        #: yuan each household holds at hand
        self.cash = np.zeros(len(saver))
        #: yuan owed for payments that cash did not cover
        self.debt = np.zeros(len(self.cash))
        self._repay: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)

    def has_cash(self, households: np.ndarray, yuan: np.ndarray | float) -> np.ndarray:
        """Whether each household holds ``yuan`` at hand now (e.g. an admission deposit)."""
        return self.cash[households] >= yuan

    def pay(self, households: np.ndarray, yuan: np.ndarray) -> np.ndarray:
        """Households pay ``yuan`` (per entry) from cash, borrowing what it does not cover.

        Returns the yuan borrowed per entry (a household's shortfall shared among its
        entries in proportion to their amounts). Computed at the entries only (a batch
        touches few households): each entry reads its household's total, cash and debt,
        and writes back its household's new cash and debt (the same values from every
        entry of a household).
        """
        if len(households) == 0:
            return np.zeros(0)
        total = np.bincount(households, weights=yuan)[households]
        cash = self.cash[households]
        from_cash = np.minimum(cash, total)
        short = total - from_cash
        self.cash[households] = cash - from_cash
        self.debt[households] = self.debt[households] + short
        share = np.divide(short, total, out=np.zeros(len(total)), where=total > 0)
        return yuan * share

    def advance(self, m: int, households: np.ndarray, yuan: np.ndarray, delay: int) -> dict:
        """Households pay ``yuan`` now that is reimbursed ``delay`` months later.

        Returns the yuan advanced and the yuan of it borrowed (per bill) for the record.
        """
        if delay <= 0 or len(households) == 0:
            zero = np.zeros(len(households))
            return {"advanced": zero, "borrowed": zero}
        borrowed = self.pay(households, yuan)
        self._repay[m + delay].append((households, yuan))
        return {"advanced": yuan, "borrowed": borrowed}

    def repay_due(self, m: int) -> np.ndarray:
        """Reimbursements arriving in month ``m``: against the debt first, then into cash.

        Returns the yuan arriving per household.
        """
        arriving = np.zeros(len(self.cash))
        for households, yuan in self._repay.pop(m, []):
            np.add.at(arriving, households, yuan)
        self._receive(arriving)
        return arriving

    def interest(self, rate_per_year: float) -> np.ndarray:
        """One month's interest on open debt, per household (yuan; reported, not spent).

        Paid from cash where there is some, else added to the debt.
        """
        due = self.debt * (rate_per_year / 12.0)
        paid = np.minimum(due, self.cash)
        self.cash -= paid
        self.debt += due - paid
        return due

    def budget(self, income: np.ndarray, oop: np.ndarray, saving_share: float,
               buffer: np.ndarray) -> np.ndarray:
        """The month's budget of every household (yuan per household).

        Out of pocket is paid from the month's income first: a household with medical
        bills consumes less. Of what is left it saves ``saving_share``, towards its debt
        first, then, if it is a saver, into cash up to ``buffer`` (:func:`cash_buffer`);
        cash above the buffer is spent. Bills larger than the month's income are paid from
        cash; what cash does not cover is distress financing (gifts and interest-free loans
        from relatives, assets sold, consumption cut below its usual share), returned in
        yuan per household and not carried as debt.
        """
        # in place where an array is not needed again: few full-length temporaries
        left = np.maximum(income, 0.0)
        left -= oop
        short = np.negative(left)
        np.maximum(short, 0.0, out=short)
        from_cash = np.minimum(self.cash, short)
        self.cash -= from_cash
        saved = np.maximum(left, 0.0, out=left)
        saved *= saving_share
        to_debt = np.minimum(saved, self.debt)
        self.debt -= to_debt
        cap = np.where(self.saver, buffer, 0.0)
        np.maximum(cap, 0.0, out=cap)
        # what lies above the buffer (a reimbursement that arrived) is spent
        self.cash += saved
        self.cash -= to_debt
        np.minimum(self.cash, cap, out=self.cash)
        short -= from_cash
        return short

    def write_off(self, households: np.ndarray) -> np.ndarray:
        """Close the accounts of ``households`` that ended; returns each one's debt (yuan).

        Their debt and cash go to zero and the reimbursements still due to them are
        dropped, so that a new household taking their slots starts clean.
        """
        written = self.debt[households].copy()
        self.debt[households] = 0.0
        self.cash[households] = 0.0
        if len(households):
            ended = unique(households)
            for due in self._repay.values():
                for i, (hh, yuan) in enumerate(due):
                    gone = member(hh, ended)
                    if gone.any():
                        due[i] = (hh, np.where(gone, 0.0, yuan))
        return written

    def _receive(self, yuan: np.ndarray) -> None:
        to_debt = np.minimum(yuan, self.debt)
        self.debt -= to_debt
        self.cash += yuan - to_debt

    def nbytes(self) -> int:
        """Memory held."""
        return self.cash.nbytes + self.debt.nbytes
