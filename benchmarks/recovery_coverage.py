"""Coverage of the calibration's 95% credible intervals on data simulated at known values.

    .venv/bin/python benchmarks/recovery_coverage.py --sets 4 --data-seeds 2

For each of ``--sets`` parameter sets (care.inpatient_seek and income.shock_sd drawn
uniformly inside their priors with a fixed generator) and each data seed, the model is run
at those values (the default scenario, one reported year), four targets are taken from it
(admissions, the forgone share of admissions, households ever poor in the year, poor
households at its end) and fitted by ABC-SMC. A third prior, a cost no target measures,
checks that non-identification is flagged. Prints each interval, the coverage and the
wall time (figures, never asserted; tests/test_calibration.py has the asserted version).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from models.calibration import Calibration
from sim import load_scenario, run_one

PRIORS = [
    {"key": "care.inpatient_seek", "dist": "uniform", "low": 0.4, "high": 1.0,
     "source": "study"},
    {"key": "income.shock_sd", "dist": "uniform", "low": 0.1, "high": 0.8, "source": "study"},
    {"key": "policies.settlement.admin_yuan_per_case", "dist": "uniform", "low": 0.0,
     "high": 100.0, "source": "study: a cost no target measures"},
]


def targets_at(base, truth: dict, seed: int, households: int, path: Path) -> Path:
    """Write the four targets of one run at ``truth``."""
    res = run_one(base.with_overrides(truth), seed, households)
    a = res.annual[(res.annual["year"] == 2021) & (res.annual["group"] == "all")].iloc[0]
    m = res.monthly[(res.monthly["month"] == "2021-12") & (res.monthly["group"] == "all")]
    s = res.meta["scale"]
    rows = [("2021", "admissions", a["admissions"] * s),
            ("2021", "admissions_forgone / admissions", a["admissions_forgone"] / a["admissions"]),
            ("2021", "ever_poor_households", a["ever_poor_households"] * s),
            ("2021-12", "poor_households", m["poor_households"].item() * s)]
    path.write_text("date,quantity,value\n" + "".join(f"{d},{q},{v:.8g}\n" for d, q, v in rows))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", type=int, default=4)
    ap.add_argument("--data-seeds", type=int, default=2)
    ap.add_argument("--households", type=int, default=1500)
    ap.add_argument("--populations", type=int, default=60)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1,
                    help="processes per fit (the same intervals with any number)")
    args = ap.parse_args()

    base = load_scenario().truncate(12).with_overrides({"calibration.parameters": PRIORS},
                                                      name="recovery")
    rng = np.random.default_rng(2024)
    truths = [{"care.inpatient_seek": round(float(rng.uniform(0.45, 0.95)), 3),
               "income.shock_sd": round(float(rng.uniform(0.15, 0.7)), 3)}
              for _ in range(args.sets)]
    covered = total = flagged = identified = fits = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i, truth in enumerate(truths):
            for d in range(args.data_seeds):
                path = targets_at(base, truth, 1000 + 10 * i + d, args.households,
                                  Path(tmp) / f"t{i}_{d}.csv")
                cal = Calibration(base, path, households=args.households,
                                  population_size=args.populations,
                                  generations=args.generations, seed=100 * i + d,
                                  predictive=20, workers=args.workers)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = cal.fit()
                ci = res.conf_int(0.05)
                par = res.parameters().set_index("key")
                fits += 1
                flagged += not par.loc[PRIORS[2]["key"], "identified"]
                identified += bool(par.loc["care.inpatient_seek", "identified"])
                for key, value in truth.items():
                    inside = ci.loc[key, "lower"] <= value <= ci.loc[key, "upper"]
                    covered += inside
                    total += 1
                    print(f"set {i} data seed {d}: {key}={value}: [{ci.loc[key, 'lower']:.3f}, "
                          f"{ci.loc[key, 'upper']:.3f}] {'covered' if inside else 'MISSED'} "
                          f"(sd ratio {par.loc[key, 'sd_ratio']:.2f})", flush=True)
    wall = time.perf_counter() - start
    print(f"\ncoverage of 95% credible intervals: {covered} of {total} ({covered / total:.0%})")
    print(f"unmeasured cost flagged as not identified in {flagged} of {fits} fits; "
          f"care.inpatient_seek identified in {identified} of {fits}")
    print(f"{fits} fits of {args.populations} particles x {args.generations} generations, "
          f"{args.households} households, workers {args.workers}: {wall:.0f} s")


if __name__ == "__main__":
    main()
