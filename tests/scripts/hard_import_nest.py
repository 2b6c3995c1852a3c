"""A PyNN script hard-wired to NEST (``import pyNN.nest as sim``), as many published scripts are.

Usage: ``python hard_import_nest.py OUTPUT.pkl [EXIT_STATUS]``.  One IF_curr_exp cell under a
DC current and one under fixed input spikes; writes their Neo block, prints the module it ran
on and whether NEST itself was imported, then exits with EXIT_STATUS (default 0).
"""
import sys

import pyNN.nest as sim

sim.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid")
cells = sim.Population(2, sim.IF_curr_exp(tau_refrac=2.0), label="cells")
cells[0:1].inject(sim.DCSource(amplitude=1.0, start=10.0, stop=180.0))
inputs = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0, 21.0, 22.0, 23.0, 24.0,
                                                             120.0, 121.0, 122.0, 123.0]))
sim.Projection(inputs, cells[1:2], sim.AllToAllConnector(),
               sim.StaticSynapse(weight=3.0, delay=1.0))
cells.record(["spikes", "v"])
sim.run(200.0)
cells.write_data(sys.argv[1])
print("ran on", sim.__name__, "| NEST imported:", "nest" in sys.modules)
sim.end()
sys.exit(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
