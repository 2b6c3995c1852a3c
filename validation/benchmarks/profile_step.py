"""Where a step's time goes: the operations of the compiled chunk, ranked, from JAX's profiler.

    python validation/benchmarks/profile_step.py [--network microcircuit|cbgtc|coba]
        [--members N] [--scale 0.1] [--k-scale 0.1] [--warmup 110] [--duration 200] [--top 25]
        [--bench-dir DIR]

Builds the network (``microcircuit_model.py``, or the shared CBGTC benchmark script with
NativeRNG connections, or ``bench_ensembles.py``'s COBA 4000 as an ensemble of ``--members``
seeds), runs ``--warmup`` ms (compilation), then traces ``--duration`` ms with
``jax.profiler`` and prints, per operation name of the trace (XLA:CPU thunks such as
``while.232`` or ``add_concatenate_fusion``; on a GPU its kernels and host round trips), the
microseconds per simulation step summed over every occurrence, how often it ran, and its
share.  Names are those of XLA's optimized module: ``--hlo FILE`` writes that module's text
to look them up (e.g. ``grep -n "add_concatenate_fusion = " FILE``).

Found this way (microcircuit 10 %, 2-core CPU, 2026-12-04): the Poisson block's per-cell
draws fused into an unvectorised concatenation (72 of 313 us a step); the event path's
running sum over every cell of the network (33 us).  A tool for finding work, not a benchmark:
the tracer adds its own overhead, so compare shares, not totals.
"""
from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import sys
import tempfile
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _build(sim, args):
    if args.network == "coba":
        import bench_ensembles
        seed = 1000 if args.members == 1 else sim.Batch([1000 + m for m in range(args.members)])
        bench_ensembles.build_coba(sim, seed)
        return
    if args.network == "microcircuit":
        import microcircuit_model as mc
        sim.setup(timestep=0.1, min_delay=0.1, max_delay=mc.MAX_DELAY, rng_seed=55)
        mc.build(sim, mc.scaled(args.scale, args.k_scale), 55, 0.1, False)
        return
    sys.path.insert(0, os.path.abspath(args.bench_dir))
    import cbgtc
    from native_rng import _native
    from pyNN.random import NumpyRNG
    for name in ("FixedProbabilityConnector", "FixedNumberPreConnector"):
        cls = getattr(sim, name)
        cls.__init__ = _native(cls)
    sim.setup(timestep=0.1, min_delay=cbgtc.MIN_DELAY, max_delay=cbgtc.MAX_DELAY, rng_seed=4242)
    total = args.warmup + args.duration
    cbgtc.build_network(sim, SimpleNamespace(scale=args.scale, warmup=0.0, duration=total,
                                             dt=0.1), NumpyRNG(seed=4242, parallel_safe=True))


def ranked(trace_file: str, steps: int, top: int):
    """[(name, us per step, count, share)] of the trace's complete events, the ``top`` longest,
    without the Python frames (``$file:line``) and the executor's own spans."""
    with gzip.open(trace_file) as f:
        events = json.load(f)["traceEvents"]
    total, count = collections.Counter(), collections.Counter()
    for e in events:
        name = e.get("name", "")
        if e.get("ph") != "X" or name.startswith("$") or "ThunkExecutor" in name \
                or name.startswith(("np.asarray", "PjitFunction", "TfrtCpuExecutable")):
            continue
        total[name] += e.get("dur", 0.0)
        count[name] += 1
    whole = sum(total.values()) or 1.0
    return [(n, t / steps, count[n], t / whole) for n, t in total.most_common(top)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--network", choices=("microcircuit", "cbgtc", "coba"),
                   default="microcircuit")
    p.add_argument("--members", type=int, default=1,
                   help="coba: ensemble members (rng_seed as a Batch)")
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--k-scale", type=float, default=0.1)
    p.add_argument("--warmup", type=float, default=110.0, help="ms run before tracing")
    p.add_argument("--duration", type=float, default=200.0, help="ms traced")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--hlo", metavar="FILE", help="write the optimized module's text here")
    p.add_argument("--bench-dir", default=os.path.join(HERE, "..", "..", "..", "shared", "bench"))
    args = p.parse_args(argv)

    import jax
    import jax.numpy as jnp

    import pynn_cbgtc_jax as sim
    _build(sim, args)
    sim.run(args.warmup)
    s = sim.simulator.state.simulation
    if args.hlo:
        with open(args.hlo, "w") as f:
            f.write(s.fn.lower(s.data, s.carry, jnp.int32(1)).compile().as_text())
    out = tempfile.mkdtemp(prefix="profile_step_")
    t0 = time.perf_counter()
    jax.profiler.start_trace(out)
    sim.run(args.duration)
    jax.profiler.stop_trace()
    wall = time.perf_counter() - t0
    steps = int(round(args.duration / sim.get_time_step()))
    trace = sorted(glob.glob(os.path.join(out, "**", "*.trace.json.gz"), recursive=True))[-1]
    dev = jax.devices()[0]
    print(f"{args.network} scale {args.scale} on {dev.platform}:{dev.device_kind}, jax "
          f"{jax.__version__}: {steps} steps traced in {wall:.2f} s "
          f"({wall / steps * 1e6:.0f} us a step with the tracer)")
    print(f"{'us/step':>9} {'count':>8} {'share':>6}  operation")
    for name, us, n, share in ranked(trace, steps, args.top):
        print(f"{us:9.1f} {n:8d} {share:6.1%}  {name[:100]}")
    sim.end()


if __name__ == "__main__":
    main()
