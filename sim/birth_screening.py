"""Screening around birth, whoever offers it: prenatal screening and diagnosis, newborn screening.

Congenital conditions are the diseases of ``health.major`` with a ``birth_prevalence``;
:func:`conditions_at_birth` gives each pregnancy reaching birth its condition, if any
(``sim.health.births``). Two screenings look for them, each with a panel of conditions:

* **prenatal** screening and diagnosis (``care.prenatal_screening``): in a pregnancy
  screened that carries a condition of the panel, the condition is diagnosed before birth
  with chance ``detection``; a pregnancy so diagnosed ends before birth with the
  condition's ``ended_after_prenatal_diagnosis`` share, by the parents' decision after
  counselling, and the birth does not happen. This is the pathway the seeds' birth-defect
  prevention names (出生缺陷防治; Jiangsu's 2018 programme also pays for the termination of
  pregnancies diagnosed with a severely disabling condition); the model represents it as
  the published shares say it happens and makes no judgement on it.
* **newborn** screening (``care.newborn_screening``): an affected newborn screened is found
  with chance ``sensitivity``, at the early stage, and treated before the condition does
  harm; a case not found is diagnosed later from symptoms, mostly at the late stage
  (``early_share`` of the condition), as any major disease (``sim.health.major_course``).

Who is screened: each pregnancy and newborn has one uniform per screening (stream
``birth_screening``). The scenario's own screening (families paying, programmes the scenario
does not model) reaches those whose uniform lies below its ``coverage`` with its panel; a
measure (extension point ``screened_at_birth``, ``sim.hooks``) may reach more, for free,
with its own panel, and a person is tested for the conditions of every screening that
reaches it. What a test finds is drawn from the same stream keyed by the person (who has
at most one condition), so a case is found whichever screening tests for it. The families'
fee for the scenario's own screening is not billed (the model bills no care at birth); a
measure records what its screening costs.
"""

from __future__ import annotations

import numpy as np

from sim.population import NO_MAJOR

KINDS = ("prenatal", "newborn")
#: Keyed-draw slots of the ``birth_screening`` stream, by kind: who a screening reaches, and
#: whether its test finds the person's condition (a person has at most one); then whether a
#: diagnosed pregnancy ends.
REACH = {"prenatal": 0, "newborn": 1}
FINDS = {"prenatal": 2, "newborn": 3}
ENDS = 4


def panel_mask(names: list[str], majors: list[dict]) -> int:
    """The bit mask over ``health.major`` (bit k: the k-th record) of the named conditions."""
    index = {rec["name"]: k for k, rec in enumerate(majors)}
    mask = 0
    for name in names:
        mask |= 1 << index[name]
    return mask


def conditions_at_birth(model, persons: np.ndarray, m: int) -> np.ndarray:
    """Each would-be newborn's congenital condition (index into health.major) or NO_MAJOR.

    One keyed uniform per person (stream ``congenital``) against the cumulative birth
    prevalence of the conditions; the conditions exclude each other (they are rare).
    """
    cum = model.health.major["birth_cum"]
    out = np.full(len(persons), NO_MAJOR, np.int8)
    if len(persons) == 0 or not len(cum) or cum[-1] <= 0:
        return out
    u = model.streams["congenital"].keyed(persons, m, 0)
    k = np.searchsorted(cum, u, side="right")
    has = k < len(cum)
    out[has] = k[has]
    return out


def screen(model, kind: str, persons: np.ndarray, condition: np.ndarray, m: int
           ) -> np.ndarray:
    """Which of ``persons`` a ``kind`` screening finds their ``condition`` in (a mask).

    ``condition``: each person's congenital condition or NO_MAJOR. Counts the persons
    screened (by any screening, ``<kind>_screened``).
    """
    stream = model.streams["birth_screening"]
    coverage, own_panel, chance = model.care_tables.birth_screening[kind]
    u = stream.keyed(persons, m, REACH[kind])
    tested = np.where(u < coverage, own_panel, 0) | model.hooks.screened_at_birth(
        kind, persons, u)
    model.month_counts[f"{kind}_screened"] += model._by_group(persons[tested != 0])
    has = np.flatnonzero(condition != NO_MAJOR)
    found = np.zeros(len(persons), bool)
    if len(has):
        k = condition[has].astype(np.int64)
        found[has] = (((tested[has] >> k) & 1) == 1) & (
            stream.keyed(persons[has], m, FINDS[kind]) < chance)
    return found


def prenatal(model, persons: np.ndarray, condition: np.ndarray, m: int) -> np.ndarray:
    """Mask of the pregnancies (``persons``: the would-be newborns) that end before birth.

    Screened and diagnosed pregnancies end with their condition's
    ``ended_after_prenatal_diagnosis``; counts the diagnoses and the pregnancies ended.
    """
    found = screen(model, "prenatal", persons, condition, m)
    ended = np.zeros(len(persons), bool)
    if found.any():
        share = model.health.major["ended_share"][condition[found].astype(np.int64)]
        ended[found] = model.streams["birth_screening"].keyed(persons[found], m, ENDS) < share
        model.month_counts["prenatal_diagnoses"] += model._by_group(persons[found])
        model.month_counts["pregnancies_ended"] += model._by_group(persons[ended])
    return ended


def newborn(model, born: np.ndarray, m: int) -> None:
    """Newborn screening of ``born``: the conditions found are diagnosed at the early stage."""
    P = model.pop.persons
    condition = P.major[born]
    found = screen(model, "newborn", born, condition, m)
    if found.any():
        P.major_found[born[found]] = True
        model.month_counts["congenital_found_at_birth"] += model._by_group(born[found])
