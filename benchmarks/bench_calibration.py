"""Speed of a calibration: simulations, their size (households x months) and wall time.

    .venv/bin/python benchmarks/bench_calibration.py                       # xinjiang_2019
    .venv/bin/python benchmarks/bench_calibration.py --scenario linyi_2021 --households 5000

The fit uses the scenario's own ``[[calibration.parameters]]`` when it has them, and
otherwise two illustrative priors (care.inpatient_seek, income.shock_sd). Its targets are
the scenario's observed ones, ``scenarios/targets/<scenario>.csv`` (for ``xinjiang_2019``
the four registry counts of seed 002: the fit issue #7 times), or the file given with
``--targets``; a scenario without one is fitted to targets simulated by the model itself at
its parameters (seed 12345): two stocks and one flow that exist in every scenario, at the
last reported month and year. The figures are printed, never asserted (tests never time
anything).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from models.calibration import Calibration
from models.targets import Target
from sim import load_scenario, run_one
from sim.timeline import month_label

TARGETS = Path(__file__).resolve().parent.parent / "scenarios" / "targets"

FALLBACK_PRIORS = [
    {"key": "care.inpatient_seek", "dist": "uniform", "low": 0.4, "high": 1.0,
     "source": "benchmark: illustrative"},
    {"key": "income.shock_sd", "dist": "uniform", "low": 0.1, "high": 0.8,
     "source": "benchmark: illustrative"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="xinjiang_2019")
    ap.add_argument("--households", type=int, default=20000)
    ap.add_argument("--populations", type=int, default=100)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--predictive", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--targets", type=Path, default=None,
                    help="observed targets (default: scenarios/targets/<scenario>.csv)")
    args = ap.parse_args()

    scn = load_scenario(args.scenario)
    if not (scn.params.get("calibration") or {}).get("parameters"):
        scn = scn.with_overrides({"calibration.parameters": FALLBACK_PRIORS}, name=scn.name)
    tl = scn.timeline
    observed = args.targets or TARGETS / f"{scn.name}.csv"
    with tempfile.TemporaryDirectory() as tmp:
        if observed.exists():
            path, what = observed, f"observed, {observed.name}"
        else:
            path, what = Path(tmp) / "targets.csv", "simulated at the scenario's parameters"
            path.write_text(simulated_targets(scn, args.households))
        cal = Calibration(scn, path, households=args.households,
                          population_size=args.populations, generations=args.generations,
                          seed=args.seed, workers=args.workers, predictive=args.predictive)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = cal.fit()
        wall = time.perf_counter() - start
    n = fit.meta["n_simulations"]
    months = tl.n_months
    print(f"scenario {scn.name}: {len(cal.priors)} parameter(s), {len(cal.targets)} "
          f"target(s) ({what})")
    print(f"simulations: {n:,} ({fit.meta['fit_simulations']:,} ABC-SMC incl. the prior's "
          f"calibration sample, {fit.meta['predictive_simulations']} posterior predictive)")
    print(f"size of each: {args.households:,} households x {months} months "
          f"({tl.warmup} warm-up) = {args.households * months / 1e6:.2f} M household-months")
    print(f"wall time: {wall:.1f} s ({wall / n * 1000:.0f} ms per simulation, "
          f"{n * args.households * months / wall / 1e6:.2f} M household-months/s), "
          f"workers {args.workers}")
    print(f"final epsilon {fit.diagnostics()['epsilon'].iloc[-1]:.3g}, ESS {fit.ess:.0f}")
    print(fit.fit_table().to_string(index=False))


def simulated_targets(scn, households: int) -> str:
    """A targets file of two stocks and one flow simulated at the scenario's parameters."""
    tl = scn.timeline
    res = run_one(scn, 12345, households)
    last_month, last_year = month_label(tl.end), tl.end // 12
    lines = ["date,quantity,value,source"]
    for date, q in [(last_month, "poor_households"), (last_month, "poor_illness_households"),
                    (str(last_year), "admissions")]:
        t = Target(0, date, q, "all", 1.0)
        lines.append(f"{date},{q},{t.simulated(res):.6g},benchmark: simulated")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
