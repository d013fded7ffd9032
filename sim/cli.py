"""Command line: ``python -m sim run|check|scenarios|keys|calibrate``.

``run`` simulates a scenario, prints a summary table and writes ``summary.csv``,
``monthly.csv``, ``annual.csv``, ``events.csv``, the resolved ``scenario.json`` and PNG
figures into ``--out``; finished replications are kept in ``--out``/reps/ so that an
interrupted run resumes. ``calibrate`` fits a scenario's declared priors to a targets file
(``models.calibration``) and writes ``posterior.csv``, ``fit.csv``, ``diagnostics.csv`` and
figures; ``run --posterior`` draws each replication's parameters from such a posterior. Bad
input (unknown key, value out of range, missing file, bad
option) prints one line naming the file, the key and what is allowed, and exits with 2.
"""

from __future__ import annotations

import argparse
import sys
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
    parser = argparse.ArgumentParser(
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
    run.add_argument("--out", default="out/run", help="output folder (default out/run)")
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
    cal.add_argument("--populations", type=_positive_int, default=100, metavar="N",
                     help="particles per generation (default 100)")
    cal.add_argument("--generations", type=_positive_int, default=4, metavar="N",
                     help="ABC-SMC generations (default 4)")
    cal.add_argument("--predictive", type=_positive_int, default=100, metavar="N",
                     help="posterior predictive simulations (default 100)")
    cal.add_argument("--seed", type=_seed, default=0, help="the fit's seed (default 0)")
    cal.add_argument("--workers", type=_positive_int, default=1,
                     help="processes evaluating particles (default 1; more is faster but "
                          "not bit-reproducible)")
    cal.add_argument("--noise", choices=("fresh", "common"), default="fresh",
                     help="a fresh seed per simulation (default) or one common seed")
    cal.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter (repeatable)")
    cal.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    cal.add_argument("--quiet", action="store_true", help="no progress or summary")

    sub.add_parser("scenarios", help="list the built-in scenarios, calendars and measures")
    keys = sub.add_parser("keys", help="list every scenario key with its unit and meaning")
    keys.add_argument("prefix", nargs="?", default="", help="only keys starting with this")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from sim.runner import ReplicationStore, run
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    if args.calendar:
        scenario = scenario.with_calendar(args.calendar)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    store = None if args.no_store or args.posterior else out / "reps"
    if not args.quiet:
        tl = scenario.timeline
        n = args.households or scenario.params["population"]["households"]
        print(f"{scenario.name}: {n:,} households x {tl.n_months} months "
              f"({tl.warmup} warm-up), {args.reps} replication(s), seeds "
              f"{args.seed}..{args.seed + args.reps - 1}", file=sys.stderr)
        if store is not None:
            kept = ReplicationStore(store, scenario, args.households)
            found = sum(kept.path(args.seed + r).is_file() for r in range(args.reps))
            if found:
                print(f"resuming: {found} of {args.reps} replication(s) already in {store}/",
                      file=sys.stderr)
    if args.posterior:
        from models.calibration import run_posterior

        res = run_posterior(scenario, args.posterior, reps=args.reps, seed=args.seed,
                            households=args.households, workers=args.workers)
    else:
        res = run(scenario, reps=args.reps, seed=args.seed, households=args.households,
                  workers=args.workers, progress=not args.quiet, store=store)
    written = write_outputs(res, scenario, out, figures=not args.no_figures)
    if not args.quiet:
        print(format_summary(res))
        print(f"\nwrote {', '.join(p.name for p in written)} to {out}/")
    return 0


def write_outputs(res, scenario, out: Path, figures: bool = True) -> list[Path]:
    """Write the tables, the resolved scenario and the figures of a run."""
    paths = []
    for name, frame in (("summary", res.summary), ("monthly", res.monthly),
                        ("annual", res.annual), ("events", res.events)):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
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
    """The summary as an aligned text table (values with their 95% range if replicated)."""
    df = res.summary
    rows = []
    for r in df.itertuples():
        value = _fmt(r.value, r.unit)
        if "lo" in df:
            value += f"  [{_fmt(r.lo, r.unit)} - {_fmt(r.hi, r.unit)}]"
        unit = r.unit.replace("yuan", "yuan (M = million)") if r.unit.startswith("yuan") \
            else r.unit
        rows.append((r.indicator, value, unit))
    w1 = max(len(a) for a, _, _ in rows)
    w2 = max(len(b) for _, b, _ in rows)
    head = f"{'indicator':<{w1}}  {'value':>{w2}}  unit"
    lines = [head, "-" * len(head)]
    lines += [f"{a:<{w1}}  {b:>{w2}}  {c}" for a, b, c in rows]
    meta = res.meta
    lines.append(f"\n{meta['reps']} replication(s) of {meta['households']:,} households, "
                 f"{meta['start']} to {meta['end']}; counts and money scaled x"
                 f"{meta['scale']:.2f} to the area; [range] = 2.5-97.5% across replications")
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
    from sim.scenario import schema
    from sim.schema import walk

    for key, node in walk(schema()):
        if key.startswith(args.prefix):
            print(f"{key:<58} {node.describe()}")
            if node.doc:
                print(f"{'':<58}   {node.doc}")
    return 0


def _calibrate(args) -> int:
    import warnings

    from models.calibration import Calibration
    from models.targets import load_targets
    from sim.scenario import load_scenario

    scenario = load_scenario(args.scenario, args.overrides)
    targets = load_targets(args.targets, scenario)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cal = Calibration(scenario, targets, households=args.households,
                      population_size=args.populations, generations=args.generations,
                      seed=args.seed, noise=args.noise, db=out / "abc.db",
                      workers=args.workers, predictive=args.predictive)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
