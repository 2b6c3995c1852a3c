"""Size of the compiled chunk program as a network grows, and what it costs to compile.

For families of networks that differ only in how many of one thing they hold -- populations of
one model (``same``), populations of different models (``mixed``), Poisson sources
(``sources``), source kinds (``source_kinds``), projections of one rule (``projections``), of
different synapse rules (``rules``), current sources of one kind into one population
(``electrodes``), of different kinds (``electrode_kinds``), one noisy current into each of N
populations (``electrode_targets``) -- this builds each network for N = 1, 2, 4, 8 (the kinds
families stop at the number of kinds), lowers and compiles its chunk (``engine/runner.py``),
and does the same for the every-feature network of ``bench_compile.py`` (``features``):

* ``stablehlo``: operations of the lowered module before XLA (what tracing produced);
* ``hlo``: instructions of XLA's optimized module, over all computations;
* ``fusion``, ``while``, ``cond``: fusion instructions, while loops and conditionals in it;
* ``trace+lower s`` and ``XLA s``: wall time of ``jit(...).lower()`` and of ``.compile()``.

The compilation cache is off (``PYNN_CBGTC_JAX_CACHE=0``) and every case runs in this one
process with JAX's in-memory caches cleared before each, so the times are those of a first
compile of that program.  The base network of a family (one IF_cond_exp population of 20
cells driven by one Poisson source, spikes and ``v`` recorded) is the same for every N.
Prints one Markdown table; ``--output FILE`` appends it.

    PYTHONPATH=. python validation/benchmarks/bench_program_size.py
    PYTHONPATH=. python validation/benchmarks/bench_program_size.py \
        --families same,rules --sizes 1,8
"""
import argparse
import os
import platform
import re
import sys
import time
from collections import Counter

os.environ["PYNN_CBGTC_JAX_CACHE"] = "0"
os.environ.pop("JAX_COMPILATION_CACHE_DIR", None)

__all__ = ["hlo_counts", "stablehlo_ops", "main"]

_OPCODE = re.compile(r"^\s*(?:ROOT\s+)?%?[\w.\-]+ = .*? ([a-z][a-z0-9\-]*)\(")
_CELLS = 20


def hlo_counts(text: str) -> Counter:
    """Instruction opcodes of an optimized HLO module's text (``compiled.as_text()``)."""
    ops = Counter()
    for line in text.splitlines():
        m = _OPCODE.match(line)
        if m:
            ops[m.group(1)] += 1
    return ops


def stablehlo_ops(text: str) -> int:
    """Operations of a lowered StableHLO module's text (lines that assign a result)."""
    return sum(1 for line in text.splitlines() if re.match(r"^\s*%[\w#:]+ = ", line))


# --- networks -----------------------------------------------------------------------------------

def _models(sim):
    return [sim.IF_cond_exp, sim.IF_curr_alpha, sim.EIF_cond_exp_isfa_ista, sim.HH_cond_exp,
            sim.Izhikevich, sim.STN_RT2004, sim.GPe_RT2004, sim.TC_RT2004]


def _synapses(sim):
    return [sim.StaticSynapse(weight=0.002, delay=0.5),
            sim.TsodyksMarkramSynapse(weight=0.002, delay=0.5),
            sim.SimpleStochasticSynapse(weight=0.002, delay=0.5, p=0.5),
            sim.StochasticTsodyksMarkramSynapse(weight=0.002, delay=0.5),
            sim.MultiQuantalSynapse(weight=0.002, delay=0.5),
            sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                              weight_dependence=sim.AdditiveWeightDependence(w_max=0.01),
                              weight=0.002, delay=0.5),
            sim.STDPMechanism(timing_dependence=sim.Vogels2011Rule(),
                              weight_dependence=sim.AdditiveWeightDependence(w_max=0.01),
                              weight=0.002, delay=0.5)]


def _electrodes(sim):
    return [lambda: sim.DCSource(amplitude=0.1, start=1.0, stop=5.0),
            lambda: sim.ACSource(amplitude=0.1, frequency=10.0),
            lambda: sim.StepCurrentSource(times=[1.0, 2.0], amplitudes=[0.1, 0.2]),
            lambda: sim.NoisyCurrentSource(mean=0.0, stdev=0.05, dt=0.1),
            lambda: sim.DBSSource()]


def _sources(sim):
    return [lambda: sim.SpikeSourcePoisson(rate=30.0),
            lambda: sim.SpikeSourceGamma(alpha=2.0, beta=40.0),
            lambda: sim.SpikeSourceArray(spike_times=[1.0, 2.0]),
            lambda: sim.SpikeSourcePoissonRefractory(rate=30.0, tau_refrac=2.0)]


def _connect(sim, pre, post, synapse):
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed=1)),
                   synapse, receptor_type="excitatory")


def _network(sim, family: str, n: int):
    """Build family ``family`` with ``n`` of its varying element; returns nothing."""
    sim.setup(timestep=0.025, min_delay=0.1, rng_seed=1)
    drive = sim.Population(_CELLS, sim.SpikeSourcePoisson(rate=30.0))
    static = sim.StaticSynapse(weight=0.002, delay=0.5)
    if family in ("same", "mixed", "electrode_targets"):
        models = _models(sim)
        pops = [sim.Population(_CELLS, (models[i % len(models)] if family == "mixed"
                                        else models[0])()) for i in range(n)]
    else:
        pops = [sim.Population(_CELLS, sim.IF_cond_exp())]
    for pop in pops:
        _connect(sim, drive, pop, static)
        pop.record(["spikes", "v"])
    post = pops[0]
    if family in ("sources", "source_kinds"):
        kinds = _sources(sim)
        for i in range(n):
            source = sim.Population(_CELLS, kinds[0 if family == "sources" else i % len(kinds)]())
            _connect(sim, source, post, static)
    elif family in ("projections", "rules"):
        synapses = _synapses(sim)
        for i in range(n):
            _connect(sim, drive, post, synapses[0 if family == "projections"
                                                else i % len(synapses)])
    elif family in ("electrodes", "electrode_kinds"):
        kinds = _electrodes(sim)
        for i in range(n):
            kinds[0 if family == "electrodes" else i % len(kinds)]().inject_into(post)
    elif family == "electrode_targets":
        for pop in pops:
            _electrodes(sim)[3]().inject_into(pop)


def _measure(family: str, n: int) -> dict:
    import jax
    import jax.numpy as jnp
    import pynn_cbgtc_jax as sim
    from pynn_cbgtc_jax.engine import runner
    from pynn_cbgtc_jax.simulation import ensure_simulation
    runner._CACHE.clear()          # a program seen before would come back without compiling
    jax.clear_caches()
    if family == "features":
        from bench_compile import _features_network
        _features_network(sim)
    else:
        _network(sim, family, n)
    s = ensure_simulation(sim.simulator.state)
    args = (s.data, s.carry, jnp.int32(1))
    t0 = time.perf_counter()
    lowered = s.fn.lower(*args)
    t1 = time.perf_counter()
    compiled = lowered.compile()
    t2 = time.perf_counter()
    ops = hlo_counts(compiled.as_text())
    row = {"family": family, "n": n, "stablehlo": stablehlo_ops(lowered.as_text()),
           "hlo": sum(ops.values()), "fusion": ops["fusion"], "while": ops["while"],
           "cond": ops["conditional"], "lower_s": t1 - t0, "xla_s": t2 - t1,
           "load": os.getloadavg()[0]}
    sim.end()
    return row


FAMILIES = ("same", "mixed", "sources", "source_kinds", "projections", "rules", "electrodes",
            "electrode_kinds", "electrode_targets", "features")


def _sizes(family: str, sizes):
    """N of a family: the kinds families stop at the number of kinds there are."""
    import pynn_cbgtc_jax as sim
    kinds = {"mixed": _models, "source_kinds": _sources, "rules": _synapses,
             "electrode_kinds": _electrodes}.get(family)
    if family == "features":
        return [1]
    if kinds is None:
        return sizes
    k = len(kinds(sim))
    return sorted({min(n, k) for n in sizes} | ({k} if max(sizes) >= k else set()))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", default=",".join(FAMILIES),
                   help=f"comma-separated, of: {', '.join(FAMILIES)}")
    p.add_argument("--sizes", default="1,2,4,8", help="values of N (default 1,2,4,8)")
    p.add_argument("--output", help="append the Markdown table to this file")
    args = p.parse_args(argv)
    import jax
    rows = [f"python {platform.python_version()}, jax {jax.__version__}",
            "",
            "| family | N | StableHLO ops | HLO instr. | fusions | while | cond | "
            "trace+lower s | XLA s | load |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(rows), flush=True)
    for family in args.families.split(","):
        for n in _sizes(family, [int(x) for x in args.sizes.split(",")]):
            r = _measure(family, n)
            rows.append(f"| {family} | {n} | {r['stablehlo']:,} | {r['hlo']:,} | {r['fusion']} | "
                        f"{r['while']} | {r['cond']} | {r['lower_s']:.2f} | {r['xla_s']:.2f} | "
                        f"{r['load']:.1f} |")
            print(rows[-1], flush=True)
    if args.output:
        with open(args.output, "a") as f:
            f.write("\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    sys.exit(main())
