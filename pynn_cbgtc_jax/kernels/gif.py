"""Generalised integrate-and-fire neuron with escape noise (Mensi et al. 2012, Pozzorini 2015).

PyNN ``GIF_cond_exp`` (NEST ``gif_cond_exp``; Mensi et al. 2012, J. Neurophysiol. 107:1756;
Pozzorini et al. 2015, PLoS Comput. Biol. 11:e1004275).  Equations (mV, ms, nA, nF, uS)::

    cm dv/dt = (cm/tau_m)(v_rest - v) + g_exc (e_rev_E - v) + g_inh (e_rev_I - v)
               - i_eta + i_offset + I_inj
    i_eta = sum_k eta_k,      d eta_k/dt = -eta_k / tau_eta_k          (spike: eta_k += a_eta_k)
    v_t = v_t_star + sum_k gamma_k,  d gamma_k/dt = -gamma_k / tau_gamma_k  (spike: += a_gamma_k)
    hazard lambda = lambda0 exp((v - v_t) / delta_v)                   (lambda0 in Hz)

Each step the neuron fires with probability ``1 - exp(-lambda dt)`` (``Drive.rand`` < that
probability), evaluated with v at the end of the step and v_t from its start.  After a spike
it is refractory for ``round(tau_refrac/dt)`` steps: dv/dt = 0 and v is set to ``v_reset`` at
the end of each refractory step.  As in NEST, v is *not* reset in the step that fires (the
recorded v there is the pre-spike value), and with ``tau_refrac = 0`` it is never reset.

The kernels eta and gamma are sums of ``N_COMPONENTS`` exponentials; the PyNN layer pads
shorter kernels with components of zero amplitude.  ``i_eta`` and ``v_t`` in the state are the
values used during the last step (NEST's recordables ``I_stc`` and ``E_sfa``): they are
recomputed from the components at the start of every step, so their initial values are only
what is recorded at t = 0.

Scheme (NEST's order): i_eta and v_t are summed from the components, which then decay exactly;
v is advanced by one RK4 step with the exact synaptic conductances at the stage times and i_eta
constant over the step (NEST holds it constant too); the weights arriving at the end of the step
are added; then the escape-noise draw.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from .base import Drive, refractory_steps
from .conductance import SynCoeffs, advance, profile, syn_coeffs
from .declaration import ANY, NON_NEGATIVE, POSITIVE, NeuronModel, Parameter, params_type
from .integrators import rk4
from .pynn_parameters import lif_membrane, reversal_potentials, synapse_time_constants

__all__ = ["N_COMPONENTS", "SCALAR_PARAMS", "KERNEL_PARAMS", "Params", "State", "Coeffs",
           "prepare", "step", "component_names", "MODELS"]

N_COMPONENTS = 3

SCALAR_PARAMS = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I", "e_rev_E",
                 "e_rev_I", "v_reset", "i_offset", "delta_v", "v_t_star", "lambda0")
KERNEL_PARAMS = ("tau_eta", "tau_gamma", "a_eta", "a_gamma")   # ms, ms, nA, mV


def component_names(name: str) -> tuple:
    """Per-component field names of an array parameter, e.g. ``tau_eta_0, tau_eta_1, ...``."""
    return tuple(f"{name}_{k}" for k in range(N_COMPONENTS))


_KERNEL_UNITS = {"tau_eta": "ms", "tau_gamma": "ms", "a_eta": "nA", "a_gamma": "mV"}
_KERNEL_DEFAULTS = {"tau_eta": (1.0, 10.0, 100.0), "tau_gamma": (1.0, 10.0, 100.0),
                    "a_eta": (1.0, 1.0, 1.0), "a_gamma": (1.0, 1.0, 1.0)}
PARAMETERS = {
    **lif_membrane(tau_refrac=4.0), **synapse_time_constants(), **reversal_potentials(),
    "delta_v": Parameter("mV", 0.5, POSITIVE), "v_t_star": Parameter("mV", -48.0),
    "lambda0": Parameter("Hz", 1.0, NON_NEGATIVE),
    **{name: Parameter(_KERNEL_UNITS[base], _KERNEL_DEFAULTS[base][k],
                       POSITIVE if base.startswith("tau") else ANY)
       for base in KERNEL_PARAMS for k, name in enumerate(component_names(base))}}
del PARAMETERS["v_thresh"]           # the threshold is v_t, a state variable
Params = params_type(PARAMETERS)
"""PyNN parameters of GIF_cond_exp; the array parameters split into ``N_COMPONENTS`` scalar
fields each (``tau_eta_0``, ...)."""

State = NamedTuple("State", [("v", jnp.ndarray),          # mV
                             ("gsyn_exc", jnp.ndarray),   # uS
                             ("gsyn_inh", jnp.ndarray),   # uS
                             ("i_eta", jnp.ndarray),      # nA, spike-triggered current
                             ("v_t", jnp.ndarray)]        # mV, moving threshold
                   + [(name, jnp.ndarray) for name in component_names("eta")]      # nA
                   + [(name, jnp.ndarray) for name in component_names("gamma")]    # mV
                   + [("refrac", jnp.ndarray)])           # int32
State.__doc__ = "State of one GIF_cond_exp neuron."


class Coeffs(NamedTuple):
    p: Params
    g_leak: jnp.ndarray         # uS
    exc: SynCoeffs
    inh: SynCoeffs
    decay_eta: jnp.ndarray      # [N_COMPONENTS] exp(-dt/tau_eta_k)
    decay_gamma: jnp.ndarray    # [N_COMPONENTS]
    a_eta: jnp.ndarray          # [N_COMPONENTS] nA
    a_gamma: jnp.ndarray        # [N_COMPONENTS] mV
    lambda_ms: jnp.ndarray      # 1/ms
    n_ref: jnp.ndarray
    dt: jnp.ndarray


def _stack(obj, base):
    return jnp.stack([getattr(obj, name) for name in component_names(base)])


def prepare(p: Params, dt) -> Coeffs:
    return Coeffs(p=p, g_leak=p.cm / p.tau_m,
                  exc=syn_coeffs(p.tau_syn_E, dt, False), inh=syn_coeffs(p.tau_syn_I, dt, False),
                  decay_eta=jnp.exp(-dt / _stack(p, "tau_eta")),
                  decay_gamma=jnp.exp(-dt / _stack(p, "tau_gamma")),
                  a_eta=_stack(p, "a_eta"), a_gamma=_stack(p, "a_gamma"),
                  lambda_ms=1e-3 * p.lambda0,                                   # Hz -> 1/ms
                  n_ref=refractory_steps(p.tau_refrac, dt),
                  dt=jnp.asarray(dt, dtype=jnp.result_type(p.cm)))


def step(c: Coeffs, s: State, d: Drive):
    """One step of GIF_cond_exp; returns ``(state, spiked)``.  Needs ``d.rand``."""
    p = c.p
    eta, gamma = _stack(s, "eta"), _stack(s, "gamma")
    i_eta = jnp.sum(eta)
    v_t = p.v_t_star + jnp.sum(gamma)
    free = s.refrac == 0
    i_const = p.i_offset + d.i_inj - i_eta

    def dv(y, g):
        (vv,) = y
        g_e, g_i = g
        vc = jnp.where(free, vv, p.v_reset)
        i_total = (c.g_leak * (p.v_rest - vc) + g_e * (p.e_rev_E - vc) + g_i * (p.e_rev_I - vc)
                   + i_const)
        return (jnp.where(free, i_total / p.cm, 0.0),)

    stages = tuple(zip(profile(c.exc, s.gsyn_exc), profile(c.inh, s.gsyn_inh)))
    (v,) = rk4(dv, (s.v,), c.dt, stages)
    ge, _ = advance(c.exc, s.gsyn_exc, None, d.exc)
    gi, _ = advance(c.inh, s.gsyn_inh, None, d.inh)
    hazard = c.lambda_ms * jnp.exp((v - v_t) / p.delta_v)
    spiked = free & (d.rand < -jnp.expm1(-hazard * c.dt))
    eta = c.decay_eta * eta + jnp.where(spiked, c.a_eta, 0.0)
    gamma = c.decay_gamma * gamma + jnp.where(spiked, c.a_gamma, 0.0)
    refrac = jnp.where(free, jnp.where(spiked, c.n_ref, 0), s.refrac - 1)
    return State(jnp.where(free, v, p.v_reset), ge, gi, i_eta, v_t, *eta, *gamma,
                 refrac), spiked


_VARIABLES = {"v": "v", "gsyn_exc": "gsyn_exc", "gsyn_inh": "gsyn_inh", "i_eta": "i_eta",
              "v_t": "v_t"}
MODELS = (NeuronModel("GIF_cond_exp", PARAMETERS, State, prepare, step, initial=_VARIABLES,
                      recordables=_VARIABLES, random=True, pynn_type="GIF_cond_exp"),)
