"""A PyNN script that picks its simulator with ``pyNN.utility.get_simulator`` (first argument).

Usage: ``python get_simulator_script.py SIMULATOR OUTPUT.pkl``.  Writes the Neo block of a
population of three IF_curr_exp cells and prints the module it ran on.
"""
from pyNN.utility import get_simulator

sim, options = get_simulator(("output", "pickle file for the Neo block"))
sim.setup(timestep=0.1, min_delay=0.1)
cells = sim.Population(3, sim.IF_curr_exp(i_offset=1.0, tau_refrac=2.0), label="cells")
cells.record(["spikes", "v"])
sim.run(100.0)
cells.write_data(options.output)
print("ran on", sim.__name__)
sim.end()
