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
  order (presynaptic cell, CSR position): a running sum of the row lengths of the spiking cells
  maps an event number to its cell (a binary search for every ``SynSpec.group``-th event, the
  others from their neighbours': ``_run_owners``) and its synapse.  A ``lax.while_loop``
  takes them ``batch`` at a time (gather, rule, one scatter-add into the ring) until none are
  left, so the cost follows the activity (``ceil(n_events / batch)`` batches, none in a silent
  step) and there is no bound to overflow.  The ring is the loop carry and is updated in place
  (a ``lax.cond``/``switch`` around the scatter would copy the whole ring every step).
* **dense path** -- every synapse once (cost ~ ``n_syn``); chosen for small tables, where one
  pass over all synapses is cheaper than the running sum over all cells.

Both paths add the contributions to a ring cell in the same order (ascending presynaptic cell,
then CSR order), so which path ran, and the batch size, do not change a single bit of the
result.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_batching import custom_vmap

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


def _batch_events(s: SynData, counts, length, last, sums, n_events, first_event, batch: int,
                  first_cell: int = 0, group: int = 1):
    """Events ``first_event .. first_event + batch - 1`` of the step (invalid past the last).

    ``counts``, ``length`` and ``last`` cover the cells ``first_cell ..`` (those with synapses
    in the table): ``length`` is the row length of each spiking cell (0 for silent ones) and
    ``last`` its running sum: event ``e`` belongs to the first cell whose events end after it.
    ``sums``: ``last`` as ``_owner_search``'s ``index`` gives it; ``group``: ``SynSpec.group``
    (``_run_owners``).
    """
    n_cells = counts.shape[0]
    e = first_event + jnp.arange(batch, dtype=jnp.int32)
    n_syn = s.target.shape[0]
    owners = _owner_search(n_syn)[1]
    cell = jnp.minimum(owners(sums, e) if group == 1 else
                       _run_owners(owners, last, sums, first_event, batch, group), n_cells - 1)
    valid = e < n_events
    syn = jnp.where(valid, s.row_ptr[cell + first_cell] + (e - (last[cell] - length[cell])), 0)
    return syn, jnp.where(valid, counts[cell], 0), valid


def _run_owners(owners, last, sums, first, batch: int, group: int):
    """The cells of the events ``first .. first + batch - 1``, searching only every
    ``group``-th one (``owners(sums, e)``, ``_owner_search``): the same integers as
    searching every event.

    With every non-empty row at least ``group`` events long (``SynSpec.group``), at most one
    row starts strictly inside ``(q, q + group)`` for a searched event ``q``, so an event
    ``e`` in there belongs to the owner ``c`` of ``q`` if ``e < last[c]``, else to the owner
    of ``q + group``: that row starts at ``last[c] <= e`` and, being ``group`` or more long,
    ends after ``q + group``.  (An event past the step's last is invalid whatever cell it
    gets.)  The binary search -- ``log2(n_cells)`` gathers per event, most of the event
    path's time on a CPU (COBA 4000: ~20 of 58 us a step) -- runs on ``batch / group + 1``
    events instead of ``batch``, plus one gather per event."""
    starts = first + group * jnp.arange(batch // group + 1, dtype=jnp.int32)
    owner = owners(sums, starts)
    here = jnp.broadcast_to(owner[:-1, None], (batch // group, group)).reshape(batch)
    after = jnp.broadcast_to(owner[1:, None], (batch // group, group)).reshape(batch)
    e = first + jnp.arange(batch, dtype=jnp.int32)
    return jnp.where(e < last[jnp.minimum(here, last.shape[0] - 1)], here, after)


def _searchsorted(last, e):
    return platform.searchsorted(last, e)


@functools.lru_cache(maxsize=None)
def _owner_search(n_syn: int):
    """``(index, owners)``: ``owners(index(last), e)`` is, for each event number ``e``, its
    cell ``searchsorted(last, e, side="right")`` (int32), where ``last`` is the running sum of
    the cells' events (at most ``n_syn`` in all).  ``index`` runs once per step, ``owners``
    once per batch of events.  One pair per ``n_syn`` (their batching rules are bounded by
    it).  Unbatched, ``index`` is the identity.

    ``vmap``-ed over an ensemble's members the searches are one: member ``i``'s running sums
    and events shifted by the sum of the previous members' totals (+1 each) make one
    non-decreasing array in which a member's events find its own cells.  ``vmap``-ed the
    plain way, the search was a gather with a member index per lookup (COBA 4000, 4 members:
    a member's step cost more than a single network's); the shifted array built in every
    batch, not once per step, cost a third of a 4-member step.  The caller clips the result
    to the last cell, so an event past a member's total may find any cell after it: the same
    integers either way."""

    def overflows(m):                       # shifted sums past int32: members searched apart
        return m * (n_syn + 1) >= np.iinfo(np.int32).max

    @custom_vmap
    def index(last):
        return last

    @index.def_vmap
    def members_index(m, in_batched, last):
        if overflows(m):
            return last, True
        bound = last[:, -1:] + 1                 # above the member's sums and its valid events
        return last + (jnp.cumsum(bound, axis=0) - bound), True

    @custom_vmap
    def owners(sums, e):
        return _searchsorted(sums, e)

    @owners.def_vmap
    def members_owners(m, in_batched, sums, e):
        sums_batched, e_batched = in_batched
        if not e_batched:
            e = jnp.broadcast_to(e, (m,) + e.shape)
        if not sums_batched:                     # one running sum for all members
            return _searchsorted(sums, e.reshape(-1)).reshape(e.shape), True
        if overflows(m):
            return jax.vmap(_searchsorted)(sums, e), True
        n = sums.shape[1]
        ends = sums[:, -1]
        shift = jnp.concatenate([jnp.zeros(1, ends.dtype), ends[:-1] + 1])
        queries = jnp.minimum(e, (ends - shift + 1)[:, None]) + shift[:, None]
        found = _searchsorted(sums.reshape(-1), queries.reshape(-1))
        return (found.reshape(e.shape)
                - (jnp.arange(m, dtype=jnp.int32) * n)[:, None]), True

    return index, owners


def _apply(spec: SynSpec, s: SynData, events, state, ring, hist, k, dt, key, width, ring_len):
    syn, mult, valid = events
    amount, state = on_pre(spec.rule, syn, mult.astype(s.weight.dtype), valid, s.weight, s.delay,
                           s.params, state, s.post, hist, k, dt, key, s.ids)
    return state, _scatter(ring, width, ring_len, k, s.delay[syn], s.target[syn], amount, valid)


def _dense_for_members(spec: SynSpec, n_cells: int) -> bool:
    """Whether an ensemble delivers over this event-path table by the dense path.

    Vmapped over the members, the event path pays for every member what the busiest one
    needs: a running sum over the cells, then for each batch a binary search
    (``log2(n_cells)`` gathers) per event of all ``batch`` slots, valid or not -- at least
    one batch in every step where any member has an event.  A pass over every synapse is
    cheaper when the table is not much larger than that batch (CBGTC example: 378 synapses,
    120 cells, batch 256).

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
    # only the cells with synapses in this table: the running sum and the binary search over
    # fewer cells (a table of the recurrent synapses skips the network's spike sources)
    lo, hi = spec.cells or (0, n_cells)
    counts = counts[lo:hi]
    length = jnp.where(counts > 0, s.row_ptr[lo + 1:hi + 1] - s.row_ptr[lo:hi], 0)
    last = jnp.cumsum(length)
    n_events = last[-1]
    sums = _owner_search(s.target.shape[0])[0](last)

    def batch(carry):
        first, state, ring = carry
        events = _batch_events(s, counts, length, last, sums, n_events, first, spec.batch, lo,
                               min(spec.group, spec.batch))
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
