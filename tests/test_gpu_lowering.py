"""The compiled chunk lowers for a GPU, on a machine without one.

Several kernels choose their form per platform (``jax.lax.platform_dependent``: the stacked RK4
of the Rubin-Terman cells and the HH/AdEx sub-step loops on CPU, unrolled elsewhere), so the
GPU program contains code the CPU tests never trace.  ``jax.export`` lowers a jitted function
for another platform without its device: a network with every kind of kernel, source, synapse
rule and electrode must lower to StableHLO for CUDA.  (Compiling and running it needs a GPU:
``validation/benchmarks/gpu_check.sh``.)
"""
from __future__ import annotations

import jax.numpy as jnp
import pytest
from jax import export

from every_feature_network import build


def _network(sim):
    build(sim)
    sim.run(0.1)
    return sim.simulator.state.simulation


@pytest.mark.parametrize("platform", ["cuda"])
def test_chunk_lowers_for_gpu(sim, platform):
    """Reference: the CPU lowering of the same chunk.  Both must lower; the GPU module must
    differ (the platform branches are resolved at lowering), else the test would not be
    looking at the GPU code at all."""
    s = _network(sim)
    args = (s.data, s.carry, jnp.int32(10))
    gpu = export.export(s.fn, platforms=[platform])(*args)
    cpu = export.export(s.fn, platforms=["cpu"])(*args)
    assert gpu.platforms == (platform,)
    assert gpu.mlir_module() != cpu.mlir_module()
