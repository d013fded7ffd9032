"""Figures of a calibration: observed vs simulated, prior vs posterior, posterior pairs."""

from __future__ import annotations

import math

import numpy as np


def _grid(n: int, width: float = 4.2, height: float = 3.0):
    import matplotlib.pyplot as plt

    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def plot_fit(result):
    """Observed targets against the posterior predictive: median and 95% band over time."""
    groups: dict[tuple, list] = {}
    for t in result.targets:
        groups.setdefault((t.frame, t.quantity, t.group), []).append(t)
    fig, axes = _grid(len(groups))
    for ax, ((frame, quantity, group), targets) in zip(axes, groups.items(), strict=True):
        traj = result.trajectories[targets[0].label]
        if frame == "summary" or traj.shape[1] == 1:
            y = result.predictive[targets[0].label].to_numpy(float)
            lo, med, hi = np.nanquantile(y, [0.025, 0.5, 0.975])
            ax.errorbar([0.1], [med], yerr=[[med - lo], [hi - med]], fmt="s", color="C0",
                        capsize=4, label="simulated (median, 95% PI)")
            ax.set_xticks([0], [targets[0].date or "summary"])
            ax.set_xlim(-1, 1)
        else:
            x = np.arange(traj.shape[1])
            labels = [str(c) for c in traj.columns]
            lo, med, hi = (np.nanquantile(traj.to_numpy(float), q, axis=0)
                           for q in (0.025, 0.5, 0.975))
            ax.fill_between(x, lo, hi, color="C0", alpha=0.25, label="95% predictive")
            ax.plot(x, med, color="C0", label="median")
            step = max(1, len(x) // 6)
            ax.set_xticks(x[::step], labels[::step], rotation=30, fontsize=7)
        for t in targets:
            pos = 0 if frame == "summary" else [str(c) for c in traj.columns].index(
                str(int(t.date) if frame == "annual" else t.date))
            ax.errorbar([pos], [t.value], yerr=[[1.96 * t.scale]], fmt="o", color="C3",
                        capsize=3, label="observed (±1.96 scale)")
        ax.set_title(f"{quantity} [{group}]", fontsize=9)
        handles, names = ax.get_legend_handles_labels()
        keep = dict(zip(names, handles, strict=True))
        ax.legend(keep.values(), keep.keys(), fontsize=7)
    fig.suptitle(f"{result.meta['scenario']}: observed vs simulated (posterior predictive)")
    fig.tight_layout()
    return fig


def plot_marginals(result):
    """Each parameter: prior density and weighted posterior histogram, with the 95% CrI."""
    fig, axes = _grid(len(result.priors))
    w = result.posterior.weights()
    ci = result.conf_int()
    for ax, p in zip(axes, result.priors, strict=True):
        x = result.posterior.samples[p.key].to_numpy(float)
        dist = p.frozen()
        lo, hi = dist.ppf(0.001), dist.ppf(0.999)
        lo, hi = min(lo, x.min()), max(hi, x.max())
        grid = np.linspace(lo, hi, 200)
        ax.hist(x, bins=20, weights=w, density=True, color="C0", alpha=0.5, label="posterior")
        ax.plot(grid, dist.pdf(grid), color="k", lw=1, label=f"prior {p.describe()}")
        for v in ci.loc[p.key]:
            ax.axvline(v, color="C0", ls="--", lw=1)
        ax.set_title(p.key, fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("Prior vs posterior (dashed: 95% credible interval)")
    fig.tight_layout()
    return fig


def plot_pairs(result):
    """Posterior pairs: scatter of every two parameters (point size by weight)."""
    import matplotlib.pyplot as plt

    keys = result.posterior.keys
    k = len(keys)
    fig, axes = plt.subplots(k, k, figsize=(2.8 * k + 1, 2.8 * k + 1), squeeze=False)
    w = result.posterior.weights()
    s = result.posterior.samples
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            ax = axes[i][j]
            if i == j:
                ax.hist(s[a], bins=20, weights=w, color="C0", alpha=0.6)
            elif i > j:
                ax.scatter(s[b], s[a], s=4 + 400 * w, alpha=0.5, color="C0")
            else:
                ax.set_visible(False)
            if i == k - 1:
                ax.set_xlabel(b, fontsize=7)
            if j == 0:
                ax.set_ylabel(a, fontsize=7)
            ax.tick_params(labelsize=6)
    fig.suptitle("Posterior pairs")
    fig.tight_layout()
    return fig
