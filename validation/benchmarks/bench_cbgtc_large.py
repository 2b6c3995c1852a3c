"""The shared CBGTC benchmark network at large scales, timed without neo's ``get_data``.

    python validation/benchmarks/bench_cbgtc_large.py [--bench-dir DIR] [--scale 200]
        [--duration 1000] [--first-run 10] [--numpy-rng] [--json FILE]

Issue 15's GPU target: the 1M-neuron CBGTC network (``../shared/bench/cbgtc.py`` at scale 200:
1M neurons, 1M Poisson sources, ~137M synapses) at >= 0.1x real time.  The network is the
shared script's own ``build_network`` (its populations, projections, current step and
recordings: spikes of every cell, ``v`` of 10 per population), with its connectors' RNG a
``NativeRNG`` of the same seed (``native_rng.py``: NumpyRNG's one draw per candidate pair is
~1e11 draws at this scale) unless ``--numpy-rng``.  Rates come from ``get_spike_counts``
(one array per population): the shared script's ``get_data`` builds 1M neo SpikeTrains,
minutes of Python that are not the simulator's time.

Prints one JSON line: build, first run (compilation), timed run, real-time factor (run wall
time / simulated time), per-population rates, device.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench-dir", default=os.path.join(HERE, "..", "..", "..", "shared", "bench"))
    p.add_argument("--scale", type=float, default=200.0)
    p.add_argument("--duration", type=float, default=1000.0, help="timed run, ms")
    p.add_argument("--first-run", type=float, default=10.0,
                   help="first run (compilation), ms, before the timed one")
    p.add_argument("--dt", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=4242)
    p.add_argument("--numpy-rng", action="store_true",
                   help="keep the script's NumpyRNG for the connectors (slow at large scales)")
    p.add_argument("--json", metavar="FILE", help="also append the JSON line here")
    args = p.parse_args(argv)

    sys.path.insert(0, os.path.abspath(args.bench_dir))
    import cbgtc  # the shared benchmark script: its network, unchanged
    t0 = time.perf_counter()
    import jax
    import numpy as np
    from pyNN.random import NumpyRNG

    import pynn_cbgtc_jax as sim
    if not args.numpy_rng:
        from native_rng import _native
        for name in ("FixedProbabilityConnector", "FixedNumberPreConnector"):
            cls = getattr(sim, name)
            cls.__init__ = _native(cls)
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.setup(timestep=args.dt, min_delay=cbgtc.MIN_DELAY, max_delay=cbgtc.MAX_DELAY,
              rng_seed=args.seed)
    net_args = SimpleNamespace(scale=args.scale, warmup=args.first_run, duration=args.duration,
                               dt=args.dt)
    pops, sources, projections = cbgtc.build_network(
        sim, net_args, NumpyRNG(seed=args.seed, parallel_safe=True))
    t_build = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.run(args.first_run)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(args.duration)
    t_run = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = args.first_run + args.duration
    rates = {pop.label: round(float(np.sum(list(pop.get_spike_counts().values())))
                              / pop.size / total * 1e3, 3) for pop in pops}
    t_counts = time.perf_counter() - t0
    dev = jax.devices()[0]
    line = {"kind": "run", "benchmark": "cbgtc_large", "scale": args.scale,
            "n_neurons": int(sum(pop.size for pop in pops)),
            "n_sources": int(sum(s.size for s in sources)),
            "n_synapses": int(sum(pr.size() for pr in projections)),
            "native_rng": not args.numpy_rng, "dt": args.dt,
            "first_run_ms": args.first_run, "sim_time_ms": args.duration,
            "import_s": round(t_import, 3), "build_s": round(t_build, 3),
            "first_run_s": round(t_first, 3), "sim_s": round(t_run, 3),
            "rtf": round(t_run / (args.duration * 1e-3), 4),
            "speed_x_real_time": round(args.duration * 1e-3 / t_run, 4),
            "counts_s": round(t_counts, 3), "rates_hz": rates,
            "device": f"{dev.platform}:{dev.device_kind}", "jax": jax.__version__}
    text = json.dumps(line)
    print(text, flush=True)
    if args.json:
        with open(args.json, "a") as f:
            f.write(text + "\n")
    sim.end()


if __name__ == "__main__":
    main()
