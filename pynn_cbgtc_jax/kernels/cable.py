r"""One multi-compartment cell, one time step: NEURON's fixed-step scheme on a tree of nodes.

The engine piece of issue 16 (design: ``docs/design/multicompartment.md`` sections 4-6).  The
nodes come from ``compiler/cable_tree.py`` in parent-index order (``parent[i] < i``).  Per node
``i`` (PyNN units: C nF, g uS, I nA, v mV, t ms):

.. math::

    C_i \frac{dv_i}{dt} = -g_{pas,i}(v_i - e_{pas}) - \bar g_{Na,i} m^3 h (v_i - E_{Na})
        - \bar g_{K,i} n^4 (v_i - E_K) + \sum_{j \sim i} g_{ij} (v_j - v_i) + I_i(t)

with the Hodgkin-Huxley gates of NEURON's ``hh.mod`` (rates at 6.3 degC, where its q10 is 1)
at the nodes ``hh_nodes`` (gates are stored and advanced there only: a dendrite without HH
costs no rate evaluation).  The scheme is NEURON's with ``secondorder = 0``
(``src/nrnoc/fadvance.cpp``): the gates live half a step after the voltage.  From ``v^n`` and
the gates at ``n + 1/2``:

1. backward Euler for the voltage with the channel conductances of the gates at ``n + 1/2``
   and the injected current at ``t_n + dt/2``:
   :math:`(C/dt + G + L)\, v^{n+1} = C/dt\, v^n + G E + I`, ``L`` the tree's conductance
   Laplacian, solved exactly by Hines elimination (:func:`hines_solve`: leaves to root, then
   root to leaves; no pivoting, the matrix is diagonally dominant);
2. ``cnexp`` for each gate with the new voltage:
   :math:`x \leftarrow x + (1 - e^{-dt/\tau_x(v^{n+1})})(x_\infty(v^{n+1}) - x)`.

Initial gates are :math:`x_\infty(v_0)` (hh.mod's INITIAL).  Junction nodes (zero area) have
``C = 0`` and no channels: their rows are Kirchhoff's law.  A spike is an upward crossing of
``v_thresh`` at node ``detector`` in a step (NEURON's fixed-step threshold, no interpolation).

First order in ``dt`` (tested on a passive cable against the exponential decay); the same
numbers as NEURON 9.0.2 to ~1e-9 mV for a ball-and-stick HH cell (``tests/test_cable.py``).
Arrays may carry trailing axes (``[n_nodes, cells]``, parameters ``[n_nodes, 1]``): the
kernel broadcasts over them, and node-major is the layout in which each node of the tree solve
is one contiguous row (``validation/benchmarks/bench_cable.py``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

__all__ = ["CableParams", "CableState", "hines_solve", "hh_rates", "initial_state", "step",
           "run"]


class CableParams(NamedTuple):
    """One cell's nodes (arrays ``[n_nodes]``) and its channels' constants."""

    parent: jnp.ndarray    # int32: parent node, -1 for the root
    cap: jnp.ndarray       # nF: membrane capacitance (0 at junctions)
    g_axial: jnp.ndarray   # uS: to the parent node (0 for the root)
    l_diag: jnp.ndarray    # uS: sum of the axial conductances at the node
    g_pas: jnp.ndarray     # uS: passive leak
    e_pas: jnp.ndarray     # mV
    hh_nodes: jnp.ndarray  # int32 [n_hh]: the nodes with HH channels (the gates live there)
    gnabar: jnp.ndarray    # uS [n_hh]: HH sodium
    gkbar: jnp.ndarray     # uS [n_hh]: HH potassium
    ena: jnp.ndarray       # mV
    ek: jnp.ndarray        # mV
    detector: jnp.ndarray  # int32: the node whose voltage crossing is a spike
    v_thresh: jnp.ndarray  # mV


class CableState(NamedTuple):
    v: jnp.ndarray   # mV [n_nodes], at t_n
    m: jnp.ndarray   # HH gates [n_hh], at t_n + dt/2
    h: jnp.ndarray
    n: jnp.ndarray


def hines_solve(d, b, r, parent):
    """Solve ``A x = r`` for the symmetric tree matrix ``A`` with diagonal ``d`` and
    ``A[i, parent[i]] = A[parent[i], i] = b[i]`` (``parent[i] < i``, ``parent[0] = -1``): forward
    elimination from the last node to the first, then back substitution (Hines 1984; NEURON's
    ``triang``/``bksub``).  A ``fori_loop`` over nodes: the compile time does not grow with the
    number of nodes."""
    n = d.shape[0]
    b, parent = jnp.asarray(b), jnp.asarray(parent)      # indexed by the loop's traced i

    def eliminate(k, dr):
        d, r = dr
        i = n - 1 - k
        p = parent[i]
        f = b[i] / d[i]
        return d.at[p].add(-f * b[i]), r.at[p].add(-f * r[i])

    d, r = jax.lax.fori_loop(0, n - 1, eliminate, (d, r))
    x = jnp.zeros_like(r).at[0].set(r[0] / d[0])

    def substitute(i, x):
        return x.at[i].set((r[i] - b[i] * x[parent[i]]) / d[i])

    return jax.lax.fori_loop(1, n, substitute, x)


def _vtrap(x, y):
    """``x / (exp(x / y) - 1)``, and its limit ``y (1 - x / y / 2)`` near ``x = 0`` (hh.mod)."""
    small = jnp.abs(x / y) < 1e-6
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe / (jnp.exp(safe / y) - 1.0))


def hh_rates(v):
    """hh.mod's steady states and time constants (ms) at 6.3 degC (q10 = 1):
    ``(minf, mtau, hinf, htau, ninf, ntau)``."""
    am = 0.1 * _vtrap(-(v + 40.0), 10.0)
    bm = 4.0 * jnp.exp(-(v + 65.0) / 18.0)
    ah = 0.07 * jnp.exp(-(v + 65.0) / 20.0)
    bh = 1.0 / (jnp.exp(-(v + 35.0) / 10.0) + 1.0)
    an = 0.01 * _vtrap(-(v + 55.0), 10.0)
    bn = 0.125 * jnp.exp(-(v + 65.0) / 80.0)
    return (am / (am + bm), 1.0 / (am + bm), ah / (ah + bh), 1.0 / (ah + bh),
            an / (an + bn), 1.0 / (an + bn))


def initial_state(p: CableParams, v0) -> CableState:
    """Every node at ``v0`` (mV, ``[n_nodes, ...]``), the gates at their steady state."""
    v0 = jnp.asarray(v0)
    minf, _, hinf, _, ninf, _ = hh_rates(v0[p.hh_nodes])
    return CableState(v=v0, m=minf, h=hinf, n=ninf)


def step(p: CableParams, s: CableState, i_inj, dt, g_extra=0.0):
    """One step: ``(state at t_{n+1}, spiked)``.  ``i_inj`` (nA, ``[n_nodes]``): the current
    into each node at ``t_n + dt/2``; ``g_extra`` (uS, ``[n_nodes]`` or 0): conductances
    whose driving force is taken implicitly -- their ``g E`` belongs in ``i_inj`` (synapses:
    ``kernels/multicompartment.py``)."""
    g_na = p.gnabar * s.m ** 3 * s.h
    g_k = p.gkbar * s.n ** 4
    d = jnp.broadcast_to(p.cap / dt + p.g_pas + p.l_diag + g_extra, s.v.shape).at[
        p.hh_nodes].add(g_na + g_k)
    r = (p.cap / dt * s.v + p.g_pas * p.e_pas + i_inj).at[p.hh_nodes].add(
        g_na * p.ena + g_k * p.ek)
    v = hines_solve(d, -p.g_axial, r, p.parent)
    minf, mtau, hinf, htau, ninf, ntau = hh_rates(v[p.hh_nodes])
    m = s.m + (1.0 - jnp.exp(-dt / mtau)) * (minf - s.m)
    h = s.h + (1.0 - jnp.exp(-dt / htau)) * (hinf - s.h)
    n = s.n + (1.0 - jnp.exp(-dt / ntau)) * (ninf - s.n)
    spiked = (s.v[p.detector] < p.v_thresh) & (v[p.detector] >= p.v_thresh)
    return CableState(v=v, m=m, h=h, n=n), spiked


def run(p: CableParams, s: CableState, i_inj, dt):
    """``len(i_inj)`` steps (``i_inj`` nA ``[steps, n_nodes]``, row ``k`` at ``t_k + dt/2``):
    ``(final state, v [steps, n_nodes] at t_1 .. t_steps, spiked [steps])``."""
    def one(s, i):
        s, spiked = step(p, s, i, dt)
        return s, (s.v, spiked)
    s, (v, spiked) = jax.lax.scan(one, s, i_inj)
    return s, v, spiked
