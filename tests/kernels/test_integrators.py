"""The shared integrators (``kernels/integrators.py``) against the formulas they replaced.

References: the textbook formulas, written out here in the order the kernels used to write them
(classical RK4 ``y + h/6 (k1 + 2 k2 + 2 k3 + k4)`` with stages ``y + (h/2) k``; GSL's Fehlberg
4(5) step ``y + h sum_j a_j k_j``; exponential Euler ``x_inf + (x - x_inf) exp(-rate h)``).
The generic tableau step performs the same floating-point operations in the same order, so the
results are bitwise equal (compared compiled, float64 and float32): NEST's RKF45 scheme is
validated step by step (tests/test_vs_nest.py) and must not move by a rounding.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pynn_cbgtc_jax.kernels import integrators

pytestmark = pytest.mark.usefixtures("x64")         # tests/kernels/conftest.py


def _f(y, x):
    """A stiff-ish nonlinear pair with a stage input (an AdEx-like membrane and adaptation)."""
    v, w = y
    return ((-(v + 65.0) + 2.0 * jnp.exp((v + 50.0) / 2.0) + x * (0.0 - v) - w) / 10.0,
            (0.004 * (v + 65.0) - w) / 100.0)


def _textbook_rk4(f, y, h, stages):
    x0, xh, x1 = stages

    def axpy(a, dy):
        return tuple(yi + a * di for yi, di in zip(y, dy))

    k1 = f(y, x0)
    k2 = f(axpy(0.5 * h, k1), xh)
    k3 = f(axpy(0.5 * h, k2), xh)
    k4 = f(axpy(h, k3), x1)
    return tuple(yi + (h / 6.0) * (a + 2.0 * b + 2.0 * c + d)
                 for yi, a, b, c, d in zip(y, k1, k2, k3, k4))


_A = ((0.25,), (3.0 / 32.0, 9.0 / 32.0), (1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0),
      (8341.0 / 4104.0, -32832.0 / 4104.0, 29440.0 / 4104.0, -845.0 / 4104.0),
      (-6080.0 / 20520.0, 41040.0 / 20520.0, -28352.0 / 20520.0, 9295.0 / 20520.0,
       -5643.0 / 20520.0))
_B5 = (902880.0 / 7618050.0, 0.0, 3953664.0 / 7618050.0, 3855735.0 / 7618050.0,
       -1371249.0 / 7618050.0, 277020.0 / 7618050.0)
_E = (1.0 / 360.0, 0.0, -128.0 / 4275.0, -2197.0 / 75240.0, 1.0 / 50.0, 2.0 / 55.0)


def _textbook_rkf45(f, y, h):
    def combine(coeffs, ks):
        return tuple(yi + h * sum(a * k[i] for a, k in zip(coeffs, ks) if a != 0.0)
                     for i, yi in enumerate(y))
    ks = [f(y)]
    for row in _A:
        ks.append(f(combine(row, ks)))
    y_err = tuple(h * sum(e * k[i] for e, k in zip(_E, ks) if e != 0.0) for i in range(len(y)))
    y_new = combine(_B5, ks)
    return y_new, y_err, f(y_new)


def _states(dtype):
    v = jnp.asarray(np.linspace(-70.0, -45.0, 64), dtype)
    return (v, jnp.asarray(np.linspace(0.0, 0.3, 64), dtype)), jnp.asarray(0.01, dtype)


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_rk4_is_the_textbook_formula_bitwise(dtype):
    y, g = _states(dtype)
    stages = (g, g * 0.9, g * 0.8)
    h = jnp.asarray(0.1, dtype)
    ours = jax.jit(jax.vmap(lambda y: integrators.rk4(_f, y, h, stages)))(y)
    ref = jax.jit(jax.vmap(lambda y: _textbook_rk4(_f, y, h, stages)))(y)
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
def test_rkf45_is_the_textbook_fehlberg_step_bitwise(dtype):
    y, g = _states(dtype)
    h = jnp.asarray(0.03, dtype)

    def f(y):
        return _f(y, g)
    ours = jax.jit(jax.vmap(lambda y: integrators.rkf45(f, y, f(y), h)))(y)
    ref = jax.jit(jax.vmap(lambda y: _textbook_rkf45(f, y, h)))(y)
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_tableaus_are_consistent():
    """Reference: the order conditions sum_j a_ij = c_i, sum_i b_i = 1 and sum_i e_i = 0 (Hairer,
    Norsett & Wanner II.1), to rounding of the coefficients."""
    for t in (integrators.RK4, integrators.RKF45):
        scales = t.a_scale or (1.0,) * len(t.a)
        np.testing.assert_allclose([s * sum(r) for s, r in zip(scales, t.a)], t.c, atol=1e-15)
        assert abs(sum(t.b) / t.b_denominator - 1.0) <= 1e-15
    assert abs(sum(integrators.RKF45.e)) <= 1e-15


def test_exponential_euler_relaxes_exactly_and_steps_the_rest_by_euler():
    """Reference: the closed form ``x_inf + (x - x_inf) exp(-rate h)`` of a linear relaxation
    with frozen coefficients, and forward Euler for a derivative leaf; bitwise."""
    y = {"x": jnp.asarray(0.2), "c": jnp.asarray(1.0)}
    lin = {"x": integrators.Relax(jnp.asarray(0.9), jnp.asarray(3.0)), "c": jnp.asarray(-0.5)}
    out = integrators.exponential_euler(y, lin, 0.1)
    assert float(out["x"]) == float(0.9 + (0.2 - 0.9) * jnp.exp(-3.0 * 0.1))
    assert float(out["c"]) == 1.0 + 0.1 * -0.5


def test_exponential_midpoint_is_second_order():
    """Reference: the analytic solution of ``dx/dt = -x^2`` (x(t) = 1/(1 + t)), written as a
    relaxation with rate ``x`` towards 0.  Second order: the error at t = 1 falls ~4x per halving
    of the step (3.5-4.5 allows for the next term)."""
    def lin(y):
        return (integrators.Relax(jnp.zeros_like(y[0]), y[0]),)
    errs = []
    for n in (10, 20, 40):
        y = (jnp.asarray(1.0),)
        for _ in range(n):
            y = integrators.exponential_midpoint(lin, y, 1.0 / n)
        errs.append(abs(float(y[0]) - 0.5))
    ratios = np.array(errs[:-1]) / np.array(errs[1:])
    assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios
