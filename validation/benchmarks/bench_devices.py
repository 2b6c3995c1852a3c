"""One network over several devices (issue 15): strong and weak scaling on simulated CPU
devices, reported as what scales -- cells and synapses per device, spike exchanges, bytes
moved -- not as speed-ups.

The simulated devices (``XLA_FLAGS=--xla_force_host_platform_device_count=D``) share this
machine's cores, so their wall time says nothing about real devices; it is printed only to
show the cost of partitioning on one host.  The network is the Vogels-Abbott COBA network
(``validation/scripts/coba.py``: 4000 IF_cond_exp cells per scale unit, 2 % connectivity,
0.2 ms delays at dt 0.1 ms, so one exchange every 2 steps).  Strong scaling: scale 1 on
D = 1, 2, 4, 8 devices; weak scaling: scale D on D devices (4000 cells per device).  Each
configuration runs in its own process (the device count is fixed when JAX starts); the
spike count of every partitioned strong-scaling run must equal the one-device run's
(``tests/test_devices.py`` checks bitwise equality).

Per row: the cells and synapses of the busiest device (and the balance: busiest / mean),
steps per exchange (the shortest delay in steps), exchanges per simulated second, the bytes
one device receives per exchange and per simulated second (the all-gathered spike counts of
every device, 1 byte per cell and step), the collectives in the compiled step loop, and the
wall time per simulated second.

Usage::

    python validation/benchmarks/bench_devices.py [--devices 1 2 4 8] [--duration 200]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _child(devices: int, scale: float, duration: float) -> dict:
    """One configuration, in this (child) process: the figures as a dict."""
    import importlib.util

    import numpy as np

    import pynn_cbgtc_jax as sim
    spec = importlib.util.spec_from_file_location("coba", ROOT / "validation" / "scripts"
                                                  / "coba.py")
    coba = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coba)
    sim.setup(timestep=0.1, min_delay=coba.DELAY, max_delay=1.0, rng_seed=1,
              devices=None if devices == 1 else devices)
    start = time.perf_counter()
    exc, inh = coba.build(sim, 1, sim.NumpyRNG(seed=98765), scale)
    sim.run(10.0)                                  # build + compile + warm-up
    warm = time.perf_counter() - start
    start = time.perf_counter()
    sim.run(duration)
    wall = time.perf_counter() - start
    s = sim.simulator.state.simulation
    spikes = sum(int(np.sum(list(p.get_spike_counts().values()))) for p in (exc, inh))
    n_syn = sum(g.n_syn for g in s.spec.syns)
    row = {"devices": devices, "scale": scale, "neurons": exc.size + inh.size,
           "synapses": n_syn, "spikes": spikes, "warm_s": warm,
           "wall_per_sim_s": wall / (duration / 1000.0)}
    if devices == 1:
        row.update(cells_per_device=row["neurons"], syn_per_device=n_syn, balance=1.0,
                   block=1, exchanges_per_s=0, bytes_per_exchange=0, collectives=0)
        return row
    local = s.local_spec
    positions = s.layout.synapses
    per_device = sum((pos >= 0).sum(axis=1) for pos in positions)
    cells = sum(p.size for p in local.pops if p.ring_offset >= 0)      # neurons, one device
    block = local.partition.block
    hlo = s.fn.lower(s.data, s._carry, np.int32(5)).compile().as_text()
    row.update(cells_per_device=cells, syn_per_device=int(per_device.max()),
               balance=float(per_device.max() / per_device.mean()), block=block,
               exchanges_per_s=1000.0 / (0.1 * block),
               bytes_per_exchange=devices * block * cells,
               collectives=hlo.count(" all-gather(") + hlo.count(" all-gather-start("))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--duration", type=float, default=200.0, help="ms")
    parser.add_argument("--child", nargs=3, type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        d, scale, duration = args.child
        print(json.dumps(_child(int(d), scale, duration)))
        return
    rows = []
    for kind in ("strong", "weak"):
        for d in args.devices:
            scale = 1.0 if kind == "strong" else float(d)
            env = dict(os.environ, XLA_FLAGS=os.environ.get("XLA_FLAGS", "")
                       + f" --xla_force_host_platform_device_count={max(d, 1)}")
            out = subprocess.run([sys.executable, __file__, "--child", str(d), str(scale),
                                  str(args.duration)], env=env, capture_output=True,
                                 text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row["kind"] = kind
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    print("| scaling | devices | neurons | synapses | cells / device | synapses / device "
          "(balance) | steps / exchange | exchanges / sim s | bytes in / exchange | "
          "MB in / sim s | all-gathers in program | spikes | wall s / sim s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        mb = r["bytes_per_exchange"] * r["exchanges_per_s"] / 1e6
        print(f"| {r['kind']} | {r['devices']} | {r['neurons']} | {r['synapses']} | "
              f"{r['cells_per_device']} | {r['syn_per_device']} ({r['balance']:.3f}) | "
              f"{r['block']} | {r['exchanges_per_s']:.0f} | {r['bytes_per_exchange']} | "
              f"{mb:.1f} | {r['collectives']} | {r['spikes']} | {r['wall_per_sim_s']:.2f} |")
    strong = [r for r in rows if r["kind"] == "strong"]
    same = all(r["spikes"] == strong[0]["spikes"] for r in strong)
    print(f"\nstrong scaling: spike counts {'identical' if same else 'DIFFER'} on "
          f"{', '.join(str(r['devices']) for r in strong)} devices")


if __name__ == "__main__":
    main()
