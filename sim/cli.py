"""Command line: ``python -m sim run|check|scenarios|keys``.

``run`` simulates a scenario, prints a summary table and writes ``summary.csv``,
``monthly.csv``, ``annual.csv``, ``events.csv``, the resolved ``scenario.json`` and PNG
figures into ``--out``; finished replications are kept in ``--out``/reps/ so that an
interrupted run resumes. Bad input (unknown key, value out of range, missing file, bad
option) prints one line naming the file, the key and what is allowed, and exits with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from sim.schema import ScenarioError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; use a whole number >= 1")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"{value} is not allowed; use 0 to 4294967295")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog="python -m sim",
        description="Simulate illness-caused return to poverty under health poverty "
                    "alleviation measures.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="simulate a scenario and write results")
    run.add_argument("scenario", nargs="?", default=None,
                     help="scenario file or built-in name (default: transition_2021_2025)")
    run.add_argument("--calendar", default=None, metavar="NAME",
                     help="add a calendar overlay (file, or hold/taper/withdraw in "
                          "scenarios/calendars/)")
    run.add_argument("--households", type=_positive_int, default=None,
                     help="households to simulate (default: the scenario's)")
    run.add_argument("--seed", type=_seed, default=0, help="first seed (default 0)")
    run.add_argument("--reps", type=_positive_int, default=5,
                     help="replications with seeds seed..seed+reps-1 (default 5)")
    run.add_argument("--workers", type=_positive_int, default=1,
                     help="processes running replications in parallel (default 1)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter, e.g. "
                     "payment.assistance.ratio=0.8 (repeatable)")
    run.add_argument("--out", default="out/default",
                     help="output folder (default out/default, as `make run`)")
    run.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    run.add_argument("--no-store", action="store_true",
                     help="do not keep finished replications in OUT/reps/ (kept by default, "
                          "so an interrupted run resumes where it stopped)")
    run.add_argument("--quiet", action="store_true", help="no progress bar or table")

    check = sub.add_parser("check", help="validate a scenario without running it")
    check.add_argument("scenario", nargs="?", default=None)
    check.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE")

    sub.add_parser("scenarios", help="list the built-in scenarios, calendars and measures")
    keys = sub.add_parser("keys", help="list every scenario key with its unit and meaning")
    keys.add_argument("prefix", nargs="?", default="", help="only keys starting with this")
    return parser


class UsageError(Exception):
    """A bad command line (unknown option, bad number): one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is an exception (one line, no usage dump, no SystemExit)."""

    def error(self, message):
        """Raise instead of printing usage and exiting."""
        raise UsageError(f"{message} (see: {self.prog} --help)")


#: Command-line flags of run arguments, for messages.
FLAGS = {"households": "--households", "reps": "--reps", "seed": "--seed",
         "workers": "--workers"}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code.

    0: done; 2: refused input (one line naming the file, key or flag, the value and what
    is allowed); 130: interrupted by Ctrl-C, 143: stopped by SIGTERM (finished
    replications are kept in both cases).
    """
    from sim.outputs import OutputError
    from sim.runner import RunArgumentError

    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        return _error(str(exc))
    except RunArgumentError as exc:
        return _error(exc.message(FLAGS.get(exc.arg, exc.arg)))
    except (ScenarioError, OutputError) as exc:
        return _error(str(exc))
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({_why(exc)}); finished replications are kept in OUT/reps/: run "
              "the same command again to resume", file=sys.stderr)
        return 128 + getattr(exc, "signum", 2)
    except BrokenPipeError:
        _quiet_stdout()  # e.g. `python -m sim scenarios | head -1`: stop silently
        return 0
    except OSError as exc:
        return _error(f"{exc.filename or ''}: {exc.strerror or exc}")


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. a batch system's time limit), handled like Ctrl-C."""

    signum = 15


def _why(exc: BaseException) -> str:
    return "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """While running, SIGTERM stops like Ctrl-C: staging removed, finished work kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _error(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return 2


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _run(args) -> int:
    from sim.outputs import OutputFolder
    from sim.runner import ReplicationStore, check_run_args, run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.calendar:
        scenario = scenario.with_calendar(args.calendar)
    check_run_args(scenario, args.reps, args.seed, args.households, args.workers)
    seeds = [args.seed + r for r in range(args.reps)]
    with _sigterm_as_interrupt(), OutputFolder(args.out) as target:
        store = None if args.no_store else target.store_folder()
        keeper = ReplicationStore(store, scenario, args.households) if store else None
        if not args.quiet:
            tl = scenario.timeline
            n = args.households or scenario.params["population"]["households"]
            print(f"{scenario.name}: {n:,} households x {tl.n_months} months "
                  f"({tl.warmup} warm-up), {args.reps} replication(s), seeds "
                  f"{args.seed}..{seeds[-1]}", file=sys.stderr)
            found = sum(keeper.has(s) for s in seeds) if keeper else 0
            if found:
                print(f"resuming: {found} of {args.reps} replication(s) already in "
                      f"{store}/", file=sys.stderr)
        try:
            res = run(scenario, reps=args.reps, seed=args.seed, households=args.households,
                      workers=args.workers, progress=not args.quiet, store=store)
        except KeyboardInterrupt as exc:
            kept = sum(keeper.has(s) for s in seeds) if keeper else 0
            where = f"kept in {store}/; run the same command again to resume" if keeper \
                else "not kept (--no-store)"
            print(f"\ninterrupted ({_why(exc)}): {kept} of {args.reps} finished "
                  f"replication(s) {where}", file=sys.stderr)
            return 128 + getattr(exc, "signum", 2)
        written = write_outputs(res, scenario, target.staging, figures=not args.no_figures)
        target.commit()
        if keeper:
            keeper.prune(seeds)  # the folder holds this run's replications only
    if not args.quiet:
        print(format_summary(res))
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}/")
    return 0


def write_outputs(res, scenario, out: Path, figures: bool = True) -> list[Path]:
    """Write the tables, the resolved scenario and the figures of a run into ``out``."""
    out = Path(out)
    paths = res.to_csv(out)
    path = out / "scenario.json"
    path.write_text(scenario.to_json(), encoding="utf-8")
    paths.append(path)
    if figures:
        from sim.plots import save_figures

        paths += save_figures(res, out)
    return paths


def _fmt(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "n/a"
    if unit.startswith("yuan"):
        return f"{value / 1e6:,.2f} M"
    if unit.startswith(("share", "per ", "managed")):
        return f"{value * 100:.2f}%"
    return f"{value:,.0f}"


def format_summary(res) -> str:
    """The summary as an aligned text table: mean, 95% CI of the mean, range across reps.

    With one replication the intervals are n/a (see :mod:`sim.intervals`).
    """
    df = res.summary
    rows = [("indicator", "value", "95% CI of mean", "range (2.5-97.5%)", "unit")]
    for r in df.itertuples():
        unit = r.unit.replace("yuan", "yuan (M = million)") if r.unit.startswith("yuan") \
            else r.unit
        ci = f"{_fmt(r.ci_lo, r.unit)} - {_fmt(r.ci_hi, r.unit)}" if r.ci_lo == r.ci_lo \
            else "n/a"
        rng = f"{_fmt(r.range_lo, r.unit)} - {_fmt(r.range_hi, r.unit)}" \
            if r.range_lo == r.range_lo else "n/a"
        rows.append((r.indicator, _fmt(r.value, r.unit), ci, rng, unit))
    widths = [max(len(row[k]) for row in rows) for k in range(4)]
    lines = []
    for i, (a, b, c, d, e) in enumerate(rows):
        lines.append(f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  "
                     f"{d:>{widths[3]}}  {e}")
        if i == 0:
            lines.append("-" * len(lines[0]))
    meta = res.meta
    lines.append(f"\n{meta['reps']} replication(s) of {meta['households']:,} households, "
                 f"{meta['start']} to {meta['end']}; counts and money scaled "
                 f"x{meta['scale']:.2f} to the area. Value: mean over replications; 95% CI: "
                 "t-interval of that mean (chance only); range: 2.5-97.5% across "
                 "replications; n/a with one replication.")
    return "\n".join(lines)


def _check(args) -> int:
    from sim.scenario import load_scenario

    scn = load_scenario(args.scenario, args.overrides)
    print(f"{scn.path}: valid ({len(scn.changes)} calendar change(s))")
    return 0


def _scenarios(args) -> int:
    import tomllib

    from sim.policies import REGISTRY
    from sim.scenario import CALENDAR_DIR, SCENARIO_DIR, load_scenario

    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        scn = load_scenario(path)
        print(f"{path.stem:<32} {scn.params['scenario']['description']}")
    print("\ncalendars (--calendar):")
    for path in sorted(CALENDAR_DIR.glob("*.toml")):
        with open(path, "rb") as fh:
            print(f"{path.stem:<32} {tomllib.load(fh).get('description', '')}")
    print("\nmeasures (--set policies.<name>.enabled=false):")
    for name, cls in REGISTRY.items():
        print(f"{name:<32} {cls.title}")
    return 0


def _keys(args) -> int:
    import difflib

    from sim.scenario import schema
    from sim.schema import walk

    everything = list(walk(schema()))
    matched = [(key, node) for key, node in everything if key.startswith(args.prefix)]
    if not matched:
        names = [key for key, _ in everything]
        close = [n for n in names if args.prefix and args.prefix in n][:3] or \
            difflib.get_close_matches(args.prefix, names, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        sections = ", ".join(schema().children)
        raise ScenarioError("keys", args.prefix, "no scenario key starts with this",
                            f"{hint}a key starting with one of: {sections}")
    for key, node in matched:
        print(f"{key:<58} {node.describe()}")
        if node.doc:
            print(f"{'':<58}   {node.doc}")
    return 0


COMMANDS = {"run": _run, "check": _check, "scenarios": _scenarios, "keys": _keys}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
