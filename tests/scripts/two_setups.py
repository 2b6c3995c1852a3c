"""Two simulations in one script, the same labels twice in the first, data never fetched.

Usage: ``python two_setups.py SIMULATOR``.  Exercises what ``compare``'s capture must handle:
``setup()`` called twice, two populations with one label, a recorded view, no ``get_data``.
"""
import sys
from importlib import import_module

sim = import_module("pyNN." + sys.argv[1])
for trial in (1, 2):
    sim.setup(timestep=0.1, min_delay=0.1)
    a = sim.Population(2, sim.IF_curr_exp(i_offset=1.0 * trial), label="cells")
    b = sim.Population(1, sim.IF_curr_exp(i_offset=2.0), label="cells")
    a.record("spikes")
    b[0:1].record("v")
    sim.run(50.0)
sim.end()
