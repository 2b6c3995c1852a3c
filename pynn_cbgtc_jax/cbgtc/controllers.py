r"""Closed-loop DBS controllers of Fleming et al. 2020 as pure JAX functions.

A controller turns the biomarker ``y_k`` of call ``k`` (the beta ARV, mV; ``biomarkers.py``)
into the stimulation parameter ``u_k`` it controls (DBS amplitude in mA, or frequency in Hz),
once every ``ts`` seconds.  Each is a small immutable object whose numbers are parameters and
whose ``update(state, y) -> (state, u)`` is a pure function of JAX arrays, so it runs inside the
compiled program; its numbers are data of the program, so a ``sim.Batch`` of gains (or of any
number but ``ts``) runs one controller per ensemble member in one compiled run:
``sim.PIDController(kp=sim.Batch([0.1, 0.23, 0.5]))``.  ``update(params, state, y)`` takes the
numbers as ``params`` (``controller.params(member)``).  Their rules, after Fleming's
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
import numpy as np
from pyNN import errors

from ..ensembles import Batch
from ..simulator import state

__all__ = ["SETPOINT", "ControllerState", "ConstantController", "OnOffController",
           "DualThresholdController", "PIDController"]

SETPOINT = 1.0414e-4      # mV: Fleming et al. 2020's beta ARV setpoint


class ControllerState(NamedTuple):
    """What a controller carries from one call to the next."""
    output: jnp.ndarray       # u_{k-1}
    integral: jnp.ndarray     # the integral of the error (PID)
    error: jnp.ndarray        # e_{k-1} (PID's derivative)


def _values(name, key, value):
    """The member values of a controller number (a Batch gives one per member), checked."""
    values = list(value) if isinstance(value, Batch) else [value]
    for v in values:
        if not (isinstance(v, (int, float, np.floating, np.integer)) and math.isfinite(v)):
            raise errors.InvalidParameterValueError(
                f"{name}({key}={value!r}): give a finite number (or a sim.Batch of them, one "
                f"per ensemble member).")
    if isinstance(value, Batch):
        state.ensemble(len(values), f"{name}({key}=Batch(...))")
    return [float(v) for v in values]


class _Controller:
    """Shared: the numbers (``NUMBERS``, each a float or a Batch), bounds, sample time, the
    normalised error, the initial state.  ``params(member)`` gives a member's numbers as the
    ``update`` functions read them (arrays in the program: an ensemble batches them)."""

    NUMBERS: tuple = ()

    def __init__(self, ts: float, **numbers):
        name = type(self).__name__
        self._numbers = {k: _values(name, k, v) for k, v in numbers.items()}
        (ts,) = _values(name, "ts", ts)
        if not ts > 0:
            raise errors.InvalidParameterValueError(
                f"{name}(ts={ts}): the controller period must be > 0 s (Fleming: 0.02 s).")
        self.ts = ts
        for m in range(max(len(v) for v in self._numbers.values())):
            p = self.params(m)
            if not p.max_value > p.min_value:
                raise errors.InvalidParameterValueError(
                    f"{name}(min_value={p.min_value}, max_value={p.max_value}): max_value must "
                    f"be larger than min_value.")
            self._check(p)

    # What the compiled program depends on: the kind and ts (every other number is data), so
    # two controllers of one kind and period share a program, and a checkpoint's structure
    # hash is the same in another process (no object address in it).
    def _static(self):
        return type(self).__name__, self.ts

    def __eq__(self, other):
        return isinstance(other, _Controller) and self._static() == other._static()

    def __hash__(self):
        return hash(self._static())

    def __repr__(self):
        return f"{type(self).__name__}(ts={self.ts!r})"

    def _check(self, p):
        """Further rules on one member's numbers (InvalidParameterValueError)."""

    @property
    def members(self) -> int:
        """The number of values of its Batch numbers (1: none is a Batch)."""
        return max(len(v) for v in self._numbers.values())

    def params(self, member: int | None = None):
        """Member ``member``'s numbers (None or a single value: the first)."""
        m = member or 0
        return self.Params(**{k: v[m if len(v) > 1 else 0] for k, v in self._numbers.items()})

    @property
    def min_value(self) -> float:
        return self.params().min_value

    @property
    def max_value(self) -> float:
        return self.params().max_value

    def initial_state(self, dtype=jnp.float32) -> ControllerState:
        zero = jnp.zeros((), dtype)
        return ControllerState(zero, zero, zero)

    @staticmethod
    def _clip(p, u):
        return jnp.clip(u, p.min_value, p.max_value)

    @staticmethod
    def _error(y, setpoint):
        return jnp.where(setpoint != 0, (y - setpoint) / jnp.where(setpoint != 0, setpoint, 1.0),
                         y - setpoint)


class ConstantController(_Controller):
    """Open loop: ``u = clip(value)`` at every call."""

    Params = NamedTuple("ConstantParams", [("value", float), ("min_value", float),
                                           ("max_value", float)])

    def __init__(self, value=2.5, min_value=0.0, max_value=3.0, ts: float = 0.02):
        super().__init__(ts, value=value, min_value=min_value, max_value=max_value)

    def update(self, p, state: ControllerState, y):
        u = self._clip(p, jnp.zeros_like(state.output) + p.value)
        return state._replace(output=u), u


class _Ramp(_Controller):
    """Ramps by ``increment = (max - min) / ceil(ramp_duration / ts)`` per call."""

    def _check(self, p):
        if not p.ramp_duration > 0:
            raise errors.InvalidParameterValueError(
                f"{type(self).__name__}(ramp_duration={p.ramp_duration}): give a time > 0 s.")

    def _ramp(self, p, state, direction):
        increment = (p.max_value - p.min_value) / jnp.ceil(p.ramp_duration / self.ts)
        u = self._clip(p, state.output + direction * increment)
        return state._replace(output=u), u


class OnOffController(_Ramp):
    """Ramp up while the biomarker is above the setpoint, down otherwise (with a setpoint of 0:
    hold, as the original)."""

    Params = NamedTuple("OnOffParams", [("setpoint", float), ("min_value", float),
                                        ("max_value", float), ("ramp_duration", float)])

    def __init__(self, setpoint=SETPOINT, min_value=0.0, max_value=3.0, ramp_duration=0.25,
                 ts: float = 0.02):
        super().__init__(ts, setpoint=setpoint, min_value=min_value, max_value=max_value,
                         ramp_duration=ramp_duration)

    def update(self, p, state: ControllerState, y):
        direction = jnp.where(p.setpoint == 0, 0.0, jnp.where(y > p.setpoint, 1.0, -1.0))
        return self._ramp(p, state, direction)


class DualThresholdController(_Ramp):
    """Ramp up above ``upper``, down below ``lower``, hold in between."""

    Params = NamedTuple("DualThresholdParams", [("lower", float), ("upper", float),
                                                ("min_value", float), ("max_value", float),
                                                ("ramp_duration", float)])

    def __init__(self, lower=SETPOINT, upper=1.5261e-4, min_value=0.0, max_value=3.0,
                 ramp_duration=0.25, ts: float = 0.02):
        super().__init__(ts, lower=lower, upper=upper, min_value=min_value,
                         max_value=max_value, ramp_duration=ramp_duration)

    def _check(self, p):
        super()._check(p)
        if not p.upper >= p.lower:
            raise errors.InvalidParameterValueError(
                f"DualThresholdController(lower={p.lower}, upper={p.upper}): upper must be "
                f">= lower.")

    def update(self, p, state: ControllerState, y):
        direction = jnp.where(y > p.upper, 1.0, jnp.where(y < p.lower, -1.0, 0.0))
        return self._ramp(p, state, direction)


class PIDController(_Controller):
    """Fleming's ``standard_PID_Controller`` (module doc); ``ti = 0`` drops the integral."""

    Params = NamedTuple("PIDParams", [("setpoint", float), ("kp", float), ("ti", float),
                                      ("td", float), ("min_value", float),
                                      ("max_value", float)])

    def __init__(self, setpoint=SETPOINT, kp=0.23, ti=0.2, td=0.0, min_value=0.0,
                 max_value=3.0, ts: float = 0.02):
        super().__init__(ts, setpoint=setpoint, kp=kp, ti=ti, td=td, min_value=min_value,
                         max_value=max_value)

    def _check(self, p):
        if p.ti < 0 or p.td < 0:
            raise errors.InvalidParameterValueError(
                f"PIDController(ti={p.ti}, td={p.td}): time constants must be >= 0 s (ti = 0: "
                f"no integral term).")

    def update(self, p, state: ControllerState, y):
        e = self._error(y, p.setpoint)
        integral = state.integral + e * self.ts
        i_gain = jnp.where(p.ti > 0, 1.0 / jnp.where(p.ti > 0, p.ti, 1.0), 0.0)
        u = p.kp * (e + i_gain * integral + p.td * (e - state.error) / self.ts)
        outside = (u > p.max_value) | (u < p.min_value)
        integral = jnp.where(outside, integral - e * self.ts, integral)
        u = self._clip(p, u)
        return ControllerState(u, integral, e), u
