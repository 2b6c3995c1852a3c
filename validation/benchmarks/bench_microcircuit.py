"""Potjans-Diesmann cortical microcircuit (issue 15): pynn_cbgtc_jax against pyNN.nest.

One PyNN script for both simulators (``--simulator nest|jax``): the model of
``microcircuit_model.py`` (Potjans & Diesmann 2014, 8 populations of IF_curr_exp, Poisson or
DC background) at ``--scale`` cells and ``--k-scale`` in-degrees.  The protocol is the
published one: build, a ``--warmup`` (500 ms) whose activity is discarded, then
``--sim-time`` (10 s) timed.  The warm-up is two ``run()`` calls: the first ``--first-run`` ms
carry the one-off costs (JAX compilation and the first chunk; NEST's connection finalisation
and its parrot neurons' connections), the rest is timed as warm-up.

Printed per run: build, first run, warm-up and simulation wall times, the real-time factor
(simulation wall / simulated time) and, with ``--record`` (the default; the published timing
protocol records nothing: ``--no-record``), per-population rates over the timed run from
``get_spike_counts()`` (both backends count only recorded spikes), each with its standard
error over cells, next to the full-scale rates of the reference implementations.  The last
line is the run as JSON (``"kind": "run"``).

``--compare`` runs the same options on NEST and then on pynn_cbgtc_jax, each in its own
process, and prints the time ratios us / NEST -- stepping alone and everything (build + first
run + warm-up + simulation) -- and a table of rates on both with their ratio and a z-score
(the difference over the combined standard errors over cells); then one JSON line
(``"kind": "compare"``) holding both runs.  Both backends build the same network (PyNN's
NumpyRNG semantics: every connection, weight and delay is equal); the Poisson input differs.
The z-score assumes independent cells: in a synchronous state (e.g. ``--scale 0.01 --k-scale
1``) the population fluctuates as a whole and the yardstick is the rates' spread over
Poisson seeds, which ``--spread N`` measures (N more pynn_cbgtc_jax runs, ``--rng-seed``
seed+1 .. seed+N).

Usage::

    python validation/benchmarks/bench_microcircuit.py --simulator jax --scale 0.1
    python validation/benchmarks/bench_microcircuit.py --compare --scale 0.1 --k-scale 0.1 \\
        --threads 2 [--json results.jsonl]

pyNN.nest runs with ``spike_precision="on_grid"`` (``--spike-precision``): the published
model is NEST's grid-based ``iaf_psc_exp`` with ``poisson_generator``; pyNN.nest's default,
``off_grid``, makes IF_curr_exp the precise-timing ``iaf_psc_exp_ps``.  pyNN.nest builds
``FixedTotalNumberConnector`` in a Python loop over synapses (on this 2-core machine 70 s for
the 3M synapses of ``--scale 0.1 --k-scale 0.1``, 24 minutes for the 30M of ``--k-scale 1``);
pynn_cbgtc_jax draws the same connections vectorised (1.1 s and 7 s).

A benchmark, not a test: it prints figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import microcircuit_model as mc  # noqa: E402  (next to this script)

SIMULATORS = {"nest": "pyNN.nest", "jax": "pynn_cbgtc_jax"}


def _parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--simulator", choices=sorted(SIMULATORS), default="jax")
    p.add_argument("--compare", action="store_true",
                   help="run NEST, then pynn_cbgtc_jax (separate processes) and compare")
    p.add_argument("--scale", type=float, default=0.1, help="N_scaling: fraction of the cells")
    p.add_argument("--k-scale", type=float, default=1.0,
                   help="K_scaling: fraction of the in-degrees (< 1: weights x 1/sqrt(K) and "
                        "a DC compensation)")
    p.add_argument("--drive", choices=["poisson", "dc"], default="poisson",
                   help="background: Poisson spike trains or their mean as a DC current")
    p.add_argument("--dt", type=float, default=0.1, help="time step, ms")
    p.add_argument("--warmup", type=float, default=500.0, help="discarded first part, ms")
    p.add_argument("--first-run", type=float, default=10.0,
                   help="first part of the warm-up, timed on its own (compilation), ms")
    p.add_argument("--sim-time", type=float, default=10000.0, help="timed simulation, ms")
    p.add_argument("--seed", type=int, default=55,
                   help="NumpyRNG seeds of the network: connections, weights, delays, initial V "
                        "(seed .. seed+3)")
    p.add_argument("--rng-seed", type=int, default=None,
                   help="setup(rng_seed): the simulator's own RNG, i.e. the Poisson input "
                        "(default: --seed)")
    p.add_argument("--threads", type=int, default=2, help="NEST threads")
    p.add_argument("--spike-precision", choices=["on_grid", "off_grid"], default="on_grid",
                   help="pyNN.nest's spike_precision")
    p.add_argument("--record", action=argparse.BooleanOptionalAction, default=True,
                   help="record spikes (rates); the published timing protocol records none")
    p.add_argument("--spread", type=int, default=0, metavar="N",
                   help="--compare: N more pynn_cbgtc_jax runs with other --rng-seed (the same "
                        "network, other Poisson input): the seed-to-seed range of the rates")
    p.add_argument("--json", metavar="FILE", help="append the JSON line(s) to FILE")
    p.add_argument("--timeout", type=float, default=7200.0,
                   help="--compare: seconds allowed per simulator")
    return p


def _setup_kwargs(args):
    kwargs = dict(timestep=args.dt, min_delay=args.dt, max_delay=mc.MAX_DELAY,
                  rng_seed=args.seed if args.rng_seed is None else args.rng_seed)
    if args.simulator == "nest":
        kwargs.update(threads=args.threads, spike_precision=args.spike_precision,
                      verbosity="error")
    return kwargs


def _counts(pops):
    """Spikes so far per population (recorded cells only)."""
    return {label: int(sum(pop.get_spike_counts().values())) for label, pop in pops.items()}


def _cell_rates(pop, before, seconds):
    """Per-cell rates (Hz) over the timed run: counts now minus ``before`` ({id: count})."""
    now = pop.get_spike_counts()
    return np.array([now.get(i, 0) - before.get(i, 0) for i in pop.all_cells]) / seconds


def _versions():
    from importlib import metadata
    out = {}
    for module, dist in (("pyNN", "PyNN"), ("nest", None), ("jax", "jax"),
                         ("pynn_cbgtc_jax", "pynn_cbgtc_jax")):
        if module in sys.modules:
            version = getattr(sys.modules[module], "__version__", None)
            if version is None and dist:
                try:
                    version = metadata.version(dist)
                except metadata.PackageNotFoundError:
                    version = "?"
            out[module] = str(version)
    return out


def run_one(args):
    """Build, warm up and simulate on ``args.simulator``; returns the result dict."""
    wall, load_start = {}, os.getloadavg()[0]
    t = time.perf_counter()
    if args.simulator == "nest":
        os.environ.setdefault("PYNEST_QUIET", "1")
    import importlib
    sim = importlib.import_module(SIMULATORS[args.simulator])
    wall["import"] = time.perf_counter() - t

    model = mc.scaled(args.scale, args.k_scale, args.drive)
    t = time.perf_counter()
    sim.setup(**_setup_kwargs(args))
    pops, projections = mc.build(sim, model, args.seed, args.dt, args.record)
    wall["build"] = time.perf_counter() - t

    first = min(args.first_run, args.warmup)
    for phase, ms in (("first_run", first), ("warmup", args.warmup - first)):
        t = time.perf_counter()
        if ms > 0:
            sim.run(ms)
        wall[phase] = time.perf_counter() - t
    before = {label: pop.get_spike_counts() for label, pop in pops.items()} if args.record else {}
    t, c = time.perf_counter(), time.process_time()
    sim.run(args.sim_time)
    wall["sim"], cpu_sim = time.perf_counter() - t, time.process_time() - c

    rates, sems = {}, {}
    if args.record:
        t = time.perf_counter()
        for label, pop in pops.items():
            r = _cell_rates(pop, before[label], args.sim_time / 1000.0)
            rates[label] = float(r.mean())
            sems[label] = float(r.std(ddof=1) / np.sqrt(r.size)) if r.size > 1 else 0.0
        wall["counts"] = time.perf_counter() - t
    sim.end()
    return {
        "kind": "run", "benchmark": "microcircuit", "simulator": args.simulator,
        "scale": args.scale, "k_scale": args.k_scale, "drive": args.drive, "dt": args.dt,
        "n_neurons": int(model.sizes.sum()),
        "n_synapses": int(model.synapses.sum()
                          + (model.sizes.sum() if args.drive == "poisson" else 0)),
        "n_projections": len(projections),
        "threads": args.threads if args.simulator == "nest" else None,
        "spike_precision": args.spike_precision if args.simulator == "nest" else "on_grid",
        "seed": args.seed, "rng_seed": args.seed if args.rng_seed is None else args.rng_seed,
        "record": args.record,
        "first_run_ms": first, "warmup_ms": args.warmup, "sim_time_ms": args.sim_time,
        "import_s": round(wall["import"], 3), "build_s": round(wall["build"], 3),
        "first_run_s": round(wall["first_run"], 3), "warmup_s": round(wall["warmup"], 3),
        "sim_s": round(wall["sim"], 3), "sim_cpu_s": round(cpu_sim, 3),
        "counts_s": round(wall.get("counts", 0.0), 3),
        "rtf": round(wall["sim"] / (args.sim_time / 1000.0), 4),
        "rates_hz": {k: round(v, 4) for k, v in rates.items()},
        "rate_sem_hz": {k: round(v, 4) for k, v in sems.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "host_cpus": os.cpu_count(), "loadavg_start": round(load_start, 2),
        "loadavg_end": round(os.getloadavg()[0], 2),
        "python": platform.python_version(), "versions": _versions(),
    }


def print_run(r):
    label = r["simulator"] + (f" ({r['threads']} threads, {r['spike_precision']})"
                              if r["simulator"] == "nest" else "")
    print(f"\nmicrocircuit on {label}: scale {r['scale']:g}, K scale {r['k_scale']:g}, "
          f"{r['drive']} drive, {r['n_neurons']} cells, {r['n_synapses']} synapses, "
          f"dt {r['dt']:g} ms")
    print(f"  build                {r['build_s']:9.2f} s")
    print(f"  first run {r['first_run_ms']:6g} ms  {r['first_run_s']:9.2f} s   "
          "(compilation + first chunk / NEST's finalisation)")
    print(f"  warm-up   {r['warmup_ms'] - r['first_run_ms']:6g} ms  {r['warmup_s']:9.2f} s")
    print(f"  simulation {r['sim_time_ms']:5g} ms  {r['sim_s']:9.2f} s   "
          f"(CPU {r['sim_cpu_s']:.1f} s)")
    print(f"  real-time factor     {r['rtf']:9.3f}")
    if r["rates_hz"]:
        print(f"  {'population':<10} {'rate Hz':>9} {'+- sem':>7} {'full-scale ref':>15}")
        for i, pop in enumerate(mc.POPULATIONS):
            print(f"  {pop:<10} {r['rates_hz'][pop]:9.3f} {r['rate_sem_hz'][pop]:7.3f} "
                  f"{mc.FULL_MEAN_RATES[i]:15.3f}")
    print(json.dumps(r), flush=True)


def _child(args, simulator, extra=()):
    """Run this script for one simulator in its own process (``extra``: more options, which
    win over the parent's); its result dict."""
    argv = [a for a in sys.argv[1:] if a != "--compare"]
    if "--json" in argv:                                 # the parent writes the lines
        i = argv.index("--json")
        del argv[i:i + 2]
    cmd = [sys.executable, os.path.abspath(__file__), *argv, "--simulator", simulator, *extra]
    print(f"$ {' '.join(cmd)}", flush=True)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYNEST_QUIET="1"))
    result = None
    try:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.startswith("{"):
                result = json.loads(line)
        proc.wait(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
    if proc.returncode != 0 or result is None:
        sys.exit(f"{simulator} run failed (exit status {proc.returncode})")
    return result


def compare(args):
    nest, ours = _child(args, "nest"), _child(args, "jax")
    rng_seed = args.seed if args.rng_seed is None else args.rng_seed
    spread = [_child(args, "jax", ["--rng-seed", str(rng_seed + 1 + i)])
              for i in range(args.spread if ours["rates_hz"] else 0)]
    total = {r["simulator"]: r["build_s"] + r["first_run_s"] + r["warmup_s"] + r["sim_s"]
             for r in (nest, ours)}
    out = {"kind": "compare", "benchmark": "microcircuit", "scale": args.scale,
           "k_scale": args.k_scale, "sim_time_ms": args.sim_time,
           "stepping_ratio": round(ours["sim_s"] / nest["sim_s"], 4),
           "total_ratio": round(total["jax"] / total["nest"], 4),
           "build_ratio": round(ours["build_s"] / nest["build_s"], 4),
           "rate_ratio": {}, "rate_z": {}, "nest": nest, "jax": ours,
           "jax_rng_seeds": [r["rng_seed"] for r in spread],
           "jax_seed_rates_hz": {pop: [ours["rates_hz"][pop]] + [r["rates_hz"][pop] for r in spread]
                                 for pop in (mc.POPULATIONS if ours["rates_hz"] else ())}}
    print(f"\n{'':<10} {'NEST':>10} {'jax':>10} {'jax/NEST':>9}")
    for key, name in (("build_s", "build s"), ("first_run_s", "first s"),
                      ("warmup_s", "warm-up s"), ("sim_s", "stepping s"), ("rtf", "RT factor")):
        print(f"{name:<10} {nest[key]:10.2f} {ours[key]:10.2f} {ours[key] / nest[key]:9.3f}")
    print(f"{'total s':<10} {total['nest']:10.2f} {total['jax']:10.2f} "
          f"{out['total_ratio']:9.3f}")
    if nest["rates_hz"] and ours["rates_hz"]:
        print(f"\n{'population':<10} {'NEST Hz':>9} {'jax Hz':>9} {'ratio':>7} "
              f"{'z cells':>7} {'jax over seeds':>16} {'full-scale ref':>15}")
        for i, pop in enumerate(mc.POPULATIONS):
            a, b = nest["rates_hz"][pop], ours["rates_hz"][pop]
            se = np.hypot(nest["rate_sem_hz"][pop], ours["rate_sem_hz"][pop])
            ratio = b / a if a > 0 else float("nan")
            z = (b - a) / se if se > 0 else float("nan")
            out["rate_ratio"][pop], out["rate_z"][pop] = round(ratio, 4), round(z, 2)
            seeds = out["jax_seed_rates_hz"][pop]
            span = f"{min(seeds):.3f}-{max(seeds):.3f}" if spread else ""
            print(f"{pop:<10} {a:9.3f} {b:9.3f} {ratio:7.3f} {z:7.2f} {span:>16} "
                  f"{mc.FULL_MEAN_RATES[i]:15.3f}")
    print(json.dumps(out), flush=True)
    return [out]


def main():
    args = _parser().parse_args()
    if args.compare:
        lines = compare(args)
    else:
        result = run_one(args)
        print_run(result)
        lines = [result]
    if args.json:
        with open(args.json, "a") as fh:
            for line in lines:
                fh.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
