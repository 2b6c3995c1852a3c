"""Multi-compartment cells through PyNN's API: this backend against pyNN.neuron, same script.

Each cell is scenario5's (a soma 18.8 x 18.8 um with HH, a passive 500 x 2 um dendrite: 33
nodes), with a DC step at the soma drawn per cell so the population fires at different rates;
dt 0.025 ms.  Times ``sim.run()`` only (after a 5 ms warm-up run that builds and compiles),
in a fresh process per simulator and size; prints a table and JSON lines.

    python validation/benchmarks/bench_mc_pynn.py [--cells 10,100,1000] [--duration 200]
"""
import argparse
import json
import os
import subprocess
import sys
import time

CHILD = r'''
import sys, time, json
import numpy as np
simulator, n, duration = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if simulator == "neuron":
    from pynn_cbgtc_jax.compare.neuron_mechanisms import ensure_mechanisms
    ensure_mechanisms()
    import pyNN.neuron as sim
else:
    import pynn_cbgtc_jax as sim
from neuroml import Morphology, Segment, Point3DWithDiam as P
from pyNN.morphology import NeuroMLMorphology
from pyNN.parameters import IonicSpecies
sim.setup(timestep=0.025)
soma = Segment(proximal=P(x=18.8, y=0, z=0, diameter=18.8), distal=P(x=0, y=0, z=0, diameter=18.8),
               name="soma", id=0)
dend = Segment(proximal=P(x=0, y=0, z=0, diameter=2), distal=P(x=-500, y=0, z=0, diameter=2),
               name="dendrite", parent=soma, id=1)
cc = sim.MultiCompartmentNeuron
cc.ion_channels = {"pas": sim.PassiveLeak, "na": sim.NaChannel, "kdr": sim.KdrChannel}
ct = cc(morphology=NeuroMLMorphology(Morphology(segments=(soma, dend))), cm=1.0, Ra=500.0,
        ionic_species={"na": IonicSpecies("na", reversal_potential=50.0),
                       "k": IonicSpecies("k", reversal_potential=-77.0)},
        pas={"conductance_density": sim.morphology.uniform("all", 0.0003), "e_rev": -54.3},
        na={"conductance_density": sim.morphology.uniform("soma", 0.120)},
        kdr={"conductance_density": sim.morphology.uniform("soma", 0.036)})
cells = sim.Population(n, ct, initial_values={"v": -65.0})
amps = np.random.default_rng(1).uniform(0.05, 0.2, n)
for i in range(n):
    sim.DCSource(start=0.0, stop=1e9, amplitude=float(amps[i])).inject_into(cells[i:i + 1],
                                                                          location="soma")
cells.record("spikes")
t0 = time.perf_counter(); sim.run(5.0); first = time.perf_counter() - t0
t0 = time.perf_counter(); sim.run(duration); wall = time.perf_counter() - t0
n_spikes = sum(len(st) for st in cells.get_data().segments[0].spiketrains)
print(json.dumps({"simulator": simulator, "cells": n, "nodes": 33, "duration_ms": duration,
                  "first_run_s": round(first, 3), "run_s": round(wall, 4),
                  "spikes": int(n_spikes)}))
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="10,100,1000")
    ap.add_argument("--duration", type=float, default=200.0)
    ap.add_argument("--simulators", default="jax,neuron")
    args = ap.parse_args()
    rows = []
    for n in [int(c) for c in args.cells.split(",")]:
        for simulator in args.simulators.split(","):
            out = subprocess.run([sys.executable, "-c", CHILD, simulator, str(n),
                                  str(args.duration)], capture_output=True, text=True,
                                 timeout=3600, env=dict(os.environ, PYNEST_QUIET="1"))
            if out.returncode:
                print(out.stderr[-2000:], file=sys.stderr)
                continue
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\n{args.duration:g} ms at dt 0.025, scenario5 cells (33 nodes); run() wall s")
    print("| cells | ours s | NEURON s | NEURON / ours | spikes ours / NEURON |")
    print("|---:|---:|---:|---:|---|")
    by = {(r["simulator"], r["cells"]): r for r in rows}
    for n in sorted({r["cells"] for r in rows}):
        a, b = by.get(("jax", n)), by.get(("neuron", n))
        if a and b:
            print(f"| {n} | {a['run_s']:.3f} | {b['run_s']:.3f} | {b['run_s'] / a['run_s']:.2f} | "
                  f"{a['spikes']} / {b['spikes']} |")


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"(total {time.perf_counter() - t0:.0f} s)")
