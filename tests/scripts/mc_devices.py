"""Multi-compartment cells on D devices (``tests/test_multicompartment.py``): SWC cells with
random synapse places, a location_selector, an ExtracellularElectrode, a DC source at a
location, a projection between multi-compartment populations and located recordings.

    python mc_devices.py D OUT.npz
"""
import os
import sys

import numpy as np
from pyNN.parameters import IonicSpecies

import pynn_cbgtc_jax as sim

D, out_path = int(sys.argv[1]), sys.argv[2]
m = sim.morphology
SWC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                   "small_pyramidal.swc")
sim.setup(timestep=0.025, devices=D, rng_seed=7)
cell_class = sim.MultiCompartmentNeuron
cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel, "kdr": sim.KdrChannel}
cell_class.post_synaptic_entities = {"AMPA": sim.CondExpPostSynapticResponse,
                                     "GABA": sim.CondExpPostSynapticResponse}
cell = cell_class(
    morphology=m.load_morphology(SWC, use_library="morphio"), cm=1.0, Ra=150.0,
    pas={"conductance_density": m.uniform("all", 0.0003)},
    na={"conductance_density": m.uniform("soma", 0.120)},
    kdr={"conductance_density": m.uniform("soma", 0.036)},
    ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                   "k": IonicSpecies("k", reversal_potential=-77.0)},
    AMPA={"locations": m.random_placement(m.uniform("all", 0.03)), "e_syn": 0.0,
          "tau_syn": 2.0},
    GABA={"locations": m.LabelledLocations("soma"), "e_syn": -70.0, "tau_syn": 5.0})
cells = sim.Population(5, cell, initial_values={"v": -65.0}, label="cells")
cells.positions = np.array([[0, 50, 100, 150, 200], [0] * 5, [0] * 5], float)
inputs = sim.Population(50, sim.SpikeSourcePoisson(rate=100.0))
sim.Projection(inputs, cells, sim.FixedProbabilityConnector(
    0.5, location_selector=m.random_section(m.dendrites())),
    sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type="AMPA")
sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.2),
               sim.StaticSynapse(weight=0.001, delay=1.0), receptor_type="GABA")
readout = sim.Population(3, cell, label="readout")
sim.Projection(cells, readout, sim.AllToAllConnector(),
               sim.StaticSynapse(weight=0.01, delay=2.0), receptor_type="AMPA")
electrode = sim.ExtracellularElectrode(position=(100, -250, 0), amplitude=-3e5,
                                       frequency=50.0, pulse_width=0.1, start=5.0)
electrode.inject_into(cells)
sim.DCSource(start=10, stop=90, amplitude=0.05).inject_into(readout, location="soma")
for pop in (cells, readout):
    pop.record("spikes")
cells.record("v", locations=["soma", m.centre(m.apical_dendrites())])
sim.run(100.0)
out = {}
for pop in (cells, readout):
    seg = pop.get_data().segments[0]
    out.update({f"{pop.label}{i}": np.asarray(st) for i, st in enumerate(seg.spiketrains)})
    out.update({f"{pop.label}.{s.name}": np.asarray(s) for s in seg.analogsignals})
np.savez(out_path, **out)
