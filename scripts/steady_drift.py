"""How much the county without trends drifts: each annual indicator's slope over ten years.

Usage::

    .venv/bin/python scripts/steady_drift.py                        # 20,000 households x 4
    .venv/bin/python scripts/steady_drift.py --households 5000 --reps 2

Runs ``scenarios/steady_state.toml`` (replication ``r`` with seed ``r``) and prints a
Markdown table: for each indicator of ``sim.steady.ANNUAL_RATES``, the mean relative
slope a year across replications, the range of the replications' slopes, the t-test's
p-value and the mean level in the first and the last year; then the same for
:data:`NOT_TESTED`, quantities the test leaves out because they are known not to be
stationary (README "Still drifting"); then the households by the make-up of their
members' ages in the first and the last December with the share of each poor in that
year (:func:`makeup_poverty`); then where the children are and can be born, in the same
two Decembers (:func:`where_children_are`); then the age structure at the start and at
the end (at the same point of the year, see :func:`age_shares`) beside
the stationary one the scenario starts from. ``tests/test_steady_state.py`` runs the
check at 10,000 x 4, where drifts under about 1% a year pass unseen; this measures them at
the size asked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import load_scenario, marriage  # noqa: E402
from sim.engine import Model  # noqa: E402
from sim.health import household_members  # noqa: E402
from sim.parameters import AGE_BANDS  # noqa: E402
from sim.population import age_band_index  # noqa: E402
from sim.steady import ANNUAL_RATES, replication_slopes, slope  # noqa: E402

#: Shown, not tested: households in debt, a small stock (about 0.3% of households) that
#: starts empty and fills slowly, since the households that roll advances for long
#: treatments stay in debt for years; the two parts of the return rate, the returns
#: and the formerly-poor households they are counted among; and the share of the 60+
#: living without anyone younger, which falls in a closed county (README "Still
#: drifting", "Households' make-up").
NOT_TESTED = {
    "60+ living without anyone younger": lambda a: a.elderly_alone_share,
    "households in debt": lambda a: a.debt_households / a.households,
    "returns due to illness (households)": lambda a: a.returned_illness_households,
    "formerly-poor households (at the year's start)":
        lambda a: a.formerly_poor_households_start,
}


def age_shares(model, years_on: int = 0) -> np.ndarray:
    """Share of the living in each age band, with their ages ``years_on`` years on.

    The start is a January before anyone has aged, died or been born; a run ends in
    December, when the year's newborns are in 0-14 and the year's deaths are gone but no
    one has yet aged into the next band. The end is therefore read with everyone a year
    older (``years_on=1``), as it stands the next January before its deaths and births:
    the same point of the year as the start.
    """
    P = model.pop.persons
    counts = np.bincount(age_band_index(P.age[P.alive] + years_on), minlength=len(AGE_BANDS))
    return counts / counts.sum()


#: household make-ups by the members' ages: children under 16, working age 16-59,
#: elderly 60 and over (labels of this table only; the model's earning ages are its own)
MAKEUPS = ("elderly only", "elderly with children", "working age only",
           "working age with children", "working age with elderly")


def makeup_poverty(model) -> tuple[np.ndarray, np.ndarray]:
    """Living households of each of :data:`MAKEUPS`, and the share of them poor this year.

    Read in a December: poor in some month of the calendar year (``ever_poor``).
    """
    P, H = model.pop.persons, model.pop.households
    living = np.flatnonzero(P.alive & P.born)
    hh, age = P.hh[living], P.age[living]
    kids, work, old = (np.bincount(hh, weights=w, minlength=H.n) > 0
                       for w in (age < 16, (age >= 16) & (age < 60), age >= 60))
    kind = np.where(~work, np.where(kids, 1, 0), np.where(kids, 3, np.where(old, 4, 2)))
    live = H.size > 0
    n = np.bincount(kind[live], minlength=len(MAKEUPS))
    poor = np.bincount(kind[live], weights=model.accounts.year_outcomes()["ever_poor"][live],
                       minlength=len(MAKEUPS))
    return n, poor / np.maximum(n, 1)


#: where the county's births can happen (sim.health.births: a woman 15-44 in the
#: household) and where its children are, by household
CHILDREN = ("households with a woman 15-44", "with a man 18-49 and no woman 15-44",
            "households with children under 15", "children per household with children",
            "women 25-44 with a possible husband", "women 25-44 married")


def with_possible_husband(model, women: np.ndarray) -> np.ndarray:
    """Whether each woman lives with a man of 20+ from 3 years younger to 10 years older.

    The share of them who could be married to someone in their household, whether or not
    the scenario has marriage (``sim.marriage``; "married" is the share who are).
    """
    P = model.pop.persons
    hh = P.hh[women]
    members = household_members(model, hh)
    owner = np.repeat(np.arange(len(women)), model.hh_size0[hh])
    gap = P.age[members].astype(np.int64) - P.age[women][owner]
    man = (P.alive[members] & P.born[members] & ~P.female[members]
           & (P.age[members] >= 20) & (gap >= -3) & (gap <= 10))
    return np.bincount(owner, weights=man, minlength=len(women)) > 0


def where_children_are(model) -> np.ndarray:
    """The figures of :data:`CHILDREN`, among the living households."""
    P, H = model.pop.persons, model.pop.households
    living = P.alive & P.born
    woman = living & P.female & (P.age >= 15) & (P.age <= 44)
    man = living & ~P.female & (P.age >= 18) & (P.age <= 49)
    n_woman, n_man, n_kids = (np.bincount(P.hh[w], minlength=H.n)[H.size > 0]
                              for w in (woman, man, living & (P.age < 15)))
    wives = np.flatnonzero(living & P.female & (P.age >= 25) & (P.age <= 44))
    return np.array([np.count_nonzero(n_woman), np.count_nonzero((n_man > 0) & (n_woman == 0)),
                     np.count_nonzero(n_kids), n_kids.sum() / max(np.count_nonzero(n_kids), 1),
                     with_possible_husband(model, wives).mean(),
                     marriage.married(model, wives).mean()])


def main(argv=None) -> int:
    """Run the replications and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a parameter of steady_state (repeatable)")
    args = parser.parse_args(argv)
    if args.reps < 2:
        parser.error("--reps must be at least 2 (slopes are tested across replications)")
    sc = load_scenario("steady_state")
    if args.set:
        sc = sc.with_overrides(args.set)
    frames, start, end, makeups, children = [], [], [], [], []
    for seed in range(args.reps):
        model = Model(sc, seed=seed, households=args.households)
        start.append(age_shares(model))
        model.run_to(model.timeline.warmup + 12)  # the first reported December
        first, children_first = makeup_poverty(model), where_children_are(model)
        a = model.run().annual
        end.append(age_shares(model, years_on=1))
        makeups.append((first, makeup_poverty(model)))
        children.append((children_first, where_children_are(model)))
        frames.append(a[a.group == "all"].set_index("year"))
    print(f"steady_state, {args.households:,} households x {args.reps}, "
          f"{frames[0].index.min()}-{frames[0].index.max()}")
    for title, table in (("indicator", ANNUAL_RATES), ("not tested", NOT_TESTED)):
        print(f"\n| {title} | slope a year (mean) | replications' range | p | first year | "
              "last year |")
        print("|---|---|---|---|---|---|")
        for name, indicator in table.items():
            mean, p = slope(frames, indicator)
            each = replication_slopes(frames, indicator)
            first, last = (np.mean([np.asarray(indicator(a), float)[i] for a in frames])
                           for i in (0, -1))
            print(f"| {name} | {mean:+.2%} | {np.min(each):+.2%} to {np.max(each):+.2%} | "
                  f"{p:.3f} | {first:.4g} | {last:.4g} |")
    (n0, p0), (n1, p1) = ([np.mean([rep[when][j] for rep in makeups], axis=0) for j in (0, 1)]
                          for when in (0, 1))
    print("\n| households (by members' ages) | first year | last year | poor in the first "
          "year | in the last |\n|---|---|---|---|---|")
    for k, name in enumerate(MAKEUPS):
        print(f"| {name} | {n0[k]:,.0f} | {n1[k]:,.0f} | {p0[k]:.1%} | {p1[k]:.1%} |")
    c0, c1 = (np.mean([rep[when] for rep in children], axis=0) for when in (0, 1))
    print("\n| where the children are | first year | last year |\n|---|---|---|")
    for k, name in enumerate(CHILDREN):
        f = ",.0f" if k < 3 else (",.2f" if k == 3 else ".1%")  # counts, ratio, shares
        print(f"| {name} | {c0[k]:{f}} | {c1[k]:{f}} |")
    stationary = sc.get("population.age_bands")
    print("\n| age | stationary (the scenario) | start | end |\n|---|---|---|---|")
    for b, band in enumerate(AGE_BANDS):
        print(f"| {band} | {stationary[band]:.1%} | {np.mean(start, axis=0)[b]:.1%} | "
              f"{np.mean(end, axis=0)[b]:.1%} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
