"""Antidromic activation of cortical axon collaterals by an extracellular DBS electrode.

One of the main hypotheses of how subthalamic DBS works is that the field excites the axons of
cortical pyramidal cells that pass near the electrode (the hyperdirect pathway's collaterals);
the spikes travel back to the cortical somata (antidromically).  This PyNN script builds that
situation with this backend's multi-compartment API (issue 16):

* ``N`` pyramidal cells in a row along z, 60 um apart (``Population.positions``): a soma (20 um), a
  passive apical dendrite (400 x 3 um), a main axon (1 mm x 1 um, down) and a collateral that
  leaves it 200 um below the soma and runs 1 mm sideways; Hodgkin-Huxley channels (hh.mod) in
  the soma and both axons;
* a monopolar electrode (``sim.ExtracellularElectrode``) 100 um below the first cell's
  collateral, 800 um from its soma: cathodic 60 us pulses at 130 Hz, sigma 0.27 S/m (Fleming et
  al. 2020), from 5 ms; the other cells' collaterals pass further away.

Cells whose collateral passes within ~150 um of the electrode (at 1 mA) fire antidromic
spikes that reach the soma; the others stay silent.  With hh.mod's squid kinetics (6.3 degC)
a spike lasts ~2 ms and the axon follows every other pulse at 130 Hz (0.5 spikes per pulse);
mammalian channels (Fleming et al.'s cortical cell, issue 17) follow faster.  Prints the
spikes per cell against the distance from the electrode to the collateral, writes
``output/antidromic_dbs.png`` (soma voltage of a near and a far cell, and spikes per pulse
against distance), then one JSON line of figures.

    python examples/antidromic_dbs.py [--cells 12] [--amplitude-ua 1000] [--duration 60]
"""
import argparse
import json
import os
import time

import numpy as np
from neuroml import Morphology, Segment, Point3DWithDiam as P
from pyNN.morphology import NeuroMLMorphology
from pyNN.parameters import IonicSpecies

import pynn_cbgtc_jax as sim

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--cells", type=int, default=12)
ap.add_argument("--amplitude-ua", type=float, default=1000.0, help="cathodic pulse, uA")
ap.add_argument("--duration", type=float, default=60.0, help="ms")
ap.add_argument("--no-figure", action="store_true")
args = ap.parse_args()


def pyramidal_morphology():
    """Soma at the origin, apical dendrite up (+y), axon down (-y), collateral along +x."""
    soma = Segment(proximal=P(x=0, y=-10, z=0, diameter=20), distal=P(x=0, y=10, z=0,
                                                                         diameter=20),
                   name="soma", id=0)
    apical = Segment(proximal=P(x=0, y=10, z=0, diameter=3), distal=P(x=0, y=410, z=0,
                                                                       diameter=3),
                     name="apical_dendrite", parent=soma, id=1)
    # the axon leaves the soma's x = 1 end (the top, y = 10 um) in NEURON's convention; its
    # geometry below only places its nodes in the field
    ais = Segment(proximal=P(x=0, y=-10, z=0, diameter=1), distal=P(x=0, y=-210, z=0,
                                                                     diameter=1),
                  name="axon_initial", parent=soma, id=2)
    axon = Segment(proximal=P(x=0, y=-210, z=0, diameter=1), distal=P(x=0, y=-1010, z=0,
                                                                       diameter=1),
                   name="axon_main", parent=ais, id=3)
    collateral = Segment(proximal=P(x=0, y=-210, z=0, diameter=1),
                         distal=P(x=1000, y=-210, z=0, diameter=1),
                         name="axon_collateral", parent=ais, id=4)
    return NeuroMLMorphology(Morphology(segments=(soma, apical, ais, axon, collateral)))


def main():
    m = sim.morphology
    sim.setup(timestep=0.01)            # 60 us pulses need a step that divides them
    cell_class = sim.MultiCompartmentNeuron
    cell_class.label = "PyramidalCell"
    cell_class.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel,
                               "kdr": sim.KdrChannel}
    cell_class.post_synaptic_entities = {}
    excitable = m.with_label("soma", "axon_initial", "axon_main", "axon_collateral")
    cell_type = cell_class(
        morphology=pyramidal_morphology(), cm=1.0, Ra=150.0,
        ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                       "k": IonicSpecies("k", reversal_potential=-77.0)},
        pas={"conductance_density": m.uniform("all", 0.0001), "e_rev": -65.0},
        na={"conductance_density": m.uniform(excitable, 0.12)},
        kdr={"conductance_density": m.uniform(excitable, 0.036)})
    cells = sim.Population(args.cells, cell_type, initial_values={"v": -65.0},
                           label="pyramidal")
    z = 60.0 * np.arange(args.cells)
    cells.positions = np.vstack([np.zeros_like(z), np.zeros_like(z), z])
    electrode_at = np.array([800.0, -310.0, 0.0])    # 100 um below the first collateral
    electrode = sim.ExtracellularElectrode(
        position=electrode_at, sigma=0.27, amplitude=-args.amplitude_ua * 1e3,   # uA -> nA
        frequency=130.0, pulse_width=0.06, start=5.0)
    electrode.inject_into(cells)
    cells.record("spikes")
    cells.record("v", locations=["soma", "axon_collateral"])
    t0 = time.perf_counter()
    sim.run(args.duration)
    wall = time.perf_counter() - t0
    seg = cells.get_data().segments[0]
    n_pulses = int(np.ceil((args.duration - 5.0) / electrode.delivered_frequency ** -1 / 1000))
    spikes = np.array([len(st) for st in seg.spiketrains])
    # distance from the electrode to each cell's collateral (a line at y = -210, z = z_i)
    distance = np.hypot(-210.0 - electrode_at[1], z - electrode_at[2])
    print(f"{args.cells} pyramidal cells, electrode {args.amplitude_ua:g} uA cathodic, 60 us at "
          f"{electrode.delivered_frequency:.2f} Hz: {n_pulses} pulses in {args.duration:g} ms "
          f"(wall {wall:.1f} s)")
    print(" cell  distance um  somatic spikes  per pulse")
    for i in range(args.cells):
        print(f"{i:5d}  {distance[i]:11.0f}  {spikes[i]:14d}  {spikes[i] / n_pulses:9.2f}")
    if not args.no_figure:
        figure(seg, distance, spikes / n_pulses)
    print(json.dumps({"example": "antidromic_dbs", "cells": args.cells,
                      "amplitude_ua": args.amplitude_ua, "pulses": n_pulses,
                      "spikes_per_pulse": (spikes / n_pulses).round(3).tolist(),
                      "distance_um": distance.round(1).tolist(), "wall_s": round(wall, 2),
                      "sim_ms": args.duration}))
    sim.end()


def figure(seg, distance, per_pulse):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    soma = seg.filter(name="soma.v")[0]
    t = soma.times.rescale("ms").magnitude
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.8))
    near, far = int(np.argmin(distance)), int(np.argmax(distance))
    a.plot(t, soma.magnitude[:, near], label=f"cell {near}, {distance[near]:.0f} um")
    a.plot(t, soma.magnitude[:, far], label=f"cell {far}, {distance[far]:.0f} um")
    a.set(xlabel="time (ms)", ylabel="soma v (mV)", title="antidromic spikes")
    a.legend(fontsize=8)
    b.plot(distance, per_pulse, "o-")
    b.set(xlabel="electrode to collateral (um)", ylabel="somatic spikes per pulse",
          title="activation against distance")
    fig.tight_layout()
    os.makedirs("output", exist_ok=True)
    path = os.path.join("output", "antidromic_dbs.png")
    fig.savefig(path + ".tmp.png", dpi=110)
    os.replace(path + ".tmp.png", path)         # written whole or not at all
    print("wrote", path)


if __name__ == "__main__":
    main()
