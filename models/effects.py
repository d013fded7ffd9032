"""Each measure's effect on an outcome: leave-one-out, add-one-in, Shapley and factorial.

A *measure* is either a measure's on/off switch (a name from ``sim.policies.REGISTRY``:
on sets ``policies.<name>.enabled = true``, off sets it ``false``) or any named set of
overrides (on applies them, off leaves the base scenario's values), e.g.
``{"contract coverage 60%": {"policies.contracts.coverage.formerly_poor": 0.6}}``. A
*combination* is the set of measures that are on; every other listed measure is off and
everything else keeps the base scenario's value. Each combination runs as a package of one
:func:`~models.batch.run_batch` with common random numbers, so every effect below is a
difference of outcomes within a sample (same seed, same posterior draw) -- a paired
difference.

Effect of measure *i* (outcome with - outcome without; negative = fewer returns):

* **leave-one-out**: v(all) - v(all without i);
* **add-one-in**: v({i}) - v(none);
* **Shapley value**: the average of v(S + i) - v(S) over all orders in which the measures
  can be switched on. With n <= ``max_exact`` (8) measures it is exact: the weighted sum over
  all 2^n combinations, weight |S|! (n - |S| - 1)! / n!. Beyond, it is estimated from
  ``permutations`` random orders (numpy ``default_rng(perm_seed)``), drawn in antithetic
  pairs (an order and its reverse), the same orders for every sample; each order's
  contributions telescope to v(all) - v(none), so the values still add up exactly in every
  sample. The permutation-sampling error is reported apart (``perm_se``, from the spread
  across the pairs of orders); the interval carries replication chance only.
* **factorial**: the 2^n design (or its half fraction, 2^(n-1) runs, defining relation
  I = product of all measures: resolution n, so main effects and two-way interactions are
  not aliased with each other for n >= 5), analysed by OLS (statsmodels) on +-1 coded
  measures with all two-way interactions and one fixed effect per sample (the common random
  numbers block), with HC3 robust standard errors. A reported effect is twice its
  coefficient: the average change from off to on across the design (an interaction: half
  the difference between one measure's effect with the other on and off).

Intervals (each results object names its kind in ``interval``): with replications only,
*chance only*: the 95% t-interval of the mean paired difference across replications. With
posterior draws, *parameter uncertainty and chance*: the 2.5-97.5% quantiles across draws of
the draw's mean paired difference. Within each run (``intervals="households"``, the default
with one replication), *chance only* from the run's households: for the cumulative rates,
the linearised variance over the run's household clusters (``sim.results.WINDOW_CLUSTERS``)
of the linear combination of ratios that each effect is (:func:`household_variances`).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from models.batch import Batch, run_batch
from sim.intervals import t_quantile
from sim.scenario import Scenario, parse_overrides

#: The default outcome, named for the default scenario's period (2021-2025); ``None``
#: in the functions below resolves to the cumulative rate of whatever period was run.
DEFAULT_OUTCOME = "return_illness_rate_cumulative"
CHANCE = "chance only: 95% CI of the mean paired difference across replications (t-interval)"
PARAMETER = ("parameter uncertainty and chance: 2.5-97.5% quantiles across posterior draws of "
             "the draw's mean paired difference")
HOUSEHOLDS = ("chance only: 95% CI within each run, from its households (K clusters of "
              "household slots taken as independent draws; linearised ratio variance, "
              "t-interval); interactions between households through shared capacity and "
              "budgets are left out")
OLS_HC3 = ("chance only: CI from OLS with HC3 robust standard errors and one fixed effect per "
           "sample")


@dataclass(frozen=True)
class Measure:
    """A measure: its name and the overrides that switch it on and off."""

    name: str
    on: dict[str, Any]
    off: dict[str, Any] = field(default_factory=dict)


def as_measures(measures) -> list[Measure]:
    """Measures from names (switches), {name: overrides} or Measure objects.

    A name of ``sim.policies.REGISTRY`` given alone (or with ``None`` / ``"switch"``) is that
    measure's switch; a name with overrides is a named set of overrides.
    """
    from sim.policies import REGISTRY

    items = measures.items() if isinstance(measures, Mapping) else [
        (m.name, m) if isinstance(m, Measure) else (m, None) for m in measures]
    out: list[Measure] = []
    for name, spec in items:
        if isinstance(spec, Measure):
            out.append(spec)
        elif spec is None or spec == "switch":
            if name not in REGISTRY:
                raise ValueError(f"unknown measure {name!r}: give overrides for it, or use one "
                                 f"of {', '.join(REGISTRY)}")
            key = f"policies.{name}.enabled"
            out.append(Measure(name, {key: True}, {key: False}))
        else:
            pairs = dict(parse_overrides(spec, f"measure {name!r}"))
            if not pairs:
                raise ValueError(f"measure {name!r} has no overrides")
            out.append(Measure(name, pairs))
    names = [m.name for m in out]
    if len(set(names)) != len(names) or not names:
        raise ValueError(f"measures need distinct names, at least one: {names}")
    keys: dict[str, str] = {}
    for m in out:
        for k in {**m.on, **m.off}:
            if k in keys:
                raise ValueError(f"measures {keys[k]!r} and {m.name!r} both set {k!r}")
            keys[k] = m.name
    return out


def label(mask: int, measures: Sequence[Measure]) -> str:
    """The package name of a combination (bit i set: measure i on)."""
    on = [m.name for i, m in enumerate(measures) if mask >> i & 1]
    return " + ".join(on) if on else "none"


def combination(mask: int, measures: Sequence[Measure]) -> dict[str, Any]:
    """The overrides of a combination."""
    out: dict[str, Any] = {}
    for i, m in enumerate(measures):
        out.update(m.on if mask >> i & 1 else m.off)
    return out


def shapley_weights(n: int) -> np.ndarray:
    """Weight of a coalition of size k (not containing i) in i's exact Shapley value."""
    return np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                     for k in range(n)])


def sample_permutations(n: int, count: int, seed: int = 0) -> np.ndarray:
    """``count`` orders of n measures (rounded up to even): random ones and their reverses."""
    rng = np.random.default_rng(seed)
    half = [rng.permutation(n) for _ in range((count + 1) // 2)]
    return np.array([p for q in half for p in (q, q[::-1])])


def needed_masks(n: int, methods: Sequence[str], exact: bool,
                 perms: np.ndarray | None) -> list[int]:
    """Combinations to run for the methods, in a stable order."""
    full = (1 << n) - 1
    masks = {0, full}
    if "loo" in methods:
        masks |= {full & ~(1 << i) for i in range(n)}
    if "aoi" in methods:
        masks |= {1 << i for i in range(n)}
    if "shapley" in methods or "factorial" in methods:
        if exact:
            masks |= set(range(1 << n))
        else:
            for p in perms:
                m = 0
                for i in p:
                    m |= 1 << int(i)
                    masks.add(m)
    return sorted(masks, key=lambda m: (bin(m).count("1"), m))


def estimate_effects(base: Scenario | str | None, measures, outcome: str | None = None,
                     methods: Sequence[str] = ("loo", "aoi", "shapley"), reps: int = 5,
                     seed: int = 0, households: int | None = None,
                     draws: Sequence[Mapping[str, Any]] | None = None,
                     max_exact: int = 8, permutations: int = 20, perm_seed: int = 0,
                     executor=None, workers: int | None = None, store=None,
                     progress: bool = False, intervals: str | None = None) -> Effects:
    """Run the combinations the methods need and estimate every measure's effect.

    ``methods``: any of ``loo`` (leave-one-out), ``aoi`` (add-one-in), ``shapley``. Shapley
    values are exact for n <= ``max_exact`` measures, else from ``permutations`` sampled
    orders. ``intervals``: see :func:`effects_from_batch` (``reps=1`` gives within-run
    intervals from the households). Other arguments go to :func:`~models.batch.run_batch`.
    """
    ms = as_measures(measures)
    unknown = set(methods) - {"loo", "aoi", "shapley"}
    if unknown or not methods:
        raise ValueError(f"unknown methods {sorted(unknown)}; use loo, aoi, shapley")
    check_intervals(intervals)
    n = len(ms)
    exact = n <= max_exact
    perms = None if exact else sample_permutations(n, permutations, perm_seed)
    masks = needed_masks(n, methods, exact, perms)
    packages = {label(m, ms): combination(m, ms) for m in masks}
    batch = run_batch(base, packages, reps=reps, seed=seed, households=households, draws=draws,
                      executor=executor, workers=workers, store=store, progress=progress)
    return effects_from_batch(batch, ms, outcome, methods, perms=perms, intervals=intervals)


def outcome_matrix(batch: Batch, measures: Sequence[Measure], outcome: str | None):
    """(samples x combinations) outcome values, the masks present, draws, name and unit.

    Samples with any failed combination are dropped (their pairs would be incomplete).
    """
    name = batch.resolve(outcome)
    wide = batch.wide(name)
    masks = {}
    for mask in range(1 << len(measures)):
        lab = label(mask, measures)
        if lab in wide.columns:
            masks[mask] = lab
    wide = wide[list(masks.values())].dropna()
    if wide.empty:
        raise ValueError("no sample has every combination (see the batch's failures)")
    draws = (wide.index.to_numpy() // batch.reps).astype(int)
    t = batch.table
    unit = t.loc[t["indicator"] == name, "unit"].iloc[0]
    return wide.to_numpy(float), list(masks), wide.index.to_numpy(), draws, name, unit


def effect_coefficients(n: int, masks: Sequence[int], methods: Sequence[str],
                        perms: np.ndarray | None, names: Sequence[str]):
    """Each effect as a linear combination of the combinations' outcomes.

    Returns ``{(method, measure): c}``, each ``c`` a vector over ``masks`` (the effect in a
    sample is ``outcomes @ c``), and for sampled Shapley values ``{measure: C}``, one row
    of ``C`` per sampled order (the order's contribution of that measure).
    """
    col = {m: k for k, m in enumerate(masks)}
    full = (1 << n) - 1

    def e(mask):
        if mask not in col:
            raise ValueError(f"the batch lacks the combination with mask {mask:b}")
        out = np.zeros(len(masks))
        out[col[mask]] = 1.0
        return out

    coef: dict[tuple[str, str], np.ndarray] = {("total", "all vs none"): e(full) - e(0)}
    for i, name in enumerate(names):
        bit = 1 << i
        if "loo" in methods:
            coef["leave-one-out", name] = e(full) - e(full & ~bit)
        if "aoi" in methods:
            coef["add-one-in", name] = e(bit) - e(0)
    per_order: dict[str, np.ndarray] = {}
    if "shapley" in methods:
        if perms is None:
            if len(col) != 1 << n:
                raise ValueError("exact Shapley values need all 2^n combinations; pass perms")
            w = shapley_weights(n)
            for i, name in enumerate(names):
                bit = 1 << i
                coef["shapley", name] = sum(w[bin(m).count("1")] * (e(m | bit) - e(m))
                                            for m in range(1 << n) if not m & bit)
        else:
            rows = np.zeros((n, len(perms), len(masks)))
            for k, p in enumerate(perms):
                mask = 0
                for i in p:
                    i = int(i)
                    rows[i, k] = e(mask | 1 << i) - e(mask)
                    mask |= 1 << i
            for i, name in enumerate(names):
                coef["shapley", name] = rows[i].mean(axis=0)
                per_order[name] = rows[i]
    return coef, per_order


#: The window's counts behind each cumulative rate (sim.results.WINDOW_KEYS):
#: outcome -> (numerator, denominator), for within-run intervals.
RATIO_OUTCOMES = {
    "return_illness_rate_cumulative": ("returned_illness", "formerly_poor_households"),
    "return_rate_cumulative": ("returned", "formerly_poor_households"),
    "new_poor_illness_rate_cumulative": ("new_poor_illness", "other_households"),
}


def household_variances(batch: Batch, outcome: str, samples: np.ndarray,
                        labels: Sequence[str], coef: Mapping) -> tuple[dict, int]:
    """Within-run variance of each effect in each sample, from household clusters.

    Each combination's outcome is a ratio of the run's cluster totals, v = sum N / sum D;
    an effect is a linear combination of the combinations' ratios. Its linearised
    (delta-method) variance treats the K clusters of a run as independent draws:
    K / (K - 1) * sum over clusters of z_c^2, with z_c = sum over combinations of
    c * (N_c - v D_c) / sum D. Returns ``{key: variance per sample}`` and K.
    """
    if outcome not in RATIO_OUTCOMES:
        raise ValueError(f"within-run intervals exist for the cumulative rates "
                         f"({', '.join(RATIO_OUTCOMES)}), not for {outcome!r}; use "
                         f"intervals='replications'")
    if batch.clusters.empty:
        raise ValueError("the batch has no window counts by cluster (runs without a "
                         "reported window?): use intervals='replications'")
    num, den = RATIO_OUTCOMES[outcome]
    out = {key: np.zeros(len(samples)) for key in coef}
    k_clusters = 0
    for j, sample in enumerate(samples):
        cl = batch.clusters[batch.clusters["sample"] == sample]
        N = cl.pivot(index="cluster", columns="package", values=num)[list(labels)].to_numpy(float)
        D = cl.pivot(index="cluster", columns="package", values=den)[list(labels)].to_numpy(float)
        k_clusters = len(N)
        total = np.maximum(D.sum(axis=0), 1.0)
        Z = (N - N.sum(axis=0) / total * D) / total  # clusters x combinations
        for key, c in coef.items():
            z = Z @ c
            out[key][j] = k_clusters / (k_clusters - 1) * float(z @ z)
    return out, k_clusters


def check_intervals(intervals: str | None) -> None:
    """A clear error for an unknown kind of interval."""
    if intervals not in (None, "replications", "households"):
        raise ValueError(f"intervals must be 'replications' or 'households', got "
                         f"{intervals!r}")


def effects_from_batch(batch: Batch, measures, outcome: str | None = None,
                       methods: Sequence[str] = ("loo", "aoi", "shapley"),
                       perms: np.ndarray | None = None,
                       intervals: str | None = None) -> Effects:
    """Effects from a batch whose packages are combinations named by :func:`label`.

    ``intervals``: ``"replications"`` (the paired differences' spread across samples),
    ``"households"`` (within each run, from its household clusters: one replication is
    enough) or None (replications when the batch has several per draw, else households).
    """
    ms = as_measures(measures)
    V, masks, samples, draws, name, unit = outcome_matrix(batch, ms, outcome)
    check_intervals(intervals)
    if intervals is None:
        intervals = "replications" if batch.reps > 1 or batch.draws > 1 else "households"
    if intervals == "households" and batch.draws > 1:
        raise ValueError("within-run (households) intervals carry chance only: use "
                         "intervals='replications' with posterior draws")
    coef, per_order = effect_coefficients(len(ms), masks, methods, perms,
                                          [m.name for m in ms])
    per = {key: V @ c for key, c in coef.items()}
    perm_se: dict[str, float] = {}
    for mname, rows in per_order.items():
        pair = (V @ rows.T).mean(axis=0).reshape(-1, 2).mean(axis=1)
        perm_se[mname] = (float(pair.std(ddof=1) / np.sqrt(len(pair)))
                          if len(pair) > 1 else np.nan)
    within, k_clusters = None, 0
    if intervals == "households":
        labels = [label(m, ms) for m in masks]
        within, k_clusters = household_variances(batch, name, samples, labels, coef)
    samples_frame = pd.DataFrame(
        [{"sample": s, "draw": d, "method": meth, "measure": mea, "effect": e,
          "within_var": np.nan if within is None else within[meth, mea][j]}
         for (meth, mea), arr in per.items()
         for j, (s, d, e) in enumerate(zip(samples, draws, arr, strict=True))])
    levels = pd.DataFrame({"combination": [label(m, ms) for m in masks],
                           "mean": V.mean(axis=0)})
    return Effects(outcome=name, unit=unit, specs=tuple(ms),
                   exact=perms is None, n_permutations=0 if perms is None else len(perms),
                   samples=samples_frame, perm_se=perm_se, levels=levels, batch=batch,
                   clusters=k_clusters)


def pairing_gain(base: Scenario | str | None, change: Mapping[str, Any],
                 outcome: str | None = None, reps: int = 5, households: int | None = None,
                 seed: int = 0, other_seed: int = 100_000, workers: int | None = None
                 ) -> pd.DataFrame:
    """How much common random numbers narrow the interval of one effect.

    The effect of ``change`` (overrides) on ``outcome`` estimated twice from the same
    ``reps`` runs with the change: paired with the base run of the same seed (the 95%
    t-interval of the mean paired difference), and against base runs of other seeds
    (``other_seed`` on; Welch's two-sample interval), as if the runs shared no draws.
    One row per way: ``pairing, estimate, lo, hi, width``.
    """
    from scipy import stats  # Welch's test is needed here only; the import costs ~0.6 s

    packages = {"base": {}, "change": dict(change)}
    runs = run_batch(base, packages, reps=reps, seed=seed, households=households,
                     workers=workers)
    name = runs.resolve(outcome)
    paired = runs.wide(name)
    unpaired = run_batch(base, {"base": {}}, reps=reps, seed=other_seed,
                         households=households, workers=workers).wide(name)["base"]
    diff = (paired["change"] - paired["base"]).to_numpy()
    mean, _, lo, hi, _ = paired_interval(diff, np.zeros(reps, int))
    welch = stats.ttest_ind(paired["change"].to_numpy(), unpaired.to_numpy(),
                            equal_var=False).confidence_interval()
    rows = [("paired: the same seeds (common random numbers)", mean, lo, hi),
            ("independent: other seeds for the base", float(
                paired["change"].mean() - unpaired.mean()), welch.low, welch.high)]
    out = pd.DataFrame(rows, columns=["pairing", "estimate", "lo", "hi"])
    out["width"] = out["hi"] - out["lo"]
    return out


def paired_interval(values: np.ndarray, draws: np.ndarray, alpha: float = 0.05):
    """(mean, se, lo, hi, kind) of per-sample paired differences.

    One draw: the t-interval of the mean across replications (chance only). Several draws:
    the quantiles across draws of each draw's mean (parameter uncertainty and chance).
    """
    values = np.asarray(values, float)
    mean = float(values.mean())
    ud = np.unique(draws)
    if len(ud) > 1:
        by = np.array([values[draws == d].mean() for d in ud])
        lo, hi = np.quantile(by, [alpha / 2, 1 - alpha / 2])
        return mean, float(by.std(ddof=1)), float(lo), float(hi), PARAMETER.replace(
            "2.5-97.5%", f"{100 * alpha / 2:g}-{100 * (1 - alpha / 2):g}%")
    n = len(values)
    if n < 2:
        return mean, np.nan, np.nan, np.nan, CHANCE
    se = float(values.std(ddof=1) / np.sqrt(n))
    half = t_quantile(1 - alpha / 2, n - 1) * se
    return mean, se, mean - half, mean + half, CHANCE.replace("95%", f"{100 * (1 - alpha):g}%")


def within_interval(values: np.ndarray, variances: np.ndarray, clusters: int,
                    alpha: float = 0.05):
    """(mean, se, lo, hi, kind) of effects with within-run variances from clusters.

    The mean over the R samples, its variance sum(var) / R^2, and a t-interval with
    R (K - 1) degrees of freedom (K clusters a run).
    """
    values, variances = np.asarray(values, float), np.asarray(variances, float)
    r = len(values)
    mean = float(values.mean())
    se = float(np.sqrt(variances.sum()) / r)
    half = t_quantile(1 - alpha / 2, r * (clusters - 1)) * se
    kind = HOUSEHOLDS.replace("95%", f"{100 * (1 - alpha):g}%").replace(
        "K clusters", f"{clusters} clusters")
    return mean, se, mean - half, mean + half, kind


@dataclass(frozen=True)
class Effects:
    """Effects of measures on one outcome, per method, with paired intervals."""

    outcome: str
    unit: str
    specs: tuple[Measure, ...]
    exact: bool
    n_permutations: int
    #: sample, draw, method, measure, effect, within_var (the effect's within-run
    #: variance from household clusters; NaN with intervals from replications)
    samples: pd.DataFrame = field(repr=False)
    perm_se: dict[str, float] = field(repr=False)
    levels: pd.DataFrame = field(repr=False)  # combination, mean outcome
    batch: Batch | None = field(default=None, repr=False)
    #: household clusters per run behind within-run intervals (0: from replications)
    clusters: int = 0

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures' names, in order."""
        return tuple(m.name for m in self.specs)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """method, measure, estimate, se, lo, hi, interval at level 1 - alpha."""
        rows = []
        for (meth, mea), g in self.samples.groupby(["method", "measure"], sort=False):
            if self.clusters:
                mean, se, lo, hi, kind = within_interval(
                    g["effect"].to_numpy(), g["within_var"].to_numpy(), self.clusters, alpha)
            else:
                mean, se, lo, hi, kind = paired_interval(g["effect"].to_numpy(),
                                                         g["draw"].to_numpy(), alpha)
            rows.append({"method": meth, "measure": mea, "estimate": mean, "se": se,
                         "lo": lo, "hi": hi, "n": len(g), "interval": kind})
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """Effects with 95% intervals; ``perm_se`` for sampled Shapley values."""
        df = self.conf_int(0.05)
        df["outcome"], df["unit"] = self.outcome, self.unit
        df["perm_se"] = [self.perm_se.get(m, np.nan) if meth == "shapley" else np.nan
                         for meth, m in zip(df["method"], df["measure"], strict=True)]
        return df

    def by_sample(self, method: str = "shapley") -> pd.DataFrame:
        """Per-sample effects of one method: rows samples, columns measures."""
        s = self.samples[self.samples["method"] == method]
        if s.empty:
            raise KeyError(f"no method {method!r}; have {sorted(set(self.samples['method']))}")
        w = s.pivot(index="sample", columns="measure", values="effect")
        return w[list(dict.fromkeys(s["measure"]))]

    def summary(self) -> str:
        """A readable table, with what the intervals carry."""
        df = self.to_frame()
        kind = df["interval"].iloc[0]
        how = ("exact over all combinations" if self.exact else
               f"sampled, {self.n_permutations} orders in antithetic pairs; perm_se = "
               "permutation-sampling standard error")
        head = (f"Effect on {self.outcome} ({self.unit}) of switching each measure on "
                f"(with - without); {len(self.measures)} measures, "
                f"{df['n'].iloc[0]} paired sample(s)\nShapley values: {how}\n"
                f"Intervals: {kind}")
        cols = ["method", "measure", "estimate", "lo", "hi"] + (
            [] if self.exact else ["perm_se"])
        return head + "\n" + df[cols].to_string(index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return self.summary()

    def factorial(self) -> FactorialEffects:
        """The full factorial analysis from the same runs (needs all 2^n combinations)."""
        if self.batch is None:
            raise ValueError("no batch kept with these effects")
        return factorial_from_batch(self.batch, list(self.specs), self.outcome)

    def plot(self, kind: str = "forest", ax=None):
        """``forest``: every effect with its interval; ``waterfall``: Shapley values."""
        if kind == "forest":
            return forest_plot(self.to_frame(), self.outcome, ax=ax)
        if kind == "waterfall":
            return self.waterfall(ax=ax)
        raise ValueError(f"unknown plot kind {kind!r}; use forest or waterfall")

    def waterfall(self, ax=None):
        """From the outcome with no measure to the outcome with all, one bar per measure."""
        import matplotlib.pyplot as plt

        df = self.to_frame()
        sh = df[df["method"] == "shapley"]
        if sh.empty:
            raise ValueError("no Shapley values to draw")
        sh = sh.reindex(sh["estimate"].abs().sort_values(ascending=False).index)
        lv = self.levels.set_index("combination")["mean"]
        start = float(lv["none"])
        end = float(lv[label((1 << len(self.specs)) - 1, self.specs)])
        if ax is None:
            _, ax = plt.subplots(figsize=(max(6, 1.1 * (len(sh) + 2)), 4.5))
        x, level = 0, start
        ax.bar(x, start, color="#9e9ac8")
        names = ["no measure"]
        for r in sh.itertuples():
            x += 1
            colour = "#31a354" if r.estimate < 0 else "#de2d26"
            ax.bar(x, r.estimate, bottom=level, color=colour)
            ax.errorbar(x, level + r.estimate, yerr=[[r.estimate - r.lo], [r.hi - r.estimate]],
                        color="black", capsize=3, lw=1)
            level += r.estimate
            names.append(r.measure)
        x += 1
        ax.bar(x, end, color="#54278f")
        names.append("all measures")
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_ylabel(f"{self.outcome}\n({self.unit})")
        ax.set_title("Shapley contributions (green lowers the outcome)\n" + textwrap.fill(
            "bars: " + sh["interval"].iloc[0], 70), fontsize=9)
        ax.figure.tight_layout()
        return ax.figure


def forest_plot(df: pd.DataFrame, outcome: str, ax=None):
    """Estimates with intervals, one line per (method, measure), zero marked."""
    import matplotlib.pyplot as plt

    df = df[df["method"] != "total"].reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(df) + 1.5))
    colours = {"leave-one-out": "#3182bd", "add-one-in": "#fd8d3c", "shapley": "#54278f",
               "main effect": "#31a354", "interaction": "#969696"}
    y = np.arange(len(df))[::-1]
    for yy, r in zip(y, df.itertuples(), strict=True):
        c = colours.get(r.method, "black")
        ax.errorbar(r.estimate, yy, xerr=[[r.estimate - r.lo], [r.hi - r.estimate]], fmt="o",
                    color=c, capsize=3)
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(y, [f"{r.method}: {r.measure}" for r in df.itertuples()])
    ax.set_xlabel(f"effect on {outcome} (with - without)")
    kind, what = str(df["interval"].iloc[0]).split(":", 1)
    ax.set_title(f"{kind}:\n{what.strip()}", fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


# ---- factorial designs ---------------------------------------------------------------------
def design_masks(n: int, fraction: int = 0) -> list[int]:
    """The combinations of a 2^n design (``fraction=0``) or its half (``fraction=1``).

    The half fraction keeps the runs where the product of the +-1 coded measures is +1
    (an even number of measures off): defining relation I = all measures, resolution n.
    """
    if fraction not in (0, 1):
        raise ValueError("fraction must be 0 (full design) or 1 (half fraction)")
    full = (1 << n) - 1
    if fraction == 0:
        return list(range(1 << n))
    if n < 5:
        raise ValueError(f"a half fraction of {n} measures aliases two-way interactions with "
                         "each other or with main effects; use the full design below 5")
    return [m for m in range(1 << n) if bin(full & ~m).count("1") % 2 == 0]


def factorial(base: Scenario | str | None, measures, outcome: str | None = None,
              fraction: int = 0, reps: int = 5, seed: int = 0, households: int | None = None,
              draws=None, executor=None, workers: int | None = None, store=None,
              progress: bool = False) -> FactorialEffects:
    """Run a full or half-fraction factorial design and analyse it (see module docstring)."""
    ms = as_measures(measures)
    masks = design_masks(len(ms), fraction)
    batch = run_batch(base, {label(m, ms): combination(m, ms) for m in masks}, reps=reps,
                      seed=seed, households=households, draws=draws, executor=executor,
                      workers=workers, store=store, progress=progress)
    return factorial_from_batch(batch, ms, outcome)


def factorial_from_batch(batch: Batch, measures, outcome: str | None = None,
                         interactions: bool = True) -> FactorialEffects:
    """OLS of the outcome on +-1 coded measures, two-way interactions, sample effects, HC3."""
    import statsmodels.api as sm

    ms = as_measures(measures)
    V, masks, samples, _, name, unit = outcome_matrix(batch, ms, outcome)
    n = len(ms)
    coded = np.array([[1.0 if m >> i & 1 else -1.0 for i in range(n)] for m in masks])
    terms = [m.name for m in ms]
    cols = [coded[:, i] for i in range(n)]
    if interactions:
        for i, j in combinations(range(n), 2):
            terms.append(f"{ms[i].name} x {ms[j].name}")
            cols.append(coded[:, i] * coded[:, j])
    X1 = np.column_stack(cols)  # one row per combination
    n_s, n_c = V.shape
    X = np.tile(X1, (n_s, 1))
    dummies = np.repeat(np.eye(n_s), n_c, axis=0)  # one intercept per sample
    design = np.column_stack([X, dummies])
    y = V.reshape(-1)
    if design.shape[1] >= len(y):
        raise ValueError(f"{len(y)} runs cannot estimate {design.shape[1]} parameters; add "
                         "replications or drop the interactions")
    fit = sm.OLS(y, design).fit(cov_type="HC3")
    return FactorialEffects(outcome=name, unit=unit, terms=tuple(terms), fit=fit,
                            n_effects=len(terms), runs=len(y), combinations=n_c)


@dataclass(frozen=True)
class FactorialEffects:
    """Main effects and two-way interactions of a factorial design (statsmodels OLS, HC3)."""

    outcome: str
    unit: str
    terms: tuple[str, ...]
    fit: Any = field(repr=False)
    n_effects: int = 0
    runs: int = 0
    combinations: int = 0

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """term, kind, estimate (= 2 x coefficient), se, lo, hi, p, interval."""
        ci = np.asarray(self.fit.conf_int(alpha))[: self.n_effects]
        k = self.n_effects
        return pd.DataFrame({
            "method": ["interaction" if " x " in t else "main effect" for t in self.terms],
            "measure": list(self.terms),
            "estimate": 2 * np.asarray(self.fit.params)[:k],
            "se": 2 * np.asarray(self.fit.bse)[:k],
            "lo": 2 * ci[:, 0], "hi": 2 * ci[:, 1],
            "p": np.asarray(self.fit.pvalues)[:k],
            "interval": OLS_HC3.replace("CI", f"{100 * (1 - alpha):g}% CI")})

    def to_frame(self) -> pd.DataFrame:
        """Effects with 95% intervals."""
        return self.conf_int(0.05).assign(outcome=self.outcome, unit=self.unit)

    def summary(self) -> str:
        """A readable table, with what the intervals carry."""
        df = self.to_frame()
        head = (f"Factorial effects on {self.outcome} ({self.unit}): {self.combinations} "
                f"combinations, {self.runs} runs; estimate = 2 x OLS coefficient on +-1 "
                f"coded measures\nIntervals: {df['interval'].iloc[0]}")
        return head + "\n" + df[["method", "measure", "estimate", "lo", "hi", "p"]].to_string(
            index=False, float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return self.summary()

    def plot(self, ax=None):
        """Forest plot of main effects and interactions."""
        return forest_plot(self.to_frame(), self.outcome, ax=ax)
