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

from . import stn

__all__ = ["Mechanism", "MECHANISMS", "SLOPE_DV"]

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
}
