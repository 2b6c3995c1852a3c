"""Kernel throughput: neuron-steps per second of single models batched with jax.vmap.

For LIF (IF_cond_exp), AdEx (EIF_cond_exp_isfa_ista) and the Rubin-Terman STN, GP and TC
kernels (seed API, ``create_vectorized_*``), at population sizes 1e2 ... 1e5 (``--sizes``), one
jit-compiled ``lax.scan`` of ``--steps`` steps with constant input; prints a Markdown table
(time per step, neuron-steps/s).  Each figure is the fastest of ``--repeat`` timed runs after
a warm-up run: on a shared machine the minimum is the least disturbed measurement.

    python validation/benchmarks/bench_kernels.py --sizes 100,1000,10000,100000
    python validation/benchmarks/bench_kernels.py --models STN,GP --sizes 10000
"""
import argparse
import time

import jax
import jax.numpy as jnp

from pynn_cbgtc_jax.kernels import gp, stn, tc
from pynn_cbgtc_jax.kernels._gates import perturbed_population, seed_step, vectorize_seed_step
from pynn_cbgtc_jax.kernels.base import Drive
from pynn_cbgtc_jax.kernels.registry import NEURON_MODELS


def _point_model(name, n, steps, dt):
    from pyNN.standardmodels import cells
    model = NEURON_MODELS[name]
    defaults = getattr(cells, name).default_parameters
    params = model.params(*[jnp.full(n, float(defaults[p]), jnp.float32)
                            for p in model.param_names])
    init = getattr(cells, name).default_initial_values
    state = model.state(*[jnp.zeros(n, jnp.int32) if f == "refrac" else
                          jnp.full(n, float(init.get(model.initial.get(f, f), 0.0)), jnp.float32)
                          for f in model.state._fields])
    coeffs = jax.vmap(model.prepare, in_axes=(0, None))(params, dt)
    drive = Drive(jnp.full(n, 0.001, jnp.float32), jnp.zeros(n, jnp.float32),
                  jnp.full(n, 0.5, jnp.float32))
    step = jax.vmap(model.step)

    @jax.jit
    def run(state):
        return jax.lax.scan(lambda s, _: (step(coeffs, s, drive)[0], None), state, None,
                            length=steps)[0]
    return run, state


def _rubin_terman(kernel, params, i_ext):
    """Factory for a seed-API population of ``kernel`` with a constant ``i_ext`` (µA/cm²)."""

    def make(n, steps, dt):
        state = perturbed_population(kernel.initial_state(params), n, 0.05, key=0)
        pop = vectorize_seed_step(seed_step(kernel.step, kernel.prepare), compile=False)
        i = jnp.full(n, i_ext, jnp.float32)

        @jax.jit
        def run(state):
            return jax.lax.scan(lambda s, _: (pop(s, params, dt, i, jnp.zeros(n), 0.0)[0], None),
                                state, None, length=steps)[0]
        return run, state
    return make


_stn = _rubin_terman(stn, stn.default_stn_params(), 5.0)
_gp = _rubin_terman(gp, gp.gpe_normal_params(), 0.0)
_tc = _rubin_terman(tc, tc.default_tc_params(), 5.0)

MODELS = {
    "IF_cond_exp": (lambda n, s, d: _point_model("IF_cond_exp", n, s, d), 0.1),
    "EIF_cond_exp_isfa_ista": (lambda n, s, d: _point_model("EIF_cond_exp_isfa_ista", n, s, d),
                               0.1),
    "STN": (_stn, 0.025),   # Rubin-Terman + I_h, 5 µA/cm² (12 Hz)
    "GP": (_gp, 0.025),     # normal GPe, 57 Hz; 0.025 ms is its DT_MAX
    "TC": (_tc, 0.025),     # 5 µA/cm² tonic drive
}
LABELS = {"STN": "STN (Rubin-Terman + I_h)", "GP": "GPe (Rubin-Terman)", "TC": "TC (Rubin-Terman)"}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100,1000,10000,100000")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3, help="timed runs per row; the fastest is shown")
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {list(MODELS)}")
    p.add_argument("--dt", type=float, default=None,
                   help="time step in ms for every model (default: each model's own, see table)")
    args = p.parse_args(argv)
    names = args.models.split(",")
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        p.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    print(f"device: {jax.devices()[0]}")
    print("| model | dt (ms) | neurons | ms per step | neuron-steps/s |\n|---|---:|---:|---:|---:|")
    for name in names:
        make, dt = MODELS[name]
        dt = dt if args.dt is None else args.dt
        for n in [int(x) for x in args.sizes.split(",")]:
            run, state = make(n, args.steps, dt)
            jax.block_until_ready(run(state))
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                jax.block_until_ready(run(state))
                times.append(time.perf_counter() - t0)
            per_step = min(times) / args.steps
            print(f"| {LABELS.get(name, name)} | {dt} | {n} | {per_step * 1e3:.4f} | "
                  f"{n / per_step:.3g} |", flush=True)


if __name__ == "__main__":
    main()
