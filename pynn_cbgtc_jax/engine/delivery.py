"""Spike delivery: all synapses of the network in one CSR table, one ring buffer.

Every cell of the network (neurons and spike sources) has a global index.  Synapses are stored
in one table per *synapse group* (all projections that share a rule, see ``synapse_rules.py``),
sorted by presynaptic cell, each with its *target column* in the network's ring buffer
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
from .synapse_rules import on_pre

__all__ = ["deliver", "read_slot", "clear_slot"]


def _scatter(ring, width, ring_len, k, delay, target, amount):
    slot = (k + 1 + delay) % ring_len
    return ring.at[slot * width + target].add(amount.astype(ring.dtype), mode="drop")


def _dense_events(s: SynData, counts):
    """Every synapse, with the multiplicity of its presynaptic cell's spike (0: no spike)."""
    mult = counts[s.pre]
    return jnp.arange(s.pre.shape[0], dtype=jnp.int32), mult, mult > 0


def _sparse_events(spec: SynSpec, s: SynData, counts, idx, n_events):
    """The synapses of the spiking cells ``idx``, laid end to end (a ragged gather)."""
    start = s.row_ptr[idx]
    length = s.row_ptr[idx + 1] - start                      # 0 for the padding index
    last = jnp.cumsum(length)                                # one past each spike's events
    e = jnp.arange(spec.max_events, dtype=jnp.int32)
    # event e belongs to the first spike whose events end after it
    j = jnp.minimum(jnp.searchsorted(last, e, side="right"), spec.max_spikes - 1)
    first = last[j] - length[j]
    valid = e < n_events
    syn = jnp.where(valid, start[j] + (e - first), 0)
    mult = jnp.where(valid, counts[jnp.minimum(idx[j], counts.shape[0] - 1)], 0)
    return syn, mult, valid


def _apply(spec: SynSpec, s: SynData, events, state, ring, hist, k, dt, key, width, ring_len):
    syn, mult, valid = events
    amount, state = on_pre(spec.rule, syn, mult.astype(s.weight.dtype), valid, s.weight, s.delay,
                           s.params, state, s.post, hist, k, dt, key)
    amount = jnp.where(valid, amount, 0.0)
    return state, _scatter(ring, width, ring_len, k, s.delay[syn], s.target[syn], amount)


def deliver(spec: SynSpec, s: SynData, counts, state, ring, hist, k, dt, key, width: int,
            ring_len: int):
    """Deliver the spikes ``counts`` (int32 [n_cells]) of step ``k`` over one synapse group.

    Returns ``(state, ring, overflowed)``; ``overflowed`` is True when the step needed the
    dense path although the event path was compiled (the runner then enlarges it).
    """
    if spec.n_syn == 0:
        return state, ring, jnp.bool_(False)
    if spec.dense:
        state, ring = _apply(spec, s, _dense_events(s, counts), state, ring, hist, k, dt, key,
                             width, ring_len)
        return state, ring, jnp.bool_(False)
    n_cells = counts.shape[0]
    (idx,) = jnp.nonzero(counts, size=spec.max_spikes, fill_value=n_cells)
    idx = idx.astype(jnp.int32)
    n_events = jnp.sum(s.row_ptr[idx + 1] - s.row_ptr[idx])
    overflow = (jnp.count_nonzero(counts) > spec.max_spikes) | (n_events > spec.max_events)
    state, ring = jax.lax.cond(
        overflow,
        lambda st, r: _apply(spec, s, _dense_events(s, counts), st, r, hist, k, dt, key, width,
                             ring_len),
        lambda st, r: _apply(spec, s, _sparse_events(spec, s, counts, idx, n_events), st, r,
                             hist, k, dt, key, width, ring_len),
        state, ring)
    return state, ring, overflow


def read_slot(ring, k, offset: int, size: int, n_receptors: int, width: int, ring_len: int):
    """Inputs arriving at the end of step ``k``, [n_receptors, size], for the cells at ``offset``."""
    start = ((k + 1) % ring_len) * width + offset
    return jax.lax.dynamic_slice(ring, (start,), (n_receptors * size,)).reshape(n_receptors, size)


def clear_slot(ring, k, width: int, ring_len: int):
    """Zero the slot read in step ``k`` (after every population has read it)."""
    start = ((k + 1) % ring_len) * width
    return jax.lax.dynamic_update_slice(ring, jnp.zeros(width, ring.dtype), (start,))
