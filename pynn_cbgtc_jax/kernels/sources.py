"""Spike generators, one step at a time, for whole populations.

Generators have no membrane: each step they emit a spike *count* per cell (counts > 1 are
possible for Poisson sources at high rate x dt, as NEST's ``poisson_generator`` sends
multiplicities).  Step ``k`` emits the spikes stamped ``t_{k+1} = (k+1) dt``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["PoissonParams", "poisson_counts", "ArrayParams", "array_counts"]


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
