"""Named random streams that give common random numbers across scenarios.

Every stochastic decision in the model draws from its own named stream, derived from
(seed, stream name), so that switching one measure off does not shift the draws of any
other decision. Two kinds of draw are offered:

* ``Stream.population(month, n)`` -- one uniform per person for a whole-population
  decision (e.g. illness onset) in a given month. The generator is re-derived from
  (seed, stream, month), so month ``t``'s draws do not depend on what happened before.
* ``Stream.keyed(ids, month, slot)`` -- uniforms for a *subset* of persons or households
  (e.g. care seeking of those ill this month). Each value is a pure function of
  (seed, stream, id, month, slot) computed with a counter-based hash (the SplitMix64
  finaliser of ``id * golden ^ salt``), so a person's draw is the same whatever subset it
  is drawn in. ``keyed_parts`` splits one hash into three coarser uniforms.

Both are exact integer arithmetic on 64-bit words: the same seed gives the same numbers
on any machine.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.special import ndtri

_MASK = (1 << 64) - 1
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MONTH_MUL = 0xD6E8FEB86659FD93
_SLOT_MUL = 0xA0761D6478BD642F
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
# shift counts as uint64 scalars, made once (a scalar made per call costs as much as a
# pass over a short array)
_S11, _S27, _S30, _S31 = (np.uint64(k) for k in (11, 27, 30, 31))
# keyed_parts: bits 0-20, 21-41 and 42-62 of a hash, one row each
_PART_SHIFTS = np.array([[0], [21], [42]], np.uint64)
_PART_MASK = np.uint64(0x1FFFFF)


def _name_key(seed: int, name: str) -> int:
    """A 64-bit key for (seed, stream name), stable across Python versions and machines."""
    digest = hashlib.blake2b(f"{int(seed)}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _splitmix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, applied element-wise to uint64 words (in place on ``z``)."""
    z += _GOLDEN
    z ^= z >> _S30
    z *= _MIX1
    z ^= z >> _S27
    z *= _MIX2
    z ^= z >> _S31
    return z


class Stream:
    """One named source of randomness; see the module docstring for the two draw kinds."""

    def __init__(self, seed: int, name: str):
        self.name = name
        self.seed = int(seed)
        self.key = _name_key(seed, name)

    def population(self, month: int, n: int) -> np.ndarray:
        """``n`` uniforms in [0, 1), one per person index, for the given month."""
        seq = np.random.SeedSequence([self.key, int(month) & 0xFFFFFFFF])
        return np.random.Generator(np.random.PCG64(seq)).random(n)

    def generator(self, *tags: int) -> np.random.Generator:
        """A numpy Generator for one-off set-up draws (e.g. building the population)."""
        seq = np.random.SeedSequence([self.key, *[int(t) & 0xFFFFFFFF for t in tags]])
        return np.random.Generator(np.random.PCG64(seq))

    def keyed(self, ids: np.ndarray, month: int, slot: int = 0) -> np.ndarray:
        """Uniforms in [0, 1) that depend only on (stream, id, month, slot).

        ``slot`` separates several draws for the same id and month (e.g. slot 0 decides
        care seeking, slot 1 the facility level, slot 2 the bill).
        """
        z = self._hash(ids, month, slot)
        z >>= _S11
        out = z.astype(np.float64)
        out *= _TO_UNIT
        return out

    def keyed_slots(self, ids: np.ndarray, month: int, slots) -> np.ndarray:
        """:meth:`keyed` for several ``slots`` at once: an array of shape (len(slots), len(ids)).

        Row ``k`` is ``keyed(ids, month, slots[k])`` to the bit: the same integer
        arithmetic, in one pass of a few numpy calls over all the slots instead of one
        per slot (draws of the same persons, such as a health check's per-disease
        findings, cost a dozen small calls each).
        """
        salts = np.array([self._salt(month, s) for s in slots], np.uint64)[:, None]
        z = np.array(ids, dtype=np.uint64)
        z *= _GOLDEN
        z = _splitmix(z ^ salts)
        z >>= _S11
        out = z.astype(np.float64)
        out *= _TO_UNIT
        return out

    def keyed_parts(self, ids: np.ndarray, month: int, slot: int = 0) -> np.ndarray:
        """Three uniforms per id from one hash: an array of shape (3, len(ids)).

        Each has 21 bits of resolution (steps of 4.8e-7, offset half a step from 0 and 1):
        enough for choices and bill amounts, not for probabilities below about 1e-4, which
        should use :meth:`keyed`.
        """
        z = self._hash(ids, month, slot)
        out = ((z >> _PART_SHIFTS) & _PART_MASK).astype(np.float64)  # the three at once
        out += 0.5
        out *= 1.0 / 2097152.0
        return out

    def _salt(self, month: int, slot: int) -> int:
        """The 64-bit word that (stream, month, slot) mixes into each id's hash."""
        return (self.key ^ ((int(month) + 1) * _MONTH_MUL) ^ ((int(slot) + 1) * _SLOT_MUL)) & _MASK

    def _hash(self, ids: np.ndarray, month: int, slot: int) -> np.ndarray:
        z = np.array(ids, dtype=np.uint64)  # a copy, hashed in place
        z *= _GOLDEN
        z ^= np.uint64(self._salt(month, slot))
        return _splitmix(z)

    def keyed_normal(self, ids: np.ndarray, month: int, slot: int = 0) -> np.ndarray:
        """Standard normal deviates keyed like :meth:`keyed` (inverse-CDF transform)."""
        return normal_from_uniform(self.keyed(ids, month, slot))


class Streams:
    """The set of named streams of one replication; streams are created on first use."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, Stream] = {}

    def __getitem__(self, name: str) -> Stream:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = Stream(self.seed, name)
        return stream


def normal_from_uniform(u: np.ndarray) -> np.ndarray:
    """Standard normal deviates from uniforms (inverse CDF, clipped away from 0 and 1)."""
    return ndtri(np.clip(u, 1e-12, 1.0 - 1e-12))


def lognormal_with_mean(mean: np.ndarray | float, sigma: float, z: np.ndarray) -> np.ndarray:
    """Log-normal values with the given arithmetic mean and log-scale sd, from normals ``z``."""
    return np.asarray(mean) * np.exp(sigma * z - 0.5 * sigma * sigma)
