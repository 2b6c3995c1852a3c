"""Vogels-Abbott COBA network (Brette et al. 2007, benchmark 2) on pynn_cbgtc_jax.

4000 IF_cond_exp neurons (3200 excitatory, 800 inhibitory), 2 % random connectivity, weights
4 nS / 51 nS, delays 0.2 ms, kicked by 20 Poisson sources for the first 50 ms and then
self-sustained.  Parameters from PyNN's examples/VAbenchmarks.py (Vogels & Abbott 2005,
J. Neurosci. 25:10786).

Writes ``output/va_benchmark.pkl`` (Neo pickle; use a .nix name for NIX) and
``output/va_benchmark_raster.png``, and prints
the firing rates and the build / run / data times.  Any PyNN backend runs it::

    python examples/va_benchmark.py                      # pynn_cbgtc_jax
    python examples/va_benchmark.py --simulator nest     # pyNN.nest, for comparison
"""
import argparse
import importlib
import os
import time

import numpy as np

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--simulator", default="pynn_cbgtc_jax",
               help="pynn_cbgtc_jax (default) or a pyNN backend such as nest")
p.add_argument("--duration", type=float, default=1000.0, help="simulated time (ms)")
p.add_argument("--scale", type=float, default=1.0, help="multiplies the population sizes")
p.add_argument("--seed", type=int, default=98765)
p.add_argument("--output", default="output", help="folder for the figure and the Neo file")
args = p.parse_args()

os.environ.setdefault("PYNEST_QUIET", "1")
sim = importlib.import_module(args.simulator if "." in args.simulator or
                              args.simulator == "pynn_cbgtc_jax" else "pyNN." + args.simulator)

t0 = time.perf_counter()
sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0)
n_exc, n_inh = int(3200 * args.scale), int(800 * args.scale)
cell = dict(tau_m=20.0, cm=0.2, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, tau_refrac=5.0,
            tau_syn_E=5.0, tau_syn_I=10.0, e_rev_E=0.0, e_rev_I=-80.0, i_offset=0.0)
rng = sim.NumpyRNG(seed=args.seed)
exc = sim.Population(n_exc, sim.IF_cond_exp(**cell), label="exc")
inh = sim.Population(n_inh, sim.IF_cond_exp(**cell), label="inh")
for pop in (exc, inh):
    pop.initialize(v=sim.RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng))
kick = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, start=0.0, duration=50.0),
                      label="kick")
p_conn = 0.02 / args.scale                  # keeps the fan-in of the original network
conn = sim.FixedProbabilityConnector(p_conn, rng=rng)
syn_e = sim.StaticSynapse(weight=0.004, delay=0.2)
syn_i = sim.StaticSynapse(weight=0.051, delay=0.2)
projections = [sim.Projection(exc, tgt, conn, syn_e, receptor_type="excitatory")
               for tgt in (exc, inh)]
projections += [sim.Projection(inh, tgt, conn, syn_i, receptor_type="inhibitory")
                for tgt in (exc, inh)]
projections += [sim.Projection(kick, tgt, sim.FixedProbabilityConnector(0.01, rng=rng),
                               sim.StaticSynapse(weight=0.1, delay=0.2)) for tgt in (exc, inh)]
exc.record("spikes")
inh.record("spikes")
exc[0:2].record("v")
t1 = time.perf_counter()
sim.run(args.duration)
t2 = time.perf_counter()
blocks = [pop.get_data() for pop in (exc, inh)]
t3 = time.perf_counter()

os.makedirs(args.output, exist_ok=True)
exc.write_data(os.path.join(args.output, "va_benchmark.pkl"))
n_syn = sum(prj.size() for prj in projections)
print(f"simulator {args.simulator}: {n_exc + n_inh} neurons, {n_syn} synapses, "
      f"{args.duration:g} ms")
for pop, block in zip((exc, inh), blocks):
    n_spikes = sum(len(st) for st in block.segments[0].spiketrains)
    print(f"  {pop.label}: mean rate {n_spikes / pop.size / (args.duration / 1000):.2f} Hz")
print(f"  build {t1 - t0:.2f} s, run {t2 - t1:.2f} s (incl. compilation), "
      f"get_data {t3 - t2:.2f} s")

import matplotlib                                                  # noqa: E402
matplotlib.use("Agg")
import matplotlib.pyplot as plt                                    # noqa: E402

fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6), sharex=True,
                               gridspec_kw={"height_ratios": [3, 1]})
for k, st in enumerate(blocks[0].segments[0].spiketrains[:400]):
    ax1.plot(st.magnitude, np.full(len(st), k), "|", ms=2, color="k")
ax1.set_ylabel("excitatory cell")
ax1.set_title(f"Vogels-Abbott COBA on {args.simulator}")
v = blocks[0].segments[0].filter(name="v")[0]
ax2.plot(v.times.magnitude, v.magnitude[:, 0], lw=0.7)
ax2.set_xlabel("time (ms)")
ax2.set_ylabel("v (mV)")
fig.tight_layout()
png = os.path.join(args.output, "va_benchmark_raster.png")
fig.savefig(png, dpi=100)
print(f"  wrote {png} and {os.path.join(args.output, 'va_benchmark.pkl')}")
sim.end()
