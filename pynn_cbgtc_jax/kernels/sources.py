"""Spike generators, one step at a time, for whole populations.

Generators have no membrane: each step they emit a spike *count* per cell (counts > 1 are
possible for Poisson sources at high rate x dt, as NEST's ``poisson_generator`` sends
multiplicities).  Step ``k`` emits the spikes stamped ``t_{k+1} = (k+1) dt``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["PoissonParams", "poisson_counts", "ArrayParams", "array_counts", "GammaParams",
           "gamma_counts", "DeadTimeParams", "dead_time_counts", "InhGammaParams",
           "inh_gamma_counts"]


class PoissonParams(NamedTuple):
    """SpikeSourcePoisson per cell: rate (Hz) and the active step range [start, stop)."""

    rate: jnp.ndarray
    start_step: jnp.ndarray   # int32: first step k (spike stamp (k+1) dt) that may fire
    stop_step: jnp.ndarray    # int32: first step that may not fire


def poisson_counts(p: PoissonParams, key, k, dt):
    """Spike counts for step ``k``: Poisson with mean ``rate dt / 1000`` inside the active range.

    The key is ``fold_in(key, k)``, so the draw of a step depends only on the seed and the step
    number: ``run(a + b)`` and ``run(a); run(b)`` see the same spikes.
    """
    active = (k >= p.start_step) & (k < p.stop_step)
    lam = jnp.where(active, p.rate * (dt * 1e-3), 0.0)
    key = jax.random.fold_in(key, k)
    counts = jax.lax.cond(jnp.max(lam, initial=0.0) <= _SMALL_LAMBDA,
                          lambda: _inverse_cdf_poisson(key, lam),
                          lambda: jax.random.poisson(key, lam, shape=lam.shape).astype(jnp.int32))
    return jnp.where(active, counts, 0)


_SMALL_LAMBDA = 2.0
_CDF_TERMS = 16   # P(X > 16 | lambda = 2) < 1e-9: the truncation is below any statistical test


def _inverse_cdf_poisson(key, lam):
    """Poisson counts by inverting the CDF with one uniform per cell (exact up to ``_CDF_TERMS``).

    jax.random.poisson uses a rejection loop that costs ~5x more on a CPU; for the small means
    of per-step spike counts (rate x dt << 1) the inversion is exact and loop-free.
    """
    u = jax.random.uniform(key, lam.shape, dtype=lam.dtype)
    term = jnp.exp(-lam)
    cdf = term
    count = jnp.zeros(lam.shape, jnp.int32)
    for j in range(1, _CDF_TERMS + 1):
        count = count + (u > cdf).astype(jnp.int32)
        term = term * lam / j
        cdf = cdf + term
    return count


class ArrayParams(NamedTuple):
    """SpikeSourceArray for a population, as one event list sorted by stamp.

    ``stamps`` (int32) are the spike steps ``ceil(t/dt)``, padded at the end with a sentinel
    larger than any run; ``cells`` the cell index of each event (``size`` for padding).
    """

    stamps: jnp.ndarray
    cells: jnp.ndarray


def array_counts(p: ArrayParams, ptr, k, size: int, window: int):
    """Counts for step ``k`` from the events at ``ptr .. ptr + window``; returns (counts, ptr).

    ``window`` (static) is at least the largest number of events sharing one stamp.
    """
    stamps = jax.lax.dynamic_slice(p.stamps, (ptr,), (window,))
    cells = jax.lax.dynamic_slice(p.cells, (ptr,), (window,))
    hit = stamps == k + 1
    counts = jnp.zeros(size + 1, jnp.int32).at[jnp.where(hit, cells, size)].add(1)[:size]
    return counts, ptr + jnp.sum(hit, dtype=jnp.int32)


# -- renewal processes: one uniform per cell and step against the hazard of the current age --
#
# A renewal process with interval survival function S(a) emits a spike in the step that starts
# at age a with probability 1 - S(a + dt) / S(a); the age (in steps) restarts at every spike and
# at ``start``.  This is the exact discretisation of the process on the time grid.

def _gamma_survival_ratio(alpha, rate_per_ms, age_ms, dt):
    """S(a + dt) / S(a) of a gamma interval distribution (shape alpha, rate rate_per_ms)."""
    from jax.scipy.special import gammaincc
    s0 = gammaincc(alpha, rate_per_ms * age_ms)
    s1 = gammaincc(alpha, rate_per_ms * (age_ms + dt))
    # far in the tail the hazard tends to the rate: use it where S underflows
    tail = jnp.exp(-rate_per_ms * dt)
    return jnp.where(s0 > 1e-30, s1 / jnp.where(s0 > 1e-30, s0, 1.0), tail)


def _renewal_step(p_spike, active, age, key, k):
    u = jax.random.uniform(jax.random.fold_in(key, k), age.shape, p_spike.dtype)
    spike = active & (u < p_spike)
    age = jnp.where(spike | ~active, 0, age + 1)
    return spike.astype(jnp.int32), age


class GammaParams(NamedTuple):
    """SpikeSourceGamma: shape alpha, rate beta (Hz; mean interval alpha/beta), active range."""

    alpha: jnp.ndarray
    beta: jnp.ndarray
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def gamma_counts(p: GammaParams, age, key, k, dt):
    """Spikes of a gamma renewal process for step ``k``; returns (counts, age)."""
    active = (k >= p.start_step) & (k < p.stop_step)
    ratio = _gamma_survival_ratio(p.alpha, p.beta * 1e-3, age * dt, dt)
    return _renewal_step(1.0 - ratio, active, age, key, k)


class DeadTimeParams(NamedTuple):
    """SpikeSourcePoissonRefractory: output rate (Hz) and dead time (ms) after each spike.

    After the dead time the hazard is ``rate / (1 - rate tau_refrac)``, so that the mean rate is
    ``rate`` (NEST's ``ppd_sup_generator``).
    """

    rate: jnp.ndarray
    tau_refrac: jnp.ndarray
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def dead_time_counts(p: DeadTimeParams, age, key, k, dt):
    active = (k >= p.start_step) & (k < p.stop_step)
    hazard = p.rate * 1e-3 / jnp.maximum(1.0 - p.rate * 1e-3 * p.tau_refrac, 1e-12)
    free = age * dt >= p.tau_refrac - 1e-6 * dt
    return _renewal_step(jnp.where(free, -jnp.expm1(-hazard * dt), 0.0), active, age, key, k)


class InhGammaParams(NamedTuple):
    """SpikeSourceInhGamma: per cell, piecewise-constant shape a and scale b (s) from tbins."""

    a: jnp.ndarray            # [n, B]
    b: jnp.ndarray            # [n, B] seconds
    bin_step: jnp.ndarray     # [n, B] int32 first step of each bin (padded with a sentinel)
    start_step: jnp.ndarray
    stop_step: jnp.ndarray


def inh_gamma_counts(p: InhGammaParams, age, key, k, dt):
    """Inhomogeneous gamma process: the hazard of the current bin's gamma distribution."""
    active = (k >= p.start_step) & (k < p.stop_step)
    j = jnp.maximum(jnp.sum(p.bin_step <= k, axis=-1) - 1, 0)
    a = jnp.take_along_axis(p.a, j[:, None], axis=1)[:, 0]
    b = jnp.take_along_axis(p.b, j[:, None], axis=1)[:, 0]
    ratio = _gamma_survival_ratio(a, 1.0 / (b * 1e3), age * dt, dt)
    return _renewal_step(1.0 - ratio, active, age, key, k)
