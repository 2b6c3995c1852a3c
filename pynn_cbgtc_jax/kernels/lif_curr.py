"""Current-based leaky integrate-and-fire neurons, integrated exactly.

PyNN ``IF_curr_exp`` and ``IF_curr_alpha`` (NEST ``iaf_psc_exp`` / ``iaf_psc_alpha``).

Equations (PyNN units: mV, ms, nA, nF)::

    cm dv/dt = (cm/tau_m) (v_rest - v) + I_exc + I_inh + i_offset + I_inj
    exp  synapse:  dI/dt = -I/tau_syn,                      spike of weight w: I += w
    alpha synapse: dI/dt = D - I/tau_syn, dD/dt = -D/tau_syn,  spike: D += e w / tau_syn

Scheme: the system is linear between spikes, so it is advanced with its exact propagator
matrix (Rotter & Diesmann 1999, Biol. Cybern. 81:381), as NEST does; the result is exact up to
round-off for any ``dt``.  Order inside a step follows NEST: integrate v with the synaptic
currents at the start of the step, decay the currents, add the spikes arriving at the end of the
step, test the threshold, then reset and hold v at ``v_reset`` for ``round(tau_refrac/dt)`` steps.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, alpha_integral, exp_integral, refractory_steps
from .declaration import NeuronModel, params_type, reset_below_threshold
from .pynn_parameters import lif_membrane, synapse_time_constants

__all__ = ["Params", "ExpState", "AlphaState", "ExpCoeffs", "AlphaCoeffs", "MembraneCoeffs",
           "membrane_coeffs", "prepare_exp", "step_exp", "prepare_alpha", "step_alpha", "MODELS"]


PARAMETERS_EXP = {**lif_membrane(), **synapse_time_constants(tau_syn_E=5.0, tau_syn_I=5.0)}
PARAMETERS_ALPHA = {**lif_membrane(), **synapse_time_constants(tau_syn_E=0.5, tau_syn_I=0.5)}
Params = params_type(PARAMETERS_EXP)
"""PyNN parameters of IF_curr_exp / IF_curr_alpha (mV, nF, ms, nA)."""


class ExpState(NamedTuple):
    v: jnp.ndarray          # mV
    isyn_exc: jnp.ndarray   # nA
    isyn_inh: jnp.ndarray   # nA
    refrac: jnp.ndarray     # int32, refractory steps left


class AlphaState(NamedTuple):
    v: jnp.ndarray          # mV
    isyn_exc: jnp.ndarray   # nA
    isyn_inh: jnp.ndarray   # nA
    disyn_exc: jnp.ndarray  # nA/ms, derivative state of the alpha current
    disyn_inh: jnp.ndarray  # nA/ms
    refrac: jnp.ndarray     # int32


class MembraneCoeffs(NamedTuple):
    """The exact propagator of the leaky membrane over one step (NEST iaf_psc_*)."""

    p22: jnp.ndarray        # exp(-dt/tau_m)
    p20: jnp.ndarray        # mV per nA of constant current over one step
    v_rest: jnp.ndarray
    v_reset: jnp.ndarray
    v_thresh: jnp.ndarray
    i_offset: jnp.ndarray
    n_ref: jnp.ndarray


class ExpCoeffs(NamedTuple):
    mem: MembraneCoeffs
    decay_e: jnp.ndarray
    decay_i: jnp.ndarray
    p21e: jnp.ndarray       # mV per nA of I_exc at the start of the step
    p21i: jnp.ndarray


class AlphaCoeffs(NamedTuple):
    mem: MembraneCoeffs
    decay_e: jnp.ndarray
    decay_i: jnp.ndarray
    p31e: jnp.ndarray       # mV per (nA/ms) of D_exc
    p32e: jnp.ndarray       # mV per nA of I_exc
    p31i: jnp.ndarray
    p32i: jnp.ndarray
    jump_e: jnp.ndarray     # e / tau_syn_E: D increment per nA of weight
    jump_i: jnp.ndarray
    dt: jnp.ndarray


def membrane_coeffs(p, dt) -> MembraneCoeffs:
    p22 = jnp.exp(-dt / p.tau_m)
    return MembraneCoeffs(p22=p22, p20=-jnp.expm1(-dt / p.tau_m) * p.tau_m / p.cm,
                     v_rest=p.v_rest, v_reset=p.v_reset, v_thresh=p.v_thresh,
                     i_offset=p.i_offset, n_ref=refractory_steps(p.tau_refrac, dt))


def _membrane_step(m: MembraneCoeffs, v, refrac, synaptic_drive, i_inj):
    """Exact step of v for a free neuron; hold v while refractory (NEST iaf_psc_*)."""
    free = refrac == 0
    v_free = m.v_rest + m.p22 * (v - m.v_rest) + synaptic_drive + m.p20 * (m.i_offset + i_inj)
    return jnp.where(free, v_free, v), jnp.where(free, refrac, refrac - 1)


def _fire(m: MembraneCoeffs, v, refrac):
    spiked = v >= m.v_thresh
    return jnp.where(spiked, m.v_reset, v), jnp.where(spiked, m.n_ref, refrac), spiked


def prepare_exp(p: Params, dt) -> ExpCoeffs:
    mem = membrane_coeffs(p, dt)
    return ExpCoeffs(
        mem=mem,
        decay_e=jnp.exp(-dt / p.tau_syn_E), decay_i=jnp.exp(-dt / p.tau_syn_I),
        p21e=mem.p22 / p.cm * exp_integral(1.0 / p.tau_syn_E - 1.0 / p.tau_m, dt),
        p21i=mem.p22 / p.cm * exp_integral(1.0 / p.tau_syn_I - 1.0 / p.tau_m, dt))


def step_exp(c: ExpCoeffs, s: ExpState, d: Drive):
    """One step of IF_curr_exp; returns ``(state, spiked)``."""
    v, refrac = _membrane_step(c.mem, s.v, s.refrac,
                               c.p21e * s.isyn_exc + c.p21i * s.isyn_inh, d.i_inj)
    ie = c.decay_e * s.isyn_exc + d.exc
    ii = c.decay_i * s.isyn_inh + d.inh
    v, refrac, spiked = _fire(c.mem, v, refrac)
    return ExpState(v=v, isyn_exc=ie, isyn_inh=ii, refrac=refrac), spiked


def prepare_alpha(p: Params, dt) -> AlphaCoeffs:
    mem = membrane_coeffs(p, dt)
    ae = 1.0 / p.tau_syn_E - 1.0 / p.tau_m
    ai = 1.0 / p.tau_syn_I - 1.0 / p.tau_m
    return AlphaCoeffs(
        mem=mem,
        decay_e=jnp.exp(-dt / p.tau_syn_E), decay_i=jnp.exp(-dt / p.tau_syn_I),
        p31e=mem.p22 / p.cm * alpha_integral(ae, dt), p32e=mem.p22 / p.cm * exp_integral(ae, dt),
        p31i=mem.p22 / p.cm * alpha_integral(ai, dt), p32i=mem.p22 / p.cm * exp_integral(ai, dt),
        jump_e=jnp.e / p.tau_syn_E, jump_i=jnp.e / p.tau_syn_I,
        dt=jnp.asarray(dt, dtype=mem.p22.dtype))


def step_alpha(c: AlphaCoeffs, s: AlphaState, d: Drive):
    """One step of IF_curr_alpha; returns ``(state, spiked)``.

    A spike of weight ``w`` (nA) adds ``e w / tau_syn`` to ``D``, so the current peaks at ``w``
    one ``tau_syn`` after the spike (PyNN's and NEST's normalisation).
    """
    syn = (c.p31e * s.disyn_exc + c.p32e * s.isyn_exc
           + c.p31i * s.disyn_inh + c.p32i * s.isyn_inh)
    v, refrac = _membrane_step(c.mem, s.v, s.refrac, syn, d.i_inj)
    ie = c.decay_e * (s.isyn_exc + c.dt * s.disyn_exc)
    ii = c.decay_i * (s.isyn_inh + c.dt * s.disyn_inh)
    de = c.decay_e * s.disyn_exc + c.jump_e * d.exc
    di = c.decay_i * s.disyn_inh + c.jump_i * d.inh
    v, refrac, spiked = _fire(c.mem, v, refrac)
    return AlphaState(v=v, isyn_exc=ie, isyn_inh=ii, disyn_exc=de, disyn_inh=di,
                      refrac=refrac), spiked


_VARIABLES = {"v": "v", "isyn_exc": "isyn_exc", "isyn_inh": "isyn_inh"}
MODELS = (
    NeuronModel("IF_curr_exp", PARAMETERS_EXP, ExpState, prepare_exp, step_exp,
                initial=_VARIABLES, recordables=_VARIABLES, conductance_based=False,
                rules=(reset_below_threshold("iaf_psc_exp"),), pynn_type="IF_curr_exp"),
    NeuronModel("IF_curr_alpha", PARAMETERS_ALPHA, AlphaState, prepare_alpha, step_alpha,
                initial=_VARIABLES, recordables=_VARIABLES, conductance_based=False,
                rules=(reset_below_threshold("iaf_psc_alpha"),), pynn_type="IF_curr_alpha"),
)
