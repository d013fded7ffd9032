"""The optional ``[calibration]`` section: which scenario keys are uncertain, and their priors.

A scenario declares the parameters a calibration may fit as data, one record each::

    [[calibration.parameters]]
    key = "care.inpatient_seek"          # any numeric scenario key (dotted)
    dist = "uniform"                     # uniform | loguniform | normal | lognormal | beta
    low = 0.6
    high = 1.0
    source = "why this range: a publication, a seed, or 'assumption' and the reasoning"

The distributions and the numbers each needs:

* ``uniform``: ``low``, ``high``;
* ``loguniform``: ``low`` > 0, ``high`` (uniform in log value: a range over magnitudes);
* ``normal``: ``mean``, ``sd``, truncated to the key's allowed range (and to ``low``/``high``
  when given);
* ``lognormal``: ``median`` > 0 and ``log_sd`` (the sd of the log value), for keys that
  allow any positive value;
* ``beta``: ``alpha``, ``beta`` on [``low``, ``high``] (default [0, 1]).

The section is optional, so scenarios without it validate unchanged. The record shapes are
checked by :data:`CALIBRATION`; :func:`check_priors` checks what needs the rest of the
scenario: that each key exists, holds a single number (not a table, not a whole number, not
true/false), and that the prior's support lies within the range the key allows.
"""

from __future__ import annotations

import math
from typing import Any

from sim.schema import (
    Choice,
    Context,
    Dated,
    Node,
    Num,
    Records,
    ScenarioError,
    Section,
    Str,
    Table,
    _fmt,
)

#: The prior distributions a record may name, with the numbers each one needs.
DISTRIBUTIONS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("median", "log_sd"),
    "beta": ("alpha", "beta"),
}
_NUMBERS = ("low", "high", "mean", "sd", "median", "log_sd", "alpha", "beta")

PRIOR = Section({
    "key": Str(required=True, doc="The dotted scenario key, e.g. \"care.inpatient_seek\"."),
    "dist": Choice(tuple(DISTRIBUTIONS), doc="The prior distribution."),
    "low": Num("key's unit", required=False, doc="Lower bound (uniform, loguniform, beta; "
               "optional truncation for normal)."),
    "high": Num("key's unit", required=False, doc="Upper bound (as low)."),
    "mean": Num("key's unit", required=False, doc="Mean of a normal prior."),
    "sd": Num("key's unit", required=False, low=0, doc="Sd of a normal prior."),
    "median": Num("key's unit", required=False, low=0, doc="Median of a lognormal prior."),
    "log_sd": Num("log units", required=False, low=0, doc="Sd of the log value (lognormal)."),
    "alpha": Num("shape", required=False, low=0, doc="First shape of a beta prior."),
    "beta": Num("shape", required=False, low=0, doc="Second shape of a beta prior."),
    "source": Str(required=True, doc="Why this prior: a source, or 'assumption' and the "
                  "reasoning."),
})


class PriorList(Node):
    """A list of prior records (``[[calibration.parameters]]``), one per unique key."""

    doc = "Uncertain parameters and their priors, one record per scenario key."
    required = False

    def validate(self, value: Any, key: str, ctx: Context) -> list[dict]:
        """Validate each record's shape; keys must be unique; each dist has its numbers."""
        if not isinstance(value, list):
            raise ctx.error(key, f"value {_fmt(value)} is not a list of tables",
                            "an array of tables [[calibration.parameters]]")
        out, seen = [], set()
        for i, rec in enumerate(value):
            label = rec.get("key", str(i)) if isinstance(rec, dict) else str(i)
            where = f"{key}.{label}"
            if isinstance(rec, dict) and isinstance(rec.get("source"), str) \
                    and not rec["source"].strip():
                raise ctx.error(f"{where}.source", "is empty",
                                "the prior's reason or source as text")
            item = PRIOR.validate(rec, where, ctx)
            if item["key"] in seen:
                raise ctx.error(where, "duplicate key", "each key once")
            seen.add(item["key"])
            needed = DISTRIBUTIONS[item["dist"]]
            missing = [n for n in needed if item[n] is None]
            if missing:
                raise ctx.error(f"{where}.{missing[0]}", f"missing for dist = "
                                f"'{item['dist']}'", f"{' and '.join(needed)}")
            lo, hi = item["low"], item["high"]
            if lo is not None and hi is not None and not lo < hi:
                raise ctx.error(f"{where}.high", f"value {hi!r} is not above low {lo!r}",
                                "high > low")
            if item["dist"] == "loguniform" and lo <= 0:
                raise ctx.error(f"{where}.low", f"value {lo!r} is not positive",
                                "low > 0 for a loguniform prior")
            if item["dist"] == "normal" and item["sd"] <= 0:
                raise ctx.error(f"{where}.sd", "value 0.0 is not positive", "sd > 0")
            if item["dist"] == "lognormal" and (item["median"] <= 0 or item["log_sd"] <= 0):
                name = "median" if item["median"] <= 0 else "log_sd"
                raise ctx.error(f"{where}.{name}", f"value {item[name]!r} is not positive",
                                "median > 0 and log_sd > 0")
            if item["dist"] == "beta" and (item["alpha"] <= 0 or item["beta"] <= 0):
                name = "alpha" if item["alpha"] <= 0 else "beta"
                raise ctx.error(f"{where}.{name}", f"value {item[name]!r} is not positive",
                                "alpha > 0 and beta > 0")
            out.append(item)
        return out

    def describe(self) -> str:
        """Allowed values."""
        return ("an array of tables, each with key, dist (" + ", ".join(DISTRIBUTIONS)
                + "), its numbers and source")


CALIBRATION = Section({
    "parameters": PriorList(),
}, required=False, doc="Uncertain parameters a calibration may fit, with priors (optional).")


def node_at(schema: Section, key: str) -> Node | None:
    """The schema node a dotted key addresses (records by name, tables by entry), or None."""
    node: Node = schema
    for part in key.split("."):
        if isinstance(node, Section):
            node = node.children.get(part)
        elif isinstance(node, Records):
            node = node.item  # the record name: the value lookup checks it exists
            continue
        elif isinstance(node, Table):
            node = node.item if part in node.keys else None
        elif isinstance(node, Dated):
            node = node.item if part.isdigit() else None
        else:
            node = None
        if node is None:
            return None
    return node


def check_priors(params: dict, schema: Section, ctx: Context) -> None:
    """Each prior's key exists, holds one real number, and its support fits the key's range."""
    from sim.scenario import get_path

    for rec in (params.get("calibration") or {}).get("parameters") or []:
        key = rec["key"]
        where = f"calibration.parameters.{key}"
        if key.split(".")[0] in ("calibration", "scenario", "calendar"):
            raise ctx.error(f"{where}.key", f"value {key!r} cannot be calibrated",
                            "a key outside the scenario, calendar and calibration sections")
        node = node_at(schema, key)
        try:
            value = get_path(params, key)
        except (KeyError, ValueError):
            value = None
        if node is None or value is None:
            close = _closest_key(schema, key)
            hint = f"did you mean '{close}'? " if close else ""
            raise ctx.error(f"{where}.key", f"value {key!r} is not a scenario key",
                            hint + "a dotted key listed by `python -m sim keys`, naming one "
                            "number, e.g. care.inpatient_seek")
        if isinstance(value, dict) or isinstance(node, Table | Dated):
            raise ctx.error(f"{where}.key", f"value {key!r} is a table, not one number",
                            f"one entry of it, e.g. {key}.{next(iter(value), '...')}"
                            if isinstance(value, dict) else "one entry of it")
        if not isinstance(node, Num) or isinstance(value, bool):
            raise ctx.error(f"{where}.key", f"value {key!r} does not hold a number",
                            "a key whose value is a real number")
        if node.integer:
            raise ctx.error(f"{where}.key", f"value {key!r} holds a whole number",
                            "a key whose value is a real number (whole-number keys such as "
                            "ages and months cannot be fitted continuously)")
        lo, hi = support(rec, node.low, node.high)
        if lo < node.low or hi > node.high:
            raise ScenarioError(ctx.source(where), where,
                                f"the prior's support [{lo:g}, {hi:g}] leaves the key's "
                                f"range", node.describe() + "; set low/high inside it")


def _closest_key(schema: Section, key: str) -> str | None:
    import difflib

    from sim.schema import walk

    known = [k for k, _ in walk(schema)]
    found = difflib.get_close_matches(key, known, n=1, cutoff=0.8)
    return found[0] if found else None


def support(rec: dict, key_low: float = -math.inf, key_high: float = math.inf
            ) -> tuple[float, float]:
    """The prior's support [low, high] (infinite where the distribution is unbounded)."""
    dist, lo, hi = rec["dist"], rec["low"], rec["high"]
    if dist in ("uniform", "loguniform"):
        return lo, hi
    if dist == "beta":
        return (0.0 if lo is None else lo), (1.0 if hi is None else hi)
    if dist == "lognormal":  # not truncated: the key must allow every positive value
        return 0.0, math.inf
    return (max(key_low, -math.inf if lo is None else lo),
            min(key_high, math.inf if hi is None else hi))
