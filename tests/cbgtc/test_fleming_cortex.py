"""Cortex_Pospischil2008 (cbgtc/fleming_cortex.py): Fleming et al. 2020's pyramidal cell as a
multi-compartment cell, against the same cell in NEURON 9.0.2 built from the authors' .mod
files (validation/fleming2020/neuron_cortex.py), and its response to DBS through the field
on its collateral."""
from __future__ import annotations

import numpy as np
import pytest

#: spikes per second (collateral, +10 mV) of the isolated cell with its 0.245 nA bias from
#: t = 0, dt 0.01 ms, per segmentation (ais, myelin, collateral): `python validation/
#: fleming2020/neuron_cortex.py MODS [--nseg 1,5,29] [--seconds 9]` (NEURON 9.0.2, the
#: authors' .mod files)
NEURON_COUNTS = {"d_lambda": (92, 82, 73, 68, 65, 64, 62, 62, 62), "fleming": (91, 78, 69)}


@pytest.mark.parametrize("segments", ["d_lambda", "fleming"])
def test_isolated_cell_fires_as_in_neuron(cbgtc, segments):
    """Reference: NEURON's counts above with the same segments: the d_lambda rule's (the
    cell type's default: ais 1, myelin 5, collateral 29) and Fleming's fixed nseg
    (``FLEMING_NSEG``).  The M current (tau up to 1 s) slows the cell over seconds, so the
    one-second counts check its kinetics too.  Measured ours: 87, 78, 70, 67, 64, 63, 62,
    62, 61 and 86, 73, 65: ~5 % below NEURON over the first seconds only -- NEURON's soma
    gates start at 0, ours at their steady state, so our M current adapts the cell from the
    start -- and equal once both have adapted (seconds 7-9: within one spike).  Tolerance 8 %
    per second over the first three (a wrong channel density or cm moves the counts by tens of
    percent), 2 spikes after 6 s."""
    from pynn_cbgtc_jax.cbgtc.fleming_cortex import FLEMING_NSEG
    sim = cbgtc
    sim.setup(timestep=0.01)
    cell_type = (sim.Cortex_Pospischil2008 if segments == "d_lambda" else
                 type("FlemingSegments", (sim.Cortex_Pospischil2008,), {"nseg": FLEMING_NSEG}))
    cell = sim.Population(1, cell_type())
    sim.DCSource(amplitude=0.245).inject_into(cell, location="soma")
    cell.record("spikes")
    reference = NEURON_COUNTS[segments]
    sim.run(1000.0 * len(reference))
    spikes = np.asarray(cell.get_data().segments[0].spiketrains[0])
    counts = [int(np.sum((spikes >= a) & (spikes < a + 1000)))
              for a in range(0, 1000 * len(reference), 1000)]
    for second, (ours, neuron) in enumerate(zip(counts, reference)):
        tolerance = 0.08 * neuron if second < 3 else 2
        assert abs(ours - neuron) <= tolerance, (counts, reference)


def test_dbs_field_on_the_collateral_drives_it_at_the_pulse_rate(cbgtc):
    """Reference: the limit cases of Fleming's set-up (field on the collateral only, cathodic
    2.5 mA, 130 Hz, 60 us from a point source at (0, 0, 250) um): a collateral 0.8 mm away fires
    once per pulse (130 spikes in 1 s; measured 130 at 0.8, 1.5 and 3 mm), while without the
    field the cell keeps its own rate (< 100 Hz); the somatic rate stays below the pulse rate
    (antidromic spikes collide with orthodromic ones: measured 93 Hz)."""
    sim = cbgtc
    sim.setup(timestep=0.01)
    cells = sim.Population(2, sim.Cortex_Pospischil2008())
    cells.positions = np.array([[800.0, 800.0], [0.0, 3000.0], [0.0, 0.0]])
    sim.DCSource(amplitude=0.245).inject_into(cells, location="soma")
    electrode = sim.ExtracellularElectrode(position=(0, 0, 250), amplitude=-2.5e6,
                                           frequency=130.0, pulse_width=0.06, start=500.0,
                                           sections="collateral")
    electrode.inject_into(cells[0:1])
    cells.record("spikes")
    cells.record("v", locations="soma")
    sim.run(1500.0)
    seg = cells.get_data().segments[0]
    driven, free = (np.asarray(st) for st in seg.spiketrains)
    assert abs(np.sum(driven >= 500.0) - 130) <= 2
    assert np.sum(free >= 500.0) < 100
    v = np.asarray(seg.analogsignals[0])[:, 0]
    soma_spikes = np.flatnonzero((v[:-1] < 0.0) & (v[1:] >= 0.0)) * 0.01
    assert np.sum(soma_spikes >= 500.0) < 120


#: spikes before / after the DBS onset at 500 ms of the isolated cell (0.245 nA) whose
#: collateral is at (800, 800) um under Fleming's field (cathodic 2.5 mA, 60 us, 130 Hz from
#: (0, 0, 250) um, NEURON's extracellular mechanism on the collateral), per detector:
#: `python validation/fleming2020/neuron_cortex.py MODS --dbs 800 800 --nseg 1,5,29` (NEURON
#: 9.0.2; the segments of the cell type's d_lambda rule; Fleming's nseg: 46/130, 46/130, 52/97)
NEURON_DBS_COUNTS = {"collateral": (46, 130), "middle_axon_node": (47, 129), "soma": (53, 96)}


def test_each_spike_detector_counts_as_in_neuron_under_dbs(cbgtc):
    """Fleming's three detectors (collateral +10 mV: the cell's spike source; node[5] -10 mV,
    ``source="middle_axon_node"``, his cortex -> interneuron source; soma +10 mV), read through
    projections onto point cells (each synaptic event one jump of their conductance), against
    NEURON's counts above.  The antidromic spikes of the pulses reach node[5] (130 of 130, as
    in NEURON) but only some invade the soma (NEURON 96; measured ours 93).  Tolerance: 2
    spikes where every pulse is followed, 10 % for the free-running counts (before the
    onset: our gates start at their steady state, NEURON's at 0; measured 45 and 49 against
    46 and 53)."""
    sim = cbgtc
    dt, weight = 0.01, 0.01
    sim.setup(timestep=dt)
    cells = sim.Population(1, sim.Cortex_Pospischil2008())
    cells.positions = np.array([[800.0], [800.0], [0.0]])
    sim.DCSource(amplitude=0.245).inject_into(cells, location="soma")
    sim.ExtracellularElectrode(position=(0, 0, 250), amplitude=-2.5e6, frequency=130.0,
                               pulse_width=0.06, start=500.0,
                               sections="collateral").inject_into(cells)
    readers = sim.Population(3, sim.IF_cond_exp(tau_syn_E=0.05))
    for k, source in enumerate(NEURON_DBS_COUNTS):
        sim.Projection(cells, readers[k:k + 1], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=weight, delay=0.5),
                       source=None if source == "collateral" else source)
    readers.record("gsyn_exc")
    sim.run(1500.0)
    g = np.asarray(readers.get_data().segments[0].filter(name="gsyn_exc")[0])
    for k, (source, (before, after)) in enumerate(NEURON_DBS_COUNTS.items()):
        spikes = (np.flatnonzero(np.diff(g[:, k]) > weight / 2) + 1) * dt - 0.5
        ours = int(np.sum(spikes < 500.0)), int(np.sum(spikes >= 500.0))
        assert abs(ours[0] - before) <= 0.1 * before, (source, ours)
        tolerance = 2 if after >= 129 else 0.08 * after
        assert abs(ours[1] - after) <= tolerance, (source, ours)
