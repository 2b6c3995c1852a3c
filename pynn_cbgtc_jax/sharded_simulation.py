"""A single network partitioned over several devices (``setup(devices=...)`` without an
ensemble): the ``Simulation`` whose program runs under ``shard_map`` (``engine/shards.py``) on
the per-device arrays of ``compiler/partition.py``.

Everything the host reads or writes of the loop carry -- the t = 0 samples, ``initialize()``
during a run, plastic weights for ``Projection.get``, checkpoints -- sees the one-device layout:
``carry`` converts between that layout and the devices' on each access (only the chunk loop
uses the devices' carry directly).
"""
from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from .compiler.partition import carry_from_devices, carry_to_devices, partition_build
from .engine.runner import TRACE_COUNT
from .engine.shards import AXIS, carry_specs, data_specs
from .engine.spike_fetch import fetch_outputs
from .simulation import Simulation

__all__ = ["ShardedSimulation"]


class ShardedSimulation(Simulation):
    """``Simulation`` of one network over ``devices`` (a tuple of ``jax.Device``)."""

    def __init__(self, state, build, devices):
        self.devices = tuple(devices)
        self.mesh = Mesh(np.array(self.devices), (AXIS,))
        super().__init__(state, build)

    @property
    def program_spec(self):
        return self.local_spec

    def _put(self, tree, flags):
        """Host arrays placed as ``flags`` says (True: split over the devices along the leading
        axis; False: a copy on each).  Each process places only its own devices' parts, so
        this works across processes too."""
        def put(f, x):
            x = np.asarray(x)
            return jax.make_array_from_callback(
                x.shape, NamedSharding(self.mesh, P(AXIS) if f else P()), lambda idx: x[idx])
        return jax.tree_util.tree_map(put, flags, tree)

    def _upload(self, build, old):
        self.local_spec, data, self.layout = partition_build(build, self.devices)
        return self._put(data, data_specs(self.local_spec, data))

    def _initial_carry(self, step):
        return self._initial_carry_of(self.build, step)

    @property
    def carry(self):
        """The carry in the one-device layout (on the default device)."""
        if self.state.processes > 1:
            # other processes' parts: one program copies every leaf to every device
            local = jax.device_get(jax.jit(lambda c: c, out_shardings=NamedSharding(
                self.mesh, P()))(self._carry))
        else:
            local = jax.device_get(self._carry)
        # each synapse table as this process holds it (several processes: its own synapses)
        glob = carry_from_devices(self.layout, self.spec, self.spec.width,
                                  [s.target.shape[0] for s in self.build.data.syns], local)
        return jax.tree_util.tree_map(jnp.asarray, glob)

    @carry.setter
    def carry(self, carry):
        carry = jax.tree_util.tree_map(np.asarray, jax.device_get(carry))
        local = carry_to_devices(self.layout, self.spec, carry)
        self._carry = self._put(local, carry_specs(self.local_spec, local))

    def _size_calls(self, n, elapsed):
        """Chunk sizes from the wall time, as on one device; with several processes, process
        0's choice for all (every process must run the same chunks: each chunk's collectives
        pair up across processes)."""
        super()._size_calls(n, elapsed)
        if self.state.processes > 1:
            from jax.experimental.multihost_utils import broadcast_one_to_all
            self._call_steps = int(broadcast_one_to_all(np.int32(self._call_steps)))

    def _call(self, n: int):
        traces = TRACE_COUNT["chunk"]
        start = time.perf_counter()
        self._carry, outputs = self.fn(self.data, self._carry, jnp.int32(n))
        outputs, bad = fetch_outputs(outputs, self._carry.bad_step, n, compact=False)
        return outputs, bad, time.perf_counter() - start, TRACE_COUNT["chunk"] != traces
