"""An axon under a DBS electrode: extracellular point-source stimulation on the cable solver.

    python examples/axon_dbs_field.py [--distance 500] [--biphasic] [--duration 40]

A straight Hodgkin-Huxley axon (2000 x 2 um, 201 segments; hh.mod's channels, Ra 100 ohm cm)
passes ``--distance`` um below a point electrode in a homogeneous medium (sigma = 0.27 S/m,
grey matter).  The electrode delivers DBS: 130 Hz pulses of 60 us, cathodic (monophasic) or,
with ``--biphasic``, charge-balanced (cathodic, then an anodic phase of the same charge), from
t = 5 ms -- the waveform is our ``DBSSource``'s (``engine/waveforms.py``: ``pulse_train``),
computed on the device step by step.  Its amplitude is 1.5x the activation threshold for a
single pulse, found first by bisection.  The field enters the cable as one current per node,
``I_el(t) a_i`` (``compiler/cable_tree.point_source_weights``: NEURON's ``extracellular``
mechanism with its defaults; activation thresholds equal NEURON's, ``tests/test_cable.py``).

Prints the threshold, the pulses delivered and the action potentials reaching the far end, and
writes ``output/axon_dbs_field.png``: the membrane potential under the electrode, half way and
at the far end, with the electrode current below.  Issue 16's "figure of an axon's response to
DBS pulses".  (The cable solver is not yet reachable through PyNN's API: this script drives the
kernel directly.)
"""
from __future__ import annotations

import argparse
import os
import time
from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np

from pynn_cbgtc_jax.compiler.cable_tree import (Section, build_tree, cable_params, node_of,
                                                node_positions, point_source_weights)
from pynn_cbgtc_jax.engine.waveforms import WAVEFORMS
from pynn_cbgtc_jax.kernels.cable import initial_state, run

DT = 0.005          # ms: 60 us pulses are 12 steps
SIGMA = 0.27        # S/m


def axon():
    """The axon's tree, parameters and node positions (its middle at the origin, along x)."""
    tree = build_tree([Section(None, 2000.0, 2.0, 201)], Ra=100.0)
    p = cable_params(tree, cm=1.0, g_pas=0.0003, e_pas=-54.3, gnabar=0.12, gkbar=0.036,
                     detector=node_of(tree, 0, 0.95), v_thresh=0.0)      # hh.mod with its leak
    pos = node_positions(tree, [[-1000.0, 0.0, 0.0]], [[1000.0, 0.0, 0.0]])
    return tree, p, pos


def dbs_waveform(steps, amplitude_na, biphasic, start_ms=5.0, frequency=130.0, width=0.06):
    """nA per step (at t_k + dt/2): the DBSSource pulse train, cathodic first."""
    native = {"amplitude": -amplitude_na, "period": 1e3 / frequency, "width1": width}
    if biphasic:
        native.update(amplitude2=amplitude_na, gap=0.0, width2=width)
    fields = {k: jnp.asarray(v) for k, v in
              WAVEFORMS["pulse_train"].build(native, DT, lambda ms: int(round(ms / DT))).items()}
    e = SimpleNamespace(fields=fields, start=jnp.int32(int(round(start_ms / DT))))
    k = jnp.arange(steps, dtype=jnp.int32)
    on = k >= e.start
    return jnp.where(on, WAVEFORMS["pulse_train"].amplitude(None, e, k, jnp.float64), 0.0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--distance", type=float, default=500.0, help="um below the electrode")
    ap.add_argument("--biphasic", action="store_true")
    ap.add_argument("--duration", type=float, default=40.0, help="ms")
    args = ap.parse_args(argv)
    jax.config.update("jax_enable_x64", True)

    tree, p, pos = axon()
    a = jnp.asarray(point_source_weights(tree, pos, [0.0, args.distance, 0.0], SIGMA))
    s0 = initial_state(p, jnp.full(tree.parent.size, -65.0))
    steps = int(round(args.duration / DT))

    @jax.jit
    def simulate(amplitude_na, n_steps_mask):
        i_el = dbs_waveform(steps, amplitude_na, args.biphasic) * n_steps_mask
        _, v, spiked = run(p, s0, i_el[:, None] * a[None, :], DT)
        return v, spiked, i_el

    one_pulse = (np.arange(steps) * DT < 5.0 + 1e3 / 130.0).astype(float)   # the first pulse
    lo, hi = 0.0, 1e3
    while not bool(simulate(hi, one_pulse)[1].any()):
        lo, hi = hi, 2 * hi
    while hi - lo > 1e-3 * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if bool(simulate(mid, one_pulse)[1].any()) else (mid, hi)
    threshold = hi

    t0 = time.perf_counter()
    v, spiked, i_el = jax.block_until_ready(simulate(1.5 * threshold, np.ones(steps)))
    wall = time.perf_counter() - t0
    v, spiked, i_el = np.asarray(v), np.asarray(spiked), np.asarray(i_el)
    pulses = int(np.sum((i_el[1:] < 0) & (i_el[:-1] >= 0)) + (i_el[0] < 0))
    kind = "biphasic" if args.biphasic else "cathodic"
    print(f"HH axon {args.distance:.0f} um from the electrode, {kind} 60 us pulses at 130 Hz")
    print(f"  single-pulse threshold {threshold / 1e6:.3f} mA; DBS at 1.5x: "
          f"{1.5 * threshold / 1e6:.3f} mA")                                  # nA -> mA
    print(f"  {pulses} pulses, {int(spiked.sum())} action potentials at the far end "
          f"({args.duration:.0f} ms in {wall:.2f} s)")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    t = (np.arange(steps) + 1) * DT
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(8, 5),
                                      gridspec_kw={"height_ratios": [3, 1]})
    for x, label in ((0.5, "under the electrode"), (0.75, "half way"), (0.95, "far end")):
        top.plot(t, v[:, node_of(tree, 0, x)], lw=0.8, label=f"x = {x} ({label})")
    top.set_ylabel("membrane potential (mV)")
    top.legend(loc="upper right", fontsize=8)
    top.set_title(f"HH axon {args.distance:.0f} um from a DBS electrode ({kind}, 130 Hz, "
                  f"{1.5 * threshold / 1e6:.2f} mA)")
    bottom.plot((np.arange(steps) + 0.5) * DT, i_el / 1e6, lw=0.8, color="k")   # nA -> mA
    bottom.set_ylabel("electrode (mA)")
    bottom.set_xlabel("time (ms)")
    os.makedirs("output", exist_ok=True)
    fig.tight_layout()
    fig.savefig(os.path.join("output", "axon_dbs_field.png"), dpi=120)
    print("  wrote output/axon_dbs_field.png")


if __name__ == "__main__":
    main()
