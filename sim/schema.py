"""Declarative schema nodes that validate scenario values and explain what is allowed.

A scenario is a nested table. Each key is described by a node: a number with bounds and a
unit, a table keyed by target group or facility level, a distribution that must sum to one,
values by year, a list of named records. ``validate`` turns raw TOML values into normalised
Python values (every table filled for all its keys) or raises :class:`ScenarioError` naming
the file, the dotted key, the offending value and what would have been accepted.
"""

from __future__ import annotations

import difflib
import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class ScenarioError(ValueError):
    """A scenario value, key or file is wrong. The message says where and what is allowed."""

    def __init__(self, source: str, key: str, problem: str, allowed: str = ""):
        self.source, self.key, self.problem, self.allowed = source, key, problem, allowed
        where = f"{source}: " if source else ""
        at = f"key '{key}': " if key else ""
        tail = f"; allowed: {allowed}" if allowed else ""
        super().__init__(f"{where}{at}{problem}{tail}")


def _fmt(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class Context:
    """Where values come from: maps a dotted key to the file (or '--set') that set it."""

    def __init__(self, default_source: str, origins: dict[str, str] | None = None):
        self.default_source = default_source
        self.origins = origins or {}

    def source(self, key: str) -> str:
        """The file that set ``key`` or its nearest parent; the scenario file otherwise."""
        parts = key.split(".")
        for i in range(len(parts), 0, -1):
            found = self.origins.get(".".join(parts[:i]))
            if found:
                return found
        return self.default_source

    def error(self, key: str, problem: str, allowed: str = "") -> ScenarioError:
        """A ScenarioError attributed to the file that set ``key``."""
        return ScenarioError(self.source(key), key, problem, allowed)


class Node(ABC):
    """Base of all schema nodes. ``doc`` says what the value means and why it exists."""

    doc: str = ""
    required: bool = True

    @abstractmethod
    def validate(self, value: Any, key: str, ctx: Context) -> Any:
        """Return the normalised value or raise ScenarioError."""

    def describe(self) -> str:
        """A short statement of what is allowed, used in error messages and the key list."""
        return ""

    def default(self) -> Any:
        """Value used when the key is absent and not required (a node's ``fallback``)."""
        return getattr(self, "fallback", None)


@dataclass
class Num(Node):
    """A real number (or integer) within [low, high], with a unit."""

    unit: str
    doc: str = ""
    low: float = -math.inf
    high: float = math.inf
    integer: bool = False
    required: bool = True
    fallback: float | None = None

    def validate(self, value, key, ctx):
        """Check type and range; integers are returned as int."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.error(key, f"value {_fmt(value)} is not a number", self.describe())
        if self.integer and not float(value).is_integer():
            raise ctx.error(key, f"value {_fmt(value)} is not a whole number", self.describe())
        if not math.isfinite(value) or not (self.low <= value <= self.high):
            raise ctx.error(key, f"value {_fmt(value)} is out of range", self.describe())
        return int(value) if self.integer else float(value)

    def describe(self):
        """E.g. 'a number from 0 to 1 (share)'."""
        kind = "a whole number" if self.integer else "a number"
        lo, hi = self.low, self.high
        if math.isinf(lo) and math.isinf(hi):
            rng = ""
        elif math.isinf(hi):
            rng = f" >= {lo:g}"
        elif math.isinf(lo):
            rng = f" <= {hi:g}"
        else:
            rng = f" from {lo:g} to {hi:g}"
        return f"{kind}{rng} ({self.unit})"


def Prob(doc: str = "", unit: str = "share", **kw) -> Num:
    """A probability or share in [0, 1]."""
    return Num(unit=unit, doc=doc, low=0.0, high=1.0, **kw)


def Rate(doc: str = "", unit: str = "per person-year", **kw) -> Num:
    """A non-negative rate."""
    return Num(unit=unit, doc=doc, low=0.0, **kw)


def Yuan(doc: str = "", unit: str = "yuan", **kw) -> Num:
    """A non-negative amount of money."""
    return Num(unit=unit, doc=doc, low=0.0, **kw)


@dataclass
class Bool(Node):
    """true or false."""

    doc: str = ""
    required: bool = True
    fallback: bool | None = None

    def validate(self, value, key, ctx):
        """Accept only TOML booleans."""
        if not isinstance(value, bool):
            raise ctx.error(key, f"value {_fmt(value)} is not true/false", self.describe())
        return value

    def describe(self):
        """Allowed values."""
        return "true or false"


@dataclass
class Str(Node):
    """Free text (names, descriptions, file references)."""

    doc: str = ""
    required: bool = False
    fallback: str = ""

    def validate(self, value, key, ctx):
        """Accept only strings."""
        if not isinstance(value, str):
            raise ctx.error(key, f"value {_fmt(value)} is not text", self.describe())
        return value

    def describe(self):
        """Allowed values."""
        return "text in quotes"


@dataclass
class DataPath(Str):
    """A data file named by a scenario, resolved to an absolute path when validated.

    A relative path is taken from the folder of the file that set the key, or from the
    working directory for ``--set`` and ``--population``. Like ``scenario.base``, a
    path set in a scenario file must lie in the top-level scenario's folder (or below)
    or among the built-in scenarios, so a scenario cannot make the program read files
    elsewhere on the machine; a path given on the command line may be anywhere.
    """

    def validate(self, value, key, ctx):
        """Accept text; return '' or the absolute path."""
        from pathlib import Path

        value = super().validate(value, key, ctx)
        if not value:
            return ""
        source = Path(ctx.source(key))
        # read from a scenario file (not an override, a calendar overlay or a revalidation
        # of values already resolved): those contexts carry where each key came from
        from_file = bool(ctx.origins) and source.suffix == ".toml" and source.is_file()
        path = Path(value)
        if not path.is_absolute():
            path = (source.parent if from_file else Path.cwd()) / path
        path = path.resolve()
        top = Path(ctx.default_source)
        if from_file and top.suffix == ".toml":
            from sim.scenario import SCENARIO_DIR

            roots = (top.resolve().parent, SCENARIO_DIR.resolve())
            if not any(path.is_relative_to(r) for r in roots):
                raise ctx.error(key, f"file {value!r} is outside the scenario's folder",
                                f"a file in {roots[0]} or below (or give it with "
                                "--population)")
        return str(path)

    def describe(self):
        """Allowed values."""
        return "a file path in quotes (relative to the scenario file), or empty"


@dataclass
class Choice(Node):
    """One of a fixed set of words."""

    choices: tuple[str, ...]
    doc: str = ""
    required: bool = True
    fallback: str | None = None

    def validate(self, value, key, ctx):
        """Accept only one of ``choices``."""
        if value not in self.choices:
            raise ctx.error(key, f"value {_fmt(value)} is not one of the choices",
                            self.describe())
        return value

    def describe(self):
        """Allowed values."""
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass
class Names(Node):
    """A list of distinct names, e.g. diseases of ``health.major``.

    Only the shape is checked here; that each name exists is checked with the whole
    scenario (``sim.scenario``), where the named records are known.
    """

    doc: str = ""
    required: bool = False

    def validate(self, value, key, ctx):
        """Accept a list of distinct strings; returns a list."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ctx.error(key, f"value {_fmt(value)} is not a list of names",
                            self.describe())
        if len(set(value)) < len(value):
            raise ctx.error(key, "a name appears twice", self.describe())
        return list(value)

    def default(self):
        """Absent: no names."""
        return []

    def describe(self):
        """Allowed values."""
        return 'a list of distinct names in quotes, e.g. ["phenylketonuria"]'


@dataclass
class Month(Node):
    """A calendar month written 'YYYY-MM'."""

    doc: str = ""
    required: bool = True

    def validate(self, value, key, ctx):
        """Accept 'YYYY-MM' with month 01-12."""
        m = MONTH_RE.match(value) if isinstance(value, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ctx.error(key, f"value {_fmt(value)} is not a month", self.describe())
        return value

    def describe(self):
        """Allowed values."""
        return "a month written \"YYYY-MM\", e.g. \"2021-01\""


@dataclass
class Table(Node):
    """A value per fixed key (target group, facility level, age band).

    Written either as one value for all keys or as an inline table naming every key.
    """

    keys: tuple[str, ...]
    item: Node
    doc: str = ""
    required: bool = True
    partial: bool = False
    fallback: dict | None = None

    def default(self):
        """A copy of ``fallback`` (each scenario gets its own table)."""
        return None if self.fallback is None else dict(self.fallback)

    def validate(self, value, key, ctx):
        """Broadcast a scalar; otherwise require exactly the known keys."""
        if not isinstance(value, dict):
            one = self.item.validate(value, key, ctx)
            return {k: one for k in self.keys}
        unknown = [k for k in value if k not in self.keys]
        if unknown:
            raise ctx.error(f"{key}.{unknown[0]}", "unknown key", "one of " + ", ".join(self.keys))
        missing = [k for k in self.keys if k not in value]
        if missing and not self.partial:
            raise ctx.error(key, f"missing entries {missing}",
                            f"one value, or a table with every key: {', '.join(self.keys)}")
        return {k: self.item.validate(value[k], f"{key}.{k}", ctx) for k in self.keys
                if k in value}

    def describe(self):
        """Allowed values."""
        return f"{self.item.describe()}, once or per key ({', '.join(self.keys)})"


@dataclass
class Dist(Node):
    """Shares over fixed keys that must sum to 1."""

    keys: tuple[str, ...]
    doc: str = ""
    required: bool = True

    def validate(self, value, key, ctx):
        """Each share in [0, 1]; the shares sum to 1 within 1e-6."""
        if not isinstance(value, dict):
            raise ctx.error(key, f"value {_fmt(value)} is not a table of shares",
                            self.describe())
        table = Table(self.keys, Prob()).validate(value, key, ctx)
        total = sum(table.values())
        if abs(total - 1.0) > 1e-6:
            raise ctx.error(key, f"shares sum to {total:.6g}, not 1", self.describe())
        return table

    def describe(self):
        """Allowed values."""
        return f"shares summing to 1 over keys {', '.join(self.keys)}"


@dataclass
class RankShares(Node):
    """Shares over whole-number keys (list ranks) that sum to 1.

    Used for a disease group made of several diseases of a numbered list: each key is a
    disease's position on the list, each value its share of the group's cases.
    """

    doc: str = ""
    low: int = 1
    high: int = 100
    required: bool = True

    def validate(self, value, key, ctx):
        """Keys are ranks in [low, high]; returns {rank: share} sorted by rank."""
        if not isinstance(value, dict) or not value:
            raise ctx.error(key, f"value {_fmt(value)} is not a table of ranks",
                            self.describe())
        out = {}
        for k, v in value.items():
            if not (str(k).isdigit() and self.low <= int(k) <= self.high):
                raise ctx.error(f"{key}.{k}", "not a list rank", f"a whole number from "
                                f"{self.low} to {self.high}")
            out[int(k)] = Prob().validate(v, f"{key}.{k}", ctx)
        total = sum(out.values())
        if abs(total - 1.0) > 1e-6:
            raise ctx.error(key, f"shares sum to {total:.6g}, not 1", self.describe())
        return dict(sorted(out.items()))

    def describe(self):
        """Allowed values."""
        return (f'shares summing to 1 by list rank ({self.low}-{self.high}), e.g. '
                f'{{ "3" = 0.4, "4" = 0.6 }}')


@dataclass
class Dated(Node):
    """Values by calendar year; a value holds until the next year that sets one."""

    item: Node
    doc: str = ""
    required: bool = True

    def validate(self, value, key, ctx):
        """Keys are years (1990-2100); returns {year: value} sorted by year."""
        if not isinstance(value, dict) or not value:
            raise ctx.error(key, f"value {_fmt(value)} is not a table of years", self.describe())
        out = {}
        for k, v in value.items():
            if not (str(k).isdigit() and 1990 <= int(k) <= 2100):
                raise ctx.error(f"{key}.{k}", "not a year", "a year from 1990 to 2100")
            out[int(k)] = self.item.validate(v, f"{key}.{k}", ctx)
        return dict(sorted(out.items()))

    def describe(self):
        """Allowed values."""
        return f"a table of years, e.g. {{ 2021 = ..., 2023 = ... }}, each {self.item.describe()}"


def dated_value(table: dict[int, Any], year: int) -> Any:
    """The value in force in ``year``: the latest entry at or before it (else the first)."""
    chosen = None
    for y, v in table.items():
        if y <= year or chosen is None:
            chosen = v
        if y > year:
            break
    return chosen


@dataclass
class Section(Node):
    """A table of named children; unknown names are refused."""

    children: dict[str, Node] = field(default_factory=dict)
    doc: str = ""
    required: bool = True

    def validate(self, value, key, ctx):
        """Validate each child; missing required children and unknown keys are errors."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise ctx.error(key, f"value {_fmt(value)} is not a table", "a table of keys")
        for k in value:
            if k not in self.children:
                close = _closest(k, self.children)
                hint = f"did you mean '{close}'? " if close else ""
                raise ctx.error(_join(key, k), "unknown key",
                                hint + "known keys here: " + ", ".join(self.children))
        out = {}
        for name, node in self.children.items():
            sub = _join(key, name)
            if name in value and not (value[name] is None and not node.required):
                out[name] = node.validate(value[name], sub, ctx)
            elif isinstance(node, Section) and not _has_required(node):
                out[name] = node.validate({}, sub, ctx)
            elif node.required:
                raise ctx.error(sub, "missing required key", node.describe() or "see the schema")
            else:
                out[name] = node.default()
        return out

    def describe(self):
        """Allowed values."""
        return "a table with keys " + ", ".join(self.children)


@dataclass
class Records(Node):
    """A list of records (TOML array of tables), each with a unique ``name``."""

    item: Section
    doc: str = ""
    required: bool = True

    def default(self):
        """No records when the key is absent and not required."""
        return []

    def validate(self, value, key, ctx):
        """Validate each record; names must be unique."""
        if not isinstance(value, list):
            raise ctx.error(key, f"value {_fmt(value)} is not a list of tables",
                            "an array of tables [[...]] each with a name")
        out, seen = [], set()
        for i, rec in enumerate(value):
            label = rec.get("name", str(i)) if isinstance(rec, dict) else str(i)
            item = self.item.validate(rec, f"{key}.{label}", ctx)
            if item["name"] in seen:
                raise ctx.error(f"{key}.{label}", "duplicate name", "unique names")
            seen.add(item["name"])
            out.append(item)
        return out

    def describe(self):
        """Allowed values."""
        return "an array of tables, each with a unique name"


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _has_required(section: Section) -> bool:
    return any(n.required for n in section.children.values())


def _closest(word: str, names) -> str | None:
    names = list(names)
    prefixed = [n for n in names if n.startswith(word) or word.startswith(n)]
    if prefixed:
        return prefixed[0]
    found = difflib.get_close_matches(word, names, n=1, cutoff=0.7)
    return found[0] if found else None


def walk(node: Node, prefix: str = ""):
    """Yield (dotted key, node) for every leaf of a schema, for documentation."""
    if isinstance(node, Section):
        for name, child in node.children.items():
            yield from walk(child, _join(prefix, name))
    elif isinstance(node, Records):
        yield from walk(node.item, prefix + ".<name>")
    else:
        yield prefix, node
