"""Budgets: what packages of measures cost, the cases they avert, and which one to choose.

From a :class:`~models.batch.Batch` whose packages are measures and intensities (e.g.
contract coverage 60/90/100%, screening every year or two, monitoring weekly to quarterly)
and a *comparator* package (e.g. no measures, or the current policy):

* **cost** of a package over the reported period, in yuan scaled to the area, from a
  perspective: ``programme`` -- the measures' own costs (every ``<measure>_cost_yuan_total``);
  ``public`` (default) -- the public outlays: those plus what the public payers pay for care
  (basic insurance, critical-illness insurance, medical assistance, supplemental
  insurance), so that a package that changes reimbursement (zero programme cost) is
  costed too, plus the target groups' cash transfers (``transfers_yuan_total``: minimum
  guarantee and the other groups' transfers, civil affairs), so that a measure that moves
  households into the minimum guarantee (monitoring, through the registry's group
  changes) carries the transfers it causes. The outlays are not consolidated: a premium
  subsidy is an outlay of the government and the claims of those it insures are outlays
  of the insurance fund (individual contributions, the fund's income, are not modelled).
  The *incremental cost* is the package's cost minus the comparator's, sample by sample.
* **cases**: households returning to poverty due to illness over the period, scaled to the
  area (``returned_illness_households_<period>`` of the batch: the cumulative rate times the
  formerly-poor households at the start; any count indicator can be chosen). *Cases
  averted* = the comparator's cases minus the package's, sample by sample (paired, common
  random numbers).
* **cost per case averted** (average ratio against the comparator) and the **efficiency
  frontier** on the mean incremental cost and mean cases averted, by the standard ICER
  algorithm: sort by cost; a package is *dominated* when another costs no more and averts
  at least as many cases; among the rest, one is *extendedly dominated* when its ICER
  (extra cost per extra case averted against the previous package on the frontier) exceeds
  the next one's, so that a mix of its neighbours would do better; repeated until the
  ICERs increase along the frontier.
* **the best package under a budget**: of the packages whose mean incremental cost is
  within the budget, the one averting most cases on average; with the **probability that
  it is best** (share of samples -- replications, and posterior draws when given -- in
  which it averts most cases among those affordable; ties share the sample), and the
  **expected value of perfect information** for that choice, in cases averted:
  E[max over affordable packages of cases averted] - max E[cases averted] (never below 0;
  0 when one package is best in every sample).
* **cost-effectiveness acceptability curve**: for a willingness to pay ``wtp`` yuan per
  case averted, the net benefit of a package in a sample is wtp x cases averted -
  incremental cost; the curve gives, for each wtp, the probability each package has the
  largest net benefit, and the EVPI (in yuan) at that wtp.

Intervals (:meth:`BudgetAnalysis.conf_int`) are paired across samples; with replications
only they carry chance only (95% t-interval of the mean paired difference), with posterior
draws parameter uncertainty and chance (quantiles across draws).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.batch import Batch
from models.effects import paired_interval

PUBLIC_PAYERS = ("basic", "critical_illness", "assistance", "supplemental")
#: Public outlays besides care: the target groups' cash transfers (civil affairs).
PUBLIC_TRANSFERS = ("transfers",)
PERSPECTIVES = ("programme", "public")
FRONTIER, DOMINATED, EXTENDED = "frontier", "dominated", "extendedly dominated"


def frontier(costs: Sequence[float], effects: Sequence[float],
             names: Sequence[str] | None = None) -> pd.DataFrame:
    """The efficiency frontier of options (cost, effect: more effect is better).

    Returns one row per option, in the given order: ``package, cost, effect, status``
    (frontier, dominated, extendedly dominated) and ``icer`` (cost per unit of effect
    against the previous option on the frontier; NaN for the cheapest frontier option and
    for options off the frontier). Exact ties keep the first option given.
    """
    cost = np.asarray(costs, float)
    eff = np.asarray(effects, float)
    names = list(names) if names is not None else [str(i) for i in range(len(cost))]
    if not len(cost) == len(eff) == len(names) or len(cost) == 0:
        raise ValueError("costs, effects and names need the same, non-zero length")
    if np.isnan(cost).any() or np.isnan(eff).any():
        raise ValueError("costs and effects must not be NaN")
    order = sorted(range(len(cost)), key=lambda i: (cost[i], -eff[i], i))
    status = [DOMINATED] * len(cost)
    best = -np.inf
    kept = []
    for i in order:  # strong dominance: a cheaper (or equal) option does at least as well
        if eff[i] > best:
            kept.append(i)
            best = eff[i]
    changed = True
    while changed and len(kept) > 2:  # extended dominance: ICERs must increase
        changed = False
        icers = [(cost[b] - cost[a]) / (eff[b] - eff[a]) for a, b in zip(kept, kept[1:],
                                                                         strict=False)]
        for k in range(len(icers) - 1):
            if icers[k] > icers[k + 1]:
                status[kept[k + 1]] = EXTENDED
                del kept[k + 1]
                changed = True
                break
    icer = np.full(len(cost), np.nan)
    for a, b in zip(kept, kept[1:], strict=False):
        icer[b] = (cost[b] - cost[a]) / (eff[b] - eff[a])
    for i in kept:
        status[i] = FRONTIER
    return pd.DataFrame({"package": names, "cost": cost, "effect": eff, "status": status,
                         "icer": icer})


def paid_by(item: str) -> str:
    """Who bears a row of :meth:`BudgetAnalysis.costs` (a measure's cost or a payer's)."""
    from sim.policies import REGISTRY

    if item.endswith("_cost") and item.removesuffix("_cost") in REGISTRY:
        return REGISTRY[item.removesuffix("_cost")].funded_by
    return {"transfers": "civil_affairs", "oop": "households"}.get(item, item)


def _share_best(values: np.ndarray) -> np.ndarray:
    """Per column, the share of rows in which it is largest (ties share the row)."""
    top = values == values.max(axis=1, keepdims=True)
    return (top / top.sum(axis=1, keepdims=True)).mean(axis=0)


def budget_analysis(batch: Batch, comparator: str, cases: str | None = None,
                    perspective: str = "public") -> BudgetAnalysis:
    """Costs, cases averted and choices for the packages of a batch against a comparator."""
    if comparator not in batch.packages:
        raise ValueError(f"comparator {comparator!r} is not a package of the batch; one of "
                         f"{', '.join(batch.packages)}")
    if perspective not in PERSPECTIVES:
        raise ValueError(f"perspective {perspective!r}: use one of {', '.join(PERSPECTIVES)}")
    cases = batch.resolve(cases, kind="returned_illness_households")
    measures = [i for i in batch.indicators if i.endswith("_cost_yuan_total")]
    topups = [i for i in batch.indicators if i.endswith("_topup_yuan_total")]
    public = [f"{p}_yuan_total" for p in (*PUBLIC_PAYERS, *PUBLIC_TRANSFERS)]
    payers = [*public, "oop_yuan_total"]
    parts = {name: batch.wide(name) for name in measures + payers}
    cost = sum(parts[n] for n in measures)
    if perspective == "public":  # top-ups are in a measure's cost and in basic insurance's
        cost = cost + sum(parts[n] for n in public) - sum(
            (batch.wide(n) for n in topups), start=0.0 * cost)
    n_cases = batch.wide(cases)
    keep = cost.dropna().index.intersection(n_cases.dropna().index)
    cost, n_cases = cost.loc[keep], n_cases.loc[keep]
    draws = (keep.to_numpy() // batch.reps).astype(int)
    long = pd.concat([parts[n].loc[keep].stack().rename("value").reset_index()
                      .assign(payer=n.removesuffix("_yuan_total")) for n in parts],
                     ignore_index=True)
    return BudgetAnalysis(
        comparator=comparator, cases_indicator=cases, perspective=perspective,
        cost=cost, cases=n_cases, draws=draws, by_payer=long)


@dataclass(frozen=True)
class BudgetAnalysis:
    """Per-sample costs (yuan) and cases of each package, and the choices they imply."""

    comparator: str
    cases_indicator: str
    perspective: str
    cost: pd.DataFrame = field(repr=False)   # samples x packages, yuan
    cases: pd.DataFrame = field(repr=False)  # samples x packages, households
    draws: np.ndarray = field(repr=False)
    by_payer: pd.DataFrame | None = field(default=None, repr=False)

    @classmethod
    def from_samples(cls, cost, cases, comparator: str, draws=None) -> BudgetAnalysis:
        """From tables (samples x packages) of costs and cases, e.g. hand-made ones."""
        cost, cases = pd.DataFrame(cost), pd.DataFrame(cases)
        d = np.zeros(len(cost), int) if draws is None else np.asarray(draws)
        return cls(comparator, "cases", "given", cost, cases, d)

    def select(self, packages: Sequence[str]) -> BudgetAnalysis:
        """The same analysis restricted to some packages (the comparator is always kept)."""
        keep = [p for p in self.packages if p in set(packages) or p == self.comparator]
        unknown = set(packages) - set(self.packages)
        if unknown:
            raise ValueError(f"unknown packages {sorted(unknown)}")
        by = (None if self.by_payer is None
              else self.by_payer[self.by_payer["package"].isin(keep)])
        return BudgetAnalysis(self.comparator, self.cases_indicator, self.perspective,
                              self.cost[keep], self.cases[keep], self.draws, by)

    @property
    def packages(self) -> list[str]:
        """Package names, comparator included."""
        return list(self.cost.columns)

    @property
    def incremental_cost(self) -> pd.DataFrame:
        """Cost minus the comparator's, per sample (yuan)."""
        return self.cost.sub(self.cost[self.comparator], axis=0)

    @property
    def averted(self) -> pd.DataFrame:
        """The comparator's cases minus the package's, per sample."""
        return -self.cases.sub(self.cases[self.comparator], axis=0)

    def frontier(self) -> pd.DataFrame:
        """The efficiency frontier on mean incremental cost and mean cases averted."""
        return frontier(self.incremental_cost.mean(), self.averted.mean(), self.packages)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Paired intervals of incremental cost (yuan) and cases averted, per package."""
        rows = []
        for what, table in (("incremental_cost", self.incremental_cost),
                            ("cases_averted", self.averted)):
            for p in self.packages:
                mean, se, lo, hi, kind = paired_interval(table[p].to_numpy(), self.draws, alpha)
                if p == self.comparator:
                    lo = hi = mean = 0.0
                rows.append({"package": p, "quantity": what, "estimate": mean, "lo": lo,
                             "hi": hi, "interval": kind})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """One row per package: costs, cases averted (95% intervals), ratio, ICER, status."""
        f = self.frontier().set_index("package")
        ci = self.conf_int().set_index(["quantity", "package"])
        inc, av = self.incremental_cost.mean(), self.averted.mean()
        out = pd.DataFrame({
            "cost_yuan": self.cost.mean(),
            "incremental_cost_yuan": inc,
            "incremental_cost_lo": ci.loc["incremental_cost", "lo"],
            "incremental_cost_hi": ci.loc["incremental_cost", "hi"],
            "cases": self.cases.mean(),
            "cases_averted": av,
            "cases_averted_lo": ci.loc["cases_averted", "lo"],
            "cases_averted_hi": ci.loc["cases_averted", "hi"],
            "cost_per_case_averted_yuan": (inc / av.where(av > 0)),
            "icer_yuan_per_case": f["icer"],
            "status": f["status"],
        })
        out.index.name = "package"
        out = out.reset_index()
        out["interval"] = ci["interval"].iloc[0]
        return out

    def costs(self) -> pd.DataFrame:
        """Each measure's and payer's spending per package, and its change vs comparator.

        ``payer`` names a measure's own cost (``<measure>_cost``) or a payer's spending;
        ``paid_by`` says who bears it (a measure's ``funded_by``; ``transfers`` are paid by
        civil affairs, ``oop`` by households).
        """
        if self.by_payer is None:
            raise ValueError("no per-payer costs kept (built from samples)")
        g = self.by_payer.pivot_table(index=["payer", "sample"], columns="package",
                                      values="value")
        mean = g.groupby(level="payer").mean()
        inc = mean.sub(mean[self.comparator], axis=0)
        out = mean.stack().rename("yuan").to_frame().join(
            inc.stack().rename("incremental_yuan")).reset_index()
        out["paid_by"] = out["payer"].map(paid_by)
        return out[["package", "payer", "paid_by", "yuan", "incremental_yuan"]]

    def best(self, budget_yuan: float) -> dict:
        """The best affordable package, the probability it is best, and the EVPI (cases)."""
        inc = self.incremental_cost.mean()
        ok = [p for p in self.packages if inc[p] <= budget_yuan or p == self.comparator]
        values = self.averted[ok].to_numpy()
        means = values.mean(axis=0)
        k = int(np.argmax(means))
        share = _share_best(values)
        evpi = float(values.max(axis=1).mean() - means.max())
        return {"budget_yuan": float(budget_yuan), "package": ok[k],
                "incremental_cost_yuan": float(inc[ok[k]]), "cases_averted": float(means[k]),
                "probability_best": float(share[k]), "evpi_cases": max(evpi, 0.0),
                "affordable": ok}

    def budget_curve(self, budgets: Sequence[float] | None = None) -> pd.DataFrame:
        """For each budget: the best package and the probability each package is best."""
        if budgets is None:
            top = max(float(self.incremental_cost.mean().max()), 1.0)
            budgets = np.linspace(0, 1.1 * top, 45)
        rows = []
        for b in budgets:
            res = self.best(b)
            values = self.averted[res["affordable"]].to_numpy()
            share = dict(zip(res["affordable"], _share_best(values), strict=True))
            for p in self.packages:
                rows.append({"budget_yuan": float(b), "package": p,
                             "probability_best": share.get(p, 0.0),
                             "chosen": p == res["package"], "evpi_cases": res["evpi_cases"]})
        return pd.DataFrame(rows)

    def ceac(self, wtp: Sequence[float] | None = None) -> pd.DataFrame:
        """Probability each package has the largest net benefit, and the EVPI (yuan)."""
        inc, av = self.incremental_cost.to_numpy(), self.averted.to_numpy()
        if wtp is None:
            icers = self.frontier()["icer"].dropna()
            top = float(icers.max()) * 2 if len(icers) else 1e6
            wtp = np.linspace(0, max(top, 1.0), 50)
        rows = []
        for lam in wtp:
            nb = lam * av - inc
            share = _share_best(nb)
            means = nb.mean(axis=0)
            evpi = max(float(nb.max(axis=1).mean() - means.max()), 0.0)
            for j, p in enumerate(self.packages):
                rows.append({"wtp_yuan_per_case": float(lam), "package": p,
                             "probability_optimal": float(share[j]),
                             "optimal_in_expectation": j == int(np.argmax(means)),
                             "evpi_yuan": evpi})
        return pd.DataFrame(rows)

    def summary(self, budget_yuan: float | None = None) -> str:
        """A readable table; with a budget, the best package for it."""
        df = self.to_frame()
        head = (f"Packages against {self.comparator!r}: cost = {self.perspective} perspective, "
                f"yuan over the period; cases = {self.cases_indicator}\n"
                f"Intervals: {df['interval'].iloc[0]}")
        cols = ["package", "incremental_cost_yuan", "cases_averted", "cases_averted_lo",
                "cases_averted_hi", "cost_per_case_averted_yuan", "icer_yuan_per_case",
                "status"]
        text = head + "\n" + df[cols].to_string(index=False, float_format=lambda v: f"{v:,.4g}")
        if budget_yuan is not None:
            b = self.best(budget_yuan)
            text += (f"\nBudget {budget_yuan:,.0f} yuan: best {b['package']!r} "
                     f"({b['cases_averted']:,.1f} cases averted, probability best "
                     f"{b['probability_best']:.0%}, EVPI {b['evpi_cases']:,.2f} cases)")
        return text

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, kind: str = "frontier", ax=None, **kwargs):
        """``frontier``, ``budget`` (probability best by budget) or ``ceac``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7.5, 4.8))
        if kind == "frontier":
            return self._plot_frontier(ax, **kwargs)
        if kind in ("budget", "ceac"):
            df = self.budget_curve(**kwargs) if kind == "budget" else self.ceac(**kwargs)
            x, y = (("budget_yuan", "probability_best") if kind == "budget"
                    else ("wtp_yuan_per_case", "probability_optimal"))
            for p, g in df.groupby("package", sort=False):
                ax.plot(g[x] / 1e6 if kind == "budget" else g[x], g[y], label=p)
            ax.set_xlabel("budget, incremental cost (million yuan)" if kind == "budget"
                          else "willingness to pay (yuan per case averted)")
            ax.set_ylabel("probability best" if kind == "budget" else "probability optimal")
            ax.set_ylim(-0.02, 1.02)
            ax.legend(fontsize=8)
            ax.set_title("Which package is best, across samples" if kind == "budget"
                         else "Cost-effectiveness acceptability curve")
            ax.figure.tight_layout()
            return ax.figure
        raise ValueError(f"unknown plot kind {kind!r}; use frontier, budget or ceac")

    @staticmethod
    def _label_packages(ax, df: pd.DataFrame) -> None:
        """Name each package beside its point, without overlaps.

        A label that would run into one already placed at its height (its width estimated
        from its length at the 7-point font) goes one line up.
        """
        d = df.sort_values("incremental_cost_yuan")
        x = d["incremental_cost_yuan"].to_numpy() / 1e6
        lo, hi = ax.get_xlim()
        width_pt = ax.get_window_extent().width * 72 / ax.figure.dpi
        per_pt = (hi - lo) / max(width_pt, 1.0)  # x units per point
        ends: list[float] = []  # right end of the last label on each line
        for r, xi in zip(d.itertuples(), x, strict=True):
            line = next((k for k, end in enumerate(ends) if xi > end), len(ends))
            end = xi + (3 + 4.0 * len(r.package)) * per_pt
            if line == len(ends):
                ends.append(end)
            else:
                ends[line] = end
            ax.annotate(r.package, (xi, r.cases_averted), fontsize=7,
                        xytext=(3, 3 + 9 * line), textcoords="offset points")

    def _plot_frontier(self, ax, budget_yuan: float | None = None):
        df = self.to_frame()
        marks = {FRONTIER: ("o", "#54278f"), DOMINATED: ("x", "#969696"),
                 EXTENDED: ("s", "#fd8d3c")}
        for status, (m, c) in marks.items():
            d = df[df["status"] == status]
            ax.errorbar(d["incremental_cost_yuan"] / 1e6, d["cases_averted"],
                        yerr=[d["cases_averted"] - d["cases_averted_lo"],
                              d["cases_averted_hi"] - d["cases_averted"]],
                        fmt=m, color=c, label=status, capsize=2, ls="none")
        f = df[df["status"] == FRONTIER].sort_values("incremental_cost_yuan")
        ax.plot(f["incremental_cost_yuan"] / 1e6, f["cases_averted"], color="#54278f", lw=1)
        self._label_packages(ax, df)
        if budget_yuan is not None:
            ax.axvline(budget_yuan / 1e6, color="#de2d26", ls="--", lw=1, label="budget")
        ax.set_xlabel(f"incremental cost vs {self.comparator!r} (million yuan, "
                      f"{self.perspective})")
        ax.set_ylabel("cases averted (households)")
        ax.set_title("Efficiency frontier (bars: " + df["interval"].iloc[0].split(":")[0]
                     + ", 95%)", fontsize=9)
        ax.legend(fontsize=8)
        ax.figure.tight_layout()
        return ax.figure
