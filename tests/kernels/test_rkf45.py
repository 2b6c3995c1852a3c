"""RKF45 with GSL's step-size control (kernels/integrators.py): order, error control, step-size
rules.

References: the analytic solution of dy/dt = -y (and of a rotation), and the rules of GSL's
``ode-initval/cstd.c`` and ``evolve.c`` restated in the comment above ``integrators.rkf45``.
"""
import jax.numpy as jnp
import numpy as np
import pytest

from pynn_cbgtc_jax.kernels import integrators


pytestmark = pytest.mark.usefixtures("x64")         # tests/kernels/conftest.py


def _decay(y):
    return (-y[0],)


def test_fifth_order_local_error():
    """The solution carried on is Fehlberg's 5th-order one: local error ~ h^6 (ratio 2^6 = 64
    when h halves; 50-80 allows for the next term), and the error estimate ~ h^5 (ratio 32)."""
    errs, ests = [], []
    for h in (0.2, 0.1, 0.05):
        y = (jnp.float64(1.0),)
        y1, yerr, dydt = integrators.rkf45(_decay, y, _decay(y), h)
        errs.append(abs(float(y1[0]) - np.exp(-h)))
        ests.append(abs(float(yerr[0])))
        assert float(dydt[0]) == -float(y1[0])              # f at the new point
    assert 50 < errs[0] / errs[1] < 80 and 50 < errs[1] / errs[2] < 80
    assert 25 < ests[0] / ests[1] < 40 and 25 < ests[1] / ests[2] < 40


def _integrate(f, y, t1, h, eps):
    t, tries = 0.0, 0
    while t < t1:
        a = integrators.attempt(f, y, jnp.float64(t), jnp.float64(t1), jnp.float64(h),
                           (eps,) * len(y), eps)
        h, tries = float(a.h), tries + 1
        if bool(a.accepted):
            y, t = a.y, float(a.t)
    return y, t, h, tries


@pytest.mark.parametrize("eps", [1e-6, 1e-9])
def test_adaptive_integration_meets_tolerance(eps):
    """A rotation over one period with eps_abs = eps_rel = eps: the global error stays within
    a small multiple of eps per unit time (~40 accepted steps at 1e-6), the end is hit exactly."""
    def rot(y):
        return (-y[1], y[0])
    y, t, _, tries = _integrate(rot, (jnp.float64(1.0), jnp.float64(0.0)), 2 * np.pi, 0.1, eps)
    assert t == 2 * np.pi
    assert abs(float(y[0]) - 1.0) < 50 * eps and abs(float(y[1])) < 50 * eps
    assert tries < 2000


def test_step_size_rules():
    """GSL's rules: growth capped at 5x; a failing step shrinks by at most 5x and is retried;
    a step reaching past t1 is cut to end at t1 exactly."""
    y = (jnp.float64(1.0),)
    # tiny error: the next step is 5 times the (cut) step
    a = integrators.attempt(_decay, y, jnp.float64(0.0), jnp.float64(0.1), jnp.float64(0.01),
                       (1e-3,), 1e-3)
    assert bool(a.accepted) and float(a.t) == 0.01 and float(a.h) == pytest.approx(0.05)
    a = integrators.attempt(_decay, y, jnp.float64(0.05), jnp.float64(0.1), jnp.float64(1.0),
                       (1e-3,), 1e-3)
    assert bool(a.accepted) and float(a.t) == 0.1 and float(a.h) == pytest.approx(0.25)
    # far too large a step for the tolerance: rejected, retried 5 times smaller
    a = integrators.attempt(_decay, y, jnp.float64(0.0), jnp.float64(10.0), jnp.float64(5.0),
                       (1e-12,), 0.0)
    assert not bool(a.accepted) and float(a.h) == pytest.approx(1.0)
