"""Scenarios: load TOML files, inherit from a base, validate, override, and date changes.

A scenario file may name a ``base`` file in its ``[scenario]`` table; the two are merged
(sections key by key; tables by group, level or year and lists replaced whole) and every
value remembers the file it came from, so an error names the right file. Dotted overrides
(``payment.assistance.ratio=0.8``) apply to the validated start values;
``[[calendar.changes]]`` apply from their dates. Each combination is validated in full
before the engine sees it.
"""

from __future__ import annotations

import copy
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.parameters import AGE_BAND_LOWER, AGE_BANDS, CALENDAR, engine_sections
from sim.policies import REGISTRY, policy_schema
from sim.priors import check_priors
from sim.schema import (
    Context,
    Dated,
    Month,
    Records,
    ScenarioError,
    Section,
    Str,
    Table,
    _closest,
)
from sim.timeline import Timeline, month_label, parse_month

#: Where the built-in scenarios live.
SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = SCENARIO_DIR / "transition_2021_2025.toml"
CALENDAR_DIR = SCENARIO_DIR / "calendars"
#: Keys fixed for a whole run (capacities built once as SimPy resources).
STATIC = frozenset(f"policies.{name}.{key}" for name, cls in REGISTRY.items()
                   for key in getattr(cls, "STATIC", ()))


#: A calendar overlay file: an optional new end and a list of dated changes.
CALENDAR_OVERLAY = Section({
    "description": Str(doc="What the calendar represents."),
    "calendar": Section({
        "end": Month(required=False, doc="New last month (e.g. to project beyond 2025)."),
        "changes": CALENDAR.children["changes"],
    }),
})


def schema() -> Section:
    """The whole scenario schema: the engine's sections plus one section per measure."""
    return Section({**engine_sections(), "policies": policy_schema()})


@dataclass(frozen=True)
class Change:
    """A dated change of the policy calendar, with the full parameter set it produces."""

    name: str
    absolute_month: int
    note: str
    values: dict[str, Any]
    params: dict = field(repr=False)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: start parameters, dated changes and where they came from."""

    name: str
    path: Path | None
    params: dict = field(repr=False)
    changes: tuple[Change, ...] = ()
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def timeline(self) -> Timeline:
        """The simulated months."""
        return Timeline.from_calendar(self.params["calendar"])

    def get(self, key: str) -> Any:
        """The start value of a dotted key, e.g. ``'payment.assistance.ratio'``."""
        return get_path(self.params, key)

    def with_overrides(self, overrides: dict[str, Any] | list[str] | None,
                       source: str = "--set", name: str | None = None) -> Scenario:
        """A new scenario with dotted keys set; accepts {'a.b': 1} or ['a.b=1'].

        Its name records the changes (e.g. ``transition_2021_2025[a.b=1]``) unless
        ``name`` is given.
        """
        pairs = parse_overrides(overrides, source)
        if not pairs:
            return self
        params = copy.deepcopy(self.params)
        sch = schema()
        for key, value in pairs:
            set_path(sch, params, key, value, source)
        params = validate(params, Context(source))
        raw_changes = [(c.name, c.absolute_month, c.note, c.values) for c in self.changes]
        label = name or f"{self.name}[{', '.join(f'{k}={v}' for k, v in pairs)}]"
        return Scenario(label, self.path, params,
                        _build_changes(params, raw_changes, str(self.path or source)),
                        self.overrides + tuple(pairs))

    def with_calendar(self, calendar: str | Path) -> Scenario:
        """A new scenario with a calendar overlay's dated changes (and end) added.

        An overlay is a TOML file holding ``[calendar] end`` (optional) and
        ``[[calendar.changes]]``, e.g. ``scenarios/calendars/taper.toml``; a bare name is
        looked up in ``scenarios/calendars/``.
        """
        path = _resolve_calendar(calendar)
        raw, _ = _load_with_bases(path, seen=())
        ctx = Context(str(path))
        overlay = CALENDAR_OVERLAY.validate(raw, "", ctx)
        params = copy.deepcopy(self.params)
        if overlay["calendar"]["end"]:
            params["calendar"]["end"] = overlay["calendar"]["end"]
            params = validate(params, Context(str(path)))
        own = [(c.name, c.absolute_month, c.note, c.values) for c in self.changes]
        new = [(r["name"], parse_month(r["date"]), r["note"], r["set"])
               for r in overlay["calendar"]["changes"] or []]
        return Scenario(f"{self.name}+{path.stem}", self.path, params,
                        _build_changes(params, own + new, str(path)), self.overrides)

    def truncate(self, months: int) -> Scenario:
        """The same scenario reported for its first ``months`` months only.

        Dated changes after the new end are dropped (for quick checks and tests).
        """
        tl = self.timeline
        end = min(tl.end, tl.start + months - 1)
        params = copy.deepcopy(self.params)
        params["calendar"]["end"] = month_label(end)
        kept = [(c.name, c.absolute_month, c.note, c.values) for c in self.changes
                if c.absolute_month <= end]
        return Scenario(self.name, self.path, params,
                        _build_changes(params, kept, str(self.path)), self.overrides)

    def params_by_month(self) -> list[tuple[int, dict]]:
        """(engine month index, parameters) pairs: the start set, then each dated change."""
        tl = self.timeline
        out = [(0, self.params)]
        out += [(tl.index(c.absolute_month), c.params) for c in self.changes]
        return out

    def describe(self) -> dict:
        """A JSON-ready record of the scenario, for writing beside results."""
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "overrides": {k: v for k, v in self.overrides},
            "params": self.params,
            "changes": [{"name": c.name, "date": month_label(c.absolute_month), "note": c.note,
                         "set": c.values} for c in self.changes],
        }

    def to_json(self) -> str:
        """The resolved scenario as JSON text."""
        return json.dumps(self.describe(), indent=1, ensure_ascii=False, default=str)


def load_scenario(path: str | Path | None = None, overrides=None) -> Scenario:
    """Load, merge with its bases, validate and apply overrides. Default: the built-in one.

    A bare name such as ``"mengzi_2021"`` is looked up in ``scenarios/``.
    """
    path = resolve_path(path)
    raw, origins = _load_with_bases(path, seen=())
    ctx = Context(str(path), origins)
    changes_raw = raw.get("calendar", {}).pop("changes", None) if isinstance(
        raw.get("calendar"), dict) else None
    params = validate(raw, ctx)
    changes = _validate_change_list(changes_raw, ctx)
    scn = Scenario(params["scenario"]["name"], path, params,
                   _build_changes(params, changes, str(path)))
    return scn.with_overrides(overrides)


def resolve_path(path: str | Path | None) -> Path:
    """Turn a path or a built-in scenario name into an existing file, or raise."""
    if path is None:
        return DEFAULT_SCENARIO
    p = Path(path)
    candidates = [p]
    if not p.suffix:
        candidates += [SCENARIO_DIR / f"{p}.toml", SCENARIO_DIR / "regions" / f"{p}.toml"]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    known = ", ".join(sorted(q.stem for q in SCENARIO_DIR.glob("*.toml")))
    raise ScenarioError(str(path), "", "no such scenario file",
                        f"a path to a .toml file, or a built-in name: {known}")


def _resolve_calendar(calendar: str | Path) -> Path:
    p = Path(calendar)
    for c in (p, CALENDAR_DIR / f"{p}.toml"):
        if c.is_file():
            return c.resolve()
    known = ", ".join(sorted(q.stem for q in CALENDAR_DIR.glob("*.toml")))
    raise ScenarioError(str(calendar), "", "no such calendar file",
                        f"a path to a .toml file, or a built-in calendar: {known}")


def validate(raw: dict, ctx: Context) -> dict:
    """Validate a whole scenario table and its cross-key rules; return normalised params."""
    params = schema().validate(raw, "", ctx)
    _check_consistency(params, ctx)
    return params


#: Largest scenario or calendar file read, bytes (the built-in ones are below 40 kB).
MAX_FILE_BYTES = 4 * 2**20
#: Longest chain of base files (the built-in scenarios use 1).
MAX_BASES = 16
#: Deepest nesting of tables and arrays in a file (the schema needs 5).
MAX_NESTING = 32


def _read_toml(path: Path) -> dict:
    """Parse one TOML file, refusing what is not a small UTF-8 TOML text."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(str(path), "", f"file of {size:,} bytes is too large",
                                f"a scenario file of at most {MAX_FILE_BYTES:,} bytes")
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(str(path), "", "file not found", "an existing .toml file") from None
    except IsADirectoryError:
        raise ScenarioError(str(path), "", "is a folder", "a .toml file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), "", f"not UTF-8 text (byte {data[exc.start]:#04x} at "
                            f"offset {exc.start})", "a UTF-8 TOML text file") from None
    if "\x00" in text:
        raise ScenarioError(str(path), "", "binary content (a NUL byte)",
                            "a UTF-8 TOML text file") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"not valid TOML ({exc})",
                            "TOML syntax, see https://toml.io") from None
    except RecursionError:
        raise ScenarioError(str(path), "", "tables or arrays nested too deeply",
                            f"at most {MAX_NESTING} levels") from None
    key, depth = _deepest(raw)
    if depth > MAX_NESTING:
        raise ScenarioError(str(path), key, f"nested {depth} levels deep",
                            f"at most {MAX_NESTING} levels")
    return raw


def _deepest(value) -> tuple[str, int]:
    """The dotted key and depth of the most deeply nested value (without recursion)."""
    best = ("", 0)
    stack = [("", value, 0)]
    while stack:
        key, v, depth = stack.pop()
        if depth > best[1]:
            best = (key, depth)
        if depth > MAX_NESTING:
            break
        if isinstance(v, dict):
            stack += [(f"{key}.{k}" if key else str(k), x, depth + 1) for k, x in v.items()]
        elif isinstance(v, list):
            stack += [(f"{key}[{i}]", x, depth + 1) for i, x in enumerate(v)]
    return best


def _allowed_base(base_path: Path, root: Path) -> bool:
    """Bases must stay inside the top-level file's folder tree or the built-in scenarios."""
    return any(base_path.is_relative_to(r) for r in (root, SCENARIO_DIR.resolve()))


def _load_with_bases(path: Path, seen: tuple, root: Path | None = None,
                     ) -> tuple[dict, dict[str, str]]:
    """Read a file and its chain of ``[scenario] base`` files, merged (base first).

    ``root`` is the folder of the top-level file: a base must lie in it (or below), or
    among the built-in scenarios (a bare built-in file name also works from anywhere), so
    that a scenario cannot make the program read files elsewhere on the machine.
    """
    root = root or path.parent.resolve()
    if path in seen:
        raise ScenarioError(str(path), "scenario.base", "inheritance loop",
                            "a chain of base files without cycles")
    if len(seen) >= MAX_BASES:
        raise ScenarioError(str(seen[0]), "scenario.base", f"more than {MAX_BASES} base "
                            "files in a chain", f"at most {MAX_BASES}")
    raw = _read_toml(path)
    origins = {k: str(path) for k in _leaf_keys(raw)}
    base_name = raw.get("scenario", {}).get("base") if isinstance(raw.get("scenario"),
                                                                   dict) else None
    if base_name is None or base_name == "":
        return raw, origins
    if not isinstance(base_name, str):
        raise ScenarioError(str(path), "scenario.base", f"value {base_name!r} is not text",
                            "a file name, relative to the scenario's folder")
    candidates = [(path.parent / base_name).resolve(), (SCENARIO_DIR / base_name).resolve()]
    base_path = next((c for c in candidates if c.is_file()), None)
    if base_path is None:
        raise ScenarioError(str(path), "scenario.base", f"base file {base_name!r} not found",
                            f"a path relative to {path.parent}, or a built-in scenario file")
    if not _allowed_base(base_path, root):
        raise ScenarioError(str(path), "scenario.base", f"base file {base_name!r} is outside "
                            "the scenario's folder", f"a file in {root} or below, or a "
                            f"built-in scenario in {SCENARIO_DIR}")
    base_raw, base_origins = _load_with_bases(base_path, seen + (path,), root)
    merged = _merge(base_raw, raw, schema())
    merged["scenario"].pop("base", None)
    return merged, {**base_origins, **origins}


def _merge(base: dict, over: dict, node) -> dict:
    """Merge ``over`` into ``base``.

    Sections merge key by key; every other value (a table by group or year, a list of
    records) is replaced whole, so a child's table never mixes with its base's.
    """
    out = copy.deepcopy(base)
    children = node.children if isinstance(node, Section) else {}
    for k, v in over.items():
        child = children.get(k)
        if isinstance(child, Section) and isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, child)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _leaf_keys(d: dict, prefix: str = ""):
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        yield key
        if isinstance(v, dict):
            yield from _leaf_keys(v, key)


def parse_overrides(overrides, source: str = "--set") -> list[tuple[str, Any]]:
    """Normalise overrides to (key, value) pairs; 'k=v' strings parse v as a TOML value."""
    if not overrides:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    pairs = []
    for item in overrides:
        if not isinstance(item, str):
            raise ScenarioError(source, "", f"value {item!r} is not text",
                                "KEY=VALUE text, e.g. payment.assistance.ratio=0.8")
        if any(c in item for c in "\n\r\x00"):
            raise ScenarioError(source, item.split("=", 1)[0].strip()[:60],
                                f"value {item[:60]!r} spans several lines",
                                "one KEY=VALUE on one line per --set")
        if "=" not in item:
            raise ScenarioError(source, item, "an override needs the form KEY=VALUE",
                                "e.g. payment.assistance.ratio=0.8")
        key, text = item.split("=", 1)
        pairs.append((key.strip(), parse_value(text.strip())))
    return pairs


def parse_value(text: str) -> Any:
    """A TOML value ('0.8', 'true', '"x"', '{a = 1}'); bare words are taken as text."""
    try:
        parsed = tomllib.loads(f"v = {text}")
    except (tomllib.TOMLDecodeError, RecursionError):
        return text
    if set(parsed) != {"v"}:  # "0.5\nevil = 1" would set a second key
        raise ScenarioError("--set", "", f"value {text[:60]!r} holds more than one value",
                            "one TOML value")
    return parsed["v"]


def get_path(params: dict, key: str) -> Any:
    """Read a dotted key from validated params (records are addressed by name)."""
    node: Any = params
    for part in key.split("."):
        if isinstance(node, list):
            node = next((r for r in node if r.get("name") == part), None)
        elif isinstance(node, dict):
            node = node.get(int(part) if part.isdigit() and int(part) in node else part)
        else:
            node = None
        if node is None:
            raise KeyError(key)
    return node


def set_path(sch: Section, params: dict, key: str, value: Any, source: str) -> None:
    """Set a dotted key in validated params, refusing keys the schema does not know."""
    parts = key.split(".")
    node, holder = sch, params
    for i, part in enumerate(parts):
        here = ".".join(parts[: i + 1])
        last = i == len(parts) - 1
        if isinstance(node, Section):
            if part not in node.children:
                close = _closest(part, node.children)
                hint = f"did you mean '{close}'? " if close else ""
                raise ScenarioError(source, here, "unknown key",
                                    hint + "known keys here: " + ", ".join(node.children))
            child = node.children[part]
            if last:
                holder[part] = value
                return
            node, holder = child, holder.setdefault(part, {} if not isinstance(
                child, Records) else [])
        elif isinstance(node, Records):
            rec = next((r for r in holder if r.get("name") == part), None)
            if rec is None:
                names = ", ".join(r.get("name", "?") for r in holder)
                raise ScenarioError(source, here, "no record with this name",
                                    f"one of: {names}")
            if last:
                raise ScenarioError(source, here, "a whole record cannot be set",
                                    "a key inside it, e.g. " + here + ".cost_yuan_late")
            node, holder = node.item, rec
        elif isinstance(node, Table | Dated):
            keys = node.keys if isinstance(node, Table) else None
            entry: Any = part
            if isinstance(node, Dated):
                if not part.isdigit():
                    raise ScenarioError(source, here, "not a year", "a year, e.g. 2023")
                entry = int(part)
            elif part not in keys:
                raise ScenarioError(source, here, "unknown key", "one of " + ", ".join(keys))
            if not last:
                raise ScenarioError(source, here, "cannot go deeper than a table entry",
                                    "end the key here")
            holder[entry] = value
            return
        else:
            raise ScenarioError(source, here, "cannot go deeper than a single value",
                                "end the key at " + ".".join(parts[:i]))


def _validate_change_list(changes_raw, ctx: Context):
    if changes_raw is None:
        return []
    recs = CALENDAR.children["changes"].validate(changes_raw, "calendar.changes", ctx)
    return [(r["name"], parse_month(r["date"]), r["note"], r["set"]) for r in recs]


def _build_changes(params: dict, changes, source: str) -> tuple[Change, ...]:
    sch = schema()
    current = params
    out = []
    tl = Timeline.from_calendar(params["calendar"])
    for name, month, note, values in sorted(changes, key=lambda c: c[1]):
        where = f"{source} (calendar change '{name}')"
        if not tl.first <= month <= tl.end:
            raise ScenarioError(source, f"calendar.changes.{name}.date",
                                f"{month_label(month)} is outside the simulated months",
                                f"{month_label(tl.first)} to {month_label(tl.end)}")
        nxt = copy.deepcopy(current)
        for key, value in values.items():
            if key.startswith("places."):
                _set_in_place(nxt, key, value, where)
                continue
            if key.split(".")[0] in ("calendar", "population", "scenario") or key in STATIC:
                raise ScenarioError(where, key, "cannot change on a date",
                                    "keys outside calendar, population and scenario, and "
                                    "not " + ", ".join(sorted(STATIC)))
            set_path(sch, nxt, key, value, where)
        nxt = validate(nxt, Context(where))
        out.append(Change(name, month, note, dict(values), nxt))
        current = nxt
    return tuple(out)


#: Parts of the scenario a place may change: the terms sim.payment.PaymentRules compiles
#: and the care rules compiled by place in sim.care.CareTables.
PLACE_KEYS = ("payment.basic.", "payment.critical_illness.", "payment.assistance.",
              "payment.supplemental.", "care.level_shift.", "care.catalogue.")


def _set_in_place(params: dict, key: str, value, where: str) -> None:
    """Apply a calendar key ``places.<name>.<key>``: the place's own term from the change's date.

    The value joins the place's ``set`` table, so it is checked with the place's other
    terms (``place_params``) when the new parameters are validated.
    """
    parts = key.split(".", 2)
    places = params["population"]["places"] or []
    names = [p["name"] for p in places]
    if len(parts) < 3 or parts[1] not in names:
        raise ScenarioError(where, key, "no place with this name",
                            "places.<name>.<key> with a name of population.places: "
                            + (", ".join(names) or "none in this scenario"))
    places[names.index(parts[1])]["set"][parts[2]] = value


def place_params(params: dict, source: str = "population.places") -> list[dict]:
    """The parameters of each place of ``population.places``: the scenario's with its terms.

    Raises ScenarioError for a key outside the payment layers and care rules of
    ``PLACE_KEYS`` or unknown to the schema.
    """
    sch = schema()
    out = []
    for place in params["population"]["places"] or []:
        where = f"{source} (place '{place['name']}')"
        p = copy.deepcopy(params)
        p["population"]["places"] = None
        for key, value in place["set"].items():
            if not key.startswith(PLACE_KEYS):
                raise ScenarioError(where, key,
                                    "a place can change only payment terms and care rules",
                                    "keys under " + ", ".join(k.rstrip(".") for k in PLACE_KEYS))
            set_path(sch, p, key, value, where)
        out.append(validate(p, Context(where)))
    return out


def _check_consistency(params: dict, ctx: Context) -> None:
    """Rules that involve more than one key."""
    cal = params["calendar"]
    if parse_month(cal["end"]) < parse_month(cal["start"]):
        raise ctx.error("calendar.end", f"{cal['end']} is before calendar.start "
                        f"{cal['start']}", "a month at or after the start")
    pop = params["population"]
    if pop["from"]:  # the file sets the households simulated and those of the area
        from sim.population_file import simulated_households

        pop["households"], area = simulated_households(params)
        pop["represents_households"] = max(1, int(round(area)))
    if pop["worker_age_max"] < pop["worker_age_min"]:
        raise ctx.error("population.worker_age_max", "is below worker_age_min",
                        "an age at or above population.worker_age_min")
    labour_max = params["registry"]["exit"]["labour_age_max"]
    if labour_max is not None and labour_max < pop["worker_age_min"]:
        raise ctx.error("registry.exit.labour_age_max", f"{labour_max} is below "
                        f"population.worker_age_min {pop['worker_age_min']}: no member "
                        "would count as labour", "an age at or above "
                        "population.worker_age_min")
    if not pop["from"]:
        from sim.population import elderly_only_persons_share

        in_old_homes, older = elderly_only_persons_share(pop)
        if in_old_homes > older + 1e-9:
            raise ctx.error("population.elderly_only_share", f"puts {in_old_homes:.1%} of "
                            f"persons in elderly-only households, more than the {older:.1%} "
                            "aged 60+ in population.age_bands", "shares that leave room in "
                            "the 60+ age bands")
    for g, share in pop["registered_poor_share"].items():
        if share + pop["formerly_poor_share"][g] > 1 + 1e-9:
            raise ctx.error(f"population.registered_poor_share.{g}",
                            f"{share} plus formerly_poor_share {pop['formerly_poor_share'][g]}"
                            " is above 1", "shares of one group's households that add up to "
                            "at most 1")
    for rec in params["health"]["major"]:
        if rec["age_max"] < rec["age_min"]:
            raise ctx.error(f"health.major.{rec['name']}.age_max", "is below age_min",
                            "an age at or above age_min")
        if rec["incidence_age_rr"] is not None:
            if params["health"]["incidence_reference_ages"] is None:
                raise ctx.error(f"health.major.{rec['name']}.incidence_age_rr",
                                "needs health.incidence_reference_ages",
                                "the reference population's shares by age band, or no "
                                "incidence_age_rr")
            upper = (*AGE_BAND_LOWER[1:], 1000)
            if not any(rec["incidence_age_rr"][b] > 0 and lo <= rec["age_max"]
                       and hi > rec["age_min"]
                       for b, lo, hi in zip(AGE_BANDS, AGE_BAND_LOWER, upper, strict=True)):
                raise ctx.error(f"health.major.{rec['name']}.incidence_age_rr",
                                "is 0 in every band of the age range",
                                "a ratio above 0 in at least one band the age range covers")
    births_with = sum(rec["birth_prevalence"] for rec in params["health"]["major"])
    if births_with > 1 + 1e-9:
        raise ctx.error("health.major", f"the birth prevalences add up to {births_with:.6g}, "
                        "more than every birth", "birth prevalences that add up to at most 1")
    majors = [rec["name"] for rec in params["health"]["major"]]
    congenital = [rec["name"] for rec in params["health"]["major"]
                  if rec["birth_prevalence"] > 0]
    for key in ("care.prenatal_screening.conditions", "care.newborn_screening.conditions",
                "policies.birth_defects.prenatal.conditions",
                "policies.birth_defects.newborn.conditions"):
        for name in get_path(params, key):
            if name not in majors:
                raise ctx.error(key, f"'{name}' is not a disease of health.major",
                                "names of health.major records, the congenital conditions "
                                "(birth_prevalence above 0) being " + (
                                    ", ".join(congenital) or "none here"))
    by_cause: dict[str, float] = {}
    for rec in params["health"]["listed_admissions"]:
        key = f"health.listed_admissions.{rec['name']}"
        if rec["age_max"] < rec["age_min"]:
            raise ctx.error(f"{key}.age_max", "is below age_min", "an age at or above age_min")
        by_cause[rec["cause"]] = by_cause.get(rec["cause"], 0.0) + rec["share"]
        if by_cause[rec["cause"]] > 1 + 1e-9:
            raise ctx.error(f"{key}.share", f"the shares of the admissions of cause "
                            f"'{rec['cause']}' add up to {by_cause[rec['cause']]:.6g}",
                            "shares of one cause that add up to at most 1")
    first_year = (parse_month(cal["start"]) - cal["warmup_months"]) // 12
    for key in ("poverty.line_yuan",):
        table = get_path(params, key)
        if min(table) > first_year:
            raise ctx.error(key, f"first year {min(table)} is after the first simulated year "
                            f"{first_year}", f"a value for {first_year} or earlier")
    _check_monthly_probabilities(params, ctx)
    ca = params["policies"]["screening"]["cancer"]
    if ca["age_max"] < ca["age_min"]:
        raise ctx.error("policies.screening.cancer.age_max", "is below age_min",
                        "an age at or above age_min")
    check_priors(params, schema(), ctx)
    places = pop["places"] or []
    if sum(p["township_share"] for p in places) > 1 + 1e-9:
        raise ctx.error("population.places", "the places' township shares add up to more "
                        "than 1", "shares of the townships that add up to at most 1")
    if places:
        place_params(params, ctx.source("population.places"))


def _check_monthly_probabilities(params: dict, ctx: Context) -> None:
    """Rates must stay below one event a month, where the engine needs that."""
    acute = params["health"]["acute"]
    chronic = params["health"]["chronic"]
    worst_rr = max(max(c["admission_rr_managed"], c["admission_rr_unmanaged"])
                   for c in chronic.values())
    for band, rate in acute["inpatient_per_year"].items():
        monthly = rate * max(worst_rr, 1.0) / 12
        out = acute["outpatient_per_year"][band] / 12
        if monthly + out > 1:
            raise ctx.error(f"health.acute.inpatient_per_year.{band}",
                            f"admissions {rate:g}/yr x rate ratio {worst_rr:g} plus outpatient "
                            f"{out * 12:g}/yr exceed one event a month",
                            "rates whose monthly sum stays below 1")
