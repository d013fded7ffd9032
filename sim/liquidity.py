"""Cash at hand, advances and debt: the liquidity side of paying for care.

Out of pocket is counted on an accrual basis (DESIGN.md): what a household finally pays
for a bill, in the month of the bill, whenever the layers of the chain pay. Paying first
and being reimbursed later is a different problem, a *liquidity* problem, kept here:

* Where one-stop settlement does not apply, a household advances the part of a bill that
  the later layers will reimburse (``advance``), and is repaid ``delay`` months later.
* A household with savings advances from them; one without borrows the advance
  (informal loans from relatives, shops or lenders) and carries the debt until repaid,
  paying ``borrowing_rate_per_year`` on it meanwhile.
* A household in debt has no cash at hand: if an admission asks for a deposit, it may
  forgo care (``sim.care``). This is the only way liquidity reaches health, and through
  it poverty; the advance, the debt and its interest are reported on their own and are
  never counted as spending or as a loss of income.

Money in yuan; months are engine months.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np


class Liquidity:
    """Outstanding advances of each household and the months they are repaid."""

    def __init__(self, savings: np.ndarray):
        n = len(savings)
        #: whether the household holds cash beyond a month's needs (drawn at the start)
        self.savings = savings
        #: yuan owed by each household for advances it had to borrow
        self.debt = np.zeros(n)
        self._repay: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)

    def has_cash(self, households: np.ndarray) -> np.ndarray:
        """Whether each household can pay a deposit now: savings and no open debt."""
        return self.savings[households] & (self.debt[households] <= 0.0)

    def advance(self, m: int, households: np.ndarray, yuan: np.ndarray, delay: int) -> dict:
        """Households pay ``yuan`` now that is reimbursed ``delay`` months later.

        Returns the yuan advanced and the yuan borrowed (per bill) for the record.
        """
        if delay <= 0 or len(households) == 0:
            zero = np.zeros(len(households))
            return {"advanced": zero, "borrowed": zero}
        borrowed = np.where(self.savings[households], 0.0, yuan)
        np.add.at(self.debt, households, borrowed)
        self._repay[m + delay].append((households, borrowed))
        return {"advanced": yuan, "borrowed": borrowed}

    def repay_due(self, m: int) -> np.ndarray:
        """Reimbursements arriving in month ``m`` pay back the borrowing (yuan per household)."""
        repaid = np.zeros(len(self.debt))
        for households, yuan in self._repay.pop(m, []):
            np.add.at(repaid, households, yuan)
        self.debt = np.maximum(self.debt - repaid, 0.0)
        return repaid

    def interest(self, rate_per_year: float) -> np.ndarray:
        """Interest on open debt for one month, per household (yuan); reported, not spent."""
        return self.debt * (rate_per_year / 12.0)

    def nbytes(self) -> int:
        """Memory held."""
        return self.savings.nbytes + self.debt.nbytes
