"""Calibration targets: observed values of model outputs, read from a CSV file and checked.

A targets file has one observed value a row::

    date,quantity,value,group,unit,sd,lo,hi,source
    2019-07,registry_poor_illness_households,40908,all,households,,,,"seed 002 ..."

Required columns: ``date, quantity, value``; optional: ``group`` (a target group or ``all``,
the default), ``unit`` (checked against the indicator's unit where it has one), ``sd`` (the
observation's standard deviation: its error and the model discrepancy one accepts), ``lo``
and ``hi`` (an interval taken as a 95% one when ``sd`` is absent: sd = (hi - lo) / 3.92) and
``source`` (text).

``quantity`` names a model output, and ``date`` says where to read it:

* ``YYYY-MM``: a column of ``Results.monthly`` at that month (stocks at the month's end,
  flows within the month);
* ``YYYY``: a column of ``Results.annual`` for that year (flows summed, stocks at year end,
  the yearly poverty and hardship counts, the rates of ``sim.results.RATES``);
* empty: a summary indicator (``Results.summary``, e.g. ``oop_share_of_bills``).

A ratio of two columns of the same frame is written ``numerator / denominator`` (e.g.
``oop_yuan / bills_yuan`` with ``group = formerly_poor``: the out-of-pocket share of the
registered poor's bills).

Values are for the real area: simulated counts and money (units households, persons, yuan,
episodes, admissions, ...) are multiplied by ``Results.meta['scale']``; rates, shares and
ratios are not; summary values are already scaled. The indicator names are taken from the
declarations in ``sim.results`` and the measures (no model is run to check a file).

Errors (:class:`~sim.schema.ScenarioError`, so the CLI prints one line and exits with 2) name
the file, the row, the column, the value and what is allowed: a missing or unknown column,
an unknown quantity (with "did you mean"), an unknown group, a date that is not a month or a
year or lies outside the scenario's reported months, an impossible value (a negative count,
a rate outside [0, 1]; an index, whose unit starts with "index", may be negative) and a
duplicate target.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.parameters import GROUPS
from sim.schema import ScenarioError

REQUIRED = ("date", "quantity", "value")
OPTIONAL = ("group", "unit", "sd", "lo", "hi", "source")
#: An interval ``lo, hi`` is read as a 95% interval of a normal observation error.
Z95 = 1.959963984540054
#: Without ``sd`` or ``lo, hi``, a target's scale is this share of its observed value: a
#: tolerance for model discrepancy, not a sampling error (documented in the README).
DEFAULT_RELATIVE_SD = 0.10
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Quantity:
    """A model output a target may name: its unit, frames, and how to check and scale it."""

    name: str
    unit: str
    frames: tuple[str, ...]  # "monthly", "annual", "summary"
    by_group: bool = True
    bounded: bool = False  # a share or rate in [0, 1]
    scaled: bool = True  # multiply simulated values by meta["scale"]
    signed: bool = False  # may be negative (an index)


def _is_count(unit: str) -> bool:
    """Whether an indicator's unit is a count or an amount of the area (scaled up).

    Households, persons, yuan, admissions, episodes and the like are; flags, shares,
    rates, indices and anything "per" something (a poverty line in yuan per person-year)
    are not.
    """
    return unit != "flag" and " per " not in f" {unit} " and not unit.startswith(
        ("share", "rate", "ratio", "index"))


def _is_signed(unit: str) -> bool:
    """Whether an indicator may be negative: an index (e.g. a concentration index)."""
    return unit.startswith("index")


@cache
def catalogue() -> dict[str, Quantity]:
    """Every output a target may name, from the declarations in ``sim.results`` and measures.

    Any module-level tuple of :class:`~sim.results.Indicator` in ``sim.results`` counts (the
    engine's monthly indicators and the yearly ones, and any group added later, such as the
    registry's), with every measure's ``INDICATORS`` and the rates of ``RATES``.
    """
    import sim.results as R
    from sim.policies import REGISTRY

    out: dict[str, Quantity] = {}
    yearly = {i.name for i in R.ANNUAL_INDICATORS}
    groups = [v for v in vars(R).values() if isinstance(v, tuple) and v
              and all(isinstance(i, R.Indicator) for i in v)]
    groups += [cls.INDICATORS for cls in REGISTRY.values()]
    for group in groups:
        for ind in group:
            frames = ("annual",) if ind.name in yearly else ("monthly", "annual")
            flag = ind.unit == "flag"
            out[ind.name] = Quantity(ind.name, ind.unit, frames, ind.by_group, bounded=flag,
                                     scaled=_is_count(ind.unit),
                                     signed=_is_signed(ind.unit))
    for name, *_ in R.RATES:
        out[name] = Quantity(name, "share", ("annual",), True, bounded=True, scaled=False)
    return out


def summary_names(years: tuple[int, ...] = (2000, 2001)) -> dict[str, str]:
    """Summary indicator names (and units) for a run reporting ``years``.

    Made by ``sim.results.summarise`` on zero-filled frames built from the declarations, so
    it follows what the summary really holds without running a model.
    """
    import sim.results as R

    names = [q.name for q in catalogue().values()]
    rows = [{"year": y, "group": g, **dict.fromkeys(names, 0.0)} for y in years
            for g in (*GROUPS, "all")]
    annual = pd.DataFrame(rows)
    monthly = annual.assign(month=[f"{y}-12" for y in annual["year"]])
    window = dict.fromkeys(("formerly_poor_households", "other_households", "returned",
                            "returned_illness", "new_poor_illness"), 0)
    meta = {"start": f"{years[0]}-01", "end": f"{years[-1]}-12", "scale": 1.0}
    costs = [R.Indicator(n, "yuan", "") for n in names if n.endswith("_cost_yuan")]
    summary = R.summarise(annual, monthly, window, meta, costs)
    return dict(zip(summary["indicator"], summary["unit"], strict=True))


def _summary_template(name: str) -> str:
    return re.sub(r"(?<!\d)(19|20)\d\d(?!\d)", "YYYY", name)


@dataclass(frozen=True)
class Target:
    """One observed value: where to read it in the results, and how far off is far."""

    row: int  # line number in the file (header = 1)
    date: str  # "YYYY-MM", "YYYY" or "" (summary)
    quantity: str  # an output, or "numerator / denominator"
    group: str
    value: float
    unit: str = ""
    sd: float | None = None
    lo: float | None = None
    hi: float | None = None
    source: str = ""

    @property
    def frame(self) -> str:
        """Where the value is read: monthly, annual or summary."""
        if not self.date:
            return "summary"
        return "monthly" if _MONTH.match(self.date) else "annual"

    @property
    def parts(self) -> tuple[str, ...]:
        """The quantity's one or two column names (numerator, denominator)."""
        return tuple(p.strip() for p in self.quantity.split("/"))

    @property
    def label(self) -> str:
        """A short unique name, e.g. ``poor_households[all]@2021-12``."""
        where = f"@{self.date}" if self.date else ""
        return f"{self.quantity.replace(' ', '')}[{self.group}]{where}"

    @property
    def scale(self) -> float:
        """The distance's unit for this target (its sd, from sd, lo/hi or the default)."""
        if self.sd is not None:
            return self.sd
        if self.lo is not None and self.hi is not None:
            return (self.hi - self.lo) / (2 * Z95)
        return DEFAULT_RELATIVE_SD * abs(self.value)

    @property
    def scale_source(self) -> str:
        """Where the scale comes from (sd, interval or the default share of the value)."""
        if self.sd is not None:
            return "sd"
        if self.lo is not None and self.hi is not None:
            return "interval"
        return f"{DEFAULT_RELATIVE_SD:.0%} of the observed value"

    def simulated(self, res) -> float:
        """The simulated value of this target in one run's results, on the observed scale."""
        if self.frame == "summary":
            return res.value(self.quantity)
        if self.frame == "monthly":
            df = res.monthly
            rows = df[(df["month"] == self.date) & (df["group"] == self.group)]
        else:
            df = res.annual
            rows = df[(df["year"] == int(self.date)) & (df["group"] == self.group)]
        if rows.empty:
            raise KeyError(f"target {self.label}: no {self.frame} row for {self.date}, "
                           f"group {self.group} in the results ({res.meta['start']} to "
                           f"{res.meta['end']})")
        values = [float(rows[p].mean()) for p in self.parts]
        if len(values) == 2:
            return values[0] / values[1] if values[1] else math.nan
        q = catalogue()[self.parts[0]]
        return values[0] * (res.meta["scale"] if q.scaled else 1.0)

    def trajectory(self, res) -> pd.Series:
        """The simulated series this target is a point of (months or years), observed scale."""
        if self.frame == "summary":
            return pd.Series([self.simulated(res)], index=[""])
        df = res.monthly if self.frame == "monthly" else res.annual
        key = "month" if self.frame == "monthly" else "year"
        df = df[df["group"] == self.group].groupby(key)[list(self.parts)].mean()
        if len(self.parts) == 2:
            return df[self.parts[0]] / df[self.parts[1]].where(df[self.parts[1]] != 0)
        q = catalogue()[self.parts[0]]
        return df[self.parts[0]] * (res.meta["scale"] if q.scaled else 1.0)


class Targets:
    """The checked targets of one file, in file order."""

    def __init__(self, targets: list[Target], path: str = "<targets>"):
        self.targets = list(targets)
        self.path = path
        if not self.targets:
            raise TargetError(path, "rows", "no targets", "at least one row below the header")

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self) -> Iterator[Target]:
        return iter(self.targets)

    def __getitem__(self, i: int) -> Target:
        return self.targets[i]

    @property
    def labels(self) -> list[str]:
        """Each target's label, in file order."""
        return [t.label for t in self.targets]

    @property
    def observed(self) -> np.ndarray:
        """The observed values (area-scaled)."""
        return np.array([t.value for t in self.targets])

    @property
    def scales(self) -> np.ndarray:
        """Each target's distance unit (see :attr:`Target.scale`)."""
        return np.array([t.scale for t in self.targets])

    def simulate(self, res) -> np.ndarray:
        """The simulated values of every target in one run's results."""
        return np.array([t.simulated(res) for t in self.targets])

    def to_frame(self) -> pd.DataFrame:
        """One row per target: label, date, quantity, group, value, unit, scale, source."""
        return pd.DataFrame([{"target": t.label, "date": t.date, "quantity": t.quantity,
                              "group": t.group, "observed": t.value, "unit": t.unit,
                              "scale": t.scale, "scale_from": t.scale_source,
                              "source": t.source} for t in self.targets])

    def check_window(self, scenario) -> None:
        """Every dated target lies in the scenario's reported months; summary names exist."""
        from sim.timeline import month_label

        tl = scenario.timeline
        first, last = month_label(tl.start), month_label(tl.end)
        years = tuple(range(tl.start // 12, tl.end // 12 + 1))
        summary = None
        for t in self.targets:
            if t.frame == "monthly" and not first <= t.date <= last:
                raise _err(self.path, t.row, "date", t.date, "outside the simulated reported "
                           f"months of {scenario.name}", f"a month from {first} to {last}")
            if t.frame == "annual" and int(t.date) not in years:
                raise _err(self.path, t.row, "date", t.date, "outside the simulated reported "
                           f"years of {scenario.name}", f"a year from {years[0]} to "
                           f"{years[-1]}")
            if t.frame == "summary":
                summary = summary or summary_names(years)
                if t.quantity not in summary:
                    raise _unknown(self.path, t.row, t.quantity, summary,
                                   f"a summary indicator of {scenario.name}")

    def months_needed(self, scenario) -> int:
        """Reported months of ``scenario`` a run needs to hold every target's value.

        A monthly target needs the months up to its own, a yearly one up to the December
        of its year (or the scenario's end), a summary one the whole window. The model is
        causal, so a run cut after that many months (``scenario.truncate``) has the same
        values at every target as the whole run (tested in tests/test_calibration.py).
        """
        from sim.timeline import parse_month

        tl = scenario.timeline
        last = tl.start
        for t in self.targets:
            if t.frame == "summary":
                return tl.n_reported
            month = (parse_month(t.date) if t.frame == "monthly"
                     else min(int(t.date) * 12 + 11, tl.end))
            last = max(last, month)
        return min(last - tl.start + 1, tl.n_reported)

    def __repr__(self) -> str:
        return f"<Targets {Path(self.path).name}: {len(self)} target(s)>"



class TargetError(ScenarioError):
    """A targets file is wrong; the message names file, row, column, value and what is allowed."""

    def __init__(self, source: str, where: str, problem: str, allowed: str = ""):
        super().__init__(source, where, problem, allowed)
        tail = f"; allowed: {allowed}" if allowed else ""
        self.args = (f"{source}: {where}: {problem}{tail}",)

    def __str__(self) -> str:
        return self.args[0]


def _err(path, row, column, value, problem, allowed) -> TargetError:
    return TargetError(str(path), f"row {row}, column '{column}'",
                       f"value {value!r} is {problem}" if value != "" else problem, allowed)


def _unknown(path, row, name, known, allowed) -> ScenarioError:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return _err(path, row, "quantity", name, "not a model output", hint + allowed)


def _number(path, row, column, text, required=False) -> float | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise _err(path, row, column, "", "missing", "a number")
        return None
    try:
        value = float(text)
    except ValueError:
        raise _err(path, row, column, text, "not a number", "a number such as 40908 or "
                   "0.119 (shares as fractions)") from None
    if not math.isfinite(value):
        raise _err(path, row, column, text, "not a finite number", "a finite number")
    return value


def load_targets(path: str | Path, scenario=None) -> Targets:
    """Read and check a targets CSV; with a scenario, also check dates and summary names."""
    path = Path(path)
    if not path.is_file():
        raise TargetError(str(path), "file", "not found", "an existing targets .csv file")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise TargetError(str(path), f"column '{missing[0]}'", "missing column",
                                f"a header with {', '.join(REQUIRED)} (and optionally "
                                f"{', '.join(OPTIONAL)})")
        unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
        if unknown:
            close = difflib.get_close_matches(unknown[0], REQUIRED + OPTIONAL, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise TargetError(str(path), f"column '{unknown[0]}'", "unknown column",
                                hint + "columns " + ", ".join(REQUIRED + OPTIONAL))
        rows = [{(k or "").strip(): (v or "").strip() for k, v in r.items()} for r in reader]
    targets, seen = [], {}
    for i, r in enumerate(rows, start=2):
        targets.append(_target(path, i, r))
        t = targets[-1]
        key = (t.date, t.quantity.replace(" ", ""), t.group)
        if key in seen:
            raise _err(path, i, "quantity", t.quantity, f"a duplicate target (same date "
                       f"{t.date or '(summary)'} and group {t.group} as row {seen[key]})",
                       "each quantity once per date and group")
        seen[key] = i
    out = Targets(targets, str(path))
    if scenario is not None:
        out.check_window(scenario)
    return out


def _target(path, row, r) -> Target:
    date, quantity = r.get("date", ""), r.get("quantity", "")
    group = r.get("group") or "all"
    if date and not (_MONTH.match(date) and 1 <= int(date[5:]) <= 12 or _YEAR.match(date)):
        raise _err(path, row, "date", date, "not a month or a year",
                   "YYYY-MM for a monthly value, YYYY for a yearly one, empty for a summary "
                   "indicator")
    if not quantity:
        raise _err(path, row, "quantity", "", "missing", "the name of a model output")
    if group not in (*GROUPS, "all"):
        raise _err(path, row, "group", group, "not a target group",
                   "one of " + ", ".join((*GROUPS, "all")))
    value = _number(path, row, "value", r.get("value"), required=True)
    sd = _number(path, row, "sd", r.get("sd"))
    lo = _number(path, row, "lo", r.get("lo"))
    hi = _number(path, row, "hi", r.get("hi"))
    unit = r.get("unit", "")
    frame = "summary" if not date else ("monthly" if _MONTH.match(date) else "annual")
    parts = [p.strip() for p in quantity.split("/")]
    cat = catalogue()
    if frame == "summary":
        if len(parts) > 1:
            raise _err(path, row, "quantity", quantity, "a ratio without a date",
                       "a ratio of two monthly (YYYY-MM) or yearly (YYYY) outputs")
        known = summary_names()
        templates = {_summary_template(n): u for n, u in known.items()}
        if _summary_template(quantity) not in templates:
            names = set(known) | set(cat)
            raise _unknown(path, row, quantity, names, "a summary indicator (empty date), or "
                           "a monthly or yearly output with its date")
        summary_unit = templates[_summary_template(quantity)]
        bounded = summary_unit.startswith(("share", "per ", "managed"))
        signed = _is_signed(summary_unit)
        scaled_unit = not bounded and not signed
    else:
        if len(parts) > 2 or not all(parts):
            raise _err(path, row, "quantity", quantity, "not one output or a ratio",
                       "NAME or NUMERATOR / DENOMINATOR")
        for p in parts:
            if p not in cat:
                raise _unknown(path, row, p, cat, "an indicator of sim.results or a measure "
                               "(`Results.monthly` / `Results.annual` columns)")
            q = cat[p]
            if frame not in q.frames:
                allowed = "a year YYYY" if q.frames == ("annual",) else "a month or a year"
                raise _err(path, row, "date", date, f"not a date {p} is reported at "
                           f"(a yearly output)" if q.frames == ("annual",) else
                           f"not a date {p} is reported at", allowed)
            if not q.by_group and group != "all":
                raise _err(path, row, "group", group, f"a group, but {p} is recorded for "
                           "the whole area", "all")
        q = cat[parts[0]]
        bounded = len(parts) == 1 and q.bounded
        scaled_unit = len(parts) == 1 and q.scaled
        signed = len(parts) == 1 and q.signed
        if unit and len(parts) == 1 and q.scaled and unit != q.unit:
            raise _err(path, row, "unit", unit, f"not the unit of {q.name}",
                       f"{q.unit} (or leave it empty)")
    if unit and "%" in unit:
        raise _err(path, row, "unit", unit, "a percentage", "shares as fractions (0.119 "
                   "for 11.9%), unit 'share'")
    if bounded and not 0 <= value <= 1:
        raise _err(path, row, "value", value, "outside [0, 1] for a rate or share",
                   "a fraction from 0 to 1 (0.119 for 11.9%)")
    if value < 0 and not signed:
        kind = "a count or amount" if scaled_unit else "a ratio"
        raise _err(path, row, "value", value, f"negative for {kind}", "a value >= 0")
    if sd is not None and sd <= 0:
        raise _err(path, row, "sd", sd, "not positive", "an sd > 0 (or leave it empty)")
    if (lo is None) != (hi is None):
        raise _err(path, row, "lo" if lo is None else "hi", "", "missing: lo and hi go "
                   "together", "both lo and hi, or neither")
    if lo is not None and not lo <= value <= hi or lo is not None and not lo < hi:
        raise _err(path, row, "lo", lo, f"not an interval around the value {value:g} "
                   f"(hi {hi:g})", "lo <= value <= hi with lo < hi")
    if sd is None and lo is None and value == 0:
        raise _err(path, row, "sd", "", "missing for an observed value of 0 (the default "
                   f"scale is {DEFAULT_RELATIVE_SD:.0%} of the value)", "an sd > 0")
    return Target(row, date, quantity, group, value, unit, sd, lo, hi, r.get("source", ""))
