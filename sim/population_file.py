"""Households from data: read a households table and a persons table into the engine.

A scenario names its population with ``[population] from = "households.csv"`` (and
``persons``, ``totals``, ``expand_to``), or the command line with ``--population``; the
format is documented in ``docs/population_format.md`` and declared here once
(:data:`HOUSEHOLD_COLUMNS`, :data:`PERSON_COLUMNS`), so the checks, the documentation
table and the writer cannot drift apart.

Reading happens in two steps:

* :func:`load_tables` parses and checks the files (once per process; cached by path, size
  and modification time). Any bad value stops with one :class:`PopulationFileError` line
  naming the file, the row (line number in the file, header = line 1), the column and the
  value. Nothing is dropped or changed silently: missing cells are counted for the load
  report (:func:`load_report`).
* :func:`population_from_file` builds the engine's columns for one replication: a
  weighted file is first raked to the area totals (:func:`rake`) and expanded to whole
  households (:func:`integerise`), then every missing cell is drawn from the region
  profile of the scenario, conditional on what the file says (group given the registry
  status, the recorded cause given diagnosed diseases, the income shock given the
  income, ...). Those draws use the replication's ``population`` stream, so imputation
  and expansion vary across replications like any other chance and their uncertainty is
  inside the range across replications (a form of multiple imputation); a complete,
  unweighted file gives the same population in every replication.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sim.parameters import AGE_BANDS, CHRONIC, GROUPS
from sim.schema import ScenarioError

#: Registry statuses at the start (建档立卡未脱贫, 脱贫户, none).
STATUSES = ("registered", "formerly_poor", "none")
#: Recorded main cause of poverty, for registered and formerly poor households.
CAUSES = ("illness", "other")
MAX_AGE = 100
#: Largest household in a file (persons); the synthetic profile's "6" means 6 or more.
MAX_SIZE = 30
#: Largest yearly earned income of one household, yuan (a typo guard, not a statistic).
MAX_INCOME_YUAN = 10_000_000


class PopulationFileError(ScenarioError):
    """A households, persons or totals file is refused: file, row, column, value, allowed."""

    def __init__(self, path, row: int | None, column: str, value, problem: str,
                 allowed: str = ""):
        self.source, self.key, self.problem, self.allowed = str(path), column, problem, allowed
        where = ", ".join(([f"row {row}"] if row is not None else [])
                          + ([f"column '{column}'"] if column else []))
        shown = "" if value is None else f"value {str(value)[:60]!r} "
        tail = f"; allowed: {allowed}" if allowed else ""
        ValueError.__init__(self, f"{path}: {where + ': ' if where else ''}{shown}{problem}"
                                  f"{tail}")


@dataclass(frozen=True)
class Column:
    """One column of the format: its kind, unit, range or codes, and what a gap means."""

    name: str
    kind: str  # id | int | float | bool | code | codes
    unit: str
    doc: str
    required: bool = False
    low: float = -math.inf
    high: float = math.inf
    codes: tuple[str, ...] = ()
    missing: str = ""  # what happens to a missing cell (empty for required columns)

    def allowed(self) -> str:
        """What a cell may hold, for messages and the documentation table."""
        if self.kind == "id":
            return "a unique, non-empty identifier"
        if self.kind == "bool":
            return "0 or 1"
        if self.kind in ("code", "codes"):
            many = "'none' or codes separated by ';' from " if self.kind == "codes" else ""
            return many + ", ".join(self.codes) if self.codes else "a disease named in " \
                "health.major of the scenario, or none"
        kind = "a whole number" if self.kind == "int" else "a number"
        return f"{kind} from {self.low:g} to {self.high:g} ({self.unit})"


HOUSEHOLD_COLUMNS = (
    Column("household_id", "id", "", "Household identifier; persons refer to it.", True),
    Column("size", "int", "persons", "Living members; must equal the persons listed.",
           low=1, high=MAX_SIZE, missing="the number of persons listed"),
    Column("group", "code", "", "Target group of the transition period.", codes=GROUPS,
           missing="drawn from population.group_shares given the registry status"),
    Column("registry_status", "code", "", "Poverty registry at the start: registered poor "
           "not exited, exited (formerly poor) or never registered.", codes=STATUSES,
           missing="drawn from population.registered_poor_share and formerly_poor_share "
           "of the group"),
    Column("registry_cause", "code", "", "Recorded main cause of poverty (registered and "
           "formerly poor only; empty for 'none').", codes=CAUSES,
           missing="drawn from registry.cause_illness_share given diagnosed diseases"),
    Column("monitored", "bool", "", "Already a monitored object (监测对象) at the start.",
           missing="0 (not monitored)"),
    Column("township", "int", "index", "Township, numbered 0 to population.townships - 1.",
           low=0, high=9_999, missing="drawn uniformly among the townships"),
    Column("distance_km", "float", "km", "Distance to the township health centre.", low=0,
           high=500, missing="drawn from population.distance_km_median and _log_sd"),
    Column("earned_yuan", "float", "yuan per year", "Earned income of the household at "
           "full working capacity (all members, before illness-caused losses).", low=0,
           high=MAX_INCOME_YUAN, missing="drawn from income.earned_median_yuan and "
           "earned_log_sd of the group, times the size"),
    Column("transfers_yuan_pp", "float", "yuan per person-year", "Cash transfers (minimum "
           "guarantee, support) per member.", low=0, high=MAX_INCOME_YUAN,
           missing="income.transfers_yuan of the group"),
    Column("programme_yuan_pp", "float", "yuan per person-year", "Income from non-health "
           "programmes already reached (employment, industry, ...) per member.", low=0,
           high=MAX_INCOME_YUAN, missing="0 (none)"),
    Column("savings", "bool", "", "Holds cash for an admission deposit.",
           missing="drawn from population.savings_share of the group"),
    Column("income_shock", "float", "log yuan", "Current AR(1) shock of log earned income "
           "(model state; leave empty for real data).", low=-10, high=10,
           missing="drawn given the income's distance from the group median"),
    Column("weight", "float", "households", "Survey weight: households of the area this "
           "record stands for. Absent: the file is the whole area, every row one household "
           "(scale 1).", low=0, high=1e9,
           missing="not allowed once the column is present"),
)

PERSON_COLUMNS = (
    Column("person_id", "id", "", "Person identifier.", True),
    Column("household_id", "id", "", "The person's household (in the households file).",
           True),
    Column("age", "int", "years", "Age at the start.", low=0, high=MAX_AGE,
           missing="drawn from population.age_bands"),
    Column("sex", "code", "", "F or M.", codes=("F", "M"),
           missing="drawn from population.female_share"),
    Column("earnings_share", "float", "share", "Share of the household's earned income this "
           "person earns; a household's shares sum to 1.", low=0, high=1,
           missing="the household's members of working age share equally (all missing "
           "in the household)"),
    Column("insured", "bool", "", "Enrolled in resident basic insurance at the start.",
           missing="drawn each insurance year from payment.enrolled_share"),
    Column("chronic_diagnosed", "codes", "", "Diagnosed chronic diseases.", codes=CHRONIC,
           missing="present, diagnosed and managed drawn from health.chronic by age"),
    Column("chronic_managed", "codes", "", "Of those, under standardised management "
           "(family-doctor contract).", codes=CHRONIC,
           missing="drawn from health.chronic.<disease>.managed_share"),
    Column("chronic_undiagnosed", "codes", "", "Undiagnosed chronic diseases (model state; "
           "leave empty for real data).", codes=CHRONIC,
           missing="drawn from prevalence and diagnosed share, given not diagnosed"),
    Column("major_disease", "code", "", "A major disease under special treatment "
           "(health.major), or none.",
           missing="drawn at its steady-state prevalence by age and sex"),
    Column("major_stage", "code", "", "Stage of the major disease.", codes=("early", "late"),
           missing="late with 1 - early_share"),
    Column("major_diagnosed", "bool", "", "The major disease has been diagnosed.",
           missing="1 (a disease in a register is known)"),
    Column("major_treatment_months", "int", "months", "Months of the treatment course done "
           "(-1: not started).", low=-1, high=600, missing="0 if diagnosed, else -1"),
)

TOTALS_COLUMNS = ("quantity", "group", "status", "cause", "value", "source")


# ---- reading and checking ------------------------------------------------------------------
def _read_table(path: Path, columns: tuple[Column, ...]) -> pd.DataFrame:
    """Read a CSV file as text cells ('' is missing), before any cell is interpreted.

    CSV only: Parquet would need pyarrow, which is not a dependency.
    """
    if not path.is_file():
        raise PopulationFileError(path, None, "", None, "file not found",
                                  "an existing .csv file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                            encoding="utf-8", skipinitialspace=True)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise PopulationFileError(path, None, "", None, f"cannot be read "
                                  f"({' '.join(str(exc).split())[:120]})",
                                  "a UTF-8 CSV file with a header line") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    names = tuple(c.name for c in columns)
    for col in columns:
        if col.required and col.name not in frame.columns:
            raise PopulationFileError(path, 1, col.name, None, "required column is missing",
                                      "columns " + ", ".join(names))
    dup = frame.columns[frame.columns.duplicated()]
    if len(dup):
        raise PopulationFileError(path, 1, dup[0], None, "column appears twice",
                                  "each column once")
    unknown = [c for c in frame.columns if c not in names]
    if unknown:
        raise PopulationFileError(path, 1, unknown[0], None, "unknown column",
                                  ", ".join(c.name for c in columns))
    return frame


def _parse(path: Path, frame: pd.DataFrame, col: Column, major_names=()) -> tuple:
    """Values of one column (numbers, codes or bit masks) and the mask of missing cells."""
    n = len(frame)
    if col.name not in frame.columns:
        return None, np.ones(n, bool)
    text = frame[col.name]  # spaces after a comma are skipped by the reader
    missing = (text == "").to_numpy()
    row = lambda i: int(i) + 2  # noqa: E731 - line number in the file
    if col.required and missing.any():
        i = np.flatnonzero(missing)[0]
        raise PopulationFileError(path, row(i), col.name, "", "is empty", col.allowed())
    if col.kind == "id":
        return text.to_numpy(), missing
    if col.kind in ("int", "float", "bool"):
        filled = text.where(~missing, "nan")
        try:  # the fast path; a cell that is not a number is found by the slow one
            values = filled.astype("float64").to_numpy()
        except ValueError:
            values = pd.to_numeric(filled, errors="coerce").to_numpy(float)
        bad = ~missing & ~np.isfinite(values)
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise PopulationFileError(path, row(i), col.name, text.iloc[i],
                                      "is not a number", col.allowed())
        low, high = (0, 1) if col.kind == "bool" else (col.low, col.high)
        whole = col.kind in ("int", "bool")
        bad = ~missing & ((values < low) | (values > high) | (whole & (values % 1 != 0)))
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise PopulationFileError(path, row(i), col.name, text.iloc[i], "is out of range"
                                      if values[i] % 1 == 0 or not whole else
                                      "is not a whole number", col.allowed())
        return values, missing
    codes = col.codes or ("none", *major_names)
    if col.kind == "code":
        index = {c: k for k, c in enumerate(codes)}
        values = text.map(index)
        bad = ~missing & values.isna().to_numpy()
        if bad.any():
            i = np.flatnonzero(bad)[0]
            raise PopulationFileError(path, row(i), col.name, text.iloc[i],
                                      "is not a known code", ", ".join(codes))
        return values.fillna(-1).to_numpy(np.int16), missing
    # codes: a ';'-separated set, 'none' for the empty set -> a bit mask over CHRONIC
    masks = np.zeros(n, np.uint8)
    for value, where in text[~missing].groupby(text[~missing], sort=False).groups.items():
        bits = 0
        for part in value.split(";"):
            part = part.strip()
            if part == "none":
                continue
            if part not in codes:
                i = frame.index.get_loc(where[0])
                raise PopulationFileError(path, row(i), col.name, value,
                                          f"holds '{part}', not a known code", col.allowed())
            bits |= 1 << codes.index(part)
        masks[frame.index.get_indexer(where)] = bits
    return masks, missing


@dataclass
class Tables:
    """The checked contents of a households and a persons file, in the file's order."""

    hh_path: Path
    persons_path: Path
    hh: dict  # column -> (values, missing) for every household column
    persons: dict  # column -> (values, missing) for every person column
    member_hh: np.ndarray  # household index of each person, persons sorted by household
    order: np.ndarray  # file rows of the persons in that order
    size: np.ndarray  # members per household
    corrected: dict = field(default_factory=dict)  # column -> (count, why)

    @property
    def n_households(self) -> int:
        """Households (rows) in the file."""
        return len(self.size)



def _first_duplicate(ids: np.ndarray) -> int | None:
    seen = pd.Index(ids).duplicated()
    return int(np.flatnonzero(seen)[0]) if seen.any() else None


@lru_cache(maxsize=2)
def _load_cached(hh_path: str, persons_path: str, stamp: tuple, major_names: tuple,
                 townships: int) -> Tables:
    """Read and check both files; every refusal names file, row, column and value.

    Cached on the paths, their (size, mtime) ``stamp`` and the scenario values the checks
    depend on, so a scenario validated several times (overrides, calendar changes) and
    each replication in the same process read a file once; two entries, because the
    tables of 1M households hold about 1.5 GB (benchmarks/bench_population_load.py).
    """
    hp, pp = Path(hh_path), Path(persons_path)
    hframe = _read_table(hp, HOUSEHOLD_COLUMNS)
    pframe = _read_table(pp, PERSON_COLUMNS)
    if not len(hframe):
        raise PopulationFileError(hp, None, "household_id", None, "no households",
                                  "at least one row")
    hh = {c.name: _parse(hp, hframe, c) for c in HOUSEHOLD_COLUMNS}
    persons = {c.name: _parse(pp, pframe, c, major_names) for c in PERSON_COLUMNS}
    ids = hh["household_id"][0]
    i = _first_duplicate(ids)
    if i is not None:
        raise PopulationFileError(hp, i + 2, "household_id", ids[i], "is a duplicate id",
                                  "each household once")
    pid = persons["person_id"][0]
    i = _first_duplicate(pid)
    if i is not None:
        raise PopulationFileError(pp, i + 2, "person_id", pid[i], "is a duplicate id",
                                  "each person once")
    where = pd.Index(ids).get_indexer(persons["household_id"][0])
    if (where < 0).any():
        i = int(np.flatnonzero(where < 0)[0])
        raise PopulationFileError(pp, i + 2, "household_id", persons["household_id"][0][i],
                                  "is not in the households file", f"an id in {hp.name}")
    size = np.bincount(where, minlength=len(ids))
    given, gap = hh["size"]
    bad = ~gap & (given != size) if given is not None else np.zeros(len(ids), bool)
    if bad.any() or (size == 0).any():
        i = int(np.flatnonzero(bad | (size == 0))[0])
        shown = "" if given is None or gap[i] else f"{int(given[i])}"
        raise PopulationFileError(hp, i + 2, "size", shown, f"does not match the {size[i]} "
                                  f"person(s) listed in {pp.name}",
                                  "the number of persons with this household_id (at least 1)")
    town, gap = hh["township"]
    if town is not None and (~gap & (town >= townships)).any():
        i = int(np.flatnonzero(~gap & (town >= townships))[0])
        raise PopulationFileError(hp, i + 2, "township", int(town[i]), "is out of range",
                                  f"0 to {townships - 1} (population.townships)")
    weight, gap = hh["weight"]
    if weight is not None and (gap | (weight <= 0)).any():
        i = int(np.flatnonzero(gap | (weight <= 0))[0])
        raise PopulationFileError(hp, i + 2, "weight", "" if gap[i] else weight[i],
                                  "is missing or not positive", "a number > 0 on every row")
    _check_registry(hp, hh)
    _check_persons(pp, persons)
    order = np.argsort(where, kind="stable")
    tables = Tables(hp, pp, hh, persons, where[order], order, size)
    _check_shares(pp, tables)
    return tables


def _check_registry(path: Path, hh: dict) -> None:
    status, s_gap = hh["registry_status"]
    cause, c_gap = hh["registry_cause"]
    if status is None or cause is None:
        return
    bad = ~s_gap & ~c_gap & (status == STATUSES.index("none"))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PopulationFileError(path, i + 2, "registry_cause", CAUSES[cause[i]],
                                  "is given for a household that was never registered",
                                  "empty when registry_status is 'none'")


def _check_persons(path: Path, persons: dict) -> None:
    diag, d_gap = persons["chronic_diagnosed"]
    man, m_gap = persons["chronic_managed"]
    if man is not None:
        known = ~m_gap & ~(d_gap if diag is not None else True)
        bad = known & ((man & ~(diag if diag is not None else 0)) != 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PopulationFileError(path, i + 2, "chronic_managed", _names(man[i]),
                                      "lists a disease that is not diagnosed",
                                      "diseases also in chronic_diagnosed")
    und, u_gap = persons["chronic_undiagnosed"]
    if und is not None and diag is not None:
        bad = ~u_gap & ~d_gap & ((und & diag) != 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise PopulationFileError(path, i + 2, "chronic_undiagnosed", _names(und[i]),
                                      "lists a disease also diagnosed",
                                      "diseases not in chronic_diagnosed")
    major, j_gap = persons["major_disease"]
    for name in ("major_stage", "major_diagnosed", "major_treatment_months"):
        values, gap = persons[name]
        if values is None:
            continue
        without = ~gap & ((j_gap | (major <= 0)) if major is not None else True)
        if np.any(without):
            i = int(np.flatnonzero(without)[0])
            raise PopulationFileError(path, i + 2, name, "set", "is given without a major "
                                      "disease", "empty unless major_disease names one")


def _names(mask: int) -> str:
    return ";".join(d for k, d in enumerate(CHRONIC) if mask & (1 << k)) or "none"


def _check_shares(path: Path, t: Tables) -> None:
    """Earnings shares: all given or all missing in a household; sums of 1 (±0.05)."""
    share, gap = t.persons["earnings_share"]
    if share is None:
        return
    hh = t.member_hh
    s, g = share[t.order], gap[t.order]
    n = t.n_households
    n_gap = np.bincount(hh, weights=g, minlength=n)
    partly = (n_gap > 0) & (n_gap < t.size)
    total = np.bincount(hh, weights=np.where(g, 0.0, s), minlength=n)
    off = (n_gap == 0) & (np.abs(total - 1) > 0.05)
    if partly.any() or off.any():
        h = int(np.flatnonzero(partly | off)[0])
        row = int(t.order[np.flatnonzero(hh == h)[0]]) + 2
        what = "is missing for some members only" if partly[h] else \
            f"sums to {total[h]:.3f} in household {t.hh['household_id'][0][h]}"
        raise PopulationFileError(path, row, "earnings_share", None, what,
                                  "shares summing to 1 (within 0.05) in each household, or "
                                  "all empty")
    fix = (n_gap == 0) & (np.abs(total - 1) > 1e-3)
    if fix.any():
        t.corrected["earnings_share"] = (int(t.size[fix].sum()), "shares of "
                                         f"{int(fix.sum())} household(s) summing to "
                                         "0.95-1.05 rescaled to sum to 1")


def data_paths(pop: dict) -> tuple[Path, Path]:
    """The households and persons files a scenario's ``[population]`` names."""
    hh = Path(pop["from"])
    if pop["persons"]:
        return hh, Path(pop["persons"])
    if "households" not in hh.name:
        raise ScenarioError(str(hh), "population.persons", "no persons file given, and the "
                            "households file's name does not contain 'households'",
                            "population.persons = the persons file")
    return hh, hh.with_name(hh.name.replace("households", "persons"))


def load_tables(params: dict) -> Tables:
    """The checked tables of the scenario's population files (cached per process)."""
    hh, pp = data_paths(params["population"])
    stamp = tuple((os.stat(p).st_size, os.stat(p).st_mtime_ns) if p.is_file() else None
                  for p in (hh, pp))
    majors = tuple(rec["name"] for rec in params["health"]["major"])
    return _load_cached(str(hh), str(pp), stamp, majors,
                        int(params["population"]["townships"]))


def data_digest(params: dict) -> str:
    """sha256 over the population files' bytes (so a changed file is a changed run)."""
    pop = params["population"]
    if not pop["from"]:
        return ""
    h = hashlib.sha256()
    paths = [*data_paths(pop)] + ([Path(pop["totals"])] if pop["totals"] else [])
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# ---- totals, raking and expansion ------------------------------------------------------------
@dataclass(frozen=True)
class Total:
    """One area total: households matching (group, status, cause), or all persons."""

    quantity: str
    group: str
    status: str
    cause: str
    value: float


def read_totals(path: Path) -> list[Total]:
    """Area totals for raking: ``quantity,group,status,cause,value,source`` rows."""
    if not path.is_file():
        raise PopulationFileError(path, None, "", None, "file not found",
                                  "an existing totals .csv file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for name in TOTALS_COLUMNS:
        if name not in frame.columns:
            raise PopulationFileError(path, 1, name, None, "required column is missing",
                                      "columns " + ", ".join(TOTALS_COLUMNS))
    allowed = {"quantity": ("households", "persons"), "group": ("all", *GROUPS),
               "status": ("all", *STATUSES), "cause": ("all", *CAUSES)}
    out = []
    for i, rec in enumerate(frame.to_dict("records")):
        for name, codes in allowed.items():
            if rec[name].strip() not in codes:
                raise PopulationFileError(path, i + 2, name, rec[name], "is not a known code",
                                          ", ".join(codes))
        try:
            value = float(rec["value"])
        except ValueError:
            value = -1.0
        if not (math.isfinite(value) and value > 0):
            raise PopulationFileError(path, i + 2, "value", rec["value"],
                                      "is not a positive number", "a count > 0")
        if not rec["source"].strip():
            raise PopulationFileError(path, i + 2, "source", "", "is empty",
                                      "where the total comes from")
        t = Total(*(rec[k].strip() for k in ("quantity", "group", "status", "cause")), value)
        if t.quantity == "persons" and (t.group, t.status, t.cause) != ("all",) * 3:
            raise PopulationFileError(path, i + 2, "group", t.group, "persons are one total",
                                      "group, status and cause 'all' for persons")
        out.append(t)
    if not out:
        raise PopulationFileError(path, None, "value", None, "no totals", "at least one row")
    return out


def rake(weights: np.ndarray, X: np.ndarray, totals: np.ndarray, tol: float = 1e-10,
         max_iter: int = 100) -> np.ndarray:
    """Calibrate ``weights`` so that ``X.T @ w == totals`` (raking, exponential distance).

    w_i = d_i exp(x_i . lambda), with lambda found by Newton's method on the calibration
    equations (Deville and Sarndal 1992): the weights stay positive, categorical margins
    (0/1 columns) and continuous totals (household size for persons) are met together,
    and for categorical margins alone the result equals iterative proportional fitting.
    Raises ValueError when the totals cannot be met (e.g. a total for a cell with no
    record).
    """
    d = np.asarray(weights, float)
    X = np.asarray(X, float)
    T = np.asarray(totals, float)
    lam = np.zeros(X.shape[1])
    w = d
    for _ in range(max_iter):
        w = d * np.exp(np.clip(X @ lam, -50, 50))
        gap = X.T @ w - T
        if np.all(np.abs(gap) <= tol * np.maximum(np.abs(T), 1.0)):
            return w
        J = X.T @ (X * w[:, None])
        lam -= np.linalg.lstsq(J, gap, rcond=None)[0]
    raise ValueError("the totals cannot all be met by reweighting (a total for records "
                     "the file does not hold, or totals that contradict each other)")


def integerise(weights: np.ndarray, cells: np.ndarray, n: int, rng,
               sizes: np.ndarray | None = None) -> np.ndarray:
    """Copies of each record so that ``n`` households represent the weighted total.

    Each cell (group x registry status x cause) first gets its share of ``n`` by largest
    remainders, so a cell's count is its weighted total x n / (all weights), rounded, and
    the counts add up to ``n`` exactly (at ``n`` = the weighted total and whole-number cell
    totals, every cell total exactly). Within a cell, each record gets the whole part of
    its expected copies, and the remaining copies go to records drawn without replacement
    with chance proportional to the fractional parts (truncate, replicate, sample).

    With ``sizes`` (persons per record), the drawn copies are then swapped within their
    cells, one for another record that was a candidate, until the persons total is the
    weighted one (scaled to ``n`` and rounded) or no swap brings it closer: cell counts
    stay exact and the persons total becomes exact whenever the candidates allow it.
    """
    w = np.asarray(weights, float) * n / weights.sum()
    uniq, cell = np.unique(cells, return_inverse=True)
    expected = np.bincount(cell, weights=w, minlength=len(uniq))
    target = np.floor(expected + 1e-9).astype(np.int64)
    short = n - target.sum()
    if short > 0:
        target[np.argsort(-(expected - target), kind="stable")[:short]] += 1
    copies = np.zeros(len(w), np.int64)
    drawn = np.zeros(len(w), bool)  # got a copy from the fractional draw
    candidate = np.zeros(len(w), bool)  # had a fractional part
    for c in range(len(uniq)):
        members = np.flatnonzero(cell == c)
        exp_c = w[members] * target[c] / max(w[members].sum(), 1e-300)
        whole = np.floor(exp_c + 1e-9).astype(np.int64)  # 0.9999999999 is one copy
        left = int(target[c] - whole.sum())
        frac = np.maximum(exp_c - whole, 0.0)
        candidate[members[frac > 1e-9]] = True
        while left > 0:
            k = min(left, len(members))
            p = frac + 1e-12
            pick = rng.choice(len(members), size=k, replace=False, p=p / p.sum())
            whole[pick] += 1
            drawn[members[pick]] = True
            left -= k
            frac = np.zeros(len(members))
        copies[members] = whole
    if sizes is not None:
        want = int(round(float(np.asarray(weights, float) @ sizes) * n / weights.sum()))
        _balance_persons(copies, drawn, candidate & ~drawn, cell, np.asarray(sizes), want)
    return copies


def _balance_persons(copies, drawn, spare, cell, sizes, want: int) -> None:
    """Swap drawn copies for spare candidates of the same cell towards ``want`` persons."""
    gap = want - int(copies @ sizes)
    while gap != 0:
        best = None
        for c in np.unique(cell[drawn]):
            out = np.flatnonzero(drawn & (cell == c))
            into = np.flatnonzero(spare & (cell == c))
            if not len(into):
                continue
            change = sizes[into][None, :] - sizes[out][:, None]  # persons gained by a swap
            after = np.abs(gap - change)
            i, j = np.unravel_index(np.argmin(after), after.shape)
            if after[i, j] < abs(gap) and (best is None or after[i, j] < best[0]):
                best = (after[i, j], out[i], into[j])
        if best is None:
            return
        _, i, j = best
        copies[i] -= 1
        copies[j] += 1
        drawn[i], spare[i], drawn[j], spare[j] = False, True, True, False
        gap = want - int(copies @ sizes)


def _totals_design(t: Tables, group, status, cause, totals: list[Total]):
    """The raking matrix: one column per total (0/1 membership, or size for persons)."""
    cols, values = [], []
    for tot in totals:
        if tot.quantity == "persons":
            cols.append(t.size.astype(float))
        else:
            m = np.ones(len(group), bool)
            if tot.group != "all":
                m &= group == GROUPS.index(tot.group)
            if tot.status != "all":
                m &= status == STATUSES.index(tot.status)
            if tot.cause != "all":
                m &= cause == CAUSES.index(tot.cause)
            cols.append(m.astype(float))
        values.append(tot.value)
    return np.column_stack(cols), np.array(values)


def weighted_totals(params: dict, t: Tables | None = None) -> tuple[np.ndarray, float]:
    """The (raked) weights of the file's households and their sum (area households).

    Raking needs each household's group, status and cause: households missing one of
    them are refused here when a totals file is given (a total cannot be matched to a
    record that does not say which it is).
    """
    t = t or load_tables(params)
    pop = params["population"]
    w = t.hh["weight"][0]
    if w is None:
        w = np.ones(t.n_households)
    if not pop["totals"]:
        return w, float(w.sum())
    path = Path(pop["totals"])
    totals = read_totals(path)
    arrays = {}
    for name in ("group", "registry_status", "registry_cause"):
        values, gap = t.hh[name]
        used = any(getattr(x, {"group": "group", "registry_status": "status",
                               "registry_cause": "cause"}[name]) != "all" for x in totals)
        gap = gap & _applies(t, name)
        if used and (values is None or gap.any()):
            row = 1 if values is None else int(np.flatnonzero(gap)[0]) + 2
            raise PopulationFileError(t.hh_path, row, name, "", "is needed to rake the "
                                      f"weights to {path.name}", "a value on every row")
        arrays[name] = values if values is not None else np.zeros(t.n_households, int)
    X, T = _totals_design(t, arrays["group"], arrays["registry_status"],
                          arrays["registry_cause"], totals)
    try:
        raked = rake(w, X, T)
    except ValueError as exc:
        raise PopulationFileError(path, None, "value", None, str(exc),
                                  "totals of households and persons the file holds") from None
    return raked, float(raked.sum())


def is_weighted(params: dict, t: Tables) -> bool:
    """Whether the file is a sample to expand: a weight column, or totals to rake to."""
    return t.hh["weight"][0] is not None or bool(params["population"]["totals"])


def simulated_households(params: dict) -> tuple[int, float]:
    """(households simulated, households of the area) for a scenario's population file."""
    t = load_tables(params)
    if not is_weighted(params, t):  # the file is the area: one row, one household of it
        return t.n_households, float(t.n_households)
    _, total = weighted_totals(params, t)
    n = params["population"]["expand_to"] or max(1, int(round(total)))
    return int(n), total


# ---- building the engine's population -----------------------------------------------------
def population_from_file(params: dict, streams):
    """The engine's Population from the scenario's files, for one replication.

    Weighted files are raked and expanded first; then each missing cell is imputed from
    the region profile (see the module docstring and ``docs/population_format.md``).
    """
    from sim import population as synth

    t = load_tables(params)
    rng = streams["population"].generator(2)
    pop, inc = params["population"], params["income"]
    if is_weighted(params, t):
        w, _ = weighted_totals(params, t)
        n, _ = simulated_households(params)
        status0 = _col(t.hh, "registry_status", -1)
        cause0 = _col(t.hh, "registry_cause", -1)
        group0 = _col(t.hh, "group", -1)
        cells = (group0.astype(np.int64) + 1) * 100 + (status0 + 1) * 10 + cause0 + 1
        copies = integerise(w, cells, n, streams["population"].generator(3), t.size)
    else:
        copies = np.ones(t.n_households, np.int64)
    rec = np.repeat(np.arange(t.n_households), copies)  # file record of each household
    n_hh = len(rec)
    sizes = t.size[rec]
    first = np.concatenate([[0], np.cumsum(t.size)[:-1]])
    # persons of each simulated household, in the sorted order of the file's persons
    prow = t.order[np.repeat(first[rec], sizes) + _ranks(sizes)]
    hh = np.repeat(np.arange(n_hh, dtype=np.int32), sizes)

    def H(name, fill=np.nan):
        values, gap = t.hh[name]
        if values is None:
            return np.full(n_hh, fill, float), np.ones(n_hh, bool)
        return values[rec], gap[rec]

    def P(name, fill=np.nan):
        values, gap = t.persons[name]
        if values is None:
            return np.full(len(prow), fill), np.ones(len(prow), bool)
        return values[prow], gap[prow]

    status, s_gap = H("registry_status", -1)
    group, g_gap = H("group", -1)
    status, group = status.astype(np.int64), group.astype(np.int64)
    reg_share = synth._by_group(pop["registered_poor_share"])
    old_share = synth._by_group(pop["formerly_poor_share"])
    p_status = np.column_stack([reg_share, old_share, 1 - reg_share - old_share])
    p_status = np.clip(p_status, 0, None)
    if g_gap.any():  # P(group | status) is proportional to share x P(status | group)
        shares = synth._shares(pop["group_shares"], GROUPS)
        known = ~s_gap & g_gap
        for s in range(len(STATUSES)):
            sel = np.flatnonzero(known & (status == s))
            p = shares * p_status[:, s]
            p = p / p.sum() if p.sum() > 0 else shares
            group[sel] = rng.choice(len(GROUPS), size=len(sel), p=p)
        sel = np.flatnonzero(g_gap & s_gap)
        group[sel] = rng.choice(len(GROUPS), size=len(sel), p=shares)
    if s_gap.any():
        u = rng.random(n_hh)
        cum = np.cumsum(p_status[group], axis=1)
        drawn = (u[:, None] >= cum[:, :-1]).sum(axis=1)
        status = np.where(s_gap, drawn, status)

    age, a_gap = P("age")
    if a_gap.any():
        age[a_gap] = synth._draw_ages(rng, pop["age_bands"], int(a_gap.sum()))
        # as in the synthetic population, a household gets an adult: its first member,
        # if that age was drawn (a given age is never changed)
        no_adult = np.bincount(hh, weights=age >= 18, minlength=n_hh) == 0
        first_p = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        fix = first_p[no_adult & a_gap[first_p]]
        adult = {k: (0.0 if k == "0-14" else v) for k, v in pop["age_bands"].items()}
        if sum(adult.values()) == 0:
            adult = {k: float(k == "15-44") for k in adult}
        age[fix] = np.maximum(synth._draw_ages(rng, adult, len(fix)), 18)
    age = age.astype(np.int16)
    sex, x_gap = P("sex", -1)
    female = np.where(x_gap, rng.random(len(prow)) < pop["female_share"], sex == 0)

    chronic, diagnosed, managed = _chronic(rng, params, P, age)
    major, late, found, months = _major(rng, params, P, age, female)

    share, e_gap = P("earnings_share")
    default_share, hh_capacity = synth.capacity_shares(age, hh, sizes, params)
    share = np.where(e_gap, default_share, share)
    total = np.bincount(hh, weights=share, minlength=n_hh)
    share = np.where(np.abs(total[hh] - 1) > 1e-3, share / np.maximum(total[hh], 1e-12),
                     share).astype(np.float32)

    earned, i_gap = H("earned_yuan")
    shock, k_gap = H("income_shock")
    drawn_pp, drawn_shock = synth.draw_earnings(rng, params, group, n_hh)
    median = synth._by_group(inc["earned_median_yuan"])[group]
    deviation = np.log(np.maximum(np.where(i_gap, 1.0, earned) / sizes, 1e-9) /
                       np.maximum(median, 1e-9))
    cond_shock = _shock_given(rng, params, group, deviation)
    shock = np.where(k_gap, np.where(i_gap, drawn_shock, cond_shock), shock)
    earned = np.where(i_gap, synth.capacity_earnings(drawn_pp, hh_capacity, sizes), earned)

    transfers, tr_gap = H("transfers_yuan_pp")
    transfers = np.where(tr_gap, synth._by_group(inc["transfers_yuan"])[group], transfers)
    programme, pr_gap = H("programme_yuan_pp")
    programme = np.where(pr_gap, 0.0, programme)
    savings, sv_gap = H("savings")
    savings = np.where(sv_gap, rng.random(n_hh) < synth._by_group(pop["savings_share"])[group],
                       savings == 1)
    distance, d_gap = H("distance_km")
    distance = np.where(d_gap, pop["distance_km_median"] * np.exp(
        pop["distance_km_log_sd"] * rng.standard_normal(n_hh)), distance)
    township, t_gap = H("township")
    township = np.where(t_gap, rng.integers(0, pop["townships"], size=n_hh), township)
    monitored, m_gap = H("monitored")
    monitored = ~m_gap & (monitored == 1)

    registered = status == 0
    formerly = status == 1
    cause, c_gap = H("registry_cause", -1)
    drawn_cause = synth._recorded_cause(rng, params, hh, chronic, diagnosed, n_hh)
    cause_illness = np.where(c_gap, drawn_cause, cause == 0) & (registered | formerly)

    insured, n_gap = P("insured", -1)
    insured_known = np.where(n_gap, -1, insured).astype(np.int8)

    persons = synth.Persons(
        hh=hh, age=age, female=female, alive=np.ones(len(hh), bool),
        born=np.ones(len(hh), bool), chronic=chronic, diagnosed=diagnosed, managed=managed,
        major=major, major_late=late, major_found=found, major_months=months,
        earn_share=share, death_month=np.full(len(hh), -1, np.int16),
        insured_known=insured_known)
    slots = synth.birth_slots(params, hh, sizes, age, female)
    persons = synth._with_birth_slots(persons, sizes, slots)
    households = synth.Households(
        group=group.astype(np.int8), formerly_poor=formerly, registered=registered,
        cause_illness=cause_illness, monitored=monitored,
        township=township.astype(np.int32), size=sizes.astype(np.int16), savings=savings,
        distance_km=distance.astype(np.float32), earned_year=earned.astype(np.float64),
        transfer_pp_year=transfers.astype(np.float32),
        programme_pp_year=programme.astype(np.float32), shock=shock.astype(np.float32))
    return synth.Population(persons, households, slots.astype(np.int64))


def _col(table: dict, name: str, fill) -> np.ndarray:
    values, gap = table[name]
    if values is None:
        return np.full(len(gap), fill, np.int64)
    return np.where(gap, fill, values).astype(np.int64)


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, ..., size-1 for each household in turn."""
    starts = np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.arange(int(sizes.sum())) - starts


def _shock_given(rng, params: dict, group, deviation) -> np.ndarray:
    """The income shock drawn given a known deviation of log income from the median.

    The same bivariate normal as :func:`sim.population.draw_earnings`: the shock's
    conditional mean is deviation x var_shock / var_total.
    """
    inc = params["income"]
    from sim.population import _by_group

    sd_total = np.maximum(_by_group(inc["earned_log_sd"])[group], 1e-9)
    rho, sd_eps = inc["shock_persistence"], inc["shock_sd"]
    var_shock = np.minimum(sd_eps**2 / max(1.0 - rho * rho, 1e-9), sd_total**2)
    var_total = sd_total**2
    return deviation * var_shock / var_total + np.sqrt(
        var_shock * (var_total - var_shock) / var_total) * rng.standard_normal(len(group))


def _chronic(rng, params: dict, P, age):
    """Chronic disease masks: known diagnoses kept, the rest drawn given what is known."""
    from sim.population import age_band_index, draw_chronic

    diagnosed, d_gap = P("chronic_diagnosed", 0)
    managed, m_gap = P("chronic_managed", 0)
    undiag, u_gap = P("chronic_undiagnosed", 0)
    drawn_c, drawn_d, drawn_m = draw_chronic(rng, params["health"]["chronic"], age)
    diagnosed = np.where(d_gap, drawn_d, diagnosed).astype(np.uint8)
    band = age_band_index(age)
    u = rng.random((len(age), len(CHRONIC)))
    v = rng.random((len(age), len(CHRONIC)))
    undrawn = np.zeros(len(age), np.uint8)
    mdrawn = np.zeros(len(age), np.uint8)
    for d, name in enumerate(CHRONIC):
        p = params["health"]["chronic"][name]
        prev = np.array([p["prevalence"][b] for b in AGE_BANDS])[band]
        q = prev * (1 - p["diagnosed_share"]) / np.maximum(1 - prev * p["diagnosed_share"],
                                                            1e-12)
        bit = np.uint8(1 << d)
        undrawn[u[:, d] < q] |= bit
        mdrawn[v[:, d] < p["managed_share"]] |= bit
    # a whole person drawn: the synthetic draw; otherwise fill around the known diagnoses
    undiag = np.where(u_gap, np.where(d_gap, drawn_c & ~drawn_d, undrawn & ~diagnosed),
                      undiag).astype(np.uint8)
    managed = np.where(m_gap, np.where(d_gap, drawn_m, mdrawn & diagnosed),
                       managed).astype(np.uint8)
    return (diagnosed | undiag).astype(np.uint8), diagnosed, managed


def _major(rng, params: dict, P, age, female):
    """Major disease state: given ones kept (stage, diagnosis, months filled), else drawn."""
    from sim.population import draw_major

    majors = params["health"]["major"]
    code, c_gap = P("major_disease", 0)
    drawn = draw_major(rng, params["health"], age, female)
    major = np.where(c_gap, drawn[0], code.astype(np.int64) - 1).astype(np.int8)
    stage, s_gap = P("major_stage", -1)
    found_in, f_gap = P("major_diagnosed", -1)
    months_in, m_gap = P("major_treatment_months", -1)
    k = np.maximum(major, 0)
    early = np.array([r["early_share"] for r in majors] or [1.0])[k]
    late = np.where(s_gap, rng.random(len(age)) >= early, stage == 1)
    found = np.where(f_gap, True, found_in == 1)
    months = np.where(m_gap, np.where(found, 0, -1), months_in)
    given = ~c_gap & (major >= 0)
    late = np.where(c_gap, drawn[1], late & given)
    found = np.where(c_gap, drawn[2], found & given)
    months = np.where(c_gap, drawn[3], np.where(given, months, -1)).astype(np.int16)
    return major, late, found, months


# ---- the load report and the writer -----------------------------------------------------------
def load_report(params: dict) -> pd.DataFrame:
    """What was read, imputed, corrected and expanded: counts only (no ids, no rows).

    Columns ``table, column, rows, given, imputed, corrected, how``: ``imputed`` counts
    the cells drawn from the region profile (``how`` says from what); ``corrected`` the
    cells changed, and why. Rows ``expansion`` give the households in the file, their
    weighted total and the households simulated.
    """
    t = load_tables(params)
    rows = []
    for table, cols, data, n in (("households", HOUSEHOLD_COLUMNS, t.hh, t.n_households),
                                 ("persons", PERSON_COLUMNS, t.persons, len(t.order))):
        for col in cols:
            values, gap = data[col.name]
            if col.name == "weight" and values is None:
                continue
            n_gap = int((gap & _applies(t, col.name)).sum())
            count, why = t.corrected.get(col.name, (0, ""))
            how = ("column absent: " if values is None else "") + col.missing if n_gap else ""
            rows.append({"table": table, "column": col.name, "rows": n, "given": n - n_gap,
                         "imputed": n_gap, "corrected": count,
                         "how": "; ".join(x for x in (how, why) if x)})
    n, total = simulated_households(params)
    rows.append({"table": "expansion", "column": "households", "rows": t.n_households,
                 "given": t.n_households, "imputed": 0, "corrected": 0,
                 "how": (f"weighted total {total:,.1f} households"
                         + (" (raked to the totals file)" if params["population"]["totals"]
                            else "") + f"; {n:,} simulated (scale {total / n:.4g})")
                 if is_weighted(params, t) else f"unweighted: the file is the area, "
                 f"{n:,} households simulated (scale 1)"})
    return pd.DataFrame(rows, columns=["table", "column", "rows", "given", "imputed",
                                       "corrected", "how"])


def _applies(t: Tables, name: str) -> np.ndarray | bool:
    """Rows where a cell of ``name`` is expected (a gap elsewhere is not missing).

    A cause only for registered or formerly poor households (or an unknown status); a
    stage, diagnosis and months only for a named major disease (or an unknown one).
    """
    if name == "registry_cause":
        status, gap = t.hh["registry_status"]
        return True if status is None else gap | (status != STATUSES.index("none"))
    if name.startswith("major_") and name != "major_disease":
        major, gap = t.persons["major_disease"]
        return True if major is None else gap | (major > 0)
    return True


def write_population(population, params: dict, folder: str | Path, stem: str = "population",
                     weights: np.ndarray | None = None) -> tuple[Path, Path]:
    """Write a Population (its members at the start) in the file format.

    Person-level output is never written by a run; this is the explicit way to export one
    (e.g. the synthetic example county, or a round-trip test). Values are written with
    enough digits to read back exactly. Returns the households and persons paths.
    """
    from sim.population import NO_MAJOR

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    major_names = [rec["name"] for rec in params["health"]["major"]]
    H, P = population.households, population.persons
    ids = np.array([f"H{i:07d}" for i in range(H.n)])
    status = np.where(H.registered, 0, np.where(H.formerly_poor, 1, 2))
    reg = status < 2
    hh = pd.DataFrame({
        "household_id": ids, "size": H.size, "group": np.array(GROUPS)[H.group],
        "registry_status": np.array(STATUSES)[status],
        "registry_cause": np.where(reg, np.where(H.cause_illness, "illness", "other"), ""),
        "monitored": H.monitored.astype(int), "township": H.township,
        "distance_km": H.distance_km, "earned_yuan": H.earned_year,
        "transfers_yuan_pp": H.transfer_pp_year, "programme_yuan_pp": H.programme_pp_year,
        "savings": H.savings.astype(int), "income_shock": H.shock,
    })
    if weights is not None:
        hh["weight"] = weights
    live = np.flatnonzero(P.born & P.alive)
    codes = np.array([_names(m) for m in range(1 << len(CHRONIC))], dtype=object)
    major = P.major[live]
    has = major != NO_MAJOR
    persons = pd.DataFrame({
        "person_id": np.array([f"P{i:08d}" for i in range(len(live))]),
        "household_id": ids[P.hh[live]], "age": P.age[live],
        "sex": np.where(P.female[live], "F", "M"), "earnings_share": P.earn_share[live],
        "insured": np.where(P.insured_known[live] < 0, "",
                            P.insured_known[live].astype(str)),
        "chronic_diagnosed": codes[P.diagnosed[live]],
        "chronic_managed": codes[P.managed[live]],
        "chronic_undiagnosed": codes[(P.chronic & ~P.diagnosed)[live]],
        "major_disease": np.array(["none", *major_names], dtype=object)[major + 1],
        "major_stage": np.where(has, np.where(P.major_late[live], "late", "early"), ""),
        "major_diagnosed": np.where(has, P.major_found[live].astype(int).astype(str), ""),
        "major_treatment_months": np.where(has, P.major_months[live].astype(str), ""),
    })
    paths = folder / f"{stem}_households.csv", folder / f"{stem}_persons.csv"
    hh.to_csv(paths[0], index=False)
    persons.to_csv(paths[1], index=False)
    return paths
