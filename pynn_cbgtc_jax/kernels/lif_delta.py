"""Leaky integrate-and-fire neuron with delta synapses, integrated exactly.

PyNN ``IF_curr_delta`` (NEST ``iaf_psc_delta``).  Equations (mV, ms, nA, nF)::

    cm dv/dt = (cm/tau_m)(v_rest - v) + i_offset + I_inj
    spike of weight w (mV) arriving:  v <- v + w      (inhibitory weights are negative)
    v >= v_thresh:  v <- v_reset, held there for round(tau_refrac/dt) steps

Scheme: the membrane equation is linear with a current constant over the step, so it is
advanced with its exact propagator ``v_rest + P33 (v - v_rest) + P30 I`` (P33 = exp(-dt/tau_m),
P30 = tau_m/cm (1 - P33)), as NEST does; then the weights arriving at the end of the step are
added, the threshold is tested and v reset.  Exact up to round-off for any ``dt``.  As in NEST
(``refractory_input = False``), spikes arriving while the neuron is refractory are discarded.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, refractory_steps

__all__ = ["Params", "State", "Coeffs", "prepare", "step"]


class Params(NamedTuple):
    """PyNN parameters of IF_curr_delta (mV, nF, ms, nA)."""

    v_rest: jnp.ndarray
    cm: jnp.ndarray
    tau_m: jnp.ndarray
    tau_refrac: jnp.ndarray
    i_offset: jnp.ndarray
    v_reset: jnp.ndarray
    v_thresh: jnp.ndarray


class State(NamedTuple):
    v: jnp.ndarray          # mV
    refrac: jnp.ndarray     # int32, refractory steps left


class Coeffs(NamedTuple):
    p33: jnp.ndarray        # exp(-dt/tau_m)
    p30: jnp.ndarray        # mV per nA of constant current over one step
    v_rest: jnp.ndarray
    v_reset: jnp.ndarray
    v_thresh: jnp.ndarray
    i_offset: jnp.ndarray
    n_ref: jnp.ndarray      # int32


def prepare(p: Params, dt) -> Coeffs:
    return Coeffs(p33=jnp.exp(-dt / p.tau_m), p30=-jnp.expm1(-dt / p.tau_m) * p.tau_m / p.cm,
                  v_rest=p.v_rest, v_reset=p.v_reset, v_thresh=p.v_thresh,
                  i_offset=p.i_offset, n_ref=refractory_steps(p.tau_refrac, dt))


def step(c: Coeffs, s: State, d: Drive):
    """One step of IF_curr_delta; returns ``(state, spiked)``."""
    free = s.refrac == 0
    v_free = (c.v_rest + c.p33 * (s.v - c.v_rest) + c.p30 * (c.i_offset + d.i_inj)
              + d.exc + d.inh)
    v = jnp.where(free, v_free, s.v)
    refrac = jnp.where(free, s.refrac, s.refrac - 1)
    spiked = v >= c.v_thresh
    return (State(v=jnp.where(spiked, c.v_reset, v),
                  refrac=jnp.where(spiked, c.n_ref, refrac)), spiked)
