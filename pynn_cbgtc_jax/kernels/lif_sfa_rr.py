"""Conductance-based LIF neuron with spike-frequency adaptation and relative refractoriness.

PyNN ``IF_cond_exp_gsfa_grr`` (NEST ``iaf_cond_exp_sfa_rr``; Muller et al. 2007, Neural Comput.
19:2958).  Equations (mV, ms, nA, nF, uS; ``g_s``, ``g_r``, ``q_sfa``, ``q_rr`` in nS)::

    cm dv/dt = (cm/tau_m)(v_rest - V) + g_exc (e_rev_E - V) + g_inh (e_rev_I - V)
               + g_s (e_rev_sfa - V) + g_r (e_rev_rr - V) + i_offset + I_inj
    dg_s/dt = -g_s/tau_sfa        dg_r/dt = -g_r/tau_rr
    v >= v_thresh:  v <- v_reset, g_s <- g_s + q_sfa, g_r <- g_r + q_rr,
                    refractory for round(tau_refrac/dt) steps

with ``V = min(v, v_thresh)`` in the currents, and v held at ``v_reset`` (dv/dt = 0) while
refractory, exactly as NEST's right-hand side; all four conductances keep decaying.

Scheme: every conductance is exponential between spikes and known exactly; v is advanced by
classical RK4 on ``N_SUB`` equal substeps per ``dt`` using the exact conductances at the stage
times (``integrators.rk4_substeps``).  Substeps because the relative-refractory conductance makes
the membrane stiff right after the refractory period: g_r/cm reaches 3/ms with PyNN's defaults and
15/ms with cm = 0.2 nF, where a single RK4 step of 0.1 ms is ~1e-3 mV from the exact solution
and two substeps are ~5e-5 mV from it (NEST's adaptive RKF45, absolute tolerance 1e-3, is
~4e-5 mV from it there).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, refractory_steps
from .declaration import POSITIVE, NeuronModel, Parameter, params_type, reset_below_threshold
from .integrators import decay_factors, rk4_substeps
from .pynn_parameters import lif_membrane, reversal_potentials, synapse_time_constants

__all__ = ["N_SUB", "Params", "State", "Coeffs", "prepare", "step", "MODELS"]

N_SUB = 2   # RK4 substeps per time step


PARAMETERS = {**lif_membrane(), **synapse_time_constants(), **reversal_potentials(),
              "tau_sfa": Parameter("ms", 100.0, POSITIVE), "e_rev_sfa": Parameter("mV", -75.0),
              "q_sfa": Parameter("nS", 15.0), "tau_rr": Parameter("ms", 2.0, POSITIVE),
              "e_rev_rr": Parameter("mV", -75.0), "q_rr": Parameter("nS", 3000.0)}
Params = params_type(PARAMETERS)
"""PyNN parameters of IF_cond_exp_gsfa_grr (mV, nF, ms, nA; q_sfa, q_rr in nS)."""


class State(NamedTuple):
    v: jnp.ndarray          # mV
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    g_s: jnp.ndarray        # nS, spike-frequency adaptation conductance
    g_r: jnp.ndarray        # nS, relative refractory conductance
    refrac: jnp.ndarray     # int32


class Coeffs(NamedTuple):
    p: Params
    g_leak: jnp.ndarray     # uS
    h_sub: jnp.ndarray      # ms, dt / N_SUB
    factors: tuple          # decay_factors of (tau_syn_E, tau_syn_I, tau_sfa, tau_rr)
    n_ref: jnp.ndarray


def prepare(p: Params, dt) -> Coeffs:
    h_sub = jnp.asarray(dt, dtype=jnp.result_type(p.cm)) / N_SUB
    return Coeffs(p=p, g_leak=p.cm / p.tau_m, h_sub=h_sub,
                  factors=decay_factors((p.tau_syn_E, p.tau_syn_I, p.tau_sfa, p.tau_rr), h_sub),
                  n_ref=refractory_steps(p.tau_refrac, dt))


def step(c: Coeffs, s: State, d: Drive):
    """One step of IF_cond_exp_gsfa_grr; returns ``(state, spiked)``."""
    p = c.p
    free = s.refrac == 0
    i_const = p.i_offset + d.i_inj

    def dv(y, g):
        (vv,) = y
        g_e, g_i, g_s, g_r = g
        vc = jnp.where(free, jnp.minimum(vv, p.v_thresh), p.v_reset)
        i_total = (c.g_leak * (p.v_rest - vc) + g_e * (p.e_rev_E - vc) + g_i * (p.e_rev_I - vc)
                   + 1e-3 * (g_s * (p.e_rev_sfa - vc) + g_r * (p.e_rev_rr - vc))   # nS -> uS
                   + i_const)
        return (jnp.where(free, i_total / p.cm, 0.0),)

    (v_new,), (ge, gi, g_s, g_r) = rk4_substeps(
        dv, (s.v,), (s.gsyn_exc, s.gsyn_inh, s.g_s, s.g_r), c.factors, c.h_sub, N_SUB)
    v = jnp.where(free, v_new, p.v_reset)
    spiked = free & (v >= p.v_thresh)
    refrac = jnp.where(free, jnp.where(spiked, c.n_ref, 0), s.refrac - 1)
    return State(v=jnp.where(spiked, p.v_reset, v), gsyn_exc=ge + d.exc, gsyn_inh=gi + d.inh,
                 g_s=g_s + jnp.where(spiked, p.q_sfa, 0.0),
                 g_r=g_r + jnp.where(spiked, p.q_rr, 0.0), refrac=refrac), spiked


_VARIABLES = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh", "g_r": "g_r", "g_s": "g_s"}
MODELS = (NeuronModel("IF_cond_exp_gsfa_grr", PARAMETERS, State, prepare, step,
                      initial=_VARIABLES, recordables=_VARIABLES,
                      rules=(reset_below_threshold("iaf_cond_exp_sfa_rr"),),
                      pynn_type="IF_cond_exp_gsfa_grr"),)
