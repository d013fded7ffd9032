"""Command line: ``python -m sim run|check|scenarios|keys|calibrate|batch|...|registry``.

The analyses are ``batch``, ``effects``, ``budget``, ``compare`` and ``registry``.

``run`` simulates a scenario, prints a summary table and writes ``summary.csv``,
``monthly.csv``, ``annual.csv``, ``events.csv``, the resolved ``scenario.json`` and PNG
figures into ``--out``; finished replications are kept in ``--out``/reps/ so that an
interrupted run resumes. ``calibrate`` fits a scenario's declared priors to a targets file
(``models.calibration``) and writes ``posterior.csv``, ``fit.csv``, ``diagnostics.csv`` and
figures; ``run --posterior`` draws each replication's parameters from such a posterior.
``registry`` decomposes the change of the registry's illness-poor count between two months
and estimates the health measures' part of it from paired runs (``models.registry``). Bad
input (unknown key, value out of range, missing file, bad
option) prints one line naming the file, the key and what is allowed, and exits with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
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
    run.add_argument("--population", default=None, metavar="HOUSEHOLDS.csv",
                     help="start from this households file (persons file beside it, "
                          "'households' in its name replaced by 'persons'; see "
                          "docs/population_format.md) instead of the scenario's population")
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
    run.add_argument("--posterior", default=None, metavar="FILE",
                     help="draw each replication's parameters from a calibration posterior "
                          "(posterior.csv of `calibrate`), so that intervals carry parameter "
                          "uncertainty (replications are then not kept in OUT/reps/)")

    check = sub.add_parser("check", help="validate a scenario without running it")
    check.add_argument("scenario", nargs="?", default=None)
    check.add_argument("--population", default=None, metavar="HOUSEHOLDS.csv",
                     help="start from this households file (persons file beside it, "
                          "'households' in its name replaced by 'persons'; see "
                          "docs/population_format.md) instead of the scenario's population")
    check.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE")

    cal = sub.add_parser("calibrate", help="fit a scenario's [[calibration.parameters]] to "
                         "observed targets (ABC-SMC) and write the posterior and fit")
    cal.add_argument("scenario", help="scenario file or built-in name, with priors in "
                     "[[calibration.parameters]]")
    cal.add_argument("--targets", required=True, metavar="CSV",
                     help="observed targets (date, quantity, value, ...; see the README)")
    cal.add_argument("--out", default="out/calibrate", help="output folder (default "
                     "out/calibrate); its abc.db makes an interrupted fit resume")
    cal.add_argument("--households", type=_positive_int, default=None,
                     help="households per simulation (default: the scenario's)")
    cal.add_argument("--population", default=None, metavar="HOUSEHOLDS.csv",
                     help="start from this households file (persons file beside it, "
                          "'households' in its name replaced by 'persons'; see "
                          "docs/population_format.md) instead of the scenario's population")
    cal.add_argument("--populations", type=_positive_int, default=100, metavar="N",
                     help="particles per generation (default 100)")
    cal.add_argument("--generations", type=_positive_int, default=4, metavar="N",
                     help="ABC-SMC generations (default 4)")
    cal.add_argument("--predictive", type=_positive_int, default=100, metavar="N",
                     help="posterior predictive simulations (default 100)")
    cal.add_argument("--seed", type=_seed, default=0, help="the fit's seed (default 0)")
    cal.add_argument("--workers", type=_positive_int, default=1,
                     help="processes evaluating particles (default 1; the same --seed "
                          "gives the same posterior with any number)")
    cal.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                     help="evaluate particles on a Dask cluster: a scheduler address "
                          "(tcp://host:8786) or 'local' to start one with --workers workers "
                          "(the same posterior as local processes)")
    cal.add_argument("--noise", choices=("fresh", "common"), default="fresh",
                     help="a fresh seed per simulation (default) or one common seed")
    cal.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter (repeatable)")
    cal.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    cal.add_argument("--quiet", action="store_true", help="no progress or summary")

    sub.add_parser("scenarios", help="list the built-in scenarios, calendars and measures")
    keys = sub.add_parser("keys", help="list every scenario key with its unit and meaning")
    keys.add_argument("prefix", nargs="?", default="", help="only keys starting with this")
    add_analysis_parsers(sub)
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


def entry() -> None:
    """Run :func:`main` as a program (``python -m sim``, the ``healthpoverty`` script).

    After an interruption everything finished is kept and the one-line message is out:
    leave at once, without waiting at interpreter exit for a process pool whose workers
    were just ended (its manager thread can wait on a pipe a killed worker held).
    """
    code = main()
    if code in (130, 143):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


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


def load_with_population(scenario, overrides, population):
    """The scenario with ``--set`` overrides, then ``--population`` if given.

    ``--population`` replaces the scenario's population files: its households file, the
    persons file beside it, no totals file (a weight column still expands the sample).
    """
    from sim.scenario import load_scenario

    scn = load_scenario(scenario, overrides)
    if population is None:
        return scn
    return scn.with_overrides({"population.from": population, "population.persons": "",
                               "population.totals": ""}, source="--population",
                              name=scn.name)


def write_population_report(scenario, out: Path) -> list[Path]:
    """``population_report.csv`` (counts only) when the scenario's population is a file."""
    from sim.outputs import POPULATION_REPORT
    from sim.population_file import load_report

    if not scenario.params["population"]["from"]:
        return []
    path = Path(out) / POPULATION_REPORT
    load_report(scenario.params).to_csv(path, index=False)
    return [path]


def _run(args) -> int:
    from sim.outputs import OutputFolder
    from sim.runner import ReplicationStore, check_run_args, run

    scenario = load_with_population(args.scenario, args.overrides, args.population)
    if args.calendar:
        scenario = scenario.with_calendar(args.calendar)
    check_run_args(scenario, args.reps, args.seed, args.households, args.workers)
    seeds = [args.seed + r for r in range(args.reps)]
    with _sigterm_as_interrupt(), OutputFolder(args.out) as target:
        store = None if args.no_store or args.posterior else target.store_folder()
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
            if args.posterior:
                from models.calibration import run_posterior

                res = run_posterior(scenario, args.posterior, reps=args.reps, seed=args.seed,
                                    households=args.households, workers=args.workers)
            else:
                res = run(scenario, reps=args.reps, seed=args.seed,
                          households=args.households, workers=args.workers,
                          progress=not args.quiet, store=store)
        except KeyboardInterrupt as exc:
            kept = sum(keeper.has(s) for s in seeds) if keeper else 0
            where = f"kept in {store}/; run the same command again to resume" if keeper \
                else "not kept (--no-store)"
            print(f"\ninterrupted ({_why(exc)}): {kept} of {args.reps} finished "
                  f"replication(s) {where}", file=sys.stderr)
            return 128 + getattr(exc, "signum", 2)
        written = write_outputs(res, scenario, target.staging, figures=not args.no_figures)
        written += write_population_report(scenario, target.staging)
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
    """A summary value for the text table.

    Money totals in millions, money per person (a poverty line) in whole yuan, shares in
    percent, counts whole, and rates (admissions per person-year, deaths per 1,000) to
    three figures.
    """
    if value != value:  # NaN
        return "n/a"
    if unit.startswith("yuan per"):
        return f"{value:,.0f}"
    if unit.startswith("yuan"):
        return f"{value / 1e6:,.2f} M"
    if unit.startswith(("share", "per ", "managed")):
        return f"{value * 100:.2f}%"
    if unit.startswith(("households", "persons")):
        return f"{value:,.0f}"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"  # rates per person etc.


def format_summary(res) -> str:
    """The summary as an aligned text table: mean, 95% CI of the mean, range across reps.

    With one replication the intervals are n/a (see :mod:`sim.intervals`).
    """
    df = res.summary
    rows = [("indicator", "value", "95% CI of mean", "range (2.5-97.5%)", "unit")]
    for r in df.itertuples():
        unit = r.unit.replace("yuan", "yuan (M = million)", 1) \
            if r.unit.startswith("yuan") and not r.unit.startswith("yuan per") else r.unit
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
    scn = load_with_population(args.scenario, args.overrides, args.population)
    data = scn.params["population"]["from"]
    extra = f"; population file {data}: {scn.params['population']['households']:,} " \
        "households" if data else ""
    print(f"{scn.path}: valid ({len(scn.changes)} calendar change(s){extra})")
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


def _calibrate(args) -> int:
    from models.calibration import Calibration
    from models.targets import load_targets

    scenario = load_with_population(args.scenario, args.overrides, args.population)
    targets = load_targets(args.targets, scenario)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_population_report(scenario, out)
    executor = None
    if args.scheduler is not None:
        from models.batch import executor_for

        try:
            executor = executor_for(args.scheduler, args.workers)
        except ValueError as exc:
            raise UsageError(f"--scheduler: {exc}") from None
    cal = Calibration(scenario, targets, households=args.households,
                      population_size=args.populations, generations=args.generations,
                      seed=args.seed, noise=args.noise, db=out / "abc.db",
                      workers=args.workers, executor=executor, predictive=args.predictive)
    try:
        return _fit_and_write(args, scenario, targets, cal, out)
    finally:
        if executor is not None:
            executor.shutdown()


def _fit_and_write(args, scenario, targets, cal, out: Path) -> int:
    """Fit, write the calibration's files and print its summary and warnings."""
    import warnings

    if not args.quiet:
        done = cal.done_generations()
        n = args.households or scenario.params["population"]["households"]
        print(f"{scenario.name}: fitting {len(cal.priors)} parameter(s) to {len(targets)} "
              f"target(s), {args.generations} generation(s) of {args.populations} particles, "
              f"{n:,} households x {scenario.timeline.n_months} months per simulation"
              + (f"; resuming after generation {done - 1}" if done else ""), file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kept in the result and printed below
        result = cal.fit(progress=not args.quiet)
    written = result.save(out, figures=not args.no_figures)
    (out / "scenario.json").write_text(scenario.to_json(), encoding="utf-8")
    if not args.quiet:
        print(result.summary())
        print(f"\nwrote {', '.join(p.name for p in written)}, scenario.json to {out}/")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


COMMANDS = {"run": _run, "check": _check, "scenarios": _scenarios, "keys": _keys,
            "calibrate": _calibrate}


# ---- batch, effects, budget, compare: many runs with common random numbers ---------------
def _add_common(p: argparse.ArgumentParser, reps: int = 5) -> None:
    p.add_argument("scenario", nargs="?", default=None,
                   help="base scenario file or built-in name (default: the packages file's "
                        "base, else transition_2021_2025)")
    p.add_argument("--packages", default=None, metavar="FILE",
                   help="TOML file of packages and measures (or a name in "
                        "scenarios/packages/, e.g. example)")
    p.add_argument("--measures", default=None, metavar="A,B,...",
                   help="measures by name (switches policies.<name>.enabled), comma-separated")
    p.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a parameter of the base scenario")
    p.add_argument("--calendar", default=None, metavar="NAME", help="add a calendar overlay")
    p.add_argument("--households", type=_positive_int, default=None,
                   help="households per run (default: the scenario's)")
    p.add_argument("--population", default=None, metavar="HOUSEHOLDS.csv",
                   help="start from this households file (persons file beside it, "
                        "'households' in its name replaced by 'persons'; see "
                        "docs/population_format.md) instead of the scenario's population")
    p.add_argument("--months", type=_positive_int, default=None,
                   help="report only the first MONTHS months (quick checks)")
    p.add_argument("--seed", type=_seed, default=0, help="first seed (default 0)")
    p.add_argument("--reps", type=_positive_int, default=reps,
                   help=f"replications, the same seeds in every package (default {reps})")
    p.add_argument("--workers", type=_positive_int, default=1,
                   help="local processes, or Dask workers with --scheduler local (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786) or "
                        "'local' to start one here (default: local process pool)")
    p.add_argument("--out", default=None, help="output folder (default out/<command>)")
    p.add_argument("--no-store", action="store_true",
                   help="do not keep finished runs in OUT/runs/ (kept by default, so an "
                        "interrupted batch resumes)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar or table")


def add_analysis_parsers(sub) -> None:
    """The ``batch``, ``effects``, ``budget`` and ``compare`` subcommands."""
    b = sub.add_parser("batch", help="run packages x replications into one tidy table")
    _add_common(b)
    e = sub.add_parser("effects", help="each measure's effect: leave-one-out, add-one-in, "
                                       "Shapley, factorial")
    _add_common(e)
    e.add_argument("--outcome", default=None,
                   help="summary indicator (default: cumulative return to poverty due to "
                        "illness, return_illness_rate_<start>_<end>)")
    e.add_argument("--max-exact", type=_positive_int, default=8,
                   help="exact Shapley values up to this many measures (default 8)")
    e.add_argument("--permutations", type=_positive_int, default=20,
                   help="sampled orders beyond --max-exact (default 20)")
    e.add_argument("--intervals", choices=("replications", "households"), default=None,
                   help="95%% intervals across replications, or within each run from its "
                        "household clusters (default: replications when --reps > 1, "
                        "households with --reps 1)")
    g = sub.add_parser("budget", help="costs, cases averted, frontier, best package for a "
                                      "budget")
    _add_common(g)
    g.add_argument("--comparator", default=None,
                   help="package to compare against (default: the file's, or 'none')")
    g.add_argument("--budget", type=float, default=None, metavar="YUAN",
                   help="budget for the incremental cost over the period (yuan, area)")
    g.add_argument("--perspective", choices=("public", "programme"), default="public",
                   help="costs counted (default public: measures + public payers)")
    g.add_argument("--cases", default=None, help="count indicator of cases (default: "
                   "returned_illness_households_<start>_<end>)")
    c = sub.add_parser("compare", help="each package against a comparator, paired")
    _add_common(c)
    c.add_argument("--comparator", default=None,
                   help="package to compare against (default: the file's, or the first)")
    c.add_argument("--indicators", default=None, metavar="A,B,...",
                   help="summary indicators (default: cumulative return due to illness)")
    r = sub.add_parser("registry", help="the change of the registry's illness-poor count "
                       "between two months, decomposed, and the health measures' part")
    r.add_argument("scenario", nargs="?", default=None,
                   help="scenario file or built-in name (e.g. xinjiang_2019)")
    r.add_argument("--start", default=None, metavar="YYYY-MM",
                   help="first month-end (default: the first reported month)")
    r.add_argument("--end", default=None, metavar="YYYY-MM",
                   help="last month-end (default: the last reported month)")
    r.add_argument("--measures", default=None, metavar="A,B,...",
                   help="health measures to switch off, together and each alone (default: "
                        "every measure enabled in the scenario)")
    r.add_argument("--no-measures", action="store_true",
                   help="only the decomposition, without the paired runs")
    r.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="KEY=VALUE", help="override a parameter")
    r.add_argument("--households", type=_positive_int, default=None,
                   help="households per run (default: the scenario's)")
    r.add_argument("--seed", type=_seed, default=0, help="first seed (default 0)")
    r.add_argument("--reps", type=_positive_int, default=5,
                   help="replications, the same seeds in every run (default 5)")
    r.add_argument("--workers", type=_positive_int, default=1,
                   help="local processes (default 1)")
    r.add_argument("--out", default=None, help="output folder (default out/registry)")
    r.add_argument("--no-store", action="store_true",
                   help="do not keep finished runs in OUT/runs/ (kept by default, so an "
                        "interrupted comparison resumes)")
    r.add_argument("--no-figures", action="store_true", help="skip the PNG figure")
    r.add_argument("--quiet", action="store_true", help="no table")


class _BadInput(ValueError):
    """Input an analysis command cannot use (printed as one line, exit code 2)."""


def _analysis(command):
    """Run an analysis command; bad input becomes one line on stderr and exit code 2."""
    def wrapped(args) -> int:
        try:
            return command(args)
        except (ValueError, KeyError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            print(f"error: {text}", file=sys.stderr)
            return 2
    return wrapped


def _setup(args, default_packages=None):
    """Base scenario, packages file (or None), measures list, output folder, store."""
    from models.batch import load_packages

    pfile = load_packages(args.packages) if args.packages else None
    if args.packages and args.measures:
        raise _BadInput("give --packages or --measures, not both")
    base = load_with_population(args.scenario or (pfile.base if pfile else None),
                                args.overrides, args.population)
    if args.calendar:
        base = base.with_calendar(args.calendar)
    if args.months:
        base = base.truncate(args.months)
    measures = None
    if args.measures:
        measures = [m.strip() for m in args.measures.split(",") if m.strip()]
        if not measures:
            raise _BadInput("--measures needs at least one name")
    out = Path(args.out or f"out/{args.command}")
    out.mkdir(parents=True, exist_ok=True)
    write_population_report(base, out)
    store = None if args.no_store else out / "runs"
    return base, pfile, measures, out, store


def _switch_packages(measures) -> dict:
    from models.effects import as_measures, combination, label

    ms = as_measures(measures)
    if len(ms) > 5:
        raise _BadInput(f"{len(ms)} measures give {2 ** len(ms)} packages; use at most 5 "
                        "with --measures, or a --packages file")
    return {label(m, ms): combination(m, ms) for m in range(1 << len(ms))}


def _executor(args):
    from models.batch import executor_for

    if args.scheduler is None and args.workers <= 1:
        return None
    return executor_for(args.scheduler, args.workers)


def _run_with(args, fn):
    ex = _executor(args)
    try:
        return fn(ex)
    finally:
        if ex is not None:
            ex.shutdown()


def _write(out: Path, tables: dict, figures: dict, args) -> list[Path]:
    paths = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    if not args.no_figures:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        for name, make in figures.items():
            fig = make()
            path = out / f"{name}.png"
            fig.savefig(path, dpi=110)
            plt.close(fig)
            paths.append(path)
    return paths


def _report(args, batch, paths, text: str = "") -> None:
    for f in batch.failures:
        print(f"failed: {f}", file=sys.stderr)
    if not args.quiet:
        if text:
            print(text)
        print(f"\nwrote {', '.join(p.name for p in paths)} to {paths[0].parent}/")


def _without_each(measures) -> dict:
    """Packages: the base, and the base without each named measure in turn."""
    from models.effects import as_measures

    packages = {"base": {}}
    for m in as_measures(measures):
        packages[f"without {m.name}"] = m.off
    return packages


def _batch_cmd(args) -> int:
    from models.batch import run_batch

    base, pfile, measures, out, store = _setup(args)
    if pfile:
        packages = pfile.packages
    elif measures:
        packages = _without_each(measures)
    else:
        packages = {"base": {}}
    batch = _run_with(args, lambda ex: run_batch(
        base, packages, reps=args.reps, seed=args.seed, households=args.households,
        executor=ex, store=store, progress=not args.quiet))
    summary = batch.summary()
    paths = _write(out, {"batch": batch.table, "batch_summary": summary,
                         "failures": _failures(batch)}, {}, args)
    _report(args, batch, paths, summary[summary["indicator"] == batch.resolve(None)]
            .to_string(index=False) if len(batch.table) else "")
    return 1 if batch.failures else 0


def _failures(batch):
    import pandas as pd

    return pd.DataFrame([vars(f) for f in batch.failures],
                        columns=["package", "draw", "seed", "error"])


def _effects_cmd(args) -> int:
    from models.effects import estimate_effects

    base, pfile, measures, out, store = _setup(args)
    spec = measures or (pfile.measures if pfile else None)
    if not spec:
        raise _BadInput("name the measures: --measures contracts,screening or a --packages "
                        "file with a [measures] table")
    eff = _run_with(args, lambda ex: estimate_effects(
        base, spec, outcome=args.outcome, reps=args.reps, seed=args.seed,
        households=args.households, max_exact=args.max_exact,
        permutations=args.permutations, executor=ex, store=store,
        progress=not args.quiet, intervals=args.intervals))
    tables = {"effects": eff.to_frame(), "batch": eff.batch.table,
              "failures": _failures(eff.batch)}
    figures = {"effects_forest": lambda: eff.plot("forest"),
               "shapley_waterfall": lambda: eff.plot("waterfall")}
    text = eff.summary()
    if eff.exact and eff.batch.reps > 1:
        fac = eff.factorial()
        tables["factorial"] = fac.to_frame()
        figures["factorial_forest"] = fac.plot
        text += "\n\n" + fac.summary()
    paths = _write(out, tables, figures, args)
    _report(args, eff.batch, paths, text)
    return 1 if eff.batch.failures else 0


def _budget_cmd(args) -> int:
    from models.batch import run_batch
    from models.budget import budget_analysis

    base, pfile, measures, out, store = _setup(args)
    if pfile and pfile.packages:
        packages = pfile.packages
    elif measures:
        packages = _switch_packages(measures)
    else:
        raise _BadInput("name the packages: --packages FILE or --measures contracts,screening")
    comparator = args.comparator or (pfile.comparator if pfile else None) or "none"
    if comparator not in packages:
        raise _BadInput(f"comparator {comparator!r} is not a package; one of "
                        f"{', '.join(packages)}")
    batch = _run_with(args, lambda ex: run_batch(
        base, packages, reps=args.reps, seed=args.seed, households=args.households,
        executor=ex, store=store, progress=not args.quiet))
    b = budget_analysis(batch, comparator, cases=args.cases, perspective=args.perspective)
    import pandas as pd

    tables = {"budget": b.to_frame(), "costs_by_payer": b.costs(),
              "budget_curve": b.budget_curve(), "ceac": b.ceac(), "batch": batch.table,
              "failures": _failures(batch)}
    if args.budget is not None:
        best = b.best(args.budget)
        tables["best"] = pd.DataFrame([{k: v for k, v in best.items() if k != "affordable"}])
    figures = {"frontier": lambda: b.plot("frontier", budget_yuan=args.budget),
               "budget_probability": lambda: b.plot("budget"),
               "ceac": lambda: b.plot("ceac")}
    paths = _write(out, tables, figures, args)
    _report(args, batch, paths, b.summary(args.budget))
    return 1 if batch.failures else 0


def _compare_cmd(args) -> int:
    from models.batch import run_batch
    from models.compare import compare_packages

    base, pfile, measures, out, store = _setup(args)
    if pfile and pfile.packages:
        packages = pfile.packages
    elif measures:
        packages = _without_each(measures)
    else:
        raise _BadInput("name the packages: --packages FILE or --measures contracts,screening")
    comparator = args.comparator or (pfile.comparator if pfile else None) or next(
        iter(packages))
    if comparator not in packages:
        raise _BadInput(f"comparator {comparator!r} is not a package; one of "
                        f"{', '.join(packages)}")
    indicators = ([i.strip() for i in args.indicators.split(",") if i.strip()]
                  if args.indicators else None)
    batch = _run_with(args, lambda ex: run_batch(
        base, packages, reps=args.reps, seed=args.seed, households=args.households,
        executor=ex, store=store, progress=not args.quiet))
    cmp = compare_packages(batch, comparator, indicators)
    paths = _write(out, {"comparison": cmp.to_frame(), "batch": batch.table,
                         "failures": _failures(batch)},
                   {"comparison": cmp.plot}, args)
    _report(args, batch, paths, cmp.summary())
    return 1 if batch.failures else 0


def _registry_cmd(args) -> int:
    from models.registry import enabled_measures, registry_change, run_measures_part
    from sim.runner import run
    from sim.timeline import month_label

    scenario = load_with_population(args.scenario, args.overrides, None)
    tl = scenario.timeline
    months = [month_label(a) for a in range(tl.start, tl.end + 1)]
    start, end = args.start or months[0], args.end or months[-1]
    for flag, month in (("--start", start), ("--end", end)):
        if month not in months:
            raise _BadInput(f"{flag} {month}: not a reported month of scenario "
                            f"{scenario.name!r}; allowed {months[0]} to {months[-1]}")
    if end <= start:
        raise _BadInput(f"--end {end} must come after --start {start}")
    measures = ([m.strip() for m in args.measures.split(",") if m.strip()]
                if args.measures else None)
    enabled = enabled_measures(scenario)
    wrong = [m for m in measures or () if m not in enabled]
    if wrong and not args.no_measures:
        raise _BadInput(f"--measures: {', '.join(wrong)} not enabled in scenario "
                        f"{scenario.name!r}; allowed: {', '.join(enabled) or 'none'}")
    out = Path(args.out or "out/registry")
    out.mkdir(parents=True, exist_ok=True)
    store = None if args.no_store else out / "runs"
    base = run(scenario, reps=args.reps, seed=args.seed, households=args.households,
               workers=args.workers, store=store)
    change = registry_change(base, start, end)
    tables, text = {"registry_change": change.to_frame()}, [change.summary()]
    if not args.no_measures and enabled:
        part = run_measures_part(scenario, start, end, measures=measures, reps=args.reps,
                                 seed=args.seed, households=args.households,
                                 workers=args.workers, store=store, base=base)
        tables["measures_part"] = part.to_frame()
        text.append(part.summary())
    elif not args.no_measures:
        text.append(f"no measure is enabled in scenario {scenario.name!r}: no measures' part")
    paths = _write(out, tables, {"registry_change": change.plot}, args)
    if not args.quiet:
        print("\n\n".join(text))
        print(f"\nwrote {', '.join(p.name for p in paths)} to {out}/")
    return 0


ANALYSIS_COMMANDS = {"batch": _analysis(_batch_cmd), "effects": _analysis(_effects_cmd),
                     "budget": _analysis(_budget_cmd), "compare": _analysis(_compare_cmd),
                     "registry": _analysis(_registry_cmd)}
COMMANDS.update(ANALYSIS_COMMANDS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
