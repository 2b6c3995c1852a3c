"""A multi-compartment STN cell under extracellular DBS (issue 16, item 4).

Each cell has a soma with the Rubin & Terman 2004 STN channels and Gillies & Willshaw's I_h
(``sim.STNChannelsRT2004``, the channels of ``sim.STN_RT2004`` as a density mechanism), two
passive dendrites (300 x 1.5 um) and a myelin-free axon (800 x 1 um, hh.mod channels).  On its
own the cell is the published pacemaker (~2.7 Hz) with a rebound burst after inhibition
(``tests/test_multicompartment.py``).  Here ``N`` cells lie at increasing distances from a
monopolar electrode (``sim.ExtracellularElectrode``, sigma 0.27 S/m) placed beside the axons,
which delivers cathodic 60 us pulses at 130 Hz from the middle of the run.  Axons close
enough fire on every pulse (130 Hz), but their spikes do not invade the large soma, which keeps
its own slow rhythm: the cell's output is driven by DBS while its soma is not -- the axon-soma
decoupling that McIntyre et al. 2004 (J Neurophysiol 91:1457) described in models of STN DBS.
Distant axons stay silent.  The axon's hh.mod kinetics are the squid's at 6.3 degC (slower
than mammalian axons; issue 17 brings the Fleming et al. 2020 channels).

Prints, per cell, the distance to the electrode, the axon's firing rate during DBS (upward
crossings of 0 mV in its middle) and the somatic rate before and during DBS; writes
``output/stn_multicompartment_dbs.png`` and one JSON line.

    python examples/stn_multicompartment_dbs.py [--cells 6] [--amplitude-ua 2000]
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
ap.add_argument("--cells", type=int, default=6)
ap.add_argument("--amplitude-ua", type=float, default=2000.0, help="cathodic pulse, uA")
ap.add_argument("--duration", type=float, default=1000.0, help="ms; DBS from half of it")
ap.add_argument("--no-figure", action="store_true")
args = ap.parse_args()


def stn_morphology():
    """Soma (10 000 um2, the point STN cell's area) along x, dendrites up, axon down (-y)."""
    d = np.sqrt(10000.0 / np.pi)
    soma = Segment(proximal=P(x=-d / 2, y=0, z=0, diameter=d),
                   distal=P(x=d / 2, y=0, z=0, diameter=d), name="soma", id=0)
    dend1 = Segment(proximal=P(x=d / 2, y=0, z=0, diameter=1.5),
                    distal=P(x=d / 2 + 200, y=220, z=0, diameter=1.5),
                    name="dendrite1", parent=soma, id=1)
    dend2 = Segment(proximal=P(x=d / 2, y=0, z=0, diameter=1.5),
                    distal=P(x=d / 2 - 200, y=220, z=0, diameter=1.5),
                    name="dendrite2", parent=soma, id=2)
    axon = Segment(proximal=P(x=d / 2, y=0, z=0, diameter=1.0),
                   distal=P(x=d / 2, y=-800, z=0, diameter=1.0), name="axon", parent=soma,
                   id=3)
    return NeuroMLMorphology(Morphology(segments=(soma, dend1, dend2, axon)))


def main():
    m = sim.morphology
    sim.setup(timestep=0.01)
    cell_class = sim.MultiCompartmentNeuron
    cell_class.label = "STN_multicompartment"
    cell_class.ion_channels = {"stn": sim.STNChannelsRT2004, "pas": sim.PassiveLeak,
                               "na": sim.NaChannel, "kdr": sim.KdrChannel,
                               "axleak": sim.PassiveLeakHH}
    cell_class.post_synaptic_entities = {}
    cell_type = cell_class(
        morphology=stn_morphology(), cm=1.0, Ra=150.0,
        ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                       "k": IonicSpecies("k", reversal_potential=-77.0)},
        stn={"conductance_density": m.uniform("soma", 1.0)},
        pas={"conductance_density": m.uniform(m.dendrites(), 1e-4), "e_rev": -60.0},
        na={"conductance_density": m.uniform("axon", 0.12)},
        kdr={"conductance_density": m.uniform("axon", 0.036)},
        axleak={"conductance_density": m.uniform("axon", 3e-4), "e_rev": -60.0})
    cells = sim.Population(args.cells, cell_type, initial_values={"v": -60.0}, label="stn")
    z = 80.0 * np.arange(args.cells)              # cells one behind the other, 80 um apart
    cells.positions = np.vstack([np.zeros_like(z), np.zeros_like(z), z])
    electrode_at = np.array([100.0, -500.0, 0.0])   # 100 um beside the first axon
    start = args.duration / 2
    electrode = sim.ExtracellularElectrode(
        position=electrode_at, sigma=0.27, amplitude=-args.amplitude_ua * 1e3,
        frequency=130.0, pulse_width=0.06, start=start)
    electrode.inject_into(cells)
    cells.record("spikes")
    cells.record("v", locations=["soma", m.at_distances("axon", [0.5])])
    t0 = time.perf_counter()
    sim.run(args.duration)
    wall = time.perf_counter() - t0
    seg = cells.get_data().segments[0]
    distance = np.hypot(100.0, z)                # electrode to each axon (a line along y)
    window = (args.duration - start - 50.0) / 1000.0          # s, after a 50 ms transient
    before, during = [], []
    for st in seg.spiketrains:
        t = np.asarray(st)
        before.append(np.sum(t < start) / (start / 1000.0))
        during.append(np.sum(t >= start + 50.0) / window)
    axon = np.asarray(seg.filter(name="axon-d-0.5.v")[0])
    late = axon[int(round((start + 50.0) / 0.01)):]
    axon_rate = ((late[:-1] < 0.0) & (late[1:] >= 0.0)).sum(axis=0) / window
    print(f"{args.cells} multi-compartment STN cells, electrode {args.amplitude_ua:g} uA "
          f"cathodic, 60 us at {electrode.delivered_frequency:.2f} Hz from {start:g} ms "
          f"(wall {wall:.1f} s for {args.duration:g} ms)")
    print(" cell  distance um  axon during DBS (Hz)  soma before (Hz)  soma during DBS (Hz)")
    for i in range(args.cells):
        print(f"{i:5d}  {distance[i]:11.0f}  {axon_rate[i]:20.1f}  {before[i]:16.1f}  "
              f"{during[i]:20.1f}")
    if not args.no_figure:
        figure(seg, distance, start)
    print(json.dumps({"example": "stn_multicompartment_dbs", "cells": args.cells,
                      "amplitude_ua": args.amplitude_ua, "distance_um": distance.tolist(),
                      "axon_rate_during_hz": np.round(axon_rate, 2).tolist(),
                      "rate_before_hz": np.round(before, 2).tolist(),
                      "rate_during_hz": np.round(during, 2).tolist(),
                      "wall_s": round(wall, 2), "sim_ms": args.duration}))
    sim.end()


def figure(seg, distance, start):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    soma = seg.filter(name="soma.v")[0]
    axon = seg.filter(name="axon-d-0.5.v")[0]
    t = soma.times.rescale("ms").magnitude
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for ax, i in zip(axes, (0, len(distance) - 1)):
        ax.plot(t, axon.magnitude[:, i], lw=0.5, color="0.6", label="axon (middle)")
        ax.plot(t, soma.magnitude[:, i], lw=0.8, label="soma")
        ax.axvline(start, color="k", ls=":", lw=0.8)
        ax.set(ylabel="v (mV)", title=f"cell {i}: axon {distance[i]:.0f} um from the "
               f"electrode")
        ax.legend(fontsize=8, loc="upper left")
    axes[-1].set_xlabel("time (ms); DBS from the dotted line")
    fig.tight_layout()
    os.makedirs("output", exist_ok=True)
    path = os.path.join("output", "stn_multicompartment_dbs.png")
    fig.savefig(path + ".tmp.png", dpi=110)
    os.replace(path + ".tmp.png", path)
    print("wrote", path)


if __name__ == "__main__":
    main()
