r"""Closed-loop DBS controllers of Fleming et al. 2020 as pure JAX functions.

A controller turns the biomarker ``y_k`` of call ``k`` (the beta ARV, mV; ``biomarkers.py``)
into the stimulation parameter ``u_k`` it controls (DBS amplitude in mA, or frequency in Hz),
once every ``ts`` seconds.  Each is a small immutable object whose numbers are parameters and
whose ``update(state, y) -> (state, u)`` is a pure function of JAX arrays, so it runs inside the
compiled program (and vmaps over an ensemble of gains).  Their rules, after Fleming's
``Controllers.py`` (errors normalised by the setpoint, ``e = (y - SP) / SP``; outputs clipped to
``[min_value, max_value]``):

* :class:`ConstantController`: ``u = clip(value)`` (open loop);
* :class:`OnOffController`: ``u_k = clip(u_{k-1} + d sgn(e_k))`` with the ramp step
  ``d = (max - min) / ceil(ramp_duration / ts)`` (sgn(0) = -1, as the original);
* :class:`DualThresholdController`: ``+d`` above ``upper``, ``-d`` below ``lower``, else hold;
* :class:`PIDController`: ``I_k = I_{k-1} + e_k ts``, ``u = kp (e_k + I_k / ti + td (e_k -
  e_{k-1}) / ts)`` (``ti = 0``: no integral term); when ``u`` leaves the bounds the output is the
  bound and this call's integration is undone (conditional anti-windup).  Fleming's settings:
  amplitude P ``kp = 5`` (``ti = 0``); amplitude PI ``kp = 0.23, ti = 0.2`` s, 0-3 mA;
  frequency P ``kp = 416.7``; frequency PI ``kp = 19.3, ti = 0.2`` s, 0-250 Hz.

:data:`SETPOINT` is Fleming's beta-ARV setpoint (1.0414e-4 mV), the default of every
controller that has one; ``ts`` defaults to his 0.02 s.  ``tests/cbgtc/test_controllers.py``
checks each against a step-by-step NumPy statement of the original's rules.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
from pyNN import errors

__all__ = ["SETPOINT", "ControllerState", "ConstantController", "OnOffController",
           "DualThresholdController", "PIDController"]

SETPOINT = 1.0414e-4      # mV: Fleming et al. 2020's beta ARV setpoint


class ControllerState(NamedTuple):
    """What a controller carries from one call to the next."""
    output: jnp.ndarray       # u_{k-1}
    integral: jnp.ndarray     # the integral of the error (PID)
    error: jnp.ndarray        # e_{k-1} (PID's derivative)


def _check(name, **values):
    for key, value in values.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise errors.InvalidParameterValueError(
                f"{name}({key}={value!r}): give a finite number.")


class _Controller:
    """Shared: bounds, sample time, the normalised error, the initial state."""

    def __init__(self, min_value: float, max_value: float, ts: float):
        name = type(self).__name__
        _check(name, min_value=min_value, max_value=max_value, ts=ts)
        if not max_value > min_value:
            raise errors.InvalidParameterValueError(
                f"{name}(min_value={min_value}, max_value={max_value}): max_value must be "
                f"larger than min_value.")
        if not ts > 0:
            raise errors.InvalidParameterValueError(
                f"{name}(ts={ts}): the controller period must be > 0 s (Fleming: 0.02 s).")
        self.min_value, self.max_value, self.ts = float(min_value), float(max_value), float(ts)

    def initial_state(self, dtype=jnp.float32) -> ControllerState:
        zero = jnp.zeros((), dtype)
        return ControllerState(zero, zero, zero)

    def _clip(self, u):
        return jnp.clip(u, self.min_value, self.max_value)

    @staticmethod
    def _error(y, setpoint):
        return (y - setpoint) / setpoint if setpoint != 0 else y - setpoint


class ConstantController(_Controller):
    """Open loop: ``u = clip(value)`` at every call."""

    def __init__(self, value: float = 2.5, min_value: float = 0.0, max_value: float = 3.0,
                 ts: float = 0.02):
        super().__init__(min_value, max_value, ts)
        _check("ConstantController", value=value)
        self.value = float(value)

    def update(self, state: ControllerState, y):
        u = self._clip(jnp.full_like(state.output, self.value))
        return state._replace(output=u), u


class _Ramp(_Controller):
    def __init__(self, min_value, max_value, ramp_duration, ts):
        super().__init__(min_value, max_value, ts)
        _check(type(self).__name__, ramp_duration=ramp_duration)
        if not ramp_duration > 0:
            raise errors.InvalidParameterValueError(
                f"{type(self).__name__}(ramp_duration={ramp_duration}): give a time > 0 s.")
        self.ramp_duration = float(ramp_duration)
        self.increment = (self.max_value - self.min_value) / math.ceil(ramp_duration / ts)

    def _ramp(self, state, direction):
        u = self._clip(state.output + direction * self.increment)
        return state._replace(output=u), u


class OnOffController(_Ramp):
    """Ramp up while the biomarker is above the setpoint, down otherwise."""

    def __init__(self, setpoint: float = SETPOINT, min_value: float = 0.0,
                 max_value: float = 3.0, ramp_duration: float = 0.25, ts: float = 0.02):
        super().__init__(min_value, max_value, ramp_duration, ts)
        _check("OnOffController", setpoint=setpoint)
        self.setpoint = float(setpoint)

    def update(self, state: ControllerState, y):
        if self.setpoint == 0:             # the original: no error sign without a setpoint
            return self._ramp(state, 0.0)
        return self._ramp(state, jnp.where(y > self.setpoint, 1.0, -1.0))


class DualThresholdController(_Ramp):
    """Ramp up above ``upper``, down below ``lower``, hold in between."""

    def __init__(self, lower: float = SETPOINT, upper: float = 1.5261e-4,
                 min_value: float = 0.0, max_value: float = 3.0, ramp_duration: float = 0.25,
                 ts: float = 0.02):
        super().__init__(min_value, max_value, ramp_duration, ts)
        _check("DualThresholdController", lower=lower, upper=upper)
        if not upper >= lower:
            raise errors.InvalidParameterValueError(
                f"DualThresholdController(lower={lower}, upper={upper}): upper must be >= "
                f"lower.")
        self.lower, self.upper = float(lower), float(upper)

    def update(self, state: ControllerState, y):
        direction = jnp.where(y > self.upper, 1.0, jnp.where(y < self.lower, -1.0, 0.0))
        return self._ramp(state, direction)


class PIDController(_Controller):
    """Fleming's ``standard_PID_Controller`` (module doc); ``ti = 0`` drops the integral."""

    def __init__(self, setpoint: float = SETPOINT, kp: float = 0.23, ti: float = 0.2,
                 td: float = 0.0, min_value: float = 0.0, max_value: float = 3.0,
                 ts: float = 0.02):
        super().__init__(min_value, max_value, ts)
        _check("PIDController", setpoint=setpoint, kp=kp, ti=ti, td=td)
        if ti < 0 or td < 0:
            raise errors.InvalidParameterValueError(
                f"PIDController(ti={ti}, td={td}): time constants must be >= 0 s (ti = 0: no "
                f"integral term).")
        self.setpoint, self.kp, self.ti, self.td = (float(setpoint), float(kp), float(ti),
                                                    float(td))

    def update(self, state: ControllerState, y):
        e = self._error(y, self.setpoint)
        integral = state.integral + e * self.ts
        i_gain = 1.0 / self.ti if self.ti > 0 else 0.0
        u = self.kp * (e + i_gain * integral + self.td * (e - state.error) / self.ts)
        outside = (u > self.max_value) | (u < self.min_value)
        integral = jnp.where(outside, integral - e * self.ts, integral)
        u = self._clip(u)
        return ControllerState(u, integral, e), u
