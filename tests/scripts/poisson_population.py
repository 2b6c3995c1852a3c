"""1000 IF_cond_exp cells, each driven by its own SpikeSourcePoisson (no recurrence).

Usage: ``python poisson_population.py --simulator SIM --seed SEED [--duration 500]``.  A
statistical comparison case: the Poisson draws differ between simulators, the rates must not.
"""
import argparse
import importlib

parser = argparse.ArgumentParser()
parser.add_argument("--simulator", default="nest")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--duration", type=float, default=500.0)
args = parser.parse_args()
sim = importlib.import_module("pyNN." + args.simulator)
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402

sim.setup(timestep=0.1, min_delay=1.0, max_delay=2.0, rng_seed=args.seed,
          spike_precision="on_grid", verbosity="error")
n = 1000
drive = sim.Population(n, sim.SpikeSourcePoisson(rate=350.0), label="drive")
cells = sim.Population(n, sim.IF_cond_exp(tau_refrac=2.0, cm=0.25, tau_m=20.0, v_rest=-65.0,
                                          v_reset=-65.0, v_thresh=-50.0), label="cells")
cells.initialize(v=RandomDistribution("uniform", low=-65.0, high=-50.0,
                                      rng=NumpyRNG(seed=args.seed)))
sim.Projection(drive, cells, sim.OneToOneConnector(),
               sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type="excitatory")
cells.record("spikes")
sim.run(args.duration)
print("rate", sum(len(s) for s in cells.get_data().segments[0].spiketrains) / n
      / (args.duration / 1000.0), "Hz")
sim.end()
