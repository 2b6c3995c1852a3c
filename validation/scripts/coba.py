"""Vogels-Abbott COBA network (Brette et al. 2007, benchmark 1), for the validation suite.

A copy of ``shared/bench/coba.py`` (which is not part of this repository) reduced to the model:
4000 IF_cond_exp neurons at ``--scale 1`` (80 % excitatory), recurrent connections with
probability 2 % (4 nS exc., 51 nS inh., 0.2 ms delays), V(0) ~ U(-60, -50) mV, and an
"initial kick" of 20 SpikeSourcePoisson at 100 Hz for 50 ms, after which the activity is
self-sustained.  Spikes of every neuron and v of two excitatory neurons are recorded.

The simulator is chosen the PyNN way, by importing ``pyNN.<--simulator>``; under
``pynn-cbgtc-jax compare`` pass ``--simulator {sim}``.  ``--seed`` seeds the connectivity and
initial values (``NumpyRNG``) and the simulator's own RNG (``setup(rng_seed=...)``, the
Poisson kick), so no two simulators can match spike for spike: compare statistically.

Usage::

    python coba.py --simulator nest --seed 1 [--scale 1] [--duration 1000]
"""
import argparse
import importlib
import os

os.environ.setdefault("PYNEST_QUIET", "1")

CELL = {"tau_m": 20.0, "cm": 0.2, "v_rest": -60.0, "v_reset": -60.0, "v_thresh": -50.0,
        "tau_refrac": 5.0, "tau_syn_E": 5.0, "tau_syn_I": 10.0, "e_rev_E": 0.0,
        "e_rev_I": -80.0}
N_CELLS, R_EI, P_CONN, DELAY = 4000, 4.0, 0.02, 0.2
W_EXC, W_INH = 4e-3, 51e-3                                   # uS
KICK_N, KICK_RATE, KICK_DURATION, KICK_P, KICK_W = 20, 100.0, 50.0, 0.01, 0.1


def build(sim, seed, rng, scale=1.0):
    """The COBA network on ``sim`` (after ``sim.setup``): populations, initial values,
    connections and the kick; spikes of every neuron recorded.  ``rng`` (a NumpyRNG) draws the
    connectivity and the initial values.  Returns ``(exc, inh)``.  ``seed`` is unused here (the
    caller's ``setup(rng_seed=...)`` seeds the kick); kept for the callers' symmetry."""
    del seed
    RandomDistribution = importlib.import_module("pyNN.random").RandomDistribution
    n_total = int(round(N_CELLS * scale))
    n_exc = int(round(n_total * R_EI / (1 + R_EI)))
    exc = sim.Population(n_exc, sim.IF_cond_exp(**CELL), label="exc")
    inh = sim.Population(n_total - n_exc, sim.IF_cond_exp(**CELL), label="inh")
    kick = sim.Population(KICK_N, sim.SpikeSourcePoisson(rate=KICK_RATE, start=0.0,
                                                         duration=KICK_DURATION), label="kick")
    v_init = RandomDistribution("uniform", low=CELL["v_reset"], high=CELL["v_thresh"], rng=rng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    conn = sim.FixedProbabilityConnector(min(1.0, P_CONN / scale), rng=rng)
    for pre, w, receptor in ((exc, W_EXC, "excitatory"), (inh, W_INH, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, conn, sim.StaticSynapse(weight=w, delay=DELAY),
                           receptor_type=receptor)
    kick_conn = sim.FixedProbabilityConnector(KICK_P, rng=rng)
    for post in (exc, inh):
        sim.Projection(kick, post, kick_conn, sim.StaticSynapse(weight=KICK_W, delay=DELAY),
                       receptor_type="excitatory")
    exc.record("spikes")
    inh.record("spikes")
    return exc, inh


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--simulator", default="nest", help="imports pyNN.<SIMULATOR>")
    parser.add_argument("--seed", type=int, default=98765)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--precision", default="float32", choices=["float32", "float64"],
                        help="pynn_cbgtc_jax only (default float32, its default)")
    args = parser.parse_args()
    sim = importlib.import_module("pyNN." + args.simulator)
    from pyNN.random import NumpyRNG

    sim.setup(timestep=0.1, min_delay=DELAY, max_delay=1.0, rng_seed=args.seed,
              spike_precision="on_grid", verbosity="error", precision=args.precision)
    exc, inh = build(sim, args.seed, NumpyRNG(seed=args.seed, parallel_safe=True), args.scale)
    exc[0:2].record("v")
    sim.run(args.duration)
    for pop in (exc, inh):
        n = sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains)
        print(f"{pop.label}: {n / pop.size / (args.duration / 1000.0):.2f} Hz")
    sim.end()


if __name__ == "__main__":
    main()
