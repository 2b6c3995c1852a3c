r"""Density mechanisms of multi-compartment cells beyond hh.mod: whole channel sets of a
published point model, inserted at some nodes of a cable (issue 16 item 4; issue 17).

A mechanism is declared once in :data:`MECHANISMS` (a table, not a switch on names) by

* ``params`` / ``state``: NamedTuple types of its parameters (PyNN-style names and density
  units: mS/cm², mV, ...) and of its state variables (gates, concentrations; no ``v``);
* ``current(p, s, v)``: its total ionic current density at potential ``v``, µA/cm², outward
  positive;
* ``advance(p, s, v, dt)``: its state one step later with ``v`` held at the new voltage;
* ``steady(p, v)``: its state at rest at ``v`` (the start of a run, NEURON's ``finitialize``).

``kernels/multicompartment.py`` treats it as NEURON treats a mechanism with a BREAKPOINT
(``src/nrnoc/treeset.cpp``: ``nrn_rhs`` / ``nrn_lhs``): the current is linearised around
``v^n`` with the slope :math:`\partial i/\partial v` by a 1e-3 mV difference, so the voltage
solve stays implicit; then the states advance with ``v^{n+1}``, half a step after the voltage.
Every array may carry trailing axes (nodes, cells): the functions are elementwise.

``stn_rt2004``: the Rubin & Terman 2004 STN channels with Gillies & Willshaw's I_h
(``kernels/stn.py``, which defines them once: ``current`` and ``advance`` call its
``derivatives``).  The states advance by one classical RK4 step of their own equations at
fixed ``v`` (the gates are linear in themselves there; Ca is driven by I_Ca + I_T at that
``v``).  Units: a node of area ``A`` µm² passes ``i A 1e-5`` nA.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import jax.numpy as jnp

from . import pospischil, stn
from .conductance_cell import gated_conductance

__all__ = ["Mechanism", "MECHANISMS", "SLOPE_DV", "gated_mechanism"]

SLOPE_DV = 1e-3     # mV: NEURON's difference for di/dv (treeset.cpp, "nrn_lhs")


class Mechanism(NamedTuple):
    name: str
    params: type             # NamedTuple of its parameters, every field with a default
    state: type              # NamedTuple of its state variables
    units: dict              # parameter -> PyNN unit string
    current: Callable        # (p, s, v) -> uA/cm2
    advance: Callable        # (p, s, v, dt) -> s
    steady: Callable         # (p, v) -> s
    doc: str
    dt_max: float | None = None   # ms: the largest step validated on a cable (None: any)


# -- Rubin & Terman 2004 STN (+ I_h) ---------------------------------------------------------
_STN_FIELDS = tuple(f for f in stn.STNParams._fields if f not in ("C_m", "I_app", "v_thresh"))
STNChannelParams = NamedTuple("STNChannelParams",
                              [(f, float) for f in _STN_FIELDS])
STNChannelParams.__new__.__defaults__ = tuple(getattr(stn.STNParams(), f) for f in _STN_FIELDS)
STNChannelState = NamedTuple("STNChannelState", [(f, float) for f in ("h", "n", "r", "f",
                                                                      "ca")])


def _stn_coeffs(p):
    full = stn.STNParams(**p._asdict(), C_m=1.0, I_app=0.0, v_thresh=0.0)
    return stn.prepare(full, 0.0)


def _stn_current(p, s, v):
    """-C dv/dt with no applied current = the ionic current density (uA/cm2)."""
    rates = stn.derivatives(_stn_coeffs(p), stn.STNState(v, *s), 0.0)
    return -rates.v


def _stn_advance(p, s, v, dt):
    c = _stn_coeffs(p)

    def f(x):
        return STNChannelState(*stn.derivatives(c, stn.STNState(v, *x), 0.0)[1:])

    def add(x, k, a):
        return STNChannelState(*(xi + a * ki for xi, ki in zip(x, k)))
    k1 = f(s)
    k2 = f(add(s, k1, dt / 2))
    k3 = f(add(s, k2, dt / 2))
    k4 = f(add(s, k3, dt))
    return STNChannelState(*(x + dt / 6 * (a + 2 * b + 2 * c_ + d)
                             for x, a, b, c_, d in zip(s, k1, k2, k3, k4)))


def _stn_steady(p, v):
    full = stn.STNParams(**p._asdict(), C_m=1.0, I_app=0.0, v_thresh=0.0)
    st = stn.initial_state(full, jnp.asarray(v))
    return STNChannelState(st.h, st.n, st.r, st.f, st.ca)


# -- gated channels (Fleming et al. 2020's cortical cell) ---------------------------------------
def gated_mechanism(name, gates: dict, currents: tuple, params: dict, units: dict, doc: str):
    """A mechanism of gates with kinetics ``(v, ca, p) -> (x_inf, 1/tau)`` (the convention of
    ``conductance_cell.py``) and currents ``(conductance, ((gate, power), ...), reversal)``
    (parameter names).  The gates advance as NEURON's ``cnexp``: exactly at fixed ``v``,
    ``x_inf + (x - x_inf) exp(-dt / tau)``."""
    Params = NamedTuple(f"{name}Params", [(f, float) for f in params])
    Params.__new__.__defaults__ = tuple(params.values())
    State = NamedTuple(f"{name}State", [(g, float) for g in gates])

    def current(p, s, v):
        total = 0.0
        for g_name, powers, e_name in currents:
            total = total + gated_conductance(p, s, g_name, powers) * (v - getattr(p, e_name))
        return total

    def advance(p, s, v, dt):
        out = []
        for gate, kinetics in gates.items():
            x_inf, rate = kinetics(v, None, p)
            out.append(x_inf + (getattr(s, gate) - x_inf) * jnp.exp(-rate * dt))
        return State(*out)

    def steady(p, v):
        return State(*(kinetics(jnp.asarray(v), None, p)[0] for kinetics in gates.values()))

    return Mechanism(name, Params, State, units, current, advance, steady, doc)


def _rates(alpha, beta):
    """Kinetics from rate functions of v and the parameters."""
    def kinetics(v, ca, p):
        a, b = alpha(v, p), beta(v, p)
        return a / (a + b), a + b
    return kinetics


def _relax(x_inf, tau):
    def kinetics(v, ca, p):
        return x_inf(v, p), 1.0 / tau(v, p)
    return kinetics


def _sig(x):
    return 1.0 / (1.0 + jnp.exp(x))


_vtrap = pospischil.vtrap
_SOMA_GATES = {
    **{g: pospischil.GATES[g] for g in ("m", "h", "n")},          # V_T-shifted Na and Kd
    "p": _relax(lambda v, p: _sig(-(v + 35.0) / 10.0),
                lambda v, p: p.tau_max / (3.3 * jnp.exp((v + 35.0) / 20.0)
                                          + jnp.exp(-(v + 35.0) / 20.0))),
}
_AXON_NA = {
    "m": _rates(lambda v, p: p.Q_s * 0.182 * _vtrap(-(v + 30.0), 8.0),
                lambda v, p: p.Q_s * 0.124 * _vtrap(v + 30.0, 8.0)),
    # h: tau from the rates, but h_inf its own sigmoid (Cortical_Axon_I_Na.mod)
    "h": lambda v, ca, p: (_sig((v + 60.0) / 6.2),
                           p.Q_s * (0.028 * _vtrap(-(v + 45.0), 6.0)
                                    + 0.0091 * _vtrap(v + 70.0, 6.0))),
}
_AXON_KV = {"n": _rates(lambda v, p: p.Q_s * 0.01 * _vtrap(-(v - 30.0), 9.0),
                        lambda v, p: p.Q_s * 0.002 * _vtrap(v - 30.0, 9.0))}
# the .mod file's h_inf = 1 - 1/(1 + exp((v - V_half_h)/q_h)) rises with v (kept as written)
_AXON_KD = {"m": _relax(lambda v, p: 1.0 - _sig((v - p.V_half_m) / p.q_m), lambda v, p: p.tau_m),
            "h": _relax(lambda v, p: 1.0 - _sig((v - p.V_half_h) / p.q_h), lambda v, p: p.tau_h)}

_CORTICAL = {
    "cortical_soma": gated_mechanism(
        "cortical_soma", _SOMA_GATES,
        (("g_Na", (("m", 3), ("h", 1)), "E_Na"), ("g_Kd", (("n", 4),), "E_K"),
         ("g_M", (("p", 1),), "E_K")),
        dict(g_Na=50.0, g_Kd=5.0, g_M=0.07, E_Na=50.0, E_K=-100.0, V_T=-55.0, tau_max=1000.0),
        dict(g_Na="mS/cm**2", g_Kd="mS/cm**2", g_M="mS/cm**2", E_Na="mV", E_K="mV", V_T="mV",
             tau_max="ms"),
        "Pospischil et al. 2008's regular-spiking soma as Fleming et al. 2020 use it: Na, "
        "delayed-rectifier K and M currents (Cortical_Soma_I_{Na,K,M}.mod)"),
    "cortical_axon_na": gated_mechanism(
        "cortical_axon_na", _AXON_NA, (("g", (("m", 3), ("h", 1)), "E_Na"),),
        dict(g=1000.0, E_Na=60.0, Q_s=3.209),
        dict(g="mS/cm**2", E_Na="mV", Q_s="dimensionless"),
        "Fleming's axon Na (Foust et al. 2011; Cortical_Axon_I_Na.mod); conductance_density "
        "in S/cm2"),
    "cortical_axon_kv": gated_mechanism(
        "cortical_axon_kv", _AXON_KV, (("g", (("n", 1),), "E_K"),),
        dict(g=1000.0, E_K=-90.0, Q_s=3.209),
        dict(g="mS/cm**2", E_K="mV", Q_s="dimensionless"),
        "Fleming's axon Kv (Cortical_Axon_I_Kv.mod); conductance_density in S/cm2"),
    "cortical_axon_kd": gated_mechanism(
        "cortical_axon_kd", _AXON_KD, (("g", (("m", 1), ("h", 1)), "E_K"),),
        dict(g=1000.0, E_K=-90.0, tau_m=1.0, tau_h=1500.0, V_half_m=-43.0, V_half_h=-67.0,
             q_m=8.0, q_h=7.3),
        dict(g="mS/cm**2", E_K="mV", tau_m="ms", tau_h="ms", V_half_m="mV", V_half_h="mV",
             q_m="mV", q_h="mV"),
        "Fleming's axon Kd (Cortical_Axon_I_Kd.mod); conductance_density in S/cm2"),
}


MECHANISMS = {
    "stn_rt2004": Mechanism(
        "stn_rt2004", STNChannelParams, STNChannelState,
        {f: stn.PARAMETERS[f].unit for f in _STN_FIELDS},
        _stn_current, _stn_advance, _stn_steady,
        "Rubin & Terman 2004 STN channels (I_L, I_Na, I_K, I_AHP, I_Ca, I_T) and I_h",
        # the instantaneous m_inf(v)^3 of I_Na gives the linearised current a negative slope
        # on the spike upstroke that exceeds cm/dt (cm = 1 uF/cm2) above ~0.02 ms: at 0.025 ms
        # a soma with a dendrite diverged at its first spike, at 0.02 ms it runs
        dt_max=0.02),
    **_CORTICAL,
}
