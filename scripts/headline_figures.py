"""The README's headline figures: the default scenario beside the published figures.

Usage::

    .venv/bin/python scripts/headline_figures.py                    # 20,000 households x 5
    .venv/bin/python scripts/headline_figures.py --households 5000 --reps 2

Runs the scenario (replication ``r`` with seed ``seed + r``) and prints a Markdown table:
each figure the model makes (mean over replications), the published figure it should be
near (from ``docs/published_figures.csv``, the source named in the row) and their ratio.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim import load_scenario, run  # noqa: E402
from sim.parameters import GROUPS  # noqa: E402

TARGET_GROUPS = [g for g in GROUPS if g != "other"]

#: figure -> (published value or range as the model's unit, the source in a few words)
PUBLISHED = {
    "return_a_year": ((0.014,), "about 1.4% a year: >7 million people identified by "
                      "monitoring 2021-2025 of ~99 million lifted out (secondary, UNCERTAIN)"),
    "new_poor_illness_a_year": ((0.063, 0.0193), "impoverishment by medical spending 6.3% "
                                "(NHSS 2013, before the measures); 1.93% of the rural non-poor "
                                "(CFPS 2020)"),
    "monitored_share_end": ((0.14,), "Baoshan 2021: 14% of the 2020 exited population"),
    "oop_share_low_income": ((0.119,), "rural poor 11.9% (NHC, People's Daily 2018-10-18)"),
    "oop_share_poor_groups": ((0.119,), "the same figure"),
    "inpatient_oop_share_poor_groups": ((0.119,), "the same figure (its bills are not "
                                        "stated; the local plans' targets of at most 10% "
                                        "were for hospital bills within the county: an "
                                        "interpretation)"),
    "admissions_per_person_year": ((0.182,), "NHC statistical bulletin 2018"),
    "admissions_forgone": ((0.215,), "a doctor advised admission and it was not made, any "
                           "reason: 21.5% in 2018, national (National Health Services "
                           "Survey; Wu et al., Int J Equity Health 2023, "
                           "doi:10.1186/s12939-023-01909-3); the survey counts persons, the "
                           "model needed admissions"),
    "admitted_share": ((0.144,), "rural residents 2018, admitted in the past 12 months "
                       "(CFPS; Int J Equity Health 2023;22:90)"),
    "admission_concentration_index": ((-0.0888,), "rural residents 2018 (CFPS; same "
                                      "source; calibrated, health.acute.income_elasticity)"),
    "impoverishing_a_year": ((0.063,), "NHSS 2013, before the measures"),
    "hypertension_awareness_end": ((0.410,), "41.0% (2018), flat since 2013"),
    "diabetes_awareness_end": ((0.367,), "36.7% (2018)"),
    "hypertension_management_end": ((0.62, 0.90), "62% in poverty counties 2018-2019 (J Health "
                                    "Popul Nutr 2023;42:38); target 90% by 2025 (seeds 000, 004)"),
    "severe_mental_management_end": ((0.89,), "89.0% regular management (2020)"),
    "deaths_per_1000": ((7.1, 7.9, 6.93, 7.96),
                        "7.1-7.9 national 2020-2023 (NBS); rural residents 6.93 registered, "
                        "2015-2021 average (China Cause of Death Surveillance; Disease "
                        "Surveillance 2024;39:369), 7.96 with the 12.9% of deaths that "
                        "surveillance missed (Popul Health Metr 2015;13:16); a younger "
                        "population than this county's"),
    "births_per_1000": ((7.52,), "7.52 (2021, NBS)"),
}


def figures(res) -> dict[str, float]:
    """The model's headline figures from a run's tables (means over replications)."""
    s = res.summary.set_index("indicator")["value"]
    a = res.annual
    everyone = a[a["group"] == "all"].groupby("year").mean(numeric_only=True)
    m = res.monthly
    last = m[m["month"] == m["month"].max()].groupby("group").mean(numeric_only=True)
    out = {f"return_{y}": everyone.loc[y, "return_rate"] for y in everyone.index}
    years = len(everyone)
    out |= {
        "return_cumulative": s["return_rate_cumulative"],
        # households returning in the window, a year (the published figure counts each
        # household identified once); the annual rates count repeated returns too
        "return_a_year": s["return_rate_cumulative"] / years,
        "return_annual_mean": everyone["return_rate"].mean(),
        "return_illness_a_year": s["return_illness_rate_mean_annual"],
        "return_illness_cumulative": s["return_illness_rate_cumulative"],
        "new_poor_illness_a_year": s["new_poor_illness_rate_mean_annual"],
        "monitored_share_end": last.loc["all", "registry_monitored_households"]
        / last.loc[TARGET_GROUPS, "households"].sum(),
        "oop_share_low_income": s["oop_share_of_bills_low_income"],
        "oop_share_poor_groups": s["oop_share_of_bills_poor_groups"],
        "inpatient_oop_share_poor_groups": s["inpatient_oop_share_poor_groups"],
        "admissions_per_person_year": s["admissions_per_person_year"],
        "admitted_share": s["admitted_share_mean_annual"],
        "admission_concentration_index": s["admission_concentration_index_mean_annual"],
        "impoverishing_a_year": s["we_impoverishing_rate_mean_annual"],
        "hypertension_awareness_end": last.loc["all", "hypertension_diagnosed"]
        / last.loc["all", "hypertension_cases"],
        "diabetes_awareness_end": last.loc["all", "diabetes_diagnosed"]
        / last.loc["all", "diabetes_cases"],
        "hypertension_management_end": s["hypertension_standardised_management_rate_end"],
        "diabetes_management_end": s["diabetes_standardised_management_rate_end"],
        "severe_mental_management_end": s["severe_mental_standardised_management_rate_end"],
        "deaths_per_1000": s["crude_death_rate_per_1000"],
        "births_per_1000": s["crude_birth_rate_per_1000"],
        "sdg_10_a_year": s["sdg_10_rate_mean_annual"],
        "sdg_25_a_year": s["sdg_25_rate_mean_annual"],
        "who_hardship_a_year": s["who_hardship_rate_mean_annual"],
        "societal_poverty_line_yuan": s["societal_poverty_line_yuan_mean_annual"],
        "admissions_forgone": s["admissions_forgone_share"],
        "outpatient_forgone": s["outpatient_forgone_share"],
        "years": years,
    }
    return out


def ratio(model: float, published: tuple[float, ...]) -> str:
    """Model / published, for each published figure (a range gives both ends)."""
    return "; ".join(f"{model / p:.2f}" for p in published)


def main(argv=None) -> int:
    """Run the scenario and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=None)
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    scn = load_scenario(args.scenario)
    res = run(scn, reps=args.reps, seed=args.seed, households=args.households,
              workers=args.workers)
    f = figures(res)
    years = sorted(k for k in f if k.startswith("return_") and k[7:].isdigit())
    print(f"{scn.name}, {args.households:,} households x {args.reps} replications "
          f"(seeds {args.seed}-{args.seed + args.reps - 1})\n")
    print("| figure | model | published | model / published |\n|---|---|---|---|")
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    rows = [
        ("return to poverty (any cause), formerly-poor households a year",
         f"{pct(f[years[0]])} ({years[0][7:]}) → {pct(f[years[-1]])} ({years[-1][7:]}); "
         f"{pct(f['return_cumulative'])} in the {f['years']} years "
         f"({pct(f['return_a_year'])} a year; the annual rates, repeated returns counted, "
         f"average {pct(f['return_annual_mean'])})", "return_a_year"),
        ("return due to illness, a year", f"{pct(f['return_illness_a_year'])} "
         f"({pct(f['return_illness_cumulative'])} in the {f['years']} years)", None),
        ("new poverty due to illness, other households a year",
         pct(f["new_poor_illness_a_year"]), "new_poor_illness_a_year"),
        ("monitored objects at the end, share of target-group households",
         pct(f["monitored_share_end"]), "monitored_share_end"),
        ("out-of-pocket share of bills, low-income groups (marginal households included)",
         pct(f["oop_share_low_income"]), "oop_share_low_income"),
        ("out-of-pocket share of bills, the groups of the registered poor (extremely poor, "
         "minimum guarantee, formerly poor)", pct(f["oop_share_poor_groups"]),
         "oop_share_poor_groups"),
        ("out-of-pocket share of hospital bills, the same groups",
         pct(f["inpatient_oop_share_poor_groups"]), "inpatient_oop_share_poor_groups"),
        ("admissions per person-year", f"{f['admissions_per_person_year']:.3f}",
         "admissions_per_person_year"),
        ("persons admitted in a year", pct(f["admitted_share"]), "admitted_share"),
        ("needed admissions forgone", pct(f["admissions_forgone"]), "admissions_forgone"),
        ("admissions by income, concentration index (persons admitted in a year, by "
         "household income per person)", f"{f['admission_concentration_index']:+.3f}",
         "admission_concentration_index"),
        ("impoverishing out of pocket (Wagstaff–Eozenou), households a year",
         pct(f["impoverishing_a_year"]), "impoverishing_a_year"),
        ("hypertension, diagnosed / cases at the end", pct(f["hypertension_awareness_end"]),
         "hypertension_awareness_end"),
        ("diabetes, diagnosed / cases at the end", pct(f["diabetes_awareness_end"]),
         "diabetes_awareness_end"),
        ("hypertension, managed / diagnosed at the end (diabetes "
         f"{pct(f['diabetes_management_end'])})", pct(f["hypertension_management_end"]),
         "hypertension_management_end"),
        ("severe mental disorder, managed / diagnosed", pct(f["severe_mental_management_end"]),
         "severe_mental_management_end"),
        ("crude death rate, per 1,000", f"{f['deaths_per_1000']:.1f}", "deaths_per_1000"),
        ("crude birth rate, per 1,000", f"{f['births_per_1000']:.2f}", "births_per_1000"),
    ]
    for label, model, key in rows:
        if key is None:
            print(f"| {label} | {model} | — | — |")
            continue
        value, source = PUBLISHED[key]
        print(f"| {label} | {model} | {source} | {ratio(f[key], value)} |")
    print(f"\nNo published counterpart here: SDG 3.8.2 at 10% {pct(f['sdg_10_a_year'])} and at "
          f"25% {pct(f['sdg_25_a_year'])} of households a year; WHO 2025 hardship "
          f"{pct(f['who_hardship_a_year'])} (societal poverty line "
          f"{f['societal_poverty_line_yuan']:,.0f} yuan per person-year); "
          f"{pct(f['outpatient_forgone'])} of outpatient episodes forgone.")
    assert np.isfinite(list(f.values())).all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
