"""Hodgkin–Huxley neuron of Traub & Miles with exponential synaptic conductances.

PyNN ``HH_cond_exp`` (NEST ``hh_cond_exp_traub``; Traub & Miles 1991, *Neuronal Networks of the
Hippocampus*, as used by Brette et al. 2007, J. Comput. Neurosci. 23:349, benchmark 3).
Equations (mV, ms, nA, nF, uS), with ``V = v - v_offset``::

    cm dv/dt = -gbar_Na m^3 h (v - e_rev_Na) - gbar_K n^4 (v - e_rev_K) - g_leak (v - e_rev_leak)
               - g_exc (v - e_rev_E) - g_inh (v - e_rev_I) + i_offset + I_inj
    dx/dt = alpha_x(V) (1 - x) - beta_x(V) x            x = m, h, n
    alpha_m = 0.32 (13 - V)/(exp((13 - V)/4) - 1)      beta_m = 0.28 (V - 40)/(exp((V - 40)/5) - 1)
    alpha_h = 0.128 exp((17 - V)/18)                    beta_h = 4/(1 + exp((40 - V)/5))
    alpha_n = 0.032 (15 - V)/(exp((15 - V)/5) - 1)      beta_n = 0.5 exp((10 - V)/40)
    dg/dt = -g/tau_syn,   spike of weight w (uS): g += w

Spikes are detected as NEST does: a spike is emitted at the end of a step in which v is at or
above ``v_offset + 30`` mV and lower than at the start of the step (v has just passed its peak);
afterwards no spike is emitted for ``T_REF`` = 2 ms (NEST's ``t_ref`` default, not a PyNN
parameter).  There is no reset: the HH currents repolarise the membrane.

Two integration schemes; ``step`` (the registered step) uses the first in float64 and the
second in float32 -- a static choice, the dtype is known when the step is traced -- unless its
static ``scheme`` argument names one (``SCHEMES``; ``setup(integration_scheme=...)`` reaches it).

``step_nest``: NEST's own scheme.  The whole state vector (v, m, h, n, g_exc, g_inh) is advanced
over a step ``dt`` by adaptive Runge-Kutta-Fehlberg 4(5) steps with GSL's step-size control
(``integrators.attempt``; ``gsl_odeiv_control_y_new(1e-3, 0.0)``: absolute tolerance 1e-3 on every
component in NEST's units mV, 1, nS -- 1e-6 uS here -- and no relative tolerance).  The step
size is a state variable, ``h_ode``, kept from one time step to the next as NEST's
``IntegrationStep_``; 0, its initial value and so also its value after ``reset()``, means
``dt``, where NEST starts.  NEST handles no event inside the step, so the loop only integrates.
With this tolerance the solution is ~0.65 mV from the exact one at the spike peaks, and the
spike steps are NEST's also where a peak lies close to a step boundary (validation/findings.md,
"hh-peak-detection").  The sub-steps are a ``lax.while_loop``; batched by ``jax.vmap`` it runs
until the neuron that needs most tries is done.

``step_rk4``: the conductances are exact exponentials; (v, m, h, n) are advanced by classical
RK4 on ``N_SUB`` = 10 equal substeps per ``dt`` using the exact conductances at the stage times
(``integrators.rk4_substeps``).  The spike upstroke has rates of ~100/ms (gbar_Na/cm), so an
undivided RK4 step of 0.1 ms would be unstable.  Over 8 spikes, v stays within 0.001 / 0.01 / 0.09
/ 0.6 mV of a tolerance-1e-12 SciPy solution at dt = 0.05 / 0.1 / 0.2 / 0.3 ms -- more accurate than
NEST's scheme, which is why a peak close to a step boundary can land on the other step than
NEST's.  The count is static and the loop unrolled (see ``integrators.rk4_substeps``): one fused
step on a GPU, at the price of a longer first compilation (~4 s on a CPU); ``h_ode`` is passed
through unchanged.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ._gates import safe_exp
from .integrators import SCHEMES, attempt, decay_factors, rk4_substeps, use_nest_scheme
from .base import Drive, refractory_steps
from .declaration import NON_NEGATIVE, POSITIVE, NeuronModel, Parameter, params_type
from .pynn_parameters import reversal_potentials, synapse_time_constants

__all__ = ["N_SUB", "T_REF", "EPS_NEST", "MAX_TRIES", "SCHEMES", "Params", "State", "Coeffs",
           "prepare", "step", "step_nest", "step_rk4", "rates", "MODELS"]

N_SUB = 10          # RK4 substeps per time step
T_REF = 2.0         # ms, NEST hh_cond_exp_traub t_ref default
_SPIKE_ABOVE = 30.0  # mV above v_offset
EPS_NEST = 1e-3      # hh_cond_exp_traub: gsl_odeiv_control_y_new(1e-3, 0.0), absolute only
MAX_TRIES = 10_000   # RKF45 tries in one time step before it is declared failed (v = NaN)
_NEST_UNIT = 1e-3    # eps_abs is 1e-3 nS for the conductances in NEST: 1e-6 uS here (nS -> uS)


PARAMETERS = {
    "gbar_Na": Parameter("uS", 20.0, NON_NEGATIVE), "gbar_K": Parameter("uS", 6.0, NON_NEGATIVE),
    "g_leak": Parameter("uS", 0.01, NON_NEGATIVE), "cm": Parameter("nF", 0.2, POSITIVE),
    "v_offset": Parameter("mV", -63.0),          # shifts the rate functions (NEST V_T)
    "e_rev_Na": Parameter("mV", 50.0), "e_rev_K": Parameter("mV", -90.0),
    "e_rev_leak": Parameter("mV", -65.0), **reversal_potentials(e_rev_I=-80.0),
    **synapse_time_constants(tau_syn_E=0.2, tau_syn_I=2.0), "i_offset": Parameter("nA", 0.0)}
Params = params_type(PARAMETERS)
"""PyNN parameters of HH_cond_exp (uS, nF, mV, ms, nA)."""


class State(NamedTuple):
    v: jnp.ndarray          # mV
    m: jnp.ndarray          # Na activation
    h: jnp.ndarray          # Na inactivation
    n: jnp.ndarray          # K activation
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    refrac: jnp.ndarray     # int32, steps during which no spike is emitted
    h_ode: jnp.ndarray      # ms, RKF45 step size carried across steps (0: start with dt)


class Coeffs(NamedTuple):
    p: Params
    h_sub: jnp.ndarray      # ms, dt / N_SUB
    factors: tuple          # decay_factors((tau_syn_E, tau_syn_I), h_sub)
    n_ref: jnp.ndarray      # int32
    dt: jnp.ndarray         # ms


def _x_over_expm1(x):
    """``x / (exp(x) - 1)``, continuous at 0 (value 1) and overflow-free for large ``|x|``."""
    small = jnp.abs(x) < 1e-4
    safe_x = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 - 0.5 * x, safe_x / jnp.expm1(jnp.minimum(safe_x, 80.0)))


def rates(V):
    """Traub–Miles opening and closing rates (1/ms) at ``V = v - v_offset`` (mV).

    Returns ``(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n)``; the removable
    singularities of alpha_m, beta_m and alpha_n are evaluated by their limits.
    """
    return (1.28 * _x_over_expm1((13.0 - V) / 4.0),
            1.4 * _x_over_expm1((V - 40.0) / 5.0),
            0.128 * safe_exp((17.0 - V) / 18.0),
            4.0 / (1.0 + safe_exp((40.0 - V) / 5.0)),
            0.16 * _x_over_expm1((15.0 - V) / 5.0),
            0.5 * safe_exp((10.0 - V) / 40.0))


def prepare(p: Params, dt) -> Coeffs:
    dt = jnp.asarray(dt, dtype=jnp.result_type(p.cm))
    h_sub = dt / N_SUB
    return Coeffs(p=p, h_sub=h_sub, factors=decay_factors((p.tau_syn_E, p.tau_syn_I), h_sub),
                  n_ref=refractory_steps(T_REF, dt), dt=dt)


def _membrane_rhs(p: Params, i_const):
    """d(v, m, h, n)/dt at the conductances ``(g_exc, g_inh)``."""
    def rhs(y, g):
        v, m, h, n = y
        g_e, g_i = g
        am, bm, ah, bh, an, bn = rates(v - p.v_offset)
        i_ion = (p.gbar_Na * m * m * m * h * (v - p.e_rev_Na)
                 + p.gbar_K * (n * n) * (n * n) * (v - p.e_rev_K)
                 + p.g_leak * (v - p.e_rev_leak)
                 + g_e * (v - p.e_rev_E) + g_i * (v - p.e_rev_I))
        return ((i_const - i_ion) / p.cm, am - (am + bm) * m, ah - (ah + bh) * h,
                an - (an + bn) * n)
    return rhs


def _spike(c: Coeffs, s: State, v):
    """NEST's rule at the end of the step: ``v >= V_T + 30`` and v fell; then ``T_REF``."""
    free = s.refrac == 0
    spiked = free & (v >= c.p.v_offset + _SPIKE_ABOVE) & (s.v > v)
    return spiked, jnp.where(free, jnp.where(spiked, c.n_ref, 0), s.refrac - 1)


# --- NEST's scheme: adaptive RKF45 over the whole state vector ----------------------------------

def _step_nest(c: Coeffs, y: tuple, h_ode, d: Drive):
    """Advance NEST's state vector ``y = (v, m, h, n, g_exc, g_inh)`` over one step as
    ``hh_cond_exp_traub::update`` does.  Returns ``(y, h_ode, tries)``; ``tries`` (RKF45 tries
    taken, rejected ones included) is for diagnostics and benchmarks."""
    p = c.p
    membrane = _membrane_rhs(p, p.i_offset + d.i_inj)

    def f(y):
        return membrane(y[:4], y[4:]) + (-y[4] / p.tau_syn_E, -y[5] / p.tau_syn_I)

    eps_abs = (EPS_NEST,) * 4 + (EPS_NEST * _NEST_UNIT,) * 2
    t_end = c.dt

    def cond(carry):
        t, _, _, tries = carry
        return (t < t_end) & (tries < MAX_TRIES)

    def body(carry):
        t, h, y, tries = carry
        att = attempt(f, y, t, t_end, h, eps_abs, 0.0)
        y = tuple(jnp.where(att.accepted, new, old) for new, old in zip(att.y, y))
        return jnp.where(att.accepted, att.t, t), att.h, y, tries + 1

    h = jnp.where(h_ode > 0, h_ode, t_end)
    t, h, y, tries = jax.lax.while_loop(
        cond, body, (jnp.zeros_like(t_end), h, y, jnp.zeros((), jnp.int32)))
    # MAX_TRIES reached: v = NaN, which the engine reports as a diverged state.
    y = (jnp.where(t < t_end, jnp.nan, y[0]),) + y[1:]
    return y, h, tries


def step_nest(c: Coeffs, s: State, d: Drive):
    """One step of HH_cond_exp with NEST's scheme; returns ``(state, spiked)``."""
    (v, m, h, n, ge, gi), h_ode, _ = _step_nest(
        c, (s.v, s.m, s.h, s.n, s.gsyn_exc, s.gsyn_inh), s.h_ode, d)
    spiked, refrac = _spike(c, s, v)
    return State(v=v, m=m, h=h, n=n, gsyn_exc=ge + d.exc, gsyn_inh=gi + d.inh, refrac=refrac,
                 h_ode=h_ode), spiked


# --- the RK4 scheme (before issue #5) -----------------------------------------------------------

def step_rk4(c: Coeffs, s: State, d: Drive):
    """One step of HH_cond_exp with RK4 on ``N_SUB`` substeps; returns ``(state, spiked)``."""
    rhs = _membrane_rhs(c.p, c.p.i_offset + d.i_inj)
    (v, m, h, n), (ge, gi) = rk4_substeps(rhs, (s.v, s.m, s.h, s.n), (s.gsyn_exc, s.gsyn_inh),
                                          c.factors, c.h_sub, N_SUB)
    spiked, refrac = _spike(c, s, v)
    return State(v=v, m=m, h=h, n=n, gsyn_exc=ge + d.exc, gsyn_inh=gi + d.inh,
                 refrac=refrac, h_ode=s.h_ode), spiked


# --- the default: NEST's scheme in float64, RK4 in float32 ---------------------------------------

def _use_nest(state: State, scheme) -> bool:
    return use_nest_scheme(state.v, scheme, "HH_cond_exp")


def step(c: Coeffs, s: State, d: Drive, scheme: str | None = None):
    """One step of HH_cond_exp; returns ``(state, spiked)``.

    ``scheme`` (static): ``"nest"`` (``step_nest``), ``"rk4"`` (``step_rk4``) or None: NEST's
    scheme in float64, RK4 in float32 (the dtype is known when the step is traced).
    """
    return (step_nest if _use_nest(s, scheme) else step_rk4)(c, s, d)


_RECORDABLES = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
MODELS = (NeuronModel("HH_cond_exp", PARAMETERS, State, prepare, step,
                      initial=dict(_RECORDABLES, m="m", h="h", n="n"), recordables=_RECORDABLES,
                      pynn_type="HH_cond_exp"),)
