"""Set operations on arrays of person or household indices, faster than numpy's general ones.

``np.unique`` (hashing, then sorting the distinct values) and ``np.isin`` (sorting both
arrays) cost about a millisecond for a few thousand indices; the model calls them every
month on arrays that are mostly sorted already. These return exactly what those return
(sorted distinct values; membership masks) with one SIMD sort and a binary search.
"""

from __future__ import annotations

import numpy as np


def unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: the same as ``np.unique(values)``."""
    values = np.sort(values)
    first = np.empty(len(values), bool)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in ``sorted_set`` (ascending): ``np.isin`` for it."""
    if len(sorted_set) == 0:
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_set, values), len(sorted_set) - 1)
    return sorted_set[at] == values
