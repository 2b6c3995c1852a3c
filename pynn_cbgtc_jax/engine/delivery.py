"""Spike delivery: all synapses of the network in one CSR table, one ring buffer.

Every cell of the network (neurons and spike sources) has a global index; every synapse is
stored once, sorted by presynaptic cell, with its *target column* in the network's ring buffer
(``ring_offset[post population] + receptor * size + cell``), its weight and its delay in steps.
The ring is a flat ``[ring_len, width]`` array.  A spike emitted in step ``k`` (stamped
``k + 1``) over a synapse with delay ``d`` adds its weight to slot ``(k + 1 + d) % ring_len``;
step ``k'`` reads slot ``(k' + 1) % ring_len`` as the input arriving at the end of the step and
then clears it.  So a spike stamped ``s`` reaches the synaptic state at ``s + d``: NEST's
convention.

Two paths, never a dense ``n_pre x n_post`` matrix:

* **event path** -- the indices of at most ``max_spikes`` spiking cells (``jnp.nonzero`` with a
  static size), their CSR rows laid end to end into at most ``max_events`` synapse events
  (a ragged gather: no padding to the largest fan-out), one scatter-add into the ring.  Cost
  ~ ``max_events``, i.e. follows the activity.
* **dense path** -- every synapse once (cost ~ ``n_syn``); taken for a step in which more cells
  spike or more events occur than the event path holds, and always when the table is small.

Both paths add the contributions to a ring cell in the same order (ascending presynaptic cell,
then CSR order), so which path ran does not change a single bit of the result.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .spec import SynData, SynSpec

__all__ = ["deliver", "read_slot", "clear_slot"]


def _scatter(ring, width, ring_len, k, delay, target, amount):
    slot = (k + 1 + delay) % ring_len
    return ring.at[slot * width + target].add(amount.astype(ring.dtype), mode="drop")


def _dense(spec: SynSpec, s: SynData, counts, ring, k, width, ring_len):
    amount = s.weight * counts[s.pre].astype(s.weight.dtype)
    return _scatter(ring, width, ring_len, k, s.delay, s.target, amount)


def _events(spec: SynSpec, s: SynData, counts, ring, k, width, ring_len, idx, n_events):
    start = s.row_ptr[idx]
    length = s.row_ptr[idx + 1] - start                      # 0 for the padding index
    last = jnp.cumsum(length)                                # one past each spike's events
    e = jnp.arange(spec.max_events, dtype=jnp.int32)
    # event e belongs to the first spike whose events end after it
    j = jnp.minimum(jnp.searchsorted(last, e, side="right"), spec.max_spikes - 1)
    first = last[j] - length[j]
    valid = e < n_events
    syn = jnp.where(valid, start[j] + (e - first), 0)
    mult = counts[jnp.minimum(idx[j], counts.shape[0] - 1)].astype(s.weight.dtype)
    amount = jnp.where(valid, s.weight[syn] * mult, 0.0)
    return _scatter(ring, width, ring_len, k, s.delay[syn], s.target[syn], amount)


def deliver(spec: SynSpec, s: SynData, counts, ring, k, width: int, ring_len: int):
    """Add the spikes ``counts`` (int32 [n_cells]) emitted in step ``k`` to the ring.

    Returns ``(ring, overflowed)``; ``overflowed`` is True when the step needed the dense path
    although the event path was compiled (the runner then enlarges the event path).
    """
    if spec.n_syn == 0:
        return ring, jnp.bool_(False)
    if spec.dense:
        return _dense(spec, s, counts, ring, k, width, ring_len), jnp.bool_(False)
    n_cells = counts.shape[0]
    (idx,) = jnp.nonzero(counts, size=spec.max_spikes, fill_value=n_cells)
    idx = idx.astype(jnp.int32)
    n_events = jnp.sum(s.row_ptr[idx + 1] - s.row_ptr[idx])
    overflow = (jnp.count_nonzero(counts) > spec.max_spikes) | (n_events > spec.max_events)
    ring = jax.lax.cond(overflow,
                        lambda r: _dense(spec, s, counts, r, k, width, ring_len),
                        lambda r: _events(spec, s, counts, r, k, width, ring_len, idx, n_events),
                        ring)
    return ring, overflow


def read_slot(ring, k, offset: int, size: int, width: int, ring_len: int):
    """Inputs (exc, inh) arriving at the end of step ``k`` for the cells at ``offset``."""
    start = ((k + 1) % ring_len) * width + offset
    inp = jax.lax.dynamic_slice(ring, (start,), (2 * size,))
    return inp[:size], inp[size:]


def clear_slot(ring, k, width: int, ring_len: int):
    """Zero the slot read in step ``k`` (after every population has read it)."""
    start = ((k + 1) % ring_len) * width
    return jax.lax.dynamic_update_slice(ring, jnp.zeros(width, ring.dtype), (start,))
