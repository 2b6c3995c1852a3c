"""One network with every kind the engine lowers: eight cell families (LIF, AdEx, HH,
Izhikevich, the three Rubin-Terman cells), Poisson, gamma and array sources, static,
Tsodyks-Markram and STDP synapses, DC, noisy and DBS electrodes; 20 cells a population.

Used by ``tests/test_gpu_lowering.py`` (lowers for CUDA),
``validation/benchmarks/bench_compile.py`` (first-run compile time), so both measure the same
program, and ``tests/scripts/devices_run.py`` (the same results on 1 to 4 devices).
"""
from __future__ import annotations

__all__ = ["build"]


def build(sim, **setup_args):
    """Set up ``sim`` and create the network (nothing run).  Returns ``(cells, projections)``;
    every cell population records spikes and ``v``.  ``setup_args`` go to ``sim.setup`` (e.g.
    ``devices``, or ``rng_seed=sim.Batch(...)`` for an ensemble)."""
    sim.setup(**{"timestep": 0.025, "min_delay": 0.1, "rng_seed": 1, **setup_args})
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
    projections = []
    for i, post in enumerate(cells):
        pre = sources[i % 2] if i % 3 else cells[(i + 1) % len(cells)]
        projections.append(sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2),
                                          synapses[i % len(synapses)],
                                          receptor_type="excitatory"))
    sim.DCSource(amplitude=0.1, start=1.0, stop=5.0).inject_into(cells[0])
    sim.NoisyCurrentSource(mean=0.0, stdev=0.05, dt=0.1).inject_into(cells[1])
    sim.DBSSource().inject_into(cells[5])
    for pop in cells:
        pop.record(["spikes", "v"])
    return cells, projections
