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

    def to_frame(self) -> pd.DataFrame:
        """indicator, unit, base, alternative, difference, lo, hi, relative."""
        return self.table.copy()

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
    for name in names:
        diff = (b[name] - a[name]).to_numpy(dtype=float)
        mean = float(np.nanmean(diff))
        lo, hi = t_interval(diff, confidence)
        base_mean = float(a[name].mean())
        rows.append({"indicator": name, "unit": units.get(name, ""), "base": base_mean,
                     "alternative": float(b[name].mean()), "difference": mean,
                     "lo": lo, "hi": hi,
                     "relative": mean / base_mean if base_mean else np.nan})
    return Comparison(base.meta["scenario"], alternative.meta["scenario"], n,
                      pd.DataFrame(rows))
