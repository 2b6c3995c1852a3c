"""Shared numerics of the Rubin & Terman kernels (``kernels/_gates.py``): the sigmoid identity and
the two forms of the RK4 step (a stage loop on CPU, unrolled elsewhere)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pynn_cbgtc_jax.kernels import _gates, gp, stn, tc


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


@pytest.mark.parametrize("name", _CASES)
def test_rk4_loop_equals_unrolled(x64, name):
    """Reference: the unrolled RK4 (the form used on GPU/TPU), run here on CPU.  The CPU stage
    loop performs the same operations in the same order; XLA fuses the two programs
    differently, so they agree to float64 rounding amplified on spike upstrokes (measured
    6e-12 mV for STN over 100 ms at dt = 0.025 ms; tolerance 1e-9 mV), with the same spikes."""
    kernel, make_params = _CASES[name]
    params = make_params()
    coeffs = kernel.prepare(params, 0.025)
    rhs_coeffs = coeffs if kernel is stn else coeffs.params

    def run(integrate):
        def body(s, _):
            s = integrate(lambda y: kernel._derivatives(rhs_coeffs, y, params.I_app), s, 0.025)
            return s, s.v
        return jax.jit(lambda s: jax.lax.scan(body, s, None, length=4000)[1])(
            kernel.initial_state(params))

    v_loop = np.asarray(run(_gates._rk4_looped))
    v_unrolled = np.asarray(run(_gates._rk4_unrolled))
    assert np.max(v_unrolled) > params.v_thresh  # the run contains spikes
    assert np.max(np.abs(v_loop - v_unrolled)) <= 1e-9
    np.testing.assert_array_equal(np.asarray(run(_gates.rk4)), v_loop)  # CPU: rk4 is the loop
