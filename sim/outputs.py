"""The output folder of a run: one run's files, complete or not there at all.

A run writes into a staging folder beside ``--out`` (same parent, so the same file
system) and moves it into place only when every file is written: on Linux the old and the
new folder are swapped in one step (``renameat2(RENAME_EXCHANGE)``), so a reader, or a run
killed at any moment, sees either the complete old outputs or the complete new ones. The
folder then holds that run's files only (no figures left from an earlier run), plus
``reps/``, the store of finished replications, which stays in ``--out`` for the whole run
so that an interrupted run resumes.

A lock file beside the folder (``.<name>.lock``) lets one run at a time write to it; a
second run stops at once with a message naming the folder and the other run's process.
Staging folders left by a killed run are removed by the next run into the same folder.

A folder that holds anything else than a run's outputs is refused, so that ``--out .`` or
``--out ~`` never replaces a folder of other files. Writability is checked before any
simulation: the staging folder and a probe file in the store are created first.

The columns of every table are fixed here (:data:`SUMMARY_COLUMNS`, :data:`EVENT_COLUMNS`,
:func:`monthly_columns`, :func:`annual_columns`): the same for one replication or many,
with or without events.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

#: summary.csv: mean over replications, 95% t-interval of the mean, 2.5-97.5% range.
SUMMARY_COLUMNS = ("indicator", "value", "unit", "ci_lo", "ci_hi", "range_lo", "range_hi")
#: events.csv; ``detail`` holds any other fields of an event as ``key=value; ...``.
EVENT_COLUMNS = ("month", "event", "name", "note", "year", "refused_households", "detail",
                 "rep")
#: Files a run writes (besides the store folder ``reps/``).
TABLES = ("summary.csv", "monthly.csv", "annual.csv", "events.csv")
FIGURES = ("states.png", "returns.png", "spending.png")
#: Counts of what a population file supplied, imputed and corrected (runs from data only).
POPULATION_REPORT = "population_report.csv"
OUTPUT_FILES = frozenset((*TABLES, *FIGURES, "scenario.json", POPULATION_REPORT))
STORE_DIR = "reps"


def monthly_columns(indicators) -> list[str]:
    """monthly.csv: month, year, group, every declared indicator, rep."""
    return ["month", "year", "group", *[i.name for i in indicators], "rep"]


def annual_columns(indicators) -> list[str]:
    """annual.csv: year, group, every declared indicator, the yearly counts, rates, rep."""
    from sim.results import ANNUAL_INDICATORS, RATES

    return ["year", "group", *[i.name for i in indicators],
            *[i.name for i in ANNUAL_INDICATORS], *[r[0] for r in RATES], "rep"]


class OutputError(Exception):
    """The output folder cannot be used; the message names it and what is allowed."""


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        return libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b),
                              rename_exchange) == 0
    except (OSError, AttributeError):
        return False


class OutputFolder:
    """``--out`` for one run: lock, staging, and the swap into place (a context manager).

    Use as ``with OutputFolder(out) as target: ...write into target.staging...;
    target.commit()``. Leaving the block without ``commit`` (an error, Ctrl-C) removes
    the staging folder and leaves ``out`` as it was, apart from replications added to the
    store.
    """

    def __init__(self, out: str | Path, flag: str = "--out"):
        self.out = Path(out).absolute()
        self.flag = flag
        self.parent = self.out.parent
        self.lock_path = self.parent / f".{self.out.name}.lock"
        self.staging = self.parent / f".{self.out.name}.staging-{os.getpid()}"
        self.store = self.out / STORE_DIR
        self._lock_fh = None
        self._swapped = False

    # ---- checks and set-up -------------------------------------------------------------
    def _fail(self, problem: str, allowed: str) -> OutputError:
        return OutputError(f"{self.flag} {self.out}: {problem}; allowed: {allowed}")

    def __enter__(self) -> OutputFolder:
        if self.out.exists() and not self.out.is_dir():
            raise self._fail("is a file, not a folder", "a folder (new, empty, or a previous "
                             "run's outputs)")
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._fail(f"cannot create the folder ({exc.strerror or exc})",
                             "a path inside a writable folder") from None
        self._lock()
        try:
            self._check_contents()
            self._clean_leftovers()
            self._probe()
        except BaseException:
            self._unlock()
            raise
        return self

    def _lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        try:
            fh = open(self.lock_path, "a+")
        except OSError as exc:
            raise self._fail(f"cannot create the lock file {self.lock_path.name} "
                             f"({exc.strerror or exc})", "a folder inside a writable "
                             "folder") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            other = fh.read().strip() or "?"
            fh.close()
            raise self._fail(f"another run (process {other}) is writing to this folder",
                             "wait until it has finished, or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self._lock_fh = fh

    def _unlock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()  # closing releases the lock
            self._lock_fh = None

    def _check_contents(self) -> None:
        if not self.out.is_dir():
            return
        foreign = sorted(p.name for p in self.out.iterdir()
                         if p.name not in OUTPUT_FILES and p.name != STORE_DIR
                         and not p.name.startswith(".probe-"))  # a killed run's probe
        if foreign:
            shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise self._fail(f"holds files that are not a run's outputs ({shown})",
                             "a new or empty folder, or the output folder of a previous run")

    def _leftovers(self):
        for prefix in (f".{self.out.name}.staging-", f".{self.out.name}.old-"):
            yield from self.parent.glob(prefix + "*")

    def _clean_leftovers(self) -> None:
        """Remove what a killed run left (under the lock, no other run is using it).

        A run killed between the two renames of :meth:`commit` (where the swap is not
        available) left no ``out``: its old folder is put back. Replications kept in a
        leftover are moved back into the store.
        """
        for path in self._leftovers():
            if not path.is_dir():
                continue
            if ".old-" in path.name and not self.out.exists():
                os.rename(path, self.out)
                continue
            kept = path / STORE_DIR
            if kept.is_dir() and self.out.is_dir() and not self.store.exists():
                os.rename(kept, self.store)
            shutil.rmtree(path, ignore_errors=True)

    def _probe(self) -> None:
        """Create the staging folder and, if the folder exists, a file in it."""
        try:
            self.staging.mkdir()
            (self.staging / ".probe").write_bytes(b"")
            (self.staging / ".probe").unlink()
            if self.out.is_dir():
                probe = self.out / f".probe-{os.getpid()}"
                probe.write_bytes(b"")
                probe.unlink()
        except OSError as exc:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise self._fail(f"not writable ({exc.strerror or exc})",
                             "a folder this user can write to") from None

    def store_folder(self) -> Path:
        """The store of finished replications, ``out/reps`` (created, and checked)."""
        try:
            self.store.mkdir(parents=True, exist_ok=True)
            probe = self.store / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise self._fail(f"cannot keep replications in {STORE_DIR}/ "
                             f"({exc.strerror or exc})",
                             "a writable folder, or --no-store") from None
        return self.store

    # ---- finishing ---------------------------------------------------------------------
    def commit(self) -> None:
        """Put the staged outputs in place of ``out`` in one step; keep the store."""
        if not self.out.exists():
            os.rename(self.staging, self.out)
            return
        self._swapped = True  # from here on, the staging name may hold the old outputs
        if _exchange(self.staging, self.out):
            old = self.staging  # which now holds the old folder
        else:  # two renames; a run killed between them is repaired by the next run
            old = self.parent / f".{self.out.name}.old-{os.getpid()}"
            os.rename(self.out, old)
            os.rename(self.staging, self.out)
        if (old / STORE_DIR).is_dir() and not self.store.exists():
            os.rename(old / STORE_DIR, self.store)
        shutil.rmtree(old, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        if not self._swapped:
            shutil.rmtree(self.staging, ignore_errors=True)
        self._unlock()
