"""Validation on held-out targets: fit some observed targets, predict the others (issue #7).

    .venv/bin/python benchmarks/holdout_coverage.py                    # both cases
    .venv/bin/python benchmarks/holdout_coverage.py --case xinjiang --households 5000

Two cases, each a fit to part of an observed targets file and the posterior predictive
(:func:`models.calibration.predictive_check`) of the rest:

* ``xinjiang``: ``xinjiang_2019`` with its own priors, fitted to the registry's household
  counts of seed 002 (end-2018 and July 2019); held out: the persons counts at the same
  dates. The model must explain the household size (3.73 persons a household at end-2018,
  3.65 in July 2019), not be forced to it.
* ``national``: ``lianyungang_2018`` (the pre-2021 setting of ``national.csv``) with the
  priors below, fitted to two national figures of 2018 (the share of the registered poor who
  are poor due to illness, the hospitalisation rate); held out: the out-of-pocket share of
  the registered poor's bills (2018) and the standardised management of severe mental
  disorders (2018, 2020).

Prints, per held-out target, the observed value, the predictive median and 95% interval and
whether the observation lies inside, then the coverage (held-out targets inside their 95%
predictive intervals) and the wall time: figures, never asserted. The intervals carry the
posterior's parameter uncertainty and the model's stochastic variation at the simulated
size (``--households``), not the figures' own errors.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from models.calibration import Calibration, predictive_check
from models.targets import load_targets
from sim import load_scenario

TARGETS = Path(__file__).resolve().parent.parent / "scenarios" / "targets"

#: Priors of the national case (lianyungang_2018 declares none): who the registry labels
#: poor due to illness, and care seeking, which set the two fitted figures.
NATIONAL_PRIORS = [
    {"key": "registry.cause_illness_share.ill", "dist": "uniform", "low": 0.2, "high": 1.0,
     "source": "hold-out study: as xinjiang_2019's prior on the same key"},
    {"key": "registry.cause_illness_share.not_ill", "dist": "uniform", "low": 0.0,
     "high": 0.5, "source": "hold-out study: assumption, up to half of the households "
     "without a serious chronic disease"},
    {"key": "care.inpatient_seek", "dist": "uniform", "low": 0.5, "high": 1.0,
     "source": "hold-out study: assumption around the default"},
]

CASES = {
    "xinjiang": ("xinjiang_2019", "xinjiang_2019.csv", None,
                 lambda t: t.quantity.endswith("_households")),
    "national": ("lianyungang_2018", "national.csv", NATIONAL_PRIORS,
                 lambda t: t.quantity.startswith(("registry_", "admissions"))),
}


def split(path: Path, fitted, folder: Path, scenario) -> tuple[Path, Path]:
    """Write the fitted and the held-out rows of a targets file as two files."""
    targets = load_targets(path, scenario)
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    keep = [fitted(t) for t in targets]
    fit, held = folder / f"fit_{path.name}", folder / f"held_out_{path.name}"
    rows[keep].to_csv(fit, index=False)
    rows[[not k for k in keep]].to_csv(held, index=False)
    return fit, held


def run_case(name: str, args, folder: Path) -> tuple[int, int]:
    """Fit one case, predict its held-out targets, print them; (inside, held out)."""
    scenario_name, file, priors, fitted = CASES[name]
    scn = load_scenario(scenario_name)
    if priors is not None:
        scn = scn.with_overrides({"calibration.parameters": priors}, name=scn.name)
    fit_path, held_path = split(TARGETS / file, fitted, folder, scn)
    start = time.perf_counter()
    cal = Calibration(scn, fit_path, households=args.households,
                      population_size=args.populations, generations=args.generations,
                      seed=args.seed, workers=args.workers, predictive=args.predictive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cal.fit()
        table = predictive_check(scn, res.posterior, held_path, draws=args.predictive,
                                 seed=args.seed, households=args.households,
                                 workers=args.workers)
    wall = time.perf_counter() - start
    print(f"\n== {name}: {scenario_name}, fitted to {len(cal.targets)} target(s) of {file}, "
          f"{len(table)} held out ==")
    print(res.fit_table()[["target", "observed", "median", "lower_95", "upper_95",
                           "inside_95"]].to_string(index=False))
    print(res.parameters()[["key", "posterior_median", "lower_95", "upper_95",
                            "sd_ratio"]].to_string(index=False))
    print("held out:")
    print(table[["target", "observed", "median", "lower_95", "upper_95",
                 "inside_95"]].to_string(index=False))
    inside = int(table["inside_95"].sum())
    print(f"{name}: held-out coverage {inside} of {len(table)}; "
          f"{res.meta['n_simulations']:,} simulations (the fit's, its predictive "
          f"included) + {args.predictive} held-out predictive of {args.households:,} "
          f"households, workers {args.workers}: "
          f"{wall:.0f} s")
    return inside, len(table)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", choices=(*CASES, "both"), default="both")
    ap.add_argument("--households", type=int, default=3000)
    ap.add_argument("--populations", type=int, default=60)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--predictive", type=int, default=60)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    cases = list(CASES) if args.case == "both" else [args.case]
    inside = total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name in cases:
            i, n = run_case(name, args, Path(tmp))
            inside, total = inside + i, total + n
    print(f"\nheld-out coverage of 95% predictive intervals: {inside} of {total}")


if __name__ == "__main__":
    main()
