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

from .base import Drive
from .declaration import NeuronModel, params_type, reset_below_threshold
from .lif_curr import MembraneCoeffs, membrane_coeffs
from .pynn_parameters import lif_membrane

__all__ = ["Params", "State", "Coeffs", "prepare", "step", "MODELS"]


PARAMETERS = lif_membrane()
Params = params_type(PARAMETERS)
"""PyNN parameters of IF_curr_delta (mV, nF, ms, nA)."""


class State(NamedTuple):
    v: jnp.ndarray          # mV
    refrac: jnp.ndarray     # int32, refractory steps left


Coeffs = MembraneCoeffs
"""The exact propagator of the membrane (``lif_curr.MembraneCoeffs``)."""
prepare = membrane_coeffs


def step(c: Coeffs, s: State, d: Drive):
    """One step of IF_curr_delta; returns ``(state, spiked)``."""
    free = s.refrac == 0
    v_free = (c.v_rest + c.p22 * (s.v - c.v_rest) + c.p20 * (c.i_offset + d.i_inj)
              + d.exc + d.inh)
    v = jnp.where(free, v_free, s.v)
    refrac = jnp.where(free, s.refrac, s.refrac - 1)
    spiked = v >= c.v_thresh
    return (State(v=jnp.where(spiked, c.v_reset, v),
                  refrac=jnp.where(spiked, c.n_ref, refrac)), spiked)


MODELS = (NeuronModel("IF_curr_delta", PARAMETERS, State, prepare, step, initial={"v": "v"},
                      recordables={"v": "v"}, conductance_based=False,
                      rules=(reset_below_threshold("iaf_psc_delta"),), pynn_type="IF_curr_delta"),)
