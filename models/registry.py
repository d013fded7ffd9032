"""The change in the registry's illness-poor count between two dates, decomposed.

Evaluators hold registry counts (e.g. Xinjiang's registered households poor due to illness
at the end of 2018 and in August 2019, seed 002). Between two month-ends the count falls
by the exits the registry records and by households whose members have all died; the
persons count also falls by each death in those households and by each member who leaves
to form a new household (``sim.formation``), and rises by each birth
(``sim.registry``; births enter the decomposition with a negative sign). This module
reads those flows from a run and returns the decomposition, with the exits split by the
programme that decided them. The identity ``start - end == sum of components``
holds exactly in every replication (tested); a health measure's share of the fall is
estimated by a paired run without it (``models.compare``), not by this accounting.

The mean household size (persons per household) is given at both dates, of the fall (the
persons the count lost over the households it lost, as seed 002's figures give it:
87,862 / 22,643 = 3.88) and of the exits alone: whether those who leave are larger than
those who stay is what the registry's exit rules decide (``sim.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.parameters import PROGRAMMES
from sim.results import Results

#: The unit of the household-size rows of the table.
SIZE_UNIT = "persons per household"

COMPONENTS = {
    "households": [*[(f"exits_{p}", f"registry_exits_illness_{p}_households")
                     for p in PROGRAMMES],
                   ("exits_other", "registry_exits_illness_other_households"),
                   ("dissolved", "registry_dissolved_illness_households")],
    "persons": [("exits", "registry_exits_illness_persons"),
                ("deaths", "registry_deaths_illness_persons"),
                ("left", "registry_left_illness_persons"),
                ("births", "registry_births_illness_persons")],
}


@dataclass(frozen=True)
class RegistryChange:
    """Start and end stocks and the components of the fall, scaled to the area."""

    start: str
    end: str
    table: pd.DataFrame  # unit, component, mean, lo, hi (range across replications); sizes
    # (unit SIZE_UNIT) are each replication's persons over households, then their mean

    def to_frame(self) -> pd.DataFrame:
        """unit, component, value (mean over replications), range_lo, range_hi."""
        return self.table.copy()

    def summary(self) -> str:
        """A readable table; the range is 2.5-97.5% across replications (chance only)."""
        head = (f"Registered households poor due to illness, {self.start} -> {self.end} "
                "(scaled to the area; [range across replications])")
        rows = []
        for r in self.table.itertuples():
            f = ",.2f" if r.unit == SIZE_UNIT else ",.0f"
            rows.append(f"{r.unit:<22} {r.component:<22} {r.value:>12{f}}  "
                        f"[{r.range_lo:{f}} - {r.range_hi:{f}}]")
        return "\n".join([head, *rows])

    def __repr__(self) -> str:
        return self.summary()


def registry_change(res: Results, start: str, end: str) -> RegistryChange:
    """Decompose the fall of the illness-poor registry count from ``start`` to ``end``.

    ``start`` and ``end`` are reported months ('YYYY-MM'); stocks are at their month-end,
    and the flows of the months after ``start`` up to ``end`` make the difference.
    """
    m = res.monthly[res.monthly["group"] == "all"].copy()
    if "rep" not in m:
        m["rep"] = 0
    months = sorted(m["month"].unique())
    for label, month in (("start", start), ("end", end)):
        if month not in months:
            raise ValueError(f"{label} month {month!r} is not reported; the run reports "
                             f"{months[0]} to {months[-1]}")
    if end <= start:
        raise ValueError(f"end {end} must come after start {start}")
    scale = res.meta["scale"]
    window = m[(m["month"] > start) & (m["month"] <= end)].groupby("rep").sum(
        numeric_only=True)
    stock = m.set_index(["rep", "month"])
    rows = []

    def add(unit, name, per_rep):
        rows.append({"unit": unit, "component": name, "value": per_rep.mean(),
                     "range_lo": per_rep.quantile(0.025), "range_hi": per_rep.quantile(0.975)})

    stocks = {}
    for unit, parts in COMPONENTS.items():
        col = f"registry_poor_illness_{unit}"
        first = stock.xs(start, level="month")[col]
        last = stock.xs(end, level="month")[col]
        stocks[unit] = first, last
        values = {f"at {start}": first, f"at {end}": last, "fall": first - last}
        # births add to the count: their component is negative in the fall
        values.update({name: window[source] * (-1 if name == "births" else 1)
                       for name, source in parts})
        for name, per_rep in values.items():
            add(unit, name, per_rep * scale)
    (h0, h1), (p0, p1) = stocks["households"], stocks["persons"]
    exits = (window["registry_exits_illness_persons"],
             window["registry_exits_illness_households"])
    for name, (persons, households) in ((f"at {start}", (p0, h0)), (f"at {end}", (p1, h1)),
                                        ("fall", (p0 - p1, h0 - h1)), ("exits", exits)):
        add(SIZE_UNIT, name, persons / households.where(households > 0))
    return RegistryChange(start, end, pd.DataFrame(rows))
