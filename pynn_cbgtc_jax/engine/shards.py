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
           "all_gather_counts", "first_bad_anywhere"]

#: the mesh axis of the devices
AXIS = "cells"


class Partition(NamedTuple):
    """Static (``NetSpec.partition``): the devices and the populations' global sizes."""
    devices: tuple           # jax.Device per shard, in mesh order
    sizes: tuple             # per population: global size (the local spec holds local sizes)


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




def all_gather_counts(spec: NetSpec, data: NetData, counts: list) -> list:
    """``counts`` (per population; neurons: this device's cells) with every neuron
    population's counts made global: one ``all_gather`` of all of them per step."""
    import jax
    import jax.numpy as jnp
    neurons = [i for i in range(len(spec.pops)) if _neuron(spec, i)]
    if not neurons:
        return counts
    mine = jnp.concatenate([counts[i] for i in neurons])
    flat = jax.lax.all_gather(mine, AXIS).reshape(-1)[data.layout.gather]
    counts, offset = list(counts), 0
    for i in neurons:
        n = spec.partition.sizes[i]
        counts[i] = flat[offset:offset + n]
        offset += n
    return counts


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
    from jax.sharding import Mesh, PartitionSpec as P

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
        signals = tuple(
            tuple(_in_recorded_order(x, order) for x, order in zip(sigs, orders))
            for sigs, orders in zip(rows.signals, data.layout.signal_order))
        return carry, rows._replace(signals=signals)

    return chunk


def _in_recorded_order(x, order):
    """``[D, chunk, R]`` per-device rows -> ``[chunk, n recorded]`` in the recorded order."""
    D, chunk, R = x.shape
    return x.transpose(1, 0, 2).reshape(chunk, D * R)[:, order]
