"""A long run stopped by SIGINT, then continued; prints one JSON line of what it saw.

Usage: ``python interrupted_run.py``.  Prints ``READY`` once compiled; the parent then sends
SIGINT.  The run must stop at a chunk boundary: the script reports when it caught the
KeyboardInterrupt, checks that the recorded data is consistent with the step counter, runs on
50 ms further and compares everything with an uninterrupted run of the same network.
"""
import json
import sys
import time

import numpy as np

import pynn_cbgtc_jax as sim

def build():
    sim.setup(timestep=0.1, rng_seed=3)
    n = 5000       # ~2 ms per step on a 2-core CPU: 1000 steps take seconds
    cells = sim.Population(n, sim.IF_cond_exp(tau_refrac=2.0), label="cells")
    noise = sim.Population(n, sim.SpikeSourcePoisson(rate=600.0), label="noise")
    cells.initialize(v=sim.RandomDistribution("uniform", low=-65.0, high=-55.0,
                                              rng=sim.NumpyRNG(seed=2)))
    sim.Projection(noise, cells, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=0.5))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.05, rng=sim.NumpyRNG(seed=1)),
                   sim.StaticSynapse(weight=0.001, delay=1.0))
    cells.record("spikes")
    cells[0:10].record("v")
    return cells


def data(cells):
    seg = cells.get_data().segments[-1]
    v = np.asarray(seg.filter(name="v")[0])
    return v, [np.asarray(st) for st in seg.spiketrains]


cells = build()
sim.run(0.1)                    # compile
print("READY", flush=True)
result = {}
try:
    sim.run(100_000.0)
    result["interrupted"] = False
except KeyboardInterrupt as e:
    result.update(interrupted=True, caught=time.time(), message=str(e))
state = sim.simulator.state
v, trains = data(cells)
result.update(step=state.step, t=sim.get_current_time(), v_samples=len(v),
              last_spike=max((float(st.max()) for st in trains if len(st)), default=0.0),
              spikes=sum(len(st) for st in trains),
              carry_step=int(state.simulation.carry.step))
if result["interrupted"]:
    t_end = result["t"] + 50.0
    sim.run_until(t_end)
    v1, trains1 = data(cells)
    cells = build()
    sim.run_until(t_end)
    v2, trains2 = data(cells)
    result["continued_equal"] = bool(np.array_equal(v1, v2) and len(trains1) == len(trains2)
                                     and all(np.array_equal(a, b)
                                             for a, b in zip(trains1, trains2)))
print(json.dumps(result), flush=True)
sys.exit(0)
