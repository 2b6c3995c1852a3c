"""Kernel throughput: neuron-steps per second of single models batched with jax.vmap.

For LIF (IF_cond_exp), AdEx (EIF_cond_exp_isfa_ista) and the Rubin-Terman STN kernel, at
population sizes 1e2 ... 1e5 (``--sizes``), one jit-compiled ``lax.scan`` of ``--steps``
steps with constant input; prints a Markdown table (time per step, neuron-steps/s).

    python validation/benchmarks/bench_kernels.py --sizes 100,1000,10000,100000
"""
import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

from pynn_cbgtc_jax.kernels import stn
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


def _stn(n, steps, dt):
    params = stn.default_stn_params()
    state = stn.create_population_state(n, heterogeneity=0.05, key=0)
    pop = stn.create_vectorized_stn(compile=False)
    i_ext = jnp.full(n, 5.0, jnp.float32)

    @jax.jit
    def run(state):
        return jax.lax.scan(lambda s, _: (pop(s, params, dt, i_ext, jnp.zeros(n), 0.0)[0], None),
                            state, None, length=steps)[0]
    return run, state


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100,1000,10000,100000")
    p.add_argument("--steps", type=int, default=200)
    args = p.parse_args(argv)
    print(f"device: {jax.devices()[0]}")
    print("| model | dt (ms) | neurons | ms per step | neuron-steps/s |\n|---|---:|---:|---:|---:|")
    for label, make, dt in (("IF_cond_exp", lambda n, s, d: _point_model("IF_cond_exp", n, s, d), 0.1),
                            ("EIF_cond_exp_isfa_ista",
                             lambda n, s, d: _point_model("EIF_cond_exp_isfa_ista", n, s, d), 0.1),
                            ("STN (Rubin-Terman + I_h)", _stn, 0.025)):
        for n in [int(x) for x in args.sizes.split(",")]:
            run, state = make(n, args.steps, dt)
            jax.block_until_ready(run(state))
            t0 = time.perf_counter()
            jax.block_until_ready(run(state))
            per_step = (time.perf_counter() - t0) / args.steps
            print(f"| {label} | {dt} | {n} | {per_step * 1e3:.4f} | {n / per_step:.3g} |",
                  flush=True)


if __name__ == "__main__":
    main()
