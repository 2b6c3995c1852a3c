"""Multi-compartment cells (PyNN's ``MultiCompartmentNeuron``) under DC, for comparison
against pyNN.neuron (issue 16, item 5).

Four cells of PyNN scenario5's type -- a soma 18.8 x 18.8 um with Hodgkin-Huxley channels
(NEURON's hh.mod) and a passive 500 x 2 um dendrite, Ra 500 ohm cm, cm 1 uF/cm2 -- take DC
steps of 0.05-0.2 nA, cells 0-2 at the soma and cell 3 at the dendrite, from 20 ms to 20 ms
before the end (``--duration``, default 1000 ms; dt 0.025 ms).  Spikes and v at the soma and
the dendrite are recorded.

The script selects NEURON with a hard ``import pyNN.neuron as sim``: ``pynn-cbgtc-jax compare
--against neuron`` runs it unchanged on pynn_cbgtc_jax by standing in for ``pyNN.neuron``.  On
NEURON it switches off hh.mod's rate tables (``usetable_hh = 0``, exact rates, as this
backend computes them), so the comparison is exact; ``--tables`` keeps NEURON's default.

    pynn-cbgtc-jax compare --against neuron -o cmp/ validation/scripts/ball_and_stick.py
"""
import argparse

import pyNN.neuron as sim
from neuroml import Morphology, Segment, Point3DWithDiam as P
from pyNN.morphology import NeuroMLMorphology
from pyNN.parameters import IonicSpecies

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--tables", action="store_true", help="keep NEURON's hh rate tables")
ap.add_argument("--duration", type=float, default=1000.0)
args = ap.parse_args()

sim.setup(timestep=0.025)
if sim.__name__ == "pyNN.neuron" and not args.tables:     # the real pyNN.neuron
    from neuron import h
    h.usetable_hh = 0
soma = Segment(proximal=P(x=18.8, y=0, z=0, diameter=18.8),
               distal=P(x=0, y=0, z=0, diameter=18.8), name="soma", id=0)
dend = Segment(proximal=P(x=0, y=0, z=0, diameter=2), distal=P(x=-500, y=0, z=0, diameter=2),
               name="dendrite", parent=soma, id=1)
cell_class = sim.MultiCompartmentNeuron
cell_class.label = "BallAndStick"
cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel, "kdr": sim.KdrChannel}
cell_type = cell_class(
    morphology=NeuroMLMorphology(Morphology(segments=(soma, dend))), cm=1.0, Ra=500.0,
    ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                   "k": IonicSpecies("k", reversal_potential=-77.0)},
    pas={"conductance_density": sim.morphology.uniform("all", 0.0003), "e_rev": -54.3},
    na={"conductance_density": sim.morphology.uniform("soma", 0.120)},
    kdr={"conductance_density": sim.morphology.uniform("soma", 0.036)})
cells = sim.Population(4, cell_type, initial_values={"v": -65.0}, label="cells")
for i, (amp, where) in enumerate(((0.05, "soma"), (0.1, "soma"), (0.15, "soma"),
                                  (0.2, "dendrite"))):
    sim.DCSource(start=20.0, stop=args.duration - 20.0, amplitude=amp).inject_into(
        cells[i:i + 1], location=where)
cells.record("spikes")
cells.record("v", locations=["soma", "dendrite"])
sim.run(args.duration)
sim.end()
