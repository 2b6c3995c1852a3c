"""A Projection onto an Assembly whose cell types order their receptors differently delivers to
the named receptor of every population (reference: the receptor each population's own
``receptor_types`` names; PyNN's ``Assembly.receptor_types`` is built from a set, so its order
changes between processes and must not be used as an index)."""
from __future__ import annotations

import numpy as np
import pytest

import pynn_cbgtc_jax as sim

pytestmark = pytest.mark.unit


def test_assembly_projection_reaches_each_populations_own_receptor():
    sim.setup(timestep=0.1)
    plain = sim.Population(2, sim.IF_cond_exp())                 # (excitatory, inhibitory)
    multi = sim.Population(2, sim.PointNeuron(                  # (AMPA, excitatory): sorted
        sim.LIF(), AMPA=sim.CondExpPostSynapticResponse(),
        excitatory=sim.CondExpPostSynapticResponse()))
    assert list(multi.celltype.receptor_types).index("excitatory") == 1
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0]))
    sim.Projection(src, plain + multi, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.01, delay=1.0), receptor_type="excitatory")
    plain.record("gsyn_exc")
    multi.record(["excitatory.gsyn", "AMPA.gsyn"])
    sim.run(10.0)
    peak = {}
    for pop in (plain, multi):
        for sig in pop.get_data().segments[0].analogsignals:
            peak[sig.name] = float(np.max(sig.magnitude))
    sim.end()
    assert peak["gsyn_exc"] == pytest.approx(0.01)
    assert peak["excitatory.gsyn"] == pytest.approx(0.01)
    assert peak["AMPA.gsyn"] == 0.0
