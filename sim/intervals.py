"""Intervals across replications, computed in one place and named for what they are.

Two kinds, and they answer different questions:

* **confidence interval of the mean** (``ci_lo``, ``ci_hi``): where the mean over
  infinitely many replications lies, given chance alone (a Student t-interval of the mean
  across replications; it narrows as replications are added). It needs two or more
  replications; with one it is NaN.
* **range across replications** (``range_lo``, ``range_hi``): the 2.5% and 97.5%
  quantiles of the replications themselves, i.e. how much one simulated realisation
  varies. With few replications it is close to their minimum and maximum; with one it is
  NaN, not the single value.

Neither carries parameter uncertainty: that needs a calibration posterior.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

#: Column names of :func:`interval_table`, in order.
COLUMNS = ("value", "ci_lo", "ci_hi", "range_lo", "range_hi")


def t_quantile(p, df):
    """Student t quantile ``p`` with ``df`` degrees of freedom (scalars or arrays).

    Equal to ``scipy.stats.t.ppf`` within 1e-14, from ``scipy.special``, which the
    engine loads anyway: importing ``scipy.stats`` costs
    each process about 0.6 s, a third of a 20,000-household run.
    """
    return special.stdtrit(df, p)


def t_interval(values, confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the mean of ``values`` (t, n - 1 degrees of freedom).

    NaN values are left out; fewer than two values give (NaN, NaN).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return (np.nan, np.nan)
    mean = x.mean()
    half = t_quantile(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return (float(mean - half), float(mean + half))


def replication_range(values, coverage: float = 0.95) -> tuple[float, float]:
    """The central ``coverage`` range of the replications (2.5-97.5% by default).

    Fewer than two values give (NaN, NaN): one replication says nothing about spread.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return (np.nan, np.nan)
    tail = (1 - coverage) / 2
    return (float(np.quantile(x, tail)), float(np.quantile(x, 1 - tail)))


def interval_table(frame: pd.DataFrame, by: list[str], column: str,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Mean of ``column`` by ``by`` across replications, with both kinds of interval.

    Returns one row per group (index ``by``) and the columns of :data:`COLUMNS`.
    """
    rows = {}
    for key, values in frame.groupby(by, sort=False)[column]:
        x = values.to_numpy(dtype=float)
        mean = float(np.nanmean(x)) if np.any(~np.isnan(x)) else np.nan
        rows[key] = (mean, *t_interval(x, confidence), *replication_range(x, confidence))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    out.index = pd.MultiIndex.from_tuples(out.index, names=by) if len(by) > 1 else \
        pd.Index([k[0] if isinstance(k, tuple) else k for k in out.index], name=by[0])
    return out
