"""A small recurrent network in plain PyNN, deterministic input (issue 12 item 1).

Usage: ``python recurrent_net.py [--simulator NAME] [--duration MS] [--perturb-on NAME]
[--perturb-pop LABEL] [--tau-m-scale X] [--p P] [--w-e W] [--w-i W] [--w-in W] [--seed N]
[--trial N]``.

IF_cond_exp excitatory (160) and inhibitory (40) cells and an AdEx population (50,
EIF_cond_exp_isfa_ista), driven by 100 ``SpikeSourceArray`` cells with fixed times drawn from
NumPy (no Poisson source, so ``compare`` chooses the exact mode) through a
``FixedNumberPreConnector``; recurrent ``FixedProbabilityConnector`` (probability ``--p``,
weights ``--w-e`` / ``--w-i`` uS), both with a seeded ``NumpyRNG``.  The defaults put it in
a strongly recurrent regime (exc ~65 Hz, inh ~33 Hz, AdEx ~250 Hz) where, in float64, it
runs spike for spike with NEST for ~380 ms and then diverges; weaker coupling (e.g.
``--p 0.1 --w-e 0.001 --w-i 0.03 --w-in 0.006``) stays spike-exact for the whole 500 ms.
``--seed N`` (default 0) shifts the seeds of the input times and of the connectivity, a
variant of the same network for seed-to-seed statistics.  ``--trial N`` (N > 0) moves the
initial ``v`` of every cell by a draw of N(0, 1 mV) from a ``NumpyRNG(seed=N)``, the same draw
in both simulators: the same network from another start, one trajectory per trial
(trial-to-trial statistics of one network).  With
``--perturb-on NAME`` the run whose ``--simulator`` is NAME multiplies ``tau_m`` of
population ``--perturb-pop`` by ``--tau-m-scale`` (a deliberate model error on one side).
"""
import argparse

import numpy as np
from pyNN.random import NumpyRNG

parser = argparse.ArgumentParser()
parser.add_argument("--simulator", default="nest")
parser.add_argument("--duration", type=float, default=500.0)
parser.add_argument("--perturb-on", default="")
parser.add_argument("--perturb-pop", default="exc")
parser.add_argument("--tau-m-scale", type=float, default=1.1)
parser.add_argument("--p", type=float, default=0.3)
parser.add_argument("--w-e", type=float, default=0.004)
parser.add_argument("--w-i", type=float, default=0.2)
parser.add_argument("--w-in", type=float, default=0.01)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--trial", type=int, default=0)
args = parser.parse_args()

import pyNN.nest as sim    # noqa: E402  (pynn_cbgtc_jax in our run)

sim.setup(timestep=0.1, min_delay=0.5, max_delay=5.0)


def scale(label):
    return args.tau_m_scale if (args.perturb_on == args.simulator
                                and args.perturb_pop == label) else 1.0


lif = dict(cm=0.2, tau_refrac=2.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-50.0,
           e_rev_E=0.0, e_rev_I=-80.0, tau_syn_E=5.0, tau_syn_I=10.0)
exc = sim.Population(160, sim.IF_cond_exp(tau_m=20.0 * scale("exc"), **lif), label="exc")
inh = sim.Population(40, sim.IF_cond_exp(tau_m=20.0 * scale("inh"), **lif), label="inh")
adex = sim.Population(50, sim.EIF_cond_exp_isfa_ista(tau_m=15.0 * scale("adex"), a=4.0,
                                                      b=0.08, tau_w=100.0),
                      label="adex")
for p in (exc, inh, adex):
    if args.trial:
        jitter = NumpyRNG(seed=args.trial + 100 * p.size).normal(0.0, 1.0, p.size)
        p.initialize(v=-65.0 + jitter)
    else:
        p.initialize(v=-65.0)

rng = np.random.RandomState(7 + 1000 * args.seed)
times = [np.round(np.sort(rng.uniform(1.0, args.duration, rng.poisson(0.02 * args.duration))),
                  1) for _ in range(100)]
stim = sim.Population(100, sim.SpikeSourceArray(spike_times=[list(t) for t in times]),
                      label="stim")

conn_rng = NumpyRNG(seed=11 + 1000 * args.seed)
fp = sim.FixedProbabilityConnector(args.p, rng=conn_rng)
syn = sim.StaticSynapse
sim.Projection(stim, exc, sim.FixedNumberPreConnector(10, rng=conn_rng),
               syn(weight=args.w_in, delay=1.0), receptor_type="excitatory")
sim.Projection(stim, inh, sim.FixedNumberPreConnector(10, rng=conn_rng),
               syn(weight=args.w_in, delay=1.0), receptor_type="excitatory")
sim.Projection(stim, adex, sim.FixedNumberPreConnector(10, rng=conn_rng),
               syn(weight=args.w_in, delay=1.0), receptor_type="excitatory")
sim.Projection(exc, exc, fp, syn(weight=args.w_e, delay=1.5), receptor_type="excitatory")
sim.Projection(exc, inh, fp, syn(weight=args.w_e, delay=1.5), receptor_type="excitatory")
sim.Projection(exc, adex, fp, syn(weight=args.w_e, delay=1.5), receptor_type="excitatory")
sim.Projection(inh, exc, fp, syn(weight=args.w_i, delay=1.0), receptor_type="inhibitory")
sim.Projection(inh, inh, fp, syn(weight=args.w_i, delay=1.0), receptor_type="inhibitory")
sim.Projection(adex, exc, fp, syn(weight=0.002, delay=2.0), receptor_type="excitatory")

for p in (exc, inh, adex):
    p.record("spikes")
exc[:5].record("v")
adex[:5].record("v")
sim.run(args.duration)
for p in (exc, inh, adex):
    n = p.get_spike_counts()
    print(p.label, "rate", sum(n.values()) / len(p) / args.duration * 1000.0, "Hz")
sim.end()
