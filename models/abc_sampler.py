"""A reproducible parallel sampler for pyabc: seeded proposals, evaluated in order.

pyabc's parallel samplers (multicore, ``concurrent.futures``, Dask) let each worker draw
its own parameters and keep the particles that finish first, so a parallel fit depends on
the order in which simulations finish and on how workers are seeded. :class:`OrderedSampler`
splits a generation into three steps so that only the middle one runs in parallel:

1. **propose** (in this process): proposal ``i`` of generation ``t`` is drawn by pyabc's own
   proposal function (the prior, or the perturbation kernel fitted to the last population)
   after seeding numpy's global generator, which pyabc draws from, with
   ``SeedSequence([seed, t + 1, i, 0])``; its simulation seed is
   ``SeedSequence([seed, t + 1, i, 1])`` (or the fit's seed with common noise). Both are
   functions of (fit seed, generation, proposal index) only.
2. **simulate** (anywhere): a batch of proposals goes through an executor's ``map``
   (``concurrent.futures``: the built-in ``map`` for one process, a local process pool, a
   Dask client's executor), which returns the results in proposal order whatever the
   order in which they finish. A simulation is a pure function of its parameters and seed.
3. **accept** (in this process): distance, acceptance and importance weight by pyabc's own
   ``evaluate_proposal``, in proposal order; the population is the first ``n`` accepted
   proposals.

Batches have sizes fixed by the population size and the acceptance so far (never by the
number of workers): the first is ``n`` proposals, each later one 80% of the number still
expected to be needed at the acceptance rate seen so far (doubling while nothing is
accepted), at least ``n / 20``: a little short rather than over, because the proposals
past the ``n``-th acceptance are wasted while one more small batch costs only a short
wait. So one process, two processes and a Dask cluster evaluate the same proposals and
return the same population bit for bit. The cost: the proposals of the last batch past the
``n``-th acceptance are simulated and dropped (they are counted in the generation's
simulations, as pyabc's parallel samplers count theirs), and workers wait at the end of
each batch for its last simulation.

Written against pyabc 0.13's sampling functions (``generate_valid_proposal``,
``evaluate_proposal`` and the ``functools.partial`` objects ABCSMC passes to samplers);
another layout stops with a clear error rather than sampling differently.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import pyabc
from pyabc.inference_util import inference_util as iu
from pyabc.population import Particle

#: The smallest batch after the first, as a share of the population size (so that a
#: generation close to done does not go one simulation at a time).
MIN_BATCH_SHARE = 0.05
#: A later batch is this share of the proposals still expected to be needed.
BATCH_SHARE_OF_NEED = 0.8


def proposal_seeds(seed: int, t: int, i: int) -> tuple[int, int]:
    """(seed of the parameter draw, seed of the simulation) of proposal ``i`` in generation ``t``.

    ``t`` is pyabc's generation index (-1 for the prior sample that calibrates the first
    epsilon). Seeds are below 2**31 so that any generator accepts them.
    """
    states = [np.random.SeedSequence([seed, t + 1, i, k]).generate_state(1)[0] % (2**31 - 1)
              for k in (0, 1)]
    return int(states[0]), int(states[1])


def batch_size(n: int, accepted: int, evaluated: int) -> int:
    """Proposals of the next batch (see the module docstring); a function of counts only."""
    if evaluated == 0:
        return n
    floor = max(1, math.ceil(MIN_BATCH_SHARE * n))
    if accepted == 0:
        return max(evaluated, floor)  # doubles the evaluated proposals
    return max(math.ceil(BATCH_SHARE_OF_NEED * (n - accepted) * evaluated / accepted), floor)


class _Replay(pyabc.Model):
    """A pyabc model that returns an output simulated elsewhere (for ``evaluate_proposal``)."""

    def __init__(self, output):
        super().__init__(name="replay")
        self.output = output

    def sample(self, pars):
        """The output already simulated for ``pars``."""
        return self.output


class OrderedSampler(pyabc.sampler.Sampler):
    """Reproducible, worker-independent pyabc sampling (see the module docstring).

    ``simulate`` maps a task ``(parameters, seed)`` (parameters: a plain dict of pyabc
    names to floats) to the model output pyabc compares (here ``{"y": ..., "seed": ...}``)
    and must be picklable for process pools. ``seed`` is the fit's seed; ``common_seed``
    given, every simulation uses it (common random numbers) instead of its own.
    ``map_`` is any ordered map: ``map`` (one process) or an executor's ``map``.
    """

    def __init__(self, simulate: Callable, seed: int, map_: Callable = map,
                 common_seed: int | None = None):
        super().__init__()
        self.simulate, self.seed, self.map_ = simulate, int(seed), map_
        self.common_seed = common_seed

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        """The first ``n`` accepted of proposals 0, 1, 2, ... of generation ``t``."""
        del all_accepted, ana_vars  # the batches do not depend on them
        kw, from_prior = _sampling_arguments(simulate_one)
        sample = self._create_empty_sample()
        accepted = evaluated = 0
        while accepted < n and evaluated < max_eval:
            size = batch_size(n, accepted, evaluated)
            if math.isfinite(max_eval):
                size = min(size, int(max_eval) - evaluated)
            index = range(evaluated, evaluated + size)
            proposals, tasks = [], []
            for i in index:
                draw_seed, sim_seed = proposal_seeds(self.seed, t, i)
                np.random.seed(draw_seed)  # noqa: NPY002 (pyabc draws from the global one)
                m, theta = _propose(kw, from_prior)
                proposals.append((m, theta))
                seed = sim_seed if self.common_seed is None else self.common_seed
                tasks.append(({k: float(v) for k, v in theta.items()}, seed))
            outputs = list(self.map_(self.simulate, tasks))
            for (m, theta), output in zip(proposals, outputs, strict=True):
                evaluated += 1
                if accepted == n:
                    continue  # simulated past the n-th acceptance: counted, not kept
                particle = _evaluate(kw, from_prior, m, theta, output)
                sample.append(particle)
                accepted += bool(particle.accepted)
        self.nr_evaluations_ = evaluated
        if accepted < n:
            sample.ok = False
        return sample


def _sampling_arguments(simulate_one) -> tuple[dict, bool]:
    """The keywords of pyabc's sampling function, and whether it samples the prior."""
    func = getattr(simulate_one, "func", None)
    if isinstance(simulate_one, functools.partial) and func is iu._simulate_one_from_prior:
        return simulate_one.keywords, True
    if isinstance(simulate_one, functools.partial) and func is iu._simulate_one:
        if not simulate_one.keywords.get("evaluate", True):
            raise NotImplementedError("OrderedSampler does not do look-ahead sampling")
        return simulate_one.keywords, False
    raise TypeError(f"OrderedSampler needs pyabc 0.13's sampling functions, got "
                    f"{simulate_one!r} (pyabc {pyabc.__version__})")


def _propose(kw: dict, from_prior: bool):
    """One (model, parameter) proposal drawn from numpy's global generator, as pyabc does."""
    if from_prior:
        return iu.generate_valid_proposal(
            t=0, m=None, p=None, model_prior=kw["model_prior"],
            parameter_priors=kw["parameter_priors"], model_perturbation_kernel=None,
            transitions=None)
    return iu.generate_valid_proposal(
        t=kw["t"], m=kw["m"], p=kw["p"], model_prior=kw["model_prior"],
        parameter_priors=kw["parameter_priors"],
        model_perturbation_kernel=kw["model_perturbation_kernel"],
        transitions=kw["transitions"])


def _evaluate(kw: dict, from_prior: bool, m: int, theta, output) -> Particle:
    """The particle of a simulated proposal: pyabc's distance, acceptance and weight."""
    models = {m: _Replay(output)}
    if from_prior:  # as pyabc's prior sample: every particle accepted, weight 1
        sum_stat = models[m].summary_statistics(0, theta, kw["summary_statistics"]).sum_stat
        return Particle(m=m, parameter=theta, weight=1.0, sum_stat=sum_stat,
                        distance=np.inf, accepted=True, proposal_id=0, preliminary=False)
    return iu.evaluate_proposal(
        m, theta, t=kw["t"], models=models, summary_statistics=kw["summary_statistics"],
        distance_function=kw["distance_function"], eps=kw["eps"], acceptor=kw["acceptor"],
        x_0=kw["x_0"], weight_function=kw["weight_function"],
        proposal_id=kw["proposal_id"])
