"""Conductance-based leaky integrate-and-fire neurons.

PyNN ``IF_cond_exp`` and ``IF_cond_alpha`` (NEST ``iaf_cond_exp`` / ``iaf_cond_alpha``).

Equation (mV, ms, nA, nF, uS)::

    cm dv/dt = (cm/tau_m)(v_rest - v) + g_exc (e_rev_E - v) + g_inh (e_rev_I - v) + i_offset + I_inj

with exponential or alpha conductances (``conductance.py``).

Scheme: the conductances are advanced exactly; v is advanced with one classical RK4 step per
``dt`` using the exact conductances at the stage times.  The local error is O(dt^5/tau_eff^5)
(tau_eff = cm / total conductance, >= 1 ms in practice), far below NEST's RKF45 tolerance
(absolute 1e-3), so spike steps agree with NEST except when v grazes threshold.  Refractoriness
as NEST: v is held at ``v_reset`` for ``round(tau_refrac/dt)`` steps while the conductances
keep evolving.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, refractory_steps
from .conductance import SynCoeffs, advance, profile, syn_coeffs
from .declaration import NeuronModel, params_type, reset_below_threshold
from .integrators import rk4
from .pynn_parameters import lif_membrane, reversal_potentials, synapse_time_constants

__all__ = ["Params", "ExpState", "AlphaState", "Coeffs", "prepare_exp", "prepare_alpha",
           "step_exp", "step_alpha", "membrane", "MODELS"]


PARAMETERS_EXP = {**lif_membrane(), **synapse_time_constants(tau_syn_E=5.0, tau_syn_I=5.0),
                  **reversal_potentials()}
PARAMETERS_ALPHA = {**lif_membrane(), **synapse_time_constants(tau_syn_E=0.3, tau_syn_I=0.5),
                    **reversal_potentials()}
Params = params_type(PARAMETERS_EXP)
"""PyNN parameters of IF_cond_exp / IF_cond_alpha (mV, nF, ms, nA)."""


class ExpState(NamedTuple):
    v: jnp.ndarray          # mV
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    refrac: jnp.ndarray     # int32 refractory steps left


class AlphaState(NamedTuple):
    v: jnp.ndarray
    gsyn_exc: jnp.ndarray
    gsyn_inh: jnp.ndarray
    dgsyn_exc: jnp.ndarray  # uS/ms
    dgsyn_inh: jnp.ndarray
    refrac: jnp.ndarray


class Coeffs(NamedTuple):
    p: Params
    g_leak: jnp.ndarray     # uS
    exc: SynCoeffs
    inh: SynCoeffs
    n_ref: jnp.ndarray
    dt: jnp.ndarray


def _prepare(p: Params, dt, alpha: bool) -> Coeffs:
    return Coeffs(p=p, g_leak=p.cm / p.tau_m,
                  exc=syn_coeffs(p.tau_syn_E, dt, alpha), inh=syn_coeffs(p.tau_syn_I, dt, alpha),
                  n_ref=refractory_steps(p.tau_refrac, dt),
                  dt=jnp.asarray(dt, dtype=jnp.result_type(p.cm)))


def prepare_exp(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=False)


def prepare_alpha(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=True)


def membrane(p, g_leak, v, i_syn: tuple, i_const):
    """dv/dt of the leaky membrane, ``cm dv/dt = g_L (v_rest - v) + I_syn + I`` (PyNN units).

    ``p`` has the fields ``cm, v_rest`` (this module's ``Params`` or a ``PointNeuron``'s,
    ``composite.py``); ``i_syn`` is a tuple of synaptic currents (nA), added in order (here
    ``g_e (E_e - v)``, ``g_i (E_i - v)``)."""
    total = g_leak * (p.v_rest - v)
    for i in i_syn:
        total = total + i
    return (total + i_const) / p.cm


def _step(c: Coeffs, v, refrac, ge, gi, dge, dgi, d: Drive):
    p = c.p
    i_const = p.i_offset + d.i_inj

    def dv(y, g):
        (vv,) = y
        g_e, g_i = g
        return (membrane(p, c.g_leak, vv, (g_e * (p.e_rev_E - vv), g_i * (p.e_rev_I - vv)),
                         i_const),)

    stages = tuple(zip(profile(c.exc, ge, dge), profile(c.inh, gi, dgi)))
    (v_new,) = rk4(dv, (v,), c.dt, stages)
    free = refrac == 0
    v = jnp.where(free, v_new, p.v_reset)
    spiked = free & (v >= p.v_thresh)
    refrac = jnp.where(free, jnp.where(spiked, c.n_ref, 0), refrac - 1)
    v = jnp.where(spiked, p.v_reset, v)
    ge, dge = advance(c.exc, ge, dge, d.exc)
    gi, dgi = advance(c.inh, gi, dgi, d.inh)
    return v, refrac, ge, gi, dge, dgi, spiked


def step_exp(c: Coeffs, s: ExpState, d: Drive):
    """One step of IF_cond_exp; returns ``(state, spiked)``."""
    v, refrac, ge, gi, _, _, spiked = _step(c, s.v, s.refrac, s.gsyn_exc, s.gsyn_inh,
                                            None, None, d)
    return ExpState(v=v, gsyn_exc=ge, gsyn_inh=gi, refrac=refrac), spiked


def step_alpha(c: Coeffs, s: AlphaState, d: Drive):
    """One step of IF_cond_alpha; returns ``(state, spiked)``."""
    v, refrac, ge, gi, dge, dgi, spiked = _step(c, s.v, s.refrac, s.gsyn_exc, s.gsyn_inh,
                                                s.dgsyn_exc, s.dgsyn_inh, d)
    return AlphaState(v=v, gsyn_exc=ge, gsyn_inh=gi, dgsyn_exc=dge, dgsyn_inh=dgi,
                      refrac=refrac), spiked


_VARIABLES = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
MODELS = (
    NeuronModel("IF_cond_exp", PARAMETERS_EXP, ExpState, prepare_exp, step_exp,
                initial=_VARIABLES, recordables=_VARIABLES,
                rules=(reset_below_threshold("iaf_cond_exp"),), pynn_type="IF_cond_exp"),
    NeuronModel("IF_cond_alpha", PARAMETERS_ALPHA, AlphaState, prepare_alpha, step_alpha,
                initial=_VARIABLES, recordables=_VARIABLES,
                rules=(reset_below_threshold("iaf_cond_alpha"),), pynn_type="IF_cond_alpha"),
)
