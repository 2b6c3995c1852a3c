"""Controllers (cbgtc/controllers.py) and the beta biomarker (cbgtc/biomarkers.py) as pure JAX
functions, against NumPy/SciPy references: Fleming et al. 2020's controller rules stated call
by call (Controllers.py), and scipy.signal's zero-phase filters."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from pyNN import errors
from scipy import signal

import pynn_cbgtc_jax as sim
from pynn_cbgtc_jax.cbgtc.biomarkers import beta_arv, filtfilt

SP = 1.0414e-4


def _biomarkers(n=300, seed=0):
    """A biomarker sequence that crosses the setpoint and the thresholds often, with long
    runs above and below (slow swings in log space, plus noise)."""
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    return SP * np.exp(1.5 * np.sin(2 * np.pi * k / 60) + 0.4 * rng.standard_normal(n))


def _reference(kind, ys, **p):
    """Fleming's rules, one call at a time (Controllers.py's update methods)."""
    out, last, integral, last_e = [], 0.0, 0.0, 0.0
    inc = (p.get("max_value", 3.0) - p.get("min_value", 0.0)) / math.ceil(
        p.get("ramp_duration", 0.25) / 0.02)
    lo, hi = p.get("min_value", 0.0), p.get("max_value", 3.0)
    for y in ys:
        if kind == "on_off":
            step = inc if (y - SP) / SP > 0 else -inc
            u = hi if last + step > hi else lo if last + step < lo else last + step
        elif kind == "dual":
            step = inc if y > p["upper"] else -inc if y < p["lower"] else 0.0
            u = hi if last + step > hi else lo if last + step < lo else last + step
        else:
            e = (y - SP) / SP
            integral += e * 0.02
            i_term = integral / p["ti"] if p["ti"] else 0.0
            u = p["kp"] * (e + i_term + p.get("td", 0.0) * (e - last_e) / 0.02)
            last_e = e
            if u > hi or u < lo:
                u = hi if u > hi else lo
                integral -= e * 0.02
        last = u
        out.append(u)
    return np.array(out)


@pytest.mark.parametrize("kind, controller, params", [
    ("on_off", lambda: sim.OnOffController(), {}),
    ("dual", lambda: sim.DualThresholdController(), dict(lower=SP, upper=1.5261e-4)),
    ("pid", lambda: sim.PIDController(kp=0.23, ti=0.2), dict(kp=0.23, ti=0.2)),
    ("pid", lambda: sim.PIDController(kp=5.0, ti=0.0), dict(kp=5.0, ti=0.0)),
    ("pid", lambda: sim.PIDController(kp=19.3, ti=0.2, max_value=250.0),
     dict(kp=19.3, ti=0.2, max_value=250.0)),
    ("pid", lambda: sim.PIDController(kp=1.0, ti=0.5, td=0.01), dict(kp=1.0, ti=0.5, td=0.01)),
])
def test_controller_follows_the_original_rules(kind, controller, params):
    """Reference: the rules above in float64 NumPy; ours jitted in float64 through lax.scan
    (as it will run in the program).  Tolerance 1e-12 mA/Hz: the same arithmetic, one
    rounding apart at most, over 300 calls that saturate both bounds (asserted)."""
    ys = _biomarkers()
    expected = _reference(kind, ys, **params)
    c = controller()
    with jax.enable_x64(True):
        p = c.params()
        _, us = jax.jit(lambda y: jax.lax.scan(lambda s, x: c.update(p, s, x),
                                               c.initial_state(jnp.float64), y))(jnp.asarray(ys))
    np.testing.assert_allclose(np.asarray(us), expected, rtol=0, atol=1e-12)
    assert expected.min() == c.min_value or kind == "pid"
    assert (expected == c.max_value).any() and (expected < c.max_value).any()


def test_constant_controller_and_bad_parameters():
    c = sim.ConstantController(value=4.0)            # clipped to the 3 mA bound
    state, u = c.update(c.params(), c.initial_state(), jnp.float32(1e-4))
    assert float(u) == 3.0
    for make, match in ((lambda: sim.PIDController(ti=-1.0), "ti"),
                        (lambda: sim.OnOffController(max_value=0.0), "max_value"),
                        (lambda: sim.OnOffController(ts=0.0), "ts"),
                        (lambda: sim.DualThresholdController(lower=2e-4, upper=1e-4), "upper"),
                        (lambda: sim.PIDController(kp=float("nan")), "kp")):
        with pytest.raises(errors.InvalidParameterValueError, match=match):
            make()


def _lfp(seed=0, n=4000):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 2000.0
    return (1e-4 * np.sin(2 * np.pi * 25 * t) + 3e-4 * rng.standard_normal(n)
            + 2e-4 * np.sin(2 * np.pi * 5 * t) + 1e-3)


def test_filtfilt_equals_scipy():
    """Reference: scipy.signal.sosfiltfilt with filtfilt's padding (padlen 27: the same
    filter as Fleming's cheby1 (b, a) filtfilt, in second-order sections); float64 to 1e-15
    of the signal.  Fleming's transfer-function form itself differs from the sections by its
    float64 rounding of an 8th-order narrow band: 0.4 % of the filtered signal, 0.15 % of the
    ARV (asserted below 1 %), which is the size of the difference to his numbers."""
    x = _lfp()
    sos = signal.cheby1(4, 0.5, [21 / 1000, 29 / 1000], "band", output="sos")
    b, a = signal.cheby1(4, 0.5, [21 / 1000, 29 / 1000], "band")
    with jax.enable_x64(True):
        ours = np.asarray(jax.jit(filtfilt)(jnp.asarray(x)))
        arv = float(jax.jit(beta_arv)(jnp.asarray(x)))
    reference = signal.sosfiltfilt(sos, x, padlen=27)
    assert np.max(np.abs(ours - reference)) <= 1e-15 * np.abs(x).max() * 1e3
    fleming = signal.filtfilt(b, a, x)
    assert arv == pytest.approx(np.mean(np.abs(reference[-400:-200])), rel=1e-12)
    assert arv == pytest.approx(np.mean(np.abs(fleming[-400:-200])), rel=1e-2)


def test_filtfilt_in_float32_keeps_the_arv():
    """The sections keep the filter sound in float32 (the program's default): the ARV within
    1e-4 relative of float64 (measured 4e-6 on this signal)."""
    x = _lfp(seed=2)
    arv32 = float(jax.jit(beta_arv)(jnp.asarray(x, jnp.float32)))
    sos = signal.cheby1(4, 0.5, [21 / 1000, 29 / 1000], "band", output="sos")
    expected = np.mean(np.abs(signal.sosfiltfilt(sos, x, padlen=27)[-400:-200]))
    assert arv32 == pytest.approx(expected, rel=1e-4)
