"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005, J. Neurophysiol. 94:3637).

PyNN ``EIF_cond_exp_isfa_ista`` / ``EIF_cond_alpha_isfa_ista`` (NEST ``aeif_cond_exp`` /
``aeif_cond_alpha``).  Equations (mV, ms, nA, nF, uS; ``a`` in nS)::

    cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((v - v_thresh)/delta_T)
               + g_exc (e_rev_E - v) + g_inh (e_rev_I - v) - w + i_offset + I_inj
    tau_w dw/dt = a (v - v_rest) - w                 g_L = cm / tau_m
    v >= v_spike:  v <- v_reset, w <- w + b, refractory for tau_refrac

As in NEST, the exponential term uses ``min(v, v_spike)`` so the right-hand side stays bounded,
v is held at ``v_reset`` (dv/dt = 0) while refractory (w keeps evolving with v = v_reset), and
with ``delta_T = 0`` the exponential term vanishes and the threshold is ``v_thresh`` -- the
neuron is then exactly an IF_cond neuron with adaptation.

Scheme: exact conductances (``conductance.py``) and one classical RK4 step per ``dt`` for
(v, w).  NEST uses adaptive RKF45 (tolerance 1e-6); at dt = 0.1 ms the fixed RK4 step differs
from it by far less than a millivolt except in the last ~0.1 ms of the upswing, where both jump
past ``v_spike`` within the same step.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, refractory_steps
from .conductance import SynCoeffs, advance, profile, rk4, syn_coeffs

__all__ = ["Params", "ExpState", "AlphaState", "Coeffs", "prepare_exp", "prepare_alpha",
           "step_exp", "step_alpha"]


class Params(NamedTuple):
    """PyNN parameters of EIF_cond_*_isfa_ista."""

    cm: jnp.ndarray
    tau_refrac: jnp.ndarray
    v_spike: jnp.ndarray
    v_reset: jnp.ndarray
    v_rest: jnp.ndarray
    tau_m: jnp.ndarray
    i_offset: jnp.ndarray
    a: jnp.ndarray          # nS
    b: jnp.ndarray          # nA
    delta_T: jnp.ndarray
    tau_w: jnp.ndarray
    v_thresh: jnp.ndarray
    e_rev_E: jnp.ndarray
    tau_syn_E: jnp.ndarray
    e_rev_I: jnp.ndarray
    tau_syn_I: jnp.ndarray


class ExpState(NamedTuple):
    v: jnp.ndarray          # mV
    w: jnp.ndarray          # nA
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    refrac: jnp.ndarray     # int32


class AlphaState(NamedTuple):
    v: jnp.ndarray
    w: jnp.ndarray
    gsyn_exc: jnp.ndarray
    gsyn_inh: jnp.ndarray
    dgsyn_exc: jnp.ndarray
    dgsyn_inh: jnp.ndarray
    refrac: jnp.ndarray


class Coeffs(NamedTuple):
    p: Params
    g_leak: jnp.ndarray
    a_uS: jnp.ndarray       # a in uS (nS -> uS)
    v_peak: jnp.ndarray     # spike detection: v_spike, or v_thresh when delta_T == 0
    exc: SynCoeffs
    inh: SynCoeffs
    n_ref: jnp.ndarray
    dt: jnp.ndarray


def _prepare(p: Params, dt, alpha: bool) -> Coeffs:
    return Coeffs(p=p, g_leak=p.cm / p.tau_m, a_uS=p.a * 1e-3,
                  v_peak=jnp.where(p.delta_T > 0, p.v_spike, p.v_thresh),
                  exc=syn_coeffs(p.tau_syn_E, dt, alpha), inh=syn_coeffs(p.tau_syn_I, dt, alpha),
                  n_ref=refractory_steps(p.tau_refrac, dt),
                  dt=jnp.asarray(dt, dtype=jnp.result_type(p.cm)))


def prepare_exp(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=False)


def prepare_alpha(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=True)


def _step(c: Coeffs, v, w, refrac, ge, gi, dge, dgi, d: Drive):
    p = c.p
    free = refrac == 0
    i_const = p.i_offset + d.i_inj
    has_exp = p.delta_T > 0
    safe_dT = jnp.where(has_exp, p.delta_T, 1.0)

    def rhs(y, g):
        vv, ww = y
        g_e, g_i = g
        vc = jnp.where(free, jnp.minimum(vv, c.v_peak), p.v_reset)
        i_spike = jnp.where(has_exp, c.g_leak * p.delta_T * jnp.exp((vc - p.v_thresh) / safe_dT),
                            0.0)
        dv = (c.g_leak * (p.v_rest - vc) + i_spike + g_e * (p.e_rev_E - vc)
              + g_i * (p.e_rev_I - vc) - ww + i_const) / p.cm
        dw = (c.a_uS * (vc - p.v_rest) - ww) / p.tau_w
        return jnp.where(free, dv, 0.0), dw

    stages = tuple(zip(profile(c.exc, ge, dge), profile(c.inh, gi, dgi)))
    v_new, w = rk4(rhs, (v, w), c.dt, stages)
    v = jnp.where(free, v_new, p.v_reset)
    spiked = free & (v >= c.v_peak)
    refrac = jnp.where(free, jnp.where(spiked, c.n_ref, 0), refrac - 1)
    v = jnp.where(spiked, p.v_reset, v)
    w = jnp.where(spiked, w + p.b, w)
    ge, dge = advance(c.exc, ge, dge, d.exc)
    gi, dgi = advance(c.inh, gi, dgi, d.inh)
    return v, w, refrac, ge, gi, dge, dgi, spiked


def step_exp(c: Coeffs, s: ExpState, d: Drive):
    """One step of EIF_cond_exp_isfa_ista; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, _, _, spiked = _step(c, s.v, s.w, s.refrac, s.gsyn_exc, s.gsyn_inh,
                                               None, None, d)
    return ExpState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, refrac=refrac), spiked


def step_alpha(c: Coeffs, s: AlphaState, d: Drive):
    """One step of EIF_cond_alpha_isfa_ista; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, dge, dgi, spiked = _step(c, s.v, s.w, s.refrac, s.gsyn_exc,
                                                   s.gsyn_inh, s.dgsyn_exc, s.dgsyn_inh, d)
    return AlphaState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, dgsyn_exc=dge, dgsyn_inh=dgi,
                      refrac=refrac), spiked
