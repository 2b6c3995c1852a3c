"""Cortex_Pospischil2008 (cbgtc/fleming_cortex.py): Fleming et al. 2020's pyramidal cell as a
multi-compartment cell, against the same cell in NEURON 9.0.2 built from the authors' .mod
files (validation/fleming2020/neuron_cortex.py), and its response to DBS through the field
on its collateral."""
from __future__ import annotations

import numpy as np

#: spikes per second (collateral, +10 mV) of the isolated cell with its 0.245 nA bias, 0-3 s,
#: dt 0.01 ms: `python validation/fleming2020/neuron_cortex.py MODS` (NEURON 9.0.2)
NEURON_COUNTS = (91, 78, 69)


def test_isolated_cell_fires_as_in_neuron(cbgtc):
    """Reference: NEURON's counts above.  The M current (tau up to 1 s) slows the cell over
    seconds, so three one-second counts check its kinetics too.  Measured ours: 87, 78, 70
    (the first second is the start's transient: NEURON's soma gates start at 0, ours at their
    steady state; segments follow d_lambda, Fleming's nseg are fixed).  Tolerance 8 % per
    second, where a wrong channel density or cm moves the counts by tens of percent."""
    sim = cbgtc
    sim.setup(timestep=0.01)
    cell = sim.Population(1, sim.Cortex_Pospischil2008())
    sim.DCSource(amplitude=0.245).inject_into(cell, location="soma")
    cell.record("spikes")
    sim.run(3000.0)
    spikes = np.asarray(cell.get_data().segments[0].spiketrains[0])
    counts = [int(np.sum((spikes >= a) & (spikes < a + 1000))) for a in (0, 1000, 2000)]
    for ours, neuron in zip(counts, NEURON_COUNTS):
        assert abs(ours - neuron) <= 0.08 * neuron, (counts, NEURON_COUNTS)


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
