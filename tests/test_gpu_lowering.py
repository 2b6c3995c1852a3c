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


def _network(sim):
    sim.setup(timestep=0.025, min_delay=0.1, rng_seed=1)
    cells = [sim.Population(20, celltype) for celltype in (
        sim.IF_cond_exp(), sim.IF_curr_alpha(), sim.EIF_cond_exp_isfa_ista(),
        sim.HH_cond_exp(), sim.Izhikevich(), sim.STN_RT2004(), sim.GPe_RT2004(),
        sim.TC_RT2004())]
    sources = [sim.Population(20, sim.SpikeSourcePoisson(rate=30.0)),
               sim.Population(20, sim.SpikeSourceGamma(alpha=2.0, beta=40.0)),
               sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0, 2.0]))]
    synapses = [sim.StaticSynapse(weight=0.002, delay=0.5),
                sim.TsodyksMarkramSynapse(weight=0.002, delay=0.5),
                sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                  weight_dependence=sim.AdditiveWeightDependence(w_max=0.01),
                                  weight=0.002, delay=0.5)]
    for i, post in enumerate(cells):
        pre = sources[i % 2] if i % 3 else cells[(i + 1) % len(cells)]
        sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2),
                       synapses[i % len(synapses)], receptor_type="excitatory")
    sim.DCSource(amplitude=0.1, start=1.0, stop=5.0).inject_into(cells[0])
    sim.NoisyCurrentSource(mean=0.0, stdev=0.05, dt=0.1).inject_into(cells[1])
    sim.DBSSource().inject_into(cells[5])
    for pop in cells:
        pop.record(["spikes", "v"])
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
