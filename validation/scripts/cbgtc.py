"""Cortico-basal ganglia-thalamo-cortical (CBGTC) loop network, for the validation suite.

A copy of ``shared/bench/cbgtc.py`` (not part of this repository) without the benchmark
plumbing: 8 populations (cortex E/I, striatal D1/D2, STN, GPe, GPi, thalamus; IF_cond_exp and
EIF_cond_exp_isfa_ista), 5000 neurons at ``--scale 1``, each driven by its own
SpikeSourcePoisson, 21 projections with 1-8 ms delays and a StepCurrentSource into a quarter
of STN during 40-60 % of the run.  Spikes of every neuron and v of the first 10 of each
population are recorded.

The simulator is chosen by importing ``pyNN.<--simulator>`` (``--simulator {sim}`` under
``pynn-cbgtc-jax compare``); ``--seed`` seeds connectivity, initial values and the
simulator's Poisson generators, which differ between simulators: compare statistically.

Usage::

    python cbgtc.py --simulator nest --seed 1 [--scale 0.5] [--duration 1000]
"""
import argparse
import importlib
import os

os.environ.setdefault("PYNEST_QUIET", "1")

MIN_DELAY = 1.0         # ms: shortest projection delay below
MAX_DELAY = 10.0        # ms: longest projection delay below
N_RECORD_V = 10         # neurons per population whose v is recorded
DEFAULT_SEED = 4242

# --- cell parameters (PyNN units: mV, ms, nF, uS, nA) -------------------------
_COND = {"e_rev_E": 0.0, "e_rev_I": -80.0, "tau_syn_E": 5.0, "tau_syn_I": 10.0}

CORTEX_E = dict(_COND, cm=0.25, tau_m=20.0, v_rest=-70.0, v_reset=-65.0,
                v_thresh=-50.0, tau_refrac=2.0)
CORTEX_I = dict(_COND, cm=0.25, tau_m=10.0, v_rest=-70.0, v_reset=-65.0,
                v_thresh=-50.0, tau_refrac=1.0)
# medium spiny neurons: hyperpolarised rest, fire sparsely
MSN = dict(_COND, cm=0.25, tau_m=20.0, v_rest=-80.0, v_reset=-65.0,
           v_thresh=-50.0, tau_refrac=2.0)
THALAMUS = dict(_COND, cm=0.20, tau_m=20.0, v_rest=-65.0, v_reset=-60.0,
                v_thresh=-50.0, tau_refrac=2.0)
# adaptive exponential integrate-and-fire (AdEx); a in nS, b in nA
_ADEX = dict(_COND, cm=0.10, tau_m=10.0, v_rest=-60.0, v_thresh=-50.0,
             delta_T=2.0, v_spike=-40.0, tau_refrac=2.0)
STN = dict(_ADEX, v_reset=-55.0, a=0.5, b=0.02, tau_w=100.0, i_offset=0.16)
GPE = dict(_ADEX, v_reset=-58.0, a=0.2, b=0.01, tau_w=50.0, i_offset=0.25)
GPI = dict(_ADEX, v_reset=-58.0, a=0.2, b=0.01, tau_w=50.0, i_offset=0.26)

# --- populations: label, size at scale 1, cell type, parameters,
#     background Poisson rate (Hz) and weight (uS) of each neuron's own source
POPULATIONS = [
    ("ctx_e", 1600, "IF_cond_exp", CORTEX_E, 1600.0, 0.0010),
    ("ctx_i", 400, "IF_cond_exp", CORTEX_I, 1100.0, 0.0020),
    ("d1", 1000, "IF_cond_exp", MSN, 450.0, 0.0020),
    ("d2", 1000, "IF_cond_exp", MSN, 450.0, 0.0020),
    ("stn", 200, "EIF_cond_exp_isfa_ista", STN, 400.0, 0.0010),
    ("gpe", 400, "EIF_cond_exp_isfa_ista", GPE, 500.0, 0.0010),
    ("gpi", 200, "EIF_cond_exp_isfa_ista", GPI, 500.0, 0.0010),
    ("th", 200, "IF_cond_exp", THALAMUS, 750.0, 0.0015),
]

# --- projections: pre, post, receptor, fan-in, weight (uS), delay (ms), rule
#     rule "number": FixedNumberPreConnector(fan-in)
#     rule "prob":   FixedProbabilityConnector(fan-in / n_pre)
# Weights are deliberately moderate: each population's rate is set mainly by
# its own drive and the loops only modulate it, which keeps the activity
# similar across scales, seeds and backends (strong coupling made the loop
# switch between a "cortex on" and a "GPi on" state during tuning).
PROJECTIONS = [
    # cortex: recurrent excitatory/inhibitory network
    ("ctx_e", "ctx_e", "excitatory", 160, 0.0002, 1.5, "prob"),
    ("ctx_e", "ctx_i", "excitatory", 160, 0.0005, 1.5, "prob"),
    ("ctx_i", "ctx_e", "inhibitory", 40, 0.0030, 1.0, "prob"),
    ("ctx_i", "ctx_i", "inhibitory", 40, 0.0030, 1.0, "prob"),
    # corticostriatal and hyperdirect (cortex -> STN) pathways
    ("ctx_e", "d1", "excitatory", 50, 0.0010, 4.0, "number"),
    ("ctx_e", "d2", "excitatory", 50, 0.0010, 4.0, "number"),
    ("ctx_e", "stn", "excitatory", 50, 0.0005, 2.5, "number"),
    # lateral inhibition between medium spiny neurons
    ("d1", "d1", "inhibitory", 10, 0.0005, 1.0, "prob"),
    ("d1", "d2", "inhibitory", 10, 0.0005, 1.0, "prob"),
    ("d2", "d1", "inhibitory", 10, 0.0005, 1.0, "prob"),
    ("d2", "d2", "inhibitory", 10, 0.0005, 1.0, "prob"),
    # direct pathway
    ("d1", "gpi", "inhibitory", 100, 0.0005, 5.0, "number"),
    # indirect pathway
    ("d2", "gpe", "inhibitory", 100, 0.0005, 5.0, "number"),
    ("gpe", "gpe", "inhibitory", 20, 0.0005, 1.0, "prob"),
    ("gpe", "stn", "inhibitory", 20, 0.0005, 4.0, "number"),
    ("stn", "gpe", "excitatory", 20, 0.0010, 2.0, "number"),
    ("stn", "gpi", "excitatory", 20, 0.0010, 1.5, "number"),
    ("gpe", "gpi", "inhibitory", 20, 0.0005, 3.0, "number"),
    # output to thalamus and back to cortex
    ("gpi", "th", "inhibitory", 20, 0.0003, 5.0, "number"),
    ("th", "ctx_e", "excitatory", 20, 0.0003, 8.0, "number"),
    ("th", "ctx_i", "excitatory", 20, 0.0003, 8.0, "number"),
]

# --- step current into part of STN --------------------------------------------
STN_STIM_FRACTION = 0.25        # first quarter of the STN cells
STN_STIM_WINDOW = (0.4, 0.6)    # fraction of the total simulated time
STN_STIM_AMPLITUDE = 0.1        # nA, on top of i_offset


def build_network(sim, args, rng):
    """Create populations, background inputs, projections, the STN current
    step and the recordings. Returns (populations, sources, projections)."""
    from pyNN.random import RandomDistribution

    pops = {}
    sources = []
    projections = []
    for label, n, celltype, params, bg_rate, bg_weight in POPULATIONS:
        size = max(1, int(round(n * args.scale)))
        pop = sim.Population(size, getattr(sim, celltype)(**params), label=label)
        # random initial membrane potential between reset and threshold
        pop.initialize(v=RandomDistribution("uniform", low=params["v_reset"],
                                            high=params["v_thresh"], rng=rng))
        pops[label] = pop

        # independent Poisson background: one source per neuron
        bg = sim.Population(size, sim.SpikeSourcePoisson(rate=bg_rate),
                            label=label + "_bg")
        sources.append(bg)
        projections.append(sim.Projection(
            bg, pop, sim.OneToOneConnector(),
            sim.StaticSynapse(weight=bg_weight, delay=MIN_DELAY),
            receptor_type="excitatory"))

    for pre, post, receptor, fan_in, weight, delay, rule in PROJECTIONS:
        n_pre = pops[pre].size
        if rule == "number":
            connector = sim.FixedNumberPreConnector(min(fan_in, n_pre), rng=rng)
        else:
            connector = sim.FixedProbabilityConnector(min(1.0, fan_in / n_pre), rng=rng)
        projections.append(sim.Projection(
            pops[pre], pops[post], connector,
            sim.StaticSynapse(weight=weight, delay=delay),
            receptor_type=receptor, label=pre + "->" + post))

    # current step into part of STN; step times on the time grid
    total = args.duration
    t_on, t_off = (round(round(f * total / args.dt) * args.dt, 6)
                   for f in STN_STIM_WINDOW)
    stn = pops["stn"]
    n_stim = max(1, int(round(STN_STIM_FRACTION * stn.size)))
    step = sim.StepCurrentSource(times=[t_on, t_off],
                                 amplitudes=[STN_STIM_AMPLITUDE, 0.0])
    stn[0:n_stim].inject(step)

    for pop in pops.values():
        pop.record("spikes")
        pop[0:min(N_RECORD_V, pop.size)].record("v")

    return list(pops.values()), sources, projections


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--simulator", default="nest", help="imports pyNN.<SIMULATOR>")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms")
    parser.add_argument("--dt", type=float, default=0.1, help="ms")
    parser.add_argument("--precision", default="float32", choices=["float32", "float64"],
                        help="pynn_cbgtc_jax only (default float32, its default)")
    args = parser.parse_args()
    sim = importlib.import_module("pyNN." + args.simulator)
    from pyNN.random import NumpyRNG

    sim.setup(timestep=args.dt, min_delay=MIN_DELAY, max_delay=MAX_DELAY, rng_seed=args.seed,
              spike_precision="on_grid", verbosity="error", precision=args.precision)
    rng = NumpyRNG(seed=args.seed, parallel_safe=True)
    populations, _, _ = build_network(sim, args, rng)
    sim.run(args.duration)
    for pop in populations:
        n = sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains)
        print(f"{pop.label}: {n / pop.size / (args.duration / 1000.0):.2f} Hz")
    sim.end()


if __name__ == "__main__":
    main()
