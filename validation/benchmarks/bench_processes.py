"""One network as several processes on this host (issue 15 item 2): what each process holds.

Each process of a distributed run (``setup(distributed=True)``, ``processes.py``) keeps only
the synapses onto its own cells.  With ``--rng numpy`` (PyNN's NumpyRNG semantics) every
process draws every synapse and keeps its own, so what shrinks with the process count is the
memory each process keeps, not the drawing time; with ``--rng native`` (a ``NativeRNG``: each
target's synapses from its own counter-based stream, ``column_draws.py``) each process draws
only its own targets' synapses, so the drawing shrinks too.  Either way the network is the
same for any process count.  The network is the Vogels-Abbott COBA network
(``validation/scripts/coba.py``, 4000 cells per scale unit, 2 % connectivity), one simulated
CPU device per process, run for ``--duration`` ms.  Per process count: the synapses the
busiest process holds (and the whole network's), each process's peak resident memory, the
time to create the network (populations and projections) and of that inside
``Projection(...)`` (the drawing), to build and run it, and whether the spike count equals
one process's (it must: ``tests/test_devices.py`` checks the data bitwise).

Usage::

    python validation/benchmarks/bench_processes.py [--processes 1 2 4] [--scale 4]
        [--duration 100] [--rng numpy|native]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import resource
import socket
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _child(scale: float, duration: float, rng: str) -> dict:
    """This process's part of the run, as a dict."""
    import pynn_cbgtc_jax as sim
    spec = importlib.util.spec_from_file_location("coba", ROOT / "validation" / "scripts"
                                                  / "coba.py")
    coba = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coba)
    distributed = bool(os.environ.get("JAX_NUM_PROCESSES"))
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=coba.DELAY, max_delay=1.0, rng_seed=1,
              **({"distributed": True} if distributed else {}))
    connecting = [0.0]              # time inside Projection(...): the connectors' drawing
    init = sim.Projection.__init__

    def timed(self, *args, **kwargs):
        t = time.perf_counter()
        init(self, *args, **kwargs)
        connecting[0] += time.perf_counter() - t
    sim.Projection.__init__ = timed
    t1 = time.perf_counter()
    pops = coba.build(sim, 1, getattr(sim, rng)(seed=98765), scale=scale)
    created = time.perf_counter() - t1
    sim.Projection.__init__ = init
    projections = sim.simulator.state.projections
    held = sum(len(p) for p in projections)
    whole = sum(p.size() for p in projections)
    built = time.perf_counter() - t0
    sim.run(duration)
    ran = time.perf_counter() - t0 - built
    spikes = sum(int(sum(p.get_spike_counts().values())) for p in pops)
    sim.end()
    return {"rank": sim.rank(), "processes": sim.num_processes(), "held": held,
            "whole": whole, "create_s": round(created, 2),
            "connect_s": round(connecting[0], 2), "build_s": round(built, 2),
            "run_s": round(ran, 2),
            "spikes": spikes,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _run(n: int, scale: float, duration: float, rng: str) -> list:
    port = _free_port()
    procs = []
    for rank in range(n):
        env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=1")
        if n > 1:
            env.update(JAX_COORDINATOR_ADDRESS=f"localhost:{port}", JAX_NUM_PROCESSES=str(n),
                       JAX_PROCESS_ID=str(rank))
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--child", str(scale), str(duration), rng], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    rows = []
    for p in procs:
        out, err = p.communicate(timeout=3600)
        if p.returncode:
            raise SystemExit(f"a process of {n} failed:\n{err[-3000:]}")
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--scale", type=float, default=4.0)
    parser.add_argument("--duration", type=float, default=100.0, help="ms")
    parser.add_argument("--rng", choices=["numpy", "native"], default="numpy",
                        help="the connectors' RNG: NumpyRNG (every process draws every "
                             "synapse) or NativeRNG (each draws its own targets' synapses)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        scale, duration, rng = args.child
        print(json.dumps(_child(float(scale), float(duration), rng)))
        return
    rng = {"numpy": "NumpyRNG", "native": "NativeRNG"}[args.rng]
    print(f"COBA scale {args.scale:g}, {args.duration:g} ms, {rng}, one CPU device per "
          f"process, {os.cpu_count()} cores shared by all processes")
    print("| processes | synapses held (busiest) | whole network | peak RSS MB per process "
          "(max) | create s | of which projections s | build s | run s | spikes | "
          "= one process |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    reference = None
    for n in args.processes:
        rows = _run(n, args.scale, args.duration, rng)
        spikes = rows[0]["spikes"]
        reference = spikes if reference is None else reference
        print(f"| {n} | {max(r['held'] for r in rows):,} | {rows[0]['whole']:,} | "
              f"{max(r['peak_rss_mb'] for r in rows):.0f} | "
              f"{max(r['create_s'] for r in rows):.1f} | "
              f"{max(r['connect_s'] for r in rows):.2f} | "
              f"{max(r['build_s'] for r in rows):.1f} | {max(r['run_s'] for r in rows):.1f} | "
              f"{spikes} | {'yes' if spikes == reference else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
