"""The cable solver (issue 16 item 6): compartment-steps per second against NEURON, one core.

    python validation/benchmarks/bench_cable.py [--cells 10,100,1000] [--compartments 100]
        [--duration 20] [--no-neuron]

A ball-and-stick cell -- soma 20 x 20 um (1 segment, hh.mod) and a dendrite 1000 x 2 um cut
into ``compartments - 1`` segments (pas 1e-4 S/cm2) -- with 0.5 nA into the soma from 2 ms, at
dt = 0.025 ms.  Ours: ``kernels/cable.py`` ``run`` vmapped over the cells, timed after
compilation (the mean of 3 runs).  NEURON: the same cells as ``h.Section`` objects with its
built-in hh and pas (exact rates, as ours), ``h.continuerun``, one thread.  Both in float64.
Prints, per cell count, the wall time per simulated second and compartment-steps per second
of both and their ratio (issue 16's goal: 1000 cells x 100 compartments >= 5x faster than
NEURON on one core).  Run under ``taskset -c 0`` for one core (XLA:CPU otherwise uses all).

A benchmark: it prints figures and checks nothing.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

DT = 0.025


def _ours(n_cells: int, n_comp: int, duration: float):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    from pynn_cbgtc_jax.compiler.cable_tree import Section, build_tree, cable_params, node_of
    from pynn_cbgtc_jax.kernels.cable import initial_state, run
    tree = build_tree([Section(None, 20.0, 20.0, 1), Section(0, 1000.0, 2.0, n_comp - 1)],
                      Ra=100.0)
    soma = node_of(tree, 0, 0.5)
    p = cable_params(tree, cm=1.0, g_pas=[0.0, 1e-4], e_pas=-65.0, gnabar=[0.12, 0.0],
                     gkbar=[0.036, 0.0], detector=soma, v_thresh=0.0)
    steps = int(round(duration / DT))
    t_mid = (np.arange(steps) + 0.5) * DT
    i_inj = np.zeros((steps, tree.parent.size))
    i_inj[t_mid >= 2.0, soma] = 0.5
    i_inj = jnp.asarray(i_inj)
    # node-major: every array [n_nodes, cells] (parameters [n_nodes, 1]), so that each node
    # of the tree solve is one contiguous row (the kernel broadcasts over trailing axes)
    p = p._replace(**{f: getattr(p, f)[:, None] for f in
                      ("cap", "g_axial", "l_diag", "g_pas", "gnabar", "gkbar")})
    s0 = initial_state(p, jnp.full((tree.parent.size, n_cells), -65.0))
    i_inj = i_inj[:, :, None]
    many = jax.jit(lambda s: run(p, s, i_inj, DT)[2].sum(axis=0))
    many(s0).block_until_ready()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        spikes = many(s0).block_until_ready()
        times.append(time.perf_counter() - t0)
    return float(np.mean(times)), int(spikes[0]), tree.parent.size


def _neuron(n_cells: int, n_comp: int, duration: float):
    from neuron import h
    h.load_file("stdrun.hoc")
    cells = []
    for _ in range(n_cells):
        soma, dend = h.Section(), h.Section()
        soma.L = soma.diam = 20.0
        dend.L, dend.diam, dend.nseg = 1000.0, 2.0, n_comp - 1
        dend.connect(soma(1.0))
        for sec in (soma, dend):
            sec.Ra, sec.cm = 100.0, 1.0
        soma.insert("hh")
        dend.insert("pas")
        for seg in dend:
            seg.pas.g, seg.pas.e = 1e-4, -65.0
        clamp = h.IClamp(soma(0.5))
        clamp.delay, clamp.dur, clamp.amp = 2.0, 1e9, 0.5
        cells.append((soma, dend, clamp))
    h.dt, h.celsius, h.usetable_hh = DT, 6.3, 0
    h.finitialize(-65.0)
    t0 = time.perf_counter()
    h.continuerun(duration)
    return time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", default="10,100,1000")
    p.add_argument("--compartments", type=int, default=100)
    p.add_argument("--duration", type=float, default=20.0, help="simulated ms")
    p.add_argument("--no-neuron", action="store_true")
    args = p.parse_args(argv)
    print(f"ball-and-stick, {args.compartments} compartments, dt {DT} ms, {args.duration} ms "
          f"simulated; wall s per simulated s, and compartment-steps per s")
    print("| cells | nodes | ours s/s | ours comp-steps/s | NEURON s/s | NEURON comp-steps/s "
          "| NEURON / ours |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in (int(c) for c in args.cells.split(",")):
        wall, _, nodes = _ours(n, args.compartments, args.duration)
        comp_steps = n * args.compartments * args.duration / DT
        row = f"| {n} | {nodes} | {wall / args.duration * 1e3:.2f} | {comp_steps / wall:.3g} |"
        if args.no_neuron:
            print(row + " | | |")
            continue
        nwall = _neuron(n, args.compartments, args.duration)
        print(row + f" {nwall / args.duration * 1e3:.2f} | {comp_steps / nwall:.3g} | "
              f"{nwall / wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
