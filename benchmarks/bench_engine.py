"""Speed and memory of the engine on the default scenario (every measure on, and off).

Usage::

    python benchmarks/bench_engine.py --households 1000000
    python benchmarks/bench_engine.py --households 200000 --vs /work/main   # ratio to main
    python benchmarks/bench_engine.py --households 200000 --one --profile   # top functions

Four measurements, each in a fresh process (so that peak memory is its own): the engine
at ``--households`` with every measure on, the same with every measure off, a
calibration-sized model (``--small`` households, default 20,000) end to end (building the
population and the run), and the whole process of one replication at that size as a user
runs it (``sim.run``: the interpreter's start, the imports, the population, the run and
the result frames; wall seconds). Speed counts every simulated month (warm-up
included) in household-months per second of the run. Two memory figures per person slot:
``array_bytes_per_person`` adds up every numpy array the model holds (population, ledger,
accounts, the measures' and the engine's own arrays), ``peak_bytes_per_person`` is the
process's peak resident set size above its size before the population was built
(temporaries included).

``--vs DIR`` runs another version's benchmark (``DIR/benchmarks/bench_engine.py``, read
only: a checkout, or an export such as ``git archive main | tar -x -C DIR``) in turn with
this one, ``--pairs`` times per measurement (the order alternating: the second run of a
pair measured faster), and prints the ratio of speeds pair by pair (median): pairing keeps
the ratio meaningful on a machine whose load drifts. ``DIR`` runs
with its own ``.venv`` if it has one, else with this interpreter; each version runs with
its own checkout first on ``PYTHONPATH``, and the benchmark checks that each imports its
own ``sim`` (until this check, a ``DIR`` without ``.venv`` imported this checkout's
editable install, so both sides measured the same code).

``--one`` measures a single configuration in this process and prints the lines the
parent reads (also the format of earlier versions of this benchmark):
``build_s=<s> run_s=<s> ...`` and ``household_months_per_s=<n> peak_memory_mb=<n>
bytes_per_person=<n>``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's sim, whatever the venv has installed


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def array_bytes(root) -> int:
    """Bytes of every distinct numpy array reachable from ``root``.

    Follows attributes, dicts, lists, tuples and sets; a view counts its base once.
    """
    seen_objects: set[int] = set()
    seen_buffers: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen_objects:
            continue
        seen_objects.add(id(obj))
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            if id(base) not in seen_buffers:
                seen_buffers.add(id(base))
                total += base.nbytes
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sim"):
            stack.extend(vars(obj).values())
    return total


def measure_one(households: int, seed: int, measures: str, profile: bool) -> None:
    """Build and run one model; print its figures (the lines ``compare`` parses)."""
    from sim.engine import Model
    from sim.policies import REGISTRY
    from sim.scenario import load_scenario

    scenario = load_scenario()
    if measures == "off":
        scenario = scenario.with_overrides(
            [f"policies.{name}.enabled=false" for name in REGISTRY],
            name=f"{scenario.name} (every measure off)")
    before = rss_mb()
    t0 = time.perf_counter()
    model = Model(scenario, seed=seed, households=households)
    built = time.perf_counter() - t0
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
    t1 = time.perf_counter()
    model.run()
    elapsed = time.perf_counter() - t1
    if profile:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(30)
    peak = rss_mb() - before
    persons = model.pop.persons.n
    months = model.timeline.n_months
    hm = households * months
    print(f"scenario={scenario.name} measures={measures} households={households:,} "
          f"persons={persons:,} months={months} (incl. warm-up)")
    print(f"build_s={built:.3f} run_s={elapsed:.3f} end_to_end_s={built + elapsed:.3f} "
          f"array_bytes_per_person={array_bytes(model) / persons:.0f}")
    print(f"household_months_per_s={hm / elapsed:.0f} peak_memory_mb={peak:.0f} "
          f"bytes_per_person={peak * 1024 * 1024 / persons:.0f}")


def _figures(text: str) -> dict[str, float]:
    """The ``name=number`` figures printed by ``--one`` (of this or an earlier version)."""
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)(?=\s|$)", text)}


def _version_env(python: str, root: Path) -> dict[str, str]:
    """The environment in which ``python`` imports the ``sim`` of checkout ``root``.

    ``root`` goes first on ``PYTHONPATH``: a script's own folder (``benchmarks/``) is all
    Python puts on the path, so without it an interpreter with an editable install of
    another checkout would import that one's code and the two versions would measure
    the same code. Checked before measuring.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    where = subprocess.run([python, "-c", "import sim; print(sim.__file__)"], cwd=root,
                           env=env, capture_output=True, text=True, check=True).stdout
    if not Path(where.strip()).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"{python} imports sim from {where.strip()}, not from {root}")
    return env


def _run_one(python: str, script: Path, households: int, seed: int, measures: str
             ) -> dict[str, float]:
    """One measurement in a fresh process of ``python`` running ``script``."""
    args = [python, str(script), "--households", str(households), "--seed", str(seed),
            "--measures", measures]
    root = script.parent.parent
    env = _version_env(python, root)
    if script == Path(__file__).resolve() or "--one" in script.read_text():
        args.append("--one")  # a version with --one measures everything without it
    done = subprocess.run(args, capture_output=True, text=True, cwd=root, env=env,
                          check=True)
    fig = _figures(done.stdout)
    fig.setdefault("end_to_end_s", fig["build_s"] + fig["run_s"])
    return fig


def _process_s(python: str, script: Path, households: int, seed: int) -> float:
    """Wall seconds of a fresh process that runs one replication with ``sim.run``.

    ``script`` is the version's benchmark; its checkout goes first on ``PYTHONPATH``.
    """
    root = script.parent.parent
    code = (f"from sim import load_scenario, run; "
            f"run(load_scenario(), reps=1, seed={seed}, households={households})")
    env = _version_env(python, root)
    t0 = time.perf_counter()
    subprocess.run([python, "-c", code], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _in_turn(measure, args: tuple, this, other, pairs: int) -> tuple[list, list]:
    """``measure(python, script, *args)`` of this version and the other (if any).

    Each version is a (python, benchmark script) pair; ``pairs`` runs of each.

    The second run of a pair measured faster (memory the first one freed): the order
    alternates, so use an even number of pairs.
    """
    mine, theirs = [], []
    for pair in range(pairs if other else 1):
        if other and pair % 2:
            theirs.append(measure(*other, *args))
        mine.append(measure(*this, *args))
        if other and not pair % 2:
            theirs.append(measure(*other, *args))
    return mine, theirs


def compare(households: int, small: int, seed: int, vs: Path | None, pairs: int) -> None:
    """Every measurement, in turn with the other version's when ``vs`` is given."""
    this = (sys.executable, Path(__file__).resolve())
    other = None
    if vs is not None:
        venv_python = vs / ".venv" / "bin" / "python"
        other = (str(venv_python) if venv_python.exists() else sys.executable,
                 vs.resolve() / "benchmarks" / "bench_engine.py")
    rows = [("measures on", households, "on", "household_months_per_s"),
            ("measures off", households, "off", "household_months_per_s"),
            ("end to end", small, "on", "end_to_end_s")]
    for label, n, measures, key in rows:
        mine, theirs = _in_turn(_run_one, (n, seed, measures), this, other, pairs)
        fig = {k: statistics.median(f[k] for f in mine) for k in mine[0]}
        line = (f"{label}: households={n:,} household_months_per_s="
                f"{fig['household_months_per_s']:.0f} run_s={fig['run_s']:.2f} "
                f"end_to_end_s={fig['end_to_end_s']:.2f} "
                f"array_bytes_per_person={fig.get('array_bytes_per_person', 0):.0f} "
                f"peak_bytes_per_person={fig['bytes_per_person']:.0f}")
        if other:
            # speed ratio: hm/s for the big runs, inverse wall time for the end-to-end run
            ratios = [(a[key] / b[key]) if key != "end_to_end_s" else (b[key] / a[key])
                      for a, b in zip(mine, theirs, strict=True)]
            base = {k: statistics.median(f[k] for f in theirs) for k in ("run_s",
                                                                           "end_to_end_s")}
            line += (f" | vs {vs}: run_s={base['run_s']:.2f} "
                     f"end_to_end_s={base['end_to_end_s']:.2f} "
                     f"speed_ratio={statistics.median(ratios):.2f} "
                     f"(median of {pairs} pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
        print(line, flush=True)
    mine, theirs = _in_turn(_process_s, (small, seed), this, other, pairs)
    line = (f"one replication, whole process: households={small:,} "
            f"process_s={statistics.median(mine):.2f}")
    if other:
        ratios = [b / a for a, b in zip(mine, theirs, strict=True)]
        line += (f" | vs {vs}: process_s={statistics.median(theirs):.2f} "
                 f"speed_ratio={statistics.median(ratios):.2f} "
                 f"(median of {pairs} pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(line, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=20_000,
                        help="households of the end-to-end (calibration-sized) run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vs", type=Path, help="another checkout to compare with")
    parser.add_argument("--pairs", type=int, default=2, help="runs of each version (--vs)")
    parser.add_argument("--one", action="store_true",
                        help="measure one configuration in this process")
    parser.add_argument("--measures", choices=("on", "off"), default="on",
                        help="with --one: every measure on (default) or off")
    parser.add_argument("--profile", action="store_true",
                        help="with --one: print the top functions")
    args = parser.parse_args(argv)
    if args.one:
        measure_one(args.households, args.seed, args.measures, args.profile)
    else:
        compare(args.households, args.small, args.seed, args.vs, args.pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
