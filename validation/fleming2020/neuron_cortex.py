"""NEURON reference for ``sim.Cortex_Pospischil2008``: Fleming et al. 2020's pyramidal cell
built in plain NEURON from the authors' .mod files, isolated, with its 0.245 nA bias; spikes at
the middle of the collateral (+10 mV), counted per second over 3 s at dt 0.01 ms.

    python validation/fleming2020/neuron_cortex.py MODS_DIR
    python validation/fleming2020/neuron_cortex.py MODS_DIR --dbs X Y
    python validation/fleming2020/neuron_cortex.py MODS_DIR --nseg 1,5,29 [--seconds 9]

``MODS_DIR``: the directory where ``nrnivmodl`` compiled the .mod files of
github.com/John-E-Fleming/Parkinsons_Cortical_Basal_Ganglia_Network_Model (it holds
``x86_64/libnrnmech.so``).  Measured (NEURON 9.0.2, 2026-12-04): 91, 78, 69 spikes in the
three seconds; ``tests/cbgtc/test_fleming_cortex.py`` compares ours with these numbers.
The geometry and densities are those of ``docs/design/fleming2020.md`` section 1.4 (Fleming's
``Cortical_Neuron`` class), without its noise sources.  ``--nseg AIS,MYELIN,COLLATERAL``:
other segment numbers than Fleming's 5, 11, 11 (``1,5,29``: what NEURON's d_lambda rule
gives, as ``Cortex_Pospischil2008`` by default): 92, 82, 73; over ``--seconds 9``: 92, 82,
73, 68, 65, 64, 62, 62, 62 (the M current's slow adaptation from gates that start at 0).

``--dbs X Y``: the cell's collateral at (X, Y) um (from z = -250 to +250 um), NEURON's
``extracellular`` mechanism in the collateral only (as Fleming's), its potential that of a
point source at (0, 0, 250) um in a medium of 0.27 S/m: cathodic 2.5 mA pulses of 60 us at
130 Hz from 500 ms (played into ``e_extracellular``); 1.5 s, spikes counted before and after
500 ms at the collateral (+10 mV), node[5] (-10 mV, Fleming's cortex -> interneuron source)
and the soma (+10 mV).  Measured (NEURON 9.0.2, 2026-12-04, X = Y = 800): see
``tests/cbgtc/test_fleming_cortex.py``.
"""
import sys

import numpy as np
from neuron import h


def section(name, L, diam, nseg, cm, mechanisms, parent=None):
    s = h.Section(name=name)
    s.L, s.diam, s.nseg, s.Ra, s.cm = L, diam, nseg, 150.0, cm
    for mech, values in mechanisms:
        s.insert(mech)
        for seg in s:
            for key, value in values.items():
                setattr(getattr(seg, mech), key, value)
    if parent is not None:
        s.connect(parent(1), 0)
    return s


def _field(collateral, x, y, start=500.0, stop=1500.0):
    """Fleming's DBS field on the collateral's segments (``--dbs``); the vectors to keep."""
    collateral.insert("extracellular")
    pulses = start + np.arange(0.0, stop - start, 1000.0 / 130.0)
    times = np.repeat(pulses, 2) + np.tile([0.0, 0.06], pulses.size)
    keep = [h.Vector(np.concatenate([[0.0], times]))]
    for seg in collateral:
        z = -250.0 + seg.x * 500.0
        r = np.sqrt(x ** 2 + y ** 2 + (z - 250.0) ** 2) * 1e-6           # m
        phi = -2.5e-3 / (4 * np.pi * 0.27 * r) * 1e3                     # mV
        values = h.Vector(np.concatenate([[0.0], np.tile([phi, 0.0], pulses.size)]))
        values.play(seg._ref_e_extracellular, keep[0])
        keep.append(values)
    return keep


def main(mods, dbs=None, nseg=(5, 11, 11), seconds=3):
    h.nrn_load_dll(f"{mods}/x86_64/libnrnmech.so")
    h.load_file("stdrun.hoc")
    axon = "cortical_axon_i_"
    soma = section("soma", 35, 25, 1, 1, [("cortical_soma_i_leak", {}),
                                          ("cortical_soma_i_na", {}), ("cortical_soma_i_k", {}),
                                          ("cortical_soma_i_m", {})])
    parent = section("ais", 20, 1.2, nseg[0], 0.8, [(axon + "leak", dict(g_l=3.3e-5)),
                                              (axon + "na", dict(g_Na=0.4)),
                                              (axon + "kv", dict(g_Kv=2e-3)),
                                              (axon + "kd", dict(g_Kd=0.015))], soma)
    keep = [parent]
    for k in range(10):
        myelin = section(f"myelin{k}", 500, 1.4, nseg[1], 0.04, [(axon + "leak", dict(g_l=0.0)),
                                                            (axon + "na", dict(g_Na=1e-3))],
                         parent)
        parent = section(f"node{k}", 2, 1.2, 1, 0.8, [(axon + "leak", dict(g_l=0.02)),
                                                      (axon + "na", dict(g_Na=0.28)),
                                                      (axon + "kv", dict(g_Kv=5e-4)),
                                                      (axon + "kd", dict(g_Kd=0.0072))], myelin)
        keep += [myelin, parent]
    collateral = section("collateral", 500, 0.5, nseg[2], 0.8, [(axon + "leak", {}),
                                                           (axon + "na", dict(g_Na=0.1333333)),
                                                           (axon + "kv", dict(g_Kv=1e-3)),
                                                           (axon + "kd", dict(g_Kd=0.006))],
                         parent)
    bias = h.IClamp(soma(0.5))
    bias.delay, bias.dur, bias.amp = 0, 1e12, 0.245
    node5 = keep[2 * 5 + 2]
    places = [(collateral, 10.0), (node5, -10.0), (soma, 10.0)]
    recorded = []
    for sec, threshold in places:
        detector = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
        detector.threshold = threshold
        recorded.append((detector, h.Vector()))
        detector.record(recorded[-1][1])
    field = _field(collateral, *dbs) if dbs else None
    h.dt = 0.01
    h.finitialize(-68.0)
    if dbs:
        h.continuerun(1500.0)
        for name, (_, times) in zip(("collateral", "node[5]", "soma"), recorded):
            spikes = np.array(times)
            print(name, int(np.sum(spikes < 500.0)), int(np.sum(spikes >= 500.0)))
        del field
        return
    h.continuerun(1000.0 * seconds)
    spikes = np.array(recorded[0][1])
    print([int(np.sum((spikes >= a) & (spikes < a + 1000))) for a in range(0, 1000 * seconds,
                                                                           1000)])


if __name__ == "__main__":
    args = sys.argv[1:]
    dbs = (tuple(float(v) for v in args[args.index("--dbs") + 1:][:2]) if "--dbs" in args
           else None)
    nseg = (tuple(int(v) for v in args[args.index("--nseg") + 1].split(","))
            if "--nseg" in args else (5, 11, 11))
    seconds = int(args[args.index("--seconds") + 1]) if "--seconds" in args else 3
    main(args[0], dbs, nseg, seconds)
