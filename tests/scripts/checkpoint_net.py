"""A network with everything a checkpoint must carry, run in one of three ways.

Usage: ``python checkpoint_net.py MODE CHECKPOINT OUT [VARIANT]`` with MODE

* ``first``: build, ``run(A)``, ``checkpoint(CHECKPOINT)``;
* ``second``: build, ``restore(CHECKPOINT)``, ``run(B)``, save the data to OUT (.npz);
* ``whole``: build, ``run(A + B)``, save the data to OUT.

VARIANT (``second`` only) changes the network: ``weight`` (one projection's weight),
``size`` (one population's size), ``dt``.  The net: Poisson sources driving IF_cond_exp cells
through static synapses, STDP (SpikePairRule) between the cells, an IF_curr_alpha population
with a DC source (recorded), a SpikeSourceArray; spikes and v recorded, one earlier segment
kept by ``reset()`` before the run of interest.
"""
import sys

import numpy as np

import pynn_cbgtc_jax as sim

A, B = 63.7, 81.4     # ms; chunk boundaries fall at arbitrary steps


def build(variant=""):
    sim.setup(timestep=0.05 if variant == "dt" else 0.1, rng_seed=11)
    rng = sim.NumpyRNG(seed=5)
    noise = sim.Population(60, sim.SpikeSourcePoisson(rate=400.0), label="noise")
    exc = sim.Population(61 if variant == "size" else 60, sim.IF_cond_exp(tau_refrac=2.0),
                         label="exc")
    inh = sim.Population(15, sim.IF_curr_alpha(tau_refrac=2.0), label="inh")
    stim = sim.Population(3, sim.SpikeSourceArray(spike_times=[5.0, 40.2, 70.0, 101.3]),
                          label="stim")
    exc.initialize(v=sim.RandomDistribution("uniform", low=-65.0, high=-55.0, rng=rng))
    sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=0.004, delay=0.5), label="noise->exc")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=15.0, tau_minus=25.0, A_plus=0.01,
                                            A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.02),
        weight=0.0101 if variant == "weight" else 0.01, delay=1.5)
    plastic = sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, rng=rng), stdp,
                             label="stdp")
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.3, delay=1.0), label="exc->inh")
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.02, delay=2.3), receptor_type="inhibitory",
                   label="inh->exc")
    sim.Projection(stim, inh, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=0.7),
                   label="stim->inh")
    dc = sim.DCSource(amplitude=0.4, start=20.0, stop=120.0)
    dc.inject_into(inh)
    dc.record()
    exc.record(["spikes", "v"])
    inh.record("spikes")
    inh[0:5].record("v", sampling_interval=0.3)      # a view, sampled every 3 steps
    stim.record("spikes")
    sim.run(12.3)          # an earlier segment, kept in the recorders' cache
    sim.reset()
    return [exc, inh, stim], dc, plastic


def save_data(pops, dc, plastic, out):
    arrays = {}
    for p in pops:
        block = p.get_data()
        arrays[f"{p.label}_segments"] = np.array(len(block.segments))
        for s, seg in enumerate(block.segments):
            for k, st in enumerate(seg.spiketrains):
                arrays[f"{p.label}_{s}_spikes_{k}"] = np.asarray(st.magnitude)
            for sig in seg.analogsignals:
                arrays[f"{p.label}_{s}_{sig.name}"] = np.asarray(sig.magnitude)
    t, i = dc._get_data()
    arrays["dc_t"], arrays["dc_i"] = t, i
    arrays["t"] = np.array(sim.get_current_time())
    arrays["stdp_weights"] = np.asarray(plastic.get("weight", format="list", with_address=False))
    np.savez(out, **arrays)


if __name__ == "__main__":
    mode, path, out = sys.argv[1:4]
    variant = sys.argv[4] if len(sys.argv) > 4 else ""
    pops, dc, plastic = build(variant)
    if mode == "first":
        sim.run(A)
        sim.checkpoint(path)
    elif mode == "second":
        sim.restore(path)
        sim.run(B)
        save_data(pops, dc, plastic, out)
    else:
        sim.run(A + B)
        save_data(pops, dc, plastic, out)
    sim.end()
