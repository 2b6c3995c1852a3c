"""Spike delivery: all synapses of the network in one CSR table, one ring buffer.

Every cell of the network (neurons and spike sources) has a global index.  Synapses are stored
in one table per *synapse group* (all projections that share a rule, see ``synapse_rules.py``,
and a fan-out class: those with at most one synapse per presynaptic cell, e.g. one-to-one
drives, apart from the rest; ``compiler/build.py``),
sorted by presynaptic cell, each with its *target column* in the network's ring buffer
(``ring_offset[post population] + receptor * size + cell``), its weight and its delay in steps.
The ring is a flat ``[ring_len, width]`` array.  A spike emitted in step ``k`` (stamped
``k + 1``) over a synapse with delay ``d`` adds its weight to slot ``(k + 1 + d) % ring_len``;
slot ``(k' + 1) % ring_len`` holds the input arriving at the end of step ``k'``: the runner reads
it at the end of step ``k' - 1`` (after that step's delivery, which no longer writes it since
``d >= 1``) and clears it at the start of step ``k'``.  So a spike stamped ``s`` reaches the
synaptic state at ``s + d``: NEST's convention.

Two paths, never a dense ``n_pre x n_post`` matrix:

* **event path** -- the synapse events of the step are numbered ``0 .. n_events - 1`` in the
  order (presynaptic cell, CSR position): the row lengths of the spiking cells, summed per
  block of cells, map an event number to its cell (its block, then its cell within the block:
  ``_owners``, for every ``SynSpec.group``-th event, the others from their neighbours':
  ``_batch_cells``) and its synapse.  A ``lax.while_loop``
  takes them ``batch`` at a time (gather, rule, one scatter-add into the ring) until none are
  left, so the cost follows the activity (``ceil(n_events / batch)`` batches, none in a silent
  step) and there is no bound to overflow.  The ring is the loop carry and is updated in place
  (a ``lax.cond``/``switch`` around the scatter would copy the whole ring every step).
* **dense path** -- every synapse once (cost ~ ``n_syn``); chosen for small tables, where one
  pass over all synapses is cheaper than the lookups of the event path.

Both paths add the contributions to a ring cell in the same order (ascending presynaptic cell,
then CSR order), so which path ran, and the batch size, do not change a single bit of the
result.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import platform
from .spec import SynData, SynSpec
from .synapse_rules import on_pre

__all__ = ["deliver", "read_slot", "clear_slot", "population_input"]


def _scatter(ring, width, ring_len, k, delay, target, amount, valid):
    """Add the valid events' ``amount`` to the ring (``platform.scatter_add``: invalid slots
    add ``+0.0`` on a CPU and are dropped on accelerators, where sent to one ring cell they
    serialised the atomic adds -- the full-scale microcircuit's batch of 2^20 slots with ~15 %
    valid spent 80 % of its step in that scatter, H200)."""
    slot = (k + 1 + delay.astype(jnp.int32)) % ring_len
    return platform.scatter_add(ring, slot * width + target, amount, valid)


def _dense_events(s: SynData, counts):
    """Every synapse, with the multiplicity of its presynaptic cell's spike (0: no spike).

    The presynaptic cell of each synapse is stored for tables built for the dense path; for
    others (e.g. a path forced by hand) it is expanded from the CSR rows."""
    n_syn = s.target.shape[0]
    pre = s.pre
    if pre.shape[0] != n_syn:
        n_cells = counts.shape[0]
        pre = jnp.repeat(jnp.arange(n_cells, dtype=jnp.int32),
                         s.row_ptr[1:n_cells + 1] - s.row_ptr[:n_cells], total_repeat_length=n_syn)
    mult = counts[pre]
    return jnp.arange(n_syn, dtype=jnp.int32), mult, mult > 0


#: cells per block of the event path's two-level cell lookup (``_owners``)
BLOCK = 32
#: a lookup of at most this many comparisons (looked-up events x blocks) counts each event's
#: blocks in one pass; a larger one searches them (``platform.searchsorted``)
COUNT_LIMIT = 1 << 14


def _blocks(length):
    """``(padded, block_last)``: ``length`` (events of each cell this step, [n]) padded with
    silent cells to whole blocks of ``BLOCK`` cells, and the running sum of the blocks'
    events ([n_blocks]; its last entry is the step's number of events).  A running sum over
    the blocks, not the cells: XLA:CPU's running sum costs ~3 ns a value (a delivery
    micro-benchmark of COBA 4000's table, 4000 cells x 80 synapses on one core: 11 of the
    31 us a step when it summed every cell)."""
    n = length.shape[0]
    n_blocks = -(-n // BLOCK)
    padded = jnp.pad(length, (0, n_blocks * BLOCK - n))
    return padded, jnp.cumsum(padded.reshape(n_blocks, BLOCK).sum(axis=1))


def _owners(padded, block_last, q):
    """``(cell, start, end)`` of the events ``q`` (int32 [Q]) of the step: the cell whose
    events ``start .. end - 1`` hold each (``_blocks``' layout; an event past the step's
    last gets some cell).

    Two levels, neither a loop on a CPU: the block of ``q`` is the number of blocks whose
    events end at or before it (``Q x n_blocks`` comparisons in one pass; a binary search
    when there are more than ``COUNT_LIMIT``), then the cell within the block the number of
    its cells whose events end at or before it (a running sum over the block's ``BLOCK``
    cells).  The binary search over every cell this replaces was a loop of ``log2(n)``
    iterations, each a few small kernels: most of the event path's time on a CPU."""
    n_blocks = block_last.shape[0]
    if q.shape[0] * n_blocks <= COUNT_LIMIT:
        block = jnp.sum(block_last <= q[:, None], axis=1, dtype=jnp.int32)
    else:
        block = platform.searchsorted(block_last, q)
    block = jnp.minimum(block, n_blocks - 1)
    lens = padded.reshape(n_blocks, BLOCK)[block]                        # [Q, BLOCK]
    ends = (block_last[block] - lens.sum(axis=1))[:, None] + jnp.cumsum(lens, axis=1)
    j = jnp.minimum(jnp.sum(ends <= q[:, None], axis=1, dtype=jnp.int32), BLOCK - 1)
    end = jnp.take_along_axis(ends, j[:, None], axis=1)[:, 0]
    start = end - jnp.take_along_axis(lens, j[:, None], axis=1)[:, 0]
    return block * BLOCK + j, start, end


def _batch_cells(padded, block_last, first, batch: int, group: int):
    """``(cell, position, valid)`` of the events ``first .. first + batch - 1`` of the step:
    the cell each belongs to (``_owners``; clip it to the last real cell), its position in
    that cell's row, and whether it is an event at all (invalid past the last).

    ``group`` (``SynSpec.group``): only every ``group``-th event is looked up.  With every
    non-empty row at least ``group`` events long, at most one row starts strictly inside
    ``(q, q + group)`` for a looked-up event ``q``, so an event ``e`` in there belongs to
    the owner of ``q`` if ``e`` is before that owner's end, else to the owner of
    ``q + group``: that row starts at or before ``e`` and, being ``group`` or more long, ends
    after ``q + group``.  The same integers as looking up every event
    (``tests/test_delivery.py``), for ``batch / group + 1`` lookups instead of ``batch``.
    """
    e = first + jnp.arange(batch, dtype=jnp.int32)
    if group == 1:
        cell, start, _ = _owners(padded, block_last, e)
    else:
        cells, starts, ends = _owners(padded, block_last,
                                      first + group * jnp.arange(batch // group + 1,
                                                                 dtype=jnp.int32))

        def spread(x):                        # each looked-up event's value over its group
            return jnp.broadcast_to(x[:, None], (batch // group, group)).reshape(batch)
        here = e < spread(ends[:-1])
        cell = jnp.where(here, spread(cells[:-1]), spread(cells[1:]))
        start = jnp.where(here, spread(starts[:-1]), spread(starts[1:]))
    return cell, e - start, e < block_last[-1]


def _apply(spec: SynSpec, s: SynData, events, state, ring, hist, k, dt, key, width, ring_len):
    syn, mult, valid = events
    amount, state = on_pre(spec.rule, syn, mult.astype(s.weight.dtype), valid, s.weight, s.delay,
                           s.params, state, s.post, hist, k, dt, key, s.ids)
    return state, _scatter(ring, width, ring_len, k, s.delay[syn], s.target[syn], amount, valid)


def _dense_for_members(spec: SynSpec, n_cells: int) -> bool:
    """Whether an ensemble delivers over this event-path table by the dense path.

    Vmapped over the members, the event path pays for every member what the busiest one
    needs: the blocks' running sum, then for each batch the lookups and gathers of all
    ``batch`` slots, valid or not -- at least one batch in every step where any member has an
    event.  A pass over every synapse is cheaper when the table is not much larger than that
    batch (CBGTC example: 378 synapses, 120 cells, batch 256).

    Static synapses only: their amount is ``weight * multiplicity``, one rounding in either
    path.  A rule with more arithmetic (STDP) compiles to other fusions over ``[n_syn]`` than
    over ``[batch]``, and XLA:CPU's FMA contraction then rounds them differently (measured:
    ``lif_stdp`` in ``tests/test_ensembles.py`` 2e-14 mV off its single run)."""
    return spec.rule == "static" and spec.n_syn <= 2 * n_cells + 4 * spec.batch


def deliver(spec: SynSpec, s: SynData, counts, state, ring, hist, k, dt, key, width: int,
            ring_len: int, member_axis: str | None = None):
    """Deliver the spikes ``counts`` (int32 [n_cells]) of step ``k`` over one synapse group.

    ``member_axis``: the name of the ensemble's member axis when this runs ``vmap``-ed over
    the members (``runner.py``), else None.  The event path then takes as many batches as the
    member with the most events needs (``lax.pmax``): a loop whose end differs per member is
    a batched ``while_loop``, which copies the whole ring and selects it back per batch (two
    passes over ``[N, ring * width]`` per batch).  A member's extra batches hold no valid event:
    they add ``+0.0`` to a ring cell (CPU) or nothing (accelerators), which changes no bit (a
    cell cleared to ``+0.0`` and summed never holds ``-0.0``), so each member stays bitwise
    equal to its single run.

    Returns ``(state, ring)``.
    """
    if spec.n_syn == 0:
        return state, ring
    n_cells = counts.shape[0]
    if spec.dense or (member_axis is not None and _dense_for_members(spec, n_cells)):
        return _apply(spec, s, _dense_events(s, counts), state, ring, hist, k, dt, key, width,
                      ring_len)
    # only the cells with synapses in this table: the block sums and the lookups over fewer
    # cells (a table of the recurrent synapses skips the network's spike sources)
    lo, hi = spec.cells or (0, n_cells)
    counts = counts[lo:hi]
    length = jnp.where(counts > 0, s.row_ptr[lo + 1:hi + 1] - s.row_ptr[lo:hi], 0)
    padded, block_last = _blocks(length)
    n_events = block_last[-1]

    def batch(carry):
        first, state, ring = carry
        cell, position, valid = _batch_cells(padded, block_last, first, spec.batch,
                                             min(spec.group, spec.batch))
        cell = jnp.minimum(cell, hi - lo - 1)
        # in memory once: XLA:CPU recomputed the lookup inside each of the synapse's gathers
        # (weight, delay, target; the same micro-benchmark: 29 -> 26.5 us a step)
        syn = platform.in_memory(jnp.where(valid, s.row_ptr[cell + lo] + position, 0), k)
        events = (syn, jnp.where(valid, counts[cell], 0), valid)
        state, ring = _apply(spec, s, events, state, ring, hist, k, dt, key, width, ring_len)
        return first + spec.batch, state, ring

    n_loop = n_events if member_axis is None else jax.lax.pmax(n_events, member_axis)
    _, state, ring = jax.lax.while_loop(lambda c: c[0] < n_loop, batch,
                                        (jnp.int32(0), state, ring))
    return state, ring


def read_slot(ring, k, width: int, ring_len: int):
    """The inputs arriving at the end of step ``k``: ring slot ``k + 1``, [width]."""
    return jax.lax.dynamic_slice(ring, (((k + 1) % ring_len) * width,), (width,))


def clear_slot(ring, k, width: int, ring_len: int):
    """The ring with slot ``k + 1`` zeroed, ready to be reused for ``k + 1 + ring_len``."""
    return jax.lax.dynamic_update_slice(ring, jnp.zeros(width, ring.dtype),
                                        (((k + 1) % ring_len) * width,))


def population_input(slot, offset: int, size: int, n_receptors: int):
    """[n_receptors, size]: the columns of one population in a slot from ``read_slot``."""
    return slot[offset:offset + n_receptors * size].reshape(n_receptors, size)
