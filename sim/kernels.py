"""Compiled loops (numba) for the engine's hottest passes.

Each kernel fuses what numpy does in several passes over the same rows into one loop, and
keeps numpy's results bit for bit: element-wise arithmetic is done in the same order on
the same float64 values (no fast-math, so no reassociation or fused multiply-adds), and
sums by group add in index order, as ``np.bincount`` does. Kernels are compiled on first
use and cached next to this file (``__pycache__``), so a later process only loads them.

The one implementation of each operation lives here; ``sim.payment`` and ``sim.engine``
call these kernels rather than keeping a numpy path beside them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Kinds of bill, as the payment kernel numbers them (``sim.payment.SETTLE``).
OUTPATIENT, CHRONIC, INPATIENT, SPECIAL = range(4)
#: Rows of the ledger table (``sim.payment.LEDGER_FIELDS``, same order).
L_BASIC, L_OUTPATIENT, L_CHRONIC, L_CI_BASE, L_CI, L_AS_BASE, L_ASSISTANCE, L_SUP = range(8)
#: Rows of the per-group rule table (``sim.payment.PaymentRules.group_table``).
G_CI_DED, G_CI_RATIO, G_CI_CAP, G_AS_ELIGIBLE, G_AS_RATIO, G_AS_DED, G_AS_CAP, G_SUP_ELIGIBLE = (
    range(8))
#: Entries of the scalar rule vector (``sim.payment.PaymentRules.scalars``).
S_BASIC_CAP, S_OP_RATIO, S_OP_CAP, S_CH_RATIO, S_CH_CAP, S_SPECIAL_RATIO, S_AS_CHRONIC, \
    S_SUP_TARGET, S_SUP_CAP = range(9)
#: Rows of the kernel's output (what each payer paid of each bill, yuan).
P_BASIC, P_CI, P_ASSISTANCE, P_SUP, P_OOP, P_TOPUP = range(6)


@njit(cache=True)
def _min(a, b):
    """``np.minimum`` of two non-NaN floats (the first when equal)."""
    return a if a <= b else b


@njit(cache=True)
def _max(a, b):
    """``np.maximum`` of two non-NaN floats (the first when equal)."""
    return a if a >= b else b


@njit(cache=True)
def group_sums(groups, values, n_groups):
    """Sum each row of ``values`` (rows, n) by ``groups`` (n); returns (rows, n_groups).

    Adds in index order in float64, as ``np.bincount(groups, weights=row)`` does, so the
    sums are identical; one pass over the groups for every row, with no cast of ``groups``.
    """
    rows, n = values.shape
    out = np.zeros((rows, n_groups))
    for i in range(n):
        g = groups[i]
        for r in range(rows):
            out[r, g] += values[r, i]
    return out


@njit(cache=True)
def count_by_group(groups, index, n_groups):
    """How many of ``index`` fall in each group (``np.bincount(groups[index])``, int64)."""
    out = np.zeros(n_groups, np.int64)
    for i in index:
        out[groups[i]] += 1
    return out


@njit(cache=True)
def settle_bills(kind, person, group, level, amount, scope, insured, new_episode, floor,
                 ledger, level_table, group_table, scalars, write):
    """The "3+1" chain for a batch of bills of one kind (see ``sim.payment``), in one pass.

    ``ledger`` (persons, 8) float32 holds the year-to-date amounts (yuan) read per bill in
    float64 and, when ``write``, written back; ``new_episode`` and ``floor`` may be empty
    (every inpatient bill opens an episode; no payment floor). ``level_table`` (2, groups,
    levels): per-admission deductible (yuan) and basic ratio; ``group_table`` and
    ``scalars`` as numbered above. Returns (6, bills) float64: basic, critical illness,
    assistance, supplemental, out of pocket and the floor top-up (part of basic), yuan.

    At most one bill per person, so bills do not interact and the order of the loop does
    not matter; each expression repeats the vectorised chain's order of operations.
    """
    n = len(person)
    out = np.zeros((6, n))
    has_episode = len(new_episode) > 0
    has_floor = len(floor) > 0
    for i in range(n):
        p, g, a, s, ins = person[i], group[i], amount[i], scope[i], insured[i]
        basic = ci = assist = sup = left = used = ci_base = ci_add = ci_used = 0.0
        assisted = False
        if kind == OUTPATIENT:
            used = np.float64(ledger[L_OUTPATIENT, p])
            if ins:
                basic = _min(scalars[S_OP_RATIO] * s, _max(scalars[S_OP_CAP] - used, 0.0))
            total = basic
        elif kind == CHRONIC:
            used = np.float64(ledger[L_CHRONIC, p])
            if ins:
                basic = _min(scalars[S_CH_RATIO] * s, _max(scalars[S_CH_CAP] - used, 0.0))
            assisted = scalars[S_AS_CHRONIC] > 0
            left = s - basic
            total = basic
        else:
            if kind == SPECIAL:
                ratio = scalars[S_SPECIAL_RATIO]
                deductible = 0.0
            else:
                lv = level[i]
                ratio = level_table[1, g, lv]
                deductible = level_table[0, g, lv]
                if has_episode and not new_episode[i]:
                    deductible = 0.0
            if ins:
                basic = ratio * _max(s - deductible, 0.0)
                used = np.float64(ledger[L_BASIC, p])
                basic = _min(basic, _max(scalars[S_BASIC_CAP] - used, 0.0))
            left = s - basic
            ci_add = left if ins else 0.0
            ci_base = np.float64(ledger[L_CI_BASE, p])
            ci_used = np.float64(ledger[L_CI, p])
            ci = group_table[G_CI_RATIO, g] * _max(
                ci_base + ci_add - _max(ci_base, group_table[G_CI_DED, g]), 0.0)
            ci = _min(ci, _max(group_table[G_CI_CAP, g] - ci_used, 0.0))
            left = left - ci
            assisted = True
        if assisted and group_table[G_AS_ELIGIBLE, g] > 0:
            as_base = np.float64(ledger[L_AS_BASE, p])
            as_used = np.float64(ledger[L_ASSISTANCE, p])
            share = group_table[G_AS_RATIO, g] * _max(
                as_base + left - _max(as_base, group_table[G_AS_DED, g]), 0.0)
            assist = _min(share, _max(group_table[G_AS_CAP, g] - as_used, 0.0))
            if write:
                ledger[L_AS_BASE, p] = as_base + left
                ledger[L_ASSISTANCE, p] = as_used + assist
        if kind >= INPATIENT:
            total = basic + ci + assist
            if group_table[G_SUP_ELIGIBLE, g] > 0 and ins:
                sup_used = np.float64(ledger[L_SUP, p])
                sup = _min(_max(scalars[S_SUP_TARGET] * a - total, 0.0),
                           _max(scalars[S_SUP_CAP] - sup_used, 0.0))
            total = total + sup
        elif kind == CHRONIC:
            total = basic + assist
        topup = 0.0
        if has_floor and ins:
            topup = _max(floor[i] * a - total, 0.0)
        basic = basic + topup
        if write:
            if kind == OUTPATIENT:
                ledger[L_OUTPATIENT, p] = used + basic
            elif kind == CHRONIC:
                ledger[L_CHRONIC, p] = used + basic
            else:
                ledger[L_BASIC, p] = np.float64(ledger[L_BASIC, p]) + basic
                ledger[L_CI_BASE, p] = ci_base + ci_add
                ledger[L_CI, p] = ci_used + ci
                ledger[L_SUP, p] = np.float64(ledger[L_SUP, p]) + sup
        out[P_BASIC, i] = basic
        out[P_CI, i] = ci
        out[P_ASSISTANCE, i] = assist
        out[P_SUP, i] = sup
        out[P_OOP, i] = a - basic - ci - assist - sup
        out[P_TOPUP, i] = topup
    return out


@njit(cache=True)
def household_histogram(size, group, fp, poor, poor_illness, entered, entered_illness,
                        registered, cause_illness, monitored, n_groups):
    """Living households (``size`` > 0) and their persons by (flags, group), one pass.

    Flags, one bit each from the lowest: formerly poor, poor, poor due to illness, entered,
    entered due to illness, registered poor, registered with illness as the recorded
    cause, monitored. Returns (households, persons), each (256, n_groups): counts (int64)
    and sizes summed in float64 in household order (as ``np.bincount`` with weights).
    """
    n_hh = np.zeros((256, n_groups), np.int64)
    n_p = np.zeros((256, n_groups))
    for h in range(len(size)):
        if size[h] <= 0:
            continue
        flags = (np.int64(fp[h]) | np.int64(poor[h]) << 1 | np.int64(poor_illness[h]) << 2
                 | np.int64(entered[h]) << 3 | np.int64(entered_illness[h]) << 4
                 | np.int64(registered[h]) << 5
                 | np.int64(registered[h] and cause_illness[h]) << 6
                 | np.int64(monitored[h]) << 7)
        n_hh[flags, group[h]] += 1
        n_p[flags, group[h]] += np.float64(size[h])
    return n_hh, n_p


@njit(cache=True)
def health_state_codes(chronic, managed, major, major_late, alive, born, ill, outpatient,
                       inpatient, no_major, dead):
    """One health state per person (int8 codes of ``sim.results.HEALTH_STATES``).

    By precedence, each later rule overwriting: chronically ill ``ill`` (still ill) 1 when
    every disease is managed, else 2; outpatient episode 3; admission 4; major disease
    (``major`` != ``no_major``) 5, or 6 when late; dead (born, not alive) ``dead``.
    """
    code = np.zeros(len(chronic), np.int8)
    for p in ill:
        if chronic[p] != 0:
            code[p] = 1 if (managed[p] & chronic[p]) == chronic[p] else 2
    for p in outpatient:
        code[p] = 3
    for p in inpatient:
        code[p] = 4
    for p in range(len(code)):
        if major[p] != no_major:
            code[p] = 6 if major_late[p] else 5
        if born[p] and not alive[p]:
            code[p] = dead
    return code


@njit(cache=True)
def chronic_histogram(ill, alive, groups, chronic, diagnosed, managed, n_groups):
    """Living chronically ill by (group, disease, diagnosed and managed bits), int64.

    Returns (n_groups, 4096): the cell of a person is ``chronic | diagnosed << 4 |
    managed << 8`` (four disease bits each).
    """
    out = np.zeros((n_groups, 4096), np.int64)
    for p in ill:
        if alive[p]:
            out[groups[p], np.int64(chronic[p]) | np.int64(diagnosed[p]) << 4
                | np.int64(managed[p]) << 8] += 1
    return out
