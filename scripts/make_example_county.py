"""Write the SYNTHETIC example county's survey files into scenarios/data/.

No row describes a real household: a county of 100,000 households is drawn from the
default region profile (``transition_2021_2025``, seed 2021), a stratified survey of 2,000
of them is taken (formerly poor households oversampled, as surveys of poverty counties
do), and what a survey would not know is left out or blanked:

* model state (``income_shock``, ``chronic_undiagnosed``) and insurance status: left out;
* distance to the township health centre: blank for one household in ten;
* earned income: blank for one household in twenty (item non-response);

The county's true totals (households by group x registry status x cause, and persons)
are written as the area totals the weights are raked to. Run again to regenerate the
same files (everything is seeded):

    .venv/bin/python scripts/make_example_county.py [--out scenarios/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_scenario
from sim.parameters import GROUPS
from sim.population import build_population
from sim.population_file import CAUSES, STATUSES, write_population
from sim.rng import Streams

ROOT = Path(__file__).resolve().parent.parent
COUNTY_HOUSEHOLDS = 100_000  # as represents_households of the default scenario
SAMPLE = {True: 1000, False: 1000}  # households sampled: formerly poor, the others
SEED = 2021
STEM = "synthetic_county"


def main() -> None:
    """Draw the county, sample it, write households, persons and totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "scenarios" / "data"))
    out = Path(parser.parse_args().out)
    params = load_scenario().params
    county = build_population(params, Streams(SEED), COUNTY_HOUSEHOLDS)
    H = county.households
    rng = np.random.default_rng(SEED)
    weight = np.zeros(H.n)
    for formerly, n in SAMPLE.items():
        members = np.flatnonzero(H.formerly_poor == formerly)
        weight[rng.choice(members, n, replace=False)] = len(members) / n
    tmp = out / ".county"
    h_all, p_all = write_population(county, params, tmp, "all")
    hh = pd.read_csv(h_all, dtype=str, keep_default_na=False)
    persons = pd.read_csv(p_all, dtype=str, keep_default_na=False)
    h_all.unlink()
    p_all.unlink()
    tmp.rmdir()
    keep = weight > 0
    hh = hh[keep].assign(weight=weight[keep]).drop(columns=["income_shock"])
    hh.loc[rng.random(len(hh)) < 0.10, "distance_km"] = ""
    hh.loc[rng.random(len(hh)) < 0.05, "earned_yuan"] = ""
    persons = persons[persons["household_id"].isin(hh["household_id"])].drop(
        columns=["chronic_undiagnosed", "insured"])
    out.mkdir(parents=True, exist_ok=True)
    hh.to_csv(out / f"{STEM}_households.csv", index=False)
    persons.to_csv(out / f"{STEM}_persons.csv", index=False)
    totals(H).to_csv(out / f"{STEM}_totals.csv", index=False)
    print(f"wrote {len(hh):,} households and {len(persons):,} persons (a sample of a "
          f"synthetic county of {H.n:,}) and its totals to {out}/")


def totals(H) -> pd.DataFrame:
    """The synthetic county's households by group x registry status x cause, and persons."""
    source = "synthetic county (scripts/make_example_county.py), not real data"
    status = np.where(H.registered, 0, np.where(H.formerly_poor, 1, 2))
    rows = [("persons", "all", "all", "all", int(H.size.sum()), source)]
    for g, group in enumerate(GROUPS):
        for s, name in enumerate(STATUSES):
            for c, cause in enumerate(CAUSES):
                if s == 2 and c == 1:
                    continue  # never registered: no cause, counted once below
                sel = (H.group == g) & (status == s)
                if s < 2:
                    sel &= H.cause_illness == (c == 0)
                if sel.any():
                    rows.append(("households", group, name, cause if s < 2 else "all",
                                 int(sel.sum()), source))
    return pd.DataFrame(rows, columns=["quantity", "group", "status", "cause", "value",
                                       "source"])


if __name__ == "__main__":
    main()
