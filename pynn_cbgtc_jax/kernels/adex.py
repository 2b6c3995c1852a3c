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

Scheme: exact conductances (``conductance.py``) and classical RK4 for (v, w): one step per dt,
or substeps of ``SUBSTEP_MS`` = 0.01 ms when the upswing is steep (``substeps``).  NEST uses
adaptive RKF45 (tolerance 1e-6);
a single RK4 step of 0.1 ms misplaces the threshold crossing by a step when ``v_spike`` is high
(NEST's default V_peak = 0 mV: exp(25) in the upswing); 0.01 ms substeps reproduce NEST's
spike steps (0.025 ms still missed one in tests/test_native.py).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
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


SUBSTEP_MS = 0.01    # RK4 substep used when the upswing is steep (see module doc)
_STEEP = 6.0         # (v_spike - v_thresh) / delta_T above which one RK4 step is not enough


def substeps(dt: float, params: dict) -> int:
    """Static number of RK4 substeps per step ``dt`` for a population with these parameters.

    With PyNN's default v_spike = -40 mV ((v_spike - v_thresh)/delta_T = 5.2) one RK4 step per
    0.1 ms reproduces NEST's spike steps (tests/test_vs_nest.py); a steeper upswing (NEST's
    default V_peak = 0 mV: 25) needs ``SUBSTEP_MS`` substeps (tests/test_native.py).
    """
    import numpy as np
    delta_t = np.asarray(params["delta_T"], float)
    steep = np.where(delta_t > 0, (np.asarray(params["v_spike"], float)
                                   - np.asarray(params["v_thresh"], float))
                     / np.where(delta_t > 0, delta_t, 1.0), 0.0)
    if steep.size == 0 or steep.max() <= _STEEP:
        return 1
    return max(1, int(np.ceil(round(dt / SUBSTEP_MS, 9))))


def _conductance_at(syn, g, dg, s):
    """Exact conductance ``s`` ms into the step (exponential or alpha time course)."""
    decay = jnp.exp(-s / syn.tau)
    return decay * g if dg is None else decay * (g + s * dg)


def _step(c: Coeffs, v, w, refrac, ge, gi, dge, dgi, d: Drive, n_sub: int = 1):
    p = c.p
    free = refrac == 0
    i_const = p.i_offset + d.i_inj
    has_exp = p.delta_T > 0
    safe_dT = jnp.where(has_exp, p.delta_T, 1.0)

    def rhs_for(frozen):
        def rhs(y, g):
            vv, ww = y
            g_e, g_i = g
            vc = jnp.where(frozen, p.v_reset, jnp.minimum(vv, c.v_peak))
            i_spike = jnp.where(has_exp,
                                c.g_leak * p.delta_T * jnp.exp((vc - p.v_thresh) / safe_dT), 0.0)
            dv = (c.g_leak * (p.v_rest - vc) + i_spike + g_e * (p.e_rev_E - vc)
                  + g_i * (p.e_rev_I - vc) - ww + i_const) / p.cm
            dw = (c.a_uS * (vc - p.v_rest) - ww) / p.tau_w
            return jnp.where(frozen, 0.0, dv), dw
        return rhs

    # As NEST's aeif models, a crossing is handled at the substep where it happens: reset,
    # w += b, and (with a refractory period) v held at v_reset for the rest of the step.
    h = c.dt / n_sub

    def substep(j, carry):
        v0, w0, frozen, spiked = carry
        t0 = j * h
        stages = tuple((_conductance_at(c.exc, ge, dge, t), _conductance_at(c.inh, gi, dgi, t))
                       for t in (t0, t0 + 0.5 * h, t0 + h))
        rhs = rhs_for(frozen)
        v, w = rk4(rhs, (v0, w0), h, stages)
        v = jnp.where(frozen, p.v_reset, v)
        cross = ~frozen & (v >= c.v_peak)
        # On a crossing, place it in time (NEST resets inside its adaptive sub-step): the
        # crossing time from Simpson's rule on dt = dv / (dv/dt) between v0 and v_peak, w
        # advanced to it, b added, then w relaxed with v = v_reset for the rest of the step.
        def dvdt(vv):
            return rhs((vv, w0), stages[0])[0]
        vm = 0.5 * (v0 + c.v_peak)
        safe = lambda x: jnp.maximum(x, 1e-12)                     # noqa: E731
        theta = (c.v_peak - v0) / 6.0 * (1.0 / safe(dvdt(v0)) + 4.0 / safe(dvdt(vm))
                                         + 1.0 / safe(dvdt(jnp.minimum(c.v_peak, v0 + 1e3))))
        theta = jnp.clip(theta, 0.0, h)
        w_cross = w0 + theta * rhs((v0, w0), stages[0])[1] + p.b
        w_after = w_cross + (h - theta) * (c.a_uS * (p.v_reset - p.v_rest) - w_cross) / p.tau_w
        w_after = jnp.where(c.n_ref > 0, w_after, w + p.b)
        v = jnp.where(cross, p.v_reset, v)
        w = jnp.where(cross, w_after, w)
        return v, w, frozen | (cross & (c.n_ref > 0)), spiked | cross

    carry = (v, w, ~free, jnp.zeros_like(free))
    if n_sub == 1:
        carry = substep(0, carry)
    else:
        carry = jax.lax.fori_loop(0, n_sub, substep, carry)
    v, w, _, spiked = carry
    refrac = jnp.where(free, jnp.where(spiked, c.n_ref, 0), refrac - 1)
    ge, dge = advance(c.exc, ge, dge, d.exc)
    gi, dgi = advance(c.inh, gi, dgi, d.inh)
    return v, w, refrac, ge, gi, dge, dgi, spiked


def step_exp(c: Coeffs, s: ExpState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_exp_isfa_ista; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, _, _, spiked = _step(c, s.v, s.w, s.refrac, s.gsyn_exc, s.gsyn_inh,
                                               None, None, d, n_sub)
    return ExpState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, refrac=refrac), spiked


def step_alpha(c: Coeffs, s: AlphaState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_alpha_isfa_ista; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, dge, dgi, spiked = _step(c, s.v, s.w, s.refrac, s.gsyn_exc,
                                                   s.gsyn_inh, s.dgsyn_exc, s.dgsyn_inh, d, n_sub)
    return AlphaState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, dgsyn_exc=dge, dgsyn_inh=dgi,
                      refrac=refrac), spiked
