"""The device side of a network partitioned over devices (``compiler/partition.py`` builds
it): the mesh axis, the static and traced layout records, which leaves of the data and of the
loop carry are per device, and the chunk wrapped in ``shard_map``.

Inside ``shard_map`` every device runs the one-device step (``runner._step``) on its own
cells and synapses; the only collectives are ``all_gather_counts`` (the spike counts, once
per step) and ``first_bad_anywhere`` (the divergence flags, once per chunk).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .spec import Carry, NetData, NetSpec, RecData
from .spike_sources import SOURCES

__all__ = ["AXIS", "Partition", "PartData", "data_specs", "carry_specs", "sharded_chunk",
           "exchange_blocks", "first_bad_anywhere"]

#: the mesh axis of the devices
AXIS = "cells"


class Partition(NamedTuple):
    """Static (``NetSpec.partition``): the devices and the populations' global sizes."""
    devices: tuple           # jax.Device per shard, in mesh order
    sizes: tuple             # per population: global size (the local spec holds local sizes)
    block: int = 1           # steps per spike exchange: the shortest delay in steps


class PartData(NamedTuple):
    """Traced (``NetData.layout``)."""
    cells: tuple             # per population: int32 [D, L] global index in the population of
                             # each local cell (sharded); [D, 0] for spike sources
    gather: Any              # int32 [neuron cells]: each neuron's place in the flattened
                             # all-gathered counts [D * sum L] (replicated)
    signal_order: tuple      # per population, per recorded signal: int32 [n recorded], the
                             # place of each recorded cell in the flattened [D * R] (replicated)



# -- which leaves are sharded -------------------------------------------------------------------
def _neuron(spec: NetSpec, i: int) -> bool:
    return spec.pops[i].kind not in SOURCES


def data_specs(spec: NetSpec, data: NetData):
    """Per leaf of ``data``: True if it has a leading device axis (sharded), else False."""
    import jax

    def flag(tree, value):
        return jax.tree_util.tree_map(lambda _: value, tree)

    return data._replace(
        params=tuple(flag(p, _neuron(spec, i)) for i, p in enumerate(data.params)),
        syns=flag(data.syns, True),
        recs=tuple(RecData(spikes=False, signals=flag(r.signals, _neuron(spec, i)))
                   for i, r in enumerate(data.recs)),
        electrodes=flag(data.electrodes, False), key=False, dt=False,
        post_tau=flag(data.post_tau, False),
        layout=PartData(cells=flag(data.layout.cells, True), gather=False,
                        signal_order=flag(data.layout.signal_order, False)))


def carry_specs(spec: NetSpec, carry: Carry):
    """Per leaf of the carry: True if it is per device (neuron states, the ring, the inputs
    and synapse states), else False (replicated)."""
    import jax

    def flag(tree, value):
        return jax.tree_util.tree_map(lambda _: value, tree)

    return Carry(step=False,
                 states=tuple(flag(s, _neuron(spec, i)) for i, s in enumerate(carry.states)),
                 ring=True, inputs=True, syn_states=flag(carry.syn_states, True),
                 history=flag(carry.history, False), bad_step=flag(carry.bad_step, False))




def exchange_blocks(spec: NetSpec, data: NetData, prepared, carry: Carry, n_active, rows):
    """``n_active`` steps of this device's part of the network, exchanging spikes once per
    block of ``spec.partition.block`` steps (the shortest delay): ``(carry, rows)``.

    A spike of step ``j`` over a delay ``d`` reaches the input of step ``j + d``; with every
    ``d >= block``, no step of a block reads a spike of the same block.  So each block first
    steps the cells ``block`` times (each step reading its ring slot, ``read_slot(ring, k)``,
    and clearing it), keeping the steps' spike counts; then one ``all_gather`` of the neurons'
    counts of the whole block; then, step by step in the same order as on one device, the
    deliveries and the spike histories.  Every ring cell and every synapse state receives
    the same additions in the same order as on one device, and each step reads the same
    inputs: the results are those of one device, for one collective per block."""
    import jax
    import jax.numpy as jnp
    from .delivery import clear_slot, read_slot
    from . import platform
    from .runner import advance_cells, deliver_spikes, recorded_currents
    part, block = spec.partition, spec.partition.block
    neurons = [i for i in range(len(spec.pops)) if _neuron(spec, i)]
    sources = [i for i in range(len(spec.pops)) if not _neuron(spec, i)]
    n_src = sum(spec.pops[i].size for i in sources)
    n_mine = sum(spec.pops[i].size for i in neurons)

    def row(buffers, values, j):
        return jax.tree_util.tree_map(
            lambda buf, x: jax.lax.dynamic_update_index_in_dim(buf, x, j, 0), buffers, values)

    def cells(loop):
        i, j0, c, rows, src_buf, mine_buf = loop
        k = c.step
        slot = read_slot(c.ring, k, spec.width, spec.ring)    # slot k + 1: step k's input
        ring = clear_slot(c.ring, k, spec.width, spec.ring)
        states, counts, bad, signals = advance_cells(spec, data, prepared, c, slot)
        if sources:
            src_buf = src_buf.at[i].set(jnp.concatenate([counts[q] for q in sources]))
        if neurons:         # a neuron spikes at most once a step: one byte per cell
            mine_buf = mine_buf.at[i].set(
                jnp.concatenate([counts[q] for q in neurons]).astype(jnp.uint8))
        rows = rows._replace(signals=row(rows.signals, signals, j0 + i))
        return i + 1, j0, c._replace(step=k + 1, states=states, ring=ring, bad_step=bad), \
            rows, src_buf, mine_buf

    def deliveries(loop):
        i, j0, k0, c, rows, src_buf, everyone = loop
        k = k0 + i
        flat = everyone[:, i, :].reshape(-1)[data.layout.gather].astype(jnp.int32)
        counts, s_at, n_at = [], 0, 0
        for q, p in enumerate(spec.pops):
            n = part.sizes[q]
            if _neuron(spec, q):
                counts.append(flat[n_at:n_at + n])
                n_at += n
            else:
                counts.append(src_buf[i, s_at:s_at + n])
                s_at += n
        all_counts = platform.in_memory(jnp.concatenate(counts), k)
        ring, syn_states, history, spikes = deliver_spikes(spec, data, all_counts, c.ring,
                                                           c.syn_states, c.history, k)
        rows = rows._replace(spikes=row(rows.spikes, spikes, j0 + i),
                             currents=row(rows.currents, recorded_currents(spec, data, k),
                                          j0 + i))
        c = c._replace(ring=ring, syn_states=syn_states, history=history)
        return i + 1, j0, k0, c, rows, src_buf, everyone

    def one_block(loop):
        j0, c, rows = loop
        n = jnp.minimum(block, n_active - j0)
        k0 = c.step
        src_buf = jnp.zeros((block, n_src), jnp.int32)
        mine_buf = jnp.zeros((block, n_mine), jnp.uint8)
        _, _, c, rows, src_buf, mine_buf = jax.lax.while_loop(
            lambda x: x[0] < n, cells, (jnp.int32(0), j0, c, rows, src_buf, mine_buf))
        everyone = jax.lax.all_gather(mine_buf, AXIS)               # [D, block, n_mine]
        _, _, _, c, rows, _, _ = jax.lax.while_loop(
            lambda x: x[0] < n, deliveries, (jnp.int32(0), j0, k0, c, rows, src_buf, everyone))
        return j0 + n, c, rows

    _, carry, rows = jax.lax.while_loop(lambda x: x[0] < n_active, one_block,
                                        (jnp.int32(0), carry, rows))
    # what one device's carry holds at the start of a step: its ring slot, read
    return carry._replace(inputs=read_slot(carry.ring, carry.step, spec.width, spec.ring)), rows


def first_bad_anywhere(bad):
    """The first diverged step over all devices (-1: none), the same on every device."""
    import jax
    import jax.numpy as jnp
    never = jnp.iinfo(jnp.int32).max
    first = jax.lax.pmin(jnp.where(bad < 0, never, bad), AXIS)
    return jnp.where(first == never, -1, first).astype(bad.dtype)


def sharded_chunk(spec: NetSpec, single):
    """The chunk of a partitioned network: ``single`` (the one-device chunk, run on each
    device's part) inside ``shard_map`` over the devices.  Sharded leaves enter with a leading
    device axis of 1 (dropped inside); the recorded signals come back from every device and
    are put in the order of the recorded cells (``PartData.signal_order``)."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    mesh = Mesh(np.array(spec.partition.devices), (AXIS,))

    def specs(flags):
        return jax.tree_util.tree_map(lambda f: P(AXIS) if f else P(), flags)

    def chunk(data: NetData, carry: Carry, n_active):
        d_flags, c_flags = data_specs(spec, data), carry_specs(spec, carry)

        def local(data, carry, n_active):
            data = jax.tree_util.tree_map(lambda f, x: x[0] if f else x, d_flags, data)
            carry = jax.tree_util.tree_map(lambda f, x: x[0] if f else x, c_flags, carry)
            carry, rows = single(data, carry, n_active)
            carry = jax.tree_util.tree_map(lambda f, x: x[None] if f else x, c_flags, carry)
            rows = rows._replace(signals=jax.tree_util.tree_map(lambda x: x[None],
                                                                rows.signals))
            return carry, rows

        from .runner import StepOutputs            # (runner imports this module)
        out_rows = StepOutputs(spikes=tuple(P() for _ in spec.recs),
                               signals=tuple(tuple(P(AXIS) for _ in rs.signals)
                                             for rs in spec.recs),
                               currents=P() if spec.electrodes.record else ())
        carry, rows = jax.shard_map(local, mesh=mesh,
                                    in_specs=(specs(d_flags), specs(c_flags), P()),
                                    out_specs=(specs(c_flags), out_rows),
                                    check_vma=False)(data, carry, n_active)
        # a copy of every recorded value on every device: each process reads all of them
        everywhere = NamedSharding(mesh, P())
        signals = tuple(
            tuple(jax.lax.with_sharding_constraint(_in_recorded_order(x, order), everywhere)
                  for x, order in zip(sigs, orders))
            for sigs, orders in zip(rows.signals, data.layout.signal_order))
        return carry, rows._replace(signals=signals)

    return chunk


def _in_recorded_order(x, order):
    """``[D, chunk, R]`` per-device rows -> ``[chunk, n recorded]`` in the recorded order."""
    D, chunk, R = x.shape
    return x.transpose(1, 0, 2).reshape(chunk, D * R)[:, order]
