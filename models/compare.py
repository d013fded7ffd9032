"""Paired comparison of two scenarios run with the same seeds (common random numbers).

Replication ``r`` of both runs uses seed ``seed + r``: the same people, falling ill at the
same times, wherever the scenarios do not differ. The difference of an indicator is taken
replication by replication, so most of the noise cancels; its mean is the estimated effect
and a t-interval of the mean gives its 95% confidence interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.intervals import t_interval
from sim.results import Results


@dataclass(frozen=True)
class Comparison:
    """Effect of ``alternative`` against ``base`` on each indicator (alternative - base)."""

    base_name: str
    alternative_name: str
    reps: int
    table: pd.DataFrame
    #: per-replication differences (rows: replications, columns: indicators)
    diffs: pd.DataFrame | None = None
    #: what the intervals carry
    interval: str = "chance only: 95% CI of the mean paired difference across replications"

    def to_frame(self) -> pd.DataFrame:
        """indicator, unit, base, alternative, difference, lo, hi, relative."""
        return self.table.copy()

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """indicator, difference, lo, hi at level 1 - alpha (t-interval, paired)."""
        if self.diffs is None:
            raise ValueError("no per-replication differences kept")
        d = self.diffs
        bounds = [t_interval(d[c].to_numpy(dtype=float), 1 - alpha) for c in d.columns]
        return pd.DataFrame({"indicator": d.columns, "difference": d.mean().to_numpy(),
                             "lo": [b[0] for b in bounds], "hi": [b[1] for b in bounds]})

    def plot(self, ax=None):
        """The relative differences with their intervals (one line per indicator)."""
        import matplotlib.pyplot as plt

        t = self.table
        base = t["base"].where(t["base"] != 0)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(t) + 1.5))
        y = np.arange(len(t))[::-1]
        rel, lo, hi = t["difference"] / base, t["lo"] / base, t["hi"] / base
        ax.errorbar(rel * 100, y, xerr=[(rel - lo) * 100, (hi - rel) * 100], fmt="o",
                    capsize=3)
        ax.axvline(0, color="grey", ls="--", lw=1)
        ax.set_yticks(y, t["indicator"])
        ax.set_xlabel(f"{self.alternative_name} - {self.base_name}, % of the base")
        ax.set_title(self.interval, fontsize=8)
        ax.figure.tight_layout()
        return ax.figure

    def summary(self) -> str:
        """A readable table of the effects."""
        head = (f"{self.alternative_name} - {self.base_name}, {self.reps} paired "
                f"replication(s); [95% CI of the mean difference]")
        return head + "\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return self.summary()


def compare(base: Results, alternative: Results, indicators: list[str] | None = None,
            confidence: float = 0.95) -> Comparison:
    """Paired differences of summary indicators.

    Both runs must share their seeds, their number of households and their months;
    otherwise the replications are not pairs and a ValueError says what differs.
    """
    seeds_a = base.meta.get("seeds", [base.meta["seed"]])
    seeds_b = alternative.meta.get("seeds", [alternative.meta["seed"]])
    if seeds_a != seeds_b:
        raise ValueError(f"runs must use the same seeds to be paired: {seeds_a} vs {seeds_b}")
    for what in ("households", "start", "end"):
        a_val, b_val = base.meta.get(what), alternative.meta.get(what)
        if a_val != b_val:
            raise ValueError(f"runs must have the same {what} to be paired (the same "
                             f"people over the same months): base {a_val!r}, alternative "
                             f"{b_val!r}")
    a = base.summary_by_rep.pivot(index="rep", columns="indicator", values="value")
    b = alternative.summary_by_rep.pivot(index="rep", columns="indicator", values="value")
    units = base.summary.set_index("indicator")["unit"]
    names = indicators or [i for i in base.summary["indicator"] if i in b.columns]
    unknown = [i for i in names if i not in a.columns or i not in b.columns]
    if unknown:
        raise KeyError(f"indicators not in both runs: {unknown}")
    rows = []
    n = len(a)
    diffs = pd.DataFrame({name: b[name] - a[name] for name in names})
    for name in names:
        diff = diffs[name].to_numpy(dtype=float)
        mean = float(np.nanmean(diff))
        lo, hi = t_interval(diff, confidence)
        base_mean = float(a[name].mean())
        rows.append({"indicator": name, "unit": units.get(name, ""), "base": base_mean,
                     "alternative": float(b[name].mean()), "difference": mean,
                     "lo": lo, "hi": hi,
                     "relative": mean / base_mean if base_mean else np.nan})
    return Comparison(base.meta["scenario"], alternative.meta["scenario"], n,
                      pd.DataFrame(rows), diffs)


@dataclass(frozen=True)
class PackageComparison:
    """Each package of a batch against a comparator: paired differences per indicator."""

    comparator: str
    diffs: pd.DataFrame  # sample, draw, package, indicator, unit, comparator, value, difference

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """package, indicator, unit, comparator, package mean, difference, lo, hi, interval."""
        from models.effects import paired_interval

        rows = []
        for (pkg, ind, unit), g in self.diffs.groupby(["package", "indicator", "unit"],
                                                      sort=False):
            mean, se, lo, hi, kind = paired_interval(g["difference"].to_numpy(),
                                                     g["draw"].to_numpy(), alpha)
            base = float(g["comparator"].mean())
            rows.append({"package": pkg, "indicator": ind, "unit": unit, "comparator": base,
                         "package_mean": float(g["value"].mean()), "difference": mean,
                         "se": se, "lo": lo, "hi": hi,
                         "relative": mean / base if base else np.nan, "n": len(g),
                         "interval": kind})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Differences (package - comparator) with 95% intervals."""
        return self.conf_int(0.05)

    def summary(self) -> str:
        """A readable table, with what the intervals carry."""
        df = self.to_frame()
        head = (f"package - {self.comparator!r}, {df['n'].iloc[0]} paired samples\n"
                f"Intervals: {df['interval'].iloc[0]}")
        cols = ["package", "indicator", "comparator", "package_mean", "difference", "lo", "hi",
                "relative"]
        return head + "\n" + df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, indicator: str | None = None, ax=None):
        """Forest plot of the differences for one indicator (default: the first)."""
        import matplotlib.pyplot as plt

        df = self.to_frame()
        indicator = indicator or df["indicator"].iloc[0]
        d = df[df["indicator"] == indicator].reset_index(drop=True)
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.4 * len(d) + 1.5))
        y = np.arange(len(d))[::-1]
        ax.errorbar(d["difference"], y, xerr=[d["difference"] - d["lo"],
                                              d["hi"] - d["difference"]], fmt="o", capsize=3)
        ax.axvline(0, color="grey", ls="--", lw=1)
        ax.set_yticks(y, d["package"])
        ax.set_xlabel(f"{indicator}: package - {self.comparator}")
        ax.set_title(d["interval"].iloc[0], fontsize=8)
        ax.figure.tight_layout()
        return ax.figure


def compare_packages(batch, comparator: str, indicators: list[str] | None = None
                     ) -> PackageComparison:
    """Every other package of a :class:`~models.batch.Batch` minus the comparator, paired.

    ``indicators`` default to the batch's cumulative return to poverty due to illness.
    """
    if comparator not in batch.packages:
        raise ValueError(f"comparator {comparator!r} is not a package of the batch; one of "
                         f"{', '.join(batch.packages)}")
    names = [batch.resolve(i) for i in (indicators or [None])]
    t = batch.table
    unit = t[t["group"] == "all"].drop_duplicates("indicator").set_index("indicator")["unit"]
    parts = []
    for name in names:
        w = batch.wide(name)
        for pkg in w.columns:
            if pkg == comparator:
                continue
            ok = w[[pkg, comparator]].dropna()
            parts.append(pd.DataFrame({
                "sample": ok.index, "draw": ok.index // batch.reps, "package": pkg,
                "indicator": name, "unit": unit.get(name, ""), "comparator": ok[comparator],
                "value": ok[pkg], "difference": ok[pkg] - ok[comparator]}))
    if not parts:
        raise ValueError("a comparison needs at least one package besides the comparator")
    return PackageComparison(comparator, pd.concat(parts, ignore_index=True))
