"""Izhikevich's quadratic integrate-and-fire neuron (Izhikevich 2003, IEEE TNN 14:1569).

PyNN ``Izhikevich`` (NEST ``izhikevich``).  Equations (mV, ms; ``u`` in mV/ms)::

    dv/dt = 0.04 v^2 + 5 v + 140 - u + I          I = 1000 (i_offset + I_inj)
    du/dt = a (b v - u)
    spike of weight w (mV) arriving:  v <- v + w   (inhibitory weights are negative)
    v >= 30 mV:  v <- c,  u <- u + d

The current enters as in NEST, NEURON and Brian 2 under PyNN: the membrane has a capacitance of
1 pF, so 1 nA moves v by 1000 mV/ms (nA -> pA with unit capacitance).  The threshold 30 mV is
NEST's ``V_th`` default (not a PyNN parameter); there is no refractory period and no lower
bound on v (NEST's ``V_min`` default is -DBL_MAX).

Scheme: NEST's default ``consistent_integration = True``: one forward-Euler step per ``dt`` with
both right-hand sides evaluated at the start of the step, then the weights arriving at the end
of the step are added to v, then the threshold is tested.  This is first order -- the model's
published numerics are part of its definition, and following NEST reproduces its spike trains.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive
from .declaration import NeuronModel, Parameter, params_type

__all__ = ["V_PEAK", "Params", "State", "Coeffs", "prepare", "step", "MODELS"]

V_PEAK = 30.0   # mV, spike cut-off (NEST izhikevich V_th default)


PARAMETERS = {"a": Parameter("/ms", 0.02), "b": Parameter("/ms", 0.2),
              "c": Parameter("mV", -65.0),           # reset of v
              "d": Parameter("mV/ms", 2.0),          # increment of u at a spike
              "i_offset": Parameter("nA", 0.0)}
Params = params_type(PARAMETERS)
"""PyNN parameters of Izhikevich."""


class State(NamedTuple):
    v: jnp.ndarray          # mV
    u: jnp.ndarray          # mV/ms


class Coeffs(NamedTuple):
    p: Params
    dt: jnp.ndarray


def prepare(p: Params, dt) -> Coeffs:
    return Coeffs(p=p, dt=jnp.asarray(dt, dtype=jnp.result_type(p.a)))


def step(c: Coeffs, s: State, d: Drive):
    """One step of Izhikevich; returns ``(state, spiked)``."""
    p, h = c.p, c.dt
    current = 1000.0 * (p.i_offset + d.i_inj)        # nA -> mV/ms through 1 pF
    v = s.v + h * (0.04 * s.v * s.v + 5.0 * s.v + 140.0 - s.u + current) + d.exc + d.inh
    u = s.u + h * p.a * (p.b * s.v - s.u)
    spiked = v >= V_PEAK
    return State(v=jnp.where(spiked, p.c, v), u=jnp.where(spiked, u + p.d, u)), spiked


MODELS = (NeuronModel("Izhikevich", PARAMETERS, State, prepare, step, initial={"v": "v", "u": "u"},
                      recordables={"v": "v", "u": "u"}, conductance_based=False,
                      pynn_type="Izhikevich"),)
