"""The change in the registry's illness-poor count between two dates, decomposed.

Evaluators hold registry counts (e.g. Xinjiang's registered households poor due to illness
at the end of 2018 and in August 2019, seed 002). Between two month-ends the count falls
by the exits the registry records and by households whose members have all died; the
persons count falls by the members of the households that exit, by each death in those
households and by each member who leaves to form a new household (``sim.formation``),
and rises by each birth and each migrant who comes back (``sim.registry``,
``sim.migration``; :data:`GAINS`, with a negative sign in the decomposition). This
module reads those flows from a run and returns the decomposition, with the exits
(households and persons) split by the programme that decided them. The identity
``start - end == sum of components`` holds exactly in every replication (tested).

The health measures' part of the fall is not in this accounting (a household that exits
because insurance kept its bills low is an exit like any other): :func:`measures_part`
estimates it the way an economist would, from runs with the same seeds without the
measures (all together, and each alone): the fall with them minus the fall without.

The mean household size (persons per household) is given at both dates, of the fall (the
persons the count lost over the households it lost, as seed 002's figures give it:
87,862 / 22,643 = 3.88) and of the exits alone: whether those who leave are larger than
those who stay is what the registry's exit rules decide (``sim.registry``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from sim.intervals import t_interval
from sim.parameters import PROGRAMMES
from sim.policies import REGISTRY
from sim.results import Results
from sim.runner import run
from sim.scenario import Scenario

#: The unit of the household-size rows of the table.
SIZE_UNIT = "persons per household"
#: The row of :func:`measures_part` for every health measure switched off together.
ALL_MEASURES = "all health measures"

def _exits(unit: str) -> list[tuple[str, str]]:
    """The exits by deciding programme (and none), as (component, indicator)."""
    return [(f"exits_{p}", f"registry_exits_illness_{p}_{unit}") for p in (*PROGRAMMES,
                                                                          "other")]


COMPONENTS = {
    "households": [*_exits("households"),
                   ("dissolved", "registry_dissolved_illness_households")],
    "persons": [*_exits("persons"),
                ("deaths", "registry_deaths_illness_persons"),
                ("left", "registry_left_illness_persons"),
                ("births", "registry_births_illness_persons"),
                ("returned", "registry_returned_illness_persons"),
                ("married_in", "registry_married_in_illness_persons")],
}

#: The components that add to the count (negative in the fall).
GAINS = ("births", "returned", "married_in")


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

    def plot(self, ax=None):
        """A waterfall per unit of the count from the start to the end.

        The count at the start, each component of the fall (births and returns raise it), the count
        at the end: means over replications, scaled to the area.
        """
        import matplotlib.pyplot as plt

        t = self.table.set_index(["unit", "component"])["value"]
        units = list(COMPONENTS)
        if ax is None:
            _, axes = plt.subplots(1, len(units), figsize=(11, 4.2))
        else:
            axes = [ax] if len(units) == 1 else ax
        for a, unit in zip(axes, units, strict=True):
            parts = [name for name, _ in COMPONENTS[unit]]
            level = t[(unit, f"at {self.start}")]
            labels, bottoms, heights, colours = [f"at {self.start}"], [0.0], [level], ["grey"]
            for name in parts:
                step = t[(unit, name)]
                labels.append(name.replace("_", " "))
                bottoms.append(level - max(step, 0.0))
                heights.append(abs(step))
                colours.append("tab:blue" if step >= 0 else "tab:orange")
                level -= step
            labels.append(f"at {self.end}")
            bottoms.append(0.0)
            heights.append(t[(unit, f"at {self.end}")])
            colours.append("grey")
            a.bar(range(len(labels)), heights, bottom=bottoms, color=colours)
            a.set_xticks(range(len(labels)), labels, rotation=45, ha="right", fontsize=8)
            a.set_ylabel(f"registered {unit} poor due to illness (area)")
            a.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
            a.set_title(f"{unit}: fall {t[(unit, 'fall')]:,.0f}", fontsize=9)
        axes[0].figure.suptitle("Registry count, decomposed (blue: lowers it, orange: "
                                "raises it)", fontsize=9)
        axes[0].figure.tight_layout()
        return axes[0].figure


def _per_replication(res: Results, start: str, end: str) -> pd.DataFrame:
    """Each replication's stocks, fall and components (columns ``(unit, component)``).

    Unscaled (the sample's counts); rows are the replications in the order of
    ``res.meta["seeds"]``.
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
    window = m[(m["month"] > start) & (m["month"] <= end)].groupby("rep").sum(
        numeric_only=True)
    stock = m.set_index(["rep", "month"])
    out = {}
    for unit, parts in COMPONENTS.items():
        col = f"registry_poor_illness_{unit}"
        first = stock.xs(start, level="month")[col]
        last = stock.xs(end, level="month")[col]
        out[(unit, f"at {start}")], out[(unit, f"at {end}")] = first, last
        out[(unit, "fall")] = first - last
        out.update({(unit, name): window[source] * (-1 if name in GAINS else 1)
                    for name, source in parts})
    return pd.DataFrame(out)


def registry_change(res: Results, start: str, end: str) -> RegistryChange:
    """Decompose the fall of the illness-poor registry count from ``start`` to ``end``.

    ``start`` and ``end`` are reported months ('YYYY-MM'); stocks are at their month-end,
    and the flows of the months after ``start`` up to ``end`` make the difference.
    """
    per_rep = _per_replication(res, start, end)
    scale = res.meta["scale"]
    rows = []

    def add(unit, name, values):
        rows.append({"unit": unit, "component": name, "value": values.mean(),
                     "range_lo": values.quantile(0.025), "range_hi": values.quantile(0.975)})

    for unit in COMPONENTS:
        for name in per_rep[unit].columns:
            add(unit, name, per_rep[(unit, name)] * scale)
    households, persons = (per_rep[u].assign(exits=per_rep[u].filter(like="exits_").sum(
        axis=1)) for u in ("households", "persons"))
    for name in (f"at {start}", f"at {end}", "fall", "exits"):
        add(SIZE_UNIT, name, persons[name] / households[name].where(households[name] > 0))
    return RegistryChange(start, end, pd.DataFrame(rows))


@dataclass(frozen=True)
class MeasuresPart:
    """The part of the registry count's fall owed to health measures, scaled to the area.

    ``table`` has a row per set of measures switched off (``measures``) and unit
    (households, persons): ``fall`` with the measures, ``fall_without`` them, ``part``
    (the mean paired difference, fall with minus fall without) and its interval
    ``lo``-``hi`` (t, across replications: chance only), and ``at_end_without`` (the count
    at the end without them; the measures act from the start of the run, so the count at
    the start differs too).
    """

    start: str
    end: str
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """measures, unit, fall, fall_without, part, lo, hi, at_end_without."""
        return self.table.copy()

    def summary(self) -> str:
        """A readable table (persons per household are not part of it)."""
        head = (f"Part of the fall of registered households poor due to illness, {self.start}"
                f" -> {self.end}, owed to health measures (fall with them - fall without "
                "them, paired by seed; scaled to the area; [95% interval, chance only])")
        rows = [f"{r.measures:<22} {r.unit:<10} fall {r.fall:>10,.0f}  without "
                f"{r.fall_without:>10,.0f}  part {r.part:>+10,.0f}  [{r.lo:+,.0f} to "
                f"{r.hi:+,.0f}]" for r in self.table.itertuples()]
        return "\n".join([head, *rows])

    def __repr__(self) -> str:
        return self.summary()


def measures_part(with_measures: Results, without: Mapping[str, Results], start: str,
                  end: str, confidence: float = 0.95) -> MeasuresPart:
    """The part of the fall from ``start`` to ``end`` owed to each set of measures.

    ``without`` maps a label to the results of the same scenario with those measures
    switched off, run with the same seeds as ``with_measures`` (common random numbers:
    the difference is taken replication by replication).
    """
    base = _per_replication(with_measures, start, end)
    seeds = with_measures.meta.get("seeds", [with_measures.meta.get("seed")])
    scale = with_measures.meta["scale"]
    rows = []
    for label, res in without.items():
        their = res.meta.get("seeds", [res.meta.get("seed")])
        if their != seeds:
            raise ValueError(f"{label!r} was run with seeds {their}, the base with {seeds}: "
                             "a paired comparison needs the same seeds")
        alt = _per_replication(res, start, end)
        for unit in COMPONENTS:
            diff = (base[(unit, "fall")] - alt[(unit, "fall")]).to_numpy(dtype=float) * scale
            lo, hi = t_interval(diff, confidence)
            rows.append({"measures": label, "unit": unit,
                         "fall": base[(unit, "fall")].mean() * scale,
                         "fall_without": alt[(unit, "fall")].mean() * scale,
                         "part": diff.mean(), "lo": lo, "hi": hi,
                         "at_end_without": alt[(unit, f"at {end}")].mean() * scale})
    return MeasuresPart(start, end, pd.DataFrame(rows))


def run_measures_part(scenario: Scenario, start: str, end: str,
                      measures: Iterable[str] | None = None, each: bool = True,
                      reps: int = 5, seed: int = 0, households: int | None = None,
                      workers: int | None = None, executor=None, store=None,
                      base: Results | None = None) -> MeasuresPart:
    """Run ``scenario`` with and without its health measures and compare the falls.

    ``measures`` are names of ``sim.policies`` measures enabled in the scenario (default:
    every one enabled at its start); they are switched off together (row
    :data:`ALL_MEASURES`) and, with ``each``, one at a time. A measure that the policy
    calendar switches on later is not switched off by this. ``workers``, ``executor`` and
    ``store`` are those of :func:`sim.runner.run` (one store serves every run: each
    scenario has its own files, so an interrupted comparison resumes); ``base`` is the
    scenario's own runs when already made (the same ``reps`` and ``seed``).
    """
    enabled = enabled_measures(scenario)
    chosen = enabled if measures is None else list(measures)
    wrong = [n for n in chosen if n not in enabled]
    if wrong or not chosen:
        raise ValueError(f"measures {wrong or chosen} are not enabled in scenario "
                         f"{scenario.name!r}; allowed: {', '.join(enabled) or 'none'}")
    sets = {ALL_MEASURES: chosen}
    if each and len(chosen) > 1:
        sets.update({n: [n] for n in chosen})

    def go(scn):
        return run(scn, reps=reps, seed=seed, households=households, workers=workers,
                   executor=executor, store=store)

    without = {label: go(scenario.with_overrides(
        {f"policies.{n}.enabled": False for n in names},
        name=f"{scenario.name} without {label}")) for label, names in sets.items()}
    return measures_part(base if base is not None else go(scenario), without, start, end)


def enabled_measures(scenario: Scenario) -> list[str]:
    """The measures of ``sim.policies`` enabled at the scenario's start."""
    return [n for n in REGISTRY if scenario.get(f"policies.{n}.enabled")]
