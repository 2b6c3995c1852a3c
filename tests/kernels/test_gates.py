"""Shared numerics of the Rubin & Terman kernels (``kernels/_gates.py``): the sigmoid identity and
the two forms of their RK4 step, ``integrators.rk4_batched`` (a stacked state array on CPU,
variable by variable elsewhere)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pynn_cbgtc_jax.kernels import _gates, gp, integrators, stn, tc


def test_sigmoid_equals_the_logistic_form(x64):
    """Reference: ``1/(1+exp(x))`` in NumPy float64.  ``0.5 - 0.5 tanh(x/2)`` is an identity, so
    float64 agrees to rounding (measured 4.4e-16; tolerance 1e-15).  In float32 XLA's ``tanh``
    is a rational approximation: measured 1.45e-7 absolute (2.4 float32 ulps at 0.5),
    tolerance 2e-7."""
    x = np.linspace(-40.0, 40.0, 100_001)
    expected = 1.0 / (1.0 + np.exp(x))
    assert np.max(np.abs(np.asarray(_gates.sigmoid(jnp.asarray(x))) - expected)) <= 1e-15
    got32 = np.asarray(_gates.sigmoid(jnp.asarray(x, dtype=jnp.float32)), dtype=np.float64)
    assert np.max(np.abs(got32 - expected)) <= 2e-7


_CASES = {
    "stn": (stn, lambda: stn.default_stn_params(I_app=25.0)),
    "gp": (gp, gp.gpi_params),
    "tc": (tc, lambda: tc.default_tc_params(I_app=5.0)),
}


def _trace(kernel, params, integrate, n=None):
    """v over 100 ms (4 000 steps of 0.025 ms) from the steady state, for one neuron or for
    ``n`` identical neurons through ``jax.vmap``."""
    coeffs = kernel.prepare(params, 0.025)

    def step(s):
        return integrate(lambda y, c, i: kernel.derivatives(c, y, i), s, 0.025, coeffs,
                         params.I_app)

    if n is not None:
        step = jax.vmap(step)

    def body(s, _):
        s = step(s)
        return s, s.v

    s0 = kernel.initial_state(params)
    if n is not None:
        s0 = jax.tree_util.tree_map(lambda x: jnp.full((n,), x), s0)
    return np.asarray(jax.jit(lambda s: jax.lax.scan(body, s, None, length=4000)[1])(s0))


@pytest.mark.parametrize("name", _CASES)
def test_rk4_stacked_equals_unrolled(x64, name):
    """Reference: the RK4 step written variable by variable (the form used on GPU/TPU), run here
    on CPU.  The stacked CPU form (one ``[n_vars, n]`` array) performs the same operations in
    the same order; XLA fuses the two programs differently, so they agree to float64 rounding
    amplified on spike upstrokes (tolerance 1e-9 mV over 100 ms at dt = 0.025 ms), for one
    neuron and for a population (the ``custom_vmap`` rule), with the same spikes."""
    kernel, make_params = _CASES[name]
    params = make_params()
    v_unrolled = _trace(kernel, params, _unrolled_rk4)
    assert np.max(v_unrolled) > params.v_thresh  # the run contains spikes
    v_one = _trace(kernel, params, integrators.rk4_batched)
    assert np.max(np.abs(v_one - v_unrolled)) <= 1e-9
    v_pop = _trace(kernel, params, integrators.rk4_batched, n=3)
    assert v_pop.shape == (4000, 3)
    assert np.max(np.abs(v_pop - v_unrolled[:, None])) <= 1e-9


@pytest.mark.parametrize("name", _CASES)
def test_rk4_without_custom_vmap_is_the_same_step(x64, monkeypatch, name):
    """Issue 18 item 4: ``rk4_batched`` uses ``jax.custom_batching.custom_vmap`` and
    ``jax.lax.platform_dependent`` only where the installed JAX has them (``STACKED_RK4``, a
    feature check); without them it is the variable-by-variable step under plain ``jax.vmap``.
    Reference: the fast path of the installed JAX, for a population; the two agree to float64
    rounding amplified on spike upstrokes, as above (1e-9 mV over 100 ms)."""
    kernel, make_params = _CASES[name]
    params = make_params()
    fast = _trace(kernel, params, integrators.rk4_batched, n=3)
    monkeypatch.setattr(integrators, "STACKED_RK4", False)
    fallback = _trace(kernel, params, integrators.rk4_batched, n=3)
    assert np.max(fallback) > params.v_thresh
    assert np.max(np.abs(fallback - fast)) <= 1e-9


def _unrolled_rk4(rhs, y, dt, *args):
    return integrators._rk4_unrolled(rhs, y, jnp.asarray(dt), None, *args)


def test_rk4_population_mixes_shared_and_per_neuron_arguments(x64):
    """Reference: each neuron integrated alone.  The batching rule maps only the arguments that
    carry a neuron axis (here the state and the current) and broadcasts the rest; neurons are
    independent, so every column equals its single-neuron run to rounding (1e-12 mV)."""
    params = stn.default_stn_params()
    coeffs = stn.prepare(params, 0.025)
    currents = jnp.asarray([0.0, 10.0, 25.0])
    s0 = stn.initial_state(params)

    def run(i_app, n=None):
        def step(s, i):
            return integrators.rk4_batched(lambda y, c, i_: stn.derivatives(c, y, i_), s,
                                           0.025, coeffs, i)
        if n is None:
            def f(s):
                return step(s, i_app)
            s = s0
        else:
            def f(s):
                return jax.vmap(step)(s, i_app)
            s = jax.tree_util.tree_map(lambda x: jnp.full((n,), x), s0)
        def body(s, _):
            s = f(s)
            return s, s.v
        return np.asarray(jax.jit(lambda s: jax.lax.scan(body, s, None, length=400)[1])(s))

    together = run(currents, n=3)
    for j, i in enumerate(np.asarray(currents)):
        assert np.max(np.abs(together[:, j] - run(float(i)))) <= 1e-12


def test_rk4_is_differentiable(x64):
    """Reference: a central finite difference in float64 (h = 1e-5 µA/cm²: truncation ~h² and
    rounding ~1e-16/h are both far below the 1e-8 tolerance).  The population batching rule of
    ``rk4_batched`` is not differentiable by itself; derivatives come from the variable-by-variable
    form of the same step, for one neuron and under ``vmap``."""
    params = stn.default_stn_params()
    coeffs = stn.prepare(params, 0.025)
    s0 = stn.initial_state(params)

    def v_after(i_inj):
        return jax.lax.fori_loop(0, 20, lambda _, s: stn.step(coeffs, s, i_inj)[0], s0).v

    h = 1e-5
    expected = (float(v_after(3.0 + h)) - float(v_after(3.0 - h))) / (2 * h)
    assert expected > 0.0
    assert abs(float(jax.jit(jax.grad(v_after))(3.0)) - expected) <= 1e-8
    grads = jax.jit(jax.vmap(jax.grad(v_after)))(jnp.full(3, 3.0))
    np.testing.assert_allclose(np.asarray(grads), expected, atol=1e-8)
