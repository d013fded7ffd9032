"""Figures of a run: health states and poverty over time, returns to poverty, spending.

Each function takes :class:`~sim.results.Results` (one run or several replications) and
returns a matplotlib Figure, so notebooks can show it and the CLI can save it
(``Results.plot()`` gives all three). The figures are meant to be read without help:

* every count and sum of money is **scaled to the area** the scenario represents
  (``population.represents_households``), in every panel, and the axis says so;
* lines and bars are the **mean over replications**; shading and error bars are the
  **95% confidence interval of that mean** (Student t across replications, chance only;
  :mod:`sim.intervals`), named as such in the figure; with one replication there is none
  and the figure says so;
* the scenario's name is in every title; dated **calendar changes** are dotted vertical
  lines labelled with their name;
* groups without any household of the kind plotted get no legend entry; legends sit
  outside the data.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import StrMethodFormatter

from sim.intervals import interval_table
from sim.parameters import GROUP_LABELS
from sim.results import HEALTH_STATES, Results

STATE_COLOURS = ("#9ecae1", "#74c476", "#fd8d3c", "#fdd0a2", "#e6550d", "#9e9ac8", "#54278f",
                 "#636363")
STATE_LABELS = {
    "healthy": "healthy", "chronic_managed": "chronic disease, managed",
    "chronic_unmanaged": "chronic disease, not managed", "outpatient": "outpatient episode",
    "inpatient": "in hospital", "major_early": "major disease, early stage",
    "major_late": "major disease, late stage", "dead": "died since the start (cumulative)",
}
PAYERS = {
    "basic_yuan": ("basic medical insurance", "#3182bd"),
    "critical_illness_yuan": ("critical illness insurance", "#6baed6"),
    "assistance_yuan": ("medical assistance", "#31a354"),
    "supplemental_yuan": ("supplemental insurance", "#a1d99b"),
    "oop_yuan": ("out of pocket (households)", "#e6550d"),
}


def _reps(df: pd.DataFrame) -> pd.DataFrame:
    return df if "rep" in df else df.assign(rep=0)


def _band(df: pd.DataFrame, by: str, col: str, scale: float = 1.0) -> pd.DataFrame:
    """Mean of ``col`` by ``by`` and its 95% confidence interval, times ``scale``."""
    t = interval_table(_reps(df), [by], col)[["value", "ci_lo", "ci_hi"]] * scale
    return t.rename(columns={"value": "mean", "ci_lo": "lo", "ci_hi": "hi"})


def _interval_note(res: Results, what: str) -> str:
    """E.g. 'shading: 95% confidence interval of the mean of 5 replications (chance only)'."""
    n = res.meta.get("reps", 1)
    if n < 2:
        return "one replication: no interval"
    return f"{what}: 95% confidence interval of the mean\nof {n} replications (chance only)"


def _title(res: Results, what: str) -> str:
    m = res.meta
    return f"{what}\n{m['scenario']}, {m['households']:,} simulated households, " \
           f"{m.get('reps', 1)} replication(s)"


def _footer(fig, res: Results) -> None:
    """The scaling, stated once under the figure."""
    m = res.meta
    fig.text(0.5, -0.01, f"Counts and money are scaled to the area the scenario represents: "
             f"{m['households'] * m['scale']:,.0f} households (x{m['scale']:.4g} the "
             f"{m['households']:,} simulated).", ha="center", va="top", fontsize=8,
             color="#333333")


def calendar_changes(res: Results) -> list[tuple[pd.Timestamp, str]]:
    """(first day of the month, name) of each dated calendar change of the run."""
    ev = res.tables()["events"]  # fixed columns, also when there are no events
    ch = ev[ev["event"] == "calendar change"].drop_duplicates(subset=["month", "name"])
    return [(pd.Period(m, freq="M").to_timestamp(), str(n))
            for m, n in zip(ch["month"], ch["name"], strict=True)]


def _mark_changes(ax, changes, to_x=lambda t: t) -> None:
    """Dotted vertical lines at calendar changes, labelled at the top of the axes."""
    for when, name in changes:
        x = to_x(when)
        ax.axvline(x, color="#555555", ls=":", lw=1.2, zorder=0)
        ax.annotate(name, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -2),
                    textcoords="offset points", fontsize=7, color="#555555", rotation=90,
                    va="top", ha="left",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.7})


def plot_states(res: Results) -> plt.Figure:
    """Persons by main health state (stacked) and the poor households, month by month."""
    monthly = _reps(res.monthly[res.monthly["group"] == "all"])
    scale = res.meta["scale"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    mean = monthly.groupby("month")[[f"state_{s}" for s in HEALTH_STATES]].mean() * scale
    x = pd.PeriodIndex(mean.index, freq="M").to_timestamp()
    shown = [s for s in HEALTH_STATES if s not in ("healthy", "dead")
             and mean[f"state_{s}"].sum() > 0]
    ax1.stackplot(x, *[mean[f"state_{s}"] for s in shown],
                  labels=[STATE_LABELS[s] for s in shown],
                  colors=[STATE_COLOURS[HEALTH_STATES.index(s)] for s in shown])
    if mean["state_dead"].sum() > 0:
        ax1.plot(x, mean["state_dead"], color=STATE_COLOURS[-1], lw=1.5, ls="--",
                 label=STATE_LABELS["dead"])
    ax1.set_title("Persons by main health state (healthy persons not shown)", fontsize=10)
    ax1.set_ylabel("persons (scaled to the area)")
    ax1.set_xlabel("month")
    ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2,
               frameon=False)
    for col, label, colour in (
            ("poor_households", "poor (12-month net income below the line)", "#3182bd"),
            ("poor_illness_households", "poor due to illness", "#e6550d"),
            ("formerly_poor_poor_households", "formerly poor (tuopin), now poor", "#31a354")):
        b = _band(monthly, "month", col, scale)
        ax2.plot(x, b["mean"].to_numpy(), label=label, color=colour)
        if res.meta.get("reps", 1) > 1:
            ax2.fill_between(x, b["lo"].to_numpy(), b["hi"].to_numpy(), color=colour,
                             alpha=0.2, lw=0)
    ax2.set_title("Poor households", fontsize=10)
    ax2.set_ylabel("households (scaled to the area)")
    ax2.set_xlabel("month")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2,
               frameon=False, title=_interval_note(res, "shading"), title_fontsize=7)
    changes = calendar_changes(res)
    for ax in (ax1, ax2):
        _mark_changes(ax, changes)
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    fig.suptitle(_title(res, "Health and poverty over time"), fontsize=11)
    _footer(fig, res)
    return fig


def plot_returns(res: Results, rate: str = "return_illness_rate") -> plt.Figure:
    """Return to poverty (due to illness) per formerly-poor household, by year and group.

    Groups without formerly-poor households are left out; a zero bar is labelled 0.
    """
    annual = _reps(res.annual)
    groups = [g for g in annual["group"].unique()
              if annual.loc[annual["group"] == g, "formerly_poor_households_start"].sum() > 0]
    fig, ax = plt.subplots(figsize=(10, 5.2), layout="constrained")
    years = sorted(annual["year"].unique())
    width = 0.8 / max(len(groups), 1)
    replicated = res.meta.get("reps", 1) > 1
    for i, g in enumerate(groups):
        b = _band(annual[annual["group"] == g], "year", rate, 100).reindex(years)
        xs = np.arange(len(years)) + (i - (len(groups) - 1) / 2) * width
        err = np.vstack([b["mean"] - b["lo"], b["hi"] - b["mean"]]) if replicated else None
        label = GROUP_LABELS.get(g, "All formerly-poor households")
        ax.bar(xs, b["mean"], width, label=label, yerr=err, capsize=2,
               color="#636363" if g == "all" else None, error_kw={"lw": 0.8})
        for xv, v in zip(xs, b["mean"], strict=True):
            if v == 0:
                ax.annotate("0", (xv, 0), xytext=(0, 2), textcoords="offset points",
                            ha="center", fontsize=7)
    ax.set_xticks(np.arange(len(years)), [str(y) for y in years])
    ax.set_xlabel("year")
    what = "due to illness " if "illness" in rate else ""
    ax.set_ylabel("% of the group's formerly-poor households")
    ax.set_ylim(bottom=0)

    def year_x(when: pd.Timestamp) -> float:  # the boundary before the change's month
        return years.index(when.year) - 0.5 + (when.month - 1) / 12 if when.year in years \
            else np.nan

    _mark_changes(ax, [(t, n) for t, n in calendar_changes(res) if t.year in years], year_x)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title=_interval_note(res, "error bars"), title_fontsize=7)
    fig.suptitle(_title(res, f"Return to poverty {what}(fanpin) per formerly-poor household "
                             "in the year, by target group"), fontsize=11)
    ax.text(0, -0.13, "Groups without formerly-poor households are not shown.",
            transform=ax.transAxes, fontsize=7, color="#333333", va="top")
    return fig


def plot_spending(res: Results) -> plt.Figure:
    """Medical spending by payer and year (million yuan, scaled to the area).

    The error bar on each year's total is the 95% confidence interval of its mean.
    """
    a = _reps(res.annual[res.annual["group"] == "all"])
    scale = res.meta["scale"] / 1e6
    payers = [p for p in PAYERS if a[p].sum() > 0]
    mean = a.groupby("year")[list(PAYERS)].mean() * scale
    total = _band(a.assign(total=a[list(PAYERS)].sum(axis=1)), "year", "total", scale)
    fig, ax = plt.subplots(figsize=(10, 5.2), layout="constrained")
    xs = np.arange(len(mean))
    bottom = np.zeros(len(mean))
    for p in payers:
        label, colour = PAYERS[p]
        ax.bar(xs, mean[p], bottom=bottom, label=label, color=colour, width=0.6)
        bottom += mean[p].to_numpy()
    if res.meta.get("reps", 1) > 1:
        ax.errorbar(xs, total["mean"], yerr=[total["mean"] - total["lo"],
                                             total["hi"] - total["mean"]],
                    fmt="none", ecolor="black", capsize=3, lw=1,
                    label="95% confidence interval of the mean total")
    years = list(mean.index)
    ax.set_xticks(xs, [str(y) for y in years])
    ax.set_xlabel("year")
    ax.set_ylabel("million yuan per year (scaled to the area)")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))

    def year_x(when: pd.Timestamp) -> float:
        return years.index(when.year) - 0.5 + (when.month - 1) / 12

    _mark_changes(ax, [(t, n) for t, n in calendar_changes(res) if t.year in years], year_x)
    handles, labels = ax.get_legend_handles_labels()
    stacked = [i for i, lab in enumerate(labels) if lab in {v[0] for v in PAYERS.values()}]
    order = stacked[::-1] + [i for i in range(len(labels)) if i not in stacked]  # as stacked
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=8,
              loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title=_interval_note(res, "error bar on the total"), title_fontsize=7)
    fig.suptitle(_title(res, "Medical bills by payer (after every layer of reimbursement)"),
                 fontsize=11)
    _footer(fig, res)
    return fig


FIGURES = {"states": plot_states, "returns": plot_returns, "spending": plot_spending}


def save_figures(res: Results, out_dir) -> list:
    """Write every figure as PNG into ``out_dir``; returns the paths."""
    paths = []
    for name, fn in FIGURES.items():
        fig = fn(res)
        path = Path(out_dir) / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
