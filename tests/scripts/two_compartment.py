"""PyNN's ``test/system/test_neuron.py::test_2_compartment`` as a script for any backend.

    python two_compartment.py SIMULATOR OUT.npz [AMPLITUDE_nA]

SIMULATOR: ``jax`` (this backend, float64) or ``neuron`` (pyNN.neuron with NEURON's exact HH
rates, ``usetable_hh = 0``).  A soma (18.8 x 18.8 um, HH + leak) with a 500 x 2 um passive
dendrite; cell 0 takes a DC step at the soma, cell 1 at the dendrite; initial v -60 / -70 mV.
Writes every recorded signal (``soma.v``, ``dendrite.v``, ``soma.na.m`` ...) and the spike
times (``spikes0``, ``spikes1``) to OUT.npz.
"""
import sys

import numpy as np

simulator, out = sys.argv[1], sys.argv[2]
amplitude = float(sys.argv[3]) if len(sys.argv) > 3 else 0.15
if simulator == "neuron":
    from pynn_cbgtc_jax.compare.neuron_mechanisms import ensure_mechanisms
    ensure_mechanisms()
    import pyNN.neuron as sim
else:
    import pynn_cbgtc_jax as sim
from neuroml import Morphology, Segment, Point3DWithDiam as P      # noqa: E402
from pyNN.morphology import NeuroMLMorphology                      # noqa: E402
from pyNN.parameters import IonicSpecies                           # noqa: E402

sim.setup(timestep=0.025, **({"precision": "float64"} if simulator == "jax" else {}))
if simulator == "neuron":
    from neuron import h
    h.usetable_hh = 0
soma = Segment(proximal=P(x=0, y=0, z=0, diameter=18.8), distal=P(x=18.8, y=0, z=0, diameter=18.8),
               name="soma", id=0)
dend = Segment(proximal=P(x=0, y=0, z=0, diameter=2), distal=P(x=-500, y=0, z=0, diameter=2),
               name="dendrite", parent=soma, id=1)
cell_class = sim.MultiCompartmentNeuron
cell_class.label = "ExampleMultiCompartmentNeuron"
cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel, "kdr": sim.KdrChannel}
cell_type = cell_class(
    morphology=NeuroMLMorphology(Morphology(segments=(soma, dend))), cm=1.01, Ra=500.0,
    ionic_species={"na": IonicSpecies("na", reversal_potential=50.1),
                   "k": IonicSpecies("k", reversal_potential=-77.7)},
    pas={"conductance_density": sim.morphology.uniform("all", 0.00033), "e_rev": -54.32},
    na={"conductance_density": sim.morphology.uniform("soma", 0.121)},
    kdr={"conductance_density": sim.morphology.uniform("soma", 0.0363)})
cells = sim.Population(2, cell_type, initial_values={"v": [-60.0, -70.0]})
step_current = sim.DCSource(amplitude=amplitude, start=50.0, stop=150.0)
step_current.inject_into(cells[0:1], location="soma")
step_current.inject_into(cells[1:2], location="dendrite")
cells.record("spikes")
cells.record(["na.m", "na.h", "kdr.n"], locations="soma")
cells.record("v", locations=["soma", "dendrite"])
sim.run(200.0)
data = cells.get_data().segments[0]
np.savez(out, **{sig.name: np.asarray(sig.magnitude) for sig in data.analogsignals},
         **{f"spikes{i}": np.asarray(st) for i, st in enumerate(data.spiketrains)})
sim.end()
