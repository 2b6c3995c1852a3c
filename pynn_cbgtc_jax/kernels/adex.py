"""Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005, J. Neurophysiol.
94:3637).

PyNN ``EIF_cond_exp_isfa_ista`` / ``EIF_cond_alpha_isfa_ista`` (NEST ``aeif_cond_exp`` /
``aeif_cond_alpha``).  Equations (mV, ms, nA, nF, uS; ``a`` in nS)::

    cm dv/dt = g_L (v_rest - v) + g_L delta_T exp((v - v_thresh)/delta_T)
               + g_exc (e_rev_E - v) + g_inh (e_rev_I - v) - w + i_offset + I_inj
    tau_w dw/dt = a (v - v_rest) - w                 g_L = cm / tau_m
    v >= v_spike:  v <- v_reset, w <- w + b, refractory for tau_refrac

As in NEST, the right-hand side uses ``min(v, v_spike)`` so that it stays bounded, v is held at
``v_reset`` (dv/dt = 0) while refractory (w keeps evolving with v = v_reset), and with
``delta_T = 0`` the exponential term vanishes and the threshold is ``v_thresh`` -- the neuron is
then exactly an IF_cond neuron with adaptation.

Two integration schemes; ``step_exp`` / ``step_alpha`` (the registered steps) use the first in
float64 and the second in float32 -- a static choice, the dtype is known when the step is traced
-- unless their static ``scheme`` argument names one (``SCHEMES``;
``setup(integration_scheme=...)`` reaches it).

``step_exp_nest`` / ``step_alpha_nest``: NEST's own scheme.  The whole state (v, the conductances,
w) is advanced over a step ``dt`` by adaptive Runge-Kutta-Fehlberg 4(5) steps with GSL's
step-size control (``integrators.attempt``; ``gsl_odeiv_control_yp_new(1e-6, 1e-6)``: absolute
tolerance 1e-6 and relative tolerance 1e-6 on ``h |dy/dt|``, in NEST's units mV, nS, pA).  The step
size is a state variable, ``h_ode``, kept from one time step to the next as NEST's
``IntegrationStep_``; 0, its initial value and so also its value after ``reset()``, means
``dt``, which is where NEST starts.  ``v >= v_spike`` is tested after every accepted RKF45 step:
there the neuron is reset, ``b`` added to ``w`` and, with a refractory period, v held at
``v_reset`` for the rest of the time step.  The reset, and so the spike-triggered adaptation,
happens where NEST's happens (at the end of the sub-step that passed ``v_spike``, slightly after
the crossing): spikes land on NEST's steps where the RK4 scheme moved 2 of 14 over 1 s of DC
(validation/findings.md, "adex-spike-step").  The sub-steps are a ``lax.while_loop``; batched
by ``jax.vmap`` it runs until the neuron that needs most tries is done, and a neuron crossing
``v_spike`` needs about 20 (GSL rejects step after step at the kink of ``min(v, v_spike)``), so
in a population that has a spike in most time steps every step costs about 20 RKF45 tries for
every neuron: 13-65 times the RK4 scheme in the kernel for desynchronised neurons (1.4-11 times
for identical ones), 1.4 (float32) and 2-3 (float64) times on the whole CBGTC benchmark
(validation/findings.md, "adex-spike-step").  In float32 the same tolerances work: the error
estimate is formed from the stage derivatives, not from a difference of rounded solutions, and
in the upswing the relative part ``1e-6 h |dy/dt|`` dominates; but the scheme is not the
float32 default because of its cost.

``step_exp_rk4`` / ``step_alpha_rk4``: exact conductances (``conductance.py``) and classical RK4
for (v, w), one step per ``dt`` or ``substeps`` of ``SUBSTEP_MS`` = 0.01 ms when the upswing is
steep; on a spike step the crossing time is estimated by Simpson's rule and w advanced to it.
One fused RK4 step per ``dt``: no loop.  Its spikes are NEST's in most cases (96.7 % and 97.0 %
in the validation protocols); ``h_ode`` is passed through unchanged.
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from . import lif_cond
from .base import Drive
from .conductance import SynCoeffs, advance
from .declaration import NON_NEGATIVE, POSITIVE, NeuronModel, Parameter, Rule, params_type
from .integrators import SCHEMES, attempt, rk4, use_nest_scheme
from .pynn_parameters import lif_membrane, reversal_potentials, synapse_time_constants

__all__ = ["Params", "ExpState", "AlphaState", "Coeffs", "prepare_exp", "prepare_alpha",
           "step_exp", "step_alpha", "step_exp_nest", "step_alpha_nest", "step_exp_rk4",
           "step_alpha_rk4", "substeps", "membrane", "SCHEMES",
           "EPS_NEST", "MAX_TRIES", "MODELS"]


PARAMETERS = {**lif_membrane(v_rest=-70.6, cm=0.281, tau_m=9.3667, v_reset=-70.6,
                              v_thresh=-50.4),
              **synapse_time_constants(), **reversal_potentials(e_rev_I=-80.0),
              "v_spike": Parameter("mV", -40.0), "a": Parameter("nS", 4.0),
              "b": Parameter("nA", 0.0805), "delta_T": Parameter("mV", 2.0, NON_NEGATIVE),
              "tau_w": Parameter("ms", 144.0, POSITIVE)}
Params = params_type(PARAMETERS)
"""PyNN parameters of EIF_cond_*_isfa_ista (mV, nF, ms, nA; ``a`` in nS)."""


class ExpState(NamedTuple):
    v: jnp.ndarray          # mV
    w: jnp.ndarray          # nA
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    refrac: jnp.ndarray     # int32 refractory steps left
    h_ode: jnp.ndarray      # ms, RKF45 step size carried across steps (0: start with dt)


class AlphaState(NamedTuple):
    v: jnp.ndarray          # mV
    w: jnp.ndarray          # nA
    gsyn_exc: jnp.ndarray   # uS
    gsyn_inh: jnp.ndarray   # uS
    dgsyn_exc: jnp.ndarray  # uS/ms
    dgsyn_inh: jnp.ndarray  # uS/ms
    refrac: jnp.ndarray     # int32 refractory steps left
    h_ode: jnp.ndarray      # ms, RKF45 step size carried across steps (0: start with dt)


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
    lif = lif_cond.prepare_alpha(p, dt) if alpha else lif_cond.prepare_exp(p, dt)
    return Coeffs(p=p, g_leak=lif.g_leak, a_uS=p.a * 1e-3,
                  v_peak=jnp.where(p.delta_T > 0, p.v_spike, p.v_thresh),
                  exc=lif.exc, inh=lif.inh, n_ref=lif.n_ref, dt=lif.dt)


def prepare_exp(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=False)


def prepare_alpha(p: Params, dt) -> Coeffs:
    return _prepare(p, dt, alpha=True)


# --- NEST's scheme: adaptive RKF45 with the reset inside the sub-step loop ----------------------

EPS_NEST = 1e-6      # aeif_cond_*: gsl_error_tol, both eps_abs and eps_rel (control_yp_new)
MAX_TRIES = 10_000   # RKF45 tries in one time step before it is declared failed (v = NaN)
_NEST_UNIT = 1e-3    # eps_abs is 1e-6 nS / pA in NEST: 1e-9 uS / nA here (nS -> uS, pA -> nA)


def membrane(p, g_leak, a_uS, vc, w, i_syn: tuple, i_const):
    """(dv/dt, dw/dt) of the AdEx equations at the (clamped) potential ``vc``, PyNN units:
    ``cm dv/dt = g_L (E_L - v) + g_L Δ_T exp((v - V_T)/Δ_T) + I_syn - w + I`` and
    ``tau_w dw/dt = a (v - E_L) - w``; no exponential term for Δ_T = 0.

    ``p`` has the fields ``cm, v_rest, delta_T, v_thresh, tau_w`` (this module's ``Params`` or a
    ``PointNeuron``'s, ``composite.py``); ``i_syn`` is a tuple of synaptic currents (nA), added
    in order (here ``g_e (E_e - v)``, ``g_i (E_i - v)``)."""
    has_exp = p.delta_T > 0
    safe_dT = jnp.where(has_exp, p.delta_T, 1.0)
    i_spike = jnp.where(has_exp, g_leak * p.delta_T * jnp.exp((vc - p.v_thresh) / safe_dT), 0.0)
    total = g_leak * (p.v_rest - vc) + i_spike
    for i in i_syn:
        total = total + i
    dv = (total - w + i_const) / p.cm
    return dv, (a_uS * (vc - p.v_rest) - w) / p.tau_w


def _membrane(c: Coeffs, vc, ge, gi, w, i_const):
    """:func:`membrane` with the two conductances of EIF_cond_*_isfa_ista."""
    p = c.p
    return membrane(p, c.g_leak, c.a_uS, vc, w, (ge * (p.e_rev_E - vc), gi * (p.e_rev_I - vc)),
                    i_const)


def _rhs(c: Coeffs, d: Drive, refractory, alpha: bool):
    """dy/dt of NEST's state vector (v, g_exc, g_inh[, dg_exc, dg_inh], w), PyNN units."""
    p = c.p
    i_const = p.i_offset + d.i_inj

    def f(y):
        v, ge, gi = y[:3]
        w = y[-1]
        vc = jnp.where(refractory, p.v_reset, jnp.minimum(v, p.v_spike))
        dv, dw = _membrane(c, vc, ge, gi, w, i_const)
        dv = jnp.where(refractory, jnp.zeros_like(dv), dv)
        if alpha:
            dge, dgi = y[3], y[4]
            return (dv, dge - ge / p.tau_syn_E, dgi - gi / p.tau_syn_I,
                    -dge / p.tau_syn_E, -dgi / p.tau_syn_I, dw)
        return dv, -ge / p.tau_syn_E, -gi / p.tau_syn_I, dw
    return f


def _step_nest(c: Coeffs, y: tuple, refrac, h_ode, d: Drive, alpha: bool):
    """Advance NEST's state vector ``y`` over one step as ``aeif_cond_*::update`` does.

    Returns ``(y, refrac, h_ode, spiked, tries)``; ``tries`` (RKF45 tries taken, rejected ones
    included) is for diagnostics and benchmarks.
    """
    p = c.p
    eps_abs = (EPS_NEST,) + (EPS_NEST * _NEST_UNIT,) * (len(y) - 1)
    t_end = c.dt

    def cond(carry):
        t, _, _, _, _, tries = carry
        return (t < t_end) & (tries < MAX_TRIES)

    def body(carry):
        t, h, y, r, spiked, tries = carry
        refractory = r > 0
        att = attempt(_rhs(c, d, refractory, alpha), y, t, t_end, h, eps_abs, EPS_NEST)
        v, w = att.y[0], att.y[-1]
        v = jnp.where(refractory, p.v_reset, v)
        spike = att.accepted & ~refractory & (v >= c.v_peak)
        v = jnp.where(spike, p.v_reset, v)
        w = jnp.where(spike, w + p.b, w)
        y = tuple(jnp.where(att.accepted, new, old)
                  for new, old in zip((v,) + att.y[1:-1] + (w,), y))
        # NEST counts refractory steps from n_ref + 1 and decrements at the end of the step;
        # with n_ref = 0 the neuron is free again in the next sub-step.
        r = jnp.where(spike, jnp.where(c.n_ref > 0, c.n_ref + 1, 0), r)
        t = jnp.where(att.accepted, att.t, t)
        return t, att.h, y, r, spiked | spike, tries + 1

    h = jnp.where(h_ode > 0, h_ode, t_end)
    t, h, y, r, spiked, tries = jax.lax.while_loop(
        cond, body, (jnp.zeros_like(t_end), h, y, refrac, jnp.zeros((), bool),
                     jnp.zeros((), jnp.int32)))
    # MAX_TRIES reached: v = NaN, which the engine reports as a diverged state.
    y = (jnp.where(t < t_end, jnp.nan, y[0]),) + y[1:]
    return y, jnp.where(r > 0, r - 1, r), h, spiked, tries


def step_exp_nest(c: Coeffs, s: ExpState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_exp_isfa_ista (NEST's scheme); returns ``(state, spiked)``.

    ``n_sub`` (the RK4 scheme's static substeps) is not used: the sub-steps are adaptive.
    """
    (v, ge, gi, w), refrac, h, spiked, _ = _step_nest(
        c, (s.v, s.gsyn_exc, s.gsyn_inh, s.w), s.refrac, s.h_ode, d, alpha=False)
    return ExpState(v=v, w=w, gsyn_exc=ge + d.exc, gsyn_inh=gi + d.inh, refrac=refrac,
                    h_ode=h), spiked


def step_alpha_nest(c: Coeffs, s: AlphaState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_alpha_isfa_ista (NEST's scheme); returns ``(state, spiked)``."""
    (v, ge, gi, dge, dgi, w), refrac, h, spiked, _ = _step_nest(
        c, (s.v, s.gsyn_exc, s.gsyn_inh, s.dgsyn_exc, s.dgsyn_inh, s.w), s.refrac, s.h_ode, d,
        alpha=True)
    return AlphaState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, dgsyn_exc=dge + c.exc.jump * d.exc,
                      dgsyn_inh=dgi + c.inh.jump * d.inh, refrac=refrac, h_ode=h), spiked


# --- the RK4 scheme (before issue #5) -----------------------------------------------------------

SUBSTEP_MS = 0.01    # RK4 substep used when the upswing is steep (see module doc)
_STEEP = 6.0         # (v_spike - v_thresh) / delta_T above which one RK4 step is not enough


def substeps(dt: float, params: dict) -> int:
    """Static number of RK4 substeps per step ``dt`` for a population with these parameters.

    Used by ``step_*_rk4`` only.  With PyNN's default v_spike = -40 mV
    ((v_spike - v_thresh)/delta_T = 5.2) one RK4 step per 0.1 ms gives NEST's spike steps in most
    cases; a steeper upswing (NEST's default V_peak = 0 mV: 25) needs ``SUBSTEP_MS`` substeps
    (tests/test_native.py).
    """
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


def _step_rk4(c: Coeffs, v, w, refrac, ge, gi, dge, dgi, d: Drive, n_sub: int = 1):
    p = c.p
    free = refrac == 0
    i_const = p.i_offset + d.i_inj

    def rhs_for(frozen):
        def rhs(y, g):
            vv, ww = y
            g_e, g_i = g
            vc = jnp.where(frozen, p.v_reset, jnp.minimum(vv, c.v_peak))
            dv, dw = _membrane(c, vc, g_e, g_i, ww, i_const)
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


def step_exp_rk4(c: Coeffs, s: ExpState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_exp_isfa_ista with the RK4 scheme; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, _, _, spiked = _step_rk4(c, s.v, s.w, s.refrac, s.gsyn_exc,
                                                   s.gsyn_inh, None, None, d, n_sub)
    return ExpState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, refrac=refrac, h_ode=s.h_ode), spiked


def step_alpha_rk4(c: Coeffs, s: AlphaState, d: Drive, n_sub: int = 1):
    """One step of EIF_cond_alpha_isfa_ista with the RK4 scheme; returns ``(state, spiked)``."""
    v, w, refrac, ge, gi, dge, dgi, spiked = _step_rk4(c, s.v, s.w, s.refrac, s.gsyn_exc,
                                                       s.gsyn_inh, s.dgsyn_exc, s.dgsyn_inh, d,
                                                       n_sub)
    return AlphaState(v=v, w=w, gsyn_exc=ge, gsyn_inh=gi, dgsyn_exc=dge, dgsyn_inh=dgi,
                      refrac=refrac, h_ode=s.h_ode), spiked


# --- the default: NEST's scheme in float64, RK4 in float32 ---------------------------------------

def _use_nest(state, scheme) -> bool:
    return use_nest_scheme(state.v, scheme, "AdEx")


def step_exp(c: Coeffs, s: ExpState, d: Drive, n_sub: int = 1, scheme: str | None = None):
    """One step of EIF_cond_exp_isfa_ista; returns ``(state, spiked)``.

    ``scheme`` (static): ``"nest"`` (``step_exp_nest``), ``"rk4"`` (``step_exp_rk4``) or None:
    NEST's scheme in float64, RK4 in float32 (the dtype is known when the step is traced).
    """
    return (step_exp_nest if _use_nest(s, scheme) else step_exp_rk4)(c, s, d, n_sub)


def step_alpha(c: Coeffs, s: AlphaState, d: Drive, n_sub: int = 1, scheme: str | None = None):
    """One step of EIF_cond_alpha_isfa_ista; ``scheme`` as in ``step_exp``."""
    return (step_alpha_nest if _use_nest(s, scheme) else step_alpha_rk4)(c, s, d, n_sub)


# aeif_cond_exp.cpp / aeif_cond_alpha.cpp, Parameters_::set: the exponential term at V_peak,
# exp((V_peak - V_th) / Delta_T), must stay 1e20 below the largest double
_MAX_EXP_ARG = float(np.log(np.finfo(np.float64).max / 1e20))


def _rules(nest_model: str) -> tuple:
    """NEST's checks of ``aeif_cond_*``'s parameters (``Parameters_::set``)."""
    return (
        Rule(("v_spike", "v_thresh"), np.greater_equal, "{0} >= {1}",
             "raise {0} (the spike-detection voltage) or lower {1}",
             f"models/{nest_model}.cpp: 'V_peak >= V_th required.'"),
        Rule(("v_reset", "v_spike"), np.less, "{0} < {1}", "lower {0} or raise {1}",
             f"models/{nest_model}.cpp: 'Ensure that: V_reset < V_peak .'"),
        Rule(("v_spike", "v_thresh", "delta_T"),
             lambda peak, th, delta: (delta == 0) | ((peak - th) / np.where(
                 delta == 0, 1.0, delta) < _MAX_EXP_ARG),
             f"({{0}} - {{1}}) / {{2}} < {_MAX_EXP_ARG:.1f} (= log(max double / 1e20); "
             f"exp() would overflow at the spike)", "increase {2} or reduce {0}",
             f"models/{nest_model}.cpp: 'The current combination of V_peak, V_th and Delta_T "
             f"will lead to numerical overflow at spike time'"))


_VARIABLES = {"v": "v", "w": "w", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh"}
MODELS = (
    NeuronModel("EIF_cond_exp_isfa_ista", PARAMETERS, ExpState, prepare_exp, step_exp,
                initial=_VARIABLES, recordables=_VARIABLES, substeps=substeps,
                rules=_rules("aeif_cond_exp"), pynn_type="EIF_cond_exp_isfa_ista"),
    NeuronModel("EIF_cond_alpha_isfa_ista", PARAMETERS, AlphaState, prepare_alpha, step_alpha,
                initial=_VARIABLES, recordables=_VARIABLES, substeps=substeps,
                rules=_rules("aeif_cond_alpha"), pynn_type="EIF_cond_alpha_isfa_ista"),
)
