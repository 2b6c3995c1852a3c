"""Spike delivery through per-population delay ring buffers.

Each postsynaptic population has a flat ring ``[ring, 2, size]`` (slot, receptor, cell) of
summed weights.  A spike emitted in step ``k`` (stamped ``k+1``) over a synapse with delay ``d``
steps is added to slot ``(k + 1 + d) % ring``; step ``k'`` consumes slot ``(k'+1) % ring`` as
the input arriving at the end of the step, then clears it.  So a spike stamped ``s`` reaches
the synaptic state at ``s + d`` -- NEST's convention.

Two paths, never a dense ``n_pre x n_post`` matrix:

* **event path** -- the indices of at most ``max_events`` spiking cells (``jnp.nonzero`` with a
  static size) select their CSR rows, padded to the largest fan-out; cost ~ events x fan-out;
* **dense path** -- every synapse is visited once (cost ~ n_syn); used when more cells spike
  than the event path holds, and always for projections too small for events to pay off.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .spec import ProjData, ProjSpec

__all__ = ["deliver", "read_slot"]


def _scatter(ring, slot, receptor, post, amount, size, ring_len):
    flat = (slot * 2 + receptor) * size + post
    return ring.at[flat].add(amount.astype(ring.dtype), mode="drop")


def _dense(spec: ProjSpec, p: ProjData, counts, ring, k, size, ring_len):
    amount = p.weight * counts[p.pre].astype(p.weight.dtype)
    slot = (k + 1 + p.delay) % ring_len
    return _scatter(ring, slot, spec.receptor, p.post, amount, size, ring_len)


def _events(spec: ProjSpec, p: ProjData, counts, ring, k, size, ring_len):
    n_pre = counts.shape[0]
    (idx,) = jnp.nonzero(counts, size=spec.max_events, fill_value=n_pre)
    start = p.row_ptr[idx]
    end = p.row_ptr[idx + 1]
    syn = start[:, None] + jnp.arange(spec.fanout, dtype=jnp.int32)[None, :]
    valid = syn < end[:, None]
    syn = jnp.where(valid, syn, 0)
    mult = jnp.concatenate([counts, jnp.zeros(1, counts.dtype)])[idx].astype(p.weight.dtype)
    amount = jnp.where(valid, p.weight[syn] * mult[:, None], 0.0)
    slot = (k + 1 + p.delay[syn]) % ring_len
    return _scatter(ring, slot, spec.receptor, p.post[syn], amount, size, ring_len)


def deliver(spec: ProjSpec, p: ProjData, counts, ring, k, size: int, ring_len: int):
    """Add the spikes ``counts`` (int32 [n_pre]) of step ``k`` to the postsynaptic ring."""
    if spec.n_syn == 0:
        return ring
    if spec.dense:
        return _dense(spec, p, counts, ring, k, size, ring_len)
    n_spiking = jnp.count_nonzero(counts)
    return jax.lax.cond(n_spiking > spec.max_events,
                        lambda r: _dense(spec, p, counts, r, k, size, ring_len),
                        lambda r: _events(spec, p, counts, r, k, size, ring_len),
                        ring)


def read_slot(ring, k, size: int, ring_len: int):
    """Inputs arriving at the end of step ``k`` (exc, inh), and the ring with that slot cleared."""
    slot = (k + 1) % ring_len
    start = slot * 2 * size
    inp = jax.lax.dynamic_slice(ring, (start,), (2 * size,))
    ring = jax.lax.dynamic_update_slice(ring, jnp.zeros(2 * size, ring.dtype), (start,))
    return inp[:size], inp[size:], ring
