"""Figures of a run: health states and poverty over time, returns to poverty, spending.

Each function takes :class:`~sim.results.Results` (one run or several replications; the
mean is drawn, with the 2.5-97.5% range across replications where there are several) and
returns a matplotlib Figure, so notebooks can show it and the CLI can save it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.parameters import GROUP_LABELS
from sim.results import HEALTH_STATES, Results

STATE_COLOURS = ("#9ecae1", "#74c476", "#fd8d3c", "#fdd0a2", "#e6550d", "#9e9ac8", "#54278f",
                 "#636363")


def _reps(df: pd.DataFrame) -> pd.DataFrame:
    return df if "rep" in df else df.assign(rep=0)


def _band(df: pd.DataFrame, by: list[str], col: str) -> pd.DataFrame:
    """Mean and 2.5/97.5% quantiles of ``col`` across replications."""
    g = _reps(df).groupby(by)[col]
    return pd.DataFrame({"mean": g.mean(), "lo": g.quantile(0.025), "hi": g.quantile(0.975)})


def plot_states(res: Results) -> plt.Figure:
    """Persons by health state (stacked) and the poverty stocks, month by month."""
    monthly = res.monthly[res.monthly["group"] == "all"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    mean = monthly.groupby("month")[[f"state_{s}" for s in HEALTH_STATES]].mean()
    x = pd.PeriodIndex(mean.index, freq="M").to_timestamp()
    alive = [s for s in HEALTH_STATES if s not in ("healthy", "dead")]
    ax1.stackplot(x, *[mean[f"state_{s}"] for s in alive],
                  labels=[s.replace("_", " ") for s in alive],
                  colors=[STATE_COLOURS[HEALTH_STATES.index(s)] for s in alive])
    ax1.plot(x, mean["state_dead"], color=STATE_COLOURS[-1], lw=1.5, ls="--",
             label="dead (cumulative)")
    ax1.set_title("Persons by main health state (healthy not shown)")
    ax1.set_ylabel("persons in the simulated population")
    ax1.legend(fontsize=8, loc="upper left", ncols=2)
    for col, label, colour in (("poor_households", "poor", "#3182bd"),
                               ("poor_illness_households", "poor due to illness", "#e6550d"),
                               ("formerly_poor_poor_households", "formerly poor, now poor",
                                "#31a354")):
        b = _band(monthly, ["month"], col)
        ax2.plot(x, b["mean"], label=label, color=colour)
        ax2.fill_between(x, b["lo"], b["hi"], color=colour, alpha=0.2)
    ax2.set_title("Poor households (12-month net income below the line)")
    ax2.set_ylabel("households in the simulated population")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=8)
    fig.suptitle(f"{res.meta['scenario']}: {res.meta['households']:,} households, "
                 f"{res.meta['reps']} replication(s)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_returns(res: Results, rate: str = "return_illness_rate") -> plt.Figure:
    """Return to poverty (due to illness) per formerly-poor household, by year and group."""
    annual = res.annual
    groups = [g for g in annual["group"].unique()
              if g == "all" or annual.loc[annual["group"] == g,
                                          "formerly_poor_households_start"].sum() > 0]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    years = sorted(annual["year"].unique())
    width = 0.8 / len(groups)
    for i, g in enumerate(groups):
        b = _band(annual[annual["group"] == g], ["year"], rate).reindex(years)
        xs = np.arange(len(years)) + (i - (len(groups) - 1) / 2) * width
        err = np.vstack([b["mean"] - b["lo"], b["hi"] - b["mean"]]) * 100
        ax.bar(xs, b["mean"] * 100, width, label=GROUP_LABELS.get(g, "All formerly poor"),
               yerr=err if res.meta["reps"] > 1 else None, capsize=2)
    ax.set_xticks(np.arange(len(years)), [str(y) for y in years])
    ax.set_xlabel("year")
    what = "due to illness " if "illness" in rate else ""
    ax.set_ylabel(f"% of formerly-poor households returning {what}in the year")
    ax.set_title(f"Return to poverty {what}by year and target group"
                 + (" (bars: 95% range across replications)" if res.meta["reps"] > 1 else ""))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_spending(res: Results) -> plt.Figure:
    """Medical spending by payer and year (yuan, scaled to the area)."""
    a = res.annual[res.annual["group"] == "all"]
    payers = ["basic_yuan", "critical_illness_yuan", "assistance_yuan", "supplemental_yuan",
              "oop_yuan"]
    mean = _reps(a).groupby("year")[payers].mean() * res.meta["scale"] / 1e6
    fig, ax = plt.subplots(figsize=(8, 4.5))
    bottom = np.zeros(len(mean))
    for p in payers:
        ax.bar(mean.index.astype(str), mean[p], bottom=bottom,
               label=p.removesuffix("_yuan").replace("_", " "))
        bottom += mean[p].to_numpy()
    ax.set_ylabel("million yuan per year (area)")
    ax.set_title("Medical bills by payer")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


FIGURES = {"states": plot_states, "returns": plot_returns, "spending": plot_spending}


def save_figures(res: Results, out_dir) -> list:
    """Write every figure as PNG into ``out_dir``; returns the paths."""
    paths = []
    for name, fn in FIGURES.items():
        fig = fn(res)
        path = Path(out_dir) / f"{name}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    return paths
