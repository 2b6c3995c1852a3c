"""Ensembles (issue 14): N members in one compiled run against N separate single runs.

Two networks: the CBGTC example (``examples/cbgtc_parkinson_dbs.py``, ``build("dbs")``: ~140
cells, Rubin-Terman STN/GPe/GPi/TC, dt 0.025 ms) and the Vogels-Abbott COBA network (4000
IF_cond_exp cells, dt 0.1 ms, the model of ``validation/scripts/coba.py``).  The members differ
in their seed (``setup(rng_seed=sim.Batch(...))``), so every member is the same network with
its own Poisson input.

Per N, with the program already compiled (every configuration is built and run once
untimed first): the wall time of ``run(--duration)`` of the N-member ensemble, members x
simulated seconds per wall second, the speed-up over N single runs, and the same for the
whole script -- build, ``run(--warmup)`` and ``run(--duration)`` (the "whole" columns: what a
sweep of N separate runs of a script costs once its program is cached).  ``groups``: the
groups of members that ran side by side on the CPU cores (``MemberGroups``; 1: one program,
or groups taking turns because the ensemble does not fit the device at once).
The single run is timed ``--sequential`` times (different seeds) and its mean is multiplied by
N: the sequential columns are that extrapolation, not N measured runs.  A 2-core machine
shared with other jobs gives figures that move by tens of percent between runs: compare
within one run.

Usage::

    python validation/benchmarks/bench_ensembles.py [--networks cbgtc coba]
        [--members 1 2 4 8 16 32 64] [--coba-members 1 2 4 8] [--duration 200]

A benchmark, not a test: it prints figures (see ``tests/test_ensembles.py`` for the bitwise
equality of every member with its single run).
"""
from __future__ import annotations

import argparse
import importlib.util
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]

# --- COBA: validation/scripts/coba.py's network --------------------------------------------
def _coba_module():
    spec = importlib.util.spec_from_file_location(
        "coba_validation", ROOT / "validation" / "scripts" / "coba.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_coba(sim, seed):
    """The COBA network; ``seed`` (a number or ``sim.Batch``) seeds the Poisson kick, the
    connectivity and initial values are drawn from a fixed seed (the same for every member)."""
    coba = _coba_module()
    sim.setup(timestep=0.1, min_delay=coba.DELAY, max_delay=1.0, rng_seed=seed)
    coba.build(sim, seed, sim.NumpyRNG(seed=98765))


def _cbgtc_module():
    """The example script as a module (its argument parser reads ``sys.argv``)."""
    argv, sys.argv = sys.argv, [sys.argv[0]]
    try:
        spec = importlib.util.spec_from_file_location(
            "cbgtc_example", ROOT / "examples" / "cbgtc_parkinson_dbs.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.argv = argv
    return module


def _timed(sim, build, seed, warmup, duration):
    """Build, run ``warmup`` ms, run ``duration`` ms; ``(whole, run, groups)``: the seconds of
    all three (build and warm-up included), of ``run(duration)`` alone, and the groups of
    members that ran side by side (1: one program, or groups taking turns)."""
    t0 = time.perf_counter()
    build(seed)
    sim.run(warmup)
    t1 = time.perf_counter()
    sim.run(duration)
    t2 = time.perf_counter()
    simulation = sim.simulator.state.simulation
    groups = getattr(simulation, "workers", 1)
    sim.end()
    return t2 - t0, t2 - t1, groups


def bench(name, sim, build, members, args):
    _timed(sim, build, 999, args.warmup, args.duration)            # compiles
    singles = [_timed(sim, build, 1000 + s, args.warmup, args.duration)
               for s in range(args.sequential)]
    whole1 = sum(s[0] for s in singles) / len(singles)
    single = sum(s[1] for s in singles) / len(singles)
    sim_s = args.duration / 1000.0
    print(f"\n{name}: run({args.duration:g} ms) after a {args.warmup:g} ms warm-up; one "
          f"single run {single:.3f} s, {whole1:.3f} s with its build and warm-up (mean of "
          f"{len(singles)}, program compiled); sequential = N x that")
    print(f"{'N':>4} {'groups':>6} {'run s':>8} {'member sim s/s':>15} {'sequential s':>13} "
          f"{'speed-up':>9} {'x one member':>13} {'whole s':>8} {'seq. whole s':>13} "
          f"{'speed-up':>9}")
    for n in members:
        seed = 1000 if n == 1 else sim.Batch([1000 + m for m in range(n)])
        _timed(sim, build, seed, args.warmup, args.duration)        # compiles
        whole, t, groups = _timed(sim, build, seed, args.warmup, args.duration)
        print(f"{n:>4} {groups:>6} {t:>8.3f} {n * sim_s / t:>15.2f} {n * single:>13.3f} "
              f"{n * single / t:>9.2f} {t / single:>13.2f} {whole:>8.3f} {n * whole1:>13.3f} "
              f"{n * whole1 / whole:>9.2f}", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--networks", nargs="+", default=["cbgtc", "coba"], choices=["cbgtc", "coba"])
    p.add_argument("--members", nargs="+", type=int, default=[1, 2, 4, 8, 16, 32, 64],
                   help="ensemble sizes of the CBGTC network")
    p.add_argument("--coba-members", nargs="+", type=int, default=[1, 2, 4, 8],
                   help="ensemble sizes of the COBA network")
    p.add_argument("--duration", type=float, default=200.0, help="timed run, ms")
    p.add_argument("--warmup", type=float, default=10.0, help="untimed first run, ms")
    p.add_argument("--sequential", type=int, default=3, help="single runs timed")
    args = p.parse_args()
    import jax
    print(f"jax {jax.__version__}, {jax.default_backend()}, "
          f"{len(jax.devices())} device(s)")
    if "cbgtc" in args.networks:
        ex = _cbgtc_module()
        bench("CBGTC example (build('dbs'))", ex.sim,
              lambda seed: ex.build("dbs", seed=seed), args.members, args)
    if "coba" in args.networks:
        import pynn_cbgtc_jax as sim
        bench("COBA 4000", sim, lambda seed: build_coba(sim, seed), args.coba_members, args)


if __name__ == "__main__":
    main()
